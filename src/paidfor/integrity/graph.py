"""The entity–attribute graph and its projection to weighted entity links, tested against a
null model.

Every entity (an account or a page) carries attributes ``(kind, value)``: cards, admins,
devices, IPs, landing domains, near-duplicate text clusters, creation bursts, the account
that runs a page. Two entities sharing an attribute gain ``KIND_WEIGHT[kind] × rarity``,
where rarity is ``log(N/df) / log(N/2)``: 1 when only the two share it, near 0 when most
entities do. Attributes carried by more than ``MAX_SHARED`` entities add nothing (a big
ISP's address or a popular domain would otherwise tie thousands of strangers together).

**Null model.** Which link weights are beyond chance is decided by comparison with the same
attributes dealt at random: the entity column of the entity–attribute table is shuffled within
each attribute kind, which keeps how many entities carry each attribute and how many
attributes of each kind each entity has, and the projection is computed again. A link is kept
when its weight is at least τ, the smallest weight at which the shuffled world has at most
``FDR`` times as many links as the real one (a false-discovery rate). One shared device is as
common in the shuffle as in the data and does not pass; a card, a device and a burst shared
together do.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import igraph as ig
import numpy as np
import numpy.typing as npt

from paidfor.integrity.model import CONTROL_KINDS, EntityKey, Evidence, Link

KIND_WEIGHT: dict[str, float] = {
    "payment": 1.0,
    "admin": 1.0,
    "owner": 1.0,
    "device": 0.9,
    "ip": 0.5,
    "domain": 0.6,
    "creative": 0.6,
    "targeting": 0.4,
    "burst": 0.3,
    "ad_minute": 0.4,
}
MAX_SHARED = 60
FDR = 0.05
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


_IGRAPH_RNG = threading.Lock()


@contextmanager
def seeded_igraph(seed: int = 0) -> Iterator[None]:
    """igraph's random generator is global: hold a lock, seed it, give it back as it was (so
    Leiden and the layouts give the same answer every run)."""
    with _IGRAPH_RNG:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


@dataclass
class AttributeTable:
    """Entities × attributes as two parallel arrays of indices (one row per link)."""

    entities: list[EntityKey]
    attrs: list[tuple[str, str]]
    ent: IntArray
    attr: IntArray
    # attributes that tie nobody: a declared family's own infrastructure (integrity.relations)
    muted: frozenset[int] = frozenset()

    @classmethod
    def build(cls, carried: Mapping[EntityKey, Iterable[tuple[str, str]]]) -> AttributeTable:
        entities = sorted(carried)
        attr_index: dict[tuple[str, str], int] = {}
        ent: list[int] = []
        attr: list[int] = []
        for i, key in enumerate(entities):
            for a in sorted(set(carried[key])):  # a stable order: the same sums every run
                if a[0] not in KIND_WEIGHT:
                    continue
                ent.append(i)
                attr.append(attr_index.setdefault(a, len(attr_index)))
        return cls(
            entities,
            list(attr_index),
            np.asarray(ent, dtype=np.int64),
            np.asarray(attr, dtype=np.int64),
        )

    @property
    def kinds(self) -> IntArray:
        """The kind of each attribute, as an index into KIND_WEIGHT's order."""
        order = {k: i for i, k in enumerate(KIND_WEIGHT)}
        return np.asarray([order[k] for k, _ in self.attrs], dtype=np.int64)

    def df(self) -> IntArray:
        return np.bincount(self.attr, minlength=len(self.attrs)).astype(np.int64)


@dataclass
class Projection:
    n: int
    src: IntArray  # src < dst
    dst: IntArray
    weight: FloatArray


def attribute_weights(table: AttributeTable, df: IntArray | None = None) -> FloatArray:
    df = table.df() if df is None else df
    n = max(len(table.entities), 3)
    kind_w = np.asarray(list(KIND_WEIGHT.values()))[table.kinds] if table.attrs else np.zeros(0)
    rarity = np.log(n / np.maximum(df, 2)) / math.log(n / 2)
    w = kind_w * np.clip(rarity, 0.0, 1.0)
    w[(df < 2) | (df > MAX_SHARED)] = 0.0
    if table.muted:
        w[np.fromiter(table.muted, dtype=np.int64)] = 0.0
    return np.asarray(w, dtype=np.float64)


def project(table: AttributeTable, ent: IntArray | None = None) -> Projection:
    """Entity links with summed attribute weights (``ent`` replaces the table's entity
    column, for the null model)."""
    ent = table.ent if ent is None else ent
    n = len(table.entities)
    w_attr = attribute_weights(table)
    useful = w_attr[table.attr] > 0
    e, a = ent[useful], table.attr[useful]
    order = np.lexsort((e, a))
    e, a = e[order], a[order]
    # drop repeated (entity, attribute) rows (a shuffle can deal one entity the same twice)
    keep = np.ones(len(e), dtype=bool)
    keep[1:] = (a[1:] != a[:-1]) | (e[1:] != e[:-1])
    e, a = e[keep], a[keep]
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if len(a) else np.zeros(0, np.int64)
    sizes = np.diff(np.r_[starts, len(a)]).astype(np.int64)
    keys: list[IntArray] = []
    weights: list[FloatArray] = []
    for d in np.unique(sizes):
        if d < 2:
            continue
        groups = starts[sizes == d]
        members = e[groups[:, None] + np.arange(d)[None, :]]  # (g, d)
        iu, ju = np.triu_indices(int(d), 1)
        i, j = members[:, iu].ravel(), members[:, ju].ravel()
        lo, hi = np.minimum(i, j), np.maximum(i, j)
        keys.append(lo * n + hi)
        weights.append(np.repeat(w_attr[a[groups]], len(iu)))
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return Projection(n, empty, empty, np.zeros(0))
    key = np.concatenate(keys)
    wt = np.concatenate(weights)
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=wt)
    return Projection(n, uniq // n, uniq % n, total.astype(np.float64))


def control_links(table: AttributeTable, proj: Projection) -> BoolArray:
    """Which of ``proj``'s links share a card, an admin or a device (carried by at most
    MAX_SHARED entities and not muted). Two accounts that share one are tied whatever chance
    says: the null model cannot see it (a card shared by nine accounts makes as many pairs
    when it is dealt at random)."""
    kinds = np.asarray([k in CONTROL_KINDS for k, _ in table.attrs], dtype=bool)
    if not kinds.any() or not len(proj.weight):
        return np.zeros(len(proj.weight), dtype=bool)
    rows = kinds[table.attr]
    sub = AttributeTable(
        table.entities, table.attrs, table.ent[rows], table.attr[rows], table.muted
    )
    ctl = project(sub)
    real = proj.src * proj.n + proj.dst
    return np.isin(real, ctl.src * ctl.n + ctl.dst)


def null_threshold(
    table: AttributeTable, real: Projection, seed: int = 0, rounds: int = 2
) -> float:
    """τ of the module's docstring: the smallest weight where links of the shuffled world are
    at most FDR times the real ones (infinity when no weight qualifies)."""
    if not len(real.weight):
        return math.inf
    rng = np.random.default_rng(seed)
    kinds = table.kinds[table.attr]
    null_weights: list[FloatArray] = []
    for _ in range(rounds):
        shuffled = table.ent.copy()
        for k in np.unique(kinds):
            pos = np.flatnonzero(kinds == k)
            shuffled[pos] = table.ent[rng.permutation(pos)]
        null_weights.append(project(table, shuffled).weight)
    null = np.sort(np.concatenate(null_weights))
    candidates = np.unique(real.weight)
    real_sorted = np.sort(real.weight)
    real_at_least = len(real_sorted) - np.searchsorted(real_sorted, candidates, side="left")
    null_at_least = (len(null) - np.searchsorted(null, candidates - 1e-9, side="left")) / rounds
    ok = null_at_least <= FDR * real_at_least
    return float(candidates[np.argmax(ok)]) if ok.any() else math.inf


def evidence_between(
    table_attrs: Mapping[EntityKey, set[tuple[str, str]]],
    df: Mapping[tuple[str, str], int],
    n: int,
    a: EntityKey,
    b: EntityKey,
) -> tuple[Evidence, ...]:
    """The shared attributes behind a link, strongest first."""
    out = []
    for attr in table_attrs.get(a, set()) & table_attrs.get(b, set()):
        kind = attr[0]
        shared = df.get(attr, 2)
        if kind not in KIND_WEIGHT or shared > MAX_SHARED:
            continue
        rarity = math.log(max(n, 3) / max(shared, 2)) / math.log(max(n, 3) / 2)
        out.append(Evidence(kind, attr[1], KIND_WEIGHT[kind] * max(rarity, 0.0), shared))
    return tuple(sorted(out, key=lambda e: (-e.weight, e.kind, e.value)))


def links_of(
    proj: Projection,
    tau: float | BoolArray,
    entities: list[EntityKey],
    carried: Mapping[EntityKey, set[tuple[str, str]]],
    df: Mapping[tuple[str, str], int],
    members: set[int] | None = None,
) -> list[Link]:
    """The kept links (weight ≥ τ, or those a mask keeps) among ``members`` (all when None),
    with evidence."""
    keep = proj.weight >= tau if isinstance(tau, float | int) else tau.copy()
    if members is not None:
        inside = np.zeros(proj.n, dtype=bool)
        inside[list(members)] = True
        keep &= inside[proj.src] & inside[proj.dst]
    out = []
    for s, d, w in zip(proj.src[keep], proj.dst[keep], proj.weight[keep], strict=True):
        a, b = entities[int(s)], entities[int(d)]
        out.append(Link(a, b, float(w), evidence_between(carried, df, proj.n, a, b)))
    return out
