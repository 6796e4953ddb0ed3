"""The Ad Library archive query behind ``GET /v{N}/ads_archive``: filters as the Graph API's
``ads_archive`` edge has them, keyset-paged newest id first, identical on SQLite and
PostgreSQL.

JSON list columns (``reached_countries``, ``platforms``, ``languages``) are searched with
``json_each`` on SQLite and with ``?|`` / ``jsonb_array_elements_text`` on PostgreSQL; full-text
search uses the same FTS5 table / tsvector index as ``AdRepository.search``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    column,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, array

from paidfor.domain import Ad, Funder, Page
from paidfor.domain.money import from_cents
from paidfor.library.index_query_store import IndexQuery
from paidfor.library.ranges import IMPRESSION_EDGES, SPEND_EDGES, published
from paidfor.library.views import AdFacts
from paidfor.storage.mapping import aware, row_to_ad, stored_range
from paidfor.storage.models import AdRow, FunderRow, PageRow
from paidfor.storage.repo import AdRepository
from paidfor.storage.rules import active_condition, delivered_since, public_condition, started

if TYPE_CHECKING:
    from paidfor.library.index_store import AdIndex

# Statuses the public library shows at all: an ad that is still pending review or was
# rejected never ran, and is not published.
# "Active": eligible for delivery now.


# Never read for the public library: targeting and risk explanations stay in the database
# (and what no public view shows is not read either).
_UNREAD = ("targeting", "risk_explanations", "search_text", "content_hash", "imported_at",
           "search_seq", "advertiser_id", "import_run_id")  # fmt: skip
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


def _raw(column: Any) -> Any:
    """A time column as the driver gives it, unparsed: SQLite's text, PostgreSQL's datetime
    (``_day`` takes either)."""
    return type_coerce(column, String)


# What the library's public view of an ad needs (``views.AdFacts``), and nothing else; the
# times unparsed, only their days are shown. Built once.
_PUBLIC_FACTS = (
    select(
        AdRow.id, AdRow.source, AdRow.external_id, AdRow.status, AdRow.removal_reason,
        PageRow.id, PageRow.name, PageRow.url, PageRow.external_id,
        AdRow.funder_id, FunderRow.name,
        AdRow.creative, AdRow.landing_url,
        _raw(AdRow.created_at), _raw(AdRow.stop_at), _raw(started()),
        AdRow.is_political, AdRow.ad_type, AdRow.currency,
        AdRow.spend_lower, AdRow.spend_upper, AdRow.spend_cents,
        AdRow.impressions_lower, AdRow.impressions_upper, AdRow.impressions,
        AdRow.audience_lower, AdRow.audience_upper,
        AdRow.reached_countries, AdRow.platforms, AdRow.languages,
        AdRow.demographic_distribution, AdRow.delivery_by_region,
    )
    .outerjoin(PageRow, PageRow.id == AdRow.page_id)
    .outerjoin(FunderRow, FunderRow.id == AdRow.funder_id)
    .where(AdRow.id.in_(bindparam("ids", expanding=True)))
)  # fmt: skip


def _day(moment: Any) -> str | None:
    """``YYYY-MM-DD`` of a stored time: SQLite's text starts with it."""
    if moment is None:
        return None
    return moment[:10] if isinstance(moment, str) else str(moment.date().isoformat())


def _facts(row: Any) -> AdFacts:
    """``views.facts_of`` the ad of a ``_PUBLIC_FACTS`` row, without building the ``Ad``
    (the tests hold the two equal): the page and funder only when joined, as
    ``_public_ad`` has them; the published ranges by ``library.ranges``' rules."""
    (ad_id, source, external_id, status, removal_reason, page_id, page_name, page_url,
     page_external_id, funder_id, funder_name, creative, landing_url, created, stop, began,
     is_political, ad_type, currency, spend_lower, spend_upper, spend_cents, imp_lower,
     imp_upper, impressions, aud_lower, aud_upper, countries, platforms, languages,
     demographic, regions) = row  # fmt: skip
    c = creative or {}
    has_page = page_id is not None and page_name is not None
    has_funder = funder_id is not None and funder_name is not None
    return AdFacts(
        ad_id, source, external_id, status, removal_reason,
        page_id if has_page else None, page_name if has_page else None,
        page_url if has_page else None, page_external_id if has_page else None,
        funder_id if has_funder else None, funder_name if has_funder else None,
        c.get("bodies", ()), c.get("link_titles", ()), c.get("link_captions", ()),
        c.get("link_descriptions", ()), c.get("image_hashes", ()), landing_url,
        _day(created), _day(stop), _day(began),
        is_political, ad_type, currency,
        published(stored_range(spend_lower, spend_upper), from_cents(spend_cents), SPEND_EDGES),
        published(stored_range(imp_lower, imp_upper), impressions, IMPRESSION_EDGES),
        stored_range(aud_lower, aud_upper),
        countries or (), platforms or (), languages or (), demographic or (), regions or (),
    )  # fmt: skip


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


@dataclass(frozen=True)
class ArchiveFilter:
    """What to look for. Empty tuples and ``None`` mean "no filter"."""

    now: datetime  # naive UTC, as times are stored
    reached_countries: tuple[str, ...] = ()  # any of; "ALL" or empty: every country
    ad_type: str | None = None  # None: every type
    active: bool | None = None  # True: ACTIVE, False: INACTIVE, None: ALL
    delivered_min: date | None = None  # delivered on or after this day
    delivered_max: date | None = None  # delivered on or before this day
    search_words: tuple[str, ...] = ()  # KEYWORD_UNORDERED: every word, any order
    search_phrases: tuple[tuple[str, ...], ...] = ()  # KEYWORD_EXACT_PHRASE: every phrase
    page_ids: tuple[str, ...] = ()  # the pages' public (external) ids
    bylines: tuple[str, ...] = ()  # "Paid for by" names, case-insensitive
    languages: tuple[str, ...] = ()  # any of, case-insensitive
    platforms: tuple[str, ...] = ()  # any of, case-insensitive
    regions: tuple[str, ...] = ()  # any of the ad's delivery_by_region regions
    media_type: str | None = None  # IMAGE, MEME, VIDEO, NONE; None: ALL
    audience_min: int | None = None
    audience_max: int | None = None


class ArchiveRepository(AdRepository):
    """``AdRepository`` plus the archive query. With a search ``index``
    (``library.index_store``), the archive and library searches are answered by it whenever
    it agrees with the database."""

    def __init__(self, engine: Engine, index: AdIndex | None = None) -> None:
        super().__init__(engine)
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

    def _facts_by_ids(self, conn: Connection, ids: Sequence[int]) -> list[AdFacts] | None:
        """``_ads_by_ids`` as the public view's facts (``views.AdFacts``), read from the rows
        without building an ``Ad``: what a search page shows. None when one is missing."""
        if not ids:
            self.answered_by = "index"
            return []
        found = {row[0]: row for row in conn.execute(_PUBLIC_FACTS, {"ids": list(ids)})}
        if len(found) != len(set(ids)):
            return None
        self.answered_by = "index"
        return [_facts(found[i]) for i in ids]

    def archive(
        self,
        flt: ArchiveFilter,
        *,
        before_id: int | None,
        limit: int,
        after_id: int | None = None,
    ) -> list[Ad]:
        """Up to ``limit`` matching ads with ``id < before_id`` (all when None), newest id
        first. Callers ask for one more than a page to learn whether another page follows.
        The search index answers when it agrees with the database; else the database.

        ``after_id`` instead (a page backwards, Graph's ``before`` cursor): the ``limit``
        matching ads just above it, oldest first (from the database)."""
        if after_id is not None:
            stmt = (
                select(AdRow)
                .where(*self.conditions(flt, self.engine.dialect.name), AdRow.id > after_id)
                .order_by(AdRow.id.asc())
                .limit(limit)
            )
            with self.engine.connect() as conn:
                return self._hydrate(conn.execute(stmt).all())
        if self._index_ready():
            assert self.index is not None
            with self.engine.connect() as conn:
                queries = IndexQuery(self.index)
                clauses = queries.archive_clauses(conn, flt)
                if before_id is not None:
                    clauses.append(queries.before_id(before_id))
                ids, _ = self.index.search(
                    queries.combine(clauses), order="id", offset=0, limit=limit, count=False,
                    parallel=not queries.narrow(flt),
                )  # fmt: skip
                found_ads = self._ads_by_ids(conn, ids)
            if found_ads is not None:
                return found_ads
        dialect = self.engine.dialect.name
        stmt = (
            select(AdRow)
            .where(*self.conditions(flt, dialect))
            .order_by(AdRow.id.desc())
            .limit(limit)
        )
        if before_id is not None:
            stmt = stmt.where(AdRow.id < before_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return self._hydrate(rows)

    @staticmethod
    def conditions(flt: ArchiveFilter, dialect: str) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [public_condition()]
        countries = [c for c in flt.reached_countries if c != "ALL"]
        if countries and len(countries) == len(flt.reached_countries):
            conds.append(_countries_any(countries, dialect))
        if flt.ad_type is not None:
            conds.append(AdRow.ad_type == flt.ad_type)
        if flt.active is not None:
            active = and_(
                active_condition(),
                or_(AdRow.stop_at.is_(None), AdRow.stop_at > flt.now),
            )
            conds.append(active if flt.active else not_(active))
        start = started()
        if flt.delivered_min is not None:
            day = datetime.combine(flt.delivered_min, time())
            conds.append(delivered_since(day))
        if flt.delivered_max is not None:
            after = datetime.combine(flt.delivered_max + timedelta(days=1), time())
            conds.append(and_(start.is_not(None), start < after))
        if flt.search_words:
            conds.append(_fulltext(dialect, list(flt.search_words), phrase=False, key="w"))
        for n, phrase in enumerate(flt.search_phrases):
            conds.append(_fulltext(dialect, list(phrase), phrase=True, key=f"p{n}"))
        if flt.page_ids:
            pages = select(PageRow.id).where(PageRow.external_id.in_(flt.page_ids))
            conds.append(AdRow.page_id.in_(pages))
        if flt.bylines:
            names = [b.lower() for b in flt.bylines]
            funders = select(FunderRow.id).where(func.lower(FunderRow.name).in_(names))
            conds.append(AdRow.funder_id.in_(funders))
        if flt.languages:
            conds.append(_json_any_folded(AdRow.languages, flt.languages, dialect))
        if flt.platforms:
            conds.append(_json_any_folded(AdRow.platforms, flt.platforms, dialect))
        if flt.regions:
            conds.append(_regions_any(flt.regions, dialect))
        if flt.media_type is not None:
            conds.append(_media(flt.media_type, dialect))
        if flt.audience_min is not None:
            conds.append(AdRow.audience_lower >= flt.audience_min)
        if flt.audience_max is not None:
            conds.append(AdRow.audience_upper <= flt.audience_max)
        return conds


def _countries_any(countries: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """The ad reached any of ``countries`` (exact ISO codes)."""
    if dialect == "postgresql":
        return AdRow.reached_countries.op("?|")(cast(array(list(countries)), ARRAY(Text)))
    each = func.json_each(AdRow.reached_countries).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(countries)).exists()


def _json_any_folded(column: Any, values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """The JSON list ``column`` holds any of ``values``, ignoring case."""
    fn = func.jsonb_array_elements_text if dialect == "postgresql" else func.json_each
    each = fn(column).table_valued("value")
    wanted = [v.lower() for v in values]
    return (
        select(literal(1))
        .select_from(each)
        .where(func.lower(cast(each.c.value, Text)).in_(wanted))
        .exists()
    )


def _regions_any(regions: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """Any item of ``delivery_by_region`` names one of ``regions`` (ignoring case)."""
    wanted = [r.lower() for r in regions]
    region: ColumnElement[Any]
    if dialect == "postgresql":
        each = func.jsonb_array_elements(AdRow.delivery_by_region).table_valued("value")
        region = each.c.value.op("->>")(literal("region"))
    else:
        each = func.json_each(AdRow.delivery_by_region).table_valued("value")
        region = func.json_extract(each.c.value, "$.region")
    return (
        select(literal(1))
        .select_from(each)
        .where(func.lower(cast(region, Text)).in_(wanted))
        .exists()
    )


def _media(media_type: str, dialect: str) -> ColumnElement[bool]:
    """What the creative holds: images (by hash) make it IMAGE, nothing makes it NONE. Videos
    and memes are not recorded yet, so nothing matches them."""
    if media_type not in ("IMAGE", "NONE"):
        return false()
    if dialect == "postgresql":
        hashes = AdRow.creative.op("->")(literal("image_hashes"))
        count = func.coalesce(func.jsonb_array_length(hashes), 0)
    else:
        count = func.coalesce(func.json_array_length(AdRow.creative, "$.image_hashes"), 0)
    return count > 0 if media_type == "IMAGE" else count == 0


def _fulltext(dialect: str, words: list[str], *, phrase: bool, key: str) -> ColumnElement[bool]:
    """``ads.id IN (ids whose creative text has the words / the phrase)``, through the same
    index and tokenisation as ``AdRepository.search``."""
    if not words:
        return true()
    where, params = AdRepository._fts(dialect, words, phrase)
    # its parameters renamed for this condition (a query may hold several): ":q0" -> ":fts_w_q0"
    sql = re.sub(r":(\w+)", lambda m: f":fts_{key}_{m[1]}" if m[1] in params else m[0], where)
    key_col = "rowid" if dialect == "sqlite" else "id"
    ids = text(f"SELECT {key_col} AS id {sql}").bindparams(
        *(bindparam(f"fts_{key}_{name}", value) for name, value in params.items())
    )
    return AdRow.id.in_(ids.columns(column("id", Integer)))
