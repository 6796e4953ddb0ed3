"""Coordinated networks: every entity's risk, the entity links beyond chance
(``integrity.graph``), clusters of them (igraph: connected components, and Leiden inside a
large component), and a score per cluster; and growing a network from known bad seeds.

Links that a declared relationship explains (an agency and its clients, an organisation and
its chapters: ``integrity.relations``) are left out before clustering: declared coordination
is not evidence. A cluster's score (``integrity.network_score``) is about concealment:
independent-looking actors tied both by what only an operator shares and by one message,
foreign traces, and the members' risk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import igraph as ig
import numpy as np

from paidfor.errors import NotFound
from paidfor.integrity import creatives
from paidfor.integrity.graph import (
    MAX_SHARED,
    AttributeTable,
    Projection,
    attribute_weights,
    control_links,
    evidence_between,
    links_of,
    null_threshold,
    project,
    seeded_igraph,
)
from paidfor.integrity.model import (
    ATTRIBUTE_KINDS,
    EntityKey,
    Link,
    Member,
    Network,
    SignalResult,
)
from paidfor.integrity.network_score import BURST_DAYS, network_model, network_score
from paidfor.integrity.network_score import network_features as _features
from paidfor.integrity.relations import (
    UNTRUSTED_SIGNALS,
    Declared,
    actor_of,
    claimed_affiliations,
    declared_families,
    family_infrastructure,
    staff_verified,
)
from paidfor.integrity.risk import assess
from paidfor.integrity.signals import Context, IndicatorMatcher, attributes
from paidfor.integrity.store import World

LEIDEN_ABOVE = 40  # components larger than this are split by Leiden
# an actor outside a reported network joins it when it shows an untrusted trace of its own and
# the network's members are at least this share of the carriers of what it shares with them
# (``attach``); on both families of generated worlds the result is the same from 0.1 to 0.3
ATTACH_SHARE = 0.2
ATTACH_LINKS = 3  # links drawn from an attached entity to the members it shares most with


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
    actor: dict[EntityKey, EntityKey] = field(default_factory=dict)  # entity -> its actor
    declared: Declared = field(default_factory=Declared)
    # per link: weight ≥ τ or an operator's tie (graph.control_links); and whether a declared
    # relationship explains it (two actors of one declared family)
    tied: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    explained: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # attributes that are a declared family's own (muted in the projection), with the family
    infrastructure: dict[tuple[str, str], EntityKey] = field(default_factory=dict)

    @property
    def kept(self) -> np.ndarray:
        """The links that count as evidence: tied, and not explained."""
        return self.tied & ~self.explained

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
            ctx.removed_owners[ad.id] = ad.owners
    return ctx


def analyse(world: World, *, indicators: IndicatorMatcher | None = None, seed: int = 0) -> Analysis:
    carried = world_attributes(world)
    table = AttributeTable.build(carried)
    counts = table.df()
    df = {a: int(c) for a, c in zip(table.attrs, counts, strict=True)}
    ctx = build_context(world, carried, df, indicators)
    actor = actor_of(world.profiles)
    # every signal but creation_burst (it needs the kept links, which need the declared
    # families, which need to know who may vouch): once for everybody here, and again below
    # only for the entities with burst peers
    risk = {key: assess(p, ctx) for key, p in world.profiles.items()}
    found = {k: r[1] for k, r in risk.items()}
    verified = staff_verified(world.relationships)
    claimed = claimed_affiliations(world.profiles, actor, carried, found, verified)
    declared = declared_families(world.relationships, world.profiles, found, claimed, verified)
    infrastructure = family_infrastructure(carried, actor, declared, world.profiles)
    if infrastructure:
        index = {attr: i for i, attr in enumerate(table.attrs)}
        table.muted = frozenset(index[attr] for attr in infrastructure if attr in index)
    proj = project(table)
    tau = null_threshold(table, proj, seed=seed)
    explained = explained_links(table.entities, proj, world, actor, declared)
    tied = (proj.weight >= tau) | control_links(table, proj)
    ctx.burst_peers = burst_peers(world, table.entities, proj, tied & ~explained, actor)
    for key in ctx.burst_peers:
        risk[key] = assess(world.profiles[key], ctx)
    return Analysis(
        world, carried, df, table, proj, tau, risk, ctx, actor, declared,
        tied, explained, infrastructure,
    )  # fmt: skip


def explained_links(
    entities: list[EntityKey],
    proj: Projection,
    world: World,
    actor: dict[EntityKey, EntityKey],
    declared: Declared,
) -> np.ndarray:
    """Which links join two actors of one declared family (an account and its own pages are
    one actor, not a family: their links stay)."""
    out = np.zeros(len(proj.weight), dtype=bool)
    if not declared.family:
        return out
    fam = [declared.family_of(k, world.profiles) for k in entities]
    for i, (s, d) in enumerate(zip(proj.src.tolist(), proj.dst.tolist(), strict=True)):
        fs = fam[s]
        if fs is not None and fs == fam[d] and actor[entities[s]] != actor[entities[d]]:
            out[i] = True
    return out


def burst_peers(
    world: World,
    entities: list[EntityKey],
    proj: Projection,
    kept: np.ndarray,
    actor: dict[EntityKey, EntityKey],
) -> dict[EntityKey, list[EntityKey]]:
    """For each entity, the entities tied to it by a kept link, not of its own actor, and
    created within CreationBurst.DAYS of it."""
    from paidfor.integrity.signals import CreationBurst

    out: dict[EntityKey, list[EntityKey]] = {}
    for s, d in zip(proj.src[kept].tolist(), proj.dst[kept].tolist(), strict=True):
        a, b = entities[s], entities[d]
        pa, pb = world.profiles[a], world.profiles[b]
        if pa.created_at is None or pb.created_at is None or actor[a] == actor[b]:
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
    return _features(
        keys,
        profiles=a.world.profiles,
        risk=a.risk,
        carried=a.carried,
        df=a.df,
        actor=a.actor,
        declared=a.declared,
        max_shared=MAX_SHARED,
        muted=a.infrastructure,
    )


def actors(a: Analysis, keys: Sequence[EntityKey]) -> int:
    """How many actors ``keys`` are: an account and the pages it owns count as one."""
    return len({a.actor.get(k, k) for k in keys})


def clusters(a: Analysis) -> list[list[int]]:
    """Clusters (entity indices) of two or more entities over the kept links that no declared
    relationship explains."""
    number: dict[EntityKey, int] = {}
    actor_ids = [number.setdefault(a.actor.get(k, k), len(number)) for k in a.table.entities]
    return cluster_links(a.projection, a.kept, actor_ids)


def cluster_links(
    proj: Projection, kept: float | np.ndarray, actor_ids: Sequence[int] | None = None
) -> list[list[int]]:
    """Connected components of the kept links (weight ≥ ``kept``, or a mask); a component
    larger than LEIDEN_ABOVE is split by Leiden (modularity, weighted).

    With ``actor_ids`` (each entity's actor), a part Leiden leaves with a single actor joins
    the part it has the most kept weight to: an account with its own pages is one actor, not
    a network, and Leiden's modularity would otherwise cut away an actor tied to the rest by
    one operator's device because its own account and pages tie it more tightly to itself."""
    keep = proj.weight >= kept if isinstance(kept, float | int) else kept
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
        membership = list(parts.membership)
        if actor_ids is not None:
            membership = _lone_actors_joined(sub, membership, [actor_ids[v] for v in comp])
        pieces: dict[int, list[int]] = {}
        for i, part in enumerate(membership):
            pieces.setdefault(part, []).append(comp[i])
        out += [piece for piece in pieces.values() if len(piece) >= 2]
    return out


def _lone_actors_joined(g: ig.Graph, membership: list[int], actor_ids: list[int]) -> list[int]:
    """``membership`` with every part of one actor moved to the part it has the most edge
    weight to (ties: the lowest part number; a part with no edge out stays)."""
    actors_in: dict[int, set[int]] = {}
    for v, part in enumerate(membership):
        actors_in.setdefault(part, set()).add(actor_ids[v])
    lone = {part for part, who in actors_in.items() if len(who) == 1}
    if not lone:
        return membership
    towards: dict[int, dict[int, float]] = {part: {} for part in lone}
    for (s, d), w in zip(g.get_edgelist(), g.es["weight"], strict=True):
        ps, pd = membership[s], membership[d]
        if ps == pd:
            continue
        if ps in lone and pd not in lone:
            towards[ps][pd] = towards[ps].get(pd, 0.0) + w
        if pd in lone and ps not in lone:
            towards[pd][ps] = towards[pd].get(ps, 0.0) + w
    target = {part: min(ws, key=lambda t: (-ws[t], t)) for part, ws in towards.items() if ws}
    out = [target.get(m, m) for m in membership]
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
        links, explained = _links(a, a.tied, set(comp))
        net = Network(members, links, score, _summary(members, links, features))
        net.features, net.explained = features, explained
        net.declared = [r.as_json() for r in a.declared.relationships_of(keys)]
        found.append(net)
    found.sort(key=lambda n: (-n.score, -len(n.members)))
    attach(a, found)
    return found


def attach(a: Analysis, networks: Sequence[Network]) -> None:
    """Add to each reported network (highest score first) the actors that are its own by
    their traces though no kept link reaches them: an account paying or signing in from
    abroad, or matching a threat indicator (``relations.UNTRUSTED_SIGNALS``), that carries
    what this network's actors carry (an exact interest set, a text, an address, a creation
    day), when the network's actors are most of who carries it: the chance that none of its
    shared attributes is the network's own, 1 − Π (1 − k/d) over them (k of the attribute's d
    carrying actors in the network), is at least ATTACH_SHARE.

    This is how operations keep members apart (a sleeper tied only by the interest set the
    network targets, a page opened months later from the same proxy): one weak tie does not
    pass the null model's τ, but an untrusted account carrying the network's own fingerprint
    is not a stranger. A legitimate group aiming at the same interests shares them with many
    carriers that are not the network's, and shows no untrusted trace of its own; neither
    alone attaches. Attached members have the role "attached" and rank the share above; the
    links drawn to the members they share most with carry the evidence."""
    if not networks:
        return
    useful = attribute_weights(a.table) > 0
    carriers: dict[tuple[str, str], set[EntityKey]] = {}
    for e, at in zip(a.table.ent.tolist(), a.table.attr.tolist(), strict=True):
        if useful[at]:
            key = a.table.entities[e]
            carriers.setdefault(a.table.attrs[at], set()).add(a.actor.get(key, key))
    groups: dict[EntityKey, list[EntityKey]] = {}
    for key in a.table.entities:
        groups.setdefault(a.actor.get(key, key), []).append(key)
    taken = {a.actor.get(m.key, m.key) for n in networks for m in n.members}
    for net in networks:
        inside = {a.actor.get(m.key, m.key) for m in net.members}
        share: dict[EntityKey, float] = {}  # candidate actor -> Π (1 - k/d)
        theirs = {attr for m in net.members for attr in a.carried.get(m.key, ())}
        for attr in sorted(theirs & carriers.keys()):
            who = carriers[attr]
            k = len(who & inside)
            if k < 2 or k == len(who):
                continue
            for actor in who - inside - taken:
                share[actor] = share.get(actor, 1.0) * (1.0 - k / len(who))
        chosen = sorted(
            actor
            for actor, none in share.items()
            if 1.0 - none >= ATTACH_SHARE and _untrusted(a, groups[actor])
        )
        found = [m.key for m in net.members]  # the cluster, before anyone is attached
        for actor in chosen:
            taken.add(actor)
            for key in groups[actor]:
                net.members.append(_member(a, key, "attached", 1.0 - share[actor]))
                net.links += _attached_links(a, key, found)
        if chosen:
            net.summary += (
                f"; {len(chosen)} more actors attached: untrusted themselves (paying or signing in"
                " from abroad, or a threat indicator), they carry what mostly its actors carry"
            )


def _untrusted(a: Analysis, keys: Sequence[EntityKey]) -> bool:
    return any(f.signal in UNTRUSTED_SIGNALS for k in keys for f in a.risk[k][1])


def _attached_links(a: Analysis, key: EntityKey, members: Sequence[EntityKey]) -> list[Link]:
    """Links from an attached entity to the ATTACH_LINKS members it shares most with."""
    n = len(a.table.entities)
    links = []
    for m in members:
        evidence = evidence_between(a.carried, a.df, n, key, m)
        if evidence:
            links.append(Link(key, m, sum(e.weight for e in evidence), evidence))
    links.sort(key=lambda link: (-link.weight, str(link.b)))
    return links[:ATTACH_LINKS]


def expand(
    a: Analysis,
    seeds: Sequence[EntityKey],
    *,
    limit: int = 200,
    min_weight: float | None = None,
) -> Network:
    """Grow a network from ``seeds``: every entity tied to them through kept links, ranked by
    personalized PageRank from the seeds (strongest ties first), at most ``limit``.

    Links are the ones detection keeps (weight at least the null model's τ, or an operator's
    card, admin or device; none a declared relationship explains) unless ``min_weight`` says
    otherwise: growing from
    known bad seeds may accept weaker ties than finding networks among everybody, and when
    the database holds little but the operation itself (the HPSCI release), the shuffle has
    nobody else to compare with and τ is too strict."""
    index = a.index
    missing = [str(s) for s in seeds if s not in index]
    if missing:
        raise NotFound(f"no such entity: {', '.join(missing)}")
    # the links detection keeps (τ or an operator's tie), or those of at least min_weight
    tied = a.tied if min_weight is None else a.projection.weight >= min_weight
    keep = tied & ~a.explained
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
    links, explained = _links(a, tied, chosen)
    keys = [m.key for m in members]
    features = network_features(a, keys)
    net = Network(members, links, network_score(features), "", kind="expansion")
    net.summary = _summary(members, links, features, seeds=len(seed_ids))
    net.features, net.explained = features, explained
    net.declared = [r.as_json() for r in a.declared.relationships_of(keys)]
    return net


def _links(a: Analysis, tied: np.ndarray, members: set[int]) -> tuple[list[Link], list[Link]]:
    """The ``tied`` links among ``members`` that no declared relationship explains (the
    evidence), and those it does (shown, not counted)."""
    evidence = links_of(a.projection, tied & ~a.explained, a.table.entities, a.carried, a.df,
                        members)  # fmt: skip
    explained = links_of(a.projection, tied & a.explained, a.table.entities, a.carried, a.df,
                         members)  # fmt: skip
    return evidence, explained


FACT_WORDS = (
    ("foreign_payment", "paying from abroad of what they target"),
    (
        "control_and_audience",
        "tied both by an operator's card, admin or device and by one audience",
    ),
    ("control_and_content", "tied both by an operator's card, admin or device and by one text"),
    ("many_faces", "speaking through three or more pages under other names"),
    ("made_together", "created within days of others they are tied to"),
    ("enforcement", "tied to removed or flagged entities or threat indicators"),
    ("foreign_people", "run by admins abroad or with another language"),
    ("young", "young at their first political ad"),
    ("divisive", "targeting divisive interests"),
    ("activation", f"starting political ads within {BURST_DAYS} days of each other"),
)


def _summary(members: list[Member], links: list, features: dict[str, float], seeds: int = 0) -> str:
    """The network in one sentence: its size, its strongest evidence, and what share of its
    actors shows each sign the score weighs (only those some show)."""
    kinds: dict[str, int] = {}
    for link in links:
        for e in link.evidence[:1]:
            kinds[e.kind] = kinds.get(e.kind, 0) + 1
    top = ", ".join(
        f"{ATTRIBUTE_KINDS.get(k, k)} ({n})"
        for k, n in sorted(kinds.items(), key=lambda x: -x[1])[:3]
    )
    accounts = sum(m.key.type == "advertiser" for m in members)
    pages = len(members) - accounts
    grown = f"grown from {seeds} seeds: " if seeds else ""
    size = " and ".join(
        f"{n} {word}{'' if n == 1 else 's'}"
        for n, word in ((accounts, "account"), (pages, "page"))
        if n
    )
    facts = "; ".join(
        f"{features[k]:.0%} {words}" for k, words in FACT_WORDS if features.get(k, 0.0) > 0
    )
    return (
        f"{grown}{size}, {len(links)} links (strongest evidence: {top or 'none'})"
        f"{'; of its actors, ' + facts if facts else ''}"
    )
