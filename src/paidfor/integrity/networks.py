"""Coordinated networks: every entity's risk, the entity links beyond chance
(``integrity.graph``), clusters of them (igraph: connected components, and Leiden inside a
large component), and a score per cluster; and growing a network from known bad seeds.

A cluster's score is a logistic rule over what coordination by a foreign operation looks
like and an agency or a family does not: the members' mean risk, how many were young at
their first political ad, whether they were created in one burst, whether they share ad
texts, and whether they target divisive interests (``NETWORK_WEIGHTS``).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np

from paidfor.integrity import creatives
from paidfor.integrity.graph import (
    AttributeTable,
    Projection,
    links_of,
    null_threshold,
    project,
    seeded_igraph,
)
from paidfor.integrity.model import EntityKey, Member, Network, Profile, SignalResult
from paidfor.integrity.risk import assess
from paidfor.integrity.signals import Context, IndicatorMatcher, attributes
from paidfor.storage.integrity_repo import World

LEIDEN_ABOVE = 40  # components larger than this are split by Leiden
NETWORK_BIAS = -4.0
NETWORK_WEIGHTS = {
    "mean_risk": 5.0,
    "young": 1.5,
    "burst": 1.5,
    "shared_text": 1.0,
    "divisive": 1.5,
}
NETWORK_THRESHOLD = 0.3
BURST_DAYS = 7
FOREIGN_SIGNALS = frozenset({"payment_country", "admin_location", "language"})


@dataclass
class Analysis:
    world: World
    carried: dict[EntityKey, set[tuple[str, str]]]
    df: dict[tuple[str, str], int]
    table: AttributeTable
    projection: Projection
    tau: float
    risk: dict[EntityKey, tuple[float, list[SignalResult]]] = field(default_factory=dict)
    context: Context = field(default_factory=Context)

    @property
    def index(self) -> dict[EntityKey, int]:
        return {k: i for i, k in enumerate(self.table.entities)}


def world_attributes(world: World) -> dict[EntityKey, set[tuple[str, str]]]:
    """Every entity's attributes: its own (signals.attributes) and those that need the whole
    world: the account that runs a page, text clusters, creation bursts, ad minutes."""
    carried = {k: attributes(p) for k, p in world.profiles.items()}
    for key, p in world.profiles.items():
        if key.type == "advertiser":
            carried[key].add(("owner", str(key.id)))
            for other in p.linked:
                carried[other].add(("owner", str(key.id)))
        if p.created_at is not None:
            carried[key].add(("burst", p.created_at.date().isoformat()))
        for when in p.ad_created:
            carried[key].add(("ad_minute", when.strftime("%Y-%m-%dT%H:%M")))
        for signature in p.targeting_signatures:
            carried[key].add(("targeting", signature))
    clusters = creatives.cluster((ad.id, ad.text) for ad in world.ads)
    for ad in world.ads:
        cid = clusters.get(ad.id)
        if cid is not None:
            for owner in ad.owners:
                if owner in carried:
                    carried[owner].add(("creative", f"text cluster of ad {cid}"))
    return carried


def build_context(
    world: World,
    carried: dict[EntityKey, set[tuple[str, str]]],
    df: dict[tuple[str, str], int],
    indicators: IndicatorMatcher | None = None,
) -> Context:
    texts = {ad.id: ad.text for ad in world.ads}
    flagged_attrs: dict[tuple[str, str], list[EntityKey]] = {}
    flagged: dict[EntityKey, tuple[str, str, datetime | None]] = {}
    for key, p in world.profiles.items():
        if p.flagged is None:
            continue
        flagged[key] = (p.name, p.flagged, p.flagged_at)
        for attr in carried[key]:
            flagged_attrs.setdefault(attr, []).append(key)
    ctx = Context(
        n_entities=len(world.profiles),
        attr_df=df,
        flagged_attrs=flagged_attrs,
        flagged=flagged,
        texts=lambda p: [(i, texts[i]) for i in p.ad_ids[:50] if texts.get(i)],
        indicators=indicators,
    )
    removed = [(ad.id, ad.text) for ad in world.ads if ad.removed]
    ctx.removed_texts.add_many(removed)
    for ad in world.ads:
        if ad.removed and ad.owners:
            ctx.removed_owner[ad.id] = ad.owners[-1]
    return ctx


def analyse(world: World, *, indicators: IndicatorMatcher | None = None, seed: int = 0) -> Analysis:
    carried = world_attributes(world)
    table = AttributeTable.build(carried)
    counts = table.df()
    df = {a: int(c) for a, c in zip(table.attrs, counts, strict=True)}
    proj = project(table)
    tau = null_threshold(table, proj, seed=seed)
    ctx = build_context(world, carried, df, indicators)
    ctx.burst_peers = burst_peers(world, table.entities, proj, tau)
    risk = {key: assess(p, ctx) for key, p in world.profiles.items()}
    return Analysis(world, carried, df, table, proj, tau, risk, ctx)


def burst_peers(
    world: World, entities: list[EntityKey], proj: Projection, tau: float
) -> dict[EntityKey, list[EntityKey]]:
    """For each entity, the entities tied to it by a kept link, not its own account or
    pages, and created within CreationBurst.DAYS of it."""
    from paidfor.integrity.signals import CreationBurst

    out: dict[EntityKey, list[EntityKey]] = {}
    keep = proj.weight >= tau
    for s, d in zip(proj.src[keep].tolist(), proj.dst[keep].tolist(), strict=True):
        a, b = entities[s], entities[d]
        pa, pb = world.profiles[a], world.profiles[b]
        if pa.created_at is None or pb.created_at is None or b in pa.linked:
            continue
        if abs((pa.created_at - pb.created_at).days) <= CreationBurst.DAYS:
            out.setdefault(a, []).append(b)
            out.setdefault(b, []).append(a)
    return out


def _member(a: Analysis, key: EntityKey, role: str = "member", rank: float = 0.0) -> Member:
    p = a.world.profiles[key]
    score, findings = a.risk[key]
    return Member(
        key, p.name, score, role, rank, findings, p.created_at, p.first_political_at, p.flagged
    )


def network_features(a: Analysis, keys: Sequence[EntityKey]) -> dict[str, float]:
    profiles = [a.world.profiles[k] for k in keys]
    n = len(profiles)
    risks = [a.risk[k][0] for k in keys]
    signals = [{f.signal for f in a.risk[k][1]} for k in keys]
    burst = _together([p.created_at for p in profiles], n)
    activation = _together([p.first_political_at for p in profiles], n)
    texts: dict[str, int] = {}
    for k in keys:
        for kind, value in a.carried[k]:
            if kind == "creative":
                texts[value] = texts.get(value, 0) + 1
    shared = {v for v, c in texts.items() if c >= 2}
    with_shared = sum(
        any(x in shared for kind, x in a.carried[k] if kind == "creative") for k in keys
    )
    return {
        "mean_risk": statistics.fmean(risks),
        "young": sum("account_age" in s for s in signals) / n,
        "burst": burst,
        "activation": activation,
        "shared_text": with_shared / n,
        "divisive": sum(bool(p.interests) and _divisive(p) for p in profiles) / n,
        "foreign": sum(bool(s & FOREIGN_SIGNALS) for s in signals) / n,
    }


def _together(moments: Sequence[datetime | None], n: int) -> float:
    """The share of ``n`` members whose moment is within BURST_DAYS of the median one."""
    known = sorted(m for m in moments if m is not None)
    if len(known) < 2:
        return 0.0
    mid = known[len(known) // 2]
    return sum(abs((m - mid).days) <= BURST_DAYS for m in known) / n


def _divisive(p: Profile) -> bool:
    from paidfor.integrity.places import DIVISIVE

    return any(w in i for i in p.interests for w in DIVISIVE)


def actors(a: Analysis, keys: Sequence[EntityKey]) -> int:
    """How many actors ``keys`` are: an account and the pages it runs count as one."""
    inside = set(keys)
    seen: set[EntityKey] = set()
    count = 0
    for key in keys:
        if key in seen:
            continue
        count += 1
        stack = [key]
        seen.add(key)
        while stack:
            for other in a.world.profiles[stack.pop()].linked:
                if other in inside and other not in seen:
                    seen.add(other)
                    stack.append(other)
    return count


def network_score(features: dict[str, float]) -> float:
    model = network_model()
    z = model["bias"] + sum(model["weights"].get(k, 0.0) * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-z))


@cache
def network_model() -> dict[str, Any]:
    """The cluster-score rule: bias, weights and threshold, as calibrated by
    bench/calibrate_networks.py (``network_model.json``), or the hand-set defaults."""
    path = Path(__file__).with_name("network_model.json")
    if path.is_file():
        return dict(json.loads(path.read_text()))
    return {"bias": NETWORK_BIAS, "weights": NETWORK_WEIGHTS, "threshold": NETWORK_THRESHOLD}


def clusters(a: Analysis) -> list[list[int]]:
    """Clusters (entity indices) of two or more entities over the kept links."""
    return cluster_links(a.projection, a.tau)


def cluster_links(proj: Projection, tau: float) -> list[list[int]]:
    """Connected components of the links of weight ≥ ``tau``; a component larger than
    LEIDEN_ABOVE is split by Leiden (modularity, weighted)."""
    keep = proj.weight >= tau
    src, dst, w = proj.src[keep], proj.dst[keep], proj.weight[keep]
    g = ig.Graph(n=proj.n, edges=np.column_stack([src, dst]))
    g.es["weight"] = w
    out: list[list[int]] = []
    for comp in g.connected_components():
        if len(comp) < 2:
            continue
        if len(comp) <= LEIDEN_ABOVE:
            out.append(list(comp))
            continue
        sub = g.induced_subgraph(comp)
        with seeded_igraph():
            parts = sub.community_leiden(
                objective_function="modularity", weights="weight", n_iterations=-1
            )
        for part in parts:
            if len(part) >= 2:
                out.append([comp[i] for i in part])
    return out


def find(a: Analysis, *, threshold: float | None = None) -> list[Network]:
    """The clusters scoring at least ``threshold`` (default: the calibrated one), highest
    first; lone entities at or above the hold risk are not networks (the review holds them
    one by one)."""
    if threshold is None:
        threshold = float(network_model()["threshold"])
    found: list[Network] = []
    for comp in clusters(a):
        keys = [a.table.entities[i] for i in comp]
        if actors(a, keys) < 2:  # an account with its own pages is one actor, not a network
            continue
        features = network_features(a, keys)
        score = network_score(features)
        if score < threshold:
            continue
        members = sorted((_member(a, k) for k in keys), key=lambda m: (-m.risk, m.key))
        links = links_of(a.projection, a.tau, a.table.entities, a.carried, a.df, set(comp))
        found.append(Network(members, links, score, _summary(members, links, features)))
    found.sort(key=lambda n: (-n.score, -len(n.members)))
    return found


def expand(
    a: Analysis,
    seeds: Sequence[EntityKey],
    *,
    limit: int = 200,
    min_weight: float | None = None,
) -> Network:
    """Grow a network from ``seeds``: every entity tied to them through kept links, ranked by
    personalized PageRank from the seeds (strongest ties first), at most ``limit``.

    Links are kept at the null model's τ unless ``min_weight`` says otherwise: growing from
    known bad seeds may accept weaker ties than finding networks among everybody, and when
    the database holds little but the operation itself (the HPSCI release), the shuffle has
    nobody else to compare with and τ is too strict."""
    tau = a.tau if min_weight is None else min_weight
    index = a.index
    missing = [str(s) for s in seeds if s not in index]
    if missing:
        raise KeyError(f"no such entity: {', '.join(missing)}")
    keep = a.projection.weight >= tau
    src, dst, w = a.projection.src[keep], a.projection.dst[keep], a.projection.weight[keep]
    g = ig.Graph(n=a.projection.n, edges=np.column_stack([src, dst]).tolist())
    g.es["weight"] = w.tolist()
    seed_ids = [index[s] for s in seeds]
    reach = set(seed_ids)
    for s in seed_ids:
        reach.update(g.subcomponent(s))
    ranks = g.personalized_pagerank(reset_vertices=seed_ids, weights="weight", damping=0.85)
    order = sorted(reach - set(seed_ids), key=lambda i: (-ranks[i], i))[: max(limit, 0)]
    members = [_member(a, a.table.entities[i], "seed", ranks[i]) for i in seed_ids]
    members += [_member(a, a.table.entities[i], "member", ranks[i]) for i in order]
    chosen = set(seed_ids) | set(order)
    links = links_of(a.projection, tau, a.table.entities, a.carried, a.df, chosen)
    keys = [m.key for m in members]
    features = network_features(a, keys)
    net = Network(members, links, network_score(features), "", kind="expansion")
    net.summary = _summary(members, links, features, seeds=len(seed_ids))
    return net


def _summary(members: list[Member], links: list, features: dict[str, float], seeds: int = 0) -> str:
    kinds: dict[str, int] = {}
    for link in links:
        for e in link.evidence[:1]:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
    top = ", ".join(f"{k} ({n})" for k, n in sorted(kinds.items(), key=lambda x: -x[1])[:4])
    accounts = sum(m.key.type == "advertiser" for m in members)
    grown = f"grown from {seeds} seeds: " if seeds else ""
    return (
        f"{grown}{accounts} accounts and {len(members) - accounts} pages, {len(links)} links "
        f"(strongest evidence: {top or 'none'}); mean member risk {features['mean_risk']:.2f}, "
        f"{features['young']:.0%} young at their first political ad, "
        f"{features['burst']:.0%} created within {BURST_DAYS} days of each other"
    )
