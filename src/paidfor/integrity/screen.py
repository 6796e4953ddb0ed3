"""The integrity step of the review (``review.rules.IntegrityScreen``): every submission's
account and page are scored by the signals, with what the platform knows around them (the
flagged and removed entities, how common each attribute is, removed ads' texts, threat
indicators), and the submission is held for a person when the risk reaches ``HOLD_AT`` or
when it matches a shared threat indicator of weight ``INDICATOR_HOLD_AT`` or more.

That knowledge (``Context``) is read from the database once, then again after every
enforcement action or new case (at once while that takes under a second, else in the
background) and every ``refresh_seconds``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC

from sqlalchemy import Engine

from paidfor.background import Snapshot
from paidfor.integrity.model import Profile
from paidfor.integrity.risk import HOLD_AT, assess
from paidfor.integrity.signals import Context, IndicatorMatcher, admin_attribute, attributes
from paidfor.integrity.store import (
    attribute_carriers,
    count_entities,
    enforcement_marker,
    flagged_entities,
    load_world,
    removed_ads,
)
from paidfor.review.rules import Finding, ReviewInput


def merged(profiles: list[Profile]) -> Profile:
    """The submitting account and its page as one actor: what either shows counts."""
    first = profiles[0]
    actor = Profile(first.key, first.name, first.country, first.created_at, first.language)
    for p in profiles:
        actor.payments += p.payments
        actor.admins += [a for a in p.admins if a not in actor.admins]
        actor.ad_currencies |= p.ad_currencies
        actor.landing_domains |= p.landing_domains
        actor.landing_urls |= p.landing_urls
        actor.image_pdqs |= p.image_pdqs
        actor.targeted_countries |= p.targeted_countries
        actor.audience_languages |= p.audience_languages
        actor.interests |= p.interests
        actor.ad_ids += p.ad_ids
        actor.owned |= {p.key, *p.owned}  # its own removed ads are not someone else's
        actor.country = actor.country or p.country
        actor.language = actor.language or p.language
        if p.created_at and (actor.created_at is None or p.created_at > actor.created_at):
            actor.created_at = p.created_at  # the younger of the two
        if p.first_political_at and (
            actor.first_political_at is None or p.first_political_at < actor.first_political_at
        ):
            actor.first_political_at = p.first_political_at
    return actor


def screening_context(engine: Engine, indicators: IndicatorMatcher | None = None) -> Context:
    """What the signals need to know about everybody else, from the database: the flagged
    accounts and pages with what they carry, how many entities carry each of those
    attributes (the only ones whose rarity a signal asks), and the removed ads' texts. Index
    lookups and the flagged entities' own rows, so its cost follows what was flagged, not
    the number of ads (``full_screening_context`` computes the same from every ad)."""
    flagged = load_world(
        engine, advertisers=flagged_entities("advertiser"), pages=flagged_entities("page")
    )
    carried = {k: attributes(p) for k, p in flagged.profiles.items()}
    admin_of = {admin_attribute(a): a.id for p in flagged.profiles.values() for a in p.admins}
    wanted: dict[str, set[str]] = {}
    for attrs in carried.values():
        for kind, value in attrs:
            wanted.setdefault(kind, set()).add(value)
    found = attribute_carriers(
        engine,
        payments=wanted.get("payment", ()),
        admins=set(admin_of.values()),
        devices=wanted.get("device", ()),
        ips=wanted.get("ip", ()),
        domains=wanted.get("domain", ()),
    )
    df = {
        (kind, value): found.admin.get(admin_of[(kind, value)], 0)
        if kind == "admin"
        else getattr(found, kind).get(value, 0)
        for attrs in carried.values()
        for kind, value in attrs
    }
    from paidfor.integrity.networks import build_context  # NumPy and igraph: when it runs

    flagged.ads = removed_ads(engine)
    ctx = build_context(flagged, carried, df, indicators)
    ctx.n_entities = count_entities(engine)
    return ctx


def full_screening_context(engine: Engine, indicators: IndicatorMatcher | None = None) -> Context:
    """The same knowledge from every account, page and ad (the definition
    ``screening_context`` is tested against; a batch job's cost)."""
    from paidfor.integrity.networks import build_context

    world = load_world(engine)
    world.ads = [ad for ad in world.ads if ad.removed]  # a submission brings its own texts
    carried = {k: attributes(p) for k, p in world.profiles.items()}
    df = Counter(a for attrs in carried.values() for a in attrs)
    return build_context(world, carried, dict(df), indicators)


# How long a submission waits for the rebuild an enforcement action or a new case started,
# when that rebuild is too slow to run in the request (``Snapshot.inline_under``). Screening
# a copy of an ad with the knowledge from before the ad's removal is the gap an operation
# uses (re-submit the copies right after a takedown), so the submission waits; past this
# bound (a pathological build) it is screened with the older knowledge and the periodic
# rescore and hunt commands cover it.
STALE_WAIT = 15.0

INDICATOR_HOLD_AT = 0.35  # a MALICIOUS indicator of confidence 35, a SUSPICIOUS one of 50...


class RiskScreen:
    name = "foreign_interference"

    def __init__(
        self,
        engine: Engine,
        indicators: IndicatorMatcher | None = None,
        refresh_seconds: float = 300.0,
        first_wait: float = 2.0,
        stale_wait: float = STALE_WAIT,
    ) -> None:
        self.engine = engine
        self.indicators = indicators
        # ``screening_context`` and ``enforcement_marker`` are looked up when called (tests
        # hold the build back by replacing the module's name)
        self.knowledge: Snapshot[Context] = Snapshot(
            lambda: screening_context(self.engine, self.indicators),
            lambda: enforcement_marker(self.engine),
            name="paidfor-screen",
            max_age=refresh_seconds,
            first_wait=first_wait,
            stale_wait=stale_wait,
        )

    def close(self, timeout: float = 30.0) -> bool:
        """Start no more builds and wait for the running one (the server's shutdown, before it
        closes the database)."""
        return self.knowledge.close(timeout)

    @property
    def closed(self) -> bool:
        return self.knowledge.closed

    def warm(self) -> None:
        """Start building the knowledge in the background (the server does at start-up, so
        that no request pays for it; its cost follows the number of flagged entities)."""
        self.knowledge.warm()

    @property
    def ready(self) -> bool:
        return self.knowledge.ready

    def wait_ready(self, timeout: float) -> bool:
        return self.knowledge.wait_ready(timeout)

    def context(self, wait: float | None = None) -> Context | None:
        """The knowledge to screen with. The first build runs in the background; a request
        waits for it at most ``wait`` (default ``first_wait``) seconds, then gets None
        (``screen`` then checks what it can without it). Rebuilt at once after an enforcement
        action or a new case when a build is quick (under a second), else in the background
        while the caller waits for it at most ``stale_wait`` seconds; in any case every
        ``refresh_seconds``."""
        return self.knowledge.get(wait)

    def screen(self, inp: ReviewInput) -> list[Finding]:
        if inp.advertiser_id is None and inp.page_id is None:
            return []
        known = self.context()
        ctx = known if known is not None else Context(indicators=self.indicators)
        world = load_world(
            self.engine,
            advertisers=[inp.advertiser_id] if inp.advertiser_id is not None else [],
            pages=[inp.page_id] if inp.page_id is not None else [],
        )
        profiles = list(world.profiles.values())
        if not profiles:
            return []
        actor = merged(profiles)
        starts = inp.starts.astimezone(UTC).replace(tzinfo=None)  # stored times are naive UTC
        if inp.declared_political and (
            actor.first_political_at is None or starts < actor.first_political_at
        ):
            actor.first_political_at = starts
        texts = [(ad.id, ad.text) for ad in world.ads if ad.text][-50:]  # the new ad's too
        risk, results = assess(actor, replace(ctx, texts=lambda _: texts))
        # A shared indicator's match is itself a reason for a person to look, whatever the
        # other signals say: the partner that shared it has seen an operation use it.
        notes = [
            Finding(
                f.signal,
                f.evidence,
                0.0,
                hold=f.signal == "threat_indicator" and f.score >= INDICATOR_HOLD_AT,
            )
            for f in results
        ]
        held = risk >= HOLD_AT
        top = notes[0].signal if notes else "no signal"
        summary = Finding(
            "risk",
            f"foreign-interference risk {risk:.2f} for {actor.name!r} and its page "
            + (
                f"(at or above {HOLD_AT:.2f}: a person decides; strongest: {top})"
                if held
                else f"(below {HOLD_AT:.2f})"
            ),
            risk,
            hold=held,
        )
        unready = []
        if known is None:
            unready.append(
                "the checks against flagged and removed entities (shared infrastructure, "
                "copies of removed ads, creation bursts)"
            )
        if not getattr(self.indicators, "ready", True):
            unready.append("the shared threat indicators")
        if unready:
            notes.append(
                Finding(
                    "knowledge_loading",
                    "screened while the server was still loading what it knows (it had just "
                    f"started): {' and '.join(unready)} were not run for this submission; "
                    "`paidfor exchange hunt`, `paidfor integrity rescore` and `paidfor "
                    "networks find` cover it",
                    0.0,
                    hold=False,
                )
            )
        return [summary, *notes]
