"""The IRA release beside a legitimate population: import the HPSCI ads
(``shared/data/hpsci_ira_ads/ira_ads_clean.csv``) and a generated world without planted networks
(the ``world`` family's legitimate population: agencies, chapters, households, carrier NAT...)
into one fresh SQLite database, then

1. ``networks find``: how many networks, how many of their members are IRA pages and how many
   are legitimate accounts and pages of the world;
2. ``networks expand`` from three IRA pages (Black Matters, blackmattersus.mvmnt,
   brownunitedfront) at the null model's τ and at ``--min-weight 0.3``: members, IRA pages
   among them, legitimate entities among them.

    python bench/ira_networks.py [--data ../shared/data] [--seed 1] [--advertisers 3000]

Prints a table and writes bench/results/ira_networks.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from paidfor.eval.world import write
from paidfor.ingest.hpsci_ira import HpsciIra
from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.integrity.detection import IRA_SEEDS, detect
from paidfor.integrity.model import EntityKey, Network
from paidfor.integrity.networks import analyse, expand
from paidfor.integrity.store import World, load_world
from paidfor.storage.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "ira_networks.json"
console = Console()


def ira_entities(world: World, population: Path) -> set[EntityKey]:
    """The IRA release's pages: every entity the generated population file does not name."""
    ours: set[tuple[str, str]] = set()
    with open(population, "rb") as f:
        for raw in f:
            rec = orjson.loads(raw)
            if rec.get("kind") in ("advertiser", "page"):
                ours.add((rec["kind"], str(rec["external_id"])))
    return {k for k, (_, ext) in world.external.items() if (k.type, str(ext)) not in ours}


def counts(net_members: set[EntityKey], ira: set[EntityKey]) -> dict[str, int]:
    return {
        "members": len(net_members),
        "ira": len(net_members & ira),
        "legitimate": len(net_members - ira),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--advertisers", type=int, default=3000)
    ap.add_argument("--out", type=Path, default=OUT, help="results JSON")
    args = ap.parse_args()
    csv = args.data / "hpsci_ira_ads" / "ira_ads_clean.csv"
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "code": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "population": {"family": "world", "seed": args.seed, "advertisers": args.advertisers},
    }
    with tempfile.TemporaryDirectory() as tmp:
        population = Path(tmp) / "population.jsonl"
        write(population, args.seed, advertisers=args.advertisers, networks=0)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'ira.db'}")
        migrate(engine)
        with console.status("importing"):
            run_import(engine, HpsciIra(), [csv], parallel=False)
            run_import(engine, Native(), [population], parallel=False)
        with console.status("detecting"):
            started = time.perf_counter()
            world = load_world(engine)
            analysis = analyse(world)
            found = detect(engine, analysis)
            seconds = time.perf_counter() - started
        ira = ira_entities(world, population)
        report["entities"] = len(world.profiles)
        report["ira_entities"] = len(ira)
        report["link_threshold"] = round(analysis.tau, 4)
        flagged = {m.key for n in found.networks for m in n.members}
        report["find"] = {
            "networks": len(found.networks),
            **counts(flagged, ira),
            "pure_ira_networks": sum(all(m.key in ira for m in n.members) for n in found.networks),
            "seconds": round(seconds, 1),
        }
        names: dict[str, list[EntityKey]] = {}
        for key, p in world.profiles.items():
            names.setdefault(p.name, []).append(key)
        seeds = [names[n][0] for n in IRA_SEEDS if len(names.get(n, ())) == 1]
        report["expand"] = {}
        for label, weight in (("tau", None), ("0.3", 0.3)):
            net: Network = expand(analysis, seeds, min_weight=weight)
            members = {m.key for m in net.members}
            report["expand"][label] = counts(members, ira) | {"links": len(net.links)}
        engine.dispose()
    table = Table("what", "members", "IRA", "legitimate", "networks")
    f = report["find"]
    table.add_row("networks find", str(f["members"]), str(f["ira"]), str(f["legitimate"]),
                  str(f["networks"]))  # fmt: skip
    for label, e in report["expand"].items():
        table.add_row(f"expand (links ≥ {label})", str(e["members"]), str(e["ira"]),
                      str(e["legitimate"]), "1")  # fmt: skip
    console.print(table)
    console.print(
        f"{report['entities']:,} accounts and pages ({report['ira_entities']} from the IRA "
        f"release); τ {report['link_threshold']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"-> {args.out}")


if __name__ == "__main__":
    main()
