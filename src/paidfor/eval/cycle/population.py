"""Contract: the legitimate organisations whose coordination is real and declared.

``national`` (an HQ and 5-25 state chapters), ``state_party`` (a party and 10-40 county
committees) and ``agency`` (a vendor and 5-40 clients of any party and place) each append
their accounts to the world and their declared ties (``Tie``) to ``world.ties``, and label
every account with its group. What they
share is what real ones share: HQ or agency staff as admins, one office IP and workstation, a
card, a domain, a template with the place swapped, exact interest sets, one launch week and
sometimes one upload minute. ``declare`` draws a tie's status and date, ``launch`` puts the
first political ads of a group in one week (or one minute); ``causes`` uses both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paidfor.eval.cycle import kinds, names, text
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import (
    NOW,
    Account,
    Slot,
    Tie,
    World,
    ad_count,
    between,
    run_of_ads,
    week_of,
)

STATUS_WEIGHTS = {"confirmed": 46, "verified": 28, "declared": 21, "refused": 5}


def declare(
    fab: Fabric,
    world: World,
    member: Account,
    relation: str,
    related: Account,
    weights: dict[str, int] = STATUS_WEIGHTS,
) -> None:
    rng = fab.rng
    status = rng.choices(list(weights), list(weights.values()))[0]
    start = max(member.born, related.born) + timedelta(days=1)
    at = between(rng, start, min(NOW - timedelta(days=5), start + timedelta(days=900)))
    world.ties.append(Tie(member, relation, related, status, at.replace(minute=0, second=0)))


def monday(fab: Fabric, lo: datetime, hi: datetime) -> datetime:
    day = between(fab.rng, lo, hi).replace(hour=0, minute=0, second=0)
    return day - timedelta(days=day.weekday())


def launch(
    fab: Fabric, accounts: list[Account], week: datetime, count_mean: float, same_minute: bool
) -> None:
    """First political ads of all these accounts in one week (or one minute)."""
    rng = fab.rng
    minute = week_of(rng, week).replace(second=0)
    for acc in accounts:
        first = (
            minute + timedelta(seconds=rng.randint(0, 59)) if same_minute else week_of(rng, week)
        )
        acc.slots = [s for s in acc.slots if not s.political] + run_of_ads(
            rng, first, ad_count(rng, count_mean)
        )


ORGS = (
    ("Clean Water Action Network", ["climate"]),
    ("Sportsmen's Rights League", ["guns"]),
    ("Moms for Safer Schools", ["gun_safety", "schools"]),
    ("Faith & Family Alliance", ["life"]),
    ("Small Business Forward", ["economy"]),
    ("Veterans for Accountability", ["veterans"]),
    ("Young Voters Project", ["housing", "climate"]),
    ("Seniors United", ["health"]),
    ("Latino Leadership Council", ["economy", "health"]),
    ("Heartland Growers Alliance", ["farms"]),
    ("Safe Streets Coalition", ["police"]),
    ("Reproductive Freedom Network", ["choice"]),
    ("Secure Border Families", ["border"]),
    ("Teachers First", ["schools"]),
)
CHAPTER_NAMES = ("{o} of {s}", "{o} – {s} Chapter", "{s} {o}", "{o} {a}")


def national(fab: Fabric, world: World, index: int, chapters: int) -> list[Account]:
    rng = fab.rng
    org, issues = ORGS[index % len(ORGS)]
    if index >= len(ORGS):
        org = f"{org} {index // len(ORGS) + 1}"
    domain = f"{names.slug(org).replace('-', '')[:18]}.org"
    opener = (
        "[Join|Stand with] {who} [this fall|today|this season].",
        "{who} is [fighting|working] for families in {place}.",
    )
    pitches = tuple(p for issue in issues for p in text.ISSUES[issue][2])
    ask = ("Learn more at {site}/{st}.", "[Sign up|Get involved|Take the pledge] at {site}/{st}.")
    template = text.Voice(
        [opener, pitches, ask],
        {"who": org, "place": "America", "site": domain, "st": "join"},
        titles=("{who}", "Take action"),
    )
    hq_staff = [fab.person(plain=rng.random() < 0.5) for _ in range(rng.randint(2, 4))]
    hq = fab.account(
        org,
        "issue",
        kinds.old(fab, 2004, 2016),
        template,
        pages=1,
        category="Nonprofit Organization",
        staff=hq_staff,
    )
    hq.group = "national_office"
    lean = text.ISSUES[issues[0]][0]
    sets = [text.interest_set(rng, issues, 1) for _ in range(rng.randint(1, 2))]
    kinds.dress(fab, hq, issues, lean, own_site=domain, places=[("US", None, None)], sets=1)
    hq.audiences = list(sets)
    hq.slots = run_of_ads(rng, between(rng, *kinds.SEASON), ad_count(rng, 8.0))
    pattern = rng.choice(CHAPTER_NAMES)
    mode = rng.choices(("created", "activated", "none"), (35, 35, 30))[0]
    week = monday(fab, datetime(2025, 9, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    out = [hq]
    for st in rng.sample(names.STATES, min(chapters, len(names.STATES))):
        name = pattern.format(o=org, s=st[0], a=st[1])
        born = week_of(rng, week) if mode == "created" else kinds.old(fab, 2010, 2023)
        crew = [fab.person()] + (
            rng.sample(hq_staff, rng.randint(1, 2)) if rng.random() < 0.7 else []
        )
        voice = template.with_fill(who=name, place=st[0], st=st[1].lower())
        acc = fab.account(
            name,
            "chapter",
            born,
            voice,
            category="Nonprofit Organization",
            staff=crew[:1] if rng.random() < 0.4 else crew,
            pages=rng.choice((1, 1, 2)),
        )
        for page in acc.pages:
            page.staff = list(dict.fromkeys(page.staff + crew[1:]))
        if rng.random() < 0.45:
            acc.cards = [hq.cards[0]]
        acc.group = "chapter"
        acc.landings = [
            f"https://{domain}/{st[1].lower()}",
            f"https://{domain}/{st[1].lower()}/join",
        ]
        if rng.random() < 0.3:
            acc.landings.append(names.popular_url(rng, lean, name))
        acc.audiences = list(sets) if rng.random() < 0.75 else [text.interest_set(rng, issues)]
        acc.places, acc.ages = [("US", st[0], None)], hq.ages
        acc.slots = run_of_ads(rng, between(rng, *kinds.SEASON), ad_count(rng, 5.0))
        out.append(acc)
        if rng.random() < 0.8:
            declare(fab, world, acc, "member_of", hq)
    if mode != "none":
        launch(fab, out[1:], week + timedelta(days=7 * rng.randint(0, 3)), 5.0, rng.random() < 0.5)
    for acc in rng.sample(out[1:], max(1, len(out) // 4)):  # HQ buys ads on chapters' pages
        for _ in range(rng.randint(1, 3)):
            hq.slots.append(Slot(between(rng, acc.pages[0].born, NOW), page=acc.pages[0]))
    world.accounts += out
    return out


def state_party(fab: Fabric, world: World, committees: int) -> list[Account]:
    rng = fab.rng
    st = names.state(rng)
    dem = rng.random() < 0.5
    party, lean = ("Democratic", "D") if dem else ("Republican", "R")
    domain = f"{st[1].lower()}{'dems' if dem else 'gop'}.org"
    parts = [
        (
            "The {county} County {party} Party [invites you to|wants you at] our [fall|annual] "
            "[kickoff|rally|picnic] — [details|RSVP] at {site}/{cs}.",
            "{county} County {party}s: [early voting starts|mail ballots go out] "
            "[soon|this month].",
        ),
        tuple(text.ISSUES[i][2][0] for i in kinds.LEANS[lean][:4]),
        (
            "Vote {party} up and down the ballot in {county} County.",
            "[Volunteer|Knock doors|Make calls] with us: {site}/{cs}.",
        ),
    ]
    template = text.Voice(
        parts,
        {"county": st[0], "party": party, "site": domain, "cs": "", "place": st[0]},
        titles=("{county} County {party}s",),
    )
    staff = [fab.person(plain=True) for _ in range(rng.randint(2, 5))]
    head = fab.account(
        f"{st[0]} {party} Party",
        "party",
        kinds.old(fab, 2009, 2015),
        template.with_fill(county=st[0]),
        category="Political Party",
        staff=staff,
    )
    head.group = "state_party"
    kinds.dress(
        fab, head, list(kinds.LEANS[lean][:2]), lean, own_site=domain, places=[("US", st[0], None)]
    )
    head.slots = run_of_ads(rng, between(rng, *kinds.SEASON), ad_count(rng, 10.0))
    style = rng.choice(("{c} County {p} Party", "{p} Committee of {c} County", "{c} County {p}s"))
    week = monday(fab, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC))
    out = [head]
    for county in names.counties(rng, committees):
        name = style.format(c=county, p=party)
        born = kinds.old(fab, 2011, 2021) if rng.random() < 0.8 else week_of(rng, week)
        crew = [fab.person()] + (rng.sample(staff, 1) if rng.random() < 0.6 else [])
        acc = fab.account(
            name,
            "party",
            born,
            template.with_fill(county=county, cs=names.slug(county)),
            category="Political Party",
            staff=crew,
            pages=1,
        )
        acc.group = "county_committee"
        if rng.random() < 0.25:
            acc.cards = [head.cards[0]]
        acc.landings = [f"https://{domain}/{names.slug(county)}"]
        if rng.random() < 0.4:
            acc.landings.append(names.popular_url(rng, lean, name))
        acc.audiences = (
            list(head.audiences) if rng.random() < 0.8 else [text.interest_set(rng, ["economy"])]
        )
        acc.places = [("US", st[0], rng.choice(st[2]))]
        late = week + timedelta(days=rng.choice((0, 0, 0, 7, 14)))
        acc.slots = run_of_ads(rng, week_of(rng, late), ad_count(rng, 4.0))
        out.append(acc)
        if rng.random() < 0.8:
            declare(fab, world, acc, "member_of", head)
    world.accounts += out
    return out


AGENCIES = (
    "Keystone Digital",
    "Red Oak Media",
    "Sagebrush Strategies",
    "Blue Heron Consulting",
    "Northstar Campaigns",
    "Ironbridge Political",
    "Cardinal Creative",
    "Tidewater Group",
    "Prairie Fire Digital",
    "Summit Line Partners",
    "Harbor & Vine",
    "Mesa Public Affairs",
    "Lighthouse Ad Works",
    "Copperleaf Media",
    "Riverbend Digital",
    "Granite Strategies",
)


def agency(fab: Fabric, world: World, index: int, clients: int) -> list[Account]:
    rng = fab.rng
    name = AGENCIES[index % len(AGENCIES)] + ("" if index < len(AGENCIES) else f" {index}")
    office_ip, workstation = fab.home_ip(), fab.device()
    staff = [fab.person() for _ in range(rng.randint(2, 6))]
    for person in staff:
        person.ips.insert(0, office_ip)
        if rng.random() < 0.6:
            person.devices.append(workstation)
    st = names.state(rng)
    home = fab.account(
        name,
        "agency",
        kinds.old(fab, 2011, 2021),
        text.trade_voice(rng, name, st[2][0], 2015),
        category="Marketing Agency",
        staff=staff,
        pages=1,
    )
    home.group, home.trade = "agency", home.voice
    home.landings, home.audiences = [f"https://www.{names.slug(name)}.com/"], [("Politics",)]
    home.shop = home.landings[0]
    home.places = [("US", st[0], None)]
    kinds.history(fab, home, rng.randint(2, 8), NOW)
    sign = rng.choice(("Digital by {a}.", "Ad by {a}", "Paid digital: {a}.")).format(a=name)
    makers = (
        kinds.candidate,
        kinds.candidate,
        kinds.candidate,
        kinds.cause_group,
        kinds.union,
        kinds.business,
    )
    out = [home]
    for _ in range(clients):
        acc = rng.choice(makers)(fab)
        hands = rng.sample(staff, rng.randint(1, min(2, len(staff))))
        acc.staff = list(dict.fromkeys(acc.staff + hands))
        for page in acc.pages:
            if rng.random() < 0.85:
                page.staff = list(dict.fromkeys(page.staff + hands))
        if rng.random() < 0.35:
            acc.cards = [home.cards[0]] if rng.random() < 0.6 else [*acc.cards, home.cards[0]]
        if rng.random() < 0.45:
            acc.voice.sign, acc.voice.sign_rate = sign, rng.uniform(0.4, 1.0)
        acc.group = "agency_client"
        out.append(acc)
        if rng.random() < 0.75:
            declare(fab, world, acc, "managed_by", home)
    for _ in range(rng.randint(0, 3)):  # a staffer uploads ads for several clients at once
        minute = between(rng, *kinds.SEASON).replace(second=0)
        for acc in rng.sample(out[1:], min(len(out) - 1, rng.randint(3, 8))):
            acc.slots.append(Slot(minute + timedelta(seconds=rng.randint(0, 59))))
    world.accounts += out
    return out
