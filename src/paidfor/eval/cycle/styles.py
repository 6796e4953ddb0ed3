"""Contract: the five planted operation styles and the plan that rotates them.

Each builder takes the fabric, the world, the operation (name and style) and a member budget,
adds its accounts (and their pages) to ``world.accounts`` and ``op.accounts``/``op.pages``,
and lists in ``op.traces`` exactly what it leaked:

* ``sleeper_cell``  aged accounts with harmless history, political starts weeks apart, tied by
  operator devices and one full interest list (rarely one foreign login);
* ``slow_build``    members opened one by one over months, an operator admin and/or card,
  one template, foreign traces (card, login, language) on 50-85 % of members;
* ``pair_op``       two accounts buying ads for each other's pages, one device, one foreign card;
* ``franchise``     a themed chapter-like movement of 10-40 pages run by 3-6 accounts with
  intermediary cards, residential proxies, a private domain, ads created in the same minutes,
  sometimes ``member_of`` ties among themselves; nothing foreign;
* ``content_farm``  5-20 accounts born within days, one template, VPN exits, USD cards billed
  abroad.

``plant`` gives the first five operations five different styles (so no trace is in all of
them) and marks 1-5 earlier ads (older than 90 days) of 40 % of the operations as removed for
coordinated inauthentic behaviour.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paidfor.eval.cycle import cover, kinds, names, text
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import (
    NOW,
    Account,
    Card,
    Operation,
    Page,
    Slot,
    Tie,
    World,
    ad_count,
    between,
    run_of_ads,
)

STYLES = ("sleeper_cell", "slow_build", "pair_op", "franchise", "content_farm")
CIB = "coordinated inauthentic behavior"
FOREIGN_CARDS = (("RUB", "RU"), ("KZT", "KZ"), ("BYN", "BY"))


def _dt(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def sleeper_cell(fab: Fabric, world: World, op: Operation, budget: int) -> None:
    rng = fab.rng
    issues = rng.sample(cover.DIVISIVE_ISSUES, 2)
    fingerprint = cover.audience(fab, issues, rng.randint(3, 6))
    devices = [fab.device() for _ in range(rng.randint(1, 2))]
    accounts = max(2, min(budget, round(budget * rng.uniform(0.5, 0.8))))
    base = between(rng, _dt(2026, 3, 1), _dt(2026, 7, 15))
    spread = timedelta(days=rng.randint(14, 56))
    for j in range(accounts):
        st = cover.swing_place(fab)
        born = between(rng, NOW - timedelta(days=8 * 365), base - timedelta(days=2 * 365 + 30))
        name = cover.local_name(fab, cover.HARMLESS, st)
        crew = [cover.operator(fab) for _ in range(rng.randint(1, 2))]
        for person in crew:
            if j < 2 or rng.random() < 0.8:
                person.devices.append(rng.choice(devices))
        voice = cover.divisive_voice(fab, name, rng.choice(st[2]), issues)
        acc = cover.member(
            fab, op, name, born, voice, st, staff=crew, pages=1 if budget > accounts + j else 0
        )
        acc.trade = text.trade_voice(rng, name, st[2][0], born.year)
        acc.audiences = [fingerprint]
        first = base + spread * (j / (accounts - 1)) + timedelta(hours=rng.randint(0, 9))
        kinds.history(fab, acc, rng.randint(3, 15), first - timedelta(days=20))
        acc.slots += run_of_ads(rng, first, ad_count(rng, 5.0))
        world.accounts.append(acc)
    op.traces += ["shared_device", "interest_fingerprint", "aged_accounts"]
    if rng.random() < 0.5:
        who = rng.choice(op.accounts).staff[0]
        who.countries.append(rng.choice(("RU", "BY")))
        op.traces.append("foreign_login")


def slow_build(fab: Fabric, world: World, op: Operation, budget: int) -> None:
    rng = fab.rng
    issues = rng.sample(cover.DIVISIVE_ISSUES, 2)
    tpl = cover.template_voice(
        fab, issues, f"#{rng.choice(('Awake', 'Rise', 'Truth'))}{rng.randint(24, 26)}"
    )
    accounts = max(2, round(budget * rng.uniform(0.3, 0.5)))
    per = [1 + (i < budget - 2 * accounts) for i in range(accounts)]
    start = between(rng, _dt(2025, 6, 1), _dt(2026, 3, 1))
    span = timedelta(days=rng.randint(90, 180))
    mode = rng.choice(("admin", "card", "both"))
    boss = cover.operator(fab)
    money = fab.card(*rng.choice((("USD", "US"), rng.choice(FOREIGN_CARDS))))
    share = rng.uniform(0.5, 0.85)
    cur, home = rng.choice(FOREIGN_CARDS)
    kinds_of_leak = rng.sample(("login", "language"), rng.randint(1, 2))
    if rng.random() < 0.6:
        kinds_of_leak.append("card")
    for j in range(accounts):
        st = cover.swing_place(fab)
        born = start + span * (j / (accounts - 1)) + timedelta(hours=rng.randint(0, 96))
        name = cover.local_name(fab, cover.PERSONAS, st)
        crew = [cover.operator(fab)]
        pages = [cover.local_name(fab, cover.VOICES, st) for _ in range(per[j])]
        acc = cover.member(
            fab,
            op,
            name,
            born,
            tpl.with_fill(who=name, place=rng.choice(st[2])),
            st,
            staff=crew,
            page_names=pages,
        )
        for k, page in enumerate(acc.pages):
            page.born = min(NOW, born + timedelta(days=rng.randint(0, 20) + 30 * k))
        if mode in ("admin", "both") and (j < 2 or rng.random() < 0.6):
            ents: list[Account | Page] = [acc, *acc.pages]
            for ent in ents:
                ent.staff.append(boss)
        if mode in ("card", "both") and (j < 2 or rng.random() < 0.5):
            acc.cards = [money]
        acc.audiences = [cover.audience(fab, issues, 1) for _ in range(2)]
        first = born + timedelta(days=rng.randint(3, 30))
        acc.slots = run_of_ads(rng, first, ad_count(rng, 6.0))
        world.accounts.append(acc)
    members: list[Account | Page] = [*op.accounts, *op.pages]
    for ent in rng.sample(members, max(1, round(share * len(members)))):
        for leak in kinds_of_leak:
            if leak == "card" and isinstance(ent, Account) and ent.cards[0] is not money:
                ent.cards = [fab.card(cur, home)]
            elif leak in ("login", "language"):
                helper = cover.operator(fab)
                if leak == "login":
                    helper.countries.append(home)
                    helper.ips.append(fab.home_ip(home))
                else:
                    helper.language = "ru"
                    helper.name = names.person_name(rng, "ru")
                ent.staff.append(helper)
                if leak == "language" and isinstance(ent, Account):
                    ent.language = "ru"
    op.traces += ["staggered_creation", "near_duplicate_text"]
    op.traces += (
        ["shared_admin"]
        if mode == "admin"
        else ["shared_card"]
        if mode == "card"
        else ["shared_admin", "shared_card"]
    )
    op.traces += [f"foreign_{k}" for k in sorted(kinds_of_leak)]


def pair_op(fab: Fabric, world: World, op: Operation, budget: int) -> None:
    rng = fab.rng
    device = fab.device()
    st = cover.swing_place(fab)
    issues = rng.sample(cover.DIVISIVE_ISSUES, 2)
    two = []
    for j in range(2):
        crew = [cover.operator(fab)]
        crew[0].devices.append(device)
        name = cover.local_name(fab, cover.PERSONAS, st)
        born = between(rng, _dt(2024, 6, 1), _dt(2026, 5, 1))
        pages = 1 if j == 0 or budget >= 4 else 0
        acc = cover.member(
            fab,
            op,
            name,
            born,
            cover.divisive_voice(fab, name, st[2][j], issues),
            st,
            staff=crew,
            pages=pages,
        )
        acc.audiences = [cover.audience(fab, issues)]
        two.append(acc)
        world.accounts.append(acc)
    a, b = two
    target_for_a = b.pages[0] if b.pages else a.pages[0]
    first = between(rng, _dt(2026, 4, 1), _dt(2026, 9, 1))
    for acc, page in ((a, target_for_a), (b, a.pages[0])):
        acc.slots = [
            Slot(s.at, page=page if rng.random() < 0.75 else None)
            for s in run_of_ads(rng, first + timedelta(days=rng.randint(0, 10)), ad_count(rng, 6.0))
        ]
    rng.choice(two).cards = [fab.card(*rng.choice((*FOREIGN_CARDS, ("USD", "AE"), ("EUR", "CY"))))]
    op.traces += ["cross_page_ads", "shared_device", "foreign_card"]


FRANCHISES = (
    "Patriots of {p}",
    "{p} Liberty Network",
    "Heartland Voices – {p}",
    "{p} Freedom Chapter",
    "Concerned Parents of {p}",
)


def franchise(fab: Fabric, world: World, op: Operation, budget: int) -> None:
    rng = fab.rng
    accounts = rng.randint(3, 6)
    pages = max(10, min(40, budget - accounts))
    brand = rng.choice(FRANCHISES)
    domain = f"{names.slug(brand.replace('{p}', ''))}-{rng.choice(('hq', 'usa', 'network'))}.org"
    places = [s[0] for s in rng.sample(names.STATES, len(names.STATES))]
    places += [c for s in names.STATES for c in s[2]]
    titles = [brand.format(p=p) for p in places[:pages]]
    proxies = [fab.proxy_ip() for _ in range(rng.randint(3, 8))]
    cards: list[Card] = []
    while len(cards) < accounts:  # intermediary cards, each on 2-4 accounts
        card = fab.card()
        cards += [card] * min(rng.randint(2, 4), max(2, accounts - len(cards)))
    issues = rng.sample(cover.DIVISIVE_ISSUES, 2)
    tpl = cover.template_voice(fab, issues, f"#{names.slug(brand.split()[0]).title()}Rising")
    drops = sorted(
        between(rng, _dt(2026, 5, 1), _dt(2026, 10, 25)).replace(second=0)
        for _ in range(rng.randint(4, 10))
    )
    born0 = between(rng, _dt(2025, 10, 1), _dt(2026, 3, 1))
    for j in range(accounts):
        st = cover.swing_place(fab)
        crew = [
            cover.operator(fab, ips=rng.sample(proxies, rng.randint(1, 2)))
            for _ in range(rng.randint(1, 2))
        ]
        own = titles[j::accounts]
        name = cover.local_name(fab, cover.PERSONAS, st)
        acc = cover.member(
            fab,
            op,
            name,
            born0 + timedelta(days=rng.randint(0, 40)),
            tpl.with_fill(who=own[0], place=st[0]),
            st,
            staff=crew,
            page_names=own,
        )
        for page in acc.pages:
            page.born = between(rng, acc.born, drops[0])
        acc.cards = [cards[j]]
        acc.landings = [f"https://{domain}/", f"https://{domain}/{names.slug(own[0])[:20]}"]
        acc.audiences = [cover.audience(fab, issues, 2) for _ in range(2)]
        acc.slots = [
            Slot(d + timedelta(seconds=rng.randint(0, 59)), page=rng.choice(acc.pages))
            for d in drops
            if rng.random() < 0.8
            for _ in range(rng.randint(1, 3))
        ]
        if not acc.slots:
            acc.slots = [Slot(drops[0] + timedelta(seconds=rng.randint(0, 59)))]
        world.accounts.append(acc)
    op.traces += ["shared_card", "residential_proxies", "own_domain", "same_minute"]
    if rng.random() < 0.6:
        lead = op.accounts[0]
        for acc in op.accounts[1:]:
            if rng.random() < 0.6:
                status = rng.choice(("declared", "declared", "confirmed"))
                world.ties.append(
                    Tie(acc, "member_of", lead, status, between(rng, acc.born, drops[0]))
                )
        op.traces.append("self_declared_ties")


def content_farm(fab: Fabric, world: World, op: Operation, budget: int) -> None:
    rng = fab.rng
    accounts = max(5, min(20, budget - max(1, budget // 3)))
    with_page = max(1, budget - accounts)
    issues = rng.sample(cover.DIVISIVE_ISSUES, 2)
    tpl = cover.template_voice(
        fab, issues, f"#{rng.choice(('Real', 'True', 'Loud'))}America{rng.randint(1, 99)}"
    )
    burst = between(rng, _dt(2026, 3, 1), _dt(2026, 8, 1)).replace(hour=6)
    days = rng.randint(1, 4)
    where = rng.choice(("MK", "PH", "NG", "VN", "GH", "AM"))
    billed = rng.uniform(0.6, 1.0)
    leak_login = rng.random() < 0.3
    for j in range(accounts):
        st = cover.swing_place(fab)
        person = cover.operator(fab, ips=rng.sample(fab.vpn, rng.randint(1, 2)))
        if leak_login and rng.random() < 0.4:
            person.countries.append(where)
        name = cover.local_name(fab, cover.VOICES, st)
        born = burst + timedelta(hours=rng.randint(0, 24 * days))
        acc = cover.member(
            fab,
            op,
            name,
            born,
            tpl.with_fill(who=name, place=rng.choice(st[2])),
            st,
            staff=[person],
            pages=1 if j < with_page else 0,
        )
        if j < 2 or rng.random() < billed:
            acc.cards = [fab.card("USD", where)]
        acc.audiences = [cover.audience(fab, issues, 1)]
        acc.slots = run_of_ads(rng, born + timedelta(days=rng.randint(1, 12)), ad_count(rng, 9.0))
        world.accounts.append(acc)
    op.traces += ["creation_burst", "near_duplicate_text", "vpn_exits", "foreign_billing"]
    if leak_login:
        op.traces.append("foreign_login")


BUILDERS = {
    "sleeper_cell": sleeper_cell,
    "slow_build": slow_build,
    "pair_op": pair_op,
    "franchise": franchise,
    "content_farm": content_farm,
}
SIZES = {
    "sleeper_cell": (4, 20),
    "slow_build": (6, 40),
    "pair_op": (3, 4),
    "franchise": (13, 46),
    "content_farm": (5, 40),
}


def plant(fab: Fabric, world: World, count: int) -> None:
    rng = fab.rng
    order = list(STYLES)
    rng.shuffle(order)
    for i in range(count):
        style = order[i] if i < len(order) else rng.choices(STYLES, (3, 3, 1, 2, 2))[0]
        lo, hi = SIZES[style]
        op = Operation(f"op-{i + 1}", style)
        BUILDERS[style](fab, world, op, rng.randint(lo, hi))
        world.operations.append(op)
    flagged = rng.sample(range(count), min(count, max(1, round(0.4 * count))))
    for i in sorted(flagged):
        _prior_removals(fab, world.operations[i])


def _prior_removals(fab: Fabric, op: Operation) -> None:
    rng = fab.rng
    early = [
        s for a in op.accounts for s in a.slots if s.political and s.at < NOW - timedelta(days=90)
    ]
    if early:
        for slot in rng.sample(early, min(len(early), rng.randint(1, 5))):
            slot.removed = CIB
        op.traces.append("prior_removal")
