"""Bulk downloads of a library search: every result (up to ``EXPORT_CAP`` rows) as CSV or
Parquet, streamed, with the public columns of docs/exports.md and nothing else.

Rows come from ``PublicAd`` (so targeting, payment data, admins and risk never reach them)
and are read from the database a batch at a time; the Parquet file is written one row group
per batch and sent as each group is finished, so memory stays bounded whatever the size.
In CSV, list columns are JSON arrays and an empty cell is a missing value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson

from paidfor.domain.serialize import csv_text
from paidfor.library.search import LibraryQuery
from paidfor.library.store import LibraryRepository
from paidfor.library.views import PublicAd

if TYPE_CHECKING:  # pyarrow (with NumPy) is imported to write Parquet
    import pyarrow as pa

EXPORT_CAP = 1_000_000  # rows in one download; docs/exports.md
BATCH = 5_000  # rows read, and one Parquet row group, at a time

COLUMNS: dict[str, str] = {  # name: type (see ``schema``)
    "ad_id": "int64",
    "ad_url_path": "string",
    "source": "string",
    "source_ad_id": "string",
    "status": "string",
    "removal_reason": "string",
    "content_withheld": "bool",
    "ad_type": "string",
    "political": "bool",
    "created_date": "date32",
    "delivery_start_date": "date32",
    "delivery_stop_date": "date32",
    "page_id": "int64",
    "page_name": "string",
    "page_platform_id": "string",
    "page_url": "string",
    "funder_id": "int64",
    "paid_for_by": "string",
    "creative_bodies": "strings",
    "link_titles": "strings",
    "link_captions": "strings",
    "link_descriptions": "strings",
    "landing_url": "string",
    "currency": "string",
    "spend_lower": "int64",
    "spend_upper": "int64",
    "impressions_lower": "int64",
    "impressions_upper": "int64",
    "audience_lower": "int64",
    "audience_upper": "int64",
    "reached_countries": "strings",
    "platforms": "strings",
    "languages": "strings",
    "demographic_distribution": "demographic",
    "delivery_by_region": "regions",
}


@cache
def schema() -> pa.Schema:
    """The Parquet file's schema: ``COLUMNS`` as Arrow types."""
    import pyarrow as pa

    strings = pa.list_(pa.string())
    demographic = pa.list_(
        pa.struct([("age", pa.string()), ("gender", pa.string()), ("percentage", pa.float64())])
    )
    regions = pa.list_(pa.struct([("region", pa.string()), ("percentage", pa.float64())]))
    types = {
        "int64": pa.int64(),
        "string": pa.string(),
        "bool": pa.bool_(),
        "date32": pa.date32(),
        "strings": strings,
        "demographic": demographic,
        "regions": regions,
    }
    return pa.schema([(name, types[kind]) for name, kind in COLUMNS.items()])


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def export_row(ad: PublicAd) -> dict[str, Any]:
    """One row of the export: the columns of ``COLUMNS``, with Python values."""
    return {
        "ad_id": ad.id,
        "ad_url_path": f"/ads/{ad.id}",
        "source": ad.source,
        "source_ad_id": ad.source_ad_id,
        "status": ad.status,
        "removal_reason": ad.removal_reason,
        "content_withheld": ad.content_withheld,
        "ad_type": ad.ad_type,
        "political": ad.political,
        "created_date": _day(ad.created),
        "delivery_start_date": _day(ad.started),
        "delivery_stop_date": _day(ad.stopped),
        "page_id": ad.page_id,
        "page_name": ad.page_name,
        "page_platform_id": ad.page_platform_id,
        "page_url": ad.page_url,
        "funder_id": ad.funder_id,
        "paid_for_by": ad.paid_for_by,
        "creative_bodies": ad.bodies,
        "link_titles": ad.link_titles,
        "link_captions": ad.link_captions,
        "link_descriptions": ad.link_descriptions,
        "landing_url": ad.landing_url,
        "currency": ad.currency,
        "spend_lower": ad.spend_lower,
        "spend_upper": ad.spend_upper,
        "impressions_lower": ad.impressions_lower,
        "impressions_upper": ad.impressions_upper,
        "audience_lower": ad.audience_lower,
        "audience_upper": ad.audience_upper,
        "reached_countries": ad.reached_countries,
        "platforms": ad.platforms,
        "languages": ad.languages,
        "demographic_distribution": ad.demographic_distribution,
        "delivery_by_region": ad.delivery_by_region,
    }


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return orjson.dumps(value).decode()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return csv_text(value)
    return str(value)


class _Sink(io.RawIOBase):
    """A write-only file that keeps what was written until ``take`` hands it on."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self._buffer += view
        self._written += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self._written

    def take(self) -> bytes:
        out = bytes(self._buffer)
        self._buffer.clear()
        return out


class ExportService:
    def __init__(self, repo: LibraryRepository, cap: int = EXPORT_CAP) -> None:
        self.repo = repo
        self.cap = cap

    def count(self, query: LibraryQuery, now: datetime | None = None) -> tuple[int, bool]:
        """How many rows a download of ``query`` holds, and whether the cap cut it short."""
        total = self.repo.count_library(query.to_filter(now or datetime.now(UTC)))
        return min(total, self.cap), total > self.cap

    def _batches(self, query: LibraryQuery, now: datetime | None) -> Iterator[list[PublicAd]]:
        flt = query.to_filter(now or datetime.now(UTC))
        for ads in self.repo.iter_library(flt, query.sort, cap=self.cap, batch=BATCH):
            yield [PublicAd.of(a, query.unmask_removed_content) for a in ads]

    def csv(self, query: LibraryQuery, now: datetime | None = None) -> Iterator[bytes]:
        """UTF-8 CSV with a header row, every result of ``query`` in its sort order."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for batch in self._batches(query, now):
            for ad in batch:
                row = export_row(ad)
                writer.writerow([csv_cell(row[c]) for c in COLUMNS])
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
        yield out.getvalue().encode()

    def parquet(self, query: LibraryQuery, now: datetime | None = None) -> Iterator[bytes]:
        """A Parquet file (``schema()``), one row group per batch, sent as it is written."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        sink = _Sink()
        writer = pq.ParquetWriter(sink, schema(), compression="zstd")
        try:
            for batch in self._batches(query, now):
                table = pa.Table.from_pylist([export_row(ad) for ad in batch], schema=schema())
                writer.write_table(table, row_group_size=len(batch))
                yield sink.take()
        finally:
            writer.close()
        yield sink.take()
