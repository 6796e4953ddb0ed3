"""Election rules for political ads: blackout windows, authorization, upcoming votes.

The rules are pure functions over a list of :class:`~paidfor.domain.Election`; they never
touch the database. Dates are calendar dates in UTC: a moment is first converted to UTC (a
naive ``datetime`` is taken to be UTC already) and only its date is compared. Countries are
ISO 3166-1 alpha-2 codes, compared without regard to case.

The shipped elections (``paidfor/data/elections.csv``) are read by :func:`default_elections`
and stored by :func:`load_default_elections` (``ElectionService.load_defaults``).
See ``docs/elections.md``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING

import pycountry

from paidfor.domain import Election
from paidfor.domain.urls import link_of
from paidfor.errors import Invalid

if TYPE_CHECKING:
    from paidfor.review.election_store import ElectionRepository, Outcome

MAX_BLACKOUT_DAYS = 60
MAX_NAME_LENGTH = 300
CSV_COLUMNS = ("country", "name", "date", "authorization_required", "blackout_days", "source")
#: Optional columns: ``level`` (national when absent) and ``source_url``.
CSV_OPTIONAL = ("level", "source_url")
#: The levels of the elections and referendums Regulation (EU) 2024/900 covers (art. 1, art.
#: 3(2)(b): "at Union, national, regional or local level").
LEVELS = ("eu", "national", "regional", "local")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def utc_date(when: datetime | date) -> date:
    """The UTC calendar date of ``when`` (naive datetimes are UTC; a ``date`` is itself)."""
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(UTC)
        return when.date()
    return when


def _same_country(election: Election, country: str) -> bool:
    return election.country.upper() == country.strip().upper()


def blackout_window(election: Election) -> tuple[date, date] | None:
    """The first and last UTC date of the election's ad blackout, or None when it has none.

    With ``blackout_days`` = N > 0 the window is the N days before the vote *and* the vote
    day itself: ``date - N`` through ``date``, both inclusive (N + 1 calendar days). With
    N = 0 (or less) there is no blackout at all, not even on the vote day.
    """
    if election.blackout_days <= 0:
        return None
    return election.date - timedelta(days=election.blackout_days), election.date


def in_blackout(election: Election, when: datetime | date) -> bool:
    """Whether ``when`` (its UTC date) falls inside the election's blackout window."""
    window = blackout_window(election)
    return window is not None and window[0] <= utc_date(when) <= window[1]


def blackout(elections: Iterable[Election], country: str, when: datetime | date) -> Election | None:
    """The election of ``country`` whose blackout window covers ``when``, or None.

    Covered means ``vote_date - blackout_days <= utc_date(when) <= vote_date`` with
    ``blackout_days > 0`` (see :func:`blackout_window`). When several windows overlap, the
    election with the earliest vote date wins (then the name, for a stable answer): it is the
    vote the blackout is nearest to ending for.
    """
    hits = [e for e in elections if _same_country(e, country) and in_blackout(e, when)]
    return min(hits, key=lambda e: (e.date, e.name), default=None)


def authorization_required(elections: Iterable[Election], country: str) -> bool:
    """Whether political ads aimed at ``country`` need an authorized advertiser.

    True when any known election of the country requires authorization. The rule is not
    bounded in time: once a country has an election with this rule, its political ads need
    authorization all year, as platforms applied it from 2018. A country with no known
    election requires none.
    """
    return any(_same_country(e, country) and e.authorization_required for e in elections)


def upcoming(
    elections: Iterable[Election], country: str | None, when: datetime | date
) -> list[Election]:
    """The elections of ``country`` (of every country for None) voting on or after the UTC
    date of ``when``, soonest first (then by country and name). The vote day itself counts
    as upcoming until it ends in UTC."""
    today = utc_date(when)
    found = [
        e for e in elections if e.date >= today and (country is None or _same_country(e, country))
    ]
    return sorted(found, key=lambda e: (e.date, e.country, e.name))


# --- validation and the shipped data ---------------------------------------------------


def normalize_country(code: str) -> str:
    """The ISO 3166-1 alpha-2 code for ``code`` (any case); ValueError if there is none."""
    value = code.strip().upper()
    if len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None:
        return value
    hint = ""
    if value == "UK":
        hint = " (the United Kingdom is GB)"
    elif len(value) == 3 and (c := pycountry.countries.get(alpha_3=value)) is not None:
        hint = f" (did you mean {c.alpha_2}?)"
    raise Invalid(f"not an ISO 3166-1 alpha-2 country code: {code!r}{hint}")


def parse_date(text: str) -> date:
    """A real calendar date written YYYY-MM-DD; ValueError otherwise."""
    value = text.strip()
    if not _ISO_DATE.match(value):
        raise Invalid(f"not a date in the form YYYY-MM-DD: {text!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"not a real date: {text!r}") from None


def parse_bool(text: str) -> bool:
    """``true``/``false`` (also yes/no, 1/0, any case); ValueError otherwise."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise Invalid(f"not true or false: {text!r}")


def make_election(
    country: str,
    name: str,
    vote_date: date | str,
    *,
    authorization_required: bool = True,
    blackout_days: int = 0,
    level: str = "national",
    source_url: str | None = None,
) -> Election:
    """A checked :class:`Election`: a real country code, a non-empty name of at most 300
    characters, a real date, ``0 <= blackout_days <= 60``, a level of ``LEVELS`` and a
    source that is an http(s) address when given. Raises Invalid."""
    clean_name = " ".join(name.split())
    if not clean_name:
        raise Invalid("the election needs a name")
    if len(clean_name) > MAX_NAME_LENGTH:
        raise Invalid(f"the name is longer than {MAX_NAME_LENGTH} characters")
    if isinstance(vote_date, str):
        vote_date = parse_date(vote_date)
    if not 0 <= blackout_days <= MAX_BLACKOUT_DAYS:
        raise Invalid(
            f"blackout days must be between 0 and {MAX_BLACKOUT_DAYS}, not {blackout_days}"
        )
    clean_level = level.strip().lower()
    if clean_level not in LEVELS:
        raise Invalid(f"the level must be one of {', '.join(LEVELS)}, not {level!r}")
    url = (source_url or "").strip() or None
    if url is not None and (len(url) > 500 or link_of(url) != url):
        raise Invalid(f"the source must be an http(s) address of at most 500 characters: {url!r}")
    return Election(
        country=normalize_country(country),
        name=clean_name,
        date=vote_date,
        authorization_required=authorization_required,
        blackout_days=blackout_days,
        level=clean_level,
        source_url=url,
    )


def parse_elections_csv(text: str) -> list[Election]:
    """Elections from CSV text with the columns of ``CSV_COLUMNS`` and, optionally,
    ``CSV_OPTIONAL`` (``source`` is prose for people and is not stored; ``source_url`` is).
    Raises ValueError naming the line of the first bad row."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise Invalid(f"elections CSV lacks the columns: {', '.join(missing)}")
    found: list[Election] = []
    for row in reader:
        try:
            found.append(
                make_election(
                    row["country"],
                    row["name"],
                    row["date"],
                    authorization_required=parse_bool(row["authorization_required"]),
                    blackout_days=int(row["blackout_days"]),
                    level=row.get("level") or "national",
                    source_url=row.get("source_url") or None,
                )
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise Invalid(f"elections CSV line {reader.line_num}: {exc}") from exc
    return found


def default_elections() -> list[Election]:
    """The elections shipped in ``paidfor/data/elections.csv``."""
    text = resources.files("paidfor").joinpath("data", "elections.csv").read_text("utf-8")
    return parse_elections_csv(text)


def load_default_elections(repo: ElectionRepository, actor: str = "system") -> int:
    """Store the shipped elections that the database lacks; the number stored.

    Idempotent: an election already stored under the same (country, name) is left as it is,
    so a second run stores nothing and an operator's own changes (``paidfor election add``)
    are kept. Each election stored writes an ``election.add`` audit event.
    """
    have = {(e.country, e.name) for e in repo.list()}
    added = 0
    for election in default_elections():
        if (election.country, election.name) in have:
            continue
        repo.add(election, actor=actor, reason="shipped election data (load-defaults)")
        added += 1
    return added


class ElectionService:
    """The elections the political-ad rules use, as an administrator keeps them (``paidfor
    election``): add or correct one (audited), list them, load the shipped ones."""

    def __init__(self, repo: ElectionRepository) -> None:
        self._repo = repo

    def save(
        self, election: Election, *, actor: str, reason: str | None = None
    ) -> tuple[Election, Outcome]:
        """Add ``election``, or update the one of its country and name; with what was done."""
        return self._repo.save(election, actor=actor, reason=reason)

    def list(self, country: str | None = None) -> list[Election]:
        return self._repo.list(country)

    def load_defaults(self, actor: str = "system") -> int:
        return load_default_elections(self._repo, actor)
