"""The background builds of one loader (the screening knowledge, the shared indicators), so
that the server's shutdown can wait for them before it closes the database under them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("paidfor")


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
