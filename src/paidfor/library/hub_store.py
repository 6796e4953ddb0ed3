"""Queries behind the advertiser (page) view and the funder hub (docs/hub.md).

Every query is plain SQLAlchemy Core that SQLite and PostgreSQL answer alike; the two places
where the dialects differ (a date from a timestamp, "this JSON list holds a value") are the
two small helpers at the bottom. Aggregates over JSON lists (countries reached, delivery by
region) are summed in Python from the few columns they need, so both backends give the same
cents. Nothing here returns an ORM row, and nothing here reads an admin's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Date,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from paidfor.domain import Ad, Election, Funder, Page
from paidfor.storage.mapping import row_to_page
from paidfor.storage.models import (
    AdminRow,
    AdRow,
    ElectionRow,
    FunderRow,
    PageRow,
    SpendReportRow,
    page_admins,
)
from paidfor.storage.repo import AdRepository
from paidfor.storage.rules import (
    active_condition,
    delivered_since,
    political_condition,
    public_condition,
    started,
)

# An ad's delivery started at its start time, or when it was created if it has none.
AD_START = started()


def delivered() -> ColumnElement[bool]:
    return public_condition()  # delivered at some time: what the library shows


def running_now(now: datetime) -> ColumnElement[bool]:
    return and_(active_condition(), or_(AdRow.stop_at.is_(None), AdRow.stop_at > now))


@dataclass(frozen=True)
class AdFilter:
    """Which ads a hub aggregate covers. Times are naive UTC; ``end`` is exclusive.

    An ad is in the window when its delivery ``[start, stop]`` overlaps ``[start, end)``;
    an ad without a stop time is still delivering if it is live, else it ran on its start day.
    """

    start: datetime | None = None
    end: datetime | None = None
    country: str | None = None  # ISO code the ad reached
    political_only: bool = True
    funder_id: int | None = None

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [delivered()]
        if self.political_only:
            conds.append(political_condition())
        if self.funder_id is not None:
            conds.append(AdRow.funder_id == self.funder_id)
        if self.country:
            conds.append(json_list_has(AdRow.reached_countries, self.country, dialect))
        if self.end is not None:
            conds.append(self.end > AD_START)
        if self.start is not None:
            conds.append(AD_START.is_not(None))
            conds.append(delivered_since(self.start))
        return conds


@dataclass(frozen=True)
class AdSpend:
    """An aggregate over ads: how many, and their exact spend in USD where known."""

    ads: int = 0
    usd_cents: int = 0
    priced: int = 0  # ads with an exact USD spend (the rest have only a range or nothing)


@dataclass(frozen=True)
class ReportSum:
    """Spend-report rows summed per period, country, currency, funder and page."""

    period: str
    country: str
    currency: str
    cents: int
    rows: int
    funder_id: int | None
    page_id: int


def _spend_columns() -> tuple[Any, Any, Any]:
    return (
        func.count(AdRow.id),
        func.coalesce(func.sum(AdRow.spend_usd_cents), 0),
        func.count(AdRow.spend_usd_cents),
    )


def _ad_spend(ads: Any, cents: Any, priced: Any) -> AdSpend:
    return AdSpend(int(ads or 0), int(cents or 0), int(priced or 0))


class HubRepository(AdRepository):
    """Read-only queries for the public page view and the funder hub."""

    def _dialect(self) -> str:
        return self.engine.dialect.name

    # -- pages -------------------------------------------------------------------------------

    def page(self, page_id: int) -> Page | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(PageRow).where(PageRow.id == page_id)).one_or_none()
        return row_to_page(row) if row is not None else None

    def admin_countries(self, page_id: int) -> list[str]:
        """The distinct countries the page's admins log in from (never who they are)."""
        stmt = (
            select(AdminRow.login_countries)
            .join(page_admins, page_admins.c.admin_id == AdminRow.id)
            .where(page_admins.c.page_id == page_id)
        )
        found: set[str] = set()
        with self.engine.connect() as conn:
            for (countries,) in conn.execute(stmt):
                found.update(str(c).upper() for c in countries or [] if c)
        return sorted(found)

    def _page_ads_conds(self, page_id: int, now: datetime, running: bool) -> list[Any]:
        if running:
            return [AdRow.page_id == page_id, running_now(now)]
        return [
            AdRow.page_id == page_id,
            political_condition(),
            delivered(),
            ~running_now(now),
        ]

    def page_ads(
        self, page_id: int, now: datetime, *, running: bool, limit: int, offset: int = 0
    ) -> list[Ad]:
        """The page's ads running now (political or not), or its past political ads; newest
        first."""
        stmt = (
            select(AdRow)
            .where(*self._page_ads_conds(page_id, now, running))
            .order_by(AD_START.desc().nulls_last(), AdRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return self._hydrate(rows)

    def count_page_ads(self, page_id: int, now: datetime, *, running: bool) -> int:
        stmt = select(func.count(AdRow.id)).where(*self._page_ads_conds(page_id, now, running))
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def page_political_spend(self, page_id: int) -> tuple[AdSpend, dict[str, int]]:
        """All the page's political ads: count and USD spend, and spend per own currency."""
        where = (AdRow.page_id == page_id, political_condition(), delivered())
        with self.engine.connect() as conn:
            total = _ad_spend(*conn.execute(select(*_spend_columns()).where(*where)).one())
            by_currency = {
                str(cur): int(cents or 0)
                for cur, cents in conn.execute(
                    select(AdRow.currency, func.sum(AdRow.spend_cents))
                    .where(*where, AdRow.currency.is_not(None), AdRow.spend_cents.is_not(None))
                    .group_by(AdRow.currency)
                )
            }
        return total, by_currency

    def page_funders(self, page_id: int) -> list[tuple[int, AdSpend]]:
        """Funders named on the page's ads, with the page's ads and spend for each."""
        return self._spend_by(AdRow.funder_id, AdRow.page_id == page_id)

    # -- funders -----------------------------------------------------------------------------

    def funders(self, ids: Sequence[int]) -> dict[int, Funder]:
        if not ids:
            return {}
        with self.engine.connect() as conn:
            return {
                f.id: Funder(id=f.id, name=f.name, verified=bool(f.verified))
                for f in conn.execute(select(FunderRow).where(FunderRow.id.in_(list(set(ids)))))
            }

    def funder(self, funder_id: int) -> Funder | None:
        """A funder the public may look up: one that paid for an ad the library shows, or that
        a published spend report names. A funder known only from an authorization (pending,
        refused or not yet used) or from ads review has not let in is not public: ``None``,
        as for a funder that does not exist."""
        named = or_(
            exists().where(AdRow.funder_id == funder_id, public_condition()),
            exists().where(SpendReportRow.funder_id == funder_id),
        )
        with self.engine.connect() as conn:
            public = conn.execute(select(named)).scalar()
        return self.funders([funder_id]).get(funder_id) if public else None

    def pages(self, ids: Sequence[int]) -> dict[int, Page]:
        if not ids:
            return {}
        with self.engine.connect() as conn:
            return {
                p.id: row_to_page(p)
                for p in conn.execute(select(PageRow).where(PageRow.id.in_(list(set(ids)))))
            }

    def funder_pages(self, funder_id: int) -> list[tuple[int, AdSpend]]:
        """Pages that ran ads this funder paid for, with those ads and their spend."""
        return self._spend_by(AdRow.page_id, AdRow.funder_id == funder_id)

    def _spend_by(self, key: Any, where: Any) -> list[tuple[int, AdSpend]]:
        """Delivered ads matching ``where``, grouped by the id column ``key``: (id, spend)."""
        stmt = (
            select(key, *_spend_columns()).where(where, key.is_not(None), delivered()).group_by(key)
        )
        with self.engine.connect() as conn:
            return [(int(k), _ad_spend(n, c, p)) for k, n, c, p in conn.execute(stmt)]

    def funder_ads(self, funder_id: int, *, limit: int, offset: int = 0) -> list[Ad]:
        stmt = (
            select(AdRow)
            .where(AdRow.funder_id == funder_id, delivered())
            .order_by(AD_START.desc().nulls_last(), AdRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return self._hydrate(rows)

    def funder_totals(self, funder_id: int) -> AdSpend:
        """Every delivered ad the funder paid for (political or not)."""
        with self.engine.connect() as conn:
            return _ad_spend(
                *conn.execute(
                    select(*_spend_columns()).where(AdRow.funder_id == funder_id, delivered())
                ).one()
            )

    # -- spend reports -----------------------------------------------------------------------

    def report_sums(
        self,
        *,
        page_id: int | None = None,
        funder_id: int | None = None,
        country: str | None = None,
    ) -> list[ReportSum]:
        """Spend-report rows summed per (period, country, currency, funder, page)."""
        r = SpendReportRow
        stmt = select(
            r.period, r.country, r.currency, func.sum(r.amount_cents), func.count(r.id),
            r.funder_id, r.page_id,
        ).group_by(r.period, r.country, r.currency, r.funder_id, r.page_id)  # fmt: skip
        if page_id is not None:
            stmt = stmt.where(r.page_id == page_id)
        if funder_id is not None:
            stmt = stmt.where(r.funder_id == funder_id)
        if country:
            stmt = stmt.where(r.country == country)
        with self.engine.connect() as conn:
            return [
                ReportSum(str(p), str(c), str(cur), int(cents or 0), int(n), fid, int(pid))
                for p, c, cur, cents, n, fid, pid in conn.execute(stmt)
            ]

    def report_periods(self) -> list[str]:
        with self.engine.connect() as conn:
            return [str(p) for (p,) in conn.execute(select(SpendReportRow.period).distinct())]

    # -- the hub -----------------------------------------------------------------------------

    def newest_ad_start(self) -> datetime | None:
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(AD_START))).scalar_one_or_none()
        if isinstance(newest, str):  # a driver that hands back the stored text
            newest = datetime.fromisoformat(newest)
        return newest if isinstance(newest, datetime) else None

    def spend_by_funder(self, flt: AdFilter) -> list[tuple[int | None, AdSpend]]:
        """Ads and USD spend per funder (``None``: ads with no "Paid for by")."""
        stmt = (
            select(AdRow.funder_id, *_spend_columns())
            .where(*flt.conditions(self._dialect()))
            .group_by(AdRow.funder_id)
        )
        with self.engine.connect() as conn:
            return [
                (None if fid is None else int(fid), _ad_spend(n, c, p))
                for fid, n, c, p in conn.execute(stmt)
            ]

    def spend_by_day(self, flt: AdFilter) -> list[tuple[date | None, AdSpend]]:
        """Ads and USD spend per day of their start (``None``: ads without any date)."""
        day = _day(AD_START, self._dialect())
        stmt = select(day, *_spend_columns()).where(*flt.conditions(self._dialect())).group_by(day)
        out: list[tuple[date | None, AdSpend]] = []
        with self.engine.connect() as conn:
            for d, n, c, p in conn.execute(stmt):
                when = date.fromisoformat(str(d)[:10]) if d is not None else None
                out.append((when, _ad_spend(n, c, p)))
        return out

    def ad_geography(self, flt: AdFilter) -> Iterator[tuple[int | None, list[Any], list[Any]]]:
        """(USD cents or None, countries reached, delivery by region) of each ad."""
        stmt = select(
            AdRow.spend_usd_cents, AdRow.reached_countries, AdRow.delivery_by_region
        ).where(*flt.conditions(self._dialect()))
        with self.engine.connect() as conn:
            for cents, countries, regions in conn.execute(stmt.execution_options(yield_per=2000)):
                yield (
                    None if cents is None else int(cents),
                    list(countries or []),
                    list(regions or []),
                )

    # -- elections ---------------------------------------------------------------------------

    def elections(self) -> list[Election]:
        stmt = select(ElectionRow).order_by(ElectionRow.date.desc(), ElectionRow.id)
        with self.engine.connect() as conn:
            return [_election(r) for r in conn.execute(stmt)]

    def election(self, election_id: int) -> Election | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ElectionRow).where(ElectionRow.id == election_id)
            ).one_or_none()
        return _election(row) if row is not None else None


def _election(r: Any) -> Election:
    return Election(
        id=r.id,
        country=r.country,
        name=r.name,
        date=r.date if isinstance(r.date, date) else date.fromisoformat(str(r.date)),
        authorization_required=bool(r.authorization_required),
        blackout_days=int(r.blackout_days or 0),
    )


def _day(moment: Any, dialect: str) -> Any:
    """The calendar day of a timestamp (SQLite's ``date()`` is text, PostgreSQL's a date)."""
    return cast(moment, Date) if dialect == "postgresql" else func.date(moment)


def json_list_has(column: Any, value: str, dialect: str) -> ColumnElement[bool]:
    """The JSON list in ``column`` holds the string ``value``."""
    if dialect == "postgresql":
        return column.op("@>")(cast(literal(orjson.dumps([value]).decode()), JSONB))
    each = func.json_each(column).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value == value).exists()
