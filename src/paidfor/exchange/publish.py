"""Publishing a taken-down case's indicators to the exchange's privacy groups.

``candidates(engine, case_id)`` reads every ad of the case's members (ads whose advertiser
account or page is a member) and offers the distinct indicators they hold:

==============  ==========================================================================
type            from
==============  ==========================================================================
``domain``      the landing URL's registrable domain, lowercased (``news.example.co.uk`` ->
                ``example.co.uk``), except the big shared platforms in ``PLATFORMS``: a
                network's page on facebook.com says nothing about facebook.com
``url``         the landing URL as stored (the library matches URLs by exact string)
``raw_text``    each body text of the creative, stripped, of at least ``MIN_TEXT`` characters
``pdq``         the PDQ hash of each image the creative names (``image_hashes``), from the
                images the ad's advertiser uploaded (``ad_images``; none below PDQ quality 50)
==============  ==========================================================================

Each comes with how many of the case's ads hold it, status ``MALICIOUS``, tags
``election_interference`` and ``case-<id>``, a confidence from the case's score (0-100) and a
description naming the case (never its evidence: the description goes to partners). Values
the exchange would refuse (a landing URL that is not an absolute http(s) URL, a text over
10,000 characters) are left out.

``publish`` adds the chosen types to each chosen group as paidfor's staff
(``ExchangeService.staff(actor)``: owner ``paidfor``), one audited ``indicator_add`` each;
one already live in the group is counted as already shared, not added again. The whole
publish is one more audit event, ``case_publish`` on ``case:{id}``, with the counts. Only a
case that was taken down is published.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from paidfor.domain.urls import site_of
from paidfor.exchange.model import (
    Conflict,
    IndicatorType,
    Invalid,
    check_group_name,
    normalize_value,
)
from paidfor.exchange.publish_store import (
    group_names,
    live_keys,
    member_ads,
    was_taken_down,
)
from paidfor.exchange.service import ExchangeService
from paidfor.exchange.store import value_hash
from paidfor.integrity.cases import CaseConflict, CaseService
from paidfor.review import image_store
from paidfor.storage.audit import append_event

TYPES = ("domain", "url", "raw_text", "pdq")
TYPE_NAMES = {"domain": "landing domains", "url": "landing URLs", "raw_text": "ad texts",
              "pdq": "image PDQ hashes"}  # fmt: skip
STATUS = "MALICIOUS"
TAG = "election_interference"
MIN_TEXT = 20  # shorter texts ("Join us!", "Learn more") would match too much
DEFAULT_CONFIDENCE = 50  # a case without a score
# Big shared platforms: a landing page there is someone's page on the platform, not the
# platform; never shared as a domain (the page's URL still is, as a url).
PLATFORMS = frozenset({
    "facebook.com", "fb.com", "fb.me", "messenger.com", "instagram.com", "whatsapp.com",
    "google.com", "youtube.com", "youtu.be", "twitter.com", "x.com", "t.co", "tiktok.com",
    "linkedin.com", "reddit.com", "wikipedia.org", "bit.ly", "tinyurl.com", "goo.gl", "ow.ly",
    "linktr.ee",
})  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """One indicator a case offers, with the fields it would be shared with."""

    type: str
    value: str
    ads: int  # how many of the case's ads hold it
    status: str
    tags: list[str]
    confidence: int
    description: str

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "value": self.value,
            "ads": self.ads,
            "status": self.status,
            "tags": list(self.tags),
            "confidence": self.confidence,
            "description": self.description,
        }


def counts(found: Iterable[Candidate]) -> dict[str, int]:
    """How many candidates of each type (every type named, in ``TYPES`` order)."""
    by = Counter(c.type for c in found)
    return {t: by.get(t, 0) for t in TYPES}


def _canonical(kind: IndicatorType, value: str) -> str | None:
    try:
        return normalize_value(kind, value)
    except Invalid:
        return None


def _texts(creative: dict[str, Any]) -> list[str]:
    bodies = creative.get("bodies") if isinstance(creative, dict) else None
    out = []
    for body in bodies or []:
        text = body.strip() if isinstance(body, str) else ""
        if len(text) >= MIN_TEXT:
            out.append(text)
    return out


def _image_hashes(creative: dict[str, Any]) -> list[str]:
    hashes = creative.get("image_hashes") if isinstance(creative, dict) else None
    return [h for h in hashes or [] if isinstance(h, str) and h]


def candidates(engine: Engine, case_id: int) -> list[Candidate]:
    """The distinct indicators the case's members' ads hold (module docstring), by type in
    ``TYPES`` order, then most ads first; NotFound for no such case."""
    view = CaseService(engine).case(case_id)
    advertisers = sorted({m.entity_id for m in view.members if m.entity_type == "advertiser"})
    pages = sorted({m.entity_id for m in view.members if m.entity_type == "page"})
    ads = member_ads(engine, advertisers, pages)
    held: dict[tuple[str, str], set[int]] = {}

    def hold(kind: str, value: str | None, ad_id: int) -> None:
        if value is not None:
            held.setdefault((kind, value), set()).add(ad_id)

    wanted_images: dict[int, set[str]] = {}
    for ad in ads:
        ad_id = int(ad.id)
        url = ad.landing_url.strip() if isinstance(ad.landing_url, str) else ""
        if url:
            hold("url", _canonical(IndicatorType.URL, url), ad_id)
            domain = site_of(url)
            if domain and domain not in PLATFORMS:
                hold("domain", _canonical(IndicatorType.DOMAIN, domain), ad_id)
        creative = ad.creative or {}
        for text in _texts(creative):
            hold("raw_text", _canonical(IndicatorType.RAW_TEXT, text), ad_id)
        if ad.advertiser_id is not None and _image_hashes(creative):
            wanted_images.setdefault(int(ad.advertiser_id), set()).update(_image_hashes(creative))
    pdqs = image_store.pdqs_by_advertiser(engine, wanted_images)
    for ad in ads:
        if ad.advertiser_id is None:
            continue
        for image_hash in _image_hashes(ad.creative or {}):
            pdq = pdqs.get((int(ad.advertiser_id), image_hash))
            hold("pdq", _canonical(IndicatorType.PDQ, pdq) if pdq else None, int(ad.id))

    score = view.case.score
    confidence = (
        DEFAULT_CONFIDENCE if score is None else max(0, min(100, round(float(score) * 100)))
    )
    members = len(view.members)
    tags = sorted({TAG, f"case-{case_id}"})
    order = {t: i for i, t in enumerate(TYPES)}
    out = [
        Candidate(
            type=kind,
            value=value,
            ads=len(ad_ids),
            status=STATUS,
            tags=tags,
            confidence=confidence,
            description=(
                f"paidfor case #{case_id}: a coordinated network of {members} advertiser "
                f"accounts and pages taken down for election interference; seen in "
                f"{len(ad_ids)} of its ads"
            ),
        )
        for (kind, value), ad_ids in held.items()
    ]
    return sorted(out, key=lambda c: (order[c.type], -c.ads, c.value))


def parse_types(types: Iterable[str] | None) -> list[str]:
    """The types asked for, in ``TYPES`` order (all of them for None); Invalid for others."""
    if types is None:
        return list(TYPES)
    asked = {str(t).strip().lower() for t in types}
    unknown = sorted(asked - set(TYPES))
    if unknown:
        raise Invalid(
            f"cannot publish {', '.join(map(repr, unknown))}; the types are {', '.join(TYPES)}"
        )
    if not asked:
        raise Invalid(f"choose at least one type to publish: {', '.join(TYPES)}")
    return [t for t in TYPES if t in asked]


def _parse_groups(groups: Iterable[str]) -> list[str]:
    names = list(dict.fromkeys(check_group_name(g) for g in groups))
    if not names:
        raise Invalid("choose at least one privacy group to publish to")
    return names


@dataclass
class GroupCounts:
    shared: dict[str, int] = field(default_factory=dict)
    already_shared: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"shared": dict(self.shared), "already_shared": dict(self.already_shared)}


@dataclass
class PublishResult:
    case_id: int
    types: list[str]
    groups: dict[str, GroupCounts]
    dry_run: bool = False

    @property
    def shared(self) -> int:
        return sum(sum(g.shared.values()) for g in self.groups.values())

    @property
    def already_shared(self) -> int:
        return sum(sum(g.already_shared.values()) for g in self.groups.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "types": list(self.types),
            "groups": {name: g.as_json() for name, g in self.groups.items()},
            "shared": self.shared,
            "already_shared": self.already_shared,
            "dry_run": self.dry_run,
        }

    def message(self) -> str:
        """What was shared, in words (the case page says it after a publish)."""
        parts = []
        for name, g in self.groups.items():
            new = ", ".join(f"{n} {TYPE_NAMES[t]}" for t, n in g.shared.items() if n)
            old = sum(g.already_shared.values())
            said = f"{name}: {new or 'nothing new'}"
            if old:
                said += f" ({old} already shared)"
            parts.append(said)
        verb = "Would share" if self.dry_run else "Shared"
        total = f"{verb} {self.shared} indicators"
        return f"{total} with partners. " + "; ".join(parts) + "."


def publish(
    engine: Engine,
    case_id: int,
    groups: Sequence[str],
    actor: str,
    types: Iterable[str] | None = None,
    *,
    dry_run: bool = False,
) -> PublishResult:
    """Add the case's candidates of ``types`` (all by default) to each of ``groups`` as
    paidfor's staff acting as ``actor``; counts per group and type. Invalid (a ValueError)
    for a bad type or group name or no group, the exchange's NotFound for an unknown group,
    the case's NotFound for no such case, CaseConflict for a case never taken down. With
    ``dry_run`` nothing is written: the counts say what would be."""
    wanted = parse_types(types)
    names = _parse_groups(groups)
    exchange = ExchangeService(engine)
    ids = exchange.repo.group_ids(names)  # NotFound naming any unknown group
    found = [c for c in candidates(engine, case_id) if c.type in wanted]
    if not was_taken_down(engine, case_id):
        raise CaseConflict(
            f"case {case_id} has not been taken down: take it down before sharing its indicators"
        )
    member = exchange.staff(actor)
    result = PublishResult(case_id, wanted, {}, dry_run)
    for name in names:
        tally = GroupCounts({t: 0 for t in wanted}, {t: 0 for t in wanted})
        result.groups[name] = tally
        live = live_keys(engine, ids[name], datetime.now(UTC))
        for c in found:
            if (c.type, value_hash(c.value)) in live:
                tally.already_shared[c.type] += 1
                continue
            if not dry_run:
                try:
                    exchange.add(
                        member,
                        type=c.type,
                        value=c.value,
                        group=name,
                        status=c.status,
                        tags=c.tags,
                        confidence=c.confidence,
                        description=c.description,
                    )
                except Conflict:  # added since the read above
                    tally.already_shared[c.type] += 1
                    continue
            tally.shared[c.type] += 1
    if not dry_run:
        append_event(
            engine,
            actor=actor,
            action="case_publish",
            target_type="case",
            target_id=str(case_id),
            after={
                "groups": {n: g.as_json() for n, g in result.groups.items()},
                "types": wanted,
                "shared": result.shared,
                "already_shared": result.already_shared,
            },
        )
    return result


class Publisher:
    """Sharing a taken-down case's indicators, as the staff pages, the case API and the CLI
    call it: what a case would share, whether it was taken down, the groups it can go to,
    and the sharing itself (``publish``)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def candidates(self, case_id: int) -> list[Candidate]:
        return candidates(self._engine, case_id)

    def was_taken_down(self, case_id: int) -> bool:
        return was_taken_down(self._engine, case_id)

    def group_names(self) -> list[str]:
        return group_names(self._engine)

    def publish(
        self,
        case_id: int,
        groups: Sequence[str],
        actor: str,
        types: Iterable[str] | None = None,
        *,
        dry_run: bool = False,
    ) -> PublishResult:
        return publish(self._engine, case_id, groups, actor, types, dry_run=dry_run)
