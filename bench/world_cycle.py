"""Write a cycle world (docs/world-cycle.md) as paidfor JSON lines and summarise it.

    python bench/world_cycle.py --seed 1 --out bench/work/cycle-s1.jsonl
    python bench/world_cycle.py --seed 7 --out c.jsonl --advertisers 600 --operations 5

The cycle family is written apart from docs/world.md's generator, so a detector fitted on one
can be reported on the other. The same seed and sizes give the same bytes.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from paidfor.eval.cycle import write

KINDS = ("admin", "advertiser", "page", "ad", "relationship", "population", "truth")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a cycle world (JSON lines).")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--advertisers", type=int, default=2500, help="legitimate advertisers")
    ap.add_argument("--operations", type=int, default=10, help="planted operations")
    args = ap.parse_args(argv)
    if args.advertisers < 1 or args.operations < 0:
        ap.error("--advertisers must be >= 1 and --operations >= 0")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summary = write(args.out, args.seed, advertisers=args.advertisers, operations=args.operations)
    seconds = time.perf_counter() - started

    console = Console(width=max(Console().width, 140))
    records = Table(title=f"Records (seed {args.seed})")
    records.add_column("kind")
    records.add_column("records", justify="right")
    for kind in KINDS:
        records.add_row(kind, f"{summary.records.get(kind, 0):,}")
    records.add_row("total", f"{sum(summary.records.values()):,}", style="bold")
    console.print(records)

    groups = Table(title="Legitimate advertisers by group")
    groups.add_column("group")
    groups.add_column("advertisers", justify="right")
    for group, count in summary.groups.items():
        groups.add_row(group, f"{count:,}")
    console.print(groups)

    ops = Table(title="Planted operations")
    ops.add_column("operation")
    ops.add_column("style")
    for col in ("members", "accounts", "pages"):
        ops.add_column(col, justify="right")
    ops.add_column("traces")
    for op in summary.operations:
        ops.add_row(
            op.name,
            op.style,
            str(op.members),
            str(op.accounts),
            str(op.pages),
            ", ".join(op.traces),
        )
    console.print(ops)
    console.print(f"{args.out}: {summary.bytes / 1e6:,.1f} MB in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
