"""Declared coordination: which ties between accounts and pages a declared relationship
explains, and who is one actor.

An advertiser can declare the agency that manages it and the organisation it is a chapter,
committee or coalition member of (``domain.world.RELATIONS``); the other side confirms it or
staff verify it. Accounts joined by such ties form a *declared family* (an agency with its
clients, an organisation with its chapters): coordination inside a family is what the family
says it is, so the detector does not count it as evidence of inauthenticity.

A tie explains only when someone other than the declaring account vouches for it: ``verified``
(staff checked it), or ``confirmed`` by an organisation or agency that is itself established.
An account that vouches while it is foreign-linked (paid or signing in from abroad of what it
targets), or disabled or in an open case, does not explain anything, and neither does a
confirmation between two accounts both made for this campaign (young at their first political
ad): otherwise an operation would confirm its own fake "chapters". A new ballot-measure
committee confirming established unions, or an old organisation confirming new chapters,
does explain. (Ads removed for a policy breach alone do not bar an organisation.)

Ads "Paid for by" the same *verified* funder are the same kind of public fact: accounts and
pages whose political ads name one verified funder are one declared family too.

Actors: an account and the pages it owns are one actor (``Profile.owned``); an account that
runs ads on someone else's page does not make the two one actor (operations buy ads for each
other's pages).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from paidfor.domain.world import EXPLAINING_STATUSES
from paidfor.integrity.model import (
    CONTROL_KINDS,
    EntityKey,
    Profile,
    Relationship,
    SignalResult,
)
from paidfor.integrity.unionfind import UnionFind

# The findings that make an account unable to vouch for others.
FOREIGN_SIGNALS = frozenset({"payment_country", "admin_location", "language"})
# (a language setting alone is not: staff abroad and expats have one)
UNTRUSTED_SIGNALS = frozenset({"payment_country", "admin_location", "threat_indicator"})


def actor_of(profiles: Mapping[EntityKey, Profile]) -> dict[EntityKey, EntityKey]:
    """Each entity's actor: the smallest key among an account and the pages it owns."""
    u: UnionFind[EntityKey] = UnionFind()
    for key, p in profiles.items():
        for other in p.owned:
            if other in profiles:
                u.union(key, other)
    return {key: u.find(key) for key in profiles}


@dataclass
class Declared:
    """The declared families of a world and the relationships that made them."""

    family: dict[EntityKey, EntityKey] = field(default_factory=dict)  # account -> family root
    explaining: list[Relationship] = field(default_factory=list)
    not_explaining: list[tuple[Relationship, str]] = field(default_factory=list)  # and why
    funders: dict[int, list[EntityKey]] = field(default_factory=dict)  # verified, shared
    claimed: list[tuple[EntityKey, EntityKey, str]] = field(default_factory=list)  # by name
    # the accounts that vouched: the organisation or agency of an explaining relationship,
    # the established parent of a claimed affiliation
    anchors: set[EntityKey] = field(default_factory=set)

    def family_of(self, key: EntityKey, profiles: Mapping[EntityKey, Profile]) -> EntityKey | None:
        """The declared family of an entity, or of the account that owns a page."""
        if key in self.family:
            return self.family[key]
        p = profiles.get(key)
        for owner in sorted(p.owned) if p is not None else ():
            if owner in self.family:
                return self.family[owner]
        return None

    def relationships_of(self, accounts: Iterable[EntityKey]) -> list[Relationship]:
        inside = set(accounts)
        return [r for r in self.explaining if r.advertiser in inside or r.related in inside]


def vouching_problem(p: Profile | None, findings: Iterable[SignalResult]) -> str | None:
    """Why ``p`` cannot vouch for a relationship, or None when it can."""
    if p is None:
        return "the related account is unknown"
    if p.flagged and p.flagged != "ads removed":  # disabled, or in an open case
        return f"the related account is flagged ({p.flagged})"
    bad = sorted({f.signal for f in findings} & UNTRUSTED_SIGNALS)
    if bad:
        return f"the related account is not established ({', '.join(bad)})"
    return None


def staff_verified(relationships: Iterable[Relationship]) -> set[EntityKey]:
    """The organisations and agencies that staff verified a relationship with: real, even
    when their account is as new as the campaign."""
    return {r.related for r in relationships if r.status == "verified"}


def _young(findings: Mapping[EntityKey, Iterable[SignalResult]], key: EntityKey) -> bool:
    return any(f.signal == "account_age" for f in findings.get(key, ()))


def declared_families(
    relationships: Iterable[Relationship],
    profiles: Mapping[EntityKey, Profile],
    findings: Mapping[EntityKey, list[SignalResult]],
    claimed: Iterable[tuple[EntityKey, EntityKey, str]] = (),
    verified: Collection[EntityKey] | None = None,
) -> Declared:
    """Join the accounts of every relationship that explains (see the module's docstring),
    of every verified funder they share, and of every claimed affiliation
    (``claimed_affiliations``). ``verified``: ``staff_verified(relationships)``, when the
    caller has it already."""
    u: UnionFind[EntityKey] = UnionFind()
    out = Declared()
    out.claimed = list(claimed)
    relationships = list(relationships)
    if verified is None:
        verified = staff_verified(relationships)
    for child, parent, _ in out.claimed:
        u.union(child, parent)
        out.anchors.add(parent)
    for r in relationships:
        if r.status not in EXPLAINING_STATUSES:
            out.not_explaining.append((r, f"only {r.status}"))
            continue
        if r.status == "confirmed":
            why = vouching_problem(profiles.get(r.related), findings.get(r.related, ()))
            young = _young(findings, r.related) and _young(findings, r.advertiser)
            if why is None and young and r.related not in verified:
                why = (
                    "both accounts were made for this campaign (young at their first political ad)"
                )
            if why is not None:
                out.not_explaining.append((r, why))
                continue
        u.union(r.advertiser, r.related)
        out.explaining.append(r)
        out.anchors.add(r.related)
    members = {k for r in out.explaining for k in (r.advertiser, r.related)}
    members |= {k for child, parent, _ in out.claimed for k in (child, parent)}
    by_funder: dict[int, list[EntityKey]] = {}
    for key, p in profiles.items():
        for funder in p.verified_funders:
            by_funder.setdefault(funder, []).append(key)
    for funder in sorted(by_funder):
        keys = sorted(by_funder[funder])
        if len(keys) > 1:
            out.funders[funder] = keys
            members.update(keys)
            for k in keys[1:]:
                u.union(keys[0], k)
    out.family = {k: u.find(k) for k in members}
    return out


def family_infrastructure(
    carried: Mapping[EntityKey, set[tuple[str, str]]],
    actor: Mapping[EntityKey, EntityKey],
    declared: Declared,
    profiles: Mapping[EntityKey, Profile],
) -> dict[tuple[str, str], EntityKey]:
    """The attributes that belong to a declared family (an agency's staff, devices and card,
    an organisation's domain and template), with the family: carried by two or more of its
    actors, one of them the account that vouched for the family (``Declared.anchors``: the
    organisation or agency itself), or else by at least as many of its actors as of
    everybody else's. Whoever else carries one is tied to that family's known infrastructure
    (an agency's client or a coalition's member that did not declare it), not to a hidden
    operator: to be muted, an attribute must be the vouching organisation's own, or mostly
    the family's, so that two accounts slipped into a family cannot hide a device they
    share with a dozen others."""
    if not declared.family:
        return {}
    fam_of_actor: dict[EntityKey, EntityKey | None] = {}
    for key in profiles:
        a = actor.get(key, key)
        if fam_of_actor.get(a) is None:
            fam_of_actor[a] = declared.family_of(key, profiles)
    anchors = {actor.get(k, k) for k in declared.anchors}
    carriers: dict[tuple[str, str], set[EntityKey]] = {}
    for key, attrs in carried.items():
        a = actor.get(key, key)
        for attr in attrs:
            carriers.setdefault(attr, set()).add(a)
    out: dict[tuple[str, str], EntityKey] = {}
    for attr, who in carriers.items():
        if len(who) < 2 or attr[0] == "owner":
            continue
        counts: dict[EntityKey, int] = {}
        anchored: set[EntityKey] = set()
        for a in who:
            f = fam_of_actor.get(a)
            if f is not None:
                counts[f] = counts.get(f, 0) + 1
                if a in anchors:
                    anchored.add(f)
        if not counts:
            continue
        fam = max(counts, key=lambda f: (f in anchored, counts[f], f))  # an anchor's first
        n = counts[fam]
        if n >= 2 and (fam in anchored or 2 * n >= len(who)):
            out[attr] = fam
    return out


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(name.casefold()))


def claimed_affiliations(
    profiles: Mapping[EntityKey, Profile],
    actor: Mapping[EntityKey, EntityKey],
    carried: Mapping[EntityKey, set[tuple[str, str]]],
    findings: Mapping[EntityKey, list[SignalResult]],
    verified: Collection[EntityKey] = (),
) -> list[tuple[EntityKey, EntityKey, str]]:
    """Chapters that say whose they are: (child actor, parent actor, the parent's name) where
    a name of the child contains a whole name of the parent ("Family Policy Alliance Kansas",
    "Veterans for Accountability of Maine"), the parent is an established account (it could
    vouch for a relationship: ``vouching_problem``), the parent's card, admin or device is
    on the child. Not a claim: a name that is the parent's whole name and nothing more (a
    second identity under one name), and two actors both made for this campaign (young at
    their first political ad) unless staff verified the parent in a relationship
    (``staff_verified``): two new accounts of one operator are not a chapter and its
    organisation. A name alone is no tie (anyone can borrow a name); a name that matches who
    really runs the account is an open claim of affiliation, like a declared relationship."""
    names: dict[EntityKey, set[tuple[str, ...]]] = {}
    control: dict[EntityKey, set[tuple[str, str]]] = {}
    for key, p in profiles.items():
        a = actor.get(key, key)
        toks = _tokens(p.name)
        if toks:
            names.setdefault(a, set()).add(toks)
        control.setdefault(a, set()).update(
            x for x in carried.get(key, ()) if x[0] in CONTROL_KINDS
        )

    def young(a: EntityKey) -> bool:
        return any(_young(findings, k) for k in members.get(a, ()))

    members: dict[EntityKey, list[EntityKey]] = {}
    for key in profiles:
        members.setdefault(actor.get(key, key), []).append(key)
    trusted = {actor.get(k, k) for k in verified}
    lengths: dict[EntityKey, set[int]] = {}  # of the parent's names
    parents: dict[tuple[str, ...], set[EntityKey]] = {}
    for key, p in profiles.items():
        if key.type != "advertiser" or vouching_problem(p, findings.get(key, ())) is not None:
            continue
        a = actor.get(key, key)
        for toks in names.get(a, ()):
            if len(toks) >= 2 and len(" ".join(toks)) >= 8:
                parents.setdefault(toks, set()).add(a)
                lengths.setdefault(a, set()).add(len(toks))
    out: list[tuple[EntityKey, EntityKey, str]] = []
    for child in sorted(names):
        found: set[EntityKey] = set()
        for toks in names[child]:
            for i in range(len(toks)):
                for j in range(i + 2, len(toks) + 1):
                    for parent in parents.get(toks[i:j], ()):
                        if parent == child or parent in found:
                            continue
                        if j - i == len(toks) and len(toks) in lengths.get(parent, ()):
                            continue  # the very same name: a second identity, not a chapter
                        if young(child) and young(parent) and parent not in trusted:
                            continue  # both made for this campaign, and nobody checked
                        if control.get(child, set()) & control.get(parent, set()):
                            found.add(parent)
                            out.append((child, parent, " ".join(toks[i:j])))
    return out
