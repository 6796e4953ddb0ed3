"""Contract: how a planted operation dresses as independent local US voices.

Names of members (local pages, neighbourhood groups, people), their voices (one voice each, or
one template for the whole operation with the place swapped), divisive interest sets aimed at
swing states, operator admins with US names and no traits unless a style adds some, and
``member``, which opens an operation's account (US country, US card, its own admins) and tags
it with the operation. Styles in ``styles`` decide what the members share and what leaks.
"""

from __future__ import annotations

from datetime import datetime

from paidfor.eval.cycle import names, text
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import Account, Operation, Person

VOICES = (
    "Voices of {c}",
    "{c} Moms United",
    "Real {c} Talk",
    "The {c} Lantern",
    "Our {c} Neighbors",
    "{c} Kitchen Table",
    "Heartland Truth {s}",
    "{s} Common Sense",
    "{c} Patriot Porch",
    "Proud {c}",
    "{c} Front Porch Forum",
    "Wake Up {s}",
)
PERSONAS = (
    "{c} Citizens Alliance",
    "Concerned Taxpayers of {c}",
    "{g} from {c}",
    "{c} Parents Network",
    "Independent {s} Voters",
    "{s} Working Families Voice",
)
HARMLESS = (
    "{c} Dog Lovers",
    "{f} Family Bakery",
    "Lakeview Garden Club of {c}",
    "{c} Vintage Finds",
    "{f} Handmade Candles",
    "{c} Weekend Markets",
    "{c} Fishing Reports",
    "{f} Home Cooking",
    "{c} Yard Sales",
    "{s} Sunset Photos",
)
OPENERS = (
    "We're just [regular|ordinary|everyday] [folks|parents|neighbors] in {place} "
    "[who are fed up|who have had enough|who love this country].",
    "[Nobody|No one] [pays us|tells us what to say]. We [live|work|pray] in {place}.",
    "[Real|Honest] talk from {place}, not from [Washington|the media].",
    "{who} is [one|a] [local|homegrown] voice for {place}.",
)
DIVISIVE_ISSUES = ("border", "guns", "police", "life", "economy")
THEMES_BY_ISSUE = {
    "border": "border",
    "guns": "guns",
    "police": "police",
    "life": "faith",
    "economy": "elites",
}


def swing_place(fab: Fabric) -> tuple[str, str, tuple[str, ...]]:
    return names.state(fab.rng, swing=0.8)


def local_name(fab: Fabric, bank: tuple[str, ...], st: tuple[str, str, tuple[str, ...]]) -> str:
    rng = fab.rng
    return rng.choice(bank).format(
        c=rng.choice(st[2]),
        s=st[0],
        f=rng.choice(names.FAMILY),
        g=rng.choice(("Moms", "Dads", "Veterans", "Neighbors")),
    )


def divisive_voice(fab: Fabric, who: str, place: str, issues: list[str]) -> text.Voice:
    """One member's own voice: divisive lines, a pitch, engagement bait."""
    rng = fab.rng
    themes = [THEMES_BY_ISSUE[i] for i in issues]
    lines = tuple(s for t in themes for s in text.DIVISIVE[t])
    pitches = tuple(s for i in issues for s in text.ISSUES[i][2])
    tags = (f"#{place.replace(' ', '')}Speaks", "#WeThePeople", "#Midterms2026", "#NoMoreLies")
    return text.Voice(
        [tuple(rng.sample(OPENERS, 2)), lines, tuple(rng.sample(pitches, min(2, len(pitches))))],
        {"who": who, "place": place},
        tuple(rng.sample(tags, 2)),
        ("{who}", "[Read|See] this", "[Share|Spread the word]"),
        bait=0.45,
    )


def template_voice(fab: Fabric, issues: list[str], tag: str) -> text.Voice:
    """One voice for a whole operation: the same sentences, the place and name swapped."""
    rng = fab.rng
    themes = [THEMES_BY_ISSUE[i] for i in issues]
    lines = tuple(s for t in themes for s in text.DIVISIVE[t])
    return text.Voice(
        [(rng.choice(OPENERS),), lines[:2], (rng.choice(text.ISSUES[issues[0]][2]),)],
        {"who": "", "place": ""},
        (tag, "#WeThePeople"),
        ("{who}", "[Read|See] this"),
        bait=0.6,
    )


def audience(fab: Fabric, issues: list[str], extra: int = 2) -> tuple[str, ...]:
    return text.interest_set(fab.rng, issues, extra)


def operator(fab: Fabric, *, ips: list[str] | None = None) -> Person:
    """An operation's admin: a US name, en_US, US login, one device of its own, a home line
    (and a third of the time the carrier NAT everyone shares) unless ``ips`` says otherwise."""
    rng = fab.rng
    lines = list(ips) if ips is not None else [fab.home_ip()]
    if ips is None and rng.random() < 0.35:
        lines.append(fab.carrier_nat())
    return Person(names.person_name(rng), "en_US", ["US"], [fab.device()], lines)


def member(
    fab: Fabric,
    op: Operation,
    name: str,
    born: datetime,
    voice: text.Voice,
    st: tuple[str, str, tuple[str, ...]],
    *,
    staff: list[Person] | None = None,
    pages: int = 1,
    page_names: list[str] | None = None,
) -> Account:
    """An account of the operation with ``pages`` pages of its own, aimed at ``st``."""
    rng = fab.rng
    crew = staff or [operator(fab)]
    acc = fab.account(
        name,
        "operation",
        born,
        voice,
        category="Community",
        staff=crew,
        pages=pages if not page_names else len(page_names),
        page_names=page_names or [name] + [local_name(fab, VOICES, st) for _ in range(pages)],
    )
    for page in acc.pages:
        page.category = rng.choice(
            ("Community", "Political Organization", "Media/News Company", "Community Organization")
        )
        page.staff = list(crew)
    acc.group, acc.operation = "operation", op
    places: list[tuple[str, str | None, str | None]] = [("US", st[0], None)]
    acc.places = places + [("US", s, None) for s in rng.sample(names.SWING, 2)]
    acc.ages = rng.choice(((18, None), (35, None), (45, None), (25, 65)))
    acc.landings = ["@page", names.popular_url(rng, "any", name)]
    if rng.random() < 0.4:
        acc.landings.append(names.news_url(rng, rng.choice(DIVISIVE_ISSUES)))
    op.accounts.append(acc)
    op.pages += acc.pages
    return acc
