"""Read-side repositories: they return domain objects, never ORM rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, bindparam, func, select, text

from paidfor.domain import Ad, Funder, Page
from paidfor.domain.money import from_cents
from paidfor.storage.mapping import aware, row_to_ad, row_to_page
from paidfor.storage.models import AdRow, FunderRow, PageRow, SpendReportRow

if TYPE_CHECKING:
    from paidfor.storage.search_index import AdIndex

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Stats:
    ads: int
    spend: dict[str, Decimal]
    spend_usd: Decimal
    impressions: int
    clicks: int
    pages: int
    funders: int
    report_rows: int

    def as_json(self) -> dict[str, Any]:
        return {
            "ads": self.ads,
            "spend": {k: float(v) for k, v in sorted(self.spend.items())},
            "spend_usd": float(self.spend_usd),
            "impressions": self.impressions,
            "clicks": self.clicks,
            "pages": self.pages,
            "funders": self.funders,
            "report_rows": self.report_rows,
        }


# Never read for the public library: targeting and risk explanations stay in the database
# (and what no public view shows is not read either).
_UNREAD = ("targeting", "risk_explanations", "search_text", "content_hash", "imported_at",
           "search_seq", "advertiser_id")  # fmt: skip
_PUBLIC_COLUMNS = [c for c in AdRow.__table__.c if c.name not in _UNREAD]
_PAGE_COLUMNS = [
    c.label(f"pg_{c.name}")
    for c in PageRow.__table__.c
    if c.name in ("id", "kind", "external_id", "name", "url", "created_at", "language",
                  "country", "category", "disabled")
]  # fmt: skip
_FUNDER_COLUMNS = [FunderRow.name.label("funder_name"), FunderRow.verified.label("funder_verified")]


# Built once (the statement is the same for every page of results; only the ids change).
_PUBLIC_ADS = (
    select(*_PUBLIC_COLUMNS, *_PAGE_COLUMNS, *_FUNDER_COLUMNS)
    .outerjoin(PageRow, PageRow.id == AdRow.page_id)
    .outerjoin(FunderRow, FunderRow.id == AdRow.funder_id)
    .where(AdRow.id.in_(bindparam("ids", expanding=True)))
)


def _public_ad(row: Any) -> Ad:
    page = None
    if row.page_id is not None and row.pg_name is not None:
        page = Page(
            id=row.page_id,
            name=row.pg_name,
            kind=row.pg_kind,
            external_id=row.pg_external_id,
            url=row.pg_url,
            created_at=aware(row.pg_created_at),
            language=row.pg_language,
            country=row.pg_country,
            category=row.pg_category,
            disabled=bool(row.pg_disabled),
        )
    funder = None
    if row.funder_id is not None and row.funder_name is not None:
        funder = Funder(id=row.funder_id, name=row.funder_name, verified=bool(row.funder_verified))
    return row_to_ad(row, page, funder, public=True)


def search_words(query: str) -> list[str]:
    """The words of a free-text query, as both backends' tokenizers see them."""
    return _WORD.findall(query.lower())


class AdRepository:
    """Reads of stored ads. With a search ``index`` (``storage.search_index``), the archive
    and library searches are answered by it whenever it agrees with the database."""

    def __init__(self, engine: Engine, index: AdIndex | None = None) -> None:
        self.engine = engine
        self.index = index
        # Which answered the last search: "index" or "database" (for logs and tests).
        self.answered_by = "database"

    def _index_ready(self) -> bool:
        self.answered_by = "database"
        return self.index is not None and self.index.ready(stale_ok=True)

    def _ads_by_ids(self, conn: Connection, ids: Sequence[int]) -> list[Ad] | None:
        """The public view of the ads ``ids`` in that order, with their pages and funders, in
        one query that never reads the private columns; None when one is missing (the index
        is ahead of this connection's view, or a row was deleted behind its back)."""
        if not ids:
            self.answered_by = "index"
            return []
        # Plain attributes: reading ~40 fields off each SQLAlchemy row cost more than the query.
        rows = conn.execute(_PUBLIC_ADS, {"ids": list(ids)})
        found = {r.id: SimpleNamespace(**r._asdict()) for r in rows}
        if len(found) != len(set(ids)):
            return None
        self.answered_by = "index"
        return [_public_ad(found[i]) for i in ids]

    def stats(self) -> Stats:
        with self.engine.connect() as conn:
            ads, usd, imps, clicks = conn.execute(
                select(
                    func.count(AdRow.id),
                    func.coalesce(func.sum(AdRow.spend_usd_cents), 0),
                    func.coalesce(func.sum(AdRow.impressions), 0),
                    func.coalesce(func.sum(AdRow.clicks), 0),
                )
            ).one()
            spend = {
                str(cur): from_cents(int(cents or 0)) or Decimal(0)
                for cur, cents in conn.execute(
                    select(AdRow.currency, func.sum(AdRow.spend_cents))
                    .where(AdRow.currency.is_not(None), AdRow.spend_cents.is_not(None))
                    .group_by(AdRow.currency)
                )
            }
            pages = conn.execute(select(func.count(PageRow.id))).scalar_one()
            funders = conn.execute(select(func.count(FunderRow.id))).scalar_one()
            reports = conn.execute(select(func.count(SpendReportRow.id))).scalar_one()
        return Stats(
            ads=int(ads or 0),
            spend=spend,
            spend_usd=from_cents(int(usd or 0)) or Decimal(0),
            impressions=int(imps or 0),
            clicks=int(clicks or 0),
            pages=int(pages),
            funders=int(funders),
            report_rows=int(reports),
        )

    def _hydrate(self, rows: Sequence[Any]) -> list[Ad]:
        page_ids = {r.page_id for r in rows if r.page_id is not None}
        funder_ids = {r.funder_id for r in rows if r.funder_id is not None}
        with self.engine.connect() as conn:
            pages = (
                {
                    p.id: row_to_page(p)
                    for p in conn.execute(select(PageRow).where(PageRow.id.in_(page_ids)))
                }
                if page_ids
                else {}
            )
            funders = (
                {
                    f.id: Funder(id=f.id, name=f.name, verified=bool(f.verified))
                    for f in conn.execute(select(FunderRow).where(FunderRow.id.in_(funder_ids)))
                }
                if funder_ids
                else {}
            )
        return [row_to_ad(r, pages.get(r.page_id), funders.get(r.funder_id)) for r in rows]

    def get(self, ad_id: int) -> Ad | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(AdRow).where(AdRow.id == ad_id)).one_or_none()
        return self._hydrate([row])[0] if row is not None else None

    def get_by_key(self, source: str, external_id: str) -> Ad | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(AdRow).where(AdRow.source == source, AdRow.external_id == external_id)
            ).one_or_none()
        return self._hydrate([row])[0] if row is not None else None

    def latest(self, limit: int = 50, offset: int = 0) -> list[Ad]:
        stmt = (
            select(AdRow)
            .order_by(AdRow.created_at.desc().nulls_last(), AdRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return self._hydrate(rows)

    @staticmethod
    def _fts(dialect: str, words: list[str], phrase: bool) -> tuple[str, dict[str, str]]:
        """``FROM ... WHERE ...`` selecting the matching ad ids as ``id``, and its parameters.

        Words are quoted for FTS5, so operators typed by a user (NEAR, *, ") are plain text.
        """
        if dialect == "sqlite":
            match = '"' + " ".join(words) + '"' if phrase else " ".join(f'"{w}"' for w in words)
            return "FROM ads_fts WHERE ads_fts MATCH :q", {"q": match}
        fn = "phraseto_tsquery" if phrase else "plainto_tsquery"
        return f"FROM ads WHERE search_tsv @@ {fn}('simple', :q)", {"q": " ".join(words)}

    def search(
        self, query: str, *, phrase: bool = False, limit: int = 50, offset: int = 0
    ) -> list[Ad]:
        """Ads whose creative text has every word of ``query`` (or the exact phrase), newest
        first."""
        words = search_words(query)
        if not words:
            return []
        with self.engine.connect() as conn:
            where, params = self._fts(conn.dialect.name, words, phrase)
            key = "rowid" if conn.dialect.name == "sqlite" else "id"
            ids = [
                r[0]
                for r in conn.execute(
                    text(f"SELECT {key} {where} ORDER BY {key} DESC LIMIT :lim OFFSET :off"),
                    {**params, "lim": limit, "off": offset},
                )
            ]
            if not ids:
                return []
            rows = conn.execute(select(AdRow).where(AdRow.id.in_(ids))).all()
        order = {i: n for n, i in enumerate(ids)}
        return self._hydrate(sorted(rows, key=lambda r: order[r.id]))

    def count_search(self, query: str, *, phrase: bool = False) -> int:
        words = search_words(query)
        if not words:
            return 0
        with self.engine.connect() as conn:
            where, params = self._fts(conn.dialect.name, words, phrase)
            return int(conn.execute(text(f"SELECT count(*) {where}"), params).scalar_one())
