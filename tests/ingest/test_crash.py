"""SIGKILL in the middle of an import, then the import again: the totals are exactly right."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from paidfor.storage.bulk import missing
from paidfor.storage.db import make_engine
from paidfor.storage.models import AdRow, ImportRunRow

from conftest import IRA_CLEAN

COPIES = 4


def _big_file(tmp_path: Path) -> Path:
    """The clean IRA file four times over, each copy under new Ad IDs."""
    out = tmp_path / "ira_x4.csv"
    with open(IRA_CLEAN, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        for copy in range(COPIES):
            for row in rows:
                ad_id = row["Ad_ID"].split()[0]
                w.writerow({**row, "Ad_ID": f"{copy}{int(ad_id):05d}"})
    return out


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment carries ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if marker.encode() in environ and state != "Z":
            found.append(int(proc.name))
    return found


def _count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count(AdRow.id))).scalar_one())
    finally:
        engine.dispose()


def _cli(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "paidfor", *args]


def _runs(url: str) -> list[tuple[int, str, bool, int]]:
    """The import runs: (id, status, finished, ads that name it)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            named = dict(
                conn.execute(
                    select(AdRow.import_run_id, func.count()).group_by(AdRow.import_run_id)
                ).all()
            )
            return [
                (r.id, r.status, r.finished_at is not None, int(named.get(r.id, 0)))
                for r in conn.execute(select(ImportRunRow).order_by(ImportRunRow.id))
            ]
    finally:
        engine.dispose()


def _missing(url: str) -> list[str]:
    """What a deferred import sets aside (``bulk.missing``), missing."""
    engine = make_engine(url)
    try:
        return missing(engine)
    finally:
        engine.dispose()


def _kill_a_third_of_the_way(
    cmd: list[str], env: dict[str, str], db_url: str, total: int, marker: str
) -> None:
    """Run the import ``cmd`` and SIGKILL it once a third of ``total`` ads are in (again, up
    to three times, should a very fast machine finish first); then no process of the killed
    import lingers (the parsing process notices and exits)."""
    killed_at = None
    for _attempt in range(3):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            n = _count(db_url)
            if n >= total // 3:
                proc.send_signal(signal.SIGKILL)
                killed_at = n
                break
            time.sleep(0.01)
        proc.wait(timeout=60)
        if killed_at is not None and proc.returncode == -signal.SIGKILL:
            break
    assert killed_at is not None, "the import finished before it could be killed"
    deadline = time.monotonic() + 15
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(marker) == []


@pytest.mark.parametrize(
    "mode", [("--no-parallel",), ("--parallel",), ("--parallel", "--defer-indexes")]
)
def test_sigkill_mid_import_then_reimport_gives_exact_totals(
    db_url: str, tmp_path: Path, mode: tuple[str, ...]
) -> None:
    big = _big_file(tmp_path)
    marker = f"paidfor-crash-{uuid.uuid4().hex}"
    env = {**os.environ, "PAIDFOR_DATABASE_URL": db_url, "PAIDFOR_TEST_MARKER": marker}
    total = 3517 * COPIES
    cmd = _cli(db_url, "import", "hpsci-ira", str(big), "--batch-size", "150", *mode)

    _kill_a_third_of_the_way(cmd, env, db_url, total, marker)
    after_kill = _count(db_url)
    assert 0 < after_kill < total  # a part landed; no batch is half-written (checked below)
    assert after_kill % 150 == 0 or after_kill == total
    # the killed import's run never finished, and names every ad it wrote (provenance)
    killed = _runs(db_url)
    assert [(status, done, n) for _, status, done, n in killed][-1] == (
        "running", False, after_kill,
    )  # fmt: skip
    deferred = "--defer-indexes" in mode
    # the killed import had set the read indexes aside; they stay missing until a command runs
    assert bool(_missing(db_url)) == deferred

    done = subprocess.run(
        [*cmd, "--json"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["inserted"] == total - after_kill
    assert report["unchanged"] == after_kill
    # the ads the killed run wrote keep it (the re-import found them unchanged); the new
    # run finished and names the rest
    *_, (killed_id, _, _, kept), (run_id, status, done, named) = _runs(db_url)
    assert killed_id == killed[-1][0] and kept == after_kill
    assert (run_id, status, done, named) == (report["import_runs"][0], "done", True,
                                             total - after_kill)  # fmt: skip

    stats = subprocess.run(
        _cli(db_url, "stats", "--json"), env=env, capture_output=True, text=True, check=True
    )
    s = json.loads(stats.stdout)
    assert _missing(db_url) == []  # every command opens the database and mends them
    assert report["indexes_deferred"] == deferred
    assert s["ads"] == total
    assert s["impressions"] == 40547551 * COPIES
    assert round(s["spend"]["RUB"], 2) == round(5869167.30 * COPIES, 2)


def _native_file(tmp_path: Path, n: int) -> Path:
    """``n`` public ads in paidfor's own format, every one with the word "zebra"."""
    out = tmp_path / "ads.jsonl"
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            record = {"kind": "ad", "source": "crash", "external_id": f"c{i:06d}",
                      "creative": {"bodies": [f"zebra crossing {i} " + "vote " * 40],
                                   "landing_url": f"https://site{i % 97}.example/x"},
                      "page": {"name": f"Page {i % 300}", "url": "https://www.facebook.com/p"},
                      "funder": {"name": f"Funder {i % 50}"}, "status": "approved",
                      "delivery": {"currency": "USD", "spend": "12.50", "impressions": 100},
                      "created_at": "2024-03-01T10:00:00+00:00"}  # fmt: skip
            f.write(json.dumps(record) + "\n")
    return out


def test_sigkill_mid_native_first_load_then_reimport_leaves_search_agreeing(
    db_url: str, tmp_path: Path
) -> None:
    """The short way of a first load (rows straight from lines, FTS5 triggers set aside,
    stored lines skipped unread on the second run): killed half-way, then run again, every
    ad is there once, and the full-text and search indexes hold exactly the ads."""
    from paidfor.library.index_store import AdIndex
    from paidfor.storage.repo import AdRepository

    total = 12_000
    big = _native_file(tmp_path, total)
    marker = f"paidfor-crash-{uuid.uuid4().hex}"
    env = {**os.environ, "PAIDFOR_DATABASE_URL": db_url, "PAIDFOR_TEST_MARKER": marker,
           "PAIDFOR_INDEX_DIR": str(tmp_path / "index")}  # fmt: skip
    cmd = _cli(db_url, "import", "native", str(big), "--batch-size", "150", "--parallel",
               "--defer-indexes")  # fmt: skip
    _kill_a_third_of_the_way(cmd, env, db_url, total, marker)
    after_kill = _count(db_url)
    assert 0 < after_kill < total and after_kill % 150 == 0  # whole batches only

    done = subprocess.run(
        [*cmd, "--json"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["inserted"], report["unchanged"], report["updated"]) == (
        total - after_kill, after_kill, 0,
    )  # fmt: skip
    engine = make_engine(db_url)
    try:
        assert missing(engine) == []  # indexes, FTS5 triggers, foreign keys
        repo = AdRepository(engine)
        assert repo.stats().ads == total
        assert repo.count_search("zebra") == total  # FTS5 / tsvector: every ad, once
        index = AdIndex(tmp_path / "index", engine)
        try:
            assert index.num_docs() == index.public_ads_in_database() == total
        finally:
            index.close(5.0)
    finally:
        engine.dispose()
