"""Contract: the rest of the legitimate population, and the whole of it by size.

``shared_roof`` (households and offices: small unrelated campaigns on one IP and one
device), ``pair`` (two accounts tied by one consultant's device or
laptop login or one site vendor), independents of every kind, advertisers abroad, and
``removals`` (~3 % of legitimate accounts with 1-3 ads removed for ordinary policy reasons,
chosen more often among agency clients and shared roofs). ``legitimate`` builds every group
(``population``, ``causes`` and these) for about ``n`` accounts; none of this module's groups
declares a relationship.
"""

from __future__ import annotations

from datetime import timedelta

from paidfor.eval.cycle import causes, kinds, names, population
from paidfor.eval.cycle.infra import Fabric
from paidfor.eval.cycle.model import NOW, Account, Slot, World

REMOVAL_REASONS = (
    "misleading claims",
    "missing paid-for-by disclaimer",
    "prohibited content",
    "unverified political advertiser",
    "misleading claims",
)


def shared_roof(fab: Fabric, world: World, size: int, group: str) -> list[Account]:
    """A household (home IP and family computer) or an office share (office IP and the
    printer-room PC) of small unrelated campaigns and groups; nothing declared."""
    rng = fab.rng
    st = names.state(rng)
    ip, device = fab.home_ip(), fab.device()
    out = []
    for _ in range(size):
        maker = kinds.candidate if group == "household" or rng.random() < 0.6 else kinds.cause_group
        acc = maker(fab, st=st)
        person = acc.staff[0]
        person.ips.insert(0, ip)
        person.devices.append(device)
        acc.group = group
        out.append(acc)
    world.accounts += out
    return out


def pair(fab: Fabric, world: World) -> list[Account]:
    """Two accounts with their own pages tied by exactly one thing."""
    rng = fab.rng
    st = names.state(rng)
    out = [
        kinds.candidate(fab, st=st),
        rng.choice((kinds.candidate, kinds.cause_group))(fab, st=st),
    ]
    tie = rng.choice(("device", "device", "vendor", "consultant"))
    if tie == "device":
        device = fab.device()
        for acc in out:
            acc.staff[-1].devices.append(device)
    elif tie == "vendor":
        vendor = rng.choice(
            ("civicsites.net", "runforoffice.site", "campaignpress.io", "votepage.co")
        )
        for acc in out:
            acc.landings = [f"https://{names.slug(acc.name)[:24]}.{vendor}/", *acc.landings[:1]]
    else:
        consultant = fab.person(plain=True)
        for acc in out:
            acc.staff.append(consultant)
    for acc in out:
        acc.group = "shared_vendor"
    world.accounts += out
    return out


def independent(fab: Fabric) -> Account:
    rng = fab.rng
    maker = rng.choices(
        (
            kinds.candidate,
            kinds.cause_group,
            kinds.business,
            kinds.outlet,
            kinds.union,
            kinds.abroad,
        ),
        (38, 16, 22, 6, 5, 6),
    )[0]
    acc = maker(fab)
    acc.group = "abroad" if acc.kind == "abroad" else "independent"
    if acc.country == "US" and rng.random() < 0.012:  # a US account whose card is billed abroad
        acc.cards = [fab.card("USD", rng.choice(("CA", "MX", "GB", "IL", "DE")))]
    return acc


def removals(fab: Fabric, world: World, share: float = 0.03) -> None:
    rng = fab.rng
    weights = [
        3.0 if a.group in ("agency_client", "household", "office_share") else 1.0
        for a in world.accounts
    ]
    chosen: dict[int, Account] = {}
    target = max(1, round(share * len(world.accounts)))
    while len(chosen) < target:
        acc = rng.choices(world.accounts, weights)[0]
        chosen.setdefault(id(acc), acc)
    for acc in chosen.values():
        political = [s for s in acc.slots if s.political and s.at < NOW - timedelta(days=10)]
        if not political:
            first = NOW - timedelta(days=rng.randint(30, 200))
            acc.slots.append(Slot(first))
            political = acc.slots[-1:]
        for slot in rng.sample(political, min(len(political), rng.randint(1, 3))):
            slot.removed = rng.choice(REMOVAL_REASONS)
        if acc.group == "independent":
            acc.group = "removed_history"


def legitimate(fab: Fabric, world: World, n: int) -> None:
    """About ``n`` legitimate accounts: the groups scale with n, the rest are independents."""
    rng = fab.rng
    left = n

    def size(lo: int, hi: int, skew: float = 1.0) -> int:
        drawn = lo + int((hi - lo + 1) * rng.random() ** skew)
        return max(0, min(drawn, hi, left // 3 if n < 300 else left))

    for i in range(max(1, round(n / 420))):
        if (k := size(5, 25)) >= 5:
            left -= len(population.national(fab, world, i, k))
    for _ in range(max(1, round(n / 500))):
        if (k := size(10, 40, 1.5)) >= 10:
            left -= len(population.state_party(fab, world, k))
    for i in range(max(1, round(n / 220))):
        if (k := size(5, 40, 2.0)) >= 5:
            left -= len(population.agency(fab, world, i, k))
    for _ in range(max(1, round(n / 400))):
        if (k := size(5, 15)) >= 5:
            left -= len(causes.coalition(fab, world, k))
    for _ in range(max(1, round(n / 600))):
        if (k := size(6, 20)) >= 6:
            left -= len(causes.government(fab, world, k))
    for i in range(max(1, round(n / 450))):
        if (k := size(5, 20)) >= 5:
            left -= len(causes.same_cause(fab, world, i, k))
    for group, every in (("household", 110), ("office_share", 250)):
        for _ in range(max(1, round(n / every))):
            if (k := size(2, 4)) >= 2:
                left -= len(shared_roof(fab, world, k, group))
    for _ in range(max(1, round(n / 160))):
        if left >= 2:
            left -= len(pair(fab, world))
    for _ in range(max(0, left)):
        world.accounts.append(independent(fab))
    removals(fab, world)
