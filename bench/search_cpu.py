"""The CPU time one library search takes in a server process, with nothing else running.

    .venv/bin/python bench/search_cpu.py --ads 1000000
    .venv/bin/py-spy record -f raw -o search.txt -- .venv/bin/python bench/search_cpu.py  # where

The same five kinds of ``GET /api/search`` that ``bench/load.py`` sends (a common word, a rare
word, a word with a country and a year, a funder, a word sorted by spend), drawn from the same
database (``bench/work/search-paidfor-<ads>.db``, made by ``bench/search.py`` or
``bench/load.py``), each answered ``--requests`` times, one after the other, through the ASGI
app in this process (``fastapi.testclient``, no socket): the whole request, from the
middleware to the JSON, measured once the server has loaded what the review needs (its
background loads take the CPU for the first seconds after a start). The table is the CPU
budget a search takes from a worker, not a latency under load (``bench/load.py`` is that).
Results: a table and ``bench/results/search_cpu.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, WORK, code_version, machine
from load import vocabulary

RESULTS = ROOT / "bench" / "results" / "search_cpu.json"


def queries(words: dict[str, list[str]], n: int, seed: int) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(seed)
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for _ in range(n):
        year = rng.randint(2018, 2024)
        out["common"].append({"q": rng.choice(words["common"])})
        out["rare"].append({"q": rng.choice(words["rare"])})
        dates = {"date_min": f"{year}-01-01", "date_max": f"{year}-12-31"}
        out["country_year"].append({"q": rng.choice(words["common"]), "country": "US", **dates})
        out["funder"].append({"funder": rng.choice(words["funders"])})
        out["by_spend"].append({"q": rng.choice(words["common"]), "sort": "spend"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="per kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    opts = parser.parse_args()
    db = WORK / f"search-paidfor-{opts.ads}.db"
    if not db.exists():
        raise SystemExit(f"{db} is missing: run bench/search.py or bench/load.py first")
    url = f"sqlite:///{db}"

    from fastapi.testclient import TestClient

    from paidfor.interfaces.http.api.app import create_app
    from paidfor.settings import Settings, public_url_of

    words = vocabulary(url)
    kinds = queries(words, opts.requests, opts.seed)
    settings = Settings(database_url=url, search_rate_limit=0)  # one client: no limit
    # on the server's own address: the app answers no other host (TestClient's is testserver)
    app = create_app(url, settings)
    with TestClient(app, base_url=public_url_of(settings)) as client:
        # the server loads what the review needs in the background at start-up: measure after
        deadline = time.monotonic() + 600
        while client.get("/healthz").json().get("screening") != "ready":
            if time.monotonic() > deadline:
                raise SystemExit("the screening did not load in 600 s")
            time.sleep(0.2)
        for params in kinds["common"][:20]:  # warm: caches, the index reader, the pool
            client.get("/api/search", params=params)
        times: dict[str, list[float]] = {}
        for kind, batch in kinds.items():
            times[kind] = []
            for params in batch:
                started = time.perf_counter()
                r = client.get("/api/search", params=params)
                times[kind].append(time.perf_counter() - started)
                if r.status_code != 200:
                    raise SystemExit(f"{params}: {r.status_code} {r.text[:300]}")
    rows: list[dict[str, Any]] = []
    print(f"{'kind':<14}{'n':>6}{'mean ms':>10}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in times.items():
        ms = sorted(v * 1000 for v in values)
        row = {"kind": kind, "requests": len(ms), "mean_ms": round(statistics.fmean(ms), 2),
               "p50_ms": round(ms[len(ms) // 2], 2),
               "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2)}  # fmt: skip
        rows.append(row)
        print(f"{kind:<14}{row['requests']:>6}{row['mean_ms']:>10}{row['p50_ms']:>9}"
              f"{row['p99_ms']:>9}")  # fmt: skip
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps({
        "benchmark": "search_cpu", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(), "machine": machine(), "python": platform.python_version(),
        "command": " ".join(["python", "bench/search_cpu.py", *sys.argv[1:]]),
        "ads": opts.ads, "results": rows,
    }, indent=2) + "\n")  # fmt: skip
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
