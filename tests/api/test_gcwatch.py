"""``PAIDFOR_GC_STATS`` (``api.gcwatch``): a server process's collections, for the benchmarks;
nothing hooked on the collector without it."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from paidfor.interfaces.http.api.gcwatch import GcWatch, watch


def test_no_folder_hooks_nothing() -> None:
    before = list(gc.callbacks)
    assert watch(None) is None
    assert watch("") is None
    assert gc.callbacks == before


def test_full_collections_are_counted_timed_and_written(tmp_path: Path) -> None:
    found = watch(str(tmp_path / "gc"))
    try:
        assert isinstance(found, GcWatch) and found in gc.callbacks
        written = tmp_path / "gc" / found.path.name
        start = json.loads(written.read_text())["collections"][2]
        gc.collect()
        gc.collect(0)
        stats = json.loads(written.read_text())  # written after each full collection
        assert stats["collections"][2] == start + 1
        assert stats["full"][-1]["ms"] >= 0 and stats["max_ms"][2] >= stats["full"][-1]["ms"]
        assert stats["frozen"] == gc.get_freeze_count()
        assert found.counts[0] >= 1  # the young collection, counted in memory
    finally:
        gc.callbacks.remove(found)
