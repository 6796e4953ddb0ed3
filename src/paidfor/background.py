"""Background work, and the one refreshing cache every loader uses.

``BackgroundWork`` starts daemon threads and, at the server's shutdown, refuses new ones and
waits for the running, so that none reads a database whose pool has been closed under it.

``OneAtATime`` lets one run of a job go at a time, inline in the caller or in a background
thread, behind one lock (a ``threading.Condition``): a caller asks for the turn and waits at
most a bounded time for it; a background run is not started while another run goes.

``Snapshot[T]`` is a value read from the database that is expensive to build (what screening
knows, the shared threat indicators), kept in memory and rebuilt when a cheap ``marker``
query says the database changed: the first build runs in the background (``warm``, at
start-up) and a caller waits for it at most a bounded time, then gets None; later a stale
value is rebuilt in the caller when the last build was quick, else in the background while
the old value answers. A build that fails keeps the last good value, and the next caller
tries again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger("paidfor")

T = TypeVar("T")


def time_left(deadline: float) -> float:
    """Seconds from now until ``deadline`` (a ``time.monotonic()`` value), never below 0: the
    timeout of each of several waits that share one budget."""
    return max(0.0, deadline - time.monotonic())


class BackgroundWork:
    """Starts build threads while open; ``close`` refuses new ones and waits for the running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def start(self, target: Callable[..., Any], *args: Any, name: str) -> bool:
        """Run ``target(*args)`` in a daemon thread; False (and nothing runs) once closed. An
        exception ends the thread with a log line: the next caller's build tries again."""

        def run() -> None:
            try:
                target(*args)
            except Exception:
                log.exception("%s failed; the next caller tries again", name)
            finally:
                with self._lock:
                    self._threads.discard(threading.current_thread())

        with self._lock:
            if self._closed:
                return False
            thread = threading.Thread(target=run, name=name, daemon=True)
            self._threads.add(thread)
        thread.start()
        return True

    def close(self, timeout: float) -> bool:
        """Start nothing more and wait up to ``timeout`` seconds for what runs; True when
        nothing runs any more."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
            running = list(self._threads)
        for thread in running:
            thread.join(time_left(deadline))
        return not any(t.is_alive() for t in running)


class OneAtATime:
    """One run of a job at a time, in the caller (``turn``) or in a background thread named
    ``name`` (``start``). ``lock`` is the one lock: its holders may keep their own state under
    it, and it is notified whenever a run ends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Condition()
        self._running = False
        self._work = BackgroundWork()

    @property
    def running(self) -> bool:
        return self._running

    @property
    def closed(self) -> bool:
        return self._work.closed

    def start(self, target: Callable[..., Any], *args: Any) -> bool:
        """Run ``target(*args)`` in a background thread, unless a run goes already or this is
        closed (then nothing starts: False). A failure is logged; the next caller tries
        again."""
        with self.lock:
            if self._running or self._work.closed:
                return False
            self._running = True

        def run() -> None:
            try:
                target(*args)
            finally:
                self._end()

        if not self._work.start(run, name=self.name):
            self._end()
            return False
        return True

    @contextlib.contextmanager
    def turn(self, wait: float | None) -> Iterator[bool]:
        """The turn to run, in this thread: yields True once no other run goes (waiting at
        most ``wait`` seconds, None: as long as it takes), else False after ``wait``."""
        with self.lock:
            mine = self.lock.wait_for(lambda: not self._running, timeout=wait)
            if mine:
                self._running = True
        if not mine:
            yield False
            return
        try:
            yield True
        finally:
            self._end()

    def _end(self) -> None:
        with self.lock:
            self._running = False
            self.lock.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the run that goes to end; True when none goes."""
        with self.lock:
            return self.lock.wait_for(lambda: not self._running, timeout=timeout)

    def close(self, timeout: float) -> bool:
        """Start no more background runs and wait up to ``timeout`` seconds for the running
        one (the server's shutdown, before it closes the database); True when none runs."""
        return self._work.close(timeout)


@dataclass(frozen=True)
class Built(Generic[T]):
    value: T
    marker: Hashable  # the marker read before the build
    asked: float  # when it was read (time.monotonic())
    at: float  # when the build ended
    cost: float  # seconds it took


class Snapshot(Generic[T]):
    """A value ``build`` reads from the database, kept and rebuilt when it is stale:

    - ``marker()`` (a cheap query, read before every build and on every ``get``) changed,
      or ``expired(value)`` says the value itself is out of date: rebuilt in the caller when
      the last build took under ``inline_under`` seconds (the caller reads its own writes),
      else in the background, the caller waiting for it at most ``stale_wait`` seconds
      before the old value answers (0: at once);
    - older than ``max_age`` seconds: rebuilt in the background.

    One build at a time (``OneAtATime``, thread ``name``); the first runs in the background
    (``warm``), and ``get`` waits for it at most ``first_wait`` seconds. A failed build keeps
    the last good value and is logged; the next caller tries again. ``ready`` once a build
    has succeeded. ``close`` starts no more background builds and waits for the running one.
    """

    def __init__(
        self,
        build: Callable[[], T],
        marker: Callable[[], Hashable],
        *,
        name: str,
        max_age: float | None = None,
        expired: Callable[[T], bool] | None = None,
        inline_under: float = 1.0,
        first_wait: float = 2.0,
        stale_wait: float = 0.0,
    ) -> None:
        self.build = build
        self.marker = marker
        self.max_age = max_age
        self.expired = expired
        self.inline_under = inline_under
        self.first_wait = first_wait
        self.stale_wait = stale_wait
        self._runs = OneAtATime(name)
        self._built: Built[T] | None = None
        self._ready = threading.Event()

    # -- state ------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """A build has succeeded (``/healthz``)."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def building(self) -> bool:
        return self._runs.running

    @property
    def closed(self) -> bool:
        return self._runs.closed

    def close(self, timeout: float = 30.0) -> bool:
        return self._runs.close(timeout)

    def peek(self) -> T | None:
        """The value as it is, without a query."""
        with self._runs.lock:
            return None if self._built is None else self._built.value

    def put(self, value: T, marker: Hashable) -> None:
        """Keep ``value``, built elsewhere for ``marker`` (a benchmark's prepared value)."""
        now = time.monotonic()
        self._keep(Built(value, marker, now, now, 0.0))

    def _keep(self, built: Built[T]) -> None:
        with self._runs.lock:
            self._built = built
        self._ready.set()

    # -- building ---------------------------------------------------------------------------

    def _build(self, marked: tuple[Hashable, float] | None = None) -> Built[T]:
        """A build, with the turn held by the caller; ``marked``: the marker and when it was
        read, when the caller has read it already."""
        started = time.monotonic()
        marker, asked = marked if marked is not None else (self.marker(), started)
        value = self.build()
        ended = time.monotonic()
        built = Built(value, marker, asked, ended, ended - started)
        self._keep(built)
        return built

    def warm(self) -> None:
        """Start the first build in the background, unless there is a value or a build goes
        (the server does at start-up, so that no request pays for it)."""
        with self._runs.lock:
            if self._built is not None:
                return
        self._runs.start(self._build)

    def _fresh(self, built: Built[T], marker: Hashable, asked: float) -> bool:
        """Whether ``built`` answers a caller that read ``marker`` at ``asked``."""
        if built.asked >= asked:  # built from a marker read after the caller's
            return True
        return built.marker == marker and not (self.expired and self.expired(built.value))

    def get(self, wait: float | None = None) -> T | None:
        """The value to use. Before the first build ends, this starts it (``warm``) and waits
        for it at most ``wait`` seconds (default ``first_wait``), then answers None. A stale
        value is rebuilt here when the last build was quick (waiting at most ``wait`` for a
        build under way, then answering the old value), else in the background."""
        wait = self.first_wait if wait is None else wait
        asked = time.monotonic()
        marker = self.marker()
        with self._runs.lock:
            built = self._built
        if built is None:
            self.warm()
            with self._runs.lock:
                self._runs.lock.wait_for(
                    lambda: self._built is not None or not self._runs.running, timeout=wait
                )
                return None if self._built is None else self._built.value
        if self._fresh(built, marker, asked):
            if self.max_age is not None and asked - built.at > self.max_age:
                self._runs.start(self._build)
            return built.value
        if built.cost >= self.inline_under:
            return self._rebuilt_behind(built, marker, asked)
        with self._runs.turn(wait) as mine:
            with self._runs.lock:
                built = self._built or built
            # another build went and has not ended within ``wait``, or built what this
            # caller needs while it waited
            if not mine or self._fresh(built, marker, asked):
                return built.value
            try:
                return self._build((marker, asked)).value
            except Exception:
                log.exception("%s failed; the next caller tries again", self._runs.name)
                return built.value

    def _rebuilt_behind(self, built: Built[T], marker: Hashable, asked: float) -> T:
        """A stale value's rebuild in the background (unless one goes already), the caller
        waiting at most ``stale_wait`` seconds for a value that answers it; a build under way
        that started before the caller's marker was read is followed by another. Then the
        newest value, fresh or not."""
        deadline = asked + self.stale_wait
        last = built

        def answers() -> bool:
            return not self._runs.running or self._fresh(self._built or last, marker, asked)

        while True:
            self._runs.start(self._build)
            with self._runs.lock:
                self._runs.lock.wait_for(answers, timeout=time_left(deadline))
                built = self._built or built
                if self._fresh(built, marker, asked) or time_left(deadline) <= 0:
                    return built.value
                if self._runs.closed:  # shutting down: no build will come
                    return built.value

    def refresh_if_stale(self) -> T:
        """The newest value: rebuilt here now if the marker changed or the value expired
        (after a build under way ends); a failed build raises (commands and tests that
        must see their own writes)."""
        asked = time.monotonic()
        marker = self.marker()
        with self._runs.turn(None):
            with self._runs.lock:
                built = self._built
            if built is not None and self._fresh(built, marker, asked):
                return built.value
            return self._build((marker, asked)).value
