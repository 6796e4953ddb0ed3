"""The Core ``Table`` of each ORM model that the batch writers use, and chunking for IN
lists (SQLite allows 32,766 bound parameters per statement)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paidfor.storage.models import (
    AdminRow,
    AdRow,
    AdvertiserRow,
    FunderRow,
    PageOwnerRow,
    PageRow,
    PaymentInstrumentRow,
    RelationshipRow,
    SpendReportRow,
)

ADS: Table = AdRow.__table__  # type: ignore[assignment]
PAGES: Table = PageRow.__table__  # type: ignore[assignment]
FUNDERS: Table = FunderRow.__table__  # type: ignore[assignment]
REPORTS: Table = SpendReportRow.__table__  # type: ignore[assignment]
ADVERTISERS: Table = AdvertiserRow.__table__  # type: ignore[assignment]
PAYMENTS: Table = PaymentInstrumentRow.__table__  # type: ignore[assignment]
ADMINS: Table = AdminRow.__table__  # type: ignore[assignment]
PAGE_OWNERS: Table = PageOwnerRow.__table__  # type: ignore[assignment]
RELATIONSHIPS: Table = RelationshipRow.__table__  # type: ignore[assignment]

IN_CHUNK = 5000  # ids per IN list, well below SQLite's parameter limit


def dialect_insert(conn: Connection, table: Table) -> Any:
    """An INSERT with the dialect's ``on_conflict_do_nothing`` / ``do_update``."""
    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def marked_columns(key: str) -> list[tuple[str, str, Any]]:
    """(table, column, mark) for every column of the schema whose ``info`` carries ``key``
    (``"personal"``: the disclosure policy's categories)."""
    from paidfor.storage.models import Base

    return [
        (table.name, column.name, column.info[key])
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if key in column.info
    ]
