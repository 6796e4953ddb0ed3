"""Ingest benchmark: paidfor's native import on SQLite and PostgreSQL against sqlite-utils,
each system run several times, interleaved with its peers.

    .venv/bin/python bench/ingest.py --quick                            # 20,000 ads, once
    .venv/bin/python bench/ingest.py --sizes 100000 --repeat 5          # five rounds
    .venv/bin/python bench/ingest.py --sizes 100000,1000000 --repeat 3  # the real thing

For each size the ads file is generated once (``bench/generate.py``, cached in ``bench/work/`` by
size and seed) and its first 1,000 records are checked to round-trip through paidfor's
``ad_from_json``/``ad_to_json``. Then ``--repeat`` rounds run every backend once each, in the
order below, so that each system runs between runs of its peers (paidfor, peer, paidfor,
peer...) and a machine that slows down or speeds up during the run weighs on all of them alike.
Each is a subprocess with a wall-clock timeout:

* ``paidfor-sqlite``: ``paidfor import native FILE --json`` into a fresh SQLite file, which
  also builds the FTS5 index and the tantivy search index beside the file (``FILE.index``);
  checked: ``count(*) FROM ads`` == N, an FTS5 ``MATCH`` finds rows, the report says N new;
* ``paidfor-sqlite-reimport``: the same import again into that database (every ad unchanged);
  checked: the report says N unchanged, 0 new, 0 updated;
* ``sqlite-utils+fts``: ``sqlite-utils insert peer.db ads FILE --nl`` into a fresh file, then
  ``sqlite-utils enable-fts peer.db ads creative --create-triggers`` (FTS5 over the ``creative``
  column, the JSON text of bodies, titles, captions, descriptions and image hashes: the closest
  single column to paidfor's ``search_text``); the time is the sum of both commands;
* ``paidfor-postgres``: the same import into the database ``bench`` after
  ``DROP SCHEMA public CASCADE; CREATE SCHEMA public`` (tsvector, GIN and the tantivy index in
  ``bench/work/pg.index`` built); checked: count and a ``tsvector`` match;
* ``sqlite-utils``: the insert alone (every top-level key a column, nested objects as JSON
  text, no index).

The 1-minute load average is read before and after each run; a run with either above the
number of cores is flagged ``busy``. The table gives, per backend and size, the median of the
runs, their spread (lowest to highest) and the ratio of its median to the median of
``sqlite-utils+fts`` and of ``sqlite-utils``; for the re-import, how many times faster it is
than the first import (ratio of medians). Results go to ``bench/results/ingest.json`` (every
run, with its load average, and the summary). A run that exceeds ``--timeout`` is killed and
recorded as ``timeout``; a failed check is recorded as ``error``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from paidfor.storage.bulk import PG_SEARCH_VECTOR as PG_VECTOR  # what the GIN index holds

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
RESULTS = BENCH / "results" / "ingest.json"
VENV_BIN = Path(sys.executable).parent
PAIDFOR = VENV_BIN / "paidfor"
SQLITE_UTILS = VENV_BIN / "sqlite-utils"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432"
PG_DB = "bench"
PG_URL = f"{PG_ADMIN}/{PG_DB}"
SEARCH_WORD = "election"  # a common word of the generator's vocabulary
# One round, in this order: each paidfor run sits between runs of the peer.
BACKENDS = (
    "paidfor-sqlite",
    "paidfor-sqlite-reimport",
    "sqlite-utils+fts",
    "paidfor-postgres",
    "sqlite-utils",
)
PEERS = ("sqlite-utils+fts", "sqlite-utils")
PG_INDEX = WORK / "pg.index"


@dataclass
class Run:
    """One timed subprocess."""

    cmd: list[str]
    status: str  # "ok", "timeout", "error"
    seconds: float
    returncode: int | None
    max_rss_mb: float
    stdout: str
    stderr: str
    cpu_s: float = 0.0  # user + system CPU of the command and the processes it waited for


@dataclass
class Measurement:
    backend: str
    size: int
    status: str
    seconds: float | None = None
    ads_per_s: float | None = None
    max_rss_mb: float | None = None
    db_bytes: int | None = None
    checks: dict[str, Any] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    error: str | None = None
    # 1-minute load average before and after: on a shared machine, other work skews figures
    load_avg: list[float] = field(default_factory=list)
    busy: bool = False  # the load average exceeded the number of cores before or after
    # CPU seconds of the command(s) (paidfor's parsers included; not a database server's)
    cpu_seconds: float | None = None
    # the share of the machine's CPU time the hypervisor gave to others during the run
    # (/proc/stat "steal"): a shared host slows every system without raising the load
    steal_percent: float | None = None
    # how long a fixed piece of Python work took just before the run (``calibrate``): the
    # machine's own speed at the time, which on a shared host varies more than the load says
    calibration_ms: float | None = None
    round: int = 0
    # the paidfor code measured (other people may change src/ while a long run goes on)
    code: str | None = None


def run_timed(
    cmd: Sequence[str], *, env: dict[str, str] | None = None, timeout: float, log_name: str
) -> Run:
    """Run ``cmd`` with its output in ``bench/work/logs/``; wall time and peak RSS (wait4)."""
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out_path, err_path = logs / f"{log_name}.out", logs / f"{log_name}.err"
    full_env = {**os.environ, **(env or {})}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, env=full_env, cwd=WORK, start_new_session=True
        )
        deadline = started + timeout
        status = "ok"
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                status = "timeout"
                os.killpg(proc.pid, signal.SIGKILL)
                pid, wait_status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(wait_status)
    proc.returncode = returncode  # reaped by wait4; keep Popen from trying again
    if status == "ok" and returncode != 0:
        status = "error"
    return Run(
        cmd=list(cmd),
        status=status,
        seconds=seconds,
        returncode=returncode,
        max_rss_mb=round(usage.ru_maxrss / 1024, 1),
        stdout=out_path.read_text(errors="replace"),
        stderr=err_path.read_text(errors="replace"),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
    )


def calibrate() -> float:
    """Milliseconds of a fixed piece of single-threaded Python work (the best of three): the
    same on a quiet machine from run to run, longer when the host is slower."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(1_500_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time so far by kind, in ticks (``/proc/stat``'s first line: user,
    nice, system, idle, iowait, irq, softirq, steal, then guest time, which user already
    counts), or None where there is no such file."""
    try:
        return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None


def steal_percent(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of the machine's CPU time stolen by the hypervisor between two
    ``cpu_ticks``, percent; None when it cannot tell."""
    if not before or not after or len(before) < 8 or len(after) < 8:
        return None
    total = sum(after[:8]) - sum(before[:8])
    return round(100 * (after[7] - before[7]) / total, 1) if total > 0 else None


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(f"{path}.index", ignore_errors=True)  # paidfor's search index beside it


def _sqlite_bytes(path: Path) -> int:
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def _sqlite_scalar(path: Path, sql: str) -> Any:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


def psql(sql: str, db: str = PG_DB) -> str:
    done = subprocess.run(
        ["psql", f"{PG_ADMIN}/{db}", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout.strip()


def end_pg_sessions() -> None:
    """End the server sessions left on the benchmark's own database (``bench``) by a killed
    import, so that they hold no locks; nothing outside that database is touched."""
    psql(
        f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        f"WHERE datname = '{PG_DB}' AND pid <> pg_backend_pid()",
        db="postgres",
    )


def ensure_pg_database() -> None:
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'", db="postgres") != "1":
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", PG_DB], check=True)


# -- data ------------------------------------------------------------------------------------


def data_file(size: int, seed: int, timeout: float) -> tuple[Path, dict[str, Any] | None]:
    """The cached ads file for (size, seed), generated if missing; the generator's figures."""
    path = WORK / f"ads-{size}-s{seed}.jsonl"
    if path.exists():
        return path, None
    cmd = [
        sys.executable,
        str(BENCH / "generate.py"),
        "--ads",
        str(size),
        "--seed",
        str(seed),
        "--out",
        str(path),
    ]
    run = run_timed(cmd, timeout=timeout, log_name=f"generate-{size}")
    if run.status != "ok":
        raise SystemExit(f"generate.py failed ({run.status}): {run.stderr[-2000:]}")
    info: dict[str, Any] = json.loads(run.stderr.strip().splitlines()[-1])
    info["wall_seconds"] = round(run.seconds, 3)
    return path, info


def check_round_trip(path: Path, n: int = 1000) -> int:
    """The first ``n`` records parse with ``ad_from_json`` and serialize back to themselves."""
    from paidfor.domain.serialize import ad_from_json, ad_to_json

    checked = 0
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(islice(f, n), start=1):
            record = json.loads(line)
            back = ad_to_json(ad_from_json(record))
            if back != record:
                diff = sorted(
                    k for k in record.keys() | back.keys() if record.get(k) != back.get(k)
                )
                raise SystemExit(f"{path}:{number}: record does not round-trip; keys {diff}")
            checked += 1
    return checked


# -- backends --------------------------------------------------------------------------------


def _paidfor_cmd(path: Path) -> list[str]:
    return [str(PAIDFOR), "import", "native", str(path), "--json"]


def _report(run: Run) -> dict[str, Any]:
    try:
        report: dict[str, Any] = json.loads(run.stdout)
    except json.JSONDecodeError:
        return {}
    report.pop("errors", None)
    return report


def _finish(m: Measurement, runs: Sequence[Run]) -> Measurement:
    m.commands = [shlex.join(r.cmd) for r in runs]
    m.seconds = round(sum(r.seconds for r in runs), 3)
    m.cpu_seconds = round(sum(r.cpu_s for r in runs), 2)
    m.max_rss_mb = max(r.max_rss_mb for r in runs)
    bad = next((r for r in runs if r.status != "ok"), None)
    if bad is not None:
        m.status = bad.status
        m.error = f"{bad.status} (rc={bad.returncode}): {bad.stderr[-1500:]}"
        return m
    m.ads_per_s = round(m.size / m.seconds, 1) if m.seconds else None
    return m


def _fail(m: Measurement, reason: str) -> Measurement:
    m.status = "error"
    m.error = (m.error + "; " if m.error else "") + reason
    return m


def bench_paidfor_sqlite(path: Path, size: int, db: Path, timeout: float) -> Measurement:
    _remove_sqlite(db)
    m = Measurement("paidfor-sqlite", size, "ok")
    run = run_timed(
        _paidfor_cmd(path),
        env={"PAIDFOR_DATABASE_URL": f"sqlite:///{db}"},
        timeout=timeout,
        log_name=f"paidfor-sqlite-{size}",
    )
    _finish(m, [run])
    if m.status != "ok":
        with contextlib.suppress(sqlite3.Error):  # how far it got: committed batches
            m.checks["count_at_stop"] = _sqlite_scalar(db, "SELECT count(*) FROM ads")
        return m
    report = _report(run)
    m.checks["report"] = report
    m.db_bytes = _sqlite_bytes(db)
    count = _sqlite_scalar(db, "SELECT count(*) FROM ads")
    fts = _sqlite_scalar(db, f"SELECT count(*) FROM ads_fts WHERE ads_fts MATCH '{SEARCH_WORD}'")
    m.checks.update({"count": count, f"fts_match_{SEARCH_WORD}": fts})
    if count != size:
        return _fail(m, f"count(*) FROM ads = {count}, expected {size}")
    if not fts:
        return _fail(m, f"FTS5 MATCH '{SEARCH_WORD}' found nothing")
    if report.get("inserted") != size:
        return _fail(m, f"report says inserted={report.get('inserted')}")
    return m


def bench_paidfor_reimport(path: Path, size: int, db: Path, timeout: float) -> Measurement:
    m = Measurement("paidfor-sqlite-reimport", size, "ok")
    if not db.exists():
        return _fail(m, "no loaded database (paidfor-sqlite did not run)")
    run = run_timed(
        _paidfor_cmd(path),
        env={"PAIDFOR_DATABASE_URL": f"sqlite:///{db}"},
        timeout=timeout,
        log_name=f"paidfor-sqlite-reimport-{size}",
    )
    _finish(m, [run])
    if m.status != "ok":
        return m
    report = _report(run)
    m.checks["report"] = report
    m.checks["count"] = count = _sqlite_scalar(db, "SELECT count(*) FROM ads")
    if (report.get("unchanged"), report.get("inserted"), report.get("updated")) != (size, 0, 0):
        return _fail(m, f"not idempotent: {report}")
    if count != size:
        return _fail(m, f"count(*) FROM ads = {count} after re-import")
    return m


def bench_paidfor_postgres(path: Path, size: int, timeout: float) -> Measurement:
    m = Measurement("paidfor-postgres", size, "ok")
    ensure_pg_database()
    end_pg_sessions()
    psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    shutil.rmtree(PG_INDEX, ignore_errors=True)
    run = run_timed(
        _paidfor_cmd(path),
        env={"PAIDFOR_DATABASE_URL": PG_URL, "PAIDFOR_INDEX_DIR": str(PG_INDEX)},
        timeout=timeout,
        log_name=f"paidfor-postgres-{size}",
    )
    _finish(m, [run])
    if m.status != "ok":
        end_pg_sessions()  # a killed client can leave its query running on the server
        with contextlib.suppress(subprocess.SubprocessError, ValueError):
            m.checks["count_at_stop"] = int(psql("SELECT count(*) FROM ads"))
        return m
    report = _report(run)
    m.checks["report"] = report
    count = int(psql("SELECT count(*) FROM ads"))
    tsv = int(
        psql(f"SELECT count(*) FROM ads WHERE {PG_VECTOR} @@ to_tsquery('simple', '{SEARCH_WORD}')")
    )
    m.db_bytes = int(psql(f"SELECT pg_database_size('{PG_DB}')"))
    m.checks.update({"count": count, f"tsvector_match_{SEARCH_WORD}": tsv})
    if count != size:
        return _fail(m, f"count(*) FROM ads = {count}, expected {size}")
    if not tsv:
        return _fail(m, f"tsvector match '{SEARCH_WORD}' found nothing")
    return m


def bench_peer(path: Path, size: int, db: Path, timeout: float, fts: bool) -> Measurement:
    _remove_sqlite(db)
    name = "sqlite-utils+fts" if fts else "sqlite-utils"
    m = Measurement(name, size, "ok")
    runs = [
        run_timed(
            [str(SQLITE_UTILS), "insert", str(db), "ads", str(path), "--nl"],
            timeout=timeout,
            log_name=f"{name}-insert-{size}",
        )
    ]
    if fts and runs[0].status == "ok":
        runs.append(
            run_timed(
                [str(SQLITE_UTILS), "enable-fts", str(db), "ads", "creative", "--create-triggers"],
                timeout=max(1.0, timeout - runs[0].seconds),
                log_name=f"{name}-fts-{size}",
            )
        )
    _finish(m, runs)
    if m.status != "ok":
        return m
    m.db_bytes = _sqlite_bytes(db)
    m.checks["count"] = count = _sqlite_scalar(db, "SELECT count(*) FROM ads")
    if count != size:
        return _fail(m, f"count(*) FROM ads = {count}, expected {size}")
    if fts:
        found = _sqlite_scalar(
            db, f"SELECT count(*) FROM ads_fts WHERE ads_fts MATCH '{SEARCH_WORD}'"
        )
        m.checks[f"fts_match_{SEARCH_WORD}"] = found
        if not found:
            return _fail(m, f"FTS5 MATCH '{SEARCH_WORD}' found nothing")
    return m


# -- report ----------------------------------------------------------------------------------


def code_version() -> str:
    """``<commit>`` of the work tree, ``+dirty@<time of the newest src file>`` if src/ differs
    from it (read-only git commands)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "no-commit"
    if git("status", "--porcelain", "--", "src"):
        newest = max((f.stat().st_mtime for f in (ROOT / "src").rglob("*.py")), default=0.0)
        stamp = datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{commit}+dirty@{stamp}"
    return commit


def machine() -> dict[str, Any]:
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        pg = psql("SHOW server_version", db="postgres")
    except (subprocess.SubprocessError, OSError) as exc:
        pg = f"unavailable: {exc}"
    su = subprocess.run([str(SQLITE_UTILS), "--version"], capture_output=True, text=True)
    from importlib.metadata import version

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "sqlite_utils": su.stdout.strip().rsplit(" ", 1)[-1],
        "sqlalchemy": version("sqlalchemy"),
        "psycopg": version("psycopg"),
        "paidfor": version("paidfor"),
    }


@dataclass
class Summary:
    """The runs of one backend at one size."""

    backend: str
    size: int
    runs: int
    failed: int
    busy: int
    median_s: float | None = None
    cpu_s: float | None = None  # median CPU seconds of the command(s)
    steal_max: float | None = None  # the largest steal of a run, percent
    calibration_ms: list[float] = field(default_factory=list)  # lowest and highest
    min_s: float | None = None
    max_s: float | None = None
    ads_per_s: float | None = None
    # median / median of each peer (higher = slower); the re-import: first import / re-import
    ratios: dict[str, float] = field(default_factory=dict)
    max_rss_mb: float | None = None
    db_mb: float | None = None


def summarize(measurements: Sequence[Measurement]) -> list[Summary]:
    out: list[Summary] = []
    keys = sorted({(m.size, m.backend) for m in measurements},
                  key=lambda k: (k[0], BACKENDS.index(k[1])))  # fmt: skip
    medians: dict[tuple[int, str], float] = {}
    for size, backend in keys:
        runs = [m for m in measurements if (m.size, m.backend) == (size, backend)]
        ok = [m for m in runs if m.status == "ok" and m.seconds is not None]
        s = Summary(backend, size, len(runs), len(runs) - len(ok), sum(m.busy for m in runs))
        if ok:
            times = [m.seconds or 0.0 for m in ok]
            s.median_s = round(statistics.median(times), 3)
            cpus = [m.cpu_seconds for m in ok if m.cpu_seconds is not None]
            s.cpu_s = round(statistics.median(cpus), 2) if cpus else None
            steals = [m.steal_percent for m in ok if m.steal_percent is not None]
            s.steal_max = max(steals) if steals else None
            speeds = [m.calibration_ms for m in ok if m.calibration_ms is not None]
            s.calibration_ms = [min(speeds), max(speeds)] if speeds else []
            s.min_s, s.max_s = round(min(times), 3), round(max(times), 3)
            s.ads_per_s = round(size / s.median_s, 1) if s.median_s else None
            s.max_rss_mb = max(m.max_rss_mb or 0.0 for m in ok)
            sizes = [m.db_bytes for m in ok if m.db_bytes]
            s.db_mb = round(sizes[-1] / 1e6, 1) if sizes else None
            medians[(size, backend)] = s.median_s
        out.append(s)
    for s in out:
        if s.median_s is None:
            continue
        for peer in PEERS:
            theirs = medians.get((s.size, peer))
            if theirs and s.backend != peer:
                s.ratios[peer] = round(s.median_s / theirs, 2)
        first = medians.get((s.size, "paidfor-sqlite"))
        if s.backend == "paidfor-sqlite-reimport" and first and s.median_s:
            s.ratios["first import / this"] = round(first / s.median_s, 2)
    return out


def print_table(summaries: Sequence[Summary]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ingest: native JSON lines (median of interleaved runs)")
    cols = ("backend", "ads", "runs", "median s", "spread s", "CPU s", "ads/s",
            "/ sqlite-utils+fts", "/ sqlite-utils", "peak RSS MB", "DB MB", "note")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("backend", "note") else "right")
    for s in summaries:
        note = []
        if s.failed:
            note.append(f"{s.failed} failed")
        if s.busy:
            note.append(f"{s.busy} busy")
        if s.steal_max:
            note.append(f"steal up to {s.steal_max:g}%")
        if s.calibration_ms:
            low, high = s.calibration_ms
            note.append(f"calibration {low:g}-{high:g} ms")
        if "first import / this" in s.ratios:
            note.append(f"{s.ratios['first import / this']:.1f}x faster than the first import")
        table.add_row(
            s.backend,
            f"{s.size:,}",
            str(s.runs),
            "" if s.median_s is None else f"{s.median_s:,.2f}",
            "" if s.min_s is None else f"{s.min_s:,.2f}-{s.max_s:,.2f}",
            "" if s.cpu_s is None else f"{s.cpu_s:,.1f}",
            "" if s.ads_per_s is None else f"{s.ads_per_s:,.0f}",
            f"{s.ratios['sqlite-utils+fts']:.2f}" if "sqlite-utils+fts" in s.ratios else "",
            f"{s.ratios['sqlite-utils']:.2f}" if "sqlite-utils" in s.ratios else "",
            "" if s.max_rss_mb is None else f"{s.max_rss_mb:,.0f}",
            "" if s.db_mb is None else f"{s.db_mb:,.0f}",
            ", ".join(note),
        )
    Console(width=160).print(table)


def run_one(backend: str, path: Path, size: int, timeout: float) -> Measurement:
    paidfor_db = WORK / f"paidfor-{size}.db"
    if backend == "paidfor-sqlite":
        return bench_paidfor_sqlite(path, size, paidfor_db, timeout)
    if backend == "paidfor-sqlite-reimport":
        return bench_paidfor_reimport(path, size, paidfor_db, timeout)
    if backend == "paidfor-postgres":
        return bench_paidfor_postgres(path, size, timeout)
    if backend == "sqlite-utils":
        return bench_peer(path, size, WORK / f"peer-{size}.db", timeout, fts=False)
    return bench_peer(path, size, WORK / f"peer-fts-{size}.db", timeout, fts=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="100000,1000000",
        help="comma-separated numbers of ads (default 100000,1000000)",
    )
    parser.add_argument("--quick", action="store_true", help="20,000 ads, one round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated subset of {', '.join(BACKENDS)}",
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files afterwards")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    args = parser.parse_args(argv)
    sizes = [20_000] if args.quick else [int(s.replace("_", "")) for s in args.sizes.split(",")]
    repeat = 1 if args.quick else max(1, args.repeat)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")
    backends = [b for b in BACKENDS if b in backends]  # the round's order
    WORK.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    measurements: list[Measurement] = []
    data: dict[str, Any] = {}
    for size in sizes:
        path, gen = data_file(size, args.seed, args.timeout)
        checked = check_round_trip(path)
        data[str(size)] = {
            "file": str(path.relative_to(ROOT)),
            "bytes": path.stat().st_size,
            "round_trip_checked": checked,
            "generated": gen,
        }
        print(
            f"== {size:,} ads: {path.name} ({path.stat().st_size / 1e6:,.0f} MB), "
            f"{checked} records round-trip"
            + (f"; generated at {gen['ads_per_s']:,} ads/s" if gen else " (cached)"),
            flush=True,
        )
        for round_no in range(1, repeat + 1):
            for backend in backends:
                print(f"   round {round_no} {backend} ...", end=" ", flush=True)
                load_before = os.getloadavg()[0]
                speed = calibrate()
                ticks_before = cpu_ticks()
                code = code_version()
                m = run_one(backend, path, size, args.timeout)
                m.calibration_ms = speed
                m.round = round_no
                m.load_avg = [round(load_before, 2), round(os.getloadavg()[0], 2)]
                m.busy = max(m.load_avg) > cores
                m.steal_percent = steal_percent(ticks_before, cpu_ticks())
                m.code = code if code == code_version() else f"changed during the run: {code}"
                print(
                    f"{m.status} {m.seconds or 0:,.1f}s, CPU {m.cpu_seconds or 0:,.1f}s (load "
                    f"{m.load_avg[0]}->{m.load_avg[1]}, steal {m.steal_percent}%, "
                    f"calibration {speed:g} ms"
                    + (", busy" if m.busy else "")
                    + ")"
                    + (f" {m.error}" if m.error else ""),
                    flush=True,
                )
                measurements.append(m)
        if not args.keep:
            for name in (f"paidfor-{size}.db", f"peer-{size}.db", f"peer-fts-{size}.db"):
                _remove_sqlite(WORK / name)

    summaries = summarize(measurements)
    print_table(summaries)
    loads = [x for m in measurements for x in m.load_avg]
    result = {
        "benchmark": "ingest",
        "date": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "seed": args.seed,
        "repeat": repeat,
        "timeout_s": args.timeout,
        "machine": machine(),
        "code": sorted({m.code or "" for m in measurements}),
        "load_avg_range": [min(loads), max(loads)] if loads else [],
        "busy_runs": sum(m.busy for m in measurements),
        "notes": {
            "seconds": "wall time of the whole command(s), process start-up, migrations and "
            "(paidfor) the search index included; paidfor's own figure for the import alone "
            "is checks.report.seconds",
            "summary": "median of the runs of each backend; spread = lowest to highest; ratios "
            "are median / median of the peer (higher = slower); the re-import's 'first import "
            "/ this' is how many times faster it is than the first import",
            "sqlite-utils+fts": "sqlite-utils insert, then enable-fts on the 'creative' column "
            "(JSON text of the creative) with --create-triggers; seconds is the sum of both",
            "load_avg": "1-minute load average before and after each run; busy = above the "
            "number of cores, the machine shared with other work",
            "cpu_seconds": "user + system CPU time of the command(s) and the processes they "
            "waited for (paidfor's parsers; not the PostgreSQL server's)",
            "calibration_ms": "the best of three runs of a fixed piece of single-threaded "
            "Python work just before the run: the same from run to run on a quiet machine; "
            "longer when the host is slower, whatever the load average says",
            "steal_percent": "the machine's CPU time stolen by the hypervisor during the run "
            "(/proc/stat), percent of all its CPU time: a shared host slows every system "
            "without raising the load average",
            "paidfor-postgres": "DROP SCHEMA public CASCADE; CREATE SCHEMA public before the "
            "import; db_bytes is pg_database_size",
        },
        "data": data,
        "summary": [asdict(s) for s in summaries],
        "results": [asdict(m) for m in measurements],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(m.status == "ok" for m in measurements) else 1


if __name__ == "__main__":
    raise SystemExit(main())
