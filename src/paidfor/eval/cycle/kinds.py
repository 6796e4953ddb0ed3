"""Contract: one ordinary legitimate account of a given kind, complete with its ads' plan.

``candidate``, ``cause_group``, ``union``, ``business``, ``outlet`` and ``abroad`` each open an
account through the ``Fabric`` (own card, own staff, 1-3 pages) and give it a voice, landing
URLs, interest sets, places and a schedule of ads (``Slot``s) in the 2025-2026 cycle.
Group builders call these and then add what the group shares (a template, a domain, staff, a
card, a launch week). Nothing here shares anything between two accounts except the popular
landing domains, the carrier NAT and VPN addresses the ``Fabric`` gives out, and the filing
days on which new campaigns open their accounts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paidfor.eval.cycle import names, text
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import NOW, Account, Slot, ad_count, between, run_of_ads

FILING_DAYS = tuple(
    datetime(y, m, d, tzinfo=UTC)
    for y, m, d in (
        (2025, 11, 14),
        (2025, 12, 8),
        (2026, 1, 9),
        (2026, 2, 6),
        (2026, 3, 13),
        (2026, 4, 17),
        (2026, 6, 5),
    )
)
OFFICES = (
    "State House",
    "State Senate",
    "County Commission",
    "City Council",
    "School Board",
    "Congress",
    "Sheriff",
    "Mayor",
    "Attorney General",
    "County Treasurer",
)
STATEWIDE = ("Congress", "Attorney General", "State Senate")
LEANS = {
    "D": ("health", "gun_safety", "climate", "choice", "schools", "housing", "economy"),
    "R": ("guns", "border", "life", "police", "economy", "farms", "veterans"),
    "N": ("schools", "economy", "housing", "veterans", "farms"),
}
SEASON = (datetime(2025, 8, 1, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC))


def old(fab: Fabric, lo: int, hi: int) -> datetime:
    """A creation time in years lo..hi."""
    return between(fab.rng, datetime(lo, 1, 1, tzinfo=UTC), datetime(hi, 12, 31, tzinfo=UTC))


def us_places(
    fab: Fabric, st: tuple[str, str, tuple[str, ...]], local: bool
) -> list[tuple[str, str | None, str | None]]:
    if not local:
        return [("US", st[0], None)]
    return [("US", st[0], c) for c in fab.rng.sample(st[2], fab.rng.randint(1, 2))]


def dress(
    fab: Fabric,
    acc: Account,
    issues: list[str],
    lean: str,
    *,
    own_site: str | None,
    places: list[tuple[str, str | None, str | None]],
    sets: int = 0,
) -> None:
    """Landings (own site, popular ones, the page itself), interest sets and ages."""
    rng = fab.rng
    landings = (
        [f"https://{own_site}/{rng.choice(('', 'donate', 'issues', 'about', 'vote'))}"]
        if own_site
        else []
    )
    for _ in range(rng.randint(0 if own_site else 1, 2)):
        landings.append(names.popular_url(rng, lean, acc.name))
    if lean in ("D", "R") and rng.random() < 0.6:  # the party's donation platform
        landings.append(names.POPULAR[lean][0].format(slug=names.slug(acc.name)[:40]))
    if rng.random() < 0.3:
        landings.append(names.news_url(rng, rng.choice(issues)))
    if rng.random() < 0.35 or not landings:
        landings.append("@page")
    acc.landings = landings
    acc.shop = landings[0] if own_site else None
    acc.audiences = [
        text.interest_set(rng, issues, rng.choice((0, 0, 1, 2)))
        for _ in range(sets or rng.randint(1, 3))
    ]
    acc.places = places
    acc.ages = rng.choice(((18, None), (18, None), (25, None), (35, None), (18, 64), (45, None)))


def candidate(
    fab: Fabric,
    *,
    st: tuple[str, str, tuple[str, ...]] | None = None,
    lean: str | None = None,
    young: float = 0.65,
) -> Account:
    rng = fab.rng
    st = st or names.state(rng)
    lean = lean or rng.choice("DDRRN")
    office = rng.choice(OFFICES)
    place = st[0] if office in STATEWIDE else rng.choice(st[2])
    who = names.person_name(rng)
    issues = rng.sample(LEANS[lean], 2)
    name = rng.choice(
        ("{w} for {o}", "Friends of {w}", "{l} for {p}", "Committee to Elect {w}", "{w}")
    ).format(w=who, o=office, l=who.split()[-1], p=place)
    if rng.random() < young:
        born = rng.choice(FILING_DAYS) + timedelta(
            hours=rng.randint(8, 20 + 24 * rng.choice((0, 0, 1, 5)))
        )
        first = born + timedelta(days=rng.randint(2, 45), hours=rng.randint(0, 23))
    else:
        born = old(fab, 2012, 2023)
        first = between(rng, *SEASON)
    acc = fab.account(
        name,
        "candidate",
        born,
        text.campaign_voice(rng, who, office, place, issues),
        category=rng.choice(("Politician", "Political Candidate", "Public Figure")),
    )
    acc.staff[0].name = who
    site = f"www.{names.slug(who.split()[-1])}for{names.slug(office).split('-')[0]}.com"
    dress(
        fab,
        acc,
        issues,
        lean,
        own_site=site if rng.random() < 0.45 else None,
        places=us_places(fab, st, office not in STATEWIDE),
    )
    acc.slots = run_of_ads(rng, first, ad_count(rng, 6.0))
    return acc


GROUP_NAMES = (
    "Citizens for a Better {p}",
    "{p} Forward",
    "{s} Families First",
    "Keep {p} Strong",
    "{p} Taxpayers Association",
    "{s} Conservation Alliance",
    "Neighbors for {p}",
    "{s} Policy Project",
    "Friends of {p} Parks",
    "{p} Faith Coalition",
)


def cause_group(
    fab: Fabric,
    *,
    st: tuple[str, str, tuple[str, ...]] | None = None,
    issues: list[str] | None = None,
    name: str | None = None,
) -> Account:
    rng = fab.rng
    st = st or names.state(rng)
    place = rng.choice(st[2])
    lean = rng.choice("DRN")
    issues = issues or rng.sample(LEANS[lean], rng.randint(1, 2))
    lean = text.ISSUES[issues[0]][0] if text.ISSUES[issues[0]][0] != "any" else lean
    name = name or rng.choice(GROUP_NAMES).format(p=place, s=st[0])
    voice = text.cause_voice(rng, name, place, issues, divisive=0.35)
    acc = fab.account(
        name,
        "issue",
        old(fab, 2008, 2022),
        voice,
        category=rng.choice(
            ("Nonprofit Organization", "Community Organization", "Political Organization")
        ),
    )
    dress(
        fab,
        acc,
        issues,
        lean,
        own_site=f"{names.slug(name)}.org" if rng.random() < 0.6 else None,
        places=us_places(fab, st, rng.random() < 0.4),
    )
    acc.slots = run_of_ads(rng, between(rng, *SEASON), ad_count(rng, 7.0))
    return acc


def union(fab: Fabric, *, st: tuple[str, str, tuple[str, ...]] | None = None) -> Account:
    rng = fab.rng
    st = st or names.state(rng)
    name = rng.choice(
        (
            "{s} Nurses Association",
            "IBEW Local {n}",
            "{s} Education Association",
            "Teamsters Local {n}",
            "{s} State Building Trades",
            "UFCW Local {n}",
            "{s} Farm Bureau",
        )
    ).format(s=st[0], n=rng.randint(20, 1999))
    issues = rng.sample(("economy", "health", "schools", "housing", "farms"), 2)
    acc = fab.account(
        name,
        "union",
        old(fab, 2009, 2020),
        text.cause_voice(rng, name, st[0], issues, divisive=0.05),
        category="Labor Union",
    )
    dress(
        fab,
        acc,
        issues,
        "D" if "Farm" not in name else "N",
        own_site=f"www.{names.slug(name)}.org",
        places=us_places(fab, st, False),
    )
    acc.slots = run_of_ads(rng, between(rng, *SEASON), ad_count(rng, 5.0))
    return acc


def history(fab: Fabric, acc: Account, count: int, until: datetime) -> None:
    """Non-political ads from the account's creation until ``until``."""
    for _ in range(count):
        acc.slots.append(
            Slot(between(fab.rng, acc.born + timedelta(days=3), until), political=False)
        )


BUSINESS = (
    "{f} Hardware",
    "{c} Brewing Co.",
    "{f} & Sons Plumbing",
    "Main Street Diner of {c}",
    "{c} Community Credit Union",
    "{f} Realty Group",
    "{c} Auto Repair",
    "{f} Family Farms",
    "{c} Dental Care",
    "{f} Insurance Agency",
    "Old {c} Bakery",
    "{f} Solar",
)


def business(fab: Fabric, *, st: tuple[str, str, tuple[str, ...]] | None = None) -> Account:
    rng = fab.rng
    st = st or names.state(rng)
    city = rng.choice(st[2])
    name = rng.choice(BUSINESS).format(f=rng.choice(names.FAMILY), c=city)
    issues = rng.sample(("economy", "housing", "farms", "health"), 1)
    born = old(fab, 2009, 2023)
    acc = fab.account(
        name,
        "business",
        born,
        text.cause_voice(rng, name, city, issues, 0.05),
        category=rng.choice(
            (
                "Local Business",
                "Shopping & Retail",
                "Restaurant",
                "Home Improvement",
                "Financial Service",
            )
        ),
    )
    acc.trade = text.trade_voice(rng, name, city, born.year)
    dress(
        fab,
        acc,
        issues,
        "N",
        own_site=f"www.{names.slug(name)}.com" if rng.random() < 0.7 else None,
        places=us_places(fab, st, True),
    )
    history(fab, acc, rng.randint(3, 25), NOW)
    if rng.random() < 0.55:
        acc.slots += run_of_ads(rng, between(rng, *SEASON), rng.randint(1, 4))
    return acc


def outlet(fab: Fabric, *, st: tuple[str, str, tuple[str, ...]] | None = None) -> Account:
    rng = fab.rng
    st = st or names.state(rng)
    city = rng.choice(st[2])
    name = rng.choice(
        (
            "The {c} Ledger",
            "{c} Sentinel",
            "{s} Public Radio",
            "{c} Daily Herald",
            "{s} Newsroom",
            "{c} Weekly",
        )
    ).format(c=city, s=st[0])
    acc = fab.account(
        name,
        "news",
        old(fab, 2009, 2021),
        text.news_voice(rng, name, city, rng.choice(OFFICES)),
        category=rng.choice(("Media/News Company", "Newspaper", "Radio Station")),
    )
    dress(
        fab,
        acc,
        ["schools", "economy"],
        "N",
        own_site=f"www.{names.slug(name)}.com",
        places=us_places(fab, st, rng.random() < 0.5),
    )
    acc.landings = [u for u in acc.landings if "actblue" not in u and "winred" not in u]
    acc.slots = run_of_ads(rng, between(rng, *SEASON), ad_count(rng, 8.0))
    return acc


def abroad(fab: Fabric) -> Account:
    """A local advertiser in another country, paying in its currency, targeting its country."""
    rng = fab.rng
    country, currency, language, tongue, ad_lang, regions = rng.choice(names.ABROAD)
    region = rng.choice(regions)
    name = f"{rng.choice(names.LOCAL_NAMES[country])}{rng.choice(('', '', ' ' + region))}"
    born = old(fab, 2010, 2023)
    staff = [fab.person(country=country, language=language) for _ in range(rng.randint(1, 2))]
    acc = fab.account(
        name,
        "abroad",
        born,
        text.abroad_voice(rng, name, region, ad_lang, born.year),
        category="Local Business",
        staff=staff,
        country=country,
        currency=currency,
        language=language,
    )
    acc.tongue, acc.ad_language = tongue, ad_lang
    for page in acc.pages:
        page.language = ad_lang
    acc.landings = [f"https://www.{names.slug(name)}.{country.lower()}/", "@page"]
    acc.shop = acc.landings[0]
    acc.audiences = [("Local news",), ("Shopping", "Family")]
    acc.places = [(country, region, None)]
    acc.trade = acc.voice
    history(fab, acc, rng.randint(2, 12), NOW)
    if rng.random() < 0.5:  # their own country's politics (issue ads)
        acc.slots += run_of_ads(rng, between(rng, *SEASON), rng.randint(1, 5))
    return acc
