"""Search benchmark: the library's search over HTTP at 1,000,000 ads, beside Datasette.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/search.py --quick              # 20,000 ads, a smoke run
    .venv/bin/python bench/search.py --ads 1000000        # the real thing

The ads file comes from ``bench/generate.py`` (cached in ``bench/work/``, shared with
``bench/ingest.py``). Two servers answer the same queries over HTTP on 127.0.0.1:

* ``paidfor``: ``paidfor serve`` (one uvicorn worker) on a SQLite database made by
  ``paidfor import native``, with the tantivy search index that import builds beside it
  (``library.index_store``); queries go to ``GET /api/search`` (the JSON twin of ``/search``:
  one page of 25 ads and the total count);
* ``datasette``: ``datasette serve -i`` on the same ads loaded with ``sqlite-utils insert
  --flatten`` (every nested field its own column), an FTS5 table over the creative text
  (``enable-fts``), numeric spend, and the same indexes paidfor has (page, funder, creation
  time, spend); queries go to its table API (``/peer/ads.json``, 25 rows, with its count),
  and deep pages to its SQL API, as a Datasette user would ask them.

Ten query kinds, each with its own terms drawn from the data, one request at a time on a
kept-alive connection: keyword (a common word), a rare word, two words, an exact phrase, a
funder, a page, a country with a date range, a keyword sorted by spend, everything sorted by
spend, and page 200 of a keyword search. Both servers run at once and take turns
(interleaved, so that both see the same machine): ``--rounds`` rounds, in each of which every
kind runs ``--requests`` requests on one system, then on the other (who goes first alternates
from round to round). paidfor is measured only once its ``/healthz`` says its start-up loads
are done (and frozen out of the garbage collector), as a server in service would be.

For each kind and system the table gives the median over the rounds of each round's p50 and
p95, their spread (lowest to highest), p99 of every request of every round together, and the
ratios of paidfor's medians to Datasette's. The 1-minute load average is recorded before and
after each run of a kind (a busy machine says so: ``busy`` when it exceeds the cores), and
paidfor's garbage collections (``PAIDFOR_GC_STATS``, ``api.gcwatch``) during each: how many
full ones and their longest pause; and each server process's CPU time a request (from
``/proc``: every thread, what a request costs whatever else the machine runs). Everything
goes to ``bench/results/search.json``. A kind stops early in a round after ``--budget``
seconds (its count says how many ran). Every answer is checked: HTTP 200 and a full page
where the total says there should be one; a refusal (a 429) is an error, never a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (  # bench/ is not a package: beside this file
    PAIDFOR,
    ROOT,
    SQLITE_UTILS,
    VENV_BIN,
    WORK,
    code_version,
    data_file,
    machine,
    run_timed,
)

RESULTS = ROOT / "bench" / "results" / "search.json"
#: Datasette's command: beside this Python (``pip install -e '.[bench]'``), else on PATH
#: (``--datasette`` names another, e.g. one in a virtualenv of its own).
DATASETTE = VENV_BIN / "datasette"
PAGE = 25
DEEP_PAGE = 200
KINDS = (
    "keyword",
    "keyword_rare",
    "two_words",
    "phrase",
    "funder",
    "page",
    "country_dates",
    "keyword_by_spend",
    "all_by_spend",
    "deep_page",
)
# Ordinary words of the generator's vocabulary (not stop words): common and rare ones.
STOP = {"the", "to", "and", "of", "a", "in", "for", "is", "you", "our", "we", "that", "on"}


@dataclass
class Query:
    kind: str
    paidfor: dict[str, str]
    datasette: tuple[str, dict[str, str]]  # path, params


@dataclass
class KindResult:
    """One run of one kind on one system (a round's turn)."""

    system: str
    kind: str
    round: int = 0
    requests: int = 0
    errors: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    sample_error: str | None = None
    examples: list[str] = field(default_factory=list)
    # the 1-minute load average before and after; busy: above the number of cores
    load_avg: list[float] = field(default_factory=list)
    busy: bool = False
    # paidfor's full garbage collections during the run, and the longest one's pause
    full_gcs: int | None = None
    full_gc_max_ms: float | None = None
    # the server process's CPU time a request (user and system, every thread): what a
    # request costs the machine, whatever else runs on it
    server_cpu_ms: float | None = None
    times_ms: list[float] = field(default_factory=list, repr=False)


@dataclass
class Summary:
    """A kind on a system over every round."""

    system: str
    kind: str
    rounds: int
    requests: int
    errors: int
    p50_ms: float | None  # median over the rounds of each round's p50
    p50_spread: list[float]  # lowest and highest round
    p95_ms: float | None
    p95_spread: list[float]
    p99_ms: float | None  # of every request of every round together
    max_ms: float | None
    full_gcs: int | None = None
    full_gc_max_ms: float | None = None
    server_cpu_ms: float | None = None  # median over the rounds
    ratio_p50: float | None = None  # paidfor's median / Datasette's
    ratio_p95: float | None = None
    load_avg: list[float] = field(default_factory=list)  # lowest and highest seen
    busy: bool = False


# -- data --------------------------------------------------------------------------------


def paidfor_db(path: Path, size: int, timeout: float) -> Path:
    db = WORK / f"search-paidfor-{size}.db"
    if not db.exists():
        print(f"   importing {size:,} ads into {db.name} ...", flush=True)
        run = run_timed(
            [str(PAIDFOR), "import", "native", str(path), "--json"],
            env={"PAIDFOR_DATABASE_URL": f"sqlite:///{db}"},
            timeout=timeout,
            log_name=f"search-import-{size}",
        )
        if run.status != "ok":
            db.unlink(missing_ok=True)
            raise SystemExit(f"paidfor import failed: {run.stderr[-2000:]}")
    # The import builds the search index too; a database cached by an older run may need it.
    run = run_timed(
        [str(PAIDFOR), "index", "sync"],
        env={"PAIDFOR_DATABASE_URL": f"sqlite:///{db}"},
        timeout=timeout,
        log_name=f"search-index-{size}",
    )
    if run.status != "ok":
        raise SystemExit(f"paidfor index sync failed: {run.stderr[-2000:]}")
    return db


def peer_db(path: Path, size: int, timeout: float) -> Path:
    db = WORK / f"search-peer-{size}.db"
    if db.exists():
        return db
    tmp = db.with_suffix(".tmp.db")
    tmp.unlink(missing_ok=True)
    su = str(SQLITE_UTILS)
    steps = [
        [su, "insert", str(tmp), "ads", str(path), "--nl", "--flatten"],
        [su, "transform", str(tmp), "ads", "--type", "delivery_spend", "float"],
        [su, "enable-fts", str(tmp), "ads", "creative_bodies", "creative_link_titles",
         "creative_link_descriptions", "--fts5", "--create-triggers"],
        [su, "create-index", str(tmp), "ads", "page_external_id", "created_at"],
        [su, "create-index", str(tmp), "ads", "funder_name", "created_at"],
        [su, "create-index", str(tmp), "ads", "created_at"],
        [su, "create-index", str(tmp), "ads", "delivery_spend"],
        [su, "analyze", str(tmp)],
    ]  # fmt: skip
    print(f"   loading {size:,} ads into {db.name} for Datasette ...", flush=True)
    for i, cmd in enumerate(steps):
        run = run_timed(cmd, timeout=timeout, log_name=f"search-peer-{size}-{i}")
        if run.status != "ok":
            raise SystemExit(f"{shlex.join(cmd)} failed: {run.stderr[-2000:]}")
    tmp.rename(db)
    return db


def words_by_frequency(db: Path, sample: int = 3000) -> list[tuple[str, int]]:
    """Words of a sample of ads' bodies, most frequent first."""
    con = sqlite3.connect(db)
    try:
        rows = con.execute(
            "SELECT search_text FROM ads WHERE id % 97 = 0 LIMIT ?", (sample,)
        ).fetchall()
    finally:
        con.close()
    counts: dict[str, int] = {}
    for (text,) in rows:
        for word in set(text.lower().split()):
            word = word.strip(".,!?;:\"'()")
            if word.isalpha() and word not in STOP and len(word) > 2:
                counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def make_queries(db: Path, n: int, seed: int) -> dict[str, list[Query]]:
    """``n`` queries of each kind, their terms drawn from the paidfor database."""
    rng = random.Random(seed)
    words = words_by_frequency(db)
    common = [w for w, _ in words[:60]]
    rare = [w for w, c in words if 2 <= c <= 4] or [w for w, _ in words[-200:]]
    con = sqlite3.connect(db)
    try:
        funders = [r[0] for r in con.execute("SELECT name FROM funders ORDER BY id LIMIT 2000")]
        pages = con.execute("SELECT id, external_id FROM pages ORDER BY id LIMIT 5000").fetchall()
        phrases = [
            r[0]
            for r in con.execute(
                "SELECT json_extract(creative, '$.link_descriptions[0]') FROM ads "
                "WHERE id % 101 = 0 AND json_array_length(creative, '$.link_descriptions') > 0 "
                "LIMIT 500"
            )
        ]
    finally:
        con.close()
    phrases = [p.rstrip(".").lower().removesuffix(" matters") for p in phrases if p] or common
    out: dict[str, list[Query]] = {k: [] for k in KINDS}
    ds = "/{db}/ads.json"  # Datasette names a database after its file
    base = {"_size": str(PAGE), "_shape": "objects"}
    cols = "rowid, external_id, page_name, funder_name, created_at, delivery_spend"
    for _ in range(n):
        w, w2 = rng.sample(common, 2)
        r = rng.choice(rare)
        ph = rng.choice(phrases)
        fu = rng.choice(funders)
        pid, pext = rng.choice(pages)
        country = rng.choice(["US", "GB", "DE", "FR", "CA"])
        year = rng.randint(2018, 2024)
        month = rng.randint(1, 10)
        dmin, dmax = f"{year}-{month:02d}-01", f"{year}-{month + 2:02d}-28"
        newest = {"_sort_desc": "created_at"}
        out["keyword"].append(Query("keyword", {"q": w}, (ds, {**base, **newest, "_search": w})))
        out["keyword_rare"].append(
            Query("keyword_rare", {"q": r}, (ds, {**base, **newest, "_search": r}))
        )
        out["two_words"].append(
            Query("two_words", {"q": f"{w} {w2}"}, (ds, {**base, **newest, "_search": f"{w} {w2}"}))
        )
        out["phrase"].append(
            Query(
                "phrase",
                {"q": ph, "match": "phrase"},
                (ds, {**base, **newest, "_search": f'"{ph}"', "_searchmode": "raw"}),
            )
        )
        out["funder"].append(
            Query("funder", {"funder": fu}, (ds, {**base, **newest, "funder_name__exact": fu}))
        )
        out["page"].append(
            Query(
                "page",
                {"page_id": str(pid)},
                (ds, {**base, **newest, "page_external_id__exact": str(pext)}),
            )
        )
        out["country_dates"].append(
            Query(
                "country_dates",
                {"country": country, "date_min": dmin, "date_max": dmax},
                (
                    ds,
                    {
                        **base,
                        **newest,
                        "delivery_reached_countries__arraycontains": country,
                        "start_at__lte": f"{dmax}T23:59:59",
                        "stop_at__gte": dmin,
                    },
                ),
            )
        )
        out["keyword_by_spend"].append(
            Query(
                "keyword_by_spend",
                {"q": w, "sort": "spend"},
                (ds, {**base, "_search": w, "_sort_desc": "delivery_spend"}),
            )
        )
        out["all_by_spend"].append(
            Query("all_by_spend", {"sort": "spend"}, (ds, {**base, "_sort_desc": "delivery_spend"}))
        )
        sql = (
            f"select {cols} from ads where rowid in (select rowid from ads_fts "
            f"where ads_fts match :w) order by created_at desc limit {PAGE} "
            f"offset {(DEEP_PAGE - 1) * PAGE}"
        )
        out["deep_page"].append(
            Query(
                "deep_page",
                {"q": w, "page": str(DEEP_PAGE)},
                ("/{db}.json", {"sql": sql, "w": f'"{w}"', "_shape": "objects"}),
            )
        )
    return out


#: One client makes every request of a run: paidfor's per-address limits (search, archive)
#: are raised for it, or the run would time the 429 answers (bench/load.py uses these).
LIMITS = {
    "PAIDFOR_ARCHIVE_RATE_LIMIT": "100000000",
    "PAIDFOR_ARCHIVE_TIME_BUDGET": "100000000",
    "PAIDFOR_SEARCH_RATE_LIMIT": "100000000",
    "PAIDFOR_SEARCH_TIME_BUDGET": "100000000",
}
#: This benchmark turns the search limit off (0) instead: a store counts a client's calls in
#: the window on every call, which is cheap up to the default's 300 a minute (0.06 ms) but
#: took 1.6 ms a request with the 8,000 calls a raised limit lets this one client make in a
#: minute, a cost no client of a default server can cause (BENCHMARKS.md).
SEARCH_LIMITS = {**LIMITS, "PAIDFOR_SEARCH_RATE_LIMIT": "0"}


# -- servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(
    cmd: list[str],
    port: int,
    env: dict[str, str],
    log: str,
    probe: str = "/",
    pids: dict[str, int] | None = None,
    wait: float = 120,
) -> Iterator[str]:
    import httpx

    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{log}.log", "wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=WORK
        )
        url = f"http://127.0.0.1:{port}"
        if pids is not None:
            pids[url] = proc.pid
        try:
            deadline = time.monotonic() + wait
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"{log} exited with {proc.returncode}; see {out.name}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + probe, timeout=5).status_code < 500:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"{log} did not answer on {url}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


# -- measuring ---------------------------------------------------------------------------


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def check(system: str, q: Query, body: dict[str, Any]) -> str | None:
    """None when the answer is a full, well-formed page; else why not."""
    if system == "paidfor":
        ads, total = body.get("ads"), body.get("total")
        if not isinstance(ads, list) or not isinstance(total, int):
            return f"no ads/total in {str(body)[:200]}"
        page = int(q.paidfor.get("page", "1"))
        expect = max(0, min(PAGE, total - (page - 1) * PAGE))
        return None if len(ads) == expect else f"{len(ads)} ads for total {total}, page {page}"
    rows = body.get("rows")
    if not isinstance(rows, list):
        return f"no rows in {str(body)[:200]}"
    total = body.get("filtered_table_rows_count")
    if isinstance(total, int) and len(rows) != min(PAGE, total):
        return f"{len(rows)} rows for total {total}"
    return None


def gc_totals(folder: Path | None, pid: int | None) -> tuple[int, list[dict[str, Any]]] | None:
    """The full collections paidfor's server process ``pid`` has made so far, and the latest
    ones' pauses (``api.gcwatch``), asked for with ``SIGUSR1`` between two runs (the process
    writes them then, never while it answers); None without them (an older paidfor writes
    none, or only at each full collection)."""
    if folder is None or pid is None:
        return None
    path = folder / f"gc-{pid}.json"
    try:  # only a process that says it takes the signal is sent it (else it would end it)
        if not json.loads(path.read_text()).get("on_signal"):
            return None
    except (OSError, ValueError):
        return None
    asked = time.time()
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            stats = json.loads(path.read_text())
            if stats.get("written", 0) >= asked:
                return int(stats["collections"][2]), list(stats["full"])
        time.sleep(0.01)
    return None


def cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU seconds process ``pid`` has used so far (Linux), else None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    client: Any,
    system: str,
    kind: str,
    queries: list[Query],
    warmup: int,
    budget: float,
    round_no: int,
    db_name: str = "",
    gc_folder: Path | None = None,
    pid: int | None = None,
) -> KindResult:
    result = KindResult(system, kind, round=round_no)
    result.load_avg.append(round(os.getloadavg()[0], 2))
    cpu_before = cpu_seconds(pid)
    gc_before = gc_totals(gc_folder, pid)
    times: list[float] = []
    for i, q in enumerate(queries):
        if system == "paidfor":
            path, params = "/api/search", {**q.paidfor, "per_page": str(PAGE)}
        else:
            path, params = q.datasette
            path = path.format(db=db_name)
        started = time.perf_counter()
        resp = client.get(path, params=params)
        body = (
            resp.json()
            if resp.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        elapsed = time.perf_counter() - started
        problem = None if resp.status_code == 200 else f"HTTP {resp.status_code}"
        problem = problem or check(system, q, body)
        if i < warmup:
            continue
        if problem:  # never timed: a refusal (a 429) is not an answer to the query
            result.errors += 1
            result.sample_error = result.sample_error or f"{params}: {problem}"
            continue
        times.append(elapsed)
        if len(result.examples) < 2:
            result.examples.append(str(resp.url).split("//", 1)[-1].split("/", 1)[-1])
        if sum(times) > budget:
            break
    result.load_avg.append(round(os.getloadavg()[0], 2))
    cpu_after = cpu_seconds(pid)
    if cpu_before is not None and cpu_after is not None:  # warm-up requests included
        result.server_cpu_ms = round(1000 * (cpu_after - cpu_before) / len(queries), 2)
    result.busy = max(result.load_avg) > (os.cpu_count() or 1)
    gc_after = gc_totals(gc_folder, pid)
    if gc_before is not None and gc_after is not None:
        gcs_after, full = gc_after
        result.full_gcs = gcs_after - gc_before[0]
        recent = full[-result.full_gcs :] if result.full_gcs else []
        result.full_gc_max_ms = max((f["ms"] for f in recent), default=0.0)
    result.requests = len(times)
    result.times_ms = [round(t * 1000, 3) for t in times]
    if times:
        result.p50_ms = _pct(times, 0.50)
        result.p95_ms = _pct(times, 0.95)
        result.p99_ms = _pct(times, 0.99)
        result.max_ms = round(max(times) * 1000, 2)
    return result


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def summarize(runs: Sequence[KindResult]) -> list[Summary]:
    out: list[Summary] = []
    for kind in KINDS:
        for system in ("paidfor", "datasette"):
            mine = [r for r in runs if r.kind == kind and r.system == system]
            if not mine:
                continue
            p50s = [r.p50_ms for r in mine if r.p50_ms is not None]
            p95s = [r.p95_ms for r in mine if r.p95_ms is not None]
            every = [t / 1000 for r in mine for t in r.times_ms]
            loads = [v for r in mine for v in r.load_avg]
            gcs = [r.full_gcs for r in mine if r.full_gcs is not None]
            out.append(
                Summary(
                    system=system,
                    kind=kind,
                    rounds=len(mine),
                    requests=sum(r.requests for r in mine),
                    errors=sum(r.errors for r in mine),
                    p50_ms=_median(p50s),
                    p50_spread=[min(p50s), max(p50s)] if p50s else [],
                    p95_ms=_median(p95s),
                    p95_spread=[min(p95s), max(p95s)] if p95s else [],
                    p99_ms=_pct(every, 0.99) if every else None,
                    max_ms=round(max(every) * 1000, 2) if every else None,
                    full_gcs=sum(gcs) if gcs else None,
                    full_gc_max_ms=max(
                        (r.full_gc_max_ms for r in mine if r.full_gc_max_ms is not None),
                        default=None,
                    ),
                    server_cpu_ms=_median(
                        [r.server_cpu_ms for r in mine if r.server_cpu_ms is not None]
                    ),
                    load_avg=[min(loads), max(loads)] if loads else [],
                    busy=any(r.busy for r in mine),
                )
            )
    peers = {s.kind: s for s in out if s.system == "datasette"}
    for s in out:
        p = peers.get(s.kind)
        if s.system != "paidfor" or p is None:
            continue
        if p.p50_ms and s.p50_ms is not None:
            s.ratio_p50 = round(s.p50_ms / p.p50_ms, 3)
        if p.p95_ms and s.p95_ms is not None:
            s.ratio_p95 = round(s.p95_ms / p.p95_ms, 3)
    return out


def print_table(summaries: Sequence[Summary], size: int) -> None:
    from rich.console import Console
    from rich.table import Table

    def spread(v: list[float]) -> str:
        return f"{v[0]:,.1f}-{v[1]:,.1f}" if v else ""

    def num(v: float | None, fmt: str = ",.1f") -> str:
        return "" if v is None else format(v, fmt)

    table = Table(title=f"search over HTTP, {size:,} ads, interleaved (ms per request)")
    cols = ("kind", "system", "n", "err", "p50", "p50 spread", "p95", "p95 spread", "p99",
            "CPU", "full GCs (max ms)", "p50 ratio", "p95 ratio", "load")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("kind", "system") else "right")
    for s in summaries:
        gcs = "" if s.full_gcs is None else f"{s.full_gcs} ({num(s.full_gc_max_ms)})"
        table.add_row(
            s.kind, s.system, str(s.requests), str(s.errors), num(s.p50_ms), spread(s.p50_spread),
            num(s.p95_ms), spread(s.p95_spread), num(s.p99_ms), num(s.server_cpu_ms, ".2f"), gcs,
            num(s.ratio_p50, ".3f"),
            num(s.ratio_p95, ".3f"), spread(s.load_avg) + (" busy" if s.busy else ""),
        )  # fmt: skip
    Console(width=160).print(table)


def wait_ready(url: str, timeout: float = 600) -> float:
    """Seconds until paidfor's ``/healthz`` says its start-up loads are done."""
    import httpx

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if httpx.get(f"{url}/healthz", timeout=30).json().get("screening") == "ready":
                return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"paidfor at {url} not ready after {timeout:.0f} s")


GOAL = (
    "p99 under 25 ms and p95 under 10 ms over HTTP at 1M ads for every kind, and faster than "
    "Datasette (medians of p50 and p95, interleaved)"
)


def met(s: Summary) -> bool:
    return bool(
        s.p95_ms is not None
        and s.p99_ms is not None
        and s.p95_ms < 10
        and s.p99_ms < 25
        and s.errors == 0
        and (s.ratio_p50 is None or s.ratio_p50 < 1)
        and (s.ratio_p95 is None or s.ratio_p95 < 1)
    )


def find_datasette(given: str | None) -> str:
    if given:
        return given
    if DATASETTE.exists():
        return str(DATASETTE)
    found = shutil.which("datasette")
    if found is None:
        raise SystemExit(
            "no datasette: pip install -e '.[bench]', or --datasette PATH, or --systems paidfor"
        )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 ads, 20 requests a kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind per system")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--budget", type=float, default=40.0, help="seconds per run at most")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per load step")
    parser.add_argument("--systems", default="paidfor,datasette")
    parser.add_argument("--datasette", help="the datasette command (default: beside Python)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    size = 20_000 if args.quick else args.ads
    n = 20 if args.quick else args.requests
    rounds = 1 if args.quick else args.rounds
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    WORK.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    code = code_version()

    path, _ = data_file(size, args.seed, args.timeout)
    print(f"== {size:,} ads: {path.name}", flush=True)
    ours = paidfor_db(path, size, args.timeout)
    peer = peer_db(path, size, args.timeout) if "datasette" in systems else None
    queries = make_queries(ours, n * rounds + args.warmup, args.seed)
    gc_folder = WORK / "gc" / f"search-{size}-{os.getpid()}"
    shutil.rmtree(gc_folder, ignore_errors=True)

    commands: dict[str, tuple[list[str], int, dict[str, str]]] = {}
    for system in systems:
        port = free_port()
        if system == "paidfor":
            cmd = [str(PAIDFOR), "serve", "--host", "127.0.0.1", "--port", str(port)]
            env = {
                "PAIDFOR_DATABASE_URL": f"sqlite:///{ours}",
                "PAIDFOR_GC_STATS": str(gc_folder),
                **SEARCH_LIMITS,
            }
        else:
            assert peer is not None
            cmd = [
                find_datasette(args.datasette), "serve", "-i", str(peer), "--host", "127.0.0.1",
                "--port", str(port), "--setting", "sql_time_limit_ms", "60000",
                "--setting", "facet_time_limit_ms", "1", "--setting", "suggest_facets", "off",
                "--setting", "num_sql_threads", "1",
            ]  # fmt: skip
            env = {}
        commands[system] = (cmd, port, env)

    runs: list[KindResult] = []
    ready_s: float | None = None
    with contextlib.ExitStack() as stack:
        clients: dict[str, Any] = {}
        pids: dict[str, int] = {}
        urls: dict[str, str] = {}
        for system, (cmd, port, env) in commands.items():
            # paidfor's home page counts the library (seconds at a million ads on a busy
            # machine): it is probed on /healthz, then waited for until its loads are done
            probe = "/healthz" if system == "paidfor" else "/"
            url = stack.enter_context(
                server(cmd, port, env, f"search-{system}-{size}", probe, pids=pids, wait=600)
            )
            urls[system] = url
            if system == "paidfor":
                ready_s = wait_ready(url)
                print(f"   paidfor ready (start-up loads done) after {ready_s:.1f} s", flush=True)
            clients[system] = stack.enter_context(httpx.Client(base_url=url, timeout=120))
        for round_no in range(rounds):
            order = systems if round_no % 2 == 0 else systems[::-1]
            for kind in KINDS:
                part = queries[kind][args.warmup + round_no * n : args.warmup + (round_no + 1) * n]
                if round_no == 0:
                    part = queries[kind][: args.warmup] + part
                for system in order:
                    r = measure(
                        clients[system],
                        system,
                        kind,
                        part,
                        args.warmup if round_no == 0 else 0,
                        args.budget,
                        round_no,
                        db_name=peer.stem if peer else "",
                        gc_folder=gc_folder if system == "paidfor" else None,
                        pid=pids.get(urls[system]),
                    )
                    gcs = f" cpu={r.server_cpu_ms}ms"
                    if r.full_gcs is not None:
                        gcs += f" fullGC={r.full_gcs}/{r.full_gc_max_ms}ms"
                    print(
                        f"   r{round_no} {system:9s} {kind:17s} n={r.requests:4d} err={r.errors} "
                        f"p50={r.p50_ms} p95={r.p95_ms} p99={r.p99_ms} load={r.load_avg}{gcs}"
                        + (f"  ({r.sample_error})" if r.sample_error else ""),
                        flush=True,
                    )
                    runs.append(r)
    summaries = summarize(runs)
    print_table(summaries, size)
    loads = [v for r in runs for v in r.load_avg]
    result = {
        "benchmark": "search",
        "date": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "ads": size,
        "seed": args.seed,
        "rounds": rounds,
        "machine": machine(),
        "code": code,
        "paidfor_ready_s": None if ready_s is None else round(ready_s, 1),
        "load_avg_range": [min(loads), max(loads)] if loads else [],
        "busy": any(r.busy for r in runs),
        "goal": GOAL,
        "met": {s.kind: met(s) for s in summaries if s.system == "paidfor"},
        "summary": [asdict(s) for s in summaries],
        "runs": [{k: v for k, v in asdict(r).items() if k != "times_ms"} for r in runs],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
