"""The public Ad Library query: every filter of the library's search page, three sort
orders and offset paging, identical on SQLite and PostgreSQL.

``LibraryRepository.search_library`` (one page and the total) and ``iter_library`` (every
result, streamed in batches, for the bulk downloads) are the whole search surface: callers
never build SQL, so the engine under them (today the database's own FTS5 / tsvector index)
can be swapped for a dedicated search index without touching them. The filter conditions are
``ArchiveRepository.conditions`` (the ``ads_archive`` API's) plus the few the library adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import ColumnElement, Connection, bindparam, case, func, null, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table

from paidfor.domain import Ad, AdStatus, Funder
from paidfor.domain.money import from_cents
from paidfor.library.archive_store import ArchiveFilter, ArchiveRepository
from paidfor.library.index_query_store import IndexQuery
from paidfor.library.ranges import ORDER_DOLLARS, SPEND_EDGES
from paidfor.library.views import AdFacts, facts_of
from paidfor.storage.models import AdImageRow, AdRow, FunderRow, PageRow
from paidfor.storage.rules import political_condition, public_condition, started

if TYPE_CHECKING:
    from paidfor.library.index_store import AdIndex

Sort = Literal["newest", "spend", "impressions"]
Removed = Literal["include", "exclude", "only"]
T = TypeVar("T")


@dataclass(frozen=True)
class LibraryFilter:
    """The ``ads_archive`` filters plus the library's own. Empty tuples mean "no filter"."""

    archive: ArchiveFilter
    page_ids: tuple[int, ...] = ()  # our page ids (the ``/pages/{id}`` pages), any of
    funder_ids: tuple[int, ...] = ()  # our funder ids (the ``/funders/{id}`` pages), any of
    political_only: bool = False
    removed: Removed = "include"


@dataclass(frozen=True)
class FunderSpend:
    """A funder's ads that started in a window, and their spend in US dollars."""

    funder: Funder | None  # None: ads with no "Paid for by" disclaimer
    ads: int
    spend_usd: Decimal


def spend_order_sql() -> ColumnElement[int]:
    """``library.ranges.spend_order`` of each row, as SQL (integer arithmetic, the same on
    SQLite and PostgreSQL): the published range's lower bound (the source's, else the bucket
    of the exact spend) coded by ``lower_code``, then the exact dollars inside it."""
    lower = func.coalesce(
        AdRow.spend_lower,
        case(
            *[(AdRow.spend_cents >= edge * 100, edge) for edge in reversed(SPEND_EDGES[1:])],
            (AdRow.spend_cents.is_not(None), SPEND_EDGES[0]),
            else_=null(),
        ),
    )
    code = case(
        *[
            (lower >= 10 ** (e + 1), 100 + 90 * e + lower // 10**e - 10)
            for e in reversed(range(1, 18))
        ],
        (lower >= 10, 100 + lower - 10),
        (lower >= 0, 1 + lower),
        (lower.is_not(None), 1),
        else_=null(),
    )
    cents = func.coalesce(AdRow.spend_usd_cents, 0)
    dollars = case(
        (cents >= (ORDER_DOLLARS + 1) * 100, ORDER_DOLLARS),
        (cents < 0, 0),
        else_=cents // 100,
    )
    return code * 1048576 + dollars


def _order(sort: Sort) -> list[Any]:
    first: Any
    if sort == "spend":
        first = spend_order_sql().desc().nulls_last()
    elif sort == "impressions":
        first = func.coalesce(AdRow.impressions, AdRow.impressions_lower).desc().nulls_last()
    else:
        first = AdRow.created_at.desc().nulls_last()
    return [first, AdRow.id.desc()]


def _dollars(cents: Any) -> Decimal:
    return from_cents(int(cents or 0)) or Decimal("0.00")


#: Names matching a search's words whose public ads are counted (``advertisers_named``).
NAME_CANDIDATES = 50


def _names_like(table: Any, *, fold: bool) -> Any:
    """The first ``NAME_CANDIDATES`` ids and names of ``table`` whose name is like
    ``:pattern`` (lower-case, escaped with ``/``). ``fold``: the name lower-cased first
    (PostgreSQL's LIKE heeds case; its index of trigrams, migration 0020, is over
    ``lower(name)``). SQLite's LIKE ignores the case of ASCII letters, and its ``lower`` folds
    those only, so there it is the same test without lower-casing every name."""
    name = func.lower(table.name) if fold else table.name
    return (
        select(table.id, table.name)
        .where(name.like(bindparam("pattern"), escape="/"))
        .order_by(table.id)
        .limit(NAME_CANDIDATES)
    )


def _names_by_trigrams(table: Any) -> Any:
    """``_names_like`` on SQLite through the table's FTS5 index of trigrams (migration
    0020): the rows whose name is like ``:loose`` (the text with its ``%`` and ``_`` left as
    wildcards, which SQLite answers from the index when the text holds three characters in a
    row that are neither) and, of those, like the escaped ``:pattern``. SQLite checks each
    ``LIKE`` itself on the rows the index finds: the same names as the scan."""
    fts = sql_table(f"{table.__tablename__}_name_fts", sql_column("rowid"), sql_column("name"))
    return (
        select(fts.c.rowid, fts.c.name)
        .where(
            fts.c.name.like(bindparam("loose")),
            fts.c.name.like(bindparam("pattern"), escape="/"),
        )
        .order_by(fts.c.rowid)
        .limit(NAME_CANDIDATES)
    )


# Built once, by kind. How names are found: "scan" (SQLite), "fold" (PostgreSQL, whose
# planner takes its trigram index itself), "trigrams" (SQLite's FTS5 trigram tables).
_KINDS = {"page": (PageRow, AdRow.page_id), "funder": (FunderRow, AdRow.funder_id)}
_NAMES = {
    "scan": {kind: _names_like(table, fold=False) for kind, (table, _) in _KINDS.items()},
    "fold": {kind: _names_like(table, fold=True) for kind, (table, _) in _KINDS.items()},
    "trigrams": {kind: _names_by_trigrams(table) for kind, (table, _) in _KINDS.items()},
}
# The public ads of each of ``:ids`` (pages or funders), counted by the database.
_COUNTED: dict[str, Any] = {
    kind: select(column, func.count(AdRow.id))
    .where(column.in_(bindparam("ids", expanding=True)), public_condition())
    .group_by(column)
    for kind, (_, column) in _KINDS.items()
}
#: Three characters in a row, none a wildcard of LIKE: what a trigram index can look up.
_TRIGRAM = re.compile(r"[^%_]{3}")


class LibraryRepository(ArchiveRepository):
    """``ArchiveRepository`` plus the library's search, exports and home-page figures."""

    _has_trigrams: bool | None = None  # the names' trigram tables (SQLite; ``_trigram_tables``)

    def public_image(self, ad_id: int, image_hash: str) -> tuple[str, bytes] | None:
        """The content type and bytes of an image an ad the library shows names (its
        ``image_hashes``, uploaded by its advertiser); None for an ad not public (pending,
        rejected), an image it does not name, or one another account uploaded."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(AdRow.creative, AdImageRow.content_type, AdImageRow.data)
                .join(AdImageRow, AdImageRow.advertiser_id == AdRow.advertiser_id)
                .where(AdRow.id == ad_id, public_condition(), AdImageRow.hash == image_hash)
            ).first()
        if row is None or image_hash not in ((row.creative or {}).get("image_hashes") or []):
            return None
        return str(row.content_type), bytes(row.data)

    def advertisers_named(self, text: str, limit: int = 5) -> list[tuple[str, int, str, int]]:
        """Pages and funders whose name holds ``text`` (case-insensitive), among those with
        ads the library shows: (``"page"`` or ``"funder"``, id, name, public ads), most ads
        first. What the search box offers above the ads ("Woke Blacks" is a page). It runs on
        every first page of a search, so ads are counted only for the first
        ``NAME_CANDIDATES`` names that match (a one-letter query matches most of them), by
        the search index when it is in use (a term's count: counting them in the database
        read every ad of fifty pages, 16 ms at 100,000 ads for "vote"). The names are found
        through an index of their trigrams (migration 0020): scanning them all took 7-8 ms at
        1,000,000 ads."""
        index = self.index if self._index_ready() else None
        with self.engine.connect() as conn:
            return self._named_in(conn, text, index, limit)

    def _named_in(
        self, conn: Connection, text: str, index: AdIndex | None, limit: int = 5
    ) -> list[tuple[str, int, str, int]]:
        """``advertisers_named`` on ``conn``, the ads counted by ``index`` (None: by the
        database)."""
        needle = text.strip().lower()
        if not needle:
            return []
        out: list[tuple[str, int, str, int]] = []
        for kind in ("page", "funder"):
            names = self.names_holding(conn, kind, needle)
            if not names:
                continue
            if index is not None:
                counts = index.term_counts(kind, list(names))
                found = [(i, names[i], c) for i, c in counts.items() if c > 0]
            else:
                found = [
                    (int(i), names[int(i)], int(c))
                    for i, c in conn.execute(_COUNTED[kind], {"ids": list(names)})
                ]
            found.sort(key=lambda r: (-r[2], r[0]))
            out.extend((kind, i, n, c) for i, n, c in found[:limit])
        return sorted(out, key=lambda r: (-r[3], r[0], r[1]))[:limit]

    def names_holding(
        self, conn: Connection, kind: str, needle: str, *, trigrams: bool = True
    ) -> dict[int, str]:
        """The first ``NAME_CANDIDATES`` pages or funders (``kind``) by id whose name holds
        ``needle`` (lower-case; ``%``, ``_`` and ``/`` are plain characters), id -> name. On
        SQLite through the trigram index when ``needle`` holds three characters in a row that
        are not LIKE's wildcards (``trigrams`` False: always by a scan, what the index must
        agree with); PostgreSQL's planner picks its trigram index itself."""
        pattern = "%" + needle.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        if self.engine.dialect.name != "sqlite":
            way = "fold"
        elif trigrams and _TRIGRAM.search(needle) is not None and self._trigram_tables(conn):
            way = "trigrams"
        else:
            way = "scan"
        params = {"pattern": pattern, "loose": f"%{needle}%"}
        return {int(i): str(n) for i, n in conn.execute(_NAMES[way][kind], params)}

    def _trigram_tables(self, conn: Connection) -> bool:
        """Whether this SQLite database has the names' trigram tables (migration 0020 makes
        them where SQLite has the tokenizer, 3.34 and later); read once."""
        if self._has_trigrams is None:
            found = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                "('pages_name_fts', 'funders_name_fts')"
            ).scalar()
            self._has_trigrams = found == 2
        return self._has_trigrams

    @classmethod
    def library_conditions(cls, flt: LibraryFilter, dialect: str) -> list[ColumnElement[bool]]:
        conds = cls.conditions(flt.archive, dialect)
        if flt.page_ids:
            conds.append(AdRow.page_id.in_(flt.page_ids))
        if flt.funder_ids:
            conds.append(AdRow.funder_id.in_(flt.funder_ids))
        if flt.political_only:
            conds.append(political_condition())
        if flt.removed == "exclude":
            conds.append(AdRow.status != str(AdStatus.REMOVED))
        elif flt.removed == "only":
            conds.append(AdRow.status == str(AdStatus.REMOVED))
        return conds

    def search_library(
        self, flt: LibraryFilter, sort: Sort, offset: int, limit: int
    ) -> tuple[list[Ad], int]:
        """One page of matching ads in ``sort`` order, and how many match in all.

        ``newest``: creation time, newest first; ``spend``: exact spend in US dollars, highest
        first; ``impressions``: exact impressions (else the lower bound of the published
        range), highest first. Ads without the value come last; ties go newest id first.
        """
        if self._index_ready():
            assert self.index is not None
            with self.engine.connect() as conn:
                read = self._ads_by_ids
                found = self._by_index_in(conn, self.index, flt, sort, offset, limit, read)
            if found is not None:
                return found
        return self._by_database(flt, sort, offset, limit)

    def search_page(
        self, flt: LibraryFilter, sort: Sort, offset: int, limit: int, names: str = ""
    ) -> tuple[list[AdFacts], int, list[tuple[str, int, str, int]]]:
        """``search_library`` as the public view's facts (``views.AdFacts``: read from the
        index's rows without building an ``Ad`` for each, about half the CPU of a funder's or
        a page's 25 ads), and the pages and funders named like ``names``
        (``advertisers_named``; none when it is empty): what the library's search page
        shows, with the index's freshness checked once and one connection for both."""
        index = self.index if self._index_ready() else None
        by_index: tuple[list[AdFacts], int] | None = None
        with self.engine.connect() as conn:
            if index is not None:
                read = self._facts_by_ids
                by_index = self._by_index_in(conn, index, flt, sort, offset, limit, read)
            named = self._named_in(conn, names, index) if names else []
        if by_index is not None:
            return by_index[0], by_index[1], named
        ads, total = self._by_database(flt, sort, offset, limit)
        return [facts_of(a) for a in ads], total, named

    @staticmethod
    def _by_index_in(
        conn: Connection,
        index: AdIndex,
        flt: LibraryFilter,
        sort: Sort,
        offset: int,
        limit: int,
        read: Callable[[Connection, Sequence[int]], list[T] | None],
    ) -> tuple[list[T], int] | None:
        """One page by the ready search ``index``, each ad ``read`` from the database on
        ``conn``; None when the index cannot answer (ahead of this connection's view)."""
        queries = IndexQuery(index)
        query = queries.combine(queries.library_clauses(conn, flt))
        ids, found = index.search(
            query, order=sort, offset=offset, limit=limit, parallel=not queries.narrow(flt)
        )
        found_ads = read(conn, ids)
        if found_ads is None or found is None:
            return None
        return found_ads, found

    def _by_database(
        self, flt: LibraryFilter, sort: Sort, offset: int, limit: int
    ) -> tuple[list[Ad], int]:
        conds = self.library_conditions(flt, self.engine.dialect.name)
        stmt = select(AdRow).where(*conds).order_by(*_order(sort)).offset(offset).limit(limit)
        count = select(func.count()).select_from(AdRow).where(*conds)
        with self.engine.connect() as conn:
            total = int(conn.execute(count).scalar_one())
            rows = conn.execute(stmt).all() if offset < total else []
        return self._hydrate(rows), total

    def count_library(self, flt: LibraryFilter) -> int:
        if self._index_ready():
            assert self.index is not None
            with self.engine.connect() as conn:
                queries = IndexQuery(self.index)
                query = queries.combine(queries.library_clauses(conn, flt))
            _, found = self.index.search(
                query, order="newest", offset=0, limit=1, parallel=not queries.narrow(flt)
            )
            if found is not None:
                self.answered_by = "index"
                return found
        conds = self.library_conditions(flt, self.engine.dialect.name)
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(AdRow).where(*conds)).scalar_one()
            )

    def iter_library(
        self, flt: LibraryFilter, sort: Sort, *, cap: int, batch: int = 5000
    ) -> Iterator[list[Ad]]:
        """The first ``cap`` matching ads in ``sort`` order, ``batch`` at a time, read through
        one streaming cursor (a server-side cursor on PostgreSQL), so memory stays bounded."""
        conds = self.library_conditions(flt, self.engine.dialect.name)
        stmt = select(AdRow).where(*conds).order_by(*_order(sort)).limit(cap)
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
            for rows in result.partitions(batch):
                yield self._hydrate(rows)

    def newest_start(self) -> datetime | None:
        """When the most recent public ad started (or was created), naive UTC."""
        stmt = select(func.max(started())).where(public_condition())
        with self.engine.connect() as conn:
            value = conn.execute(stmt).scalar_one()
        if isinstance(value, str):  # SQLite returns max() of a datetime expression as text
            value = datetime.fromisoformat(value)
        return value

    def top_funders(
        self, start: datetime, end: datetime, *, limit: int, political_only: bool = True
    ) -> tuple[list[FunderSpend], FunderSpend]:
        """The ``limit`` funders whose public ads that started in ``[start, end)`` spent the
        most (exact spend in US dollars; ties: more ads, then lower id), and the same figures
        for the ads in the window that carry no "Paid for by" disclaimer."""
        began = started()
        window = [
            public_condition(),
            began >= start,
            began < end,
        ]
        if political_only:
            window.append(political_condition())
        spend = func.coalesce(func.sum(AdRow.spend_usd_cents), 0)
        ranked = (
            select(FunderRow.id, FunderRow.name, FunderRow.verified, func.count(AdRow.id), spend)
            .join(AdRow, AdRow.funder_id == FunderRow.id)
            .where(*window)
            .group_by(FunderRow.id, FunderRow.name, FunderRow.verified)
            .order_by(spend.desc(), func.count(AdRow.id).desc(), FunderRow.id)
            .limit(limit)
        )
        undisclosed = select(func.count(AdRow.id), spend).where(*window, AdRow.funder_id.is_(None))
        with self.engine.connect() as conn:
            top = [
                FunderSpend(
                    Funder(id=fid, name=name, verified=bool(verified)),
                    int(n),
                    _dollars(cents),
                )
                for fid, name, verified, n, cents in conn.execute(ranked)
            ]
            n, cents = conn.execute(undisclosed).one()
        return top, FunderSpend(None, int(n or 0), _dollars(cents))
