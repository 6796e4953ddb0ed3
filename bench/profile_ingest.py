"""Where an imported ad's time goes: each stage of a native import run on its own, in one
process, timed in CPU seconds (``time.process_time``: every thread of this process, so
tantivy's indexing threads count; other work on a shared machine does not).

    .venv/bin/python bench/profile_ingest.py --ads 100000

Stages, over the same ``bench/generate.py`` file (cached in ``bench/work/``):

* reading the lines; ``orjson.loads``;
* the long way to a row (``ad_from_json``, ``unlinked``, ``prepare_ad`` with its hash of the
  values, the NUL check) against the short way (``ingest.native_rows.ad_row``);
* the line's hash and key (what a re-import reads instead of the JSON);
* writing the rows with ``BatchWriter`` into a fresh SQLite file: with the FTS5 triggers and
  the read indexes in place (row by row) and without them, then building them in bulk
  (``storage.bulk.ensure_indexes``: four B-trees and FTS5's ``rebuild``);
* building the tantivy index from the written rows (``AdIndex.sync``);
* looking up the stored hashes of every line (a re-import's only database work).

Prints a table of microseconds an ad and writes ``bench/results/profile_ingest.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
sys.path.insert(0, str(ROOT / "bench"))

from ingest import code_version, data_file  # noqa: E402

from paidfor.domain.money import default_rates  # noqa: E402
from paidfor.domain.serialize import ad_from_json  # noqa: E402
from paidfor.ingest.base import holds_nul  # noqa: E402
from paidfor.ingest.native_rows import ad_row, line_hash, line_key  # noqa: E402
from paidfor.ingest.pipeline import unlinked  # noqa: E402
from paidfor.library.index_store import AdIndex  # noqa: E402
from paidfor.storage import bulk  # noqa: E402
from paidfor.storage.db import open_database  # noqa: E402
from paidfor.storage.prepare import PreparedAd, prepare_ad  # noqa: E402
from paidfor.storage.writer import BatchWriter, stored_hashes  # noqa: E402


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    out = fn()
    return time.process_time() - started, out


def _fresh(path: Path) -> Any:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{path}.index", ignore_errors=True)
    return open_database(f"sqlite:///{path}")


def _write(engine: Any, rows: list[PreparedAd], batch: int = 2000) -> None:
    writer = BatchWriter(engine)
    for start in range(0, len(rows), batch):
        writer.write(rows[start : start + batch])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/profile_ingest.json")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    path, _ = data_file(args.ads, args.seed, 1800.0)
    gc.disable()  # as the importer does
    load = [round(os.getloadavg()[0], 2)]
    stages: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        seconds, out = cpu(fn)
        stages[name] = seconds
        print(f"  {name:58s} {seconds * 1e6 / args.ads:8.1f} µs/ad", flush=True)
        return out

    def read() -> list[bytes]:
        with open(path, "rb") as f:
            return list(islice(f, args.ads))

    lines = stage("read the lines", read)
    objs = stage("orjson.loads", lambda: [orjson.loads(raw) for raw in lines])
    rates = default_rates()

    def long_way() -> list[PreparedAd]:
        out = []
        for obj in objs:
            ad = ad_from_json(obj)
            d = ad.delivery
            if d.spend is not None and d.spend_usd is None and d.currency:
                day = ad.started_at
                d.spend_usd = rates.to_usd(d.spend, d.currency, day.date() if day else None)
            unlinked(ad)
            prepared = prepare_ad(ad)
            holds_nul(prepared)
            out.append(prepared)
        return out

    stage("long way: ad_from_json + unlinked + prepare_ad + NUL check", long_way)

    def short_way() -> list[PreparedAd]:
        return [ad_row(obj, line_hash(raw), rates)[0] for obj, raw in zip(objs, lines, strict=True)]

    rows = stage("short way: native_rows.ad_row (line hash included)", short_way)
    stage(
        "line hash and key only (a re-import's parsing)",
        lambda: [(line_key(raw), line_hash(raw)) for raw in lines],
    )
    objs.clear()

    db = WORK / "profile.db"
    engine = _fresh(db)
    stage("write, FTS5 triggers and read indexes in place", lambda: _write(engine, rows))
    engine.dispose()
    engine = _fresh(db)
    bulk.drop_indexes(engine)
    bulk.drop_fts_triggers(engine)
    stage("write, FTS5 triggers and read indexes set aside", lambda: _write(engine, rows))
    stage(
        "build them in bulk (B-trees, FTS5 rebuild, ANALYZE)", lambda: bulk.ensure_indexes(engine)
    )
    index = AdIndex(Path(f"{db}.index"), engine, shards=2)
    stage("tantivy: build the index from the written rows", lambda: index.sync(full=True))
    keys = [r.key for r in rows]

    def probe() -> None:
        with engine.connect() as conn:
            for chunk in _chunks(keys, 1000):
                stored_hashes(conn, chunk)

    stage("look up every line's stored hash (1,000 keys a query)", probe)
    index.close(5.0)
    engine.dispose()
    load.append(round(os.getloadavg()[0], 2))
    result = {
        "benchmark": "profile_ingest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "code": code_version(),
        "ads": args.ads,
        "load_avg": load,
        "cpu_us_per_ad": {k: round(v * 1e6 / args.ads, 1) for k, v in stages.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average {load[0]} -> {load[1]}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
