"""Contract: a built cycle world as JSON-ready records, in file order.

Accounts come in a shuffled order; each brings, just before itself, the admins not yet
written, then its pages and its ads (ids ``x-N`` in a shuffled numbering). After all accounts:
``relationship`` lines (``r-N``), ``population`` lines for every legitimate account and page,
and ``truth`` lines for every operation member. Ads are drawn from each account's own
``Random(salt)``, so an account's ads do not depend on the others'. The record shapes are those
of docs/formats.md ("Worlds"); targeting is ``Targeting.to_dict()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from random import Random
from typing import Any

from paidfor.domain.models import AdType
from paidfor.domain.targeting import Location, Targeting
from paidfor.eval.cycle.model import NOW, SOURCE, Account, Page, Person, Slot, World

RATES = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "CAD": 1.37,
    "AUD": 1.52,
    "MXN": 18.2,
    "RUB": 91.0,
    "KZT": 480.0,
    "BYN": 3.27,
}
SPEND_SCALE = {
    "candidate": 1.0,
    "issue": 1.4,
    "chapter": 0.8,
    "party": 1.3,
    "union": 1.2,
    "business": 0.5,
    "news": 0.7,
    "abroad": 0.4,
    "government": 0.5,
    "committee": 2.0,
    "agency": 0.3,
    "operation": 0.6,
}
TRADE_INTERESTS = (
    ("Shopping",),
    ("Local business", "Food and drink"),
    ("Home and garden",),
    ("Family", "Shopping"),
)
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _page_url(page: Page) -> str:
    return f"https://www.facebook.com/{page.ident}"


def admin(person: Person) -> dict[str, Any]:
    return {
        "kind": "admin",
        "source": SOURCE,
        "external_id": person.ident,
        "name": person.name,
        "language": person.language,
        "login_countries": list(person.countries),
        "devices": list(dict.fromkeys(person.devices)),
        "ips": list(dict.fromkeys(person.ips)),
    }


def advertiser(acc: Account) -> dict[str, Any]:
    return {
        "kind": "advertiser",
        "source": SOURCE,
        "external_id": acc.ident,
        "name": acc.name,
        "country": acc.country,
        "created_at": _iso(acc.born),
        "language": acc.language,
        "payment_instruments": [
            {
                "currency": c.currency,
                "billing_country": c.billing,
                "card_fingerprint": c.fingerprint,
            }
            for c in acc.cards
        ],
        "admins": [p.ident for p in dict.fromkeys(acc.staff)],
    }


def page_record(page: Page) -> dict[str, Any]:
    return {
        "kind": "page",
        "source": SOURCE,
        "external_id": page.ident,
        "name": page.name,
        "country": page.country,
        "created_at": _iso(page.born),
        "category": page.category,
        "language": page.language,
        "url": _page_url(page),
        "admins": [p.ident for p in dict.fromkeys(page.staff)],
        "owner": page.owner.ident if page.owner else None,
    }


def _delivery(rng: Random, acc: Account, places: list[Location], political: bool) -> dict[str, Any]:
    currency = acc.cards[0].currency
    usd = (
        rng.lognormvariate(4.2, 1.3) * SPEND_SCALE.get(acc.kind, 1.0) * (1.0 if political else 0.6)
    )
    impressions = int(usd * rng.uniform(40, 220)) + rng.randint(0, 400)
    regions = [loc.region for loc in places if loc.region]
    shares = [rng.random() + 0.1 for _ in regions]
    ages = rng.sample(AGES, 3)
    return {
        "currency": currency,
        "spend": f"{usd * RATES.get(currency, 1.0):.2f}",
        "spend_usd": None,
        "spend_range": None,
        "impressions": impressions,
        "impressions_range": None,
        "clicks": int(impressions * rng.uniform(0.002, 0.025)),
        "demographic_distribution": [
            {"percentage": f"{1 / 6:.4f}", "age": a, "gender": g}
            for a in ages
            for g in ("female", "male")
        ],
        "delivery_by_region": [
            {"percentage": f"{s / sum(shares):.4f}", "region": r}
            for r, s in zip(regions, shares, strict=True)
        ],
        "reached_countries": list(dict.fromkeys(loc.country for loc in places)),
    }


def _pick_page(rng: Random, acc: Account, slot: Slot) -> Page | None:
    if slot.page is not None:
        return slot.page
    if acc.pages:
        return acc.pages[0] if rng.random() < 0.7 else rng.choice(acc.pages)
    if acc.operation is not None and acc.operation.pages:
        return rng.choice(acc.operation.pages)
    return None


def ads(acc: Account, numbers: Iterator[int]) -> Iterator[dict[str, Any]]:
    rng = Random(acc.salt)
    images = [f"{rng.getrandbits(64):016x}" for _ in range(rng.randint(1, 3))]
    platforms = rng.choice((["facebook"], ["facebook", "instagram"], ["facebook", "instagram"]))
    cards = [{"currency": c.currency, "billing_country": c.billing} for c in acc.cards]
    for slot in sorted(acc.slots, key=lambda s: s.at):
        page = _pick_page(rng, acc, slot)
        voice = acc.voice if slot.political or acc.trade is None else acc.trade
        landing = rng.choice(acc.landings) if acc.landings else "@page"
        if not slot.political:
            landing = acc.shop if acc.shop and rng.random() < 0.8 else "@page"
        if landing == "@page" and page is not None:
            landing = _page_url(page)
        elif landing == "@page":
            landing = "https://www.facebook.com/"
        picked = rng.sample(acc.places, rng.randint(1, len(acc.places))) if acc.places else []
        places = [Location(country, region, city) for country, region, city in picked]
        interests = (
            list(rng.choice(acc.audiences))
            if slot.political and acc.audiences
            else list(rng.choice(TRADE_INTERESTS))
        )
        targeting = Targeting(
            locations=places,
            age_min=acc.ages[0],
            age_max=acc.ages[1],
            genders=[] if rng.random() < 0.85 else [rng.choice(("female", "male"))],
            languages=[acc.tongue] if rng.random() < 0.5 else [],
            interests=interests,
        )
        start = min(NOW, slot.at + timedelta(minutes=rng.randint(2, 30 * 60)))
        stop: datetime | None = None
        status = "running"
        if slot.removed:
            stop, status = min(NOW, start + timedelta(hours=rng.randint(6, 240))), "removed"
        else:
            end = start + timedelta(days=rng.randint(3, 60))
            if end < NOW:
                stop, status = end, "stopped"
        yield {
            "kind": "ad",
            "source": SOURCE,
            "external_id": f"x-{next(numbers)}",
            "creative": {
                "bodies": [voice.say(rng)],
                "link_titles": [voice.title(rng)],
                "link_captions": [landing.split("/")[2].removeprefix("www.")],
                "link_descriptions": [],
                "landing_url": landing,
                "image_hashes": [rng.choice(images)],
            },
            "page": None
            if page is None
            else {
                "kind": "page",
                "external_id": page.ident,
                "name": page.name,
                "url": _page_url(page),
                "country": page.country,
                "created_at": _iso(page.born),
            },
            "funder": {"name": acc.funder or acc.name} if slot.political else None,
            "advertiser": {
                "source": SOURCE,
                "external_id": acc.ident,
                "name": acc.name,
                "country": acc.country,
                "payment_instruments": [dict(c) for c in cards],
            },
            "targeting": targeting.to_dict(),
            "delivery": _delivery(rng, acc, places, slot.political),
            "created_at": _iso(slot.at),
            "start_at": _iso(start),
            "stop_at": _iso(stop),
            "status": status,
            "removal_reason": slot.removed,
            "is_political": slot.political,
            "political_score": None,
            "platforms": list(platforms),
            "languages": [acc.ad_language],
            "ad_type": AdType.POLITICAL_AND_ISSUE_ADS.value if slot.political else AdType.ALL.value,
        }


def records(world: World) -> Iterator[dict[str, Any]]:
    rng = Random(world.seed * 7919 + 3)
    order = list(world.accounts)
    rng.shuffle(order)
    total = sum(len(a.slots) for a in world.accounts)
    numbers = iter(rng.sample(range(10_000, 10_000 + 4 * total + 10), total))
    written: dict[int, None] = {}
    for acc in order:
        for person in [*acc.staff, *(p for page in acc.pages for p in page.staff)]:
            if id(person) not in written:
                written[id(person)] = None
                yield admin(person)
        yield advertiser(acc)
        for page in acc.pages:
            yield page_record(page)
        yield from ads(acc, numbers)
    tie_numbers = rng.sample(range(1, 3 * len(world.ties) + 10), len(world.ties))
    for tie, n in zip(world.ties, tie_numbers, strict=True):
        yield {
            "kind": "relationship",
            "source": SOURCE,
            "external_id": f"r-{n}",
            "advertiser": tie.member.ident,
            "relation": tie.relation,
            "related": tie.related.ident,
            "status": tie.status,
            "declared_at": _iso(tie.at),
        }
    for acc in world.accounts:
        if acc.operation is None:
            for entity, ident in [("advertiser", acc.ident)] + [
                ("page", p.ident) for p in acc.pages
            ]:
                yield {
                    "kind": "population",
                    "source": SOURCE,
                    "entity": entity,
                    "external_id": ident,
                    "group": acc.group,
                }
    for op in world.operations:
        for entity, ident in [("advertiser", a.ident) for a in op.accounts] + [
            ("page", p.ident) for p in op.pages
        ]:
            yield {
                "kind": "truth",
                "source": SOURCE,
                "entity": entity,
                "external_id": ident,
                "network": op.name,
                "style": op.style,
            }
