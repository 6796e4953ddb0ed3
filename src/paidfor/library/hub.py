"""The advertiser (page) view and the funder hub (docs/hub.md).

Each service returns a dataclass that the web layer renders as HTML and as JSON
(``as_json``: money as exact decimal strings, dates as ISO strings). Single ads appear only
as ``PublicAd`` (spend and impressions as ranges); totals over many ads are exact, as in
Meta's Ad Library Report. Admins appear only as the countries they log in from.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from paidfor.domain import Election, Funder
from paidfor.domain.money import from_cents
from paidfor.library.hub_store import AdFilter, AdSpend, HubRepository, ReportSum
from paidfor.library.hub_views import (
    ELECTION_DAYS,
    PAGE_SIZE,
    TOP_FUNDERS,
    WINDOWS,
    ZERO,
    CountryLine,
    ElectionLine,
    FunderLine,
    FundersHub,
    FunderView,
    HubFilters,
    PageInfo,
    PageLine,
    PageView,
    RegionLine,
    ReportLine,
    WeekPoint,
    pages_of,
    period_span,
    sums_by_currency,
    usd,
    week_of,
)
from paidfor.library.views import PublicAd

# -- services --------------------------------------------------------------------------------


class HubService:
    def __init__(self, repo: HubRepository) -> None:
        self.repo = repo

    # -- the page view -------------------------------------------------------------------

    def page_view(
        self,
        page_id: int,
        *,
        past_page: int = 1,
        running_page: int = 1,
        now: datetime | None = None,
    ) -> PageView | None:
        page = self.repo.page(page_id)
        if page is None:
            return None
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        repo = self.repo
        running_total = repo.count_page_ads(page_id, moment, running=True)
        past_total = repo.count_page_ads(page_id, moment, running=False)
        running = repo.page_ads(
            page_id,
            moment,
            running=True,
            limit=PAGE_SIZE,
            offset=(running_page - 1) * PAGE_SIZE,
        )
        past = repo.page_ads(
            page_id, moment, running=False, limit=PAGE_SIZE, offset=(past_page - 1) * PAGE_SIZE
        )
        spend, by_currency = repo.page_political_spend(page_id)
        sums = repo.report_sums(page_id=page_id)
        ad_funders = dict(repo.page_funders(page_id))
        report_by_funder: dict[int, list[ReportSum]] = defaultdict(list)
        for s in sums:
            if s.funder_id is not None:
                report_by_funder[s.funder_id].append(s)
        names = repo.funders([*ad_funders, *report_by_funder])
        funders = [
            _funder_line(names[fid], ad_funders.get(fid, AdSpend()), report_by_funder[fid])
            for fid in names
        ]
        funders.sort(key=lambda f: (-(f.spend_usd + f.reported_usd), f.name))
        reports = sorted(
            (
                ReportLine(
                    period=s.period,
                    country=s.country,
                    funder=names[s.funder_id].name if s.funder_id in names else None,
                    funder_id=s.funder_id,
                    currency=s.currency,
                    amount=usd(s.cents),
                )
                for s in sums
            ),
            key=lambda r: (r.period, r.country, r.funder or ""),
        )
        return PageView(
            page=PageInfo.of(page),
            admin_countries=repo.admin_countries(page_id),
            running=[PublicAd.of(a) for a in running],
            running_total=running_total,
            running_page=running_page,
            running_pages=pages_of(running_total),
            past=[PublicAd.of(a) for a in past],
            past_total=past_total,
            past_page=past_page,
            past_pages=pages_of(past_total),
            political_ads=spend.ads,
            political_spend_usd=usd(spend.usd_cents),
            political_priced_ads=spend.priced,
            political_spend_by_currency={
                cur: from_cents(c) or ZERO for cur, c in sorted(by_currency.items())
            },
            reported=sums_by_currency(sums),
            reports=reports,
            funders=funders,
        )

    # -- the funder hub ------------------------------------------------------------------

    def reference_day(self) -> date:
        """Windows count back from today, or from the newest ad or report when the data is
        historical."""
        today = datetime.now(UTC).date()
        newest: list[date] = []
        ad_day = self.repo.newest_ad_start()
        if ad_day is not None:
            newest.append(ad_day.date())
        for period in self.repo.report_periods():
            span = period_span(period)
            if span is not None:
                newest.append(span[1])
        return min(today, max(newest)) if newest else today

    def funders_hub(
        self,
        *,
        window: str = "all",
        country: str | None = None,
        election_id: int | None = None,
        limit: int = TOP_FUNDERS,
    ) -> FundersHub | None:
        """None when ``election_id`` names no election."""
        days = WINDOWS[window]
        country = country.upper() if country else None
        election = self.repo.election(election_id) if election_id is not None else None
        if election_id is not None and election is None:
            return None
        reference = election.date if election else self.reference_day()
        span_days = (days or ELECTION_DAYS) if election is not None else days
        start = reference - timedelta(days=span_days - 1) if span_days else None
        end = reference if span_days else None
        flt = AdFilter(
            start=_midnight(start),
            end=_midnight(end + timedelta(days=1)) if end else None,
            country=country,
        )
        sums = self.repo.report_sums(country=country)
        if election is not None:
            sums = [s for s in sums if s.country == election.country]
            flt_el = dataclasses.replace(flt, country=election.country)
            flt = flt_el if country in (None, election.country) else _nothing(flt)
        sums = [s for s in sums if _report_in(s, start, end)]

        funders, no_disclaimer = self._funder_lines(flt, sums)
        weekly, undated = self._weekly(flt, sums)
        countries, regions = self._geography(flt, sums)
        elections = self._elections(days, country)
        el_line = self._election_line(election, days) if election else None
        return FundersHub(
            filters=HubFilters(
                window=window,
                country=country,
                election=el_line,
                reference=reference,
                start=start,
                end=end,
            ),
            ads=sum(f.ads for f in funders) + no_disclaimer.ads,
            spend_usd=sum((f.spend_usd for f in funders), no_disclaimer.spend_usd),
            priced_ads=sum(f.priced_ads for f in funders) + no_disclaimer.priced_ads,
            reported=sums_by_currency(sums),
            funders_count=len(funders),
            funders=funders[:limit],
            no_disclaimer=no_disclaimer,
            weekly=weekly,
            undated_ads=undated.ads,
            undated_spend_usd=usd(undated.usd_cents),
            regions=regions,
            countries=countries,
            elections=elections,
        )

    def _funder_lines(
        self, flt: AdFilter, sums: list[ReportSum]
    ) -> tuple[list[FunderLine], FunderLine]:
        ad_spend = dict(self.repo.spend_by_funder(flt))
        reports: dict[int | None, list[ReportSum]] = defaultdict(list)
        for s in sums:
            reports[s.funder_id].append(s)
        ids = [fid for fid in {*ad_spend, *reports} if fid is not None]
        names = self.repo.funders(ids)
        lines = [
            _funder_line(names[fid], ad_spend.get(fid, AdSpend()), reports.get(fid, []))
            for fid in ids
            if fid in names
        ]
        lines.sort(key=lambda f: (-(f.spend_usd + f.reported_usd), f.name, f.id or 0))
        anonymous = Funder(name="No “Paid for by” disclaimer")
        return lines, _funder_line(anonymous, ad_spend.get(None, AdSpend()), reports.get(None, []))

    def _weekly(self, flt: AdFilter, sums: list[ReportSum]) -> tuple[list[WeekPoint], AdSpend]:
        ads: dict[date, list[int]] = defaultdict(lambda: [0, 0])
        reported: dict[date, int] = defaultdict(int)
        undated = AdSpend()
        for day, spend in self.repo.spend_by_day(flt):
            if day is None:
                undated = spend
                continue
            bucket = ads[week_of(day)]
            bucket[0] += spend.ads
            bucket[1] += spend.usd_cents
        for s in sums:
            span = period_span(s.period)
            if span is not None and s.currency == "USD":
                reported[week_of(span[1])] += s.cents
        points = []
        for week in sorted({*ads, *reported}):
            iso = week.isocalendar()
            n, cents = ads.get(week, [0, 0])
            points.append(
                WeekPoint(
                    week=week,
                    label=f"{iso.year}-W{iso.week:02d}",
                    ads=n,
                    spend_usd=usd(cents),
                    reported_usd=usd(reported.get(week, 0)),
                )
            )
        return points, undated

    def _geography(
        self, flt: AdFilter, sums: list[ReportSum]
    ) -> tuple[list[CountryLine], list[RegionLine]]:
        country_ads: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        region_cents: dict[str, Decimal] = defaultdict(Decimal)
        for cents, countries, regions in self.repo.ad_geography(flt):
            for code in {str(c).upper() for c in countries if c}:
                line = country_ads[code]
                line[0] += 1
                line[1] += cents or 0
            if cents is None:
                continue
            for item in regions:
                share = _share(item)
                name = str(item.get("region") or "").strip() if isinstance(item, dict) else ""
                if share is not None and name:
                    region_cents[name] += share * cents
        reported: dict[str, int] = defaultdict(int)
        for s in sums:
            if s.currency == "USD":
                reported[s.country] += s.cents
        countries_out = [
            CountryLine(
                country=code,
                ads=country_ads.get(code, [0, 0])[0],
                spend_usd=usd(country_ads.get(code, [0, 0])[1]),
                reported_usd=usd(reported.get(code, 0)),
            )
            for code in {*country_ads, *reported}
        ]
        countries_out.sort(key=lambda c: (-(c.spend_usd + c.reported_usd), c.country))
        regions_out = [RegionLine(name, usd(c)) for name, c in region_cents.items()]
        regions_out.sort(key=lambda r: (-r.spend_usd, r.region))
        return countries_out, regions_out

    def _elections(self, days: int | None, country: str | None) -> list[ElectionLine]:
        """The 20 newest elections (in ``country``, if given), each with its campaign."""
        return [
            self._election_line(el, days)
            for el in self.repo.elections()[:20]
            if not country or el.country == country
        ]

    def _election_line(self, el: Election, days: int | None) -> ElectionLine:
        """The political ads delivered, and the reports covering, the ``days`` (or
        ``ELECTION_DAYS``) days up to an election, in its country."""
        start = el.date - timedelta(days=(days or ELECTION_DAYS) - 1)
        flt = AdFilter(
            start=_midnight(start),
            end=_midnight(el.date + timedelta(days=1)),
            country=el.country,
        )
        ads = cents = 0
        for _fid, s in self.repo.spend_by_funder(flt):
            ads += s.ads
            cents += s.usd_cents
        reported = sum(
            s.cents
            for s in self.repo.report_sums(country=el.country)
            if s.currency == "USD" and _report_in(s, start, el.date)
        )
        return ElectionLine(
            id=el.id or 0,
            name=el.name,
            country=el.country,
            date=el.date,
            period_start=start,
            ads=ads,
            spend_usd=usd(cents),
            reported_usd=usd(reported),
        )

    def elections(self) -> list[Election]:
        return self.repo.elections()

    # -- one funder ----------------------------------------------------------------------

    def funder_view(self, funder_id: int, *, page: int = 1) -> FunderView | None:
        funder = self.repo.funder(funder_id)
        if funder is None:
            return None
        repo = self.repo
        sums = repo.report_sums(funder_id=funder_id)
        ad_pages = dict(repo.funder_pages(funder_id))
        report_pages: dict[int, list[ReportSum]] = defaultdict(list)
        for s in sums:
            report_pages[s.page_id].append(s)
        pages = repo.pages([*ad_pages, *report_pages])
        lines = [
            PageLine(
                id=pid,
                name=p.name,
                kind=p.kind,
                ads=ad_pages.get(pid, AdSpend()).ads,
                spend_usd=usd(ad_pages.get(pid, AdSpend()).usd_cents),
                reported=sums_by_currency(report_pages.get(pid, [])),
            )
            for pid, p in pages.items()
        ]
        lines.sort(key=lambda p: (-(p.spend_usd + p.reported.get("USD", ZERO)), p.name, p.id))
        totals = repo.funder_totals(funder_id)
        ads = repo.funder_ads(funder_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        weekly, _undated = self._weekly(AdFilter(funder_id=funder_id, political_only=False), sums)
        return FunderView(
            funder=_funder_line(funder, totals, sums),
            pages=lines,
            ads=[PublicAd.of(a) for a in ads],
            ads_page=page,
            ads_pages=pages_of(totals.ads),
            weekly=weekly,
        )


# -- helpers ---------------------------------------------------------------------------------


def _funder_line(funder: Funder, spend: AdSpend, sums: Iterable[ReportSum]) -> FunderLine:
    return FunderLine(
        id=funder.id,
        name=funder.name,
        verified=funder.verified,
        ads=spend.ads,
        spend_usd=usd(spend.usd_cents),
        priced_ads=spend.priced,
        reported=sums_by_currency(sums),
    )


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time())


def _nothing(flt: AdFilter) -> AdFilter:
    """A filter no ad passes (an election in another country than the one asked for)."""
    return dataclasses.replace(flt, start=datetime(9999, 1, 1), end=datetime(1, 1, 1))


def _report_in(s: ReportSum, start: date | None, end: date | None) -> bool:
    """The report's period overlaps ``[start, end]`` (an open window takes every report)."""
    if start is None and end is None:
        return True
    span = period_span(s.period)
    if span is None:
        return False
    return (end is None or span[0] <= end) and (start is None or span[1] >= start)


def _share(item: Any) -> Decimal | None:
    if not isinstance(item, dict):
        return None
    try:
        share = Decimal(str(item.get("percentage")))
    except InvalidOperation:
        return None
    return share if share.is_finite() and 0 <= share <= 1 else None
