"""Batched, idempotent writes for the import pipeline.

A batch is one transaction: its pages, funders, ads and report rows land together or not at
all. Every row is keyed by its source (``ads.source, ads.external_id``; pages by kind and
external id; funders by name), and a content hash decides whether a known row changed, so an
import run twice writes nothing the second time and a run killed half-way is completed by
running it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Engine, select, tuple_

from paidfor.domain import Ad, Advertiser, Funder, Page, SpendReport
from paidfor.domain.world import EntityRecord
from paidfor.storage.changes import next_search_seq
from paidfor.storage.entity_writer import write_entities
from paidfor.storage.mapping import content_hash, report_values, utc_naive
from paidfor.storage.prepare import (
    AD_COLUMNS,
    PreparedAd,
    advertiser_key,
    funder_key,
    page_key,
    params_hash,
    prepare_ad,
    upsert_sql,
)
from paidfor.storage.tables import (
    ADVERTISERS,
    FUNDERS,
    PAGES,
    PAYMENTS,
    REPORTS,
    chunks,
    dialect_insert,
)

# Ads per multi-row upsert on SQLite. FTS5 flushes its pending terms at every statement's
# savepoint, so the index trigger written row by row (executemany) made a one-row segment per
# ad and cost four times the rest of the insert; a few hundred rows a statement avoids that.
_SQLITE_ROWS = min(400, 32000 // len(AD_COLUMNS))


_MARK = {"sqlite": "?", "postgresql": "%s"}  # each driver's parameter mark
_RESTAMP = {
    d: f"UPDATE ads SET content_hash = {m} WHERE source = {m} AND external_id = {m}"
    for d, m in _MARK.items()
}


def stored_hashes(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The stored content hash of each of ``keys`` (source, external_id) that is stored."""
    # By source, then ``external_id IN (...)``: a plain probe of the unique index, where a
    # row-value IN list cost SQLite a third of the batch. On the driver's own cursor: with the
    # expanding IN list compiled anew each call and the rows read through SQLAlchemy's
    # results, looking up 100,000 keys (a re-import's) took 0.31-0.47 s of CPU, 0.18-0.20 here.
    by_source: dict[str, list[str]] = {}
    for src, ext in keys:
        by_source.setdefault(src, []).append(ext)
    existing: dict[tuple[str, str], str] = {}
    mark = _MARK[conn.dialect.name]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for src, ids in by_source.items():
            for chunk in chunks(ids):
                marks = ", ".join([mark] * len(chunk))
                cursor.execute(
                    "SELECT external_id, content_hash FROM ads "
                    f"WHERE source = {mark} AND external_id IN ({marks})",
                    (src, *chunk),
                )
                for ext, h in cursor.fetchall():
                    existing[(src, ext)] = h
    finally:
        cursor.close()
    return existing


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: WriteCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


def _copy_insert(conn: Connection, params: list[tuple[Any, ...]]) -> bool:
    """PostgreSQL: COPY rows known new straight into ``ads``, in a savepoint; False, with
    nothing written, when one was there after all (only a concurrent writer can have put it
    there since this transaction looked: the caller upserts them instead).

    No temporary table, no second copy of each row and no INSERT ... SELECT: the server
    writes each row once, while the client is still sending the next ones."""
    from psycopg.errors import UniqueViolation

    savepoint = conn.begin_nested()
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY ads ({', '.join(AD_COLUMNS)}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
    except UniqueViolation:
        savepoint.rollback()
        return False
    finally:
        cursor.close()
    savepoint.commit()
    return True


def _copy_upsert(conn: Connection, params: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT ... SELECT ... ON
    CONFLICT DO UPDATE (1.6 times the rate of executemany, same result)."""
    cols = ", ".join(AD_COLUMNS)
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in AD_COLUMNS if c not in ("source", "external_id")
    )
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "CREATE TEMPORARY TABLE ads_stage ON COMMIT DROP AS "
            f"SELECT {cols} FROM ads WITH NO DATA"
        )
        with cursor.copy(f"COPY ads_stage ({cols}) FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO ads ({cols}) SELECT {cols} FROM ads_stage "
            f"ON CONFLICT (source, external_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE ads_stage")
    finally:
        cursor.close()


@dataclass
class BatchWriter:
    """Writes batches for one import run; caches page and funder ids between batches."""

    engine: Engine
    dry_run: bool = False
    # The table held no ad when the run began (a first load): an ad whose key this run has
    # not written is new without looking it up. ``_written`` holds the keys' hashes (a
    # collision only costs a look-up).
    fresh: bool = False
    # The import run (``storage.import_runs``) whose file the batches come from: every ad
    # written (new or changed) names it; an unchanged one keeps the run that wrote it.
    run_id: int | None = None
    _written: set[int] = field(default_factory=set)
    _pages: dict[tuple[str, str], int] = field(default_factory=dict)
    _funders: dict[str, int] = field(default_factory=dict)
    _advertisers: dict[tuple[str, str], int] = field(default_factory=dict)

    @staticmethod
    def _sqlite(conn: Connection) -> bool:
        return conn.dialect.name == "sqlite"

    def write(
        self,
        ads: Sequence[Ad | PreparedAd],
        reports: Sequence[SpendReport] = (),
        entities: Sequence[EntityRecord] = (),
    ) -> WriteCounts:
        """Write one batch in one transaction (``ads`` raw or already prepared); a world's
        admins, accounts and pages (``entities``) first."""
        dialect = self.engine.dialect.name
        prepared = [a if isinstance(a, PreparedAd) else prepare_ad(a, dialect) for a in ads]
        counts = WriteCounts()
        if self.dry_run:
            with self.engine.connect() as conn:
                counts.add(self._classify_ads(conn, prepared)[0])
            counts.inserted += len(reports) + len(entities)  # a dry run only validates them
            return counts
        try:
            with self.engine.begin() as conn:
                if entities:
                    inserted, updated, unchanged = write_entities(conn, entities)
                    counts.add(WriteCounts(inserted, updated, unchanged))
                pages = [a.page for a in prepared if a.page] + [r.page for r in reports]
                funders = [a.funder for a in prepared if a.funder] + [
                    r.funder for r in reports if r.funder
                ]
                self._ensure_pages(conn, pages)
                self._ensure_funders(conn, funders)
                self._ensure_advertisers(conn, [a.advertiser for a in prepared if a.advertiser])
                counts.add(self._write_ads(conn, prepared))
                counts.add(self._write_reports(conn, reports))
        except BaseException:
            # Ids cached during a rolled-back batch may not exist: forget them all; keys of
            # its ads may have been written before it, so look every key up from now on.
            self.fresh = False
            self._pages.clear()
            self._funders.clear()
            self._advertisers.clear()
            raise
        return counts

    # -- pages and funders -------------------------------------------------------------------

    def _ensure_pages(self, conn: Connection, pages: Iterable[Page]) -> None:
        new: dict[tuple[str, str], Page] = {}
        for page in pages:
            key = page_key(page)
            if key not in self._pages:
                new.setdefault(key, page)
        if not new:
            return
        rows = [
            {
                "kind": k[0],
                "external_id": k[1],
                "name": p.name[:500],
                "url": p.url,
                "created_at": utc_naive(p.created_at),
                "language": p.language,
                "country": p.country,
                "category": p.category,
                "disabled": False,
            }
            for k, p in new.items()
        ]
        stmt = dialect_insert(conn, PAGES)
        stmt = stmt.on_conflict_do_nothing(index_elements=["kind", "external_id"])
        conn.execute(stmt, rows)
        keys = list(new)
        for chunk in chunks(keys):
            found = conn.execute(
                select(PAGES.c.id, PAGES.c.kind, PAGES.c.external_id).where(
                    tuple_(PAGES.c.kind, PAGES.c.external_id).in_(chunk)
                )
            )
            for pid, kind, ext in found:
                self._pages[(kind, ext)] = pid

    def _ensure_funders(self, conn: Connection, funders: Iterable[Funder]) -> None:
        names = sorted({funder_key(f) for f in funders if funder_key(f) not in self._funders})
        if not names:
            return
        stmt = dialect_insert(conn, FUNDERS).on_conflict_do_nothing(index_elements=["name"])
        conn.execute(stmt, [{"name": n, "verified": False} for n in names])
        for chunk in chunks(names):
            for fid, name in conn.execute(
                select(FUNDERS.c.id, FUNDERS.c.name).where(FUNDERS.c.name.in_(chunk))
            ):
                self._funders[name] = fid

    def _ensure_advertisers(self, conn: Connection, advertisers: Iterable[Advertiser]) -> None:
        """Advertisers by (source, external id or name), with their payment instruments."""
        new: dict[tuple[str, str], Advertiser] = {}
        for adv in advertisers:
            key = advertiser_key(adv)
            if key not in self._advertisers:
                new.setdefault(key, adv)
        if not new:
            return
        stmt = dialect_insert(conn, ADVERTISERS).on_conflict_do_nothing(
            index_elements=["source", "external_id"]
        )
        conn.execute(
            stmt,
            [
                {
                    "source": k[0],
                    "external_id": k[1],
                    "name": a.name[:500],
                    "country": a.country,
                    "created_at": utc_naive(a.created_at),
                    "disabled": False,
                }
                for k, a in new.items()
            ],
        )
        keys = list(new)
        for chunk in chunks(keys):
            found = conn.execute(
                select(ADVERTISERS.c.id, ADVERTISERS.c.source, ADVERTISERS.c.external_id).where(
                    tuple_(ADVERTISERS.c.source, ADVERTISERS.c.external_id).in_(chunk)
                )
            )
            for aid, src, ext in found:
                self._advertisers[(src, ext)] = aid
        ids = [self._advertisers[k] for k in keys]
        have = {
            (r.advertiser_id, r.currency, r.billing_country, r.card_fingerprint)
            for chunk in chunks(ids)
            for r in conn.execute(select(PAYMENTS).where(PAYMENTS.c.advertiser_id.in_(chunk)))
        }
        rows = []
        for key, adv in new.items():
            for p in adv.payment_instruments:
                ident = (self._advertisers[key], p.currency, p.billing_country, p.card_fingerprint)
                if ident not in have:
                    have.add(ident)
                    rows.append(
                        dict(
                            zip(
                                (
                                    "advertiser_id",
                                    "currency",
                                    "billing_country",
                                    "card_fingerprint",
                                ),
                                ident,
                                strict=True,
                            )
                        )
                    )
        if rows:
            conn.execute(PAYMENTS.insert(), rows)

    # -- ads -----------------------------------------------------------------------------------

    def _classify_ads(
        self, conn: Connection, ads: Sequence[PreparedAd]
    ) -> tuple[WriteCounts, list[PreparedAd]]:
        """How many ads are new, changed or unchanged, and the ones to write: the new ones
        (``counts.inserted`` of them) first."""
        # The last occurrence of a key in a batch wins, as it would across batches.
        by_key = {ad.key: ad for ad in ads}
        written = self._written
        probe = [k for k in by_key if hash(k) in written] if self.fresh else list(by_key)
        existing = stored_hashes(conn, probe) if probe else {}
        if self.fresh and not self.dry_run:
            written.update(hash(k) for k in by_key)
        counts = WriteCounts(unchanged=len(ads) - len(by_key))
        todo = []
        changed = []
        restamp: list[tuple[str, str, str]] = []
        for key, ad in by_key.items():
            old = existing.get(key)
            if old is None:
                counts.inserted += 1
                todo.append(ad)
            elif old == ad.content_hash:
                counts.unchanged += 1
            elif old == params_hash(ad.params, ad.page, ad.funder, ad.advertiser):
                # stored by a version that hashed the values, not the line: the same ad;
                # its hash becomes the line's, so the next import skips the line unread
                counts.unchanged += 1
                restamp.append((ad.content_hash, *key))
            else:
                counts.updated += 1
                changed.append(ad)
        if restamp and not self.dry_run:
            conn.exec_driver_sql(_RESTAMP[conn.dialect.name], restamp)
        return counts, todo + changed

    def _write_ads(self, conn: Connection, ads: Sequence[PreparedAd]) -> WriteCounts:
        if not ads:
            return WriteCounts()
        counts, todo = self._classify_ads(conn, ads)
        if not todo:
            return counts
        now = datetime.now(UTC).replace(tzinfo=None)
        stamp = now.isoformat(sep=" ", timespec="microseconds") if self._sqlite(conn) else now
        seq = next_search_seq(conn)
        run_id = self.run_id
        pages, funders, advertisers = self._pages, self._funders, self._advertisers
        params = [
            (
                *ad.params,
                pages[page_key(ad.page)] if ad.page else None,
                funders[funder_key(ad.funder)] if ad.funder else None,
                advertisers[advertiser_key(ad.advertiser)] if ad.advertiser else None,
                stamp,
                seq,
                run_id,
            )
            for ad in todo
        ]
        if self._sqlite(conn):
            # Straight to the driver: SQLAlchemy's per-value processing was the slowest part
            # of an import, and the statement is the same upsert it would emit.
            for chunk in chunks(params, _SQLITE_ROWS):
                flat = tuple(chain.from_iterable(chunk))
                conn.exec_driver_sql(upsert_sql("sqlite", len(chunk)), flat)
        else:
            # The new rows (first in ``todo``) straight into the table; the changed ones, and
            # new ones a concurrent writer stored meanwhile, upserted.
            new, rest = params[: counts.inserted], params[counts.inserted :]
            if new and not _copy_insert(conn, new):
                rest = params
            if rest:
                _copy_upsert(conn, rest)
        return counts

    # -- report rows ------------------------------------------------------------------------

    def _write_reports(self, conn: Connection, reports: Sequence[SpendReport]) -> WriteCounts:
        if not reports:
            return WriteCounts()
        rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        for r in reports:
            values = report_values(r)
            pkey = page_key(r.page)
            values["row_key"] = f"{pkey[0]}:{pkey[1]}|{r.funder.name if r.funder else ''}"[:300]
            values["page_id"] = self._pages[pkey]
            values["funder_id"] = self._funders[funder_key(r.funder)] if r.funder else None
            values["content_hash"] = content_hash({**values, "page_id": pkey})
            rows[(r.source, r.period, r.country, values["row_key"])] = values
        existing: dict[tuple[str, str, str, str], str] = {}
        keys = list(rows)
        for chunk in chunks(keys, 2000):
            for s, p, c, k, h in conn.execute(
                select(
                    REPORTS.c.source,
                    REPORTS.c.period,
                    REPORTS.c.country,
                    REPORTS.c.row_key,
                    REPORTS.c.content_hash,
                ).where(
                    tuple_(
                        REPORTS.c.source, REPORTS.c.period, REPORTS.c.country, REPORTS.c.row_key
                    ).in_(chunk)
                )
            ):
                existing[(s, p, c, k)] = h
        counts = WriteCounts(unchanged=len(reports) - len(rows))
        todo = []
        for key, values in rows.items():
            old = existing.get(key)
            if old == values["content_hash"]:
                counts.unchanged += 1
                continue
            counts.inserted += old is None
            counts.updated += old is not None
            todo.append(values)
        if todo:
            stmt = dialect_insert(conn, REPORTS)
            update = {c: stmt.excluded[c] for c in todo[0]}
            stmt = stmt.on_conflict_do_update(
                index_elements=["source", "period", "country", "row_key"], set_=update
            )
            conn.execute(stmt, todo)
        return counts
