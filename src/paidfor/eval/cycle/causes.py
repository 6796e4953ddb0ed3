"""Contract: legitimate groups held together by one cause or one official template.

``coalition`` (a ballot-measure lead and 5-15 unions, groups and businesses with one campaign
domain, one creative with the member's name swapped, the same interest sets and launch week;
half declare ``member_of`` the lead), ``government`` (a state election office and 6-20 county
offices: one .gov domain, one voting-information template with the county swapped, old
accounts, one week; a few ``member_of`` ties) and ``same_cause`` (5-20 unrelated groups of one
cause: exactly the same interest sets, one petition domain, similar texts, the same weeks, and
no ties, admins, devices or cards in common). Each appends its accounts to the world and
labels them with their group.
"""

from __future__ import annotations

from datetime import UTC, datetime

from paidfor.eval.cycle import kinds, names, population, text
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import Account, World, ad_count, between, run_of_ads, week_of

MEASURES = (
    ("housing", "affordable homes"),
    ("health", "paid sick leave"),
    ("economy", "a fair minimum wage"),
    ("schools", "school funding"),
    ("climate", "clean water"),
    ("choice", "reproductive freedom"),
    ("police", "safer streets"),
    ("farms", "family farms"),
)


def coalition(fab: Fabric, world: World, members: int) -> list[Account]:
    rng = fab.rng
    st = names.state(rng)
    issue, cause = rng.choice(MEASURES)
    measure = (
        f"{rng.choice(('Prop', 'Amendment', 'Issue', 'Question', 'Measure'))} {rng.randint(1, 12)}"
    )
    stance = "Yes" if rng.random() < 0.8 else "No"
    domain = f"{stance.lower()}on{names.slug(measure).replace('-', '')}{st[1].lower()}.org"
    parts = [
        (
            "{who} [supports|is proud to support|endorses] {stance} on {measure}.",
            "[Why|Here's why] {who} says {stance} on {measure}:",
        ),
        text.ISSUES[issue][2],
        (
            "Vote {stance} on {measure} — [learn more|see the facts] at {site}.",
            "[Join|Stand with] the coalition for {cause} at {site}.",
        ),
    ]
    lead_name = f"{stance} on {measure}: {st[0]} for {cause.title()}"
    template = text.Voice(
        parts,
        {
            "who": lead_name,
            "stance": stance,
            "measure": measure,
            "site": domain,
            "cause": cause,
            "place": st[0],
        },
        titles=("{stance} on {measure}",),
    )
    lead = fab.account(
        lead_name,
        "committee",
        between(rng, datetime(2025, 10, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)),
        template,
        category="Political Organization",
    )
    lead.group = "coalition"
    sets = [text.interest_set(rng, [issue], 2) for _ in range(rng.randint(1, 2))]
    digital = lead.staff[0]
    week = population.monday(
        fab, datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 9, 20, tzinfo=UTC)
    )
    out = [lead]
    for _ in range(members):
        acc = rng.choice((kinds.union, kinds.cause_group, kinds.business, kinds.union))(fab, st=st)
        acc.voice = template.with_fill(who=acc.name)
        acc.group = "coalition"
        if rng.random() < 0.3:
            acc.pages[0].staff = list(dict.fromkeys([*acc.pages[0].staff, digital]))
        out.append(acc)
        if rng.random() < 0.5:
            population.declare(
                fab,
                world,
                acc,
                "member_of",
                lead,
                {"confirmed": 50, "verified": 20, "declared": 30},
            )
    for acc in out:
        acc.landings = [
            f"https://{domain}/",
            f"https://{domain}/{rng.choice(('facts', 'endorse'))}",
        ]
        acc.audiences = list(sets) if rng.random() < 0.9 else [text.interest_set(rng, [issue])]
        acc.places = [("US", st[0], None)]
        acc.funder = lead_name if rng.random() < 0.3 else acc.name
    population.launch(fab, out, week, 6.0, False)
    world.accounts += out
    return out


def government(fab: Fabric, world: World, offices: int) -> list[Account]:
    rng = fab.rng
    st = names.state(rng)
    compact = st[0].lower().replace(" ", "")
    domain = rng.choice((f"vote.{compact}.gov", f"sos.{compact}.gov", f"elections.{compact}.gov"))
    parts: list[tuple[str, ...]] = [
        (
            "[Reminder|Important]: the deadline to register to vote in {county} County is "
            "October {day}.",
        ),
        (
            "Early voting in {county} County runs October {d1} to October 31 at the {county} "
            "County elections office.",
        ),
        ("Check your registration and find your polling place at {site}.",),
    ]
    fill = {
        "county": st[0],
        "day": str(rng.randint(5, 20)),
        "d1": str(rng.randint(14, 22)),
        "site": domain,
    }
    template = text.Voice(parts, fill, titles=("Vote in {county} County",))
    head_name = f"{st[0]} Secretary of State – Elections"
    head = fab.account(
        head_name,
        "government",
        kinds.old(fab, 2009, 2015),
        template.with_fill(county="your"),
        category="Government Organization",
        pages=1,
    )
    pattern = rng.choice(
        ("{c} County Clerk & Recorder", "{c} County Elections", "{c} County Board of Elections")
    )
    week = population.monday(
        fab, datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 30, tzinfo=UTC)
    )
    audience = ("Civic engagement", "Local government", "Voting")
    out = [head]
    for county in names.counties(rng, offices):
        staff = [fab.person(plain=rng.random() < 0.7) for _ in range(rng.randint(1, 2))]
        acc = fab.account(
            pattern.format(c=county),
            "government",
            kinds.old(fab, 2009, 2019),
            template.with_fill(county=county),
            category="Government Organization",
            staff=staff,
            pages=1,
        )
        out.append(acc)
        if rng.random() < 0.3:
            population.declare(fab, world, acc, "member_of", head, {"verified": 70, "declared": 30})
    for acc in out:
        acc.group = "government_template"
        acc.landings = [
            f"https://{domain}/{names.slug(acc.name)[:20]}",
            f"https://{domain}/register",
        ]
        acc.audiences, acc.places, acc.ages = [audience], [("US", st[0], None)], (18, None)
        acc.slots = run_of_ads(rng, week_of(rng, week), ad_count(rng, 3.0))
    world.accounts += out
    return out


PETITION_ASK = (
    "Sign the petition at {site}.",
    "[Add your name|Sign now] — {site}.",
    "[Tell|Show] your legislators where you stand: {site}.",
)
CAUSES = {
    "life": "signforlife.org",
    "gun_safety": "safekidsnow.org",
    "climate": "climatepledge.us",
    "border": "protectourborder.net",
    "schools": "parentsdecide.org",
    "economy": "fairwagenow.org",
    "housing": "homesforall.us",
}


def same_cause(fab: Fabric, world: World, index: int, size: int) -> list[Account]:
    rng = fab.rng
    issue = sorted(CAUSES)[index % len(CAUSES)]
    site = CAUSES[issue]
    sets = [text.interest_set(rng, [issue], rng.randint(1, 3)) for _ in range(rng.randint(1, 2))]
    weeks = [
        population.monday(fab, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC))
        for _ in range(rng.randint(1, 2))
    ]
    pitches = text.ISSUES[issue][2] + text.DIVISIVE.get(issue, ())
    out = []
    for _ in range(size):
        acc = kinds.cause_group(fab, issues=[issue])
        place = acc.voice.fill["place"]
        acc.voice = text.Voice(
            [tuple(rng.sample(pitches, 2)), tuple(rng.sample(PETITION_ASK, 2))],
            {"who": acc.name, "place": place, "site": site},
            titles=("Sign the petition", "{who}"),
            bait=0.1,
        )
        acc.group = "same_cause"
        acc.audiences = list(sets)
        acc.landings = [f"https://{site}/", f"https://{site}/sign"] + (
            ["https://www.change.org/p/" + names.slug(acc.name)] if rng.random() < 0.3 else []
        )
        acc.slots = run_of_ads(rng, week_of(rng, rng.choice(weeks)), ad_count(rng, 5.0))
        out.append(acc)
    world.accounts += out
    return out
