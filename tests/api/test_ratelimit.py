"""The sliding-window limiter behind ads_archive's X-App-Usage and error code 4."""

from __future__ import annotations

from paidfor.interfaces.http.api.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_slides_and_clients_are_separate() -> None:
    clock = Clock()
    lim = SlidingWindowLimiter(limit=4, window=60, time_budget=10, clock=clock)
    for n in range(4):
        assert not lim.check("a").exceeded
        assert lim.record("a", clock.now, 0.0, 0.0).call_count == 25 * (n + 1)
        clock.now += 10
    assert lim.check("a").exceeded  # 4 calls in the last 60 s
    assert not lim.check("b").exceeded  # another client
    clock.now = 1000.0 + 60.5  # the first call (at 1000) has left the window
    usage = lim.check("a")
    assert not usage.exceeded and usage.call_count == 75
    lim.record("a", clock.now, 0.0, 0.0)
    assert lim.check("a").exceeded


def test_time_budget_counts_wall_and_cpu_time() -> None:
    clock = Clock()
    lim = SlidingWindowLimiter(limit=100, window=60, time_budget=2.0, clock=clock)
    usage = lim.record("a", clock.now, wall=0.5, cpu=0.2)
    assert usage.as_header() == {"call_count": 1, "total_cputime": 10, "total_time": 25}
    lim.record("a", clock.now, wall=1.5, cpu=0.1)
    assert lim.check("a").total_time == 100 and lim.check("a").exceeded
    clock.now += 61
    assert lim.check("a").as_header() == {"call_count": 0, "total_cputime": 0, "total_time": 0}
