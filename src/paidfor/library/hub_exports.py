"""The funder hub's tables as files, like a search's (``library.exports``): the same result as
``/funders`` and ``/api/funders`` (``HubService.funders_hub``), one table at a time, as CSV or
Parquet.

``TABLES``: ``funders`` (every funder line shown, then the ads without a "Paid for by"),
``weeks`` (spend by week), ``regions``, ``countries`` and ``elections``. Amounts are exact
decimals (US dollars) in both formats; a funder's reported spend per currency is one JSON
object (``{"USD": "1200.00"}``). CSV cells that would start a formula are written as text
(``domain.serialize.csv_text``, docs/exports.md).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import Any

from paidfor.domain.serialize import csv_text
from paidfor.library.hub_views import (
    CountryLine,
    ElectionLine,
    FunderLine,
    FundersHub,
    RegionLine,
    WeekPoint,
)

TABLES = ("funders", "weeks", "regions", "countries", "elections")


def _funder(line: FunderLine) -> dict[str, Any]:
    return {
        "funder_id": line.id,
        "funder": line.name,
        "verified": line.verified,
        "ads": line.ads,
        "priced_ads": line.priced_ads,
        "spend_usd": line.spend_usd,
        "reported": json.dumps({k: str(v) for k, v in sorted(line.reported.items())}),
    }


def hub_rows(hub: FundersHub, table: str) -> list[dict[str, Any]]:
    """The rows of one of the hub's ``TABLES``, in the order the hub shows them."""
    if table == "funders":
        return [_funder(f) for f in hub.funders] + (
            [_funder(hub.no_disclaimer)] if hub.no_disclaimer.ads else []
        )
    lines: dict[str, list[Any]] = {
        "weeks": hub.weekly,
        "regions": hub.regions,
        "countries": hub.countries,
        "elections": hub.elections,
    }
    return [asdict(line) for line in lines[table]]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return csv_text(value) if isinstance(value, str) else str(value)


def to_csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(row.get(c)) for c in columns] for row in rows)
    return out.getvalue().encode()


def columns(table: str) -> list[str]:
    """A table's columns, in order (the same whether it has rows or not)."""
    if table == "funders":
        return ["funder_id", "funder", "verified", "ads", "priced_ads", "spend_usd", "reported"]
    kind: Any = {"weeks": WeekPoint, "regions": RegionLine, "countries": CountryLine,
                 "elections": ElectionLine}[table]  # fmt: skip
    return [f.name for f in fields(kind)]


def to_parquet(rows: list[dict[str, Any]], names: list[str]) -> bytes:
    import pyarrow as pa  # here: the web app imports this module, few requests want Parquet
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows) if rows else pa.table({n: [] for n in names})
    sink = io.BytesIO()
    pq.write_table(table.select(names) if rows else table, sink, compression="zstd")
    return sink.getvalue()
