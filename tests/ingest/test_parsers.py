"""A first load parses in several processes (issue 22): each reads its share of every file's
lines (``ingest.base.Share``: blocks of lines dealt out in turn) and the writer merges their
blocks back into the file's order. Whatever the lines (blank runs longer than a block, bad
records, a key repeated across blocks, several files), the merged events are exactly those of
one parser, and the database holds what one parser gives it."""

from __future__ import annotations

import gc
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from paidfor.ingest import pipeline
from paidfor.ingest.base import Share, file_lines
from paidfor.ingest.hpsci_ira import HpsciIra
from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import _parallel_events, events, parsers_for, run_import
from paidfor.storage.db import make_engine, migrate
from paidfor.storage.models import AdRow, PageRow


def ad_line(i: int, key: int | None = None, text: str = "vote") -> str:
    return json.dumps(
        {
            "kind": "ad",
            "source": "share",
            "external_id": f"s{i if key is None else key}",
            "creative": {"bodies": [f"{text} {i}"], "landing_url": "ftp://x.example/"},
            "page": {"name": f"Page {i % 5}"},
            "funder": {"name": f"Funder {i % 3}"},
            "status": "approved",
            "delivery": {"currency": "USD", "spend": f"{i}.00"},
            "created_at": "2024-03-01T10:00:00+00:00",
        }
    )


def messy_file(path: Path, seed: int, lines: int) -> Path:
    """Ads, with runs of blank lines (some longer than a block), unreadable records, a NUL,
    records that are not ads' and keys that come again further down."""
    rng = random.Random(seed)
    out: list[str] = []
    i = 0
    while len(out) < lines:
        roll = rng.random()
        if roll < 0.05:
            out.extend([""] * rng.randint(1, 12))
        elif roll < 0.09:
            out.append(rng.choice(["{not json", "[1, 2]", '{"kind": "ad", "source": "share"}']))
        elif roll < 0.10:
            out.append(ad_line(i, text="nul \u0000 here"))
        elif roll < 0.16 and i:
            out.append(ad_line(i, key=rng.randrange(i), text="again"))
        else:
            out.append(ad_line(i))
        i += 1
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def without_progress(stream: Any) -> list[Any]:
    return [e for e in stream if e[0] != "progress"]


@pytest.mark.parametrize(("parsers", "block"), [(2, 1), (2, 7), (3, 4), (4, 500)])
def test_merged_shares_are_the_events_of_one_parser(
    tmp_path: Path, parsers: int, block: int
) -> None:
    files = [messy_file(tmp_path / f"f{n}.jsonl", seed=n, lines=n * 40) for n in (1, 2, 3)]
    files.insert(1, tmp_path / "empty.jsonl")
    files[1].write_text("\n\n", encoding="utf-8")
    want = without_progress(events(Native(), files, "sqlite"))
    got = without_progress(_parallel_events(Native(), files, "sqlite", None, parsers, block))
    assert got == want
    kinds = {e[0] for e in want}
    assert {"file", "row", "error", "warning"} <= kinds  # the files hold every kind of event


def test_a_share_reads_its_blocks_only(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(f"{n}\n" if n % 4 else "\n" for n in range(1, 31)), encoding="utf-8")
    seen = [[n for n, _ in file_lines(path, share=Share(k, 3, 5))] for k in range(3)]
    assert seen[0] == [1, 2, 3, 5, 17, 18, 19]
    assert seen[1] == [6, 7, 9, 10, 21, 22, 23, 25]
    assert seen[2] == [11, 13, 14, 15, 26, 27, 29, 30]
    assert sorted(n for part in seen for n in part) == [n for n, _ in file_lines(path)]


def test_only_a_first_load_of_rows_is_shared() -> None:
    assert parsers_for(Native(), probing=False) >= 2
    assert parsers_for(Native(), probing=True) == 1  # a line's fate depends on earlier ones
    assert parsers_for(HpsciIra(), probing=False) == 1  # not read line by line into rows
    with pytest.raises(ValueError, match="share"):
        list(Native().rows(Path("x"), known=lambda keys: {}, share=Share(0, 2)))


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        ads = conn.execute(
            select(AdRow.external_id, AdRow.search_text, AdRow.spend_cents, PageRow.name)
            .join(PageRow, AdRow.page_id == PageRow.id)
            .order_by(AdRow.external_id)
        )
        return [tuple(r) for r in ads]


def test_a_shared_first_load_stores_what_one_parser_stores(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through run_import on SQLite and PostgreSQL: the same report (counts, bad lines named,
    warnings) and the same rows as a serial import into a second database."""
    files = [messy_file(tmp_path / f"f{n}.jsonl", seed=10 + n, lines=700) for n in (1, 2)]
    used: list[int] = []

    def counted(source: Any, probing: bool) -> int:
        used.append(parsers_for(source, probing))
        return used[-1]

    monkeypatch.setattr(pipeline, "parsers_for", counted)
    shared = run_import(engine, Native(), files, parallel=True, batch_size=97)
    assert used and used[0] >= 2
    serial_engine = make_engine(f"sqlite:///{tmp_path / 'serial.db'}")
    migrate(serial_engine)
    try:
        serial = run_import(serial_engine, Native(), files, parallel=False, batch_size=97)
        assert shared.counts == serial.counts and shared.rows == serial.rows
        assert shared.errors == serial.errors and shared.warnings == serial.warnings
        assert len(shared.errors) > 20 and shared.counts.inserted > 500
        assert stored(engine) == stored(serial_engine)
    finally:
        serial_engine.dispose()


@pytest.mark.parametrize("threads", [0, 1], ids=["forked", "spawned"])
def test_a_parser_does_not_run_the_parents_main_script_again(tmp_path: Path, threads: int) -> None:
    """``spawn`` runs the parent's main script again in each child unless told otherwise; the
    ``paidfor`` command's script imports the whole command line (about a second of a parser's
    start-up). A script that notes each run of itself starts two parsers: it runs once, and
    the parsers give every row, forked (the script runs one thread) or spawned (a thread of
    its own is running: ``pipeline.start_method``)."""
    data = tmp_path / "ads.jsonl"
    data.write_text("".join(ad_line(i) + "\n" for i in range(30)), encoding="utf-8")
    runs = tmp_path / "runs.txt"
    script = tmp_path / "main_script"  # no .py, as a console script
    script.write_text(
        "import sys, threading\n"
        f"open({str(runs)!r}, 'a').write(__name__ + '\\n')\n"
        "from pathlib import Path\n"
        "from paidfor.ingest.native import Native\n"
        "from paidfor.ingest.pipeline import _parallel_events, start_method\n"
        "if __name__ == '__main__':\n"
        "    stop = threading.Event()\n"
        f"    for _ in range({threads}):\n"
        "        threading.Thread(target=stop.wait, daemon=True).start()\n"
        "    print(start_method())\n"
        f"    got = list(_parallel_events(Native(), [Path({str(data)!r})], 'sqlite', None, 2))\n"
        "    print(sum(1 for e in got if e[0] == 'row'))\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    method, rows = done.stdout.split()
    assert rows == "30"
    assert method == ("spawn" if threads or not sys.platform.startswith("linux") else "fork")
    assert runs.read_text(encoding="utf-8").split() == ["__main__"]


def test_the_command_line_forks_its_parsers(tmp_path: Path) -> None:
    """``paidfor import`` starts its progress bar's thread only once the parsers have
    started, so that they fork (no second of start-up each): the bar (shown here on a
    terminal the test fakes) has not started when they do."""
    data = tmp_path / "ads.jsonl"
    data.write_text("".join(ad_line(i) + "\n" for i in range(3000)), encoding="utf-8")
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\n"
        "import paidfor.ingest.pipeline as p\n"
        "chosen = []\n"
        "real = p.start_method\n"
        "def recorded():\n"
        "    chosen.append(real())\n"
        "    return chosen[-1]\n"
        "p.start_method = recorded\n"
        "from paidfor.interfaces.cli import main as cli\n"
        "assert cli.err.is_terminal  # FORCE_COLOR: the bar is shown, with its thread\n"
        "sys.argv = ['paidfor', 'import', 'native', '--parallel', sys.argv[1]]\n"
        "try:\n"
        "    cli.main()\n"
        "finally:\n"
        "    print('started:', *chosen, file=sys.stderr)\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PAIDFOR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "FORCE_COLOR": "1"}  # fmt: skip
    done = subprocess.run([sys.executable, str(probe), str(data)], capture_output=True,
                          text=True, timeout=300, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    expected = "fork" if sys.platform.startswith("linux") else "spawn"
    assert f"started: {expected}" in done.stderr, done.stderr[-2000:]
    assert "imported 3,000 rows" in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout)


def test_the_collector_waits_for_the_search_index_catch_up(engine: Engine, tmp_path: Path) -> None:
    """The catch-up beside the index build makes a document of every row read back: it runs
    with the cyclic collector still off, as the load did, and the collector is on again after
    (also when the import fails)."""
    data = tmp_path / "ads.jsonl"
    data.write_text("".join(ad_line(i) + "\n" for i in range(20)), encoding="utf-8")
    seen: list[bool] = []
    assert gc.isenabled()
    run_import(engine, Native(), [data], defer_indexes=True, parallel=False,
               alongside_indexes=lambda report: seen.append(gc.isenabled()))  # fmt: skip
    assert seen == [False] and gc.isenabled()

    def fail(report: Any) -> None:
        raise RuntimeError("the catch-up failed")

    with pytest.raises(RuntimeError, match="catch-up"):
        run_import(engine, Native(), [data], defer_indexes=True, parallel=False,
                   alongside_indexes=fail)  # fmt: skip
    assert gc.isenabled()
