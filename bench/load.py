"""Load benchmark: 50 concurrent clients for 60 seconds against ``paidfor serve`` with several
workers, on SQLite and on PostgreSQL, mixing library searches, ``ads_archive`` calls, ad
submissions and reviews.

    .venv/bin/python bench/load.py --quick                      # 20,000 ads, 10 s, SQLite
    .venv/bin/python bench/load.py --ads 1000000 --backend both  # think 1 s, then 0

The ads come from ``bench/generate.py`` (cached in ``bench/work/``) imported with
``paidfor import native``: the SQLite database is the one ``bench/search.py`` uses; the
PostgreSQL one is the database ``bench_load`` on 127.0.0.1:5432 (imported once, reused while
it holds the same number of ads). Each server gets its tantivy search index (built by the
import, or by ``paidfor index sync``).

The clients (``asyncio`` tasks sharing an ``httpx.AsyncClient``, bounded by ``--clients``)
each loop until the time is up, waiting ``--think`` seconds on average between requests (a
person reading the answer, as locust's ``wait_time = between(0.5 t, 1.5 t)``; 0 sends the
next request as soon as the last answer is in, which measures capacity, not a user load), and
choosing:

* 70% ``GET /api/search`` — a common word, a rare word, a word with a country and a year, a
  funder, sorted by spend (one page of 25 ads and the total);
* 10% ``GET /v19.0/ads_archive`` — a search term with ``ad_reached_countries``;
* 10% ``POST /api/me/ads`` — an advertiser (one of 20, each with a card and a page) submits an
  ad; political or not, approved, rejected (a political ad without an authorization) or held
  (one advertiser in five pays in roubles from Russia and its page's admin signs in there,
  so the screening holds its ads for a person);
* 10% a reviewer (one of 5) reads ``GET /api/review/queue`` and decides one of the first five
  held ads; when another reviewer decided it first the answer is a 409, counted as a lost
  race, not an error. Two 200s for the same held decision would be two reviewers both
  winning: the run counts them (``double_wins``, which must be 0).

An error is any 5xx, any other unexpected status, a timeout or a broken connection. The public
rate limits are raised for the run (``PAIDFOR_ARCHIVE_RATE_LIMIT``; one client IP makes every
request here). The clock starts once every worker's ``/healthz`` says the review has
loaded what it needs (each worker loads it in the background at start-up and names itself;
the warm-up is reported). Each ``--think`` value is a run of its own against the same
server. Results: throughput, p50/p95/p99 per kind and errors, to a table and to
``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (
    PAIDFOR,
    ROOT,
    WORK,
    code_version,
    cpu_ticks,
    data_file,
    machine,
    psql,
    run_timed,
)
from search import LIMITS, free_port, paidfor_db, server

RESULTS = ROOT / "bench" / "results" / "load.json"
PG_DB = "bench_load"
PG_URL = f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
CARD = "4242 4242 4242 4242"


def pg_db(path: Path, size: int, timeout: float) -> str:
    """The PostgreSQL database with ``size`` generated ads (imported when it holds another
    number of them)."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'", db="postgres") == "1"
    # the generated ads only: earlier runs' submissions (source "paidfor") stay and count not
    count = psql("SELECT count(*) FROM ads WHERE source = 'bench'", db=PG_DB) if exists else ""
    if count != str(size):
        if exists:
            psql(f"DROP DATABASE {PG_DB} WITH (FORCE)", db="postgres")
        psql(f"CREATE DATABASE {PG_DB}", db="postgres")
        print(f"   importing {size:,} ads into PostgreSQL {PG_DB} ...", flush=True)
        run = run_timed([str(PAIDFOR), "import", "native", str(path), "--json"],
                        env={"PAIDFOR_DATABASE_URL": PG_URL, **_pg_index()},
                        timeout=timeout, log_name=f"load-import-pg-{size}")  # fmt: skip
        if run.status != "ok":
            raise SystemExit(f"paidfor import failed: {run.stderr[-2000:]}")
    run = run_timed([str(PAIDFOR), "index", "sync"],
                    env={"PAIDFOR_DATABASE_URL": PG_URL, **_pg_index()},
                    timeout=timeout, log_name=f"load-index-pg-{size}")  # fmt: skip
    if run.status != "ok":
        raise SystemExit(f"paidfor index sync failed: {run.stderr[-2000:]}")
    return PG_URL


def _pg_index() -> dict[str, str]:
    return {"PAIDFOR_INDEX_DIR": str(WORK / "load-pg-index")}


def vocabulary(url: str) -> dict[str, list[str]]:
    """Words, funders and countries to search for, read from the database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM ads")).scalar_one()
        step = max(1, min(997, total // 1000))  # about a thousand ads, spread over the ids
        sample = sa.text("SELECT search_text FROM ads WHERE id % :step = 0 LIMIT 3000")
        texts = [r[0] for r in conn.execute(sample, {"step": step})]
        funders = [r[0] for r in conn.execute(sa.text(
            "SELECT name FROM funders ORDER BY id LIMIT 500"))]  # fmt: skip
    engine.dispose()
    counts = Counter(w for t in texts for w in (t or "").lower().split() if w.isalpha())
    words = [w for w, _ in counts.most_common()]
    return {"common": words[:80], "rare": [w for w, c in counts.items() if c == 1][:500]
            or words[-200:], "funders": funders or ["Friends"]}  # fmt: skip


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lost_races: int = 0
    decided: int = 0
    started: float = field(default_factory=time.monotonic)
    # 200s per held decision answered: two for one would be two reviewers both winning
    wins: Counter[tuple[int, int | None]] = field(default_factory=Counter)


async def setup(client: httpx.AsyncClient, run: int) -> list[tuple[str, int]]:
    """20 advertisers, each with a card and a page. One in five looks like the IRA: a rouble
    card billed in Russia, page admins signing in from Russia, ads aimed at the US; the
    screening holds its ads for a person, so the reviewers have work to race for."""
    advertisers = []
    for i in range(20):
        foreign = i % 5 == 0
        country, currency = ("RU", "RUB") if foreign else ("US", "USD")
        r = await client.post("/api/advertisers",
                              json={"name": f"Load Test {run}-{i}", "country": "US"})  # fmt: skip
        r.raise_for_status()
        head = {"Authorization": f"Bearer {r.json()['token']}"}
        (
            await client.post(
                "/api/me/payment-instruments",
                headers=head,
                json={"currency": currency, "billing_country": country, "card_number": CARD},
            )
        ).raise_for_status()
        page = await client.post("/api/me/pages", headers=head, json={
            "name": f"Load Test Page {run}-{i}", "country": "US", "category": "Community",
            "admins": [{"name": f"Admin {i}", "login_countries": [country]}]})  # fmt: skip
        page.raise_for_status()
        advertisers.append((r.json()["token"], int(page.json()["id"])))
    return advertisers


async def one(
    client: httpx.AsyncClient, kind: str, stats: Stats, method: str, url: str, ok: set[int],
    **kw: Any,
) -> httpx.Response | None:  # fmt: skip
    started = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        # what lies under it, down to the OS error (a reset, an end of stream), and when, to
        # tell a connection the server closed from one that timed out
        chain, seen = [], exc.__cause__ or exc.__context__
        while seen is not None and len(chain) < 4:
            chain.append(f"{type(seen).__name__}({seen!r})" if str(seen) == "" else
                         f"{type(seen).__name__}: {seen}")  # fmt: skip
            seen = seen.__cause__ or seen.__context__
        under = f"; under it {' <- '.join(chain)}" if chain else ""
        elapsed = time.perf_counter() - started
        at = time.monotonic() - stats.started
        stats.errors[kind].append(f"{type(exc).__name__}: {exc} after {elapsed:.2f} s, "
                                  f"{at:.1f} s into the run{under}"[:400])  # fmt: skip
        return None
    stats.latencies[kind].append(time.perf_counter() - started)
    stats.statuses[kind][r.status_code] += 1
    if r.status_code not in ok:
        stats.errors[kind].append(f"{r.status_code} {url[:80]}: {r.text[:200]}")
    return r


async def worker(
    client: httpx.AsyncClient, rng: random.Random, words: dict[str, list[str]],
    advertisers: list[tuple[str, int]], reviewers: list[str], deadline: float, stats: Stats,
    think: float,
) -> None:  # fmt: skip
    while time.monotonic() < deadline:
        if think:  # a person reading the last answer: U(0.5, 1.5) x think seconds
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
            if time.monotonic() >= deadline:
                break
        roll = rng.random()
        if roll < 0.70:
            kind = rng.choice(["common", "rare", "country_year", "funder", "by_spend"])
            params: dict[str, str] = {}
            if kind == "common":
                params = {"q": rng.choice(words["common"])}
            elif kind == "rare":
                params = {"q": rng.choice(words["rare"])}
            elif kind == "country_year":
                year = rng.randint(2018, 2024)
                params = {"q": rng.choice(words["common"]), "country": "US",
                          "date_min": f"{year}-01-01", "date_max": f"{year}-12-31"}  # fmt: skip
            elif kind == "funder":
                params = {"funder": rng.choice(words["funders"])}
            else:
                params = {"q": rng.choice(words["common"]), "sort": "spend"}
            await one(client, "search", stats, "GET", "/api/search", {200}, params=params)
        elif roll < 0.80:
            params = {"search_terms": rng.choice(words["common"]),
                      "ad_reached_countries": '["US"]', "ad_type": "POLITICAL_AND_ISSUE_ADS",
                      "fields": "id,page_name,spend", "limit": "25"}  # fmt: skip
            await one(client, "ads_archive", stats, "GET", "/v19.0/ads_archive", {200},
                      params=params)  # fmt: skip
        elif roll < 0.90:
            token, page = rng.choice(advertisers)
            political = rng.random() < 0.5
            body = {"page_id": page, "bodies": [
                f"{' '.join(rng.choices(words['common'], k=12))} vote on election day"
                if political else "Fresh coffee beans delivered to your door, order today."],
                "targeting": {"locations": [{"country": "US"}]},
                "start": "2027-01-01T00:00:00Z", "budget": "100.00", "currency": "USD",
                "political": political}  # fmt: skip
            if political:
                body["paid_for_by"] = "Load Test Fund"
            await one(client, "submit", stats, "POST", "/api/me/ads", {201},
                      json=body, headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        else:
            head = {"Authorization": f"Bearer {rng.choice(reviewers)}"}
            r = await one(client, "review_queue", stats, "GET", "/api/review/queue", {200},
                          headers=head)  # fmt: skip
            held = (r.json().get("held") or []) if r is not None and r.status_code == 200 else []
            if held:
                item = rng.choice(held[:5])
                body = {"approve": rng.random() < 0.5, "reason": "load test decision"}
                if "decision_id" in item:
                    body["answers"] = item["decision_id"]
                d = await one(client, "decide", stats, "POST",
                              f"/api/review/ads/{item['ad_id']}/decision", {200, 409},
                              json=body, headers=head)  # fmt: skip
                if d is not None and d.status_code == 409:
                    stats.lost_races += 1
                elif d is not None and d.status_code == 200:
                    stats.decided += 1
                    stats.wins[(int(item["ad_id"]), item.get("decision_id"))] += 1


def cpu_times() -> tuple[int, int] | None:
    """The machine's busy and total CPU time so far (``/proc/stat``, in ticks), or None."""
    fields = cpu_ticks()
    if not fields:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_load(url: str, tokens: dict[str, list[str]], words: dict[str, list[str]],
                   clients: int, seconds: float, seed: int, think: float,
                   run: int) -> dict[str, Any]:  # fmt: skip
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        advertisers = await setup(client, run)
        stats = Stats()
        deadline = time.monotonic() + seconds
        started, cpu_before = time.perf_counter(), cpu_times()
        await asyncio.gather(*(
            worker(client, random.Random(seed + i), words, advertisers, tokens["reviewer"],
                   deadline, stats, think) for i in range(clients)))  # fmt: skip
        elapsed, cpu_after = time.perf_counter() - started, cpu_times()
    # the whole machine: the server's workers, this client, the database server
    busy = None
    if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
        busy = round(100 * (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1]), 1)
    kinds = {}
    for kind, values in sorted(stats.latencies.items()):
        kinds[kind] = {"requests": len(values), "per_s": round(len(values) / elapsed, 1),
                       "p50_ms": round(pct(values, 0.50), 1), "p95_ms": round(pct(values, 0.95), 1),
                       "p99_ms": round(pct(values, 0.99), 1),
                       "mean_ms": round(statistics.fmean(values) * 1000, 1),
                       "statuses": dict(stats.statuses[kind]),
                       "errors": len(stats.errors[kind])}  # fmt: skip
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(len(v) for v in stats.errors.values())
    return {"seconds": round(elapsed, 1), "requests": total, "per_s": round(total / elapsed, 1),
            "errors": errors, "lost_races": stats.lost_races, "decided": stats.decided,
            "double_wins": sum(n - 1 for n in stats.wins.values() if n > 1),
            "cpu_busy_percent": busy,
            "kinds": kinds,
            "error_samples": {k: v[:5] for k, v in stats.errors.items() if v}}  # fmt: skip


def wait_ready(base: str, workers: int, timeout: float = 1800.0) -> float:
    """Seconds until every worker's ``/healthz`` says screening has loaded what it knows: each
    worker loads on its own and names itself, so ask on new connections until ``workers``
    different ones have answered "ready" (and none of them "loading" since)."""
    started = time.monotonic()
    ready: set[str] = set()
    while len(ready) < workers:
        body = httpx.get(f"{base}/healthz", timeout=30).json()
        if body.get("screening") == "ready":
            ready.add(body["worker"])
        else:
            ready.discard(body.get("worker", ""))
        if time.monotonic() - started > timeout:
            raise SystemExit(f"screening not ready in {workers} workers after {timeout:.0f} s")
        time.sleep(0.05 if ready else 1.0)
    return time.monotonic() - started


def make_tokens(url: str) -> dict[str, list[str]]:
    env = {**os.environ, "PAIDFOR_DATABASE_URL": url}
    out: dict[str, list[str]] = {"reviewer": []}
    for i in range(5):
        done = subprocess.run([str(PAIDFOR), "token", "create", "--role", "reviewer", "--name",
                               f"load-reviewer-{i}"], env=env, capture_output=True, text=True,
                              check=True)  # fmt: skip
        out["reviewer"].append(done.stdout.strip().splitlines()[-1])
    return out


def report(result: dict[str, Any]) -> None:
    print(f"{'kind':<14}{'requests':>9}{'/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}")  # fmt: skip
    for kind, k in result["kinds"].items():
        print(f"{kind:<14}{k['requests']:>9}{k['per_s']:>8}{k['p50_ms']:>9}{k['p95_ms']:>9}"
              f"{k['p99_ms']:>9}{k['errors']:>8}")  # fmt: skip
    print(f"total {result['requests']:,} requests, {result['per_s']}/s, "
          f"{result['errors']} errors, {result['decided']} decisions, "
          f"{result['lost_races']} lost races (409), {result['double_wins']} held ads two "
          f"reviewers both won; CPU {result['cpu_busy_percent']}% busy", flush=True)  # fmt: skip
    for kind, samples in result["error_samples"].items():
        print(f"  {kind}: {samples[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 ads, 10 s, SQLite")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="server worker processes (default: one a core, which did best)",
    )
    parser.add_argument("--think", type=lambda v: [float(x) for x in v.split(",")],
                        default=[1.0, 0.0], help="seconds each client waits between requests "
                        "(mean of U(0.5, 1.5) x it; 0: none); several, comma-separated, are "
                        "several runs against the same server (default 1,0)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=7200.0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    opts = parser.parse_args()
    if opts.quick:
        opts.ads, opts.seconds, opts.backend = 20_000, 10.0, "sqlite"
    path, _ = data_file(opts.ads, opts.seed, opts.timeout)
    results = []
    for backend in ["sqlite", "postgresql"] if opts.backend == "both" else [opts.backend]:
        if backend == "sqlite":
            db = paidfor_db(path, opts.ads, opts.timeout)
            url, extra = f"sqlite:///{db}", {}
        else:
            url, extra = pg_db(path, opts.ads, opts.timeout), _pg_index()
        words = vocabulary(url)
        tokens = make_tokens(url)
        port = free_port()
        env = {"PAIDFOR_DATABASE_URL": url, "PAIDFOR_SECRET_KEY": "load-" * 8, **LIMITS, **extra}
        cmd = [str(PAIDFOR), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
               str(opts.workers)]  # fmt: skip
        with server(cmd, port, env, f"load-{backend}", probe="/healthz") as base:
            warmup = wait_ready(base, opts.workers)
            print(f"   screening ready in {opts.workers} workers after {warmup:.1f} s", flush=True)
            for run, think in enumerate(opts.think):
                print(f"-- {backend}: {opts.clients} clients for {opts.seconds:.0f} s, think "
                      f"{think:g} s, {opts.workers} workers, {opts.ads:,} ads",
                      flush=True)  # fmt: skip
                result = asyncio.run(run_load(base, tokens, words, opts.clients, opts.seconds,
                                              opts.seed, think, run))  # fmt: skip
                result |= {"backend": backend, "ads": opts.ads, "clients": opts.clients,
                           "think_seconds": think, "workers": opts.workers,
                           "warmup_seconds": round(warmup, 1)}  # fmt: skip
                results.append(result)
                report(result)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps({
        "benchmark": "load", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(), "machine": machine(), "python": platform.python_version(),
        "command": " ".join(["python", "bench/load.py", *sys.argv[1:]]), "results": results,
    }, indent=2) + "\n")  # fmt: skip
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
