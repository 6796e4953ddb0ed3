"""Content-coordination benchmark: paidfor's networks beside the coordination-network-toolkit.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/coordination.py --quick            # 20,000 posts, a smoke run
    .venv/bin/python bench/coordination.py                    # 1,000,000 posts

One CSV in CNT's layout (``message_id,user_id,username,repost_id,reply_id,message,timestamp,
urls``) is generated (``--posts``, ``--seed``) into a temporary folder: 30 days of posts by
many background accounts (retweets of popular posts, replies, texts from a 20,000-word
vocabulary with or without links, all at random times) and a few coordinated groups (8 to 25
accounts) that, at each of their moments, re-post the same post, or post the same link with
nearly the same words, within 10 seconds of each other.

Both sides read that same file and compute with the same parameters (``--window`` 60 s,
min_edge_weight 1, co_similar_text at Jaccard 0.8 with CNT's CLI minimum of 1 token), in
CNT-compatible mode (its empty URL included, so both compute the same network):

* ``load``: paidfor ``read_posts(FILE, "cnt", cnt_compat=True)``; CNT
  ``preprocess_csv_files(DB, [FILE])`` into a fresh SQLite file;
* one row per kind: paidfor ``coordination_edges(...)``; CNT its ``compute_*`` function on
  that database with ``n_threads`` = the CPU count (its CLI's default). CNT's edges are then
  read with its own ``graph.get_edge_rows`` (self-loops left out, as its export does; not
  timed) and compared with ours as sets.

``ratio`` is CNT seconds / paidfor seconds. A kind can be run on fewer posts
(``--similar-posts`` for co_similar_text, the kind where CNT calls a Python function for every
pair of posts in the window). Results go to a table and to ``bench/results/coordination.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import platform
import shlex
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, code_version  # bench/ is not a package: beside this file

from paidfor.coordination.edges import CNT_KIND, KINDS, PostTable, coordination_edges
from paidfor.coordination.files import CNT_COLUMNS, read_posts

RESULTS = ROOT / "bench" / "results" / "coordination.json"
SPAN = 30 * 24 * 3600
START = 1_500_000_000


@dataclass
class Row:
    kind: str
    posts: int
    paidfor_s: float
    cnt_s: float
    ratio: float
    edges: int
    cnt_edges: int
    identical: bool


def generate(path: Path, n: int, seed: int) -> dict[str, Any]:
    """``n`` posts in CNT's layout; returns what was made."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{k}" for k in range(20_000)])
    n_users = max(1_000, n // 20)
    groups = [rng.integers(8, 26) for _ in range(max(4, n // 25_000))]
    coordinated = n // 10
    rows: list[list[str]] = []
    # coordinated groups: moments at which most members do the same thing within 10 s
    per_group = coordinated // len(groups)
    for g, size in enumerate(groups):
        made = 0
        while made < per_group:
            t = START + int(rng.integers(0, SPAN))
            members = np.flatnonzero(rng.random(size) < 0.8)
            retweet = rng.random() < 0.5
            words = vocab[rng.integers(0, len(vocab), rng.integers(8, 16))]
            url = f"https://campaign{g}.example/{rng.integers(1 << 30)}"
            words[0] = words[0].capitalize()
            words[-1] = f"#{words[-1]}!"
            for m in members:
                user = f"g{g}_{m}"
                ts = t + int(rng.integers(0, 11))
                if retweet:
                    rows.append(["", user, user, f"c{g}_{t}", "", " ".join(words), str(ts), ""])
                else:
                    text = words.copy()
                    if rng.random() < 0.3:  # most post the same words, some change one
                        text[rng.integers(0, len(text))] = vocab[rng.integers(0, len(vocab))]
                    said = f"{' '.join(text)} {url}"
                    rows.append(["", user, user, "", "", said, str(ts), url])
            made += len(members)
    # background: Zipf-popular retweets, replies and links at random times
    background = n - len(rows)
    users = rng.integers(0, n_users, background)
    times = START + rng.integers(0, SPAN, background)
    what = rng.random(background)
    popular = rng.zipf(1.3, background) % max(n // 10, 1)
    sizes = rng.integers(6, 21, background)
    word_ids = rng.zipf(1.2, int(sizes.sum())) % len(vocab)
    ends = np.cumsum(sizes)
    n_urls = rng.choice([0, 0, 0, 1, 1, 1, 1, 2], background)
    style = rng.random((background, 3))
    for k in range(background):
        user = f"u{users[k]}"
        parts = [str(w) for w in vocab[word_ids[ends[k] - sizes[k] : ends[k]]]]
        if style[k, 0] < 0.5:  # tweets are not plain: capitals, hashtags, punctuation
            parts[0] = parts[0].capitalize()
        if style[k, 1] < 0.4:
            parts.append(f"#{vocab[word_ids[ends[k] - 1]]}")
        if style[k, 2] < 0.5:
            parts[-1] += "!?.,"[int(style[k, 2] * 8)]
        repost = reply = urls = ""
        if what[k] < 0.35:
            repost = f"p{popular[k]}"
        else:
            if what[k] < 0.45:
                reply = f"p{popular[k]}"
                parts.insert(0, f"@u{popular[k] % n_users}")
            urls = " ".join(
                f"https://site{(popular[k] + j) % 5000}.example/{(popular[k] * 7 + j) % 50_000}"
                for j in range(n_urls[k])
            )
        said = " ".join([*parts, urls]) if urls else " ".join(parts)
        rows.append(["", user, user, repost, reply, said, str(times[k]), urls])
    order = rng.permutation(len(rows))
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CNT_COLUMNS)
        for k, i in enumerate(order):
            row = rows[i]
            row[0] = f"m{k}"
            writer.writerow(row)
    return {
        "posts": len(rows),
        "users": n_users + sum(int(s) for s in groups),
        "coordinated_groups": len(groups),
        "coordinated_posts": len(rows) - background,
        "bytes": path.stat().st_size,
    }


def cnt_compute(kind: str, db: str, window: float, threads: int) -> Callable[[], Any]:
    from coordination_network_toolkit import compute_networks as cn
    from coordination_network_toolkit.similarity import get_similarity_fn_from_min_size

    common: dict[str, Any] = {"min_edge_weight": 1, "n_threads": threads}
    calls: dict[str, Callable[[], Any]] = {
        "co_link": lambda: cn.compute_co_link_network(db, window, **common),
        "co_share": lambda: cn.compute_co_retweet_parallel(db, window, **common),
        "co_reply": lambda: cn.compute_co_reply_network(db, window, **common),
        "co_text": lambda: cn.compute_co_tweet_network(db, window, **common),
        "co_similar_text": lambda: cn.compute_co_similar_tweet(
            db,
            window,
            similarity_threshold=0.8,
            similarity_function=get_similarity_fn_from_min_size(1),
            **common,
        ),
    }
    return calls[kind]


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # CNT prints its progress
        result = fn()
    return result, time.perf_counter() - t0


def load(path: Path) -> tuple[PostTable, list[Any]]:
    posts, errors = read_posts(path, "cnt", cnt_compat=True)
    return PostTable.of(posts), errors


def run_size(path: Path, n: int, kinds: Sequence[str], window: float, threads: int) -> list[Row]:
    from coordination_network_toolkit.graph import get_edge_rows
    from coordination_network_toolkit.preprocess import preprocess_csv_files

    db = str(path.with_suffix(".db"))
    (table, errors), ours_s = timed(partial(load, path))
    assert not errors, errors[:3]
    _, cnt_s = timed(lambda: preprocess_csv_files(db, [str(path)]))
    rows = [Row("load", n, round(ours_s, 2), round(cnt_s, 2), round(cnt_s / ours_s, 1), 0, 0, True)]
    print(f"   load: paidfor {ours_s:.1f}s, CNT {cnt_s:.1f}s", flush=True)
    for kind in kinds:
        compute = partial(coordination_edges, table, kind, window, cnt_compat=True)
        edges, ours_s = timed(partial(compute, similarity=0.8, min_tokens=1))
        _, cnt_s = timed(cnt_compute(kind, db, window, threads))
        theirs = {(a, b, w) for a, b, w, _ in get_edge_rows(db, CNT_KIND[kind])}
        same = set(edges) == theirs and len(edges) == len(theirs)
        rows.append(
            Row(
                kind,
                n,
                round(ours_s, 2),
                round(cnt_s, 2),
                round(cnt_s / ours_s, 1),
                len(edges),
                len(theirs),
                same,
            )
        )
        print(
            f"   {kind}: paidfor {ours_s:.1f}s, CNT {cnt_s:.1f}s, {len(edges):,} edges, "
            f"identical={same}",
            flush=True,
        )
    loaded = rows[0]
    total_ours = loaded.paidfor_s + sum(r.paidfor_s for r in rows[1:])
    total_cnt = loaded.cnt_s + sum(r.cnt_s for r in rows[1:])
    rows.append(
        Row(
            "total",
            n,
            round(total_ours, 2),
            round(total_cnt, 2),
            round(total_cnt / total_ours, 1),
            sum(r.edges for r in rows[1:]),
            sum(r.cnt_edges for r in rows[1:]),
            all(r.identical for r in rows),
        )
    )
    return rows


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "numpy": np.__version__,
        "coordination_network_toolkit": version("coordination-network-toolkit"),
    }


def print_table(rows: Sequence[Row], window: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"content coordination, window {window:g} s, CNT-compatible")
    for col in ("kind", "posts", "paidfor s", "CNT s", "ratio", "edges", "identical"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for r in rows:
        table.add_row(
            r.kind,
            f"{r.posts:,}",
            f"{r.paidfor_s:,.2f}",
            f"{r.cnt_s:,.2f}",
            f"{r.ratio:,.1f}x",
            "" if r.kind == "load" else f"{r.edges:,}",
            "" if r.kind == "load" else str(r.identical),
        )
    Console(width=120).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 posts")
    parser.add_argument(
        "--similar-posts",
        type=int,
        default=None,
        help="posts for co_similar_text (default: --posts)",
    )
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CNT's")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.posts
    kinds = [k for k in args.kinds.split(",") if k]
    if set(kinds) - set(KINDS):
        parser.error(f"unknown kinds: {set(kinds) - set(KINDS)}")
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = round(os.getloadavg()[0], 2)
    code = code_version()
    sizes = {n: [k for k in kinds if k != "co_similar_text" or not args.similar_posts]}
    if args.similar_posts and "co_similar_text" in kinds:
        sizes.setdefault(args.similar_posts, []).append("co_similar_text")
    rows: list[Row] = []
    data: dict[str, Any] = {}
    for size, size_kinds in sizes.items():
        with tempfile.TemporaryDirectory(prefix="coordination-bench-") as tmp:
            path = Path(tmp) / f"posts-{size}.csv"
            t0 = time.perf_counter()
            data[str(size)] = generate(path, size, args.seed)
            print(
                f"== {size:,} posts ({data[str(size)]['bytes'] / 1e6:,.0f} MB) generated in "
                f"{time.perf_counter() - t0:.0f}s",
                flush=True,
            )
            rows += run_size(path, size, size_kinds, args.window, args.threads)
    print_table(rows, args.window)
    result = {
        "benchmark": "coordination",
        "date": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "git_commit": code,
        "machine": machine(),
        "parameters": {
            "window": args.window,
            "min_edge_weight": 1,
            "similarity": 0.8,
            "min_tokens": 1,
            "cnt_compat": True,
            "cnt_threads": args.threads,
            "seed": args.seed,
        },
        "data": data,
        # 1-minute load average: on a shared machine, other work skews figures
        "load_avg_before": load_before,
        "load_avg_after": round(os.getloadavg()[0], 2),
        "all_identical": all(r.identical for r in rows),
        "results": [asdict(r) for r in rows],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0 if result["all_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
