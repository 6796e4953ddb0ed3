"""``PAIDFOR_GC_STATS`` (``api.gcwatch``): a server process's collections, for the benchmarks;
nothing hooked on the collector without it."""

from __future__ import annotations

import gc
import json
import os
import signal
from pathlib import Path

from paidfor.interfaces.http.api.gcwatch import WRITE_SIGNAL, GcWatch, watch


def test_no_folder_hooks_nothing() -> None:
    before = list(gc.callbacks)
    assert watch(None) is None
    assert watch("") is None
    assert gc.callbacks == before


def test_full_collections_are_counted_timed_and_written_when_asked(tmp_path: Path) -> None:
    """Counted in memory; written when the process is asked (``SIGUSR1``, between two of a
    benchmark's runs), never by the collection itself: the write stalled the request that
    triggered it (tens of milliseconds in a busy server)."""
    before = signal.getsignal(WRITE_SIGNAL)
    found = watch(str(tmp_path / "gc"))
    try:
        assert isinstance(found, GcWatch) and found in gc.callbacks
        written = tmp_path / "gc" / found.path.name
        first = json.loads(written.read_text())
        start = first["collections"][2]
        assert first["on_signal"] is True  # a reader may send the signal
        gc.collect()
        gc.collect(0)
        assert json.loads(written.read_text())["collections"][2] == start  # not written yet
        os.kill(os.getpid(), WRITE_SIGNAL)  # the handler runs before the next line
        stats = json.loads(written.read_text())
        assert stats["collections"][2] == start + 1
        assert stats["full"][-1]["ms"] >= 0 and stats["max_ms"][2] >= stats["full"][-1]["ms"]
        assert stats["frozen"] == gc.get_freeze_count()
        assert found.counts[0] >= 1  # the young collection, counted in memory
    finally:
        gc.callbacks.remove(found)
        signal.signal(WRITE_SIGNAL, before)


def test_outside_the_main_thread_no_signal_is_taken_and_the_file_says_so(tmp_path: Path) -> None:
    """Python runs signal handlers in the main thread only: a watch installed elsewhere takes
    no signal, and its file says so, so that bench/search.py never sends one (its default
    action would end the server)."""
    import threading

    before = signal.getsignal(WRITE_SIGNAL)
    found: list[GcWatch | None] = []
    thread = threading.Thread(target=lambda: found.append(watch(str(tmp_path / "gc"))))
    thread.start()
    thread.join()
    try:
        assert found[0] is not None and not found[0].on_signal
        assert json.loads(found[0].path.read_text())["on_signal"] is False
        assert signal.getsignal(WRITE_SIGNAL) == before
    finally:
        if found and found[0] is not None:
            gc.callbacks.remove(found[0])
