"""Contract: the objects a cycle world is made of before it becomes JSON lines.

``Person`` (an admin), ``Card``, ``Account`` (an advertiser with its ``Page``s, its scheduled
ads as ``Slot``s, its voice, landing URLs, interest sets and places), ``Tie`` (a declared
relationship), ``Operation`` (a planted network with its style and leaked traces) and ``World``.
Builders fill them; ``records`` writes them. Identifiers stay empty until ``number`` gives them
out in a shuffled order at the end. ``between`` and ``week_of`` are the only time helpers; they
draw from the generator they are handed. Times never pass ``NOW``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from paidfor.eval.cycle.text import Voice

SOURCE = "cycle"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
CYCLE_START = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass(eq=False)
class Person:
    name: str
    language: str = "en_US"
    countries: list[str] = field(default_factory=lambda: ["US"])
    devices: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)
    ident: str = ""


@dataclass(frozen=True)
class Card:
    currency: str
    billing: str
    fingerprint: str


@dataclass(eq=False)
class Page:
    name: str
    category: str
    born: datetime
    staff: list[Person]
    owner: Account | None = None
    country: str = "US"
    language: str = "en"
    ident: str = ""


@dataclass(eq=False)
class Slot:
    """One ad: when it was created, whether it is political, the page it runs on (None: one of
    the account's own), and a removal reason if it was taken down."""

    at: datetime
    political: bool = True
    page: Page | None = None
    removed: str | None = None


@dataclass(eq=False)
class Account:
    name: str
    kind: str
    born: datetime
    staff: list[Person]
    cards: list[Card]
    voice: Voice
    country: str = "US"
    language: str = "en_US"
    pages: list[Page] = field(default_factory=list)
    group: str = "independent"
    trade: Voice | None = None  # the voice of its non-political ads
    landings: list[str] = field(default_factory=list)  # "@page" lands on the ad's page
    shop: str | None = None  # where its non-political ads land (None: the ad's page)
    audiences: list[tuple[str, ...]] = field(default_factory=list)
    places: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    ages: tuple[int, int | None] = (18, None)
    tongue: str = "English"
    ad_language: str = "en"
    funder: str | None = None
    slots: list[Slot] = field(default_factory=list)
    salt: int = 0
    operation: Operation | None = None
    ident: str = ""

    def first_political(self) -> datetime | None:
        times = [s.at for s in self.slots if s.political]
        return min(times) if times else None


@dataclass(eq=False)
class Tie:
    member: Account
    relation: str  # managed_by, member_of
    related: Account
    status: str  # declared, confirmed, verified, refused
    at: datetime


@dataclass(eq=False)
class Operation:
    name: str
    style: str
    accounts: list[Account] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)

    @property
    def members(self) -> int:
        return len(self.accounts) + len(self.pages)


@dataclass
class World:
    seed: int
    accounts: list[Account] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)


def between(rng: Random, lo: datetime, hi: datetime) -> datetime:
    """A moment between lo and hi (to the second), never after NOW."""
    hi = min(hi, NOW)
    if hi <= lo:
        return min(lo, NOW)
    return lo + timedelta(seconds=rng.randint(0, int((hi - lo).total_seconds())))


def week_of(rng: Random, monday: datetime) -> datetime:
    return between(rng, monday, monday + timedelta(days=6, hours=23))


def run_of_ads(
    rng: Random, first: datetime, count: int, *, last: datetime | None = None
) -> list[Slot]:
    """``count`` political slots: one at ``first``, the rest until ``last`` (or the election)."""
    end = min(last or NOW, NOW)
    out = [Slot(min(first, NOW))]
    out += [Slot(between(rng, first, end)) for _ in range(count - 1)]
    return out


def ad_count(rng: Random, mean: float = 5.0, cap: int = 45) -> int:
    return min(cap, 1 + int(rng.expovariate(1.0 / mean)))


def number(rng: Random, world: World) -> None:
    """Give every person, account and page its identifier, numbered in a shuffled order."""
    people: dict[int, Person] = {}
    pages: list[Page] = []
    for acc in world.accounts:
        for person in acc.staff:
            people.setdefault(id(person), person)
        for page in acc.pages:
            pages.append(page)
            for person in page.staff:
                people.setdefault(id(person), person)
    _label(rng, "u", list(people.values()))
    _label(rng, "a", world.accounts)
    _label(rng, "p", pages)


def _label(rng: Random, prefix: str, items: Sequence[Person | Account | Page]) -> None:
    numbers = rng.sample(range(100, 100 + 9 * len(items) + 50), len(items))
    for item, n in zip(items, numbers, strict=True):
        item.ident = f"{prefix}-{n}"
