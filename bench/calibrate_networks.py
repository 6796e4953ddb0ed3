"""Calibrate the two logistic rules of the integrity layer on generated worlds.

For each training seed: generate a world, import it with the native importer into a temporary
SQLite database and run the analysis. Then:

1. **entity risk** (``integrity.risk``): a logistic regression (scikit-learn) of "belongs to
   a planted network" on the signals' scores of every account and page gives the bias and one
   weight per signal -> src/paidfor/integrity/risk_model.json, with a reliability table
   (predicted risk against the observed rate, by bins);
2. **cluster score** (``integrity.networks``): with the new risks, every cluster of two or
   more actors and its features; a cluster is positive when most of its members belong to a
   planted network; a logistic regression over the features, weighted by cluster size, and
   the threshold that maximises F1 over members -> src/paidfor/integrity/network_model.json.

The training seeds (default 101-106) are never the evaluation seeds in BENCHMARKS.md (1-5).

    python bench/calibrate_networks.py [--seeds 101 102 ...] [--advertisers 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.linear_model import LogisticRegression

from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.integrity import risk
from paidfor.integrity.evaluate import read_truth
from paidfor.integrity.model import EntityKey
from paidfor.integrity.networks import Analysis, actors, analyse, clusters, network_features
from paidfor.integrity.risk import assess
from paidfor.integrity.signals import SIGNALS
from paidfor.integrity.world import write
from paidfor.storage.db import make_engine, migrate
from paidfor.storage.integrity_repo import load_world

HERE = Path(__file__).resolve().parents[1] / "src/paidfor/integrity"
OUT = HERE / "network_model.json"
RISK_OUT = HERE / "risk_model.json"
console = Console()


def analysis_of(seed: int, advertisers: int) -> tuple[Analysis, set[EntityKey]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "world.jsonl"
        write(path, seed, advertisers=advertisers)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'w.db'}")
        migrate(engine)
        run_import(engine, Native(), [path], parallel=False)
        world = load_world(engine)
        truth = read_truth(path)
        engine.dispose()
    by_ext = {(k.type, *v): k for k, v in world.external.items()}
    bad: set[EntityKey] = set()
    for t in truth:
        ref = (t.source, t.external_id) if t.entity == "advertiser" else ("page", t.external_id)
        key = by_ext.get((t.entity, *ref))
        if key is not None:
            bad.add(key)
    return analyse(world), bad


def clusters_of(a: Analysis, bad: set[EntityKey]) -> list[tuple[dict[str, float], list[bool]]]:
    a.risk = {key: assess(p, a.context) for key, p in a.world.profiles.items()}
    out = []
    for comp in clusters(a):
        keys = [a.table.entities[i] for i in comp]
        if actors(a, keys) >= 2:
            out.append((network_features(a, keys), [k in bad for k in keys]))
    return out


def fit_risk(
    analyses: list[tuple[Analysis, set[EntityKey]]], args: argparse.Namespace, commit: str
) -> None:
    names = [s.name for s in SIGNALS]
    x, y = [], []
    for a, bad in analyses:
        for key, (_, findings) in a.risk.items():
            got = {f.signal: f.score for f in findings}
            x.append([got.get(n, 0.0) for n in names])
            y.append(key in bad)
    xa, ya = np.array(x), np.array(y)
    seen = [i for i, n in enumerate(names) if xa[:, i].any()]
    model = LogisticRegression(C=1.0, max_iter=1000).fit(xa[:, seen], ya)
    p = model.predict_proba(xa[:, seen])[:, 1]
    bins = []
    for lo in (0.0, 0.05, 0.2, 0.4, 0.6, 0.8):
        hi = {0.0: 0.05, 0.05: 0.2, 0.2: 0.4, 0.4: 0.6, 0.6: 0.8, 0.8: 1.01}[lo]
        inside = (p >= lo) & (p < hi)
        if inside.any():
            bins.append(
                {
                    "predicted": f"{lo:.2f}-{min(hi, 1.0):.2f}",
                    "entities": int(inside.sum()),
                    "mean_predicted": round(float(p[inside].mean()), 4),
                    "observed": round(float(ya[inside].mean()), 4),
                }
            )
    result = {
        "bias": round(float(model.intercept_[0]), 4),
        "weights": {
            names[i]: round(float(w), 4) for i, w in zip(seen, model.coef_[0], strict=True)
        },
        "reliability": bins,
        "brier": round(float(np.mean((p - ya) ** 2)), 5),
        "trained_on": {
            "seeds": args.seeds,
            "entities": len(ya),
            "members": int(ya.sum()),
            "never_fired": [n for i, n in enumerate(names) if i not in seen],
            "date": dt.date.today().isoformat(),
            "code": commit,
        },
    }
    RISK_OUT.write_text(json.dumps(result, indent=2) + "\n")
    risk.risk_model.cache_clear()
    table = Table("signal", "weight")
    for n, w in result["weights"].items():
        table.add_row(n, f"{w:+.3f}")
    table.add_row("bias", f"{result['bias']:+.3f}")
    console.print(table)
    rel = Table("predicted", "entities", "mean predicted", "observed")
    for b in bins:
        rel.add_row(
            b["predicted"], f"{b['entities']:,}", str(b["mean_predicted"]), str(b["observed"])
        )
    console.print(rel)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105, 106])
    ap.add_argument("--advertisers", type=int, default=3000)
    args = ap.parse_args()
    analyses = []
    for seed in args.seeds:
        with console.status(f"world {seed}"):
            analyses.append(analysis_of(seed, args.advertisers))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    fit_risk(analyses, args, commit)
    rows: list[tuple[dict[str, float], list[bool]]] = []
    for a, bad in analyses:
        rows += clusters_of(a, bad)
    names = sorted(rows[0][0])
    x = np.array([[f[n] for n in names] for f, _ in rows])
    y = np.array([sum(m) * 2 > len(m) for _, m in rows])
    size = np.array([len(m) for _, m in rows])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=size)
    p = model.predict_proba(x)[:, 1]
    best = (0.0, 0.5)
    for t in np.arange(0.05, 0.96, 0.01):
        tp = sum(sum(m) for (_, m), q in zip(rows, p, strict=True) if q >= t)
        fp = sum(len(m) - sum(m) for (_, m), q in zip(rows, p, strict=True) if q >= t)
        fn = sum(sum(m) for (_, m), q in zip(rows, p, strict=True) if q < t)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[0]:
            best = (f1, float(t))
    result = {
        "bias": round(float(model.intercept_[0]), 4),
        "weights": {n: round(float(w), 4) for n, w in zip(names, model.coef_[0], strict=True)},
        "threshold": round(best[1], 2),
        "trained_on": {
            "seeds": args.seeds,
            "advertisers": args.advertisers,
            "clusters": len(rows),
            "positive": int(y.sum()),
            "member_f1_at_threshold": round(best[0], 4),
            "date": dt.date.today().isoformat(),
            "code": commit,
        },
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    table = Table("feature", "weight")
    for n, w in result["weights"].items():
        table.add_row(n, f"{w:+.3f}")
    table.add_row("bias", f"{result['bias']:+.3f}")
    table.add_row("threshold", f"{result['threshold']:.2f}")
    console.print(table)
    console.print(f"{len(rows)} clusters, training member F1 {best[0]:.3f} -> {OUT}")


if __name__ == "__main__":
    main()
