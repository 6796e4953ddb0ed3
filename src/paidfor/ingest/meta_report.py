"""Meta Ad Library Report, advertisers table (``Page ID, Page name, Disclaimer, Amount spent
(USD), Number of ads in Library``): pages, their disclaimers as funders, and spend totals.

The country and period come from the report's file name
(``report_US_last_7_days_2023-06-01_advertisers.csv``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from paidfor.domain import Funder, Page, SpendReport
from paidfor.ingest.base import Parsed, Progress, RowError, RowRejected, Source
from paidfor.ingest.reports import period_from_name, read_report, report_amount, report_count

NAME_PATTERN = r"report_(?P<country>[A-Za-z]{2})_(?P<period>.+?)_advertisers"
COLUMNS = ("Page ID", "Page name", "Disclaimer", "Amount spent (USD)")


class MetaReport(Source):
    name: ClassVar[str] = "meta-report"
    description: ClassVar[str] = "Meta Ad Library Report, advertisers CSV"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        country, period = period_from_name(path, NAME_PATTERN, "US")
        return read_report(
            path,
            progress,
            COLUMNS,
            "an advertisers report",
            lambda row: self.parse_row(row, country, period),
        )

    @staticmethod
    def parse_row(row: dict[str, str], country: str, period: str) -> SpendReport:
        page_id = row["Page ID"].strip()
        if not (page_id.isascii() and page_id.isdigit()):
            raise RowRejected(
                f"Page ID is not numeric: {page_id!r}" if page_id else "empty Page ID"
            )
        name = row["Page name"].strip() or page_id
        amount, bound = report_amount(row["Amount spent (USD)"], "Amount spent (USD)")
        disclaimer = row["Disclaimer"].strip()
        return SpendReport(
            source="meta-report",
            period=period,
            country=country,
            page=Page(name=name, kind="page", external_id=page_id),
            funder=Funder(name=disclaimer) if disclaimer else None,
            amount=amount,
            currency="USD",
            ads_count=report_count(row.get("Number of ads in Library"), "Number of ads"),
            amount_is_upper_bound=bound,
        )
