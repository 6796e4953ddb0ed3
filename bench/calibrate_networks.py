"""Calibrate the two logistic rules of the integrity layer on ONE family of generated worlds
(default: ``world``, docs/world.md, training seeds 101-106); bench/integrity_eval.py reports
them on both families (the other one, ``cycle``, docs/world-cycle.md, is never fitted on).

For each training seed the world is generated, imported with the native importer into a
temporary SQLite database and analysed as production analyses (``bench/families.py`` keeps
the read worlds under bench/work/worlds/). Then:

1. **entity risk** (``integrity.risk``): a logistic regression (scikit-learn) of "belongs to
   a planted network" on the signals' scores of every account and page -> risk_model.json,
   with a reliability table (predicted risk against the observed rate, by bins);
2. **cluster score** (``integrity.network_score``): with the new risks, every cluster of two
   or more actors and its features; a cluster is positive when most of its members belong to
   a planted network; an L2-regularised logistic regression over the features, weighted by
   cluster size, with every weight held non-negative (each feature is evidence of an
   operation by design: a fit that lets one count *against* an operation has learnt the
   generator, not the behaviour), and the threshold that maximises F1 over members ->
   network_model.json.

    python bench/calibrate_networks.py [--family world] [--seeds 101 102 ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from families import loaded, members_of

from paidfor.integrity import network_score, risk
from paidfor.integrity.model import EntityKey
from paidfor.integrity.network_score import FEATURES, candidate
from paidfor.integrity.networks import (
    Analysis,
    actors,
    analyse,
    clusters,
    network_features,
)
from paidfor.integrity.risk import assess
from paidfor.integrity.signals import SIGNALS

HERE = Path(__file__).resolve().parents[1] / "src/paidfor/integrity"
OUT = HERE / "network_model.json"
RISK_OUT = HERE / "risk_model.json"
BINS = ((0.0, 0.05), (0.05, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.01))
console = Console()


def clusters_of(a: Analysis, bad: set[EntityKey]) -> list[tuple[dict[str, float], list[bool]]]:
    a.risk = {key: assess(p, a.context) for key, p in a.world.profiles.items()}
    out = []
    for comp in clusters(a):
        keys = [a.table.entities[i] for i in comp]
        if actors(a, keys) >= 2:
            features = network_features(a, keys)
            if candidate(features):  # the gate is a rule, not fitted: fit what passes it
                out.append((features, [k in bad for k in keys]))
    return out


# Signals whose evidence is what people decided before (removals, flags) or shared (threat
# indicators): generated worlds only imitate that history, so these keep their hand-set weights
# (integrity.risk.WEIGHTS, moved with the bias) instead of the worlds' (a world's chapters that
# copy a sibling's removed ad taught the fit that copying a removed ad means little).
HAND_SET = frozenset({"shared_infrastructure", "removed_creative", "threat_indicator"})


def fit_risk(
    analyses: list[tuple[Analysis, set[EntityKey]]], meta: dict[str, object], out: Path
) -> None:
    names = [s.name for s in SIGNALS if s.name not in HAND_SET]
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
    for lo, hi in BINS:
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
            **meta,
            "entities": len(ya),
            "members": int(ya.sum()),
            "never_fired": [n for i, n in enumerate(names) if i not in seen],
            "hand_set": sorted(HAND_SET),
        },
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
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


def fit_nonnegative(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray, c: float
) -> tuple[float, np.ndarray]:
    """Logistic regression with L2 strength 1/c and non-negative coefficients (L-BFGS-B);
    the intercept is free."""
    yy = y.astype(float)
    w = weight / weight.mean()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        eps = 1e-12
        nll = -np.sum(w * (yy * np.log(p + eps) + (1 - yy) * np.log(1 - p + eps)))
        reg = 0.5 / c * np.sum(theta[1:] ** 2)
        g = w * (p - yy)
        grad = np.concatenate([[g.sum()], x.T @ g + theta[1:] / c])
        return float(nll + reg), grad

    start = np.zeros(x.shape[1] + 1)
    bounds = [(None, None)] + [(0.0, None)] * x.shape[1]
    res = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return float(res.x[0]), res.x[1:]


def best_threshold(rows: list[tuple[dict[str, float], list[bool]]], p: np.ndarray) -> tuple:
    """The training member F1 at its best, and the threshold in the middle of the thresholds
    that reach it (not its lower edge: where the best is a plateau, its middle is the choice
    furthest from both kinds of error, and the one least moved by a small change of the
    clusters)."""
    scores = []
    for t in np.arange(0.05, 0.96, 0.01):
        tp = sum(sum(m) for (_, m), q in zip(rows, p, strict=True) if q >= t)
        fp = sum(len(m) - sum(m) for (_, m), q in zip(rows, p, strict=True) if q >= t)
        fn = sum(sum(m) for (_, m), q in zip(rows, p, strict=True) if q < t)
        scores.append((2 * tp / (2 * tp + fp + fn) if tp else 0.0, float(t)))
    best = max(f1 for f1, _ in scores)
    plateau = [t for f1, t in scores if f1 >= best - 1e-9]
    return best, plateau[len(plateau) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--family", default="world")
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105, 106])
    ap.add_argument("--advertisers", type=int, default=None)
    ap.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the fit")
    ap.add_argument("--out", type=Path, default=OUT, help="the network model (shipped)")
    ap.add_argument("--risk-out", type=Path, default=RISK_OUT, help="the risk model (shipped)")
    args = ap.parse_args()
    analyses = []
    for seed in args.seeds:
        with console.status(f"{args.family} world {seed}"):
            world, labels = loaded(args.family, seed, advertisers=args.advertisers)
            analyses.append((analyse(world), set(members_of(world, labels))))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    meta: dict[str, object] = {
        "family": args.family,
        "seeds": args.seeds,
        "date": dt.date.today().isoformat(),
        "code": commit,
    }
    fit_risk(analyses, meta, args.risk_out)
    rows: list[tuple[dict[str, float], list[bool]]] = []
    for a, bad in analyses:
        rows += clusters_of(a, bad)
    x = np.array([[f[n] for n in FEATURES] for f, _ in rows])
    y = np.array([sum(m) * 2 > len(m) for _, m in rows])
    size = np.array([len(m) for _, m in rows])
    bias, coef = fit_nonnegative(x, y, size.astype(float), args.C)
    p = 1.0 / (1.0 + np.exp(-(bias + x @ coef)))
    f1, threshold = best_threshold(rows, p)
    result = {
        "bias": round(bias, 4),
        "weights": {n: round(float(w), 4) for n, w in zip(FEATURES, coef, strict=True)},
        "threshold": round(threshold, 2),
        "trained_on": {
            **meta,
            "C": args.C,
            "clusters": len(rows),
            "positive": int(y.sum()),
            "member_f1_at_threshold": round(f1, 4),
        },
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    network_score.network_model.cache_clear()
    table = Table("feature", "weight")
    for n, w in result["weights"].items():
        table.add_row(n, f"{w:+.3f}")
    table.add_row("bias", f"{result['bias']:+.3f}")
    table.add_row("threshold", f"{result['threshold']:.2f}")
    console.print(table)
    console.print(f"{len(rows)} clusters, training member F1 {f1:.3f} -> {args.out}")


if __name__ == "__main__":
    main()
