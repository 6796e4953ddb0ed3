"""Integrity benchmarks: inline screening latency, and network detection at scale.

1. **screening**: a generated world (``--advertisers``, default 3,000) imported into SQLite;
   the screen's knowledge replaced by a synthetic one holding ``--flagged`` flagged entities
   (default 100,000, five attributes each) and ``--indicators`` threat indicators (default
   1,000,000 domains, texts, card fingerprints); then every account of the world is screened
   as a submission would be (its profile read from the database, every signal, the risk).
   Reports p50/p99 per screened submission: the median of ``--runs`` runs (default 3) over
   the same submissions, with the spread and the load average around each run.
2. **detection**: a synthetic entity–attribute table of ``--entities`` entities (default
   1,000,000) and about ten links each (IPs and domains with heavy-tailed popularity, devices
   and cards mostly personal, creation days, text clusters) with 1% of the entities in planted
   networks; the projection, the null model (two shuffles) and the clustering, timed, with the
   peak memory of the process. Reports the planted members recovered among the clustered.

Prints a table and writes bench/results/integrity.json.

    python bench/integrity.py [--entities 1000000] [--flagged 100000] [--indicators 1000000]
        [--runs 3] [--skip screening|detection]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from paidfor.integrity.graph import AttributeTable, null_threshold, project
from paidfor.integrity.indicators import Indicator, IndicatorSet
from paidfor.integrity.model import EntityKey
from paidfor.integrity.networks import cluster_links
from paidfor.integrity.screen import RiskScreen, screening_context
from paidfor.integrity.store import enforcement_marker
from paidfor.review.rules import ReviewInput

RESULTS = Path(__file__).resolve().parent / "results"
console = Console()


def bench_screening(
    advertisers: int, flagged: int, indicators: int, repeat: int = 3
) -> dict[str, object]:
    from paidfor.eval.world import write
    from paidfor.ingest.native import Native
    from paidfor.ingest.pipeline import run_import
    from paidfor.storage.db import make_engine, migrate

    tmp = tempfile.mkdtemp(prefix="paidfor-bench-")
    path = Path(tmp) / "world.jsonl"
    write(path, 11, advertisers=advertisers)
    engine = make_engine(f"sqlite:///{Path(tmp) / 'w.db'}")
    migrate(engine)
    run_import(engine, Native(), [path], parallel=False)
    started = time.perf_counter()
    ctx = screening_context(engine)
    context_seconds = time.perf_counter() - started
    for i in range(flagged):  # flagged entities, five attributes each
        key = EntityKey("advertiser", 10_000_000 + i)
        ctx.flagged[key] = (f"flagged {i}", "ads removed", datetime(2020, 1, 1))
        for attr in (
            ("payment", f"fp-flag-{i}"),
            ("device", f"dev-flag-{i}"),
            ("ip", f"2001:db8::{i:x}"),  # documentation range: none of the world's
            ("domain", f"flagged-{i}.example"),
            ("admin", str(20_000_000 + i)),
        ):
            ctx.flagged_attrs.setdefault(attr, []).append(key)
            ctx.attr_df[attr] = ctx.attr_df.get(attr, 0) + 1
    world_domains = [a[1] for a, c in ctx.attr_df.items() if a[0] == "domain" and c == 1]
    inds = IndicatorSet()
    for i in range(indicators):
        kind = ("domain", "raw_text", "payment_fingerprint", "url")[i % 4]
        value = {
            "domain": f"bad-{i}.example",
            "raw_text": f"shared text number {i} about the election",
            "payment_fingerprint": f"fp-ind-{i}",
            "url": f"https://bad-{i}.example/x",
        }[kind]
        inds.add(Indicator(kind, value, f"indicator {i} ({kind})", 80))
    for d in world_domains[: len(world_domains) // 50]:  # some of the world's domains match
        inds.add(Indicator("domain", d, f"indicator for {d}", 90))
    inds.build()  # as the server's loader does, before the first screened submission
    ctx.indicators = inds
    screen = RiskScreen(engine, inds)
    screen.knowledge.put(ctx, enforcement_marker(engine))
    with engine.connect() as conn:
        pairs = conn.exec_driver_sql(
            "SELECT advertiser_id, MIN(page_id) FROM ads GROUP BY advertiser_id"
        ).all()
    runs = []
    for _ in range(repeat):  # the same submissions again: median and spread of the runs
        load_before = os.getloadavg()[0]
        times = []
        held = 0
        for adv, page in pairs:
            inp = ReviewInput(
                text="",
                declared_political=True,
                countries=("US",),
                starts=datetime.now(UTC),
                funder_name=None,
                advertiser_id=adv,
                page_id=page,
            )
            t0 = time.perf_counter()
            found = screen.screen(inp)
            times.append(time.perf_counter() - t0)
            held += any(f.hold for f in found)
        ms = np.array(times) * 1000
        runs.append(
            {
                "p50_ms": round(float(np.percentile(ms, 50)), 2),
                "p99_ms": round(float(np.percentile(ms, 99)), 2),
                "max_ms": round(float(ms.max()), 2),
                "load_before": round(load_before, 2),
                "load_after": round(os.getloadavg()[0], 2),
            }
        )
    engine.dispose()
    p99s = [r["p99_ms"] for r in runs]
    return {
        "submissions": len(pairs),
        "held": held,
        "flagged_entities": flagged,
        "indicators": len(inds),
        "context_build_s": round(context_seconds, 2),
        "runs": runs,
        "p50_ms": float(np.median([r["p50_ms"] for r in runs])),
        "p99_ms": float(np.median(p99s)),
        "p99_spread_ms": [min(p99s), max(p99s)],
        "max_ms": max(r["max_ms"] for r in runs),
    }


def synthetic_table(n: int, seed: int = 3) -> tuple[AttributeTable, np.ndarray]:
    """About ten attribute links per entity; 1% of entities in planted networks of 10-50."""
    rng = np.random.default_rng(seed)
    ent_parts, attr_parts, kinds = [], [], []
    base = 0

    def add(kind: str, values: np.ndarray, owners: np.ndarray) -> None:
        nonlocal base
        uniq, inv = np.unique(values, return_inverse=True)
        ent_parts.append(owners)
        attr_parts.append(inv + base)
        kinds.extend([kind] * len(uniq))
        base += len(uniq)

    ids = np.arange(n)
    two = np.repeat(ids, 2)
    add("ip", rng.zipf(1.6, 2 * n) % (n // 3), two)  # heavy tail: NAT and ISPs
    add("device", np.where(rng.random(2 * n) < 0.97, two, rng.integers(0, n, 2 * n)), two)
    add("payment", np.where(rng.random(n) < 0.98, ids, rng.integers(0, n, n)), ids)
    add("admin", np.where(rng.random(n) < 0.9, ids, rng.integers(0, n // 20, n)), ids)
    add("domain", rng.zipf(1.3, 2 * n) % n, two)  # actblue-like giants, most unique
    add("burst", rng.integers(0, 3000, n), ids)  # creation day over eight years
    add("creative", np.where(rng.random(n) < 0.9, ids, rng.integers(0, n // 10, n)), ids)
    # planted networks: 1% of entities share cards, devices and a burst day
    planted = rng.choice(n, n // 100, replace=False)
    sizes = rng.integers(10, 51, len(planted) // 10 + 1)
    group = np.repeat(np.arange(len(sizes)), sizes)[: len(planted)]
    add("payment", 5 * n + group * 4 + rng.integers(0, 4, len(planted)), planted)
    add("device", 7 * n + group * 3 + rng.integers(0, 3, len(planted)), planted)
    add("burst", 9 * n + group, planted)
    ent = np.concatenate(ent_parts).astype(np.int64)
    attr = np.concatenate(attr_parts).astype(np.int64)
    entities = [EntityKey("advertiser", i) for i in range(n)]
    table = AttributeTable(entities, [(k, str(i)) for i, k in enumerate(kinds)], ent, attr)
    return table, planted


def bench_detection(n: int) -> dict[str, object]:
    t0 = time.perf_counter()
    table, planted = synthetic_table(n)
    t1 = time.perf_counter()
    proj = project(table)
    t2 = time.perf_counter()
    tau = null_threshold(table, proj)
    t3 = time.perf_counter()
    found = cluster_links(proj, tau)
    t4 = time.perf_counter()
    members = {i for c in found for i in c}
    hit = len(members & set(planted.tolist()))
    return {
        "entities": n,
        "attribute_links": len(table.ent),
        "candidate_entity_links": len(proj.weight),
        "kept_links": int((proj.weight >= tau).sum()),
        "tau": round(tau, 4),
        "clusters": len(found),
        "planted_recovered": round(hit / len(planted), 4),
        "clustered_not_planted": len(members) - hit,
        "generate_s": round(t1 - t0, 1),
        "project_s": round(t2 - t1, 1),
        "null_model_s": round(t3 - t2, 1),
        "cluster_s": round(t4 - t3, 1),
        "detect_s": round(t4 - t1, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entities", type=int, default=1_000_000)
    ap.add_argument("--flagged", type=int, default=100_000)
    ap.add_argument("--indicators", type=int, default=1_000_000)
    ap.add_argument("--advertisers", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3, help="screening runs (median and spread)")
    ap.add_argument("--skip", choices=["screening", "detection"], action="append", default=[])
    ap.add_argument("--out", type=Path, default=RESULTS / "integrity.json", help="results JSON")
    args = ap.parse_args()
    out: dict[str, object] = {
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "code": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
    }
    if "detection" not in args.skip:  # first: its peak memory is the process's
        with console.status(f"detection on {args.entities:,} entities"):
            out["detection"] = bench_detection(args.entities)
    if "screening" not in args.skip:
        with console.status("screening"):
            out["screening"] = bench_screening(
                args.advertisers, args.flagged, args.indicators, args.runs
            )
    for part in ("detection", "screening"):
        if part in out:
            table = Table(part, "value")
            for k, v in out[part].items():  # type: ignore[attr-defined]
                if k != "runs":
                    table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
            console.print(table)
    path = args.out
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.skip and path.is_file():  # keep the part this run skipped, with when it was run
        before = json.loads(path.read_text())
        for part in args.skip:
            if part in before:
                out[part] = before[part]
                out[f"{part}_measured"] = before.get(
                    f"{part}_measured", {"date": before.get("date"), "code": before.get("code")}
                )
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
