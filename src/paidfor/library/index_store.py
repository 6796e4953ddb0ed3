"""The library's search index: a tantivy index beside the database, kept in step with it.

The database stays the record; the index holds, for every *public* ad (one the library shows),
its creative text and the values the search filters and sorts on, as tantivy fast fields, so a
search of a million ads costs a few milliseconds whatever its filters and sort. It answers
with ad ids; the repository reads those rows from the database.

Keeping in step (``sync``): every write of ``ads`` stamps the rows it changes with the next
value of a counter in the same transaction (``storage.changes``), and stamps become visible in
commit order. The index records, in a small state file written after each tantivy commit, the
database's epoch and the last stamp it has read; catching up is "index every row stamped after
it". A crash between the commit and the state file only makes the next sync redo the same rows
(adding an ad first deletes it by id, so redoing is harmless); an index built for another
database (another epoch) or by another version of this schema is rebuilt from scratch. Every
search first compares the counter with the state (one row read) and catches up before
answering, so the library reads its own writes; when the gap is too large to close inside a
request, the search is answered by the database while a background thread closes it. The
server's worker processes take turns writing (a file lock): one catches up, the others wait
for it and reload.

What a document holds, and the exact sort keys, are in ``library.index_schema_store``. The index is
split by id into shards searched at once, their pages merged exactly (docs/search-index.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from hashlib import sha1
from itertools import chain
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import Connection, Engine, func, literal_column, select

from paidfor import errors
from paidfor.background import OneAtATime
from paidfor.library.index_schema_store import (
    ANALYZER,
    ID_LIMIT,
    PUBLIC,
    SCHEMA_VERSION,
    SORT_FIELDS,
    analyzer,
    build_schema,
    columns,
    document,
    sort_key,
)
from paidfor.storage.changes import current_state
from paidfor.storage.models import AdRow

__all__ = ["AdIndex", "IndexBusy", "build_schema", "document", "open_index", "sort_key"]

log = logging.getLogger(__name__)

STATE_FILE = "paidfor-state.json"
SYNC_LOCK = ".paidfor-sync.lock"  # held by the process writing the index (``_writing``)
SYNC_WAIT = 2.0  # seconds a search waits for another catch-up before the database answers
# Rows a search may index before answering; a larger gap is closed in the background.
INLINE_ROWS = 5_000
LISTED = 10_000  # the default listing's first ads kept per order (the library pages no deeper)
BATCH = 5_000


class IndexBusy(errors.Unavailable):
    """Another process is writing the index (tantivy's directory lock)."""


@dataclass(frozen=True)
class IndexState:
    epoch: str
    seq: int
    schema: int = SCHEMA_VERSION
    shards: int = 1


@dataclass(frozen=True)
class SyncReport:
    full: bool
    rows: int  # rows read from the database
    indexed: int  # public ads (re)indexed
    seq: int


def default_index_dir(database_url: str) -> Path | None:
    """Beside a SQLite file (``paidfor.db.index``); for a server database, a folder under
    ``~/.cache/paidfor`` named after the URL; in-memory SQLite: none."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1] if "///" in database_url else ""
        if not path or path == ":memory:":
            return None
        return Path(path + ".index")
    digest = sha1(database_url.encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "paidfor" / f"index-{digest}"


def default_shards() -> int:
    """One shard a core, up to four (``Settings.index_shards``, PAIDFOR_INDEX_SHARDS, sets
    another number: ``open_index`` passes it)."""
    return max(1, min(4, os.cpu_count() or 1))


def open_index(engine: Engine, database_url: str, settings: Any) -> AdIndex | None:
    """The index for this database as ``settings`` (``index_dir``, ``search_index``,
    ``index_shards``) make it, or None when it is off, has no place (in-memory SQLite), or
    cannot be opened (then the database answers every search, and the reason is logged)."""
    if not settings.search_index:
        return None
    path = Path(settings.index_dir) if settings.index_dir else default_index_dir(database_url)
    if path is None:
        return None
    try:
        return AdIndex(path, engine, shards=settings.index_shards)
    except (OSError, ValueError) as exc:
        log.error("search index at %s unavailable, the database answers searches: %s", path, exc)
        return None


#: Term counts kept between two commits at most (``AdIndex.term_counts``).
COUNTS_KEPT = 100_000


class AdIndex:
    """The index of one database's public ads, in ``path`` (created when missing)."""

    def __init__(self, path: Path, engine: Engine, shards: int | None = None) -> None:
        self.path = Path(path)
        self.engine = engine
        shards = shards or default_shards()
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = build_schema()
        old = self._read_state()
        if old is not None and (old.schema != SCHEMA_VERSION or old.shards != shards):
            self._wipe()  # built by another version of this module: rebuilt from scratch
        self.shards = [self._open_shard(n) for n in range(shards)]
        self.words = analyzer()
        # one catch-up at a time in this process, inline or in the background; the file lock
        # (``_writing``) takes turns with the other processes
        self._catching_up = OneAtATime("paidfor-index-sync")
        self._pool = ThreadPoolExecutor(
            max(1, len(self.shards) - 1), thread_name_prefix="paidfor-search"
        )
        self.generation = 0
        self._listings: dict[str, tuple[int, list[int], int]] = {}
        # (generation, {(field, value): count}): ``term_counts`` of this commit
        self._counts: tuple[int, dict[tuple[str, int], int]] = (0, {})
        self.state = self._read_state()

    def _open_shard(self, n: int) -> tantivy.Index:
        folder = self.path / f"shard-{n}"
        folder.mkdir(exist_ok=True)
        try:
            index = tantivy.Index(self.schema, path=str(folder))
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
            log.warning("search index at %s has another schema; rebuilding it", self.path)
            shutil.rmtree(folder)
            (self.path / STATE_FILE).unlink(missing_ok=True)
            folder.mkdir()
            index = tantivy.Index(self.schema, path=str(folder))
        index.register_tokenizer(ANALYZER, analyzer())
        return index

    def reload(self) -> None:
        for shard in self.shards:
            shard.reload()
        self.generation += 1  # what was kept of the last commit's listings is stale

    # -- state ------------------------------------------------------------------------------

    def _wipe(self) -> None:
        """Remove the index's files (the state file last), keeping the folder."""
        for child in self.path.iterdir():
            if child.name not in (STATE_FILE, SYNC_LOCK):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        (self.path / STATE_FILE).unlink(missing_ok=True)

    def _read_state(self) -> IndexState | None:
        try:
            raw = json.loads((self.path / STATE_FILE).read_text())
            return IndexState(
                str(raw["epoch"]), int(raw["seq"]), int(raw["schema"]), int(raw.get("shards", 1))
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_state(self, state: IndexState) -> None:
        # A temporary file of this writer's own: the server's worker processes may write the
        # same state at once, and one's rename must not take the other's file away.
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{STATE_FILE}.", suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(
                {"epoch": state.epoch, "seq": state.seq, "schema": state.schema,
                 "shards": state.shards},
                fh,
            )  # fmt: skip
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / STATE_FILE)
        self.state = state

    def _usable(self, state: IndexState | None, epoch: str) -> bool:
        return (
            state is not None
            and state.epoch == epoch
            and state.schema == SCHEMA_VERSION
            and state.shards == len(self.shards)
        )

    # -- catching up ------------------------------------------------------------------------

    def sync(
        self, *, full: bool = False, progress: Callable[[int], None] | None = None
    ) -> SyncReport:
        """Index every row changed since the last sync (all of them when the index is new,
        belongs to another database, or ``full``). Raises ``IndexBusy`` when another process
        holds the index's writer lock."""
        with self._catching_up.turn(wait=None), self._writing(wait=None):
            return self._sync(full, progress)

    @contextlib.contextmanager
    def _writing(self, wait: float | None) -> Iterator[bool]:
        """The right to write the index among paidfor's processes (the server's workers, the
        CLI): an exclusive ``flock`` on a file beside the state, so that they take turns
        instead of failing on tantivy's writer lock. ``wait`` None waits as long as it
        takes; else yields False after ``wait`` seconds without it."""
        deadline = None if wait is None else time.monotonic() + wait
        with open(self.path / SYNC_LOCK, "a+b") as fh:
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if deadline is None or time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.005)
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _sync(self, full: bool, progress: Callable[[int], None] | None) -> SyncReport:
        with self.engine.connect() as conn:
            seq, epoch = current_state(conn)
        had = self.state
        self.state = self._read_state()
        full = full or not self._usable(self.state, epoch)
        since = None if full or self.state is None else self.state.seq
        if since is not None and since >= seq:
            if had != self.state:  # another process caught up while this one waited
                self.reload()
            return SyncReport(False, 0, 0, since)
        heap = (256_000_000 if full else 64_000_000) // len(self.shards)
        writers: list[Any] = []
        try:
            for shard in self.shards:
                writers.append(shard.writer(heap_size=max(heap, 15_000_000)))
        except ValueError as exc:
            for w in writers:
                w.rollback()
            raise IndexBusy(f"the search index at {self.path} is being written: {exc}") from exc
        rows = indexed = 0
        n = len(writers)
        try:
            if full:
                for w in writers:
                    w.delete_all_documents()
            for batch in self._changed_rows(since):
                if since is not None:
                    ids = [int(r[0]) for r in batch]
                    for k, w in enumerate(writers):
                        mine = [i for i in ids if i % n == k]
                        if mine:
                            w.delete_documents_by_query(
                                tantivy.Query.term_set_query(self.schema, "id", mine)
                            )
                for row in batch:
                    if row[1] in PUBLIC:  # status
                        writers[int(row[0]) % n].add_json(document(row))
                        indexed += 1
                rows += len(batch)
                if progress is not None:
                    progress(len(batch))
            # A crash between two shards' commits leaves the state file behind both: the
            # next sync reads the same rows again, and adding first deletes by id.
            for w in writers:
                w.commit()
            for w in writers:
                w.wait_merging_threads()
        except BaseException:
            for w in writers:
                with contextlib.suppress(Exception):
                    w.rollback()
            raise
        self.reload()
        self._write_state(IndexState(epoch, seq, SCHEMA_VERSION, n))
        return SyncReport(full, rows, indexed, seq)

    def _changed_rows(self, since: int | None) -> Iterator[list[Any]]:
        """The rows stamped after ``since`` (all when None), ``BATCH`` at a time, the values of
        ``columns`` in order; on SQLite the driver's tuples (times and JSON as text: reading
        each value through SQLAlchemy cost as much as the rest of building the documents)."""
        stmt = select(*columns(self.engine.dialect.name))
        if since is not None:
            stmt = stmt.where(AdRow.search_seq > since)
        with self.engine.connect() as conn:
            if self.engine.dialect.name != "sqlite":
                result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
                for part in result.partitions(BATCH):
                    yield list(part)
                return
            sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql)
                while batch := cursor.fetchmany(BATCH):
                    yield list(batch)
            finally:
                cursor.close()

    def pending_changes(self) -> int | None:
        """``pending`` on a connection of its own (the ``index`` commands)."""
        with self.engine.connect() as conn:
            return self.pending(conn)

    def pending(self, conn: Connection) -> int | None:
        """Rows changed since the index's state, up to ``INLINE_ROWS + 1``; None when the
        index must be built from scratch (of ``ads_up_to`` rows)."""
        seq, epoch = current_state(conn)
        state = self.state
        if not self._usable(state, epoch):
            state = self.state = self._read_state()  # another process may have built it
            if self._usable(state, epoch):
                self.reload()
        if not self._usable(state, epoch) or state is None:
            return None
        if state.seq >= seq:
            return 0
        fresh = self._read_state()  # another process may have caught up
        if fresh is not None and fresh.seq >= seq and self._usable(fresh, epoch):
            self.state = fresh
            self.reload()
            return 0
        return self.ads_up_to(conn, since=state.seq)

    @staticmethod
    def ads_up_to(conn: Connection, since: int | None = None) -> int:
        """How many rows of ``ads`` (changed since stamp ``since``), counted up to
        ``INLINE_ROWS + 1`` only."""
        inner: Any = select(literal_column("1")).select_from(AdRow)
        if since is not None:
            inner = inner.where(AdRow.search_seq > since)
        return int(
            conn.execute(
                select(func.count()).select_from(inner.limit(INLINE_ROWS + 1).subquery())
            ).scalar_one()
        )

    def ready(self, *, stale_ok: bool = False) -> bool:
        """Whether the index agrees with the database now, catching up first when that is
        quick; when it is not, a background thread does it and this answers False.

        ``stale_ok``: also True when another of paidfor's threads or processes is catching the
        index up right now and has not finished within ``SYNC_WAIT``: the index as it stands
        (behind by at most ``INLINE_ROWS`` changed rows, which land moments later) rather than
        the database, whose searches at a million ads cost seconds each; under a load the
        machine cannot keep up with, those made it collapse (bench/load.py on PostgreSQL)."""
        try:
            with self.engine.connect() as conn:
                gap = self.pending(conn)
                behind_ok = stale_ok and gap is not None and self.state is not None
                if gap is None:  # a build from scratch: inline too when the table is small
                    gap = self.ads_up_to(conn)
            if gap == 0 and self.state is not None:
                return True
            if gap <= INLINE_ROWS:
                # Whoever gets there first writes; the others wait for it (a small catch-up
                # takes milliseconds), then find the state file ahead and only reload.
                with self._catching_up.turn(wait=SYNC_WAIT) as turn:
                    if not turn:
                        return behind_ok
                    with self._writing(wait=SYNC_WAIT) as mine:
                        if not mine:
                            return behind_ok
                        self._sync(False, None)
                return True
            self.catch_up_in_background()
        except IndexBusy:
            return False
        except Exception:  # the database keeps answering whatever is wrong with the index
            log.exception("the search index at %s cannot be used", self.path)
        return False

    def catch_up_in_background(self) -> None:
        """Catch up in a thread, unless a catch-up goes already (or the index is closed)."""
        self._catching_up.start(self._catch_up)

    def _catch_up(self) -> None:
        """With the turn held (``OneAtATime.start``); any other failure is logged by it."""
        try:
            with self._writing(wait=None):
                report = self._sync(False, None)
            log.info("search index caught up: %s", report)
        except IndexBusy as exc:  # a writer that is not paidfor's: the next search tries again
            log.info("%s", exc)

    def close(self, timeout: float) -> bool:
        """Start no more background catch-ups and wait up to ``timeout`` seconds for the
        running one (the server's shutdown, before it closes the database)."""
        return self._catching_up.close(timeout)

    # -- reading ----------------------------------------------------------------------------

    def terms(self, text: str) -> list[str]:
        """``text``'s words as the index holds them."""
        return list(self.words.analyze(text))

    def search(
        self,
        query: tantivy.Query | None,
        *,
        order: str,
        offset: int,
        limit: int,
        count: bool = True,
        parallel: bool = True,
    ) -> tuple[list[int], int | None]:
        """Ids of one page of matching ads in ``order`` ("newest", "spend", "impressions" or
        "id": highest first), and how many match (when ``count``). ``query`` None: every
        public ad, the library's default listing, whose first ``LISTED`` in each order are
        kept from one index commit to the next. ``parallel`` False: the shards are searched
        one after the other in this thread (a narrow query, ``IndexQuery.narrow``)."""
        if query is None:
            listed = self._listing(order) if offset + limit <= LISTED else None
            if listed is not None:
                keys, total = listed
                return keys[offset : offset + limit], (total if count else None)
            query = tantivy.Query.all_query()
        return self._search(
            query, order=order, offset=offset, limit=limit, count=count, parallel=parallel
        )

    def _listing(self, order: str) -> tuple[list[int], int]:
        generation = self.generation
        found = self._listings.get(order)
        if found is None or found[0] != generation:
            ids, total = self._search(
                tantivy.Query.all_query(), order=order, offset=0, limit=LISTED, count=True
            )
            found = (generation, ids, total or 0)
            self._listings[order] = found
        return found[1], found[2]

    def _search(
        self,
        query: tantivy.Query,
        *,
        order: str,
        offset: int,
        limit: int,
        count: bool,
        parallel: bool = True,
    ) -> tuple[list[int], int | None]:
        field = "id" if order == "id" else SORT_FIELDS[order]

        def run(shard: tantivy.Index) -> tuple[list[int], int]:
            result = shard.searcher().search(
                query, offset + limit, count=count, order_by_field=field
            )
            return [key for key, _ in result.hits], int(getattr(result, "count", 0) or 0)

        # tantivy lets go of the GIL: the other shards are searched at once, in the pool,
        # while this thread searches the first. A narrow query's shards take a fraction of a
        # millisecond each, less than handing one to another thread and waking this one
        # again (on a busy machine each wake-up waits for a core: bench/search.py's page and
        # funder kinds), so they are searched in turn.
        if not parallel:
            parts = [run(shard) for shard in self.shards]
        else:
            others = [self._pool.submit(run, shard) for shard in self.shards[1:]]
            parts = [run(self.shards[0]), *(f.result() for f in others)]
        # Keys are unique: sorting the shards' pages together gives the global order.
        keys = parts[0][0] if len(parts) == 1 else sorted(chain(*(p[0] for p in parts)))[::-1]
        page = keys[offset : offset + limit]
        mask = ID_LIMIT - 1 if order != "id" else (1 << 64) - 1
        total = sum(p[1] for p in parts)
        return [key & mask for key in page], (total if count else None)

    def term_counts(self, field: str, values: list[int]) -> dict[int, int]:
        """How many indexed ads hold each of ``values`` in ``field`` ("page", "funder"): a
        term's count in every shard, in this thread, kept until the next commit (the names
        above a search count the same fifty pages for every search of a common word: 100
        searches of the shards, 1.2 ms at 1,000,000 ads). The generation is read before the
        searchers, so a count kept under it is never older than it."""
        generation = self.generation
        kept_at, kept = self._counts
        if kept_at < generation or len(kept) > COUNTS_KEPT:
            kept = {}
            self._counts = (generation, kept)
        elif kept_at > generation:  # a reload since this call began: count, keep nothing
            kept = {}
        out: dict[int, int] = {}
        missing = []
        for value in values:
            count = kept.get((field, value))
            if count is None:
                missing.append(value)
            else:
                out[value] = count
        if missing:
            searchers = [shard.searcher() for shard in self.shards]
            for value in missing:
                query = tantivy.Query.term_query(self.schema, field, value)
                found = (s.search(query, 1, count=True) for s in searchers)
                out[value] = kept[(field, value)] = sum(
                    int(getattr(r, "count", 0) or 0) for r in found
                )
        return {value: out[value] for value in values}

    def num_docs(self) -> int:
        return sum(int(shard.searcher().num_docs) for shard in self.shards)

    def public_ads_in_database(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(AdRow).where(AdRow.status.in_(PUBLIC))
                ).scalar_one()
            )
