"""A sliding-window rate limit per client, reported the way the Graph API reports its
application limit: an ``X-App-Usage`` header ``{"call_count": 28, "total_cputime": 25,
"total_time": 25}`` (percentages of the window's allowance), and error code 4 ("Application
request limit reached") once any of them reaches 100. Calls refused for the limit are not
counted against it.

The calls are kept in a store (``ratelimit_store``): by default a SQLite file beside the
database that every worker of ``paidfor serve --workers N`` shares, so a client has one
budget per server, not one per process (docs/reliability.md).

``RouteRateLimit`` puts the same kind of window in front of other public routes (the search
in every format, the bulk downloads): past it a JSON route answers 429 with the project's
error shape carrying the Graph code, ``{"error": {"message", "status": 429, "code": 4,
"is_transient": true}}``, a page a 429 page with the same sentence; both with
``Retry-After`` and ``X-App-Usage``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paidfor.interfaces.http.api.ratelimit_store import Counts, MemoryWindows, Windows


@dataclass(frozen=True)
class Usage:
    call_count: int
    total_cputime: int
    total_time: int

    @property
    def exceeded(self) -> bool:
        return max(self.call_count, self.total_cputime, self.total_time) >= 100

    def as_header(self) -> dict[str, int]:
        return {
            "call_count": self.call_count,
            "total_cputime": self.total_cputime,
            "total_time": self.total_time,
        }


@dataclass(frozen=True)
class Admission:
    """What ``SlidingWindowLimiter.admit`` decided for a call."""

    admitted: bool
    usage: Usage  # refused: the usage that refused it; admitted: the usage including it
    counts: Counts  # the same, as counts (the caller adds the call's time to them)
    entry: int | None  # what ``finish`` charges the call's time to (None: counted nowhere)
    retry_after: int  # refused: seconds until the oldest call in the window leaves it


class SlidingWindowLimiter:
    """Calls per client in the last ``window`` seconds, with the time they took, kept in
    ``store`` under ``name`` (default: this process's memory; ``ratelimit_store``). Limiters
    with the same name over one store share one budget: the routes of one operation in one
    process, or the same limit in every worker of a server."""

    def __init__(
        self,
        limit: int,
        window: float,
        time_budget: float,
        *,
        name: str = "calls",
        store: Windows | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.time_budget = max(time_budget, 1e-9)
        self.name = name
        self.store: Windows = store if store is not None else MemoryWindows()
        self.store.register(name, window)
        self.clock = clock  # a wall clock: the store may be shared by several processes

    def usage_of(self, counts: Counts) -> Usage:
        return Usage(
            call_count=int(100 * counts.calls / self.limit),
            total_cputime=int(100 * counts.cpu / self.time_budget),
            total_time=int(100 * counts.wall / self.time_budget),
        )

    def _retry_after(self, counts: Counts, now: float) -> int:
        if counts.oldest is None:
            return 1
        return max(1, math.ceil(counts.oldest + self.window - now))

    def check(self, key: str) -> Usage:
        """The client's usage before this call; ``exceeded`` means refuse it."""
        now = self.clock()
        return self.usage_of(self.store.counts(self.name, key, now - self.window))

    def admit(self, key: str) -> Admission:
        """Count the call as it starts unless the client's usage is exceeded (one step: two
        workers cannot both let the last call of a budget through); concurrent calls count
        at once."""
        now = self.clock()
        counts, entry = self.store.admit(
            self.name, key, now, now - self.window, lambda c: not self.usage_of(c).exceeded
        )
        usage = self.usage_of(counts)
        admitted = entry is not None or not usage.exceeded  # a failing store lets it through
        wait = 0 if admitted else self._retry_after(counts, now)
        return Admission(admitted, usage, counts, entry, wait)

    def start(self, key: str) -> tuple[Usage, int | None]:
        """Count a call as it starts, whatever the usage; its usage including it, and the
        entry ``finish`` charges its time to."""
        now = self.clock()
        counts, entry = self.store.admit(self.name, key, now, now - self.window, lambda c: True)
        return self.usage_of(counts), entry

    def finish(self, entry: int | None, wall: float, cpu: float = 0.0) -> None:
        if entry is not None:
            self.store.finish(entry, wall, cpu)

    def record(self, key: str, started: float, wall: float, cpu: float) -> Usage:
        """Count a call that was let through, started at ``started``; the usage including
        it."""
        counts, entry = self.store.admit(
            self.name, key, started, self.clock() - self.window, lambda c: True
        )
        self.finish(entry, wall, cpu)
        return self.usage_of(counts._replace(wall=counts.wall + wall, cpu=counts.cpu + cpu))

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest call in the client's window leaves it."""
        now = self.clock()
        return self._retry_after(self.store.counts(self.name, key, now - self.window), now)


def _header(usage: Usage) -> bytes:
    return json.dumps(usage.as_header(), separators=(",", ":")).encode()


def refusal_message(limiter: SlidingWindowLimiter, usage: Usage, wait: int) -> str:
    """The sentence a refused call reads: which allowance it used up, and when to retry."""
    used = (
        f"at most {limiter.limit} calls in {limiter.window:g} seconds"
        if usage.call_count >= 100
        else f"at most {limiter.time_budget:g} seconds of server time in {limiter.window:g} seconds"
    )
    return (
        f"(#4) Application request limit reached: {used} from one address; "
        f"try again in {wait} seconds"
    )


def json_refusal(message: str) -> tuple[bytes, bytes]:
    """The project's error shape, with the Graph code: ``(content type, body)``."""
    error = {"message": message, "status": 429, "code": 4, "is_transient": True}
    return b"application/json", json.dumps({"error": error}).encode()


#: How a route answers a call refused for its limit: ``(content type, body)`` for the message.
Refusal = Callable[[str], tuple[bytes, bytes]]


@dataclass(frozen=True)
class LimitedRoutes:
    """Exact paths counted against ``limiter``; refused with ``refusal``'s answer (JSON by
    default; an HTML page for a page)."""

    paths: frozenset[str]
    limiter: SlidingWindowLimiter
    refusal: Refusal = json_refusal


class RouteRateLimit:
    """ASGI middleware: a ``SlidingWindowLimiter`` per group of exact paths, keyed by the
    client's address; several groups may share one limiter (the formats of one operation).
    A call is counted when it starts and charged its wall time (to the end of its body, for
    a download) when it ends; CPU time is not measured here, so ``total_cputime`` stays 0.
    A refused call is a 429 with ``Retry-After`` and ``X-App-Usage``, not counted."""

    def __init__(self, app: ASGIApp, rules: Iterable[LimitedRoutes]) -> None:
        self.app = app
        self.rules = {path: rule for rule in rules for path in rule.paths}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self.rules.get(scope["path"]) if scope["type"] == "http" else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        limiter = rule.limiter
        client = scope.get("client")
        key = client[0] if client else "unknown"
        admission = limiter.admit(key)
        usage = admission.usage
        if not admission.admitted:
            wait = admission.retry_after
            kind, body = rule.refusal(refusal_message(limiter, usage, wait))
            headers = [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(wait).encode()),
                (b"x-app-usage", _header(usage)),
                (b"cache-control", b"no-store"),
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        started = time.perf_counter()

        async def send_usage(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"x-app-usage", _header(usage)))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_usage)
        finally:
            limiter.finish(admission.entry, time.perf_counter() - started)
