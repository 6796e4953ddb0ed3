"""The sliding-window limiter behind ads_archive's X-App-Usage and error code 4, and the
public routes' 429s; in one process's memory and in the SQLite file a server's workers
share."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from paidfor.interfaces.http.api.ratelimit import SlidingWindowLimiter
from paidfor.interfaces.http.api.ratelimit_store import (
    MemoryWindows,
    SqliteWindows,
    Windows,
    default_store_path,
    open_windows,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Windows:
    if request.param == "memory":
        return MemoryWindows()
    return SqliteWindows(tmp_path / "limits.ratelimit")


def test_window_slides_and_clients_are_separate(store: Windows) -> None:
    clock = Clock()
    lim = SlidingWindowLimiter(limit=4, window=60, time_budget=10, store=store, clock=clock)
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


def test_time_budget_counts_wall_and_cpu_time(store: Windows) -> None:
    clock = Clock()
    lim = SlidingWindowLimiter(limit=100, window=60, time_budget=2.0, store=store, clock=clock)
    usage = lim.record("a", clock.now, wall=0.5, cpu=0.2)
    assert usage.as_header() == {"call_count": 1, "total_cputime": 10, "total_time": 25}
    lim.record("a", clock.now, wall=1.5, cpu=0.1)
    assert lim.check("a").total_time == 100 and lim.check("a").exceeded
    clock.now += 61
    assert lim.check("a").as_header() == {"call_count": 0, "total_cputime": 0, "total_time": 0}


def test_admit_counts_at_the_start_refuses_past_the_limit_and_says_when(store: Windows) -> None:
    clock = Clock()
    lim = SlidingWindowLimiter(limit=2, window=60, time_budget=10, store=store, clock=clock)
    first = lim.admit("a")
    assert first.admitted and first.usage.call_count == 50
    clock.now += 15
    second = lim.admit("a")  # the first has not finished: it counts already
    assert second.admitted and second.usage.call_count == 100
    lim.finish(first.entry, wall=4.0)
    lim.finish(second.entry, wall=1.0)
    refused = lim.admit("a")
    assert not refused.admitted and refused.entry is None
    assert refused.usage.as_header() == {"call_count": 100, "total_cputime": 0, "total_time": 50}
    assert refused.retry_after == 45  # the first call (at 1000) leaves at 1060
    assert lim.check("a").call_count == 100  # the refused call is not counted
    clock.now = 1060.5
    assert lim.admit("a").admitted


def test_limits_with_other_names_in_one_store_are_apart(store: Windows) -> None:
    clock = Clock()
    search = SlidingWindowLimiter(1, 60, 10, name="search", store=store, clock=clock)
    downloads = SlidingWindowLimiter(1, 60, 10, name="download", store=store, clock=clock)
    assert search.admit("a").admitted
    assert not search.admit("a").admitted
    assert downloads.admit("a").admitted


def test_two_workers_over_one_file_share_one_budget(tmp_path: Path) -> None:
    """Two limiters, each with its own connection to the file, as two worker processes
    have: the client's calls through either count against one budget."""
    clock = Clock()
    path = tmp_path / "paidfor.db.ratelimit"
    one = SlidingWindowLimiter(4, 60, 10, name="search", store=SqliteWindows(path), clock=clock)
    two = SlidingWindowLimiter(4, 60, 10, name="search", store=SqliteWindows(path), clock=clock)
    assert [one.admit("a").admitted, two.admit("a").admitted] == [True, True]
    assert [one.admit("a").admitted, two.admit("a").admitted] == [True, True]
    assert not one.admit("a").admitted and not two.admit("a").admitted
    assert one.check("a").call_count == two.check("a").call_count == 100
    assert two.admit("b").admitted  # another client has a budget of its own
    assert path.stat().st_mode & 0o077 == 0  # client addresses: the owner's only


def _spend(path: str, start: Any, calls: int, out: Any) -> None:
    store = SqliteWindows(Path(path))
    lim = SlidingWindowLimiter(50, 60, 1000, name="search", store=store)
    start.wait(30)
    admitted = 0
    for _ in range(calls):
        admission = lim.admit("203.0.113.7")
        admitted += admission.admitted
        lim.finish(admission.entry, 0.001)
    store.close()
    out.put(admitted)


def test_worker_processes_share_the_budget(tmp_path: Path) -> None:
    """Two real processes (spawned, as uvicorn's workers are) asking at once: 50 of their
    80 calls are let through, not 50 each."""
    path = str(tmp_path / "paidfor.db.ratelimit")
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    workers = [ctx.Process(target=_spend, args=(path, start, 40, out)) for _ in range(2)]
    for w in workers:
        w.start()
    start.set()
    admitted = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    assert sum(admitted) == 50, admitted
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM calls").fetchone() == (50,)


def test_a_store_that_cannot_be_opened_lets_calls_through(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the store's folder should be")
    lim = SlidingWindowLimiter(1, 60, 10, store=SqliteWindows(blocked / "x.ratelimit"))
    assert all(lim.admit("a").admitted for _ in range(3))  # fails open, uncounted
    assert lim.check("a").call_count == 0
    assert "rate-limit store" in caplog.text and "let through" in caplog.text
    assert caplog.text.count("rate-limit store") == 1  # one line, not one a call


def test_the_store_lives_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "paidfor.db"
    assert default_store_path(f"sqlite:///{db}") == Path(f"{db}.ratelimit")
    assert default_store_path("sqlite://") is None
    assert default_store_path("sqlite:///:memory:") is None
    pg = default_store_path("postgresql://u@db/paidfor")
    assert pg is not None and pg.parent == Path.home() / ".cache" / "paidfor"
    assert isinstance(open_windows(f"sqlite:///{db}", None), SqliteWindows)
    assert isinstance(open_windows(f"sqlite:///{db}", "memory"), MemoryWindows)
    assert isinstance(open_windows("sqlite://", None), MemoryWindows)
    chosen = open_windows(f"sqlite:///{db}", str(tmp_path / "elsewhere.db"))
    assert isinstance(chosen, SqliteWindows) and chosen.path == tmp_path / "elsewhere.db"
