"""Using the exchange's indicators here: the screening of new ads asks them (through
``ExchangeIndicators``, an ``integrity.signals.IndicatorMatcher``), and the retro-hunt checks
the ads already running against them and holds the ones that match for a person.

The indicators used are this server's own live ones in every group and everything fetched
from other members (``exchange.fetch``), except those marked NON_MALICIOUS and those past
their expiry. An indicator's weight is its confidence scaled by its status (MALICIOUS 1,
SUSPICIOUS 0.7, UNKNOWN 0.4); each hit's explanation names the indicator, its owner and
where it came from, for the integrity team (advertisers never see it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from paidfor.background import Snapshot
from paidfor.domain.models import ACTIVE_STATUSES
from paidfor.domain.urls import site_of
from paidfor.exchange.consume_store import (
    ads_with_status,
    held_for,
    image_pdqs,
    live_indicators,
    marker,
)
from paidfor.exchange.consume_store import cards as card_rows
from paidfor.integrity.indicators import Indicator, IndicatorSet
from paidfor.integrity.model import EntityKey, PaymentProfile, Profile
from paidfor.integrity.signals import IndicatorHit, text_probes
from paidfor.storage.mapping import aware

STATUS_WEIGHT = {"MALICIOUS": 1.0, "SUSPICIOUS": 0.7, "UNKNOWN": 0.4}
HUNT_ACTOR = "paidfor:retro-hunt"


def _now() -> datetime:
    return datetime.now(UTC)


def _weight(status: str, confidence: int) -> int:
    return round(confidence * STATUS_WEIGHT.get(status, 0.0))


def _tags(tags: Any) -> str:
    return f", tags {' '.join(tags)}" if tags else ""


@dataclass
class Loaded:
    indicators: IndicatorSet
    count: int
    next_expiry: datetime | None  # the earliest expiry among those loaded


def load_indicators(engine: Engine, now: datetime | None = None) -> Loaded:
    """Every indicator screening should use, as an ``IndicatorSet``."""
    found: list[Indicator] = []
    expiries: list[datetime] = []

    def own_words(r: Any) -> str:
        return (
            f"indicator #{r.id} ({r.status}{_tags(r.tags)}) shared by {r.owner} in group {r.group}"
        )

    def fetched_words(r: Any) -> str:
        where = f"group {r.remote_group} " if r.remote_group else ""
        return (
            f"indicator {r.remote_id or '(no id)'} ({r.status}{_tags(r.tags)}) "
            f"shared by {r.owner or 'unknown'} in {where}fetched from {r.source}"
        )

    for kind, r in live_indicators(engine, now or _now()):
        words = own_words if kind == "own" else fetched_words
        found.append(Indicator(r.type, r.value, words(r), _weight(r.status, r.confidence)))
        if r.expires_at is not None:
            expiries.append(r.expires_at)
    indicators = IndicatorSet(found)
    indicators.build()  # here (in the reloading thread), not on the first ad screened
    return Loaded(indicators, len(found), aware(min(expiries)) if expiries else None)


class ExchangeIndicators:
    """The indicators for screening, reloaded when they change (an own indicator written, a
    fetch that changed something) or when the first loaded one expires: at once when a load
    takes under a second, else in the background while the old set answers."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.clock = clock
        # ``load_indicators`` and ``marker`` are looked up when called (tests hold the load
        # back by replacing the module's name)
        self.loaded: Snapshot[Loaded] = Snapshot(
            lambda: load_indicators(self.engine, self.clock()),
            lambda: marker(self.engine),
            name="paidfor-indicators",
            expired=self._expired,
        )

    def _expired(self, loaded: Loaded) -> bool:
        return loaded.next_expiry is not None and loaded.next_expiry <= self.clock()

    def close(self, timeout: float = 30.0) -> bool:
        """Start no more background loads and wait for the running one (the server's
        shutdown, before it closes the database)."""
        return self.loaded.close(timeout)

    def warm(self) -> None:
        """Start the first load in the background (the server does at start-up: a million
        indicators take half a minute to index)."""
        self.loaded.warm()

    @property
    def ready(self) -> bool:
        return self.loaded.ready

    def wait_ready(self, timeout: float) -> bool:
        return self.loaded.wait_ready(timeout)

    def current(self, wait: float = 2.0) -> Loaded:
        """The indicators to match with. The first load runs in the background; a caller
        waits for it at most ``wait`` seconds, then gets an empty set (``ready`` says so)."""
        return self.loaded.get(wait) or Loaded(IndicatorSet(), 0, None)

    def wait_current(self) -> Loaded:
        """Load now if anything changed (for commands and tests that need the newest set)."""
        return self.loaded.refresh_if_stale()

    def match(self, profile: Profile, texts: Sequence[str]) -> list[IndicatorHit]:
        return self.current().indicators.match(profile, texts)


# -- the retro-hunt ---------------------------------------------------------------------------


@dataclass
class HuntReport:
    ads_checked: int = 0
    ads_matched: int = 0
    held: list[int] = field(default_factory=list)
    already: int = 0  # matched, but already held or decided for the same indicators

    def as_json(self) -> dict[str, Any]:
        return {
            "ads_checked": self.ads_checked,
            "ads_matched": self.ads_matched,
            "held": list(self.held),
            "already": self.already,
        }


def _probe(
    ad: Any, pdqs: dict[tuple[int | None, str], str], cards: dict[int, list[PaymentProfile]]
) -> Profile:
    """One ad as a profile of its own: its landing URL and domain, its images' PDQ hashes,
    its advertiser's cards, keyed by its advertiser (or its page when it has none)."""
    if ad.advertiser_id is not None:
        key = EntityKey("advertiser", ad.advertiser_id)
    else:
        key = EntityKey("page", ad.page_id if ad.page_id is not None else 0)
    probe = Profile(key, "")
    if ad.landing_url:
        probe.landing_urls.add(ad.landing_url)
        domain = site_of(ad.landing_url)
        if domain:
            probe.landing_domains.add(domain)
    for h in (ad.creative or {}).get("image_hashes") or []:
        pdq = pdqs.get((ad.advertiser_id, h))
        if pdq:
            probe.image_pdqs.add(pdq)
    if ad.advertiser_id is not None:
        probe.payments = list(cards.get(ad.advertiser_id, []))
    return probe


def retro_hunt(
    engine: Engine,
    indicators: IndicatorSet,
    *,
    actor: str = HUNT_ACTOR,
    progress: Callable[[int], None] | None = None,
) -> HuntReport:
    """Check every delivering ad against ``indicators``; hold each one that matches for a
    person (it stops delivering until someone decides), unless an earlier retro-hunt already
    held it for the same indicators."""
    from paidfor.review.intake_store import IntakeRepository
    from paidfor.review.rules import Reason

    report = HuntReport()
    if len(indicators) == 0:
        return report
    intake = IntakeRepository(engine)
    pdqs = image_pdqs(engine)
    cards = {
        account: [PaymentProfile(*card) for card in held]
        for account, held in card_rows(engine).items()
    }
    matched: list[tuple[Any, list[IndicatorHit]]] = []
    for ad in ads_with_status(engine, sorted(ACTIVE_STATUSES)):  # those delivering
        report.ads_checked += 1
        if progress and report.ads_checked % 1000 == 0:
            progress(1000)
        hits = indicators.match(_probe(ad, pdqs, cards), text_probes([ad.search_text or ""]))
        if hits:
            matched.append((ad, hits))
    if progress:
        progress(report.ads_checked % 1000)
    report.ads_matched = len(matched)
    # the indicators earlier hunts held each ad for
    seen = held_for(engine, (int(ad.id) for ad, _ in matched), actor)
    for ad, hits in matched:
        names = sorted({h.indicator for h in hits})
        if set(names) <= seen.get(int(ad.id), set()):
            report.already += 1
            continue
        top = max(hits, key=lambda h: h.confidence)
        explanation = "retro-hunt: " + "; ".join(
            f"{h.value} matches {h.indicator}" for h in hits[:5]
        )
        finding = {
            "signal": "threat_indicator",
            "explanation": explanation,
            "score": top.confidence / 100,
            "hold": True,
            "indicators": names,
        }
        intake.record_decision(
            ad.id,
            decision="held",
            political=bool(ad.is_political),
            political_score=ad.political_score,
            reasons=[Reason("integrity", "threat_indicator", explanation, "hold")
                     .as_json()],
            findings=[finding],
            actor=actor,
            by_person=False,
        )  # fmt: skip
        report.held.append(int(ad.id))
    return report


__all__ = [
    "HUNT_ACTOR",
    "ExchangeIndicators",
    "HuntReport",
    "Loaded",
    "load_indicators",
    "marker",
    "retro_hunt",
]
