"""The results of the advertiser (page) view and the funder hub (docs/hub.md): dataclasses
the web layer renders as HTML and as JSON (``as_json``: money as exact decimal strings, dates
as ISO strings), and the small helpers they share with ``paidfor.library.hub``."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from paidfor.domain import Page
from paidfor.library.hub_store import ReportSum
from paidfor.library.views import PublicAd

PAGE_SIZE = 20
TOP_FUNDERS = 25
ELECTION_DAYS = 90  # an election's campaign period when the window is "all"
WINDOWS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "all": None}
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

_LAST_DAYS = re.compile(r"last_(\d+)_days?")
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def usd(cents: int | Decimal) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def pages_of(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def week_of(day: date) -> date:
    """The Monday of the ISO week ``day`` is in."""
    return day - timedelta(days=day.weekday())


def period_span(period: str) -> tuple[date, date] | None:
    """First and last day a report period covers: ``last_7_days_2023-06-01`` (7 days to that
    day), ``2018-08`` (a month), ``2018-08-31`` (one day); None if it names no dates."""
    text = period.strip()
    month = _MONTH.match(text)
    if month:
        first = date(int(month.group(1)), int(month.group(2)), 1)
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, nxt - timedelta(days=1)
    day = _DAY.search(text)
    if not day:
        return None
    try:
        last = date.fromisoformat(day.group(1))
    except ValueError:
        return None
    days = _LAST_DAYS.search(text)
    length = int(days.group(1)) if days else 1
    return last - timedelta(days=max(length, 1) - 1), last


def _plain(value: Any) -> Any:
    """JSON-ready form: money and other decimals as strings, dates as ISO strings."""
    if isinstance(value, PublicAd):
        return value.as_json()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Json:
    def as_json(self) -> dict[str, Any]:
        out = _plain(self)
        assert isinstance(out, dict)
        return out


def sums_by_currency(sums: Iterable[ReportSum]) -> dict[str, Decimal]:
    out: dict[str, int] = defaultdict(int)
    for s in sums:
        out[s.currency] += s.cents
    return {cur: usd(c) for cur, c in sorted(out.items())}


# -- result types ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageInfo(_Json):
    id: int
    name: str
    kind: str
    url: str | None
    created: date | None
    country: str | None
    category: str | None
    disabled: bool

    @classmethod
    def of(cls, p: Page) -> PageInfo:
        return cls(
            id=p.id or 0,
            name=p.name,
            kind=p.kind,
            url=p.url,
            created=p.created_at.date() if p.created_at else None,
            country=p.country,
            category=p.category,
            disabled=p.disabled,
        )


@dataclass(frozen=True)
class FunderLine(_Json):
    """A funder with the ads it paid for (and their USD spend) and its reported spend."""

    id: int | None  # None: ads without a "Paid for by" disclaimer
    name: str
    verified: bool
    ads: int
    spend_usd: Decimal
    priced_ads: int
    reported: dict[str, Decimal] = field(default_factory=dict)

    @property
    def reported_usd(self) -> Decimal:
        return self.reported.get("USD", ZERO)


@dataclass(frozen=True)
class PageLine(_Json):
    id: int
    name: str
    kind: str
    ads: int
    spend_usd: Decimal
    reported: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportLine(_Json):
    period: str
    country: str
    funder: str | None
    funder_id: int | None
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class WeekPoint(_Json):
    week: date  # the Monday
    label: str  # ISO week, "2016-W03"
    ads: int
    spend_usd: Decimal
    reported_usd: Decimal


@dataclass(frozen=True)
class CountryLine(_Json):
    country: str
    ads: int
    spend_usd: Decimal
    reported_usd: Decimal


@dataclass(frozen=True)
class RegionLine(_Json):
    region: str
    spend_usd: Decimal


@dataclass(frozen=True)
class ElectionLine(_Json):
    id: int
    name: str
    country: str
    period_start: date
    date: date  # after every other date-typed field: the name hides the type below it
    ads: int
    spend_usd: Decimal
    reported_usd: Decimal


@dataclass(frozen=True)
class PageView(_Json):
    page: PageInfo
    admin_countries: list[str]
    running: list[PublicAd]
    running_total: int
    running_page: int
    running_pages: int
    past: list[PublicAd]
    past_total: int
    past_page: int
    past_pages: int
    political_ads: int
    political_spend_usd: Decimal
    political_priced_ads: int
    political_spend_by_currency: dict[str, Decimal]
    reported: dict[str, Decimal]
    reports: list[ReportLine]
    funders: list[FunderLine]


@dataclass(frozen=True)
class HubFilters(_Json):
    window: str
    country: str | None
    election: ElectionLine | None
    reference: date  # the day windows count back from
    start: date | None
    end: date | None


@dataclass(frozen=True)
class FundersHub(_Json):
    filters: HubFilters
    ads: int
    spend_usd: Decimal
    priced_ads: int
    reported: dict[str, Decimal]
    funders_count: int
    funders: list[FunderLine]
    no_disclaimer: FunderLine
    weekly: list[WeekPoint]
    undated_ads: int
    undated_spend_usd: Decimal
    regions: list[RegionLine]
    countries: list[CountryLine]
    elections: list[ElectionLine]


@dataclass(frozen=True)
class FunderView(_Json):
    funder: FunderLine
    pages: list[PageLine]
    ads: list[PublicAd]
    ads_page: int
    ads_pages: int
    weekly: list[WeekPoint]
