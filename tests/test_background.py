"""``Snapshot[T]``, the one refreshing cache (screening knowledge, shared indicators), and
``OneAtATime``, its one-run-at-a-time primitive (the search index's catch-up uses it too):
a bounded first wait, rebuilds in the caller or the background by the last build's cost, one
build at a time under many threads, a failed build keeping the last good value, shutdown."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paidfor.background import OneAtATime, Snapshot


@dataclass
class Source:
    """A stand-in database: ``version`` is what a write bumps (the marker); a build reads it,
    optionally after ``delay`` seconds or held back until ``gate`` is set, and fails while
    ``failing`` is above 0."""

    version: int = 0
    delay: float = 0.0
    failing: int = 0
    gate: threading.Event | None = None
    builds: int = 0
    running: int = 0
    most_at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def marker(self) -> int:
        return self.version

    def build(self) -> int:
        with self.lock:
            self.builds += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                assert self.gate.wait(30), "the test never released the build"
            if self.delay:
                time.sleep(self.delay)
            with self.lock:
                if self.failing:
                    self.failing -= 1
                    raise RuntimeError("the database went away")
                return self.version
        finally:
            with self.lock:
                self.running -= 1


def snapshot(source: Source, **kw: Any) -> Snapshot[int]:
    return Snapshot(source.build, source.marker, name="paidfor-test-snapshot", **kw)


def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)


def test_the_first_caller_waits_a_bounded_time_then_gets_none() -> None:
    source = Source(gate=threading.Event())
    snap = snapshot(source, first_wait=0.2)
    started = time.monotonic()
    assert snap.get() is None
    assert 0.15 <= time.monotonic() - started < 2
    assert not snap.ready and snap.building
    assert snap.get(wait=0) is None and source.builds == 1  # the build under way, not another
    assert source.gate is not None
    source.gate.set()
    assert snap.wait_ready(10) and snap.get() == 0 and source.builds == 1


def test_warm_builds_in_the_background_once() -> None:
    source = Source(gate=threading.Event())
    snap = snapshot(source)
    snap.warm()
    snap.warm()
    until(lambda: source.builds == 1)
    assert {t.name for t in threading.enumerate()} >= {"paidfor-test-snapshot"}
    assert source.gate is not None
    source.gate.set()
    assert snap.wait_ready(10) and snap.peek() == 0
    snap.warm()  # a value is there: nothing more
    assert snap.get() == 0 and source.builds == 1


def test_a_quick_rebuild_runs_in_the_caller_who_reads_its_own_write() -> None:
    source = Source()
    snap = snapshot(source)
    assert snap.refresh_if_stale() == 0
    source.version = 1
    assert snap.get() == 1 and source.builds == 2
    assert snap.get() == 1 and source.builds == 2  # unchanged: no build


def test_a_slow_rebuild_runs_in_the_background_while_the_old_value_answers() -> None:
    source = Source(delay=0.3)
    snap = snapshot(source, inline_under=0.1)
    assert snap.refresh_if_stale() == 0
    source.version = 1
    started = time.monotonic()
    assert snap.get() == 0  # the old value, at once
    assert time.monotonic() - started < 0.2
    assert snap.get() == 0 and source.builds == 2  # the background build under way: no other
    until(lambda: snap.peek() == 1)
    assert source.builds == 2


def test_a_caller_that_must_see_a_change_waits_for_the_slow_rebuild() -> None:
    """``stale_wait``: after a write (an enforcement action), a slow rebuild still runs in the
    background, but the caller waits for it (a bounded time) instead of answering the value
    from before the write."""
    source = Source(delay=0.3)
    snap = snapshot(source, inline_under=0.1, stale_wait=10)
    assert snap.refresh_if_stale() == 0
    source.version = 1
    assert snap.get() == 1 and source.builds == 2
    # a build under way that read the marker before the caller's write is followed by another
    source.version, source.gate = 2, threading.Event()
    snap.put(1, 1)  # the value was built before the write, quickly, with the marker 1...
    snap.inline_under = 0.0  # ...but every build now counts as slow
    background = threading.Thread(target=snap.get)
    background.start()
    until(lambda: source.builds == 3)  # a build reading version 2 is held at the gate
    source.version = 3
    got: list[int | None] = []
    caller = threading.Thread(target=lambda: got.append(snap.get()))
    caller.start()
    source.gate.set()
    caller.join(10)
    background.join(10)
    assert got == [3] and source.builds == 4


def test_the_wait_for_a_slow_rebuild_is_bounded() -> None:
    source = Source(delay=0.3)
    snap = snapshot(source, inline_under=0.1, stale_wait=0.05)
    assert snap.refresh_if_stale() == 0
    source.gate = threading.Event()
    source.version = 1
    started = time.monotonic()
    assert snap.get() == 0  # the old value, once the wait is over
    assert 0.04 < time.monotonic() - started < 1
    source.gate.set()
    until(lambda: snap.peek() == 1)
    snap.close(timeout=10)
    source.version = 2
    started = time.monotonic()
    snap.stale_wait = 10
    assert snap.get() == 1 and time.monotonic() - started < 1  # closed: no build will come


def test_an_old_value_is_rebuilt_in_the_background() -> None:
    source = Source()
    snap = snapshot(source, max_age=0.05)
    assert snap.refresh_if_stale() == 0
    assert snap.get() == 0 and source.builds == 1
    time.sleep(0.1)
    source.gate = threading.Event()
    assert snap.get() == 0  # answered at once, the build goes behind it
    until(lambda: source.builds == 2)
    source.gate.set()
    until(lambda: not snap.building)
    assert snap.get() == 0 and source.builds == 2


def test_a_value_that_says_it_expired_is_rebuilt() -> None:
    source = Source()
    expired: set[int] = set()
    snap = snapshot(source, expired=lambda v: v in expired)
    assert snap.refresh_if_stale() == 0
    expired.add(0)
    source.version = 0  # the marker did not change
    assert snap.get() == 0 and source.builds == 2
    assert snap.refresh_if_stale() == 0 and source.builds == 3


def test_a_failed_first_build_ends_the_wait_and_the_next_caller_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = Source(failing=1)
    snap = snapshot(source, first_wait=5)
    started = time.monotonic()
    assert snap.get() is None
    assert time.monotonic() - started < 2  # not the whole wait: the build ended
    assert not snap.ready
    until(lambda: "failed; the next caller tries again" in caplog.text)
    assert snap.get() == 0 and snap.ready and source.builds == 2


def test_a_failed_rebuild_keeps_the_last_good_value(caplog: pytest.LogCaptureFixture) -> None:
    source = Source()
    snap = snapshot(source)
    assert snap.refresh_if_stale() == 0
    source.version, source.failing = 1, 1
    assert snap.get() == 0  # logged, and the last good value answers
    assert "paidfor-test-snapshot failed; the next caller tries again" in caplog.text
    assert snap.get() == 1 and source.builds == 3


def test_refresh_if_stale_raises_what_failed() -> None:
    source = Source()
    snap = snapshot(source)
    assert snap.refresh_if_stale() == 0
    source.version, source.failing = 1, 1
    with pytest.raises(RuntimeError, match="went away"):
        snap.refresh_if_stale()
    assert snap.peek() == 0 and snap.refresh_if_stale() == 1


def test_a_closed_snapshot_starts_nothing_and_shutdown_waits_for_the_build() -> None:
    source = Source(delay=0.3)
    snap = snapshot(source)
    snap.warm()
    until(lambda: source.builds == 1)
    assert snap.close(timeout=5)  # waited for the build under way
    assert snap.ready and not snap.building and snap.closed
    closed = snapshot(Source())
    assert closed.close(timeout=1)
    closed.warm()
    assert not closed.building and not closed.ready
    assert closed.get(wait=0.1) is None


def test_put_keeps_a_value_built_elsewhere() -> None:
    source = Source(version=3)
    snap = snapshot(source)
    snap.put(42, 3)
    assert snap.ready and snap.get() == 42 and source.builds == 0
    source.version = 4
    assert snap.get() == 4


def test_many_callers_after_a_write_share_one_build() -> None:
    source = Source(delay=0.05)
    snap = snapshot(source)
    assert snap.refresh_if_stale() == 0
    source.version = 1
    start = threading.Barrier(8)
    got: list[int | None] = []

    def call() -> None:
        start.wait(10)
        got.append(snap.get(wait=5))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got == [1] * 8
    assert source.most_at_once == 1 and source.builds == 2


def call(snap: Snapshot[int], got: list[int | None]) -> None:
    got.append(snap.get())


# One operation of a run: a write (the marker moves), callers at once, a failing build.
OPS = st.lists(
    st.one_of(
        st.just(("write", 0)),
        st.tuples(st.just("get"), st.integers(1, 4)),
        st.just(("fail", 0)),
        st.just(("refresh", 0)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_any_run_builds_one_at_a_time_and_never_answers_older_than_the_callers_writes(
    ops: list[tuple[str, int]],
) -> None:
    source = Source(delay=0.003)  # long enough for callers to meet
    snap = snapshot(source, first_wait=10)
    last = -1
    for op, n in ops:
        if op == "write":
            source.version += 1
        elif op == "fail":
            source.failing += 1
        elif op == "refresh":
            try:
                value = snap.refresh_if_stale()
            except RuntimeError:
                continue
            assert value == source.version
            last = value
        else:
            failing_before = source.failing
            written = source.version
            got: list[int | None] = []
            threads = [threading.Thread(target=call, args=(snap, got)) for _ in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert len(got) == n
            for value in got:
                if failing_before == 0:  # nothing failed: each caller sees its writes
                    assert value == written
                assert value is None or last <= value <= source.version
            last = max([last, *(v for v in got if v is not None)])
    assert source.most_at_once <= 1
    assert snap.close(timeout=10)


def test_one_at_a_time_gives_the_turn_to_one_caller() -> None:
    runs = OneAtATime("paidfor-test-turns")
    release = threading.Event()
    assert runs.start(release.wait, 10)
    assert runs.running and not runs.start(release.wait, 10)  # one goes already
    with runs.turn(wait=0.1) as mine:
        assert not mine
    release.set()
    with runs.turn(wait=5) as mine:
        assert mine and runs.running
        assert not runs.wait(timeout=0.05)
    assert runs.wait(timeout=0) and not runs.running
    assert runs.close(timeout=5) and not runs.start(release.wait, 10)


def test_one_at_a_time_ends_a_failed_run_and_a_failed_turn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = OneAtATime("paidfor-test-fails")

    def fail() -> None:
        raise RuntimeError("boom")

    assert runs.start(fail)
    assert runs.wait(timeout=5)
    until(lambda: "paidfor-test-fails failed; the next caller tries again" in caplog.text)
    with pytest.raises(RuntimeError), runs.turn(wait=None):
        fail()
    assert not runs.running and runs.start(lambda: None) and runs.wait(timeout=5)
