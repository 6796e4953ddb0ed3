"""Feed sync benchmark: mirroring a privacy group of 1,000,000 indicators from one paidfor
server, with ``paidfor exchange fetch`` and, as the peer, Meta's ``threatexchange fetch``
through ``paidfor.exchange.tx_extension``.

    .venv/bin/python bench/exchange_sync.py --quick          # 20,000 indicators
    .venv/bin/python bench/exchange_sync.py                  # 1,000,000 indicators

A server database (SQLite, in a temporary folder) gets ``--indicators`` live indicators in one
group (a mix of domains, URLs, texts and PDQ hashes; bulk-inserted with their feed stamps, as
if published one by one) and is served by ``paidfor serve`` on 127.0.0.1. Each client then:

* ``full``: mirrors the group from scratch (paidfor into a fresh SQLite database, the library
  into a fresh ``TX_STATEDIR``); the library's run includes building its match indices, which
  its ``fetch`` always does (``--skip-index-rebuild`` is also timed);
* ``none``: fetches again with nothing new;
* ``delta``: fetches after the server added 1% and deleted 0.1% of the indicators.

Each run is a separate process measured by ``/usr/bin/time`` (wall seconds, peak RSS). Both
mirrors are then compared with the server's live set (paidfor: rows; the library: its stored
state). Results go to a table and to ``bench/results/exchange_sync.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, code_version, machine  # bench/ is not a package: beside this file
from sqlalchemy import select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.feed_models import INDICATORS, ExchangeStateRow
from paidfor.exchange.service import ExchangeService
from paidfor.exchange.store import value_hash
from paidfor.storage.db import make_engine, migrate

RESULTS = ROOT / "bench" / "results" / "exchange_sync.json"
BIN = Path(sys.executable).parent
GROUP = "bench-group"
WORDS = ("vote", "election", "rally", "freedom", "border", "taxes", "police", "church",
         "veterans", "jobs", "family", "heritage", "justice", "america", "community")  # fmt: skip


def value_of(i: int, rng: random.Random) -> tuple[str, str]:
    kind = ("domain", "url", "raw_text", "pdq")[i % 4]
    if kind == "domain":
        return kind, f"site{i}.example"
    if kind == "url":
        return kind, f"https://news{i}.example/story/{i * 7919 % 100003}"
    if kind == "raw_text":
        words = " ".join(rng.choice(WORDS) for _ in range(12))
        return kind, f"{words} number {i}"
    return kind, hashlib.sha256(str(i).encode()).hexdigest()


def fill(url: str, n: int, seed: int) -> tuple[str, int]:
    """The server's group of ``n`` indicators; a partner token of it and the group's id."""
    engine = make_engine(url)
    migrate(engine)
    service = ExchangeService(engine)
    group = service.create_group(GROUP, "benchmark", "bench")
    token, _ = TokenService(engine).create(Role.PARTNER, "mirror", groups=[GROUP])
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        for start in range(0, n, 20_000):
            rows = []
            for i in range(start, min(n, start + 20_000)):
                kind, value = value_of(i, rng)
                rows.append({
                    "type": kind, "value": value, "value_hash": value_hash(value),
                    "status": "MALICIOUS", "tags": ["bench"], "confidence": 80,
                    "description": None, "owner": "paidfor", "privacy_group": GROUP,
                    "group_id": group.id, "seq": i + 1, "created_at": now, "updated_at": now,
                    "deleted": False, "reactions": {},
                })  # fmt: skip
            conn.execute(INDICATORS.insert(), rows)
        conn.execute(ExchangeStateRow.__table__.update().values(seq=n))  # type: ignore[attr-defined]
    engine.dispose()
    return token, group.id


def change(url: str, n: int, seed: int) -> dict[str, int]:
    """1% more indicators and 0.1% deleted, through the service (as members would)."""
    engine = make_engine(url)
    service = ExchangeService(engine)
    me = service.staff("bench")
    rng = random.Random(seed + 1)
    added = max(1, n // 100)
    for i in range(n, n + added):
        kind, value = value_of(i, rng)
        service.add(me, type=kind, value=value, group=GROUP, status="SUSPICIOUS")
    deleted = max(1, n // 1000)
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(INDICATORS.select().where(
            INDICATORS.c.deleted.is_(False)).order_by(INDICATORS.c.id).limit(deleted))]  # fmt: skip
    for indicator_id in ids:
        service.delete(me, indicator_id)
    engine.dispose()
    return {"added": added, "deleted": deleted}


def live(url: str) -> set[tuple[str, str]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = {(r.type, r.value) for r in conn.execute(
            INDICATORS.select().where(INDICATORS.c.deleted.is_(False)))}  # fmt: skip
    engine.dispose()
    return found


def timed(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``args``; its wall seconds and peak RSS (MiB) from /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", out.name, *args],
                              env=env, capture_output=True, text=True)  # fmt: skip
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        seconds, kb = out.read().split()[-2:]
    return {"seconds": round(wall, 2), "process_seconds": float(seconds),
            "peak_rss_mib": round(int(kb) / 1024, 1), "stdout": done.stdout}  # fmt: skip


def serve(url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAIDFOR_DATABASE_URL": url, "PAIDFOR_INDEX_DIR": str(tmp / "index")}
    proc = subprocess.Popen([str(BIN / "paidfor"), "serve", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"{base}/api/exchange/groups", timeout=2).status_code == 401:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 indicators")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    opts = parser.parse_args()
    n = 20_000 if opts.quick else opts.indicators
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="paidfor-sync-") as tmp_name:
        tmp = Path(tmp_name)
        server_url = f"sqlite:///{tmp / 'server.db'}"
        started = time.perf_counter()
        token, _ = fill(server_url, n, opts.seed)
        print(f"server: {n:,} indicators in {time.perf_counter() - started:.1f} s", flush=True)
        proc, base = serve(server_url, tmp)
        try:
            client_url = f"sqlite:///{tmp / 'client.db'}"
            ours = {**os.environ, "PAIDFOR_DATABASE_URL": client_url}
            subprocess.run([str(BIN / "paidfor"), "exchange", "source", "add", "server", "--url",
                            base, "--group", GROUP, "--token", token], env=ours, check=True,
                           capture_output=True)  # fmt: skip
            state = tmp / "txstate"
            theirs = {**os.environ, "TX_STATEDIR": str(state), "HOME": str(tmp),
                      "PAIDFOR_EXCHANGE_TOKEN": token}  # fmt: skip
            tx = str(BIN / "threatexchange")
            for args in (["config", "extensions", "add", "paidfor.exchange.tx_extension"],
                         ["config", "collab", "edit", "paidfor", "bench", "--create",
                          "--base-url", base, "--privacy-group", GROUP]):  # fmt: skip
                subprocess.run([tx, *args], env=theirs, check=True, capture_output=True)
            fetch_ours = [str(BIN / "paidfor"), "exchange", "fetch", "--no-hunt", "--json"]
            for phase in ("full", "none", "delta"):
                if phase == "delta":
                    delta = change(server_url, n, opts.seed)
                    print(f"server: +{delta['added']:,} -{delta['deleted']:,}", flush=True)
                a = timed(fetch_ours, ours)
                b = timed([tx, "fetch"], theirs)
                c = (
                    timed([tx, "fetch", "--skip-index-rebuild"], theirs)
                    if phase == "none"
                    else None
                )
                report = json.loads(a.pop("stdout"))["sources"][0]
                b.pop("stdout")
                row = {
                    "phase": phase, "indicators": n,
                    "paidfor_seconds": a["seconds"], "paidfor_peak_rss_mib": a["peak_rss_mib"],
                    "paidfor_applied": {k: report[k] for k in ("added", "updated", "deleted")},
                    "threatexchange_seconds": b["seconds"],
                    "threatexchange_peak_rss_mib": b["peak_rss_mib"],
                    "threatexchange_no_index_seconds": c["seconds"] if c else None,
                    "ratio": round(b["seconds"] / a["seconds"], 2) if a["seconds"] else None,
                }  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
            # both mirrors against the server's live set
            truth = live(server_url)
            engine = make_engine(client_url)
            with engine.connect() as conn:
                from paidfor.exchange.feed_models import FetchedIndicatorRow as F

                mirrored = {(r.type, r.value) for r in conn.execute(select(F.type, F.value))}
            engine.dispose()
            pickled = next((state / "fetched").rglob("*.state.pickle"))
            with pickled.open("rb") as f:
                delta_state = pickle.load(f)
            library = {k for k, v in delta_state.updates.items() if v is not None}
            supported = {t for t in truth if t[0] in ("url", "raw_text", "pdq")}
            agreement = {"paidfor_equal": mirrored == truth,
                         "threatexchange_equal": library == supported,
                         "live": len(truth)}  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print()
    print(f"{'phase':<7}{'paidfor s':>11}{'MiB':>8}{'threatexchange s':>18}{'MiB':>8}{'ratio':>8}")
    for r in rows:
        print(f"{r['phase']:<7}{r['paidfor_seconds']:>11.2f}{r['paidfor_peak_rss_mib']:>8.0f}"
              f"{r['threatexchange_seconds']:>18.2f}{r['threatexchange_peak_rss_mib']:>8.0f}"
              f"{r['ratio'] or 0:>8.2f}")  # fmt: skip
    print(f"mirrors equal to the server's live set: {agreement}")
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps({
        "benchmark": "exchange_sync", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(), "machine": machine(), "python": platform.python_version(),
        "command": " ".join(["python", "bench/exchange_sync.py", *sys.argv[1:]]),
        "indicators": n, "rows": rows, "agreement": agreement,
    }, indent=2) + "\n")  # fmt: skip
    print(f"wrote {opts.out}")


if __name__ == "__main__":
    main()
