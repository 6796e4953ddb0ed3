"""Read-side repositories: they return domain objects, never ORM rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, text

from paidfor.domain import Ad, Funder
from paidfor.domain.money import from_cents
from paidfor.storage.bulk import PG_SEARCH_VECTOR, pg_search_phrase
from paidfor.storage.import_runs import source_files
from paidfor.storage.mapping import row_to_ad, row_to_page
from paidfor.storage.models import AdRow, FunderRow, PageRow, SpendReportRow

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


def search_words(query: str) -> list[str]:
    """The words of a free-text query, as both backends' tokenizers see them."""
    return _WORD.findall(query.lower())


class AdRepository:
    """Reads of stored ads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        files = source_files(self.engine, (r.import_run_id for r in rows if r.import_run_id))
        return [
            row_to_ad(
                r,
                pages.get(r.page_id),
                funders.get(r.funder_id),
                source_file=files.get(r.import_run_id) if r.import_run_id else None,
            )
            for r in rows
        ]

    def get(self, ad_id: int) -> Ad | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(AdRow).where(AdRow.id == ad_id)).one_or_none()
        return self._hydrate([row])[0] if row is not None else None

    def get_many(self, ad_ids: Sequence[int]) -> dict[int, Ad]:
        """Those of ``ad_ids`` that exist, by id: one query for the ads and one each for their
        pages, funders and source files, however many are asked for (a page of cards)."""
        if not ad_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(AdRow).where(AdRow.id.in_(set(ad_ids)))).all()
        return {int(ad.id): ad for ad in self._hydrate(rows) if ad.id is not None}

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
        # the indexed expression verbatim, or the planner would not use ix_ads_search_tsv;
        # every word (a phrase of its parts), or the words as one phrase
        parts = [" ".join(words)] if phrase else list(words)
        query = " && ".join(pg_search_phrase(f"q{i}") for i in range(len(parts)))
        return (
            f"FROM ads WHERE {PG_SEARCH_VECTOR} @@ ({query})",
            {f"q{i}": part for i, part in enumerate(parts)},
        )

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
