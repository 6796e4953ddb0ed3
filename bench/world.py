"""Write a synthetic integrity world (docs/world.md) as paidfor JSON lines and summarise it.

    python bench/world.py --seed 1 --out bench/work/world-s1.jsonl
    python bench/world.py --seed 7 --out w.jsonl --advertisers 500 --networks 4

The same seed and sizes give the same bytes. The file holds admin, advertiser, page, ad and
truth records (docs/formats.md, "Worlds"); ``paidfor import native FILE`` loads it and
``paidfor eval integrity --world FILE`` scores a detector against its truth lines.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from paidfor.eval.world import write


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic integrity world (JSON lines).")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--advertisers", type=int, default=3000, help="legitimate advertisers")
    ap.add_argument("--networks", type=int, default=12, help="planted foreign networks")
    args = ap.parse_args(argv)
    if args.advertisers < 1 or args.networks < 0:
        ap.error("--advertisers must be >= 1 and --networks >= 0")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summary = write(args.out, args.seed, args.advertisers, args.networks)
    seconds = time.perf_counter() - started

    console = Console(width=max(Console().width, 150))
    records = Table(title=f"{args.out} (seed {args.seed})")
    records.add_column("kind")
    records.add_column("records", justify="right")
    for kind in ("admin", "advertiser", "page", "relationship", "ad", "truth", "population"):
        records.add_row(kind, f"{summary.records.get(kind, 0):,}")
    records.add_row("total", f"{sum(summary.records.values()):,}", style="bold")
    console.print(records)

    legit = Table(title="Legitimate advertisers by kind")
    legit.add_column("kind")
    legit.add_column("advertisers", justify="right")
    for kind, count in summary.legit.items():
        legit.add_row(kind, f"{count:,}")
    console.print(legit)

    nets = Table(title="Planted networks")
    for col in ("network", "style", "origin", "advertisers", "pages", "admins", "ads"):
        nets.add_column(col, justify="right" if col in ("advertisers", "pages", "admins",
                                                        "ads") else "left")  # fmt: skip
    nets.add_column("traces leaked")
    for n in summary.networks:
        nets.add_row(
            n["network"], n["style"], n["origin"], str(n["advertisers"]), str(n["pages"]),
            str(n["admins"]), str(n["ads"]), ", ".join(n["traces"]),
        )  # fmt: skip
    console.print(nets)

    styles = Table(title="Networks by style")
    for col in ("style", "networks", "entities", "smallest", "largest"):
        styles.add_column(col, justify="left" if col == "style" else "right")
    by_style: dict[str, list[int]] = {}
    for n in summary.networks:
        by_style.setdefault(n["style"], []).append(n["advertisers"] + n["pages"])
    for style, sizes in sorted(by_style.items()):
        styles.add_row(style, str(len(sizes)), str(sum(sizes)), str(min(sizes)), str(max(sizes)))
    console.print(styles)

    traces = Counter(t for n in summary.networks for t in n["traces"])
    console.print(
        "traces: "
        + ", ".join(f"{t} {k}/{len(summary.networks)}" for t, k in sorted(traces.items()))
    )
    console.print(f"{summary.bytes / 1e6:.1f} MB in {seconds:.1f} s -> {summary.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
