"""An in-memory sliding-window rate limit per client, reported the way the Graph API reports
its application limit: an ``X-App-Usage`` header ``{"call_count": 28, "total_cputime": 25,
"total_time": 25}`` (percentages of the window's allowance), and error code 4 ("Application
request limit reached") once any of them reaches 100.

It lives in one process: with several workers each keeps its own window (documented in
docs/ads_archive.md). Calls refused for the limit are not counted against it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


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
        self._calls: dict[str, deque[tuple[float, float, float]]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[tuple[float, float, float]]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0][0] <= now - self.window:
            calls.popleft()
        return calls

    def _usage(self, calls: deque[tuple[float, float, float]]) -> Usage:
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
            calls.append((started, wall, cpu))
            return self._usage(calls)
