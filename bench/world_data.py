"""Derive ``src/paidfor/data/world_population.csv`` (the legitimate population of the synthetic
integrity worlds, ``paidfor.eval.world``) from the Meta Ad Library Report.

    python bench/world_data.py [--report PATH] [--out PATH]

Source: ``/work/shared/data/meta_ad_library/report_US_last_7_days_2023-06-01_advertisers.csv``
(Meta Ad Library Report, US, the 7 days to 2023-06-01: ``Page ID, Page name, Disclaimer,
Amount spent (USD), Number of ads in Library``; 5,302 advertisers). The package cannot read
``../shared`` at run time, so the few columns the generator samples are copied here:

* ``page_name`` and ``disclaimer`` as published (the report's "These ads ran without a
  disclaimer" becomes empty);
* ``kind``: a guess from the two names (candidate, government, news, party, union, issue,
  business), which the generator uses for page categories and ad text;
* ``spend_usd`` the amount (the report's ``≤100`` is kept as ``<=100``) and ``ads`` the number
  of ads.

Page IDs are dropped (worlds make their own) and exact repeats of (page name, disclaimer) are
kept once. The output starts with one ``#`` comment line naming the source.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = Path("/work/shared/data/meta_ad_library/report_US_last_7_days_2023-06-01_advertisers.csv")
OUT = ROOT / "src" / "paidfor" / "data" / "world_population.csv"
NO_DISCLAIMER = "These ads ran without a disclaimer"

_OFFICE = (
    r"congress|senate|house|governor|mayor|council|judge|sheriff|assembly|delegate|president|"
    r"attorney general|district attorney|clerk|commission\w*|school board|board|treasurer|"
    r"auditor|supervisor|ward|legislature|state rep\w*|d\d+|\d{4}"
)
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "candidate",
        re.compile(
            rf"\bfor\b[\w\s.'-]*\b({_OFFICE})\b|\b(friends of|elect|re-elect|campaign|"
            r"committee to elect)\b|\w4(senate|congress|mayor|council|house|judge|sheriff)\b|"
            r"^(senator|representative|congressman|congresswoman|rep\.|sen\.|mayor|judge|"
            r"commissioner|councilmember|councilman|councilwoman|delegate|governor|"
            r"assemblymember|assemblyman|assemblywoman|sheriff)\b",
            re.I,
        ),
    ),
    ("union", re.compile(r"\b(union|afl-cio|seiu|teamsters|local \d+|federation of)\b", re.I)),
    (
        "party",
        re.compile(r"\b(democrat\w*|republican\w*|libertarian|gop|dnc|rnc|green party)\b", re.I),
    ),
    (
        "news",
        re.compile(
            r"\b(news|times|post|daily|courier|tribune|herald|journal|gazette|press|media|"
            r"radio|tv|magazine|report|observer|chronicle|dispatch|noticias)\b",
            re.I,
        ),
    ),
    (
        "government",
        re.compile(
            r"\b(county|city of|town of|village of|township|department|dept\.?|office of|"
            r"state of|commonwealth of|authority|police|sheriff'?s office|fire district|"
            r"public schools|school district|secretary of state|board of elections|assessor)\b",
            re.I,
        ),
    ),
    (
        "issue",
        re.compile(
            r"\b(action|fund|foundation|coalition|alliance|association|network|council|"
            r"institute|project|society|league|center|centre|committee|pac|advocates?|"
            r"america|americans|voters|citizens|rights|freedom|liberty|justice|united|"
            r"movement|initiative|vote|civic|policy|voices|org)\b",
            re.I,
        ),
    ),
]


def kind_of(page: str, disclaimer: str) -> str:
    text = f"{page} | {disclaimer}"
    for kind, pattern in _RULES:
        if pattern.search(text):
            return kind
    return "business"


def derive(report: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    with open(report, encoding="utf-8-sig", newline="") as f:
        for rec in csv.DictReader(f):
            page = " ".join((rec.get("Page name") or "").split())
            disclaimer = " ".join((rec.get("Disclaimer") or "").split())
            if disclaimer == NO_DISCLAIMER:
                disclaimer = ""
            if not page or (page, disclaimer) in seen:
                continue
            seen.add((page, disclaimer))
            spend = (rec.get("Amount spent (USD)") or "").strip().replace("≤", "<=")
            ads = (rec.get("Number of ads in Library") or "").strip() or "1"
            if not (spend == "<=100" or spend.isdigit()) or not ads.isdigit():
                continue
            rows.append(
                {
                    "page_name": page,
                    "disclaimer": disclaimer,
                    "kind": kind_of(page, disclaimer),
                    "spend_usd": spend,
                    "ads": ads,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report", type=Path, default=REPORT)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    rows = derive(args.report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write(
            f"# source: {REPORT} (Meta Ad Library Report, US, last 7 days to 2023-06-01); "
            "derived by bench/world_data.py\n"
        )
        w = csv.DictWriter(f, fieldnames=["page_name", "disclaimer", "kind", "spend_usd", "ads"])
        w.writeheader()
        w.writerows(rows)
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    size = args.out.stat().st_size
    print(f"{len(rows)} rows, {size:,} bytes -> {args.out}", file=sys.stderr)
    print(", ".join(f"{k} {v}" for k, v in sorted(kinds.items())), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
