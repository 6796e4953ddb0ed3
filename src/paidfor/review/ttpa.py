"""The rules of the EU's political-advertising law, Regulation (EU) 2024/900 (TTPA), as pure
functions over plain values: no database, no web. ``review.rules`` runs them for every
political ad; docs/ttpa.md maps each one to its article and test.

- **Declaration (art. 7(1)).** A political ad aimed at a Member State is served only with the
  sponsor's declaration that it is political advertising (``ttpa_no_declaration``,
  ``ttpa_not_declared_political``), naming an election the platform knows when it names one
  (``ttpa_unknown_election``).
- **The three months before a vote (art. 5(2)).** In the three months before an election or
  referendum in a Member State, political advertising linked to it goes only to a sponsor who
  declares a ``QUALIFYING_STATUSES`` status (``ttpa_third_country_sponsor``). An ad is taken
  to be linked to the election it names and to every election in a Member State it targets
  whose window its run overlaps: the conservative reading, which the deploying organisation's
  own legal assessment may narrow.
- **A declaration the facts contradict (art. 5(2), the IRA case).** A qualifying status
  declared by an account that pays with a card in a currency or billed in a country outside
  the Union, whose page admins sign in only from outside it, or whose declared EU legal
  person is established outside it, is held for a person (``ttpa_status_contradiction``,
  an integrity finding: the advertiser reads only that a person will look).
- **Targeting (art. 18).** In the Union a political ad is not targeted by an interest that
  stands for a special category of personal data (art. 18(1)(c), GDPR art. 9(1);
  ``ttpa_special_category``), nor at an audience whose minimum age is more than one year
  below the country's voting age (art. 18(2); ``ttpa_minor_targeting``).

The data the rules read are files in ``paidfor/data``: the voting ages per Member State
(``voting_ages.csv``) and the interests that stand for special categories
(``special_categories.csv``, which staff change through ``review.declaration_store``).
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Literal

from paidfor.domain import Election
from paidfor.domain.ttpa import EU_CURRENCIES, EU_MEMBER_STATES, SponsorDeclaration
from paidfor.review.elections import utc_date

LAW = "Regulation (EU) 2024/900"
WINDOW_MONTHS = 3  # art. 5(2)
DEFAULT_VOTING_AGE = 18
PLATFORM_MIN_AGE = 13  # the youngest audience an ad without a minimum age reaches

#: The special categories of personal data (GDPR art. 9(1)) an interest can stand for; art.
#: 18(1)(c) forbids profiling with them for political advertising. ``none`` in staff's
#: mapping takes a shipped interest out.
SPECIAL_CATEGORIES: dict[str, str] = {
    "racial_or_ethnic_origin": "racial or ethnic origin",
    "political_opinions": "political opinions",
    "religious_or_philosophical_beliefs": "religious or philosophical beliefs",
    "trade_union_membership": "trade-union membership",
    "genetic_data": "genetic data",
    "biometric_data": "biometric data",
    "health": "health",
    "sex_life_or_sexual_orientation": "sex life or sexual orientation",
}
NO_CATEGORY = "none"

Effect = Literal["reject", "hold", "note"]


@dataclass(frozen=True)
class Check:
    """One finding of these rules; ``review.rules`` makes it a ``Reason``."""

    step: str  # "ttpa", or "integrity" for the contradiction check
    code: str
    message: str
    effect: Effect = "reject"


@dataclass(frozen=True)
class Facts:
    """What the platform knows of the account, for the contradiction check."""

    payments: tuple[tuple[str, str | None], ...] = ()  # (currency, billing country)
    admin_countries: tuple[tuple[str, ...], ...] = ()  # each page admin's sign-in countries


def union_countries(countries: Iterable[str]) -> tuple[str, ...]:
    """The Member States among ``countries`` (in their order)."""
    return tuple(c for c in countries if c.upper() in EU_MEMBER_STATES)


# --- the window of art. 5(2) -------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is
    shorter: three months before 31 May is 28 or 29 February)."""
    years, month0 = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window(election: Election) -> tuple[date, date]:
    """The first and last UTC date of art. 5(2)'s period before ``election``: the three
    months before the vote and the vote day itself, both ends included."""
    return months_before(election.date, WINDOW_MONTHS), election.date


def in_window(election: Election, first: date, last: date) -> bool:
    """Whether the days ``first``..``last`` (an ad's run) overlap the election's window."""
    start, end = window(election)
    return first <= end and last >= start


def linked_windows(
    elections: Iterable[Election],
    countries: Sequence[str],
    linked_election_id: int | None,
    starts: datetime,
    stops: datetime | None,
) -> list[Election]:
    """The Member State elections whose art. 5(2) window the ad's run (``starts`` to
    ``stops``; open-ended without one) overlaps and to which it is linked: the one it names,
    and every one in a Member State it targets. Soonest first."""
    targeted = {c.upper() for c in union_countries(countries)}
    first = utc_date(starts)
    last = utc_date(stops) if stops is not None else date.max
    hits = [
        e
        for e in elections
        if e.country.upper() in EU_MEMBER_STATES
        and (e.country.upper() in targeted or (e.id is not None and e.id == linked_election_id))
        and in_window(e, first, last)
    ]
    return sorted(hits, key=lambda e: (e.date, e.country, e.name))


# --- the rules -------------------------------------------------------------------------------


def declaration_checks(
    countries: Sequence[str],
    declaration: SponsorDeclaration | None,
    elections: Sequence[Election],
    starts: datetime,
    stops: datetime | None,
) -> list[Check]:
    """Art. 7(1) and art. 5(2) for a political ad; nothing for one aimed outside the Union."""
    eu = union_countries(countries)
    if not eu:
        return []
    where = ", ".join(eu)
    if declaration is None:
        return [
            Check(
                "ttpa",
                "ttpa_no_declaration",
                f"a political ad aimed at {where} needs the sponsor's declaration (that it is "
                "political advertising, the election or process it is linked to, the sponsor "
                f"and who pays, where the money comes from): art. 7(1) of {LAW}",
            )
        ]
    out: list[Check] = []
    if not declaration.political_advertising:
        out.append(
            Check(
                "ttpa",
                "ttpa_not_declared_political",
                f"this is a political ad aimed at {where}, but the declaration says it is not "
                f"political advertising: declare it as such (art. 7(1) of {LAW})",
            )
        )
    known = {e.id for e in elections}
    if declaration.linked_election_id is not None and declaration.linked_election_id not in known:
        out.append(
            Check(
                "ttpa",
                "ttpa_unknown_election",
                f"the declaration names election {declaration.linked_election_id}, which the "
                "platform does not know (art. 7(1))",
            )
        )
    if not declaration.qualifies:
        for e in linked_windows(elections, countries, declaration.linked_election_id, starts,
                                stops):  # fmt: skip
            start, _ = window(e)
            out.append(
                Check(
                    "ttpa",
                    "ttpa_third_country_sponsor",
                    f"{e.name} ({e.country}, {e.date.isoformat()}): from {start.isoformat()}, "
                    "three months before the vote, political advertising linked to it is "
                    "provided only to a sponsor who declares being a citizen of the Union, a "
                    "third-country national resident in the Union with the right to vote in "
                    "it, or a legal person established in the Union not controlled from "
                    f"outside it (art. 5(2) of {LAW}); this sponsor declared "
                    f"{declaration.status.value}",
                )
            )
    return out


def contradictions(declaration: SponsorDeclaration, facts: Facts) -> list[str]:
    """What the platform knows that contradicts a declared EU status (art. 5(2)); empty for
    a declaration that claims none."""
    if not declaration.qualifies:
        return []
    found: list[str] = []
    for currency, billing in facts.payments:
        outside = [
            *([f"a card in {currency}"] if currency.upper() not in EU_CURRENCIES else []),
            *([f"billed in {billing}"] if billing and billing.upper() not in EU_MEMBER_STATES
              else []),
        ]  # fmt: skip
        if outside:
            found.append(" and ".join(outside))
    for countries in facts.admin_countries:
        if countries and not any(c.upper() in EU_MEMBER_STATES for c in countries):
            found.append(f"a page admin who signs in only from {', '.join(countries)}")
    if (
        declaration.status.value == "eu_legal_person"
        and declaration.sponsor_country.upper() not in EU_MEMBER_STATES
    ):
        found.append(f"an EU legal person established in {declaration.sponsor_country}")
    return found


def contradiction_checks(
    countries: Sequence[str], declaration: SponsorDeclaration | None, facts: Facts
) -> list[Check]:
    """A declared EU status the facts contradict holds the ad for a person (integrity)."""
    if declaration is None or not union_countries(countries):
        return []
    found = contradictions(declaration, facts)
    if not found:
        return []
    return [
        Check(
            "integrity",
            "ttpa_status_contradiction",
            f"the sponsor declares {declaration.status.value} (art. 5(2) of {LAW}), but the "
            f"account shows {'; '.join(dict.fromkeys(found))}: a person checks the "
            "declaration before the ad runs",
            "hold",
        )
    ]


def normalize_interest(text: str) -> str:
    return " ".join(text.casefold().split())


def special_category(interest: str, mapping: Mapping[str, str]) -> tuple[str, str] | None:
    """The (mapped interest, category) ``interest`` stands for: a mapped interest it equals
    or contains as whole words, compared case-folded with white space collapsed
    ("African-American Civil Rights Movement (1954-68)" contains "African-American Civil
    Rights Movement"); the longest where several are inside. None when it stands for none."""
    found = _matcher(tuple(sorted(mapping.items()))).search(normalize_interest(interest))
    if found is None:
        return None
    term = found.group(1)
    return term, mapping[term]


@lru_cache(maxsize=16)
def _matcher(items: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """One pattern for the whole mapping (a search per interest, not one per mapped term:
    200 interests against the shipped mapping took 18 ms one term at a time)."""
    terms = sorted((t for t, c in items if t and c != NO_CATEGORY), key=len, reverse=True)
    if not terms:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile(rf"(?<!\w)({'|'.join(map(re.escape, terms))})(?!\w)")


def targeting_checks(
    countries: Sequence[str],
    age_min: int | None,
    interests: Sequence[str],
    mapping: Mapping[str, str],
    voting_ages: Mapping[str, int],
) -> list[Check]:
    """Art. 18 for a political ad aimed at the Union: no interest that stands for a special
    category; no audience starting more than one year below a targeted country's voting age
    (an ad without a minimum age reaches from ``PLATFORM_MIN_AGE``)."""
    eu = union_countries(countries)
    if not eu:
        return []
    out: list[Check] = []
    for interest in dict.fromkeys(interests):
        hit = special_category(interest, mapping)
        if hit is not None:
            words = SPECIAL_CATEGORIES.get(hit[1], hit[1])
            out.append(
                Check(
                    "ttpa",
                    "ttpa_special_category",
                    f'the interest "{interest}" stands for {words}, a special category of '
                    "personal data: a political ad in the Union is not targeted with it "
                    f"(art. 18(1)(c) of {LAW}, art. 9(1) GDPR)",
                )
            )
    youngest = age_min if age_min is not None else PLATFORM_MIN_AGE
    for country in eu:
        age = voting_ages.get(country.upper(), DEFAULT_VOTING_AGE)
        if youngest < age - 1:
            out.append(
                Check(
                    "ttpa",
                    "ttpa_minor_targeting",
                    f"the audience starts at {youngest}; the voting age in {country} is {age}, "
                    "and a political ad is not targeted at people more than one year below "
                    f"it (art. 18(2) of {LAW}): set a minimum age of {age - 1} or more",
                )
            )
    return out


# --- the shipped data ------------------------------------------------------------------------


def _data(name: str) -> list[dict[str, str]]:
    text = resources.files("paidfor").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def voting_ages() -> dict[str, int]:
    """Each Member State's voting age for its national parliament (``voting_ages.csv``)."""
    return {r["country"].upper(): int(r["voting_age"]) for r in _data("voting_ages.csv")}


@lru_cache(maxsize=1)
def shipped_special_categories() -> dict[str, tuple[str, str]]:
    """The shipped interests that stand for special categories (``special_categories.csv``):
    case-folded interest -> (category, why)."""
    out = {}
    for r in _data("special_categories.csv"):
        if r["category"] not in SPECIAL_CATEGORIES:
            raise ValueError(f"special_categories.csv: unknown category {r['category']!r}")
        out[normalize_interest(r["interest"])] = (r["category"], r["source"])
    return out
