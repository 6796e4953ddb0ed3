"""Synthetic integrity worlds: thousands of legitimate advertisers and pages plus planted foreign
networks with their ground truth, as paidfor's native JSON lines (docs/formats.md, "Worlds").

    from paidfor.eval.world import generate, write
    for record in generate(seed=1):          # admin, advertiser, page, relationship, ad,
        ...                                  # truth and population records
    summary = write("world.jsonl", seed=1)   # the same records, one JSON object a line

The same seed gives the same bytes (only ``random.Random(seed)`` is used, never the clock or
global state). ``docs/world.md`` describes the population, the network styles, the traces each
may leak and the hard negatives; ``world_population``, ``world_networks`` and ``world_text``
build them, this module assigns identifiers and writes the records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson

from paidfor.domain.models import AdType
from paidfor.domain.targeting import Location
from paidfor.domain.targeting import Targeting as AdTargeting
from paidfor.eval.world import text as wt
from paidfor.eval.world.networks import Network, NetworkBuilder, plan
from paidfor.eval.world.population import (
    NEWS_DOMAINS,
    NOW,
    Account,
    Admin,
    LegitBuilder,
    Page,
    Pools,
    Population,
    Relationship,
    Tokens,
    day_in,
)

SOURCE = "world"
# Units per USD, roughly 2024: what an ad in another currency spends for a USD figure.
RATES = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.36, "AUD": 1.52, "RUB": 92.0}
_HEADLINE_WORDS = ("election", "voters", "border", "police", "guns", "court", "church", "race",
                   "senate", "governor", "poll", "protest", "schools", "law", "ballot", "rally",
                   "campaign", "debate", "city", "state", "report", "crisis")  # fmt: skip
AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
CIB = "coordinated inauthentic behavior"  # why networks' ads were taken down


@dataclass
class World:
    """Everything of one world before it is written: ``records()`` yields the JSON records."""

    seed: int
    population: Population
    networks: list[Network] = field(default_factory=list)

    @property
    def accounts(self) -> list[Account]:
        return self.population.accounts

    @property
    def pages(self) -> list[Page]:
        return self.population.pages

    @property
    def admins(self) -> list[Admin]:
        return self.population.admins

    @property
    def relationships(self) -> list[Relationship]:
        return self.population.relationships

    def records(self) -> Iterator[dict[str, Any]]:
        """Admins, advertisers, pages, relationships, ads (account by account), the truth
        lines, then the population lines (the group of every legitimate account and page)."""
        rng = Random(self.seed * 1_000_003 + 17)  # the ads' own stream: records() repeats
        for a in self.admins:
            yield {
                "kind": "admin", "source": SOURCE, "external_id": a.ext, "name": a.name,
                "language": a.language, "login_countries": list(a.login_countries),
                "devices": list(a.devices), "ips": list(a.ips),
            }  # fmt: skip
        for acc in self.accounts:
            yield {
                "kind": "advertiser", "source": SOURCE, "external_id": acc.ext,
                "name": acc.name, "country": acc.country, "created_at": _iso(acc.created_at),
                "language": acc.language,
                "payment_instruments": [
                    {"currency": p.currency, "billing_country": p.billing_country,
                     "card_fingerprint": p.fingerprint} for p in acc.payments
                ],
                "admins": _ids(acc.admins),
            }  # fmt: skip
        for page in self.pages:
            yield {
                "kind": "page", "source": SOURCE, "external_id": page.ext, "name": page.name,
                "country": page.country, "created_at": _iso(page.created_at),
                "category": page.category, "language": page.language, "url": _page_url(page),
                "admins": _ids(page.admins), "owner": page.owner.ext if page.owner else None,
            }  # fmt: skip
        for rel in self.relationships:
            yield {
                "kind": "relationship", "source": SOURCE, "external_id": rel.ext,
                "advertiser": rel.advertiser.ext, "relation": rel.relation,
                "related": rel.related.ext, "status": rel.status,
                "declared_at": _iso(rel.declared_at),
            }  # fmt: skip
        number = 0
        for acc in self.accounts:
            for ad in _ads(rng, acc):
                number += 1
                ad["external_id"] = f"ad-{number}"
                yield ad
        for net in self.networks:
            for ent, entity in [(a, "advertiser") for a in net.accounts] + [
                (p, "page") for p in net.pages
            ]:
                yield {
                    "kind": "truth", "source": SOURCE, "entity": entity,
                    "external_id": ent.ext, "network": net.name, "style": net.style,
                }  # fmt: skip
        for acc in self.accounts:
            if acc.network is None:
                yield {"kind": "population", "source": SOURCE, "entity": "advertiser",
                       "external_id": acc.ext, "group": acc.group}  # fmt: skip
        for page in self.pages:
            if page.owner is not None and page.owner.network is None:
                yield {"kind": "population", "source": SOURCE, "entity": "page",
                       "external_id": page.ext, "group": page.owner.group}  # fmt: skip


def build(seed: int, advertisers: int = 3000, networks: int = 12) -> World:
    """The world of ``seed``: ``advertisers`` legitimate accounts (with their pages and admins)
    and ``networks`` planted networks, every entity named ``adm-N``/``acc-N``/``pg-N`` in a
    shuffled order (an identifier says nothing about what it names)."""
    if advertisers < 1 or networks < 0:
        raise ValueError("a world needs at least one advertiser and no negative networks")
    rng = Random(seed)
    tokens = Tokens(rng)
    pools = Pools.make(tokens, advertisers)
    pop = LegitBuilder(rng, tokens, pools).build(advertisers)
    world = World(seed, pop)
    maker = NetworkBuilder(rng, tokens, pools)
    for i, (style, size, traces) in enumerate(plan(rng, networks), start=1):
        net = maker.build(f"net-{i}", style, size, traces)
        world.networks.append(net)
        pop.accounts += net.accounts
        pop.pages += net.pages
        pop.admins += net.admins
        pop.relationships += net.relationships
    _takedowns(rng, world.networks)
    rng.shuffle(pop.admins)
    rng.shuffle(pop.accounts)
    rng.shuffle(pop.pages)
    rng.shuffle(pop.relationships)
    for i, rel in enumerate(pop.relationships, start=1):
        rel.ext = f"rel-{i}"
    for i, a in enumerate(pop.admins, start=1):
        a.ext = f"adm-{i}"
    for i, acc in enumerate(pop.accounts, start=1):
        acc.ext = f"acc-{i}"
    for i, page in enumerate(pop.pages, start=1):
        page.ext = f"pg-{i}"
    return world


def _takedowns(rng: Random, networks: list[Network]) -> None:
    """A third of the networks had one to five ads removed for coordinated inauthentic
    behaviour, among their first ones, at least two months before the world's now."""
    early = NOW - timedelta(days=60)
    eligible = [n for n in networks if any(a.first_political <= early for a in n.accounts)]
    for net in rng.sample(eligible, min(len(eligible), round(len(networks) / 3))):
        accounts = [a for a in net.accounts if a.first_political <= early]
        for _ in range(rng.randint(1, 5)):
            acc = rng.choice(accounts)
            acc.removed += 1
            acc.removal_reason = CIB


def generate(seed: int, advertisers: int = 3000, networks: int = 12) -> Iterator[dict[str, Any]]:
    """The records of the world of ``seed`` (docs/formats.md), deterministic for a seed."""
    yield from build(seed, advertisers, networks).records()


@dataclass
class Summary:
    path: Path
    bytes: int
    records: dict[str, int]
    legit: dict[str, int]  # legitimate accounts by kind
    networks: list[dict[str, Any]]  # name, style, advertisers, pages, ads, removed, traces
    groups: dict[str, int] = field(default_factory=dict)  # legitimate accounts by group
    removed: dict[str, int] = field(default_factory=dict)  # removed ads: legitimate, network


def write(path: str | Path, seed: int, advertisers: int = 3000, networks: int = 12) -> Summary:
    """Writes the world of ``seed`` to ``path`` as JSON lines; returns what it wrote."""
    world = build(seed, advertisers, networks)
    path = Path(path)
    kinds: Counter[str] = Counter()
    ads_by_account: Counter[str] = Counter()
    removed_by_account: Counter[str] = Counter()
    size = 0
    with open(path, "wb") as f:
        chunk: list[bytes] = []
        for rec in world.records():
            kinds[rec["kind"]] += 1
            if rec["kind"] == "ad":
                ads_by_account[rec["advertiser"]["external_id"]] += 1
                if rec["status"] == "removed":
                    removed_by_account[rec["advertiser"]["external_id"]] += 1
            chunk.append(orjson.dumps(rec) + b"\n")
            if len(chunk) >= 2000:
                size += f.write(b"".join(chunk))
                chunk.clear()
        size += f.write(b"".join(chunk))
    nets = [
        {
            "network": n.name, "style": n.style, "origin": n.origin,
            "advertisers": len(n.accounts), "pages": len(n.pages),
            "admins": len(n.admins), "ads": sum(ads_by_account[a.ext] for a in n.accounts),
            "removed": sum(removed_by_account[a.ext] for a in n.accounts),
            "relationships": len(n.relationships), "traces": n.traces,
        }
        for n in world.networks
    ]  # fmt: skip
    legit = Counter(a.kind for a in world.accounts if a.network is None)
    groups = Counter(a.group for a in world.accounts if a.network is None)
    in_networks = sum(removed_by_account[a.ext] for n in world.networks for a in n.accounts)
    removed = {"legitimate": sum(removed_by_account.values()) - in_networks,
               "network": in_networks}  # fmt: skip
    return Summary(path, size, dict(kinds), dict(sorted(legit.items())), nets,
                   dict(sorted(groups.items())), removed)  # fmt: skip


# -- rendering -------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _ids(admins: list[Admin]) -> list[str]:
    out: dict[str, None] = {}
    for a in admins:
        out.setdefault(a.ext, None)
    return list(out)


def _page_url(page: Page) -> str:
    return f"https://www.facebook.com/{page.ext}"


def _landing(rng: Random, acc: Account, page: Page) -> str:
    domains = acc.domains or ["www.facebook.com"]
    domain = domains[0] if rng.random() < 0.6 else rng.choice(domains)
    name = wt.slug(acc.name)
    if domain == "www.facebook.com":
        return _page_url(page)
    if domain.startswith("secure."):
        return f"https://{domain}/donate/{name}"
    if domain == "www.youtube.com":
        return f"https://www.youtube.com/watch?v={rng.getrandbits(60):015x}"
    if domain in ("www.change.org", "actionnetwork.org"):
        return f"https://{domain}/p/{name}-{rng.randint(1, 9)}"
    if domain in NEWS_DOMAINS:  # an article
        words = "-".join(rng.sample(_HEADLINE_WORDS, rng.randint(3, 6)))
        return f"https://{domain}/2024/{rng.randint(1, 10):02d}/{rng.randint(1, 28):02d}/{words}"
    path = rng.choice(("", "donate", "join", "about", "issues", "news", "petition", "vote"))
    return f"https://{domain}/{path}"


def _targeting(rng: Random, acc: Account, political: bool = True) -> dict[str, Any]:
    t = acc.targeting
    locations: list[Location] = []
    for country in t.countries:
        if country == "US" and t.regions:
            regions = rng.sample(t.regions, rng.randint(1, len(t.regions)))
            for region in regions:
                home = region == t.regions[0] and t.cities and rng.random() < 0.7
                city = rng.choice(t.cities) if home else None
                locations.append(Location(country, region, city))
        elif t.cities and country == t.countries[0]:
            locations.append(Location(country, None, rng.choice(t.cities)))
        else:
            locations.append(Location(country))
    if not political:  # a commercial ad
        interests = rng.sample(wt.COMMERCIAL_INTERESTS, rng.randint(1, 3))
    elif t.fixed:
        interests = list(t.interests)
    else:
        interests = rng.sample(t.interests, rng.randint(1, len(t.interests))) if t.interests else []
    return AdTargeting(
        locations=locations,
        age_min=t.ages[0],
        age_max=t.ages[1],
        genders=list(t.genders),
        languages=list(t.languages),
        interests=interests,
        placements=rng.choice(([], [], ["Facebook Feeds", "Instagram Feed"])),
    ).to_dict()


def _delivery(rng: Random, acc: Account, targeting: dict[str, Any]) -> dict[str, Any]:
    currency = acc.payments[0].currency
    usd = max(0.5, acc.spend_per_ad * math.exp(rng.gauss(0, 0.6)))
    impressions = int(usd * rng.uniform(40, 250)) + rng.randint(0, 50)
    split = [rng.random() + 0.05 for _ in AGES]
    total = sum(split)
    female = rng.uniform(0.3, 0.7)
    demo = [
        {"percentage": f"{share / total * part:.4f}", "age": age, "gender": gender}
        for age, share in zip(AGES, split, strict=True)
        for gender, part in (("female", female), ("male", 1 - female))
    ]
    regions = [loc["region"] for loc in targeting["locations"] if loc["region"]]
    by_region = [{"percentage": f"{1 / len(regions):.4f}", "region": r} for r in regions]
    countries = list(dict.fromkeys(loc["country"] for loc in targeting["locations"]))
    return {
        "currency": currency, "spend": f"{usd * RATES.get(currency, 1.0):.2f}",
        "spend_usd": None, "spend_range": None, "impressions": impressions,
        "impressions_range": None, "clicks": int(impressions * rng.uniform(0.004, 0.03)),
        "demographic_distribution": demo, "delivery_by_region": by_region,
        "reached_countries": countries,
    }  # fmt: skip


def _times(rng: Random, acc: Account) -> list[tuple[datetime, bool]]:
    """(created_at, political) of each ad, in order: a business's commercial history first,
    then political ads from ``first_political`` on, most of them recent."""
    out = [
        (day_in(rng, acc.created_at, acc.first_political), False) for _ in range(acc.nonpolitical)
    ]
    out.append((acc.first_political, True))
    span = NOW - acc.first_political
    if acc.network is not None:
        span = min(span, timedelta(days=rng.uniform(30, 150)))
    for _ in range(acc.n_ads - 1):
        out.append((acc.first_political + span * math.sqrt(rng.random()), True))
    out.sort(key=lambda x: x[0])
    return out


def _removed(rng: Random, acc: Account, times: list[tuple[datetime, bool]]) -> dict[int, datetime]:
    """Which of the account's ads were removed, each with the latest its removal can be: a
    network's first political ads, gone at least a month before now; a legitimate account's
    any political ones."""
    political = [i for i, (_, p) in enumerate(times) if p]
    if not acc.removed or not political:
        return {}
    if acc.network is not None:
        cutoff = NOW - timedelta(days=45)
        early = [i for i in political if times[i][0] <= cutoff]
        return {i: NOW - timedelta(days=30) for i in early[: acc.removed]}
    return {i: NOW for i in rng.sample(political, min(acc.removed, len(political)))}


def _ads(rng: Random, acc: Account) -> Iterator[dict[str, Any]]:
    advertiser = {"source": SOURCE, "external_id": acc.ext, "name": acc.name,
                  "country": acc.country}  # fmt: skip
    cards = [(p.currency, p.billing_country) for p in acc.payments]
    funder = {"name": acc.funder} if acc.funder else None
    images = acc.images or [f"{rng.getrandbits(64):016x}" for _ in range(rng.randint(1, 4))]
    platforms = rng.choice((["facebook"], ["facebook", "instagram"]))
    assert acc.voice is not None
    times = _times(rng, acc)
    removed = _removed(rng, acc, times)
    for number, (created, political) in enumerate(times):
        page = acc.pages[0] if rng.random() < 0.7 else rng.choice(acc.pages)
        voice = acc.alt_voice if acc.alt_voice and rng.random() < 0.3 else acc.voice
        if not political and acc.commercial_voice is not None:
            voice = acc.commercial_voice
        targeting = _targeting(rng, acc, political)
        landing = _landing(rng, acc, page)
        language = "es" if "Spanish" in targeting["languages"] else page.language
        start = max(created, min(NOW, created + timedelta(seconds=rng.randint(0, 36 * 3600))))
        instruments = [{"currency": c, "billing_country": b} for c, b in cards]
        stop, reason = None, None
        if number in removed:  # taken down a few hours to days after it started
            stop = min(start + timedelta(hours=rng.uniform(2, 240)), max(start, removed[number]))
            reason = acc.removal_reason
        yield {
            "kind": "ad", "source": SOURCE, "external_id": "",
            "creative": {
                "bodies": [voice.text(rng)], "link_titles": [voice.title(rng)],
                "link_captions": [landing.split("/")[2].removeprefix("www.")],
                "link_descriptions": [], "landing_url": landing,
                "image_hashes": [rng.choice(images)],
            },
            "page": {
                "kind": "page", "external_id": page.ext, "name": page.name,
                "url": _page_url(page), "country": page.country,
                "created_at": _iso(page.created_at),
            },
            "funder": dict(funder) if funder and political else None,
            "advertiser": {**advertiser, "payment_instruments": instruments},
            "targeting": targeting,
            "delivery": _delivery(rng, acc, targeting),
            "created_at": _iso(created), "start_at": _iso(start),
            "stop_at": _iso(stop) if stop else None,
            "status": "removed" if stop else "running", "removal_reason": reason,
            "is_political": political,
            "political_score": None, "platforms": list(platforms), "languages": [language],
            "ad_type": AdType.POLITICAL_AND_ISSUE_ADS.value if political else AdType.ALL.value,
        }  # fmt: skip
