"""Google's political ads transparency report, advertiser stats CSV (``Advertiser_ID,
Advertiser_Name, Public_IDs_List, Total_Creatives, Total_Spend_USD``, optional ``Race Type``).

Each Google advertiser becomes a page of kind ``google_advertiser`` and, being a verified
election advertiser, its own funder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from paidfor.domain import Funder, Page, SpendReport
from paidfor.ingest.base import Parsed, Progress, RowError, RowRejected, Source
from paidfor.ingest.reports import period_from_name, read_report, report_amount, report_count

NAME_PATTERN = r"advertiser_stats_?(?P<period>\d{4}-\d{2}(?:-\d{2})?)(?P<country>)"
COLUMNS = ("Advertiser_ID", "Advertiser_Name", "Total_Spend_USD")


class GoogleReport(Source):
    name: ClassVar[str] = "google-report"
    description: ClassVar[str] = "Google political ads transparency report, advertiser stats CSV"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        _, period = period_from_name(path, NAME_PATTERN, "US")
        return read_report(
            path,
            progress,
            COLUMNS,
            "an advertiser-stats file",
            lambda row: self.parse_row(row, period),
        )

    @staticmethod
    def parse_row(row: dict[str, str], period: str) -> SpendReport:
        adv_id = row["Advertiser_ID"].strip()
        if not adv_id:
            raise RowRejected("empty Advertiser_ID")
        name = row["Advertiser_Name"].strip() or adv_id
        amount, bound = report_amount(row["Total_Spend_USD"], "Total_Spend_USD")
        extra: dict[str, Any] = {
            k: row[k].strip()
            for k in ("Public_IDs_List", "Race Type")
            if k in row and row[k].strip()
        }
        return SpendReport(
            source="google-report",
            period=period,
            country="US",
            page=Page(name=name, kind="google_advertiser", external_id=adv_id),
            funder=Funder(name=name, verified=True),
            amount=amount,
            currency="USD",
            ads_count=report_count(row.get("Total_Creatives"), "Total_Creatives"),
            amount_is_upper_bound=bound,
            extra=extra,
        )
