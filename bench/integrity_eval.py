"""Report the network detection on both families of generated worlds, per seed and per style:
member precision, recall and F1, sleeper recall, the legitimate entities in declared
coordination that were reported, and the false positives by legitimate group. The rules are
fitted on the ``world`` family's seeds 101-106 (bench/calibrate_networks.py); the ``cycle``
family (docs/world-cycle.md) is never fitted on, and neither are the seeds reported here.

    python bench/integrity_eval.py [--families world cycle] [--seeds 1 2 3 4 5]

Prints a table a family and writes bench/results/integrity_eval.json. Worlds are generated,
imported with the native importer and read back once, then kept under bench/work/worlds/
(bench/families.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from families import loaded

from paidfor.eval.integrity import score
from paidfor.integrity.networks import analyse, find

OUT = Path(__file__).resolve().parent / "results" / "integrity_eval.json"
SLEEPERS = ("sleeper", "sleeper_cell")
console = Console()


def run(family: str, seed: int, advertisers: int | None = None) -> dict[str, Any]:
    world, labels = loaded(family, seed, advertisers=advertisers)
    started = time.perf_counter()
    analysis = analyse(world)
    networks = find(analysis)
    flagged = {m.key for n in networks for m in n.members}
    result = score(world, labels, flagged)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["networks_found"] = len(networks)
    return result


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp = sum(r["tp"] for r in rows)
    fp = sum(r["fp"] for r in rows)
    fn = sum(r["fn"] for r in rows)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    styles: dict[str, list[int]] = {}
    for row in rows:
        for style, s in row["by_style"].items():
            got = styles.setdefault(style, [0, 0])
            got[0] += s["tp"]
            got[1] += s["tp"] + s["fn"]
    declared = [sum(r["declared_coordination"][k] for r in rows) for k in ("reported", "entities")]
    sleepers = [sum(styles[s][i] for s in SLEEPERS if s in styles) for i in (0, 1)]
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "recall_by_style": {s: round(a / b, 4) if b else 0.0 for s, (a, b) in styles.items()},
        "sleeper_recall": round(sleepers[0] / sleepers[1], 4) if sleepers[1] else None,
        "declared_reported": declared[0],
        "declared_entities": declared[1],
        "declared_share_reported": round(declared[0] / declared[1], 4) if declared[1] else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", nargs="+", default=["world", "cycle"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--advertisers", type=int, default=None, help="each world's (its default)")
    ap.add_argument("--out", type=Path, default=OUT, help="results JSON")
    args = ap.parse_args()
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "code": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "fitted_on": json.loads(
            (
                Path(__file__).resolve().parents[1] / "src/paidfor/integrity/network_model.json"
            ).read_text()
        ).get("trained_on"),
        "families": {},
    }
    for family in args.families:
        rows = []
        table = Table(title=f"{family} worlds", show_lines=False)
        for col in ("seed", "precision", "recall", "F1", "sleeper recall", "declared reported",
                    "false positives by group"):  # fmt: skip
            table.add_column(col)
        for seed in args.seeds:
            with console.status(f"{family} world {seed}"):
                r = run(family, seed, args.advertisers)
            r["seed"] = seed
            rows.append(r)
            sl = [r["by_style"][s] for s in SLEEPERS if s in r["by_style"]]
            sleeper = f"{sl[0]['recall']:.2f}" if sl else "—"
            d = r["declared_coordination"]
            fps = ", ".join(f"{g} {n}" for g, n in r["false_positives_by_group"].items())
            table.add_row(str(seed), f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                          f"{r['f1']:.3f}", sleeper, f"{d['reported']} of {d['entities']}",
                          fps or "—")  # fmt: skip
        total = pooled(rows)
        declared = f"{total['declared_reported']} of {total['declared_entities']}"
        table.add_row("all", f"{total['precision']:.3f}", f"{total['recall']:.3f}",
                      f"{total['f1']:.3f}", f"{total['sleeper_recall'] or 0:.2f}", declared,
                      "")  # fmt: skip
        console.print(table)
        styles = ", ".join(f"{s} {v:.2f}" for s, v in sorted(total["recall_by_style"].items()))
        console.print(f"recall by style: {styles}")
        report["families"][family] = {"seeds": rows, "all": total}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"-> {args.out}")


if __name__ == "__main__":
    main()
