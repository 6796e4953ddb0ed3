"""Exchange benchmark, part 1: matching ads against threat indicators (``IndicatorSet``).
Part 2, mirroring a group of 1,000,000 indicators beside ``threatexchange fetch``, is
``bench/exchange_sync.py`` (``--sync`` here runs it after part 1, with the same ``--quick``).

    .venv/bin/python bench/exchange.py --quick      # 20,000 indicators a type, a smoke run
    .venv/bin/python bench/exchange.py              # 1,000,000 indicators a type
    .venv/bin/python bench/exchange.py --sync       # and then the feed sync

For each of ``raw_text``, ``url`` and ``pdq``: ``--indicators`` generated indicators (seeded)
in an ``IndicatorSet`` of their own, then ``--probes`` probe ads, one at a time through
``IndicatorSet.match`` (what screening calls), with a known share of true matches:

* raw_text: texts of 8-40 words from a Zipf-distributed 30,000-word vocabulary. Probes: 10%
  an indicator with case, spacing and punctuation changed; 20% an indicator with 1..k letter
  edits (k = the library's 5% of its normalised length, so they must match); 10% with k+1..k+4
  edits (they usually do not); 60% new texts.
  Peer: the library's ``LevenshteinLinearSearch`` (a linear scan calling
  ``RawTextSignal.matches_str`` on every indicator), far too slow at 1,000,000, so compared
  at ``--peer-sizes`` (10,000 and 100,000 indicators, ``--peer-probes`` 60 and 10 probes:
  a scan costs the same for every probe) with
  ours on the same indicators and probes; every probe's match set is compared. At the full
  size ``--exhaustive`` probes are checked against ``matches_str`` on every indicator but
  those two lower bounds of the distance exclude (``exhaustive_text``), i.e. the linear
  search's answer.
* url: ``https://`` URLs of generated hosts and paths. Probes: 20% an indicator as is, 20% a
  variant of one (case of scheme and host, ``:443``, a trailing slash, a fragment), 60% new.
  Peer: the library's ``TrivialSignalTypeIndex`` (exact strings, what ``URLSignal`` uses),
  every indicator added, queried with the same probes; its matches must be a subset of ours,
  and ours may add only the variants.
* pdq: uniformly random 256-bit hashes. Probes: 30% an indicator with 0-31 bits flipped
  (must match), 10% with 32-48 flipped (must not), 60% random. Our pdq path IS the library's
  ``PDQIndex`` (faiss multi-index hashing), so there is no separate peer: the matches are
  checked against the library's exhaustive ``PDQFlatHashIndex`` at distance 31.

Build is the ``IndicatorSet`` filled and its indexes built (``build()``); memory is the RSS of
the process after that minus before (the ``Indicator`` objects already existed). Latency is per
probe ad. Results go to a table and to ``bench/results/exchange.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import ROOT, code_version  # bench/ is not a package: beside this file

from paidfor.integrity.indicators import Indicator, IndicatorSet
from paidfor.integrity.model import EntityKey, Profile

RESULTS = ROOT / "bench" / "results" / "exchange.json"
LETTERS = np.array(list("etaoinshrdlcumwfgypbvkjxqz"))
LETTER_P = np.array(
    [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0,
     2.0, 1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1]
)  # fmt: skip
PUNCT = list(" ,.!?;:-'\"")


@dataclass
class Row:
    type: str
    side: str  # "paidfor" or the peer's name
    indicators: int
    probes: int
    build_s: float
    rss_mb: float
    p50_us: float
    p99_us: float
    mean_us: float
    matched_probes: int
    agreement: str  # what was compared and the outcome
    identical: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def rss_mb() -> float:
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def latencies(call: Callable[[Any], Any], probes: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    out: list[Any] = []
    times = np.empty(len(probes))
    clock = time.perf_counter_ns
    for i, p in enumerate(probes):
        t0 = clock()
        out.append(call(p))
        times[i] = clock() - t0
    return out, times / 1000.0


def stats(times: np.ndarray) -> tuple[float, float, float]:
    if not times.size:
        return 0.0, 0.0, 0.0
    return (
        round(float(np.percentile(times, 50)), 1),
        round(float(np.percentile(times, 99)), 1),
        round(float(times.mean()), 1),
    )


def profile() -> Profile:
    return Profile(EntityKey("advertiser", 1), "probe")


# -- raw_text ---------------------------------------------------------------------------------


def vocabulary(rng: np.random.Generator, n: int = 30_000) -> list[str]:
    lengths = rng.integers(2, 12, n)
    letters = rng.choice(LETTERS, int(lengths.sum()), p=LETTER_P / LETTER_P.sum())
    ends = np.cumsum(lengths)
    return [
        "".join(letters[e - k : e]) for e, k in zip(ends.tolist(), lengths.tolist(), strict=True)
    ]


def texts(rng: np.random.Generator, vocab: list[str], n: int) -> list[str]:
    sizes = rng.integers(8, 41, n)
    words = (rng.zipf(1.15, int(sizes.sum())) - 1) % len(vocab)
    ends = np.cumsum(sizes)
    styles = rng.random((n, 3))
    out = []
    for k in range(n):
        ws = [vocab[w] for w in words[ends[k] - sizes[k] : ends[k]].tolist()]
        if styles[k, 0] < 0.6:
            ws[0] = ws[0].capitalize()
        if styles[k, 1] < 0.3:
            ws[len(ws) // 2] = ws[len(ws) // 2].upper()
        text = " ".join(ws)
        if styles[k, 2] < 0.7:
            text += "!?."[int(styles[k, 2] * 4) % 3]
        out.append(text)
    return out


def normalised_len(text: str) -> int:
    from threatexchange.common import normalize_string

    return len(normalize_string(text))


def text_probes(
    rng: np.random.Generator, indicators: list[str], fresh: list[str], n: int
) -> tuple[list[str], list[str]]:
    """``n`` probe texts and what each is ("exact", "near", "beyond", "new")."""
    probes, kinds = [], []
    for _ in range(n):
        r = rng.random()
        if r >= 0.4:
            probes.append(fresh[len(probes) % len(fresh)])
            kinds.append("new")
            continue
        base = indicators[int(rng.integers(len(indicators)))]
        chars = list(base)
        if r < 0.1:  # case, spacing and punctuation only
            for _ in range(3):
                at = int(rng.integers(len(chars) + 1))
                chars.insert(at, PUNCT[int(rng.integers(len(PUNCT)))])
            text = "".join(chars).swapcase() if rng.random() < 0.5 else "".join(chars).lower()
            probes.append(text)
            kinds.append("exact")
            continue
        k = normalised_len(base) // 20
        edits = int(rng.integers(1, k + 1)) if r < 0.3 and k else int(rng.integers(k + 1, k + 5))
        for _ in range(edits):
            letters = [i for i, c in enumerate(chars) if c.isalpha()]
            at = letters[int(rng.integers(len(letters)))]
            op = rng.random()
            new = str(LETTERS[int(rng.integers(26))])
            if op < 1 / 3:
                chars.insert(at, new)
            elif op < 2 / 3 and len(letters) > 1:
                del chars[at]
            else:
                chars[at] = new if new != chars[at].lower() else "q"
        probes.append("".join(chars))
        kinds.append("near" if r < 0.3 and k else "beyond")
    return probes, kinds


T = TypeVar("T")


def built(make: Callable[[], T]) -> tuple[T, float, float]:
    """``make()``, the seconds it took and the RSS (MB) it added."""
    before = rss_mb()
    t0 = time.perf_counter()
    made = make()
    return made, time.perf_counter() - t0, rss_mb() - before


def indexed(inds: list[Indicator]) -> IndicatorSet:
    """An ``IndicatorSet`` of ``inds`` with its indexes built (what the server's loader does)."""
    iset = IndicatorSet(inds)
    iset.build()
    return iset


def ours_text(
    values: list[str], probes: list[str], label: str
) -> tuple[Row, list[set[str]], IndicatorSet]:
    inds = [Indicator("raw_text", v, f"t{i}") for i, v in enumerate(values)]
    iset, build, mem = built(lambda: indexed(inds))
    p = profile()
    found, times = latencies(lambda t: {h.value[9:] for h in iset.match(p, [t])}, probes)
    p50, p99, mean = stats(times)
    row = Row("raw_text", "paidfor", len(values), len(probes), round(build, 2), round(mem, 1),
              p50, p99, mean, sum(1 for f in found if f), label)  # fmt: skip
    return row, found, iset


def peer_text(values: list[str], probes: list[str]) -> tuple[Row, list[set[str]]]:
    from threatexchange.signal_type.raw_text import LevenshteinLinearSearch

    def make() -> LevenshteinLinearSearch:
        index = LevenshteinLinearSearch()
        index.add_all((v, v) for v in values)
        return index

    index, build, mem = built(make)
    found, times = latencies(lambda t: {m.metadata for m in index.query(t)}, probes)
    p50, p99, mean = stats(times)
    row = Row("raw_text", "LevenshteinLinearSearch", len(values), len(probes), round(build, 2),
              round(mem, 1), p50, p99, mean, sum(1 for f in found if f), "")  # fmt: skip
    return row, found


def exhaustive_text(values: list[str], probes: list[str]) -> list[set[str]]:
    """The linear search's answer: ``matches_str`` on every indicator except those it would
    reject for sure, which are left out by two lower bounds of the distance: the difference
    of the normalised lengths (the library's own first check) and half the L1 distance of
    the normalised texts' character counts (an edit changes it by at most 2)."""
    from threatexchange.common import normalize_string
    from threatexchange.signal_type.raw_text import RawTextSignal

    def counts(norms: list[str]) -> np.ndarray:
        out = np.zeros((len(norms), 128), np.int16)
        for i, s in enumerate(norms):
            out[i] = np.bincount(np.frombuffer(s.encode("ascii"), np.uint8), minlength=128)
        return out

    norms = [normalize_string(v) for v in values]
    assert all(s.isascii() for s in norms)  # the generator's texts are ASCII
    lens = np.fromiter((len(s) for s in norms), np.int64, len(norms))
    hist = counts(norms)
    del norms
    out = []
    match = RawTextSignal.matches_str
    for probe in probes:
        norm = normalize_string(probe)
        bound = lens * 5 / 100
        maybe = np.flatnonzero(np.abs(lens - len(norm)) <= bound)
        l1 = np.abs(hist[maybe] - counts([norm])[0]).sum(axis=1)
        maybe = maybe[l1 / 2 <= bound[maybe]]
        out.append({values[i] for i in maybe.tolist() if match(values[i], probe).match})
    return out


def bench_text(args: argparse.Namespace, n: int, rng: np.random.Generator) -> list[Row]:
    t0 = time.perf_counter()
    vocab = vocabulary(rng)
    values = list(dict.fromkeys(texts(rng, vocab, n)))
    fresh = texts(np.random.default_rng(args.seed + 99), vocab, args.probes)
    probes, kinds = text_probes(rng, values, fresh, args.probes)
    print(f"== raw_text: {len(values):,} indicators, {len(probes):,} probes generated in "
          f"{time.perf_counter() - t0:.0f}s", flush=True)  # fmt: skip
    rows = []
    # the peer at smaller sizes, ours on the same indicators and probes
    for size, count in zip(args.peer_sizes, args.peer_probes, strict=True):
        sub = values[:size]
        sub_probes, _ = text_probes(np.random.default_rng(args.seed + size), sub, fresh, count)
        ours, found, iset = ours_text(sub, sub_probes, "")
        del iset
        peer, theirs = peer_text(sub, sub_probes)
        same = sum(a == b for a, b in zip(found, theirs, strict=True))
        ours.agreement = peer.agreement = f"match sets equal on {same}/{count} probes"
        ours.identical = peer.identical = same == count
        ours.extra = {
            "ratio_p50": round(peer.p50_us / ours.p50_us, 1),
            "ratio_mean": round(peer.mean_us / ours.mean_us, 1),
        }
        rows += [peer, ours]
        print(f"   {size:,}: paidfor p50 {ours.p50_us:,.0f} us, linear search p50 "
              f"{peer.p50_us:,.0f} us ({ours.extra['ratio_p50']}x; mean "
              f"{ours.extra['ratio_mean']}x), {ours.agreement}",
              flush=True)  # fmt: skip
        gc.collect()
    row, found, iset = ours_text(values, probes, "")
    del iset
    must = [i for i, k in enumerate(kinds) if k in ("exact", "near")]
    missed = [i for i in must if probes[i] and not found[i]]
    checked = min(args.exhaustive, len(probes))  # a small run checks every probe
    pick = np.random.default_rng(args.seed + 7).choice(len(probes), checked, replace=False)
    t1 = time.perf_counter()
    truth = exhaustive_text(values, [probes[i] for i in pick.tolist()])
    same = sum(found[i] == t for i, t in zip(pick.tolist(), truth, strict=True))
    row.agreement = (
        f"planted matches found {len(must) - len(missed)}/{len(must)}; equal to the "
        f"exhaustive library check on {same}/{len(pick)} probes"
    )
    row.identical = not missed and same == len(pick)
    row.extra = {
        "probe_kinds": {k: kinds.count(k) for k in ("exact", "near", "beyond", "new")},
        "beyond_matched": sum(1 for i, k in enumerate(kinds) if k == "beyond" and found[i]),
        "exhaustive_check_s": round(time.perf_counter() - t1, 1),
        "mean_normalised_len": round(float(np.mean([normalised_len(v) for v in values[:2000]]))),
    }
    print(f"   {len(values):,}: paidfor build {row.build_s:.1f}s, {row.rss_mb:,.0f} MB, "
          f"p50 {row.p50_us:,.0f} us, p99 {row.p99_us:,.0f} us; {row.agreement}",
          flush=True)  # fmt: skip
    rows.append(row)
    return rows


# -- url --------------------------------------------------------------------------------------


def urls(rng: np.random.Generator, vocab: list[str], n: int, tag: str) -> list[str]:
    a = rng.integers(0, len(vocab), (n, 4))
    tld = ["com", "net", "org", "info", "example", "ru", "biz"]
    out = []
    for i in range(n):
        w = a[i].tolist()
        host = f"{vocab[w[0]]}-{vocab[w[1]]}{tag}{i}.{tld[w[2] % len(tld)]}"
        path = "/".join(vocab[x] for x in w[: 1 + w[3] % 3])
        query = f"?utm_source={vocab[w[3]]}" if w[3] % 5 == 0 else ""
        out.append(f"https://{host}/{path}{query}")
    return out


def url_variant(u: str, r: float) -> str:
    scheme, rest = u.split("://", 1)
    host, _, path = rest.partition("/")
    path, q, query = path.partition("?")
    if r < 0.25:
        return f"HTTPS://{host.upper()}/{path}{q}{query}"
    if r < 0.5:
        return f"{scheme}://{host}:443/{path}{q}{query}"
    if r < 0.75:
        return f"{scheme}://{host}/{path}/{q}{query}"
    return f"{u}#section-2"


def bench_url(args: argparse.Namespace, n: int, rng: np.random.Generator) -> list[Row]:
    from threatexchange.signal_type.signal_base import TrivialSignalTypeIndex

    vocab = vocabulary(rng, 5000)
    values = urls(rng, vocab, n, "x")
    fresh = urls(rng, vocab, args.probes, "y")
    probes, kinds = [], []
    for i in range(args.probes):
        r = rng.random()
        base = values[int(rng.integers(n))]
        if r < 0.2:
            probes.append(base)
            kinds.append("exact")
        elif r < 0.4:
            probes.append(url_variant(base, rng.random()))
            kinds.append("variant")
        else:
            probes.append(fresh[i])
            kinds.append("new")
    print(f"== url: {n:,} indicators, {len(probes):,} probes", flush=True)
    inds = [Indicator("url", v, f"u{i}") for i, v in enumerate(values)]
    iset, build, mem = built(lambda: indexed(inds))
    p = profile()

    def ours_match(u: str) -> set[str]:
        p.landing_urls = {u}
        return {h.value[4:] for h in iset.match(p, [])}

    found, times = latencies(ours_match, probes)
    ours = Row("url", "paidfor", n, len(probes), round(build, 2), round(mem, 1), *stats(times),
               sum(1 for f in found if f), "")  # fmt: skip

    def make() -> TrivialSignalTypeIndex[str]:
        index: TrivialSignalTypeIndex[str] = TrivialSignalTypeIndex()
        for v in values:
            index.add(v, v)
        return index

    index, build, mem = built(make)
    theirs, times = latencies(lambda u: {m.metadata for m in index.query(u)}, probes)
    peer = Row("url", "TrivialSignalTypeIndex", n, len(probes), round(build, 2), round(mem, 1),
               *stats(times), sum(1 for f in theirs if f), "")  # fmt: skip
    subset = sum(t <= f for f, t in zip(found, theirs, strict=True))
    extra_ok = all(f == t for f, t, k in zip(found, theirs, kinds, strict=True) if k != "variant")
    variants = [i for i, k in enumerate(kinds) if k == "variant"]
    ours_v = sum(1 for i in variants if found[i])
    peer_v = sum(1 for i in variants if theirs[i])
    ours.agreement = peer.agreement = (
        f"peer's matches within ours on {subset}/{len(probes)} probes; equal on every "
        f"non-variant probe: {extra_ok}; variants matched: paidfor {ours_v}/{len(variants)}, "
        f"peer {peer_v}/{len(variants)}"
    )
    ours.identical = peer.identical = subset == len(probes) and extra_ok
    ours.extra = {
        "ratio_p50": round(peer.p50_us / ours.p50_us, 2),
        "probe_kinds": {k: kinds.count(k) for k in ("exact", "variant", "new")},
    }
    print(f"   paidfor p50 {ours.p50_us:.1f} us, peer p50 {peer.p50_us:.1f} us; {ours.agreement}",
          flush=True)  # fmt: skip
    return [peer, ours]


# -- pdq --------------------------------------------------------------------------------------


def bench_pdq(args: argparse.Namespace, n: int, rng: np.random.Generator) -> list[Row]:
    from threatexchange.signal_type.pdq.pdq_faiss_matcher import PDQFlatHashIndex

    raw = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    values = list(dict.fromkeys(bytes(r).hex() for r in raw))
    probes, kinds, want_d = [], [], []
    for _ in range(args.probes):
        r = rng.random()
        if r >= 0.4:
            probes.append(rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex())
            kinds.append("new")
            want_d.append(-1)
            continue
        d = int(rng.integers(0, 32)) if r < 0.3 else int(rng.integers(32, 49))
        base = int(values[int(rng.integers(len(values)))], 16)
        for b in rng.choice(256, d, replace=False).tolist():
            base ^= 1 << b
        probes.append(f"{base:064x}")
        kinds.append("near" if d <= 31 else "beyond")
        want_d.append(d)
    print(f"== pdq: {len(values):,} indicators, {len(probes):,} probes", flush=True)
    inds = [Indicator("pdq", v, f"p{i}") for i, v in enumerate(values)]
    iset, build, mem = built(lambda: indexed(inds))
    p = profile()

    def ours_match(h: str) -> set[str]:
        p.image_pdqs = {h}
        return {x.value[4:] for x in iset.match(p, [])}

    found, times = latencies(ours_match, probes)
    matched = sum(1 for f in found if f)
    row = Row("pdq", "paidfor (= the library's PDQIndex)", len(values), len(probes),
              round(build, 2), round(mem, 1), *stats(times), matched, "")  # fmt: skip
    # the truth: the library's exhaustive flat index, at distance 31
    t0 = time.perf_counter()
    flat = PDQFlatHashIndex()
    flat.add(values, range(len(values)))
    truth = flat.search(probes, 31, return_as_ids=True)
    flat_s = time.perf_counter() - t0
    same = sum(f == {values[i] for i in t} for f, t in zip(found, truth, strict=True))
    near = [i for i, k in enumerate(kinds) if k == "near"]
    beyond = [i for i, k in enumerate(kinds) if k == "beyond"]
    row.agreement = (
        f"equal to the exhaustive flat index on {same}/{len(probes)} probes; "
        f"within 0-31 matched {sum(1 for i in near if found[i])}/{len(near)}, "
        f"32-48 matched {sum(1 for i in beyond if found[i])}/{len(beyond)}"
    )
    row.identical = same == len(probes)
    row.extra = {"flat_check_s": round(flat_s, 1),
                 "probe_kinds": {k: kinds.count(k) for k in ("near", "beyond", "new")}}  # fmt: skip
    print(f"   paidfor build {row.build_s:.1f}s, {row.rss_mb:,.0f} MB, p50 {row.p50_us:.0f} us, "
          f"p99 {row.p99_us:.0f} us; {row.agreement}", flush=True)  # fmt: skip
    return [row]


# -- the run ----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        mem_kb = next((int(ln.split()[1]) for ln in f if ln.startswith("MemTotal:")), 0)
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threatexchange": version("threatexchange"),
        "faiss_cpu": version("faiss-cpu"),
        "weighted_levenshtein": version("weighted-levenshtein"),
    }


def print_table(rows: Sequence[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="indicator matching, one probe ad at a time")
    cols = ("type", "side", "indicators", "probes", "build s", "RSS MB", "p50 µs", "p99 µs",
            "matched", "agrees")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("type", "side") else "right")
    for r in rows:
        table.add_row(r.type, r.side, f"{r.indicators:,}", f"{r.probes:,}", f"{r.build_s:,.2f}",
                      f"{r.rss_mb:,.0f}", f"{r.p50_us:,.1f}", f"{r.p99_us:,.1f}",
                      f"{r.matched_probes:,}", "yes" if r.identical else "NO")  # fmt: skip
    Console(width=140).print(table)
    for r in rows:
        if r.agreement:
            print(f"{r.type} {r.side} at {r.indicators:,}: {r.agreement}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indicators", type=int, default=1_000_000, help="of each type")
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--peer-sizes", default="10000,100000", help="raw_text peer sizes")
    parser.add_argument("--peer-probes", default="60,10", help="probes at each peer size")
    parser.add_argument("--exhaustive", type=int, default=100, help="raw_text probes checked")
    parser.add_argument("--types", default="raw_text,url,pdq")
    parser.add_argument("--quick", action="store_true", help="20,000 indicators, small peers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--sync", action="store_true", help="then bench/exchange_sync.py")
    args = parser.parse_args(argv)
    if args.quick:
        args.indicators, args.probes = 20_000, 2_000
        args.peer_sizes, args.peer_probes, args.exhaustive = "2000", "50", 10
    args.peer_sizes = [int(x) for x in args.peer_sizes.split(",") if x]
    args.peer_probes = [int(x) for x in args.peer_probes.split(",") if x]
    if len(args.peer_sizes) != len(args.peer_probes):
        parser.error("--peer-sizes and --peer-probes need as many values")
    n = args.indicators
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = round(os.getloadavg()[0], 2)
    rows: list[Row] = []
    benches = {"raw_text": bench_text, "url": bench_url, "pdq": bench_pdq}
    for kind in args.types.split(","):
        rows += benches[kind](args, n, np.random.default_rng(args.seed))
        gc.collect()
    print_table(rows)
    result = {
        "benchmark": "exchange-matching",
        "date": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "git_commit": code_version(),
        "machine": machine(),
        "parameters": {
            "indicators": n,
            "probes": args.probes,
            "peer_sizes": args.peer_sizes,
            "peer_probes": args.peer_probes,
            "exhaustive": args.exhaustive,
            "seed": args.seed,
        },
        # 1-minute load average: on a shared machine, other work skews figures
        "load_avg_before": load_before,
        "load_avg_after": round(os.getloadavg()[0], 2),
        "all_agree": all(r.identical for r in rows),
        "results": [asdict(r) for r in rows],
        "note": "feed sync between two servers: bench/exchange_sync.py",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    if args.sync:
        sync = [sys.executable, str(Path(__file__).with_name("exchange_sync.py"))]
        done = subprocess.run([*sync, *(["--quick"] if args.quick else [])], check=False)
        if done.returncode != 0:
            return done.returncode
    return 0 if result["all_agree"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
