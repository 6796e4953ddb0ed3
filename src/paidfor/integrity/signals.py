"""Foreign-interference signals: each a small named class that reads one entity's profile
(and what is known around it, ``Context``) and returns a score in [0, 1] with evidence in
words, or None when it has nothing to say. ``SIGNALS`` lists them; adding one is one class
plus one line there. ``integrity.risk`` combines them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

from paidfor.integrity.creatives import NearDuplicateIndex
from paidfor.integrity.model import ATTRIBUTE_KINDS, AdminProfile, EntityKey, Profile, SignalResult
from paidfor.integrity.places import COUNTRY_LANGUAGES, CURRENCY_COUNTRIES, DIVISIVE

# How much sharing one attribute of each kind with a flagged entity says (before its
# rarity discount): a card or a device is one person's, an IP may be a whole ISP's.
SHARED_KIND_WEIGHT = {
    "payment": 1.0,
    "admin": 1.0,
    "device": 0.9,
    "ip": 0.6,
    "domain": 0.7,
    "creative": 0.6,
}


@dataclass(frozen=True, slots=True)
class IndicatorHit:
    indicator: str  # e.g. "indicator 12 (domain evil.example, MALICIOUS, from acme)"
    value: str
    confidence: int  # 0-100


class IndicatorMatcher(Protocol):
    """Threat indicators (the exchange fills this): what of a profile matches one."""

    def match(self, profile: Profile, texts: Sequence[str]) -> list[IndicatorHit]: ...


@dataclass
class Context:
    """What the signals know beyond the entity itself."""

    n_entities: int = 1
    attr_df: dict[tuple[str, str], int] = field(default_factory=dict)  # carriers of each
    flagged_attrs: dict[tuple[str, str], list[EntityKey]] = field(default_factory=dict)
    flagged: dict[EntityKey, tuple[str, str, datetime | None]] = field(default_factory=dict)
    removed_texts: NearDuplicateIndex = field(default_factory=NearDuplicateIndex)
    # removed ad -> its owners (its account and its page)
    removed_owners: dict[int, tuple[EntityKey, ...]] = field(default_factory=dict)
    texts: Callable[[Profile], Sequence[tuple[int, str]]] = lambda p: ()
    indicators: IndicatorMatcher | None = None
    burst_peers: dict[EntityKey, list[EntityKey]] = field(default_factory=dict)
    now: datetime | None = None

    def rarity(self, attr: tuple[str, str]) -> float:
        """1 for an attribute only two entities share, towards 0 for one everybody has."""
        df = max(self.attr_df.get(attr, 2), 2)
        n = max(self.n_entities, df + 1)
        return math.log(n / df) / math.log(n / 2) if n > 2 else 0.0


class Signal(Protocol):
    name: ClassVar[str]

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None: ...


def _targets(p: Profile) -> set[str]:
    return p.targeted_countries or ({p.country} if p.country else set())


class PaymentCountry:
    """Paid in a currency, or billed in a country, foreign to every country it targets."""

    name: ClassVar[str] = "payment_country"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        targets = _targets(p)
        if not targets:
            return None
        foreign: list[str] = []
        for pay in p.payments:
            home = CURRENCY_COUNTRIES.get(pay.currency.upper())
            cur_foreign = home is not None and not (home & targets)
            bill_foreign = bool(pay.billing_country) and pay.billing_country not in targets
            if cur_foreign or bill_foreign:
                foreign.append(
                    f"paid in {pay.currency}, billing country {pay.billing_country or '?'}"
                )
        for cur in sorted(p.ad_currencies):
            home = CURRENCY_COUNTRIES.get(cur.upper())
            if home is not None and not (home & targets):
                foreign.append(f"ads billed in {cur}")
        if not foreign:
            return None
        where = ", ".join(sorted(targets))
        return SignalResult(self.name, 1.0, f"{'; '.join(sorted(set(foreign)))}; targets {where}")


class AdminLocation:
    """Admins who sign in only from countries that are neither the entity's claimed
    country nor any it targets."""

    name: ClassVar[str] = "admin_location"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        home = _targets(p) | ({p.country} if p.country else set())
        if not home or not p.admins:
            return None
        away = [a for a in p.admins if a.login_countries and not (set(a.login_countries) & home)]
        if not away:
            return None
        share = len(away) / len(p.admins)
        who = "; ".join(f"{a.name} signs in from {', '.join(a.login_countries)}" for a in away[:3])
        claim = f"claims {p.country}" if p.country else "claims no country"
        return SignalResult(
            self.name,
            share,
            f"{who}; {claim}, targets {', '.join(sorted(_targets(p)))}",
            {"admins": len(away), "of": len(p.admins)},
        )


class LanguageMismatch:
    """The account's or its admins' language is none spoken in the countries it targets."""

    name: ClassVar[str] = "language"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        spoken = set(p.audience_languages)
        for c in _targets(p):
            spoken |= COUNTRY_LANGUAGES.get(c, set())
        if not spoken:
            return None
        settings = [(p.name, p.language)] + [(a.name, a.language) for a in p.admins]
        odd = [(who, lang) for who, lang in settings if lang and lang[:2].casefold() not in spoken]
        if not odd:
            return None
        said = "; ".join(f"{who}: {lang}" for who, lang in odd[:3])
        return SignalResult(
            self.name,
            len(odd) / len([s for s in settings if s[1]]),
            f"language settings {said}; the audience speaks {', '.join(sorted(spoken))}",
        )


class AccountAge:
    """Young at its first political ad (new accounts and pages run most influence ads)."""

    name: ClassVar[str] = "account_age"
    YOUNG_DAYS = 30
    NEW_DAYS = 180

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        if p.created_at is None or p.first_political_at is None:
            return None
        days = (p.first_political_at - p.created_at).days
        if days >= self.NEW_DAYS or days < 0:  # an ad older than the account: no age known
            return None
        score = 1.0 if days < self.YOUNG_DAYS else 0.5
        return SignalResult(
            self.name,
            score,
            f"{p.key.type} created {p.created_at.date()}, first political ad {days} days later",
            {"days": days},
        )


class SharedInfrastructure:
    """Shares a card, an admin, a device, an IP, a landing domain or an ad text with a
    removed or flagged entity; a common attribute (a big ISP's address) counts for little."""

    name: ClassVar[str] = "shared_infrastructure"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        best: list[tuple[float, str]] = []
        for attr in attributes(p):
            kind = attr[0]
            if kind not in SHARED_KIND_WEIGHT:
                continue
            others = [k for k in ctx.flagged_attrs.get(attr, ()) if k != p.key]
            if not others:
                continue
            score = SHARED_KIND_WEIGHT[kind] * ctx.rarity(attr)
            other = others[0]
            name, why, at = ctx.flagged[other]
            when = f" on {at.date()}" if at else ""
            best.append(
                (
                    score,
                    f"shares {ATTRIBUTE_KINDS[kind]} ({attr[1]}) with {other.type} {name} "
                    f"({why}{when})",
                )
            )
        if not best:
            return None
        best.sort(reverse=True)
        return SignalResult(self.name, best[0][0], "; ".join(e for _, e in best[:3]))


class RemovedCreative:
    """An ad text that is a near-duplicate of someone else's removed ad (never of the
    entity's own removed ads, nor of its own account's or pages')."""

    name: ClassVar[str] = "removed_creative"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        if not len(ctx.removed_texts):
            return None
        mine = {p.key, *p.owned}
        seen: dict[str, int] = {}
        for ad_id, text in ctx.texts(p):  # each distinct text once, hashed in one batch
            seen.setdefault(text, ad_id)
        pairs = list(seen.items())
        for (_, ad_id), matches in zip(
            pairs, ctx.removed_texts.lookup_many([t for t, _ in pairs]), strict=True
        ):
            for m in matches:
                owners = ctx.removed_owners.get(m.item, ())
                if m.item == ad_id or mine.intersection(owners):
                    continue
                whose = f" of {owners[0]}" if owners else ""
                return SignalResult(
                    self.name,
                    m.similarity,
                    f"ad {ad_id}'s text is {m.similarity:.0%} similar to removed ad "
                    f"{m.item}{whose}",
                )
        return None


def text_probes(texts: Iterable[str]) -> list[str]:
    """What of ads' texts is probed against raw_text indicators: each whole text, and each of
    its lines (a body, a title...) on its own; no empty or repeated ones."""
    found: dict[str, None] = {}
    for text in texts:
        found.update(dict.fromkeys([text.strip(), *(t.strip() for t in text.split("\n"))]))
    found.pop("", None)
    return list(found)


class ThreatIndicator:
    """Matches a threat indicator shared by the exchange."""

    name: ClassVar[str] = "threat_indicator"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        if ctx.indicators is None:
            return None
        hits = ctx.indicators.match(p, text_probes(t for _, t in ctx.texts(p)))
        if not hits:
            return None
        top = max(hits, key=lambda h: h.confidence)
        return SignalResult(
            self.name,
            top.confidence / 100,
            "; ".join(f"{h.value} matches {h.indicator}" for h in hits[:3]),
        )


class CreationBurst:
    """Created within a few days of other entities it is tied to beyond chance (the links
    of ``integrity.graph``; an account with its own pages does not count)."""

    name: ClassVar[str] = "creation_burst"
    DAYS = 3

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        peers = ctx.burst_peers.get(p.key, [])
        if len(peers) < 2 or p.created_at is None:
            return None
        names = ", ".join(str(k) for k in sorted(peers)[:3])
        return SignalResult(
            self.name,
            min(1.0, len(peers) / 4),
            f"created {p.created_at.date()} within {self.DAYS} days of {len(peers)} entities it "
            f"shares infrastructure or texts with ({names}{', ...' if len(peers) > 3 else ''})",
            {"peers": len(peers)},
        )


class DivisiveTargeting:
    """Targets divisive interests while new or foreign-linked (the IRA's pattern)."""

    name: ClassVar[str] = "divisive_targeting"

    def evaluate(self, p: Profile, ctx: Context) -> SignalResult | None:
        hot = sorted(i for i in p.interests if any(w in i for w in DIVISIVE))
        if not hot:
            return None
        young = AccountAge().evaluate(p, ctx)
        foreign = PaymentCountry().evaluate(p, ctx) or AdminLocation().evaluate(p, ctx)
        if young is None and foreign is None:
            return None
        why = "foreign-linked" if foreign else f"new ({young.evidence})" if young else ""
        return SignalResult(
            self.name,
            1.0 if foreign else 0.6,
            f"targets divisive interests ({', '.join(hot[:4])}) while {why}",
        )


SIGNALS: tuple[Signal, ...] = (
    PaymentCountry(),
    AdminLocation(),
    LanguageMismatch(),
    AccountAge(),
    CreationBurst(),
    SharedInfrastructure(),
    RemovedCreative(),
    ThreatIndicator(),
    DivisiveTargeting(),
)


def admin_attribute(a: AdminProfile) -> tuple[str, str]:
    """The attribute an admin gives every account and page it manages."""
    return ("admin", f"{a.name} (admin {a.id})")


def attributes(p: Profile) -> set[tuple[str, str]]:
    """The attributes that can tie ``p`` to other entities (see model.ATTRIBUTE_KINDS),
    without the creative clusters and bursts, which need the whole world."""
    out: set[tuple[str, str]] = set()
    for pay in p.payments:
        if pay.fingerprint:
            out.add(("payment", pay.fingerprint))
    for a in p.admins:
        out.add(admin_attribute(a))
        out.update(("device", d) for d in a.devices)
        out.update(("ip", ip) for ip in a.ips)
    out.update(("domain", d) for d in p.landing_domains)
    return out
