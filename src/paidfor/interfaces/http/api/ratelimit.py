"""An in-memory sliding-window rate limit per client, reported the way the Graph API reports
its application limit: an ``X-App-Usage`` header ``{"call_count": 28, "total_cputime": 25,
"total_time": 25}`` (percentages of the window's allowance), and error code 4 ("Application
request limit reached") once any of them reaches 100.

It lives in one process: with several workers each keeps its own window (documented in
docs/ads_archive.md). Calls refused for the limit are not counted against it.

``RouteRateLimit`` puts the same kind of window in front of other public routes (the JSON
search and the bulk downloads): past it they answer 429 with the project's error shape carrying
the Graph code, ``{"error": {"message", "status": 429, "code": 4, "is_transient": true}}``,
``Retry-After`` and ``X-App-Usage`` (docs/reliability.md).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


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


class SlidingWindowLimiter:
    """Calls per client in the last ``window`` seconds, with the time they took."""

    def __init__(
        self,
        limit: int,
        window: float,
        time_budget: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.time_budget = max(time_budget, 1e-9)
        self.clock = clock
        self._calls: dict[str, deque[list[float]]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[list[float]]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0][0] <= now - self.window:
            calls.popleft()
        return calls

    def _usage(self, calls: deque[list[float]]) -> Usage:
        wall = sum(c[1] for c in calls)
        cpu = sum(c[2] for c in calls)
        return Usage(
            call_count=int(100 * len(calls) / self.limit),
            total_cputime=int(100 * cpu / self.time_budget),
            total_time=int(100 * wall / self.time_budget),
        )

    def check(self, key: str) -> Usage:
        """The client's usage before this call; ``exceeded`` means refuse it."""
        now = self.clock()
        with self._lock:
            usage = self._usage(self._prune(key, now))
            if len(self._calls) > 10_000:  # forget idle clients
                for k in [k for k, v in self._calls.items() if not v]:
                    del self._calls[k]
        return usage

    def record(self, key: str, started: float, wall: float, cpu: float) -> Usage:
        """Count a call that was let through; the usage including it."""
        with self._lock:
            calls = self._prune(key, self.clock())
            calls.append([started, wall, cpu])
            return self._usage(calls)

    def start(self, key: str) -> tuple[Usage, list[float]]:
        """Count a call as it starts (concurrent calls count at once); its usage including
        it, and the entry ``finish`` charges its time to."""
        with self._lock:
            now = self.clock()
            calls = self._prune(key, now)
            entry = [now, 0.0, 0.0]
            calls.append(entry)
            return self._usage(calls), entry

    def finish(self, entry: list[float], wall: float, cpu: float = 0.0) -> None:
        with self._lock:
            entry[1], entry[2] = wall, cpu

    def retry_after(self, key: str) -> int:
        """Seconds until the oldest call in the client's window leaves it."""
        with self._lock:
            calls = self._prune(key, self.clock())
            if not calls:
                return 1
            return max(1, math.ceil(calls[0][0] + self.window - self.clock()))


def _header(usage: Usage) -> bytes:
    return json.dumps(usage.as_header(), separators=(",", ":")).encode()


class RouteRateLimit:
    """ASGI middleware: a ``SlidingWindowLimiter`` per group of exact paths, keyed by the
    client's address. A call is counted when it starts and charged its wall time (to the
    end of its body, for a download) when it ends; CPU time is not measured here, so
    ``total_cputime`` stays 0."""

    def __init__(
        self, app: ASGIApp, rules: Iterable[tuple[frozenset[str], SlidingWindowLimiter]]
    ) -> None:
        self.app = app
        self.rules = {path: limiter for paths, limiter in rules for path in paths}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.rules.get(scope["path"]) if scope["type"] == "http" else None
        if limiter is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        usage = limiter.check(key)
        if usage.exceeded:
            wait = limiter.retry_after(key)
            body = json.dumps(
                {
                    "error": {
                        "message": "(#4) Application request limit reached: "
                        + (
                            f"at most {limiter.limit} calls in {limiter.window:g} seconds"
                            if usage.call_count >= 100
                            else f"at most {limiter.time_budget:g} seconds of server time in "
                            f"{limiter.window:g} seconds"
                        )
                        + f" from one address; try again in {wait} seconds",
                        "status": 429,
                        "code": 4,
                        "is_transient": True,
                    }
                }
            ).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(wait).encode()),
                (b"x-app-usage", _header(usage)),
            ]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        usage, entry = limiter.start(key)
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
            limiter.finish(entry, time.perf_counter() - started)
