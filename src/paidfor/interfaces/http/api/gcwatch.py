"""What the garbage collector does in a server process, for the benchmarks (``bench/search.py``):
off unless ``Settings.gc_stats`` (``PAIDFOR_GC_STATS``) names a folder.

A ``gc.callbacks`` hook times every collection in memory. The totals go to ``gc-PID.json`` in
that folder (one file a worker process) when the process is sent ``SIGUSR1`` (what
``bench/search.py`` does between two runs, when no request is in flight) and when it ends, as
one JSON object (replaced whole, so a reader never sees half of it): per generation the
number of collections and their summed and longest pauses in milliseconds, the pauses of the
full ones, what they found, how many objects ``gc.freeze`` keeps out of them, and when it was
written.

The hook once wrote the file after each full collection, inside the request that triggered
it: counting the frozen objects (1.5 ms for 300,000) and the file's writes, each of which let
the server's other threads take the interpreter for up to a switch interval, stalled that
request 45-90 ms every 117 of a funder's searches at 1,000,000 ads. The instrument made the
p99 it reported (issue 22).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

#: The full collections whose pause is kept one by one (the latest).
KEEP = 200


class GcWatch:
    """Counts and times the collections of this process; ``write`` puts the totals in
    ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.counts = [0, 0, 0]
        self.pause_ms = [0.0, 0.0, 0.0]
        self.max_ms = [0.0, 0.0, 0.0]
        self.full: list[dict[str, Any]] = []
        self._started = 0.0
        self._lock = threading.Lock()
        self.on_signal = False  # whether WRITE_SIGNAL asks for a write (``watch``)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        gen = int(info.get("generation", 0))
        self.counts[gen] += 1
        self.pause_ms[gen] += ms
        self.max_ms[gen] = max(self.max_ms[gen], ms)
        if gen == 2:
            self.full.append(
                {"ms": round(ms, 3), "collected": info.get("collected", 0), "at": time.time()}
            )
            del self.full[:-KEEP]

    def totals(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "collections": list(self.counts),
            "pause_ms": [round(v, 3) for v in self.pause_ms],
            "max_ms": [round(v, 3) for v in self.max_ms],
            "full": list(self.full),
            "frozen": gc.get_freeze_count(),
            "threshold": list(gc.get_threshold()),
            "written": time.time(),
            "on_signal": self.on_signal,
        }

    def write(self) -> None:
        """The totals into ``path``; a file that cannot be written is left as it was (the
        collector's hook never fails a request)."""
        with self._lock, contextlib.suppress(OSError):
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(json.dumps(self.totals()))
            os.replace(tmp, self.path)


#: The signal that asks a watched process to write its totals now.
WRITE_SIGNAL = signal.SIGUSR1


def watch(folder: str | None) -> GcWatch | None:
    """Install a ``GcWatch`` writing ``gc-PID.json`` in ``folder`` now, on ``WRITE_SIGNAL``
    and at exit (None: nothing, the default). Called in a process's main thread (a server
    worker's app factory), which is where Python runs signal handlers."""
    if not folder:
        return None
    target = Path(folder).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    found = GcWatch(target / f"gc-{os.getpid()}.json")
    gc.callbacks.append(found)
    if threading.current_thread() is threading.main_thread():
        signal.signal(WRITE_SIGNAL, lambda _signum, _frame: found.write())
        found.on_signal = True  # a reader may send it: the default action would end us
    found.write()
    atexit.register(found.write)
    return found
