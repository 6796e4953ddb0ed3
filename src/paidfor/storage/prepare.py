"""Turning a domain Ad into the row the writer stores: pure work, no database.

It is the CPU-heavy half of an import (column values, JSON text, the content hash), so the
pipeline can run it in a second process while the first one writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, DateTime, Table

from paidfor.domain import Ad, Advertiser, Funder, Page
from paidfor.storage.mapping import ad_values, content_hash, dumps
from paidfor.storage.models import AdRow

ADS: Table = AdRow.__table__  # type: ignore[assignment]
# Filled in by the writer, once it knows the ids (and the import run writing the batch);
# every other column is prepared here.
ID_COLUMNS = (
    "page_id", "funder_id", "advertiser_id", "imported_at", "search_seq", "import_run_id",
)  # fmt: skip
STATIC_COLUMNS = tuple(c.name for c in ADS.columns if c.name != "id" and c.name not in ID_COLUMNS)
AD_COLUMNS = (*STATIC_COLUMNS, *ID_COLUMNS)  # the order of the upsert's parameters
JSON_COLUMNS = frozenset(c.name for c in ADS.columns if isinstance(c.type, JSON))
TIME_COLUMNS = frozenset(c.name for c in ADS.columns if isinstance(c.type, DateTime))


def page_key(page: Page) -> tuple[str, str]:
    return (page.kind, page.external_id or page.name)


def funder_key(funder: Funder) -> str:
    return funder.name[:500]


def advertiser_key(adv: Advertiser) -> tuple[str, str]:
    return (adv.source or "import", (adv.external_id or adv.name)[:200])


@dataclass(slots=True)
class PreparedAd:
    """An ad ready to store: the parameters of its STATIC_COLUMNS, in the database's forms
    (JSON as text; on SQLite times as text too), and the page, funder and advertiser whose
    ids the writer appends."""

    key: tuple[str, str]
    content_hash: str
    params: tuple[Any, ...]
    page: Page | None
    funder: Funder | None
    advertiser: Advertiser | None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as plain values (a parsing process hands its rows to the writer): the
        page as the columns the pages table keeps, the funder as its name (what the writer
        reads of them), a third of the time of pickling the dataclasses."""
        page, funder = self.page, self.funder
        return (
            _unpickle,
            (
                self.key,
                self.content_hash,
                self.params,
                None if page is None else _page_values(page),
                funder if funder is None or funder.verified or funder.id else funder.name,
                self.advertiser,
            ),
        )


def _page_values(page: Page) -> tuple[Any, ...]:
    return (page.name, page.kind, page.external_id, page.url, page.created_at, page.language,
            page.country, page.category)  # fmt: skip


def _unpickle(
    key: tuple[str, str],
    digest: str,
    params: tuple[Any, ...],
    page: tuple[Any, ...] | None,
    funder: Funder | str | None,
    advertiser: Advertiser | None,
) -> PreparedAd:
    return PreparedAd(
        key,
        digest,
        params,
        None if page is None else Page(*page),
        Funder(funder) if isinstance(funder, str) else funder,
        advertiser,
    )


# Per column, in STATIC_COLUMNS order: (stored as JSON text, a time).
_PLAN = tuple((n in JSON_COLUMNS, n in TIME_COLUMNS) for n in STATIC_COLUMNS)
_HASH_AT = STATIC_COLUMNS.index("content_hash")


def params_hash(
    params: tuple[Any, ...] | list[Any],
    page: Page | None,
    funder: Funder | None,
    advertiser: Advertiser | None,
) -> str:
    """The content hash of a row from its values: the hash of exactly what is stored (JSON
    already as text: nothing serialized twice; the hash's own column as None), plus the keys
    of the page, funder and advertiser whose ids the writer adds."""
    values = list(params)
    values[_HASH_AT] = None
    return content_hash(
        [
            values,
            page_key(page) if page else None,
            funder_key(funder) if funder else None,
            advertiser_key(advertiser) if advertiser else None,
        ]
    )


def prepare_ad(ad: Ad, dialect: str = "sqlite", *, digest: str | None = None) -> PreparedAd:
    """The row of ``ad``; its content hash ``digest`` when given (the hash of the line it was
    read from: ``ingest.native_rows``), else ``params_hash`` of its values."""
    values = ad_values(ad)
    sqlite = dialect == "sqlite"
    params: list[Any] = []
    for name, (is_json, is_time) in zip(STATIC_COLUMNS, _PLAN, strict=True):
        v = values.get(name)
        if v is not None:
            if is_json:
                v = dumps(v)
            elif is_time and sqlite:
                v = v.isoformat(sep=" ", timespec="microseconds")
        params.append(v)
    if digest is None:
        digest = params_hash(params, ad.page, ad.funder, ad.advertiser)
    params[_HASH_AT] = digest
    page = ad.page
    if page is not None:  # only what the pages table keeps travels on
        page = Page(
            name=page.name,
            kind=page.kind,
            external_id=page.external_id,
            url=page.url,
            created_at=page.created_at,
            language=page.language,
            country=page.country,
            category=page.category,
        )
    return PreparedAd(
        (ad.source, ad.external_id), digest, tuple(params), page, ad.funder, ad.advertiser
    )


@lru_cache(maxsize=16)
def upsert_sql(dialect: str, rows: int = 1) -> str:
    """INSERT ... ON CONFLICT DO UPDATE of ``rows`` whole ad rows (the same on SQLite and
    PostgreSQL but for the parameter mark), parameters in AD_COLUMNS order, row after row."""
    mark = "?" if dialect == "sqlite" else "%s"
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in AD_COLUMNS if c not in ("source", "external_id")
    )
    row = f"({', '.join([mark] * len(AD_COLUMNS))})"
    return (
        f"INSERT INTO ads ({', '.join(AD_COLUMNS)}) VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT (source, external_id) DO UPDATE SET {updates}"
    )
