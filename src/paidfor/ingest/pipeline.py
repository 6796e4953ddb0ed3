"""The shared import pipeline: parse rows with a Source, write them in batches (one
transaction each), report bad rows by file and line, and record the run in the audit log.

Each file is an import run of its own (``storage.import_runs``, migration 0018): committed
before the file's first batch, named by every ad a batch of that file writes (a batch never
holds two files' records), and finished with the file's counts and SHA-256 after its last.
A dry run records none."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from queue import Empty, Full
from typing import Any

from sqlalchemy import Engine

from paidfor.domain import Ad, SpendReport
from paidfor.domain.world import EntityRecord, PopulationRecord, TruthRecord
from paidfor.errors import Invalid
from paidfor.ingest.base import (
    NUL_REASON,
    SHARE_LINES,
    Known,
    Parsed,
    RowError,
    RowSource,
    Same,
    Share,
    Source,
    holds_nul,
    unlinked_urls,
)
from paidfor.ingest.base import any_nul as _any_nul
from paidfor.storage import bulk, import_runs
from paidfor.storage.audit import append_event
from paidfor.storage.prepare import PreparedAd, prepare_ad
from paidfor.storage.writer import BatchWriter, WriteCounts, stored_hashes

__all__ = ["NUL_REASON", "ImportAborted", "ImportReport", "holds_nul", "run_import", "unlinked"]


class ImportAborted(Invalid):
    """A strict import (``--strict``) met a bad row; nothing after the last committed batch
    was written (exit 2)."""

    def __init__(self, error: RowError) -> None:
        super().__init__(
            f"stopped at a bad row (--strict): {error}; the batches before it were committed: "
            "fix the row and import again"
        )
        self.error = error


@dataclass
class ImportReport:
    source: str
    files: list[str]
    dry_run: bool
    rows: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    errors: list[RowError] = field(default_factory=list)
    # rows imported with something to say: a URL that is not a link (domain.urls.link_of),
    # kept as text and never rendered as one
    warnings: list[RowError] = field(default_factory=list)
    batches: int = 0
    seconds: float = 0.0
    indexes_deferred: bool = False
    index_seconds: float = 0.0
    truth: int = 0  # a world's ground-truth and population lines: counted, never stored
    runs: list[int] = field(default_factory=list)  # the import runs, one a file, in order
    parsers: int = 0  # processes that parsed beside the writer (0: the writer's own)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "files": self.files,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "inserted": self.counts.inserted,
            "updated": self.counts.updated,
            "unchanged": self.counts.unchanged,
            "skipped": len(self.errors),
            "truth_records": self.truth,
            "errors": [{"file": e.file, "line": e.line, "reason": e.reason} for e in self.errors],
            "warnings": [
                {"file": e.file, "line": e.line, "reason": e.reason} for e in self.warnings
            ],
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "indexes_deferred": self.indexes_deferred,
            "index_seconds": round(self.index_seconds, 3),
            "import_runs": list(self.runs),
            "parsers": self.parsers,
        }


# Progress callbacks: (file index, bytes of that file consumed, rows parsed so far).
ProgressHook = Callable[[int, int, int], None]
# Told when the deferred indexes are being built again (it can take a while at millions).
PhaseHook = Callable[[str], None]

# What the parsing side hands the writing side, in file order:
#   ("file", index): the rows of the file ``paths[index]`` follow,
#   ("row", line, PreparedAd | SpendReport), ("error", RowError), ("warning", RowError),
#   ("progress", index, bytes), ("same", line): a line stored unchanged, skipped unread
Event = tuple[Any, ...]
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
_CHUNK = 500
# Parsing processes of a first load at most (``parsers_for``).
MAX_PARSERS = 4
_SAMPLE = 1 << 20


def unlinked(ad: Ad) -> list[str]:
    """What an imported ad holds as a URL that may not be a link (``domain.urls.link_of``):
    it is imported, shown as text, and reported."""
    page_url = ad.page.url if ad.page else None
    return unlinked_urls(page_url, ad.creative.landing_url, ad.snapshot_url)


def estimate_rows(paths: Sequence[Path]) -> int:
    """Rows in ``paths``, from the lines in the first MiB of each (a CSV cell that spans lines
    makes it an overestimate; it only decides whether to defer indexes)."""
    total = 0
    for path in paths:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(_SAMPLE)
        if head:
            total += round(size * max(head.count(b"\n"), 1) / len(head))
    return total


def events(
    source: Source,
    paths: Sequence[Path],
    dialect: str,
    known: Known | None = None,
    share: Share | None = None,
) -> Iterator[Event]:
    """Parse and prepare every row of ``paths``: the CPU-heavy half of an import. A
    ``RowSource`` reads its ads straight into rows and, with ``known``, skips the lines
    stored unchanged (``("same", line)``), or with ``share`` reads only its share of the
    lines."""
    if share is not None and not isinstance(source, RowSource):
        raise ValueError(f"{source.name} cannot read a share of its lines")
    for index, path in enumerate(paths):
        yield ("file", index)
        pending: list[Event] = []

        def hook(consumed: int, index: int = index, pending: list[Event] = pending) -> None:
            pending.append(("progress", index, consumed))

        items: Iterator[Any] = (
            source.rows(path, hook, dialect=dialect, known=known, share=share)
            if isinstance(source, RowSource)
            else source.read(path, hook)
        )
        for item in items:
            if pending:
                yield from pending
                pending.clear()
            if isinstance(item, Same):
                yield ("same", item.line)
            elif isinstance(item, RowError):
                yield ("error", item)
            else:
                yield from _parsed(path, item, dialect)
        yield from pending


def _parsed(path: Path, item: Parsed, dialect: str) -> Iterator[Event]:
    parsed = item.item
    for note in item.notes:
        yield ("warning", RowError(str(path), item.line, note))
    if isinstance(parsed, PreparedAd):  # a RowSource has looked for NUL already
        yield ("row", item.line, parsed)
    elif isinstance(parsed, Ad):
        for note in unlinked(parsed):
            yield ("warning", RowError(str(path), item.line, note))
        prepared = prepare_ad(parsed, dialect)
        if holds_nul(prepared):
            yield ("error", RowError(str(path), item.line, NUL_REASON))
        else:
            yield ("row", item.line, prepared)
    elif _any_nul(parsed):
        yield ("error", RowError(str(path), item.line, NUL_REASON))
    else:
        yield ("row", item.line, parsed)


def _build_indexes(
    engine: Engine, report: ImportReport, alongside: Callable[[ImportReport], None] | None
) -> None:
    """``bulk.ensure_indexes``, with ``alongside`` run meanwhile in this thread."""
    started = time.perf_counter()
    if alongside is None:
        bulk.ensure_indexes(engine)
        report.index_seconds = time.perf_counter() - started
        return
    failed: list[BaseException] = []

    def build() -> None:
        try:
            bulk.ensure_indexes(engine)
        except BaseException as exc:  # raised in the importing thread, below
            failed.append(exc)
        report.index_seconds = time.perf_counter() - started

    worker = threading.Thread(target=build, name="paidfor-indexes")
    worker.start()
    try:
        alongside(report)
    finally:
        worker.join()
    if failed:
        raise failed[0]


def lookup(engine: Engine) -> Known:
    """The stored content hashes of keys, each look-up in its own short transaction (a long
    one would hold SQLite's WAL back)."""

    def known(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
        with engine.connect() as conn:
            return stored_hashes(conn, keys)

    return known


def _line_of(event: Event) -> int | None:
    """The line an event is about, if any."""
    kind = event[0]
    if kind == "row" or kind == "same":
        return int(event[1])
    if kind == "error" or kind == "warning":
        return event[1].line
    return None


def _blocks(stream: Iterator[Event], share: Share) -> Iterator[tuple[Any, ...]]:
    """A parser's events grouped by its blocks of lines: ``("block", file, block, events)``
    for each block it read a line of, in order, and ``("eof", file, events)`` after a file's
    last (with what came after its last line: the progress at the end)."""
    file: int | None = None
    block: int | None = None
    current: list[Event] = []
    for event in stream:
        if event[0] == "file":
            if file is not None:
                if block is not None:
                    yield ("block", file, block, current)
                    current = []
                yield ("eof", file, current)
                current = []
            file, block = event[1], None
            continue
        line = _line_of(event)
        if line is not None and share.block(line) != block:
            if block is not None:
                yield ("block", file, block, current)
                current = []
            block = share.block(line)
        current.append(event)
    if file is not None:
        if block is not None:
            yield ("block", file, block, current)
            current = []
        yield ("eof", file, current)


def _produce(
    source_name: str,
    paths: list[Path],
    dialect: str,
    queue: Any,
    probe_url: str | None,
    share: Share | None = None,
) -> None:
    """Child process: parse into ``queue`` in chunks (with ``share``, a chunk a block of its
    lines: ``_blocks``); exit if the parent is gone. With ``probe_url``, look up the stored
    lines in that database (``events``)."""
    from paidfor.ingest.registry import SOURCES
    from paidfor.storage.db import make_engine

    gc.disable()  # see run_import
    parent = os.getppid()

    def orphaned() -> None:
        if os.getppid() != parent:  # the importer was killed: stop, do not linger
            os._exit(1)

    def put(item: Any) -> None:
        orphaned()  # a parser faster than the writer never finds the queue full
        while True:
            try:
                queue.put(item, timeout=1.0)
                return
            except Full:
                orphaned()

    def drain() -> None:
        """Wait for the queue's feeder thread to hand everything over (exiting waits for it,
        and with nobody reading it would wait forever)."""
        queue.close()
        feeder = threading.Thread(target=queue.join_thread, daemon=True)
        feeder.start()
        while feeder.is_alive():
            feeder.join(1.0)
            orphaned()

    try:
        known = None if probe_url is None else lookup(make_engine(probe_url))
        stream = events(SOURCES[source_name](), paths, dialect, known, share)
        if share is not None:
            for block in _blocks(stream, share):
                put(block)
        else:
            chunk: list[Event] = []
            for event in stream:
                chunk.append(event)
                if len(chunk) >= _CHUNK:
                    put(chunk)
                    chunk = []
            put(chunk)
        put(None)
    except BaseException as exc:  # report it to the parent, which raises it
        put(("crash", f"{type(exc).__name__}: {exc}"))
    drain()


@contextlib.contextmanager
def _main_left_behind() -> Iterator[None]:
    """Start processes without the parent's main script: ``spawn`` runs it again in each
    child (as ``__mp_main__``) unless it was run as a module, and the ``paidfor`` command's
    script imports the whole command line, about a second of a parser's start-up for
    nothing it uses (``_produce`` is found by its module). The script is what
    ``multiprocessing.spawn.get_preparation_data`` reads of ``__main__`` while a process
    starts: its ``__file__``, hidden meanwhile."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def start_method() -> str:
    """How the parsing processes start: ``fork`` where it is safe, else ``spawn``.

    A spawned parser starts a new interpreter and imports what it parses with (SQLAlchemy,
    the domain, the sources: 0.6 s of CPU each, a second of wall time in which the writer
    had nothing to write at 100,000 ads, a tenth of the import). A forked one has all of
    it already. Forking is safe only while this process runs one thread (a lock another
    thread held at the fork stays held in the child forever) and on Linux (macOS's system
    libraries do not survive it): the command line starts its progress bar's thread after
    the parsers (``interfaces.cli.main._import``); a server importing beside its own
    threads spawns. A forked child never runs the parent's clean-ups (``multiprocessing``
    ends it with ``os._exit``), so the connections it inherits are left to the parent."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


#: Lines a re-import reads first to see whether its file is stored unchanged
#: (``mostly_stored``).
SAMPLE_LINES = 2000


def mostly_stored(source: RowSource, path: Path, dialect: str, known: Known) -> bool:
    """Whether at least nine in ten of the first ``SAMPLE_LINES`` lines of ``path`` are
    stored unchanged. Such a re-import is read in the writer's own process: a parsing
    process has nothing to parse, and starting it and handing each skipped line over cost
    more than the skipping (2.6 s against 2.1 s at 100,000 unchanged ads, 15.9 against 13.3
    at 1,000,000); a file of changed ads is still parsed beside the writer (11.6 s against
    14.0 at 100,000)."""
    rows = source.rows(path, dialect=dialect, known=known)
    try:
        sample = list(islice(rows, SAMPLE_LINES))
    finally:
        if isinstance(rows, Generator):
            rows.close()
    same = sum(1 for item in sample if isinstance(item, Same))
    return bool(sample) and same * 10 >= len(sample) * 9


def parsers_for(source: Source, probing: bool) -> int:
    """How many processes parse a parallel import: one, or for a ``RowSource`` that skips
    no stored line (a first load) one per core but the writer's, at least two and at most
    ``MAX_PARSERS`` (the writer falls behind beyond that)."""
    if probing or not isinstance(source, RowSource):
        return 1
    return max(2, min(MAX_PARSERS, (os.cpu_count() or 1) - 1))


def _parallel_events(
    source: Source,
    paths: Sequence[Path],
    dialect: str,
    probe_url: str | None,
    parsers: int = 1,
    block_lines: int = SHARE_LINES,
) -> Iterator[Event]:
    """The events of ``paths`` parsed in ``parsers`` child processes: with more than one,
    each reads its ``Share`` of every file's lines (blocks of ``block_lines``), and their
    blocks are merged in order."""
    ctx = mp.get_context("fork") if start_method() == "fork" else mp.get_context("spawn")
    queues = [ctx.Queue(maxsize=16) for _ in range(parsers)]
    shares = [Share(k, parsers, block_lines) if parsers > 1 else None for k in range(parsers)]
    procs = [
        ctx.Process(
            target=_produce,
            args=(source.name, list(paths), dialect, queue, probe_url, share),
            name=f"paidfor-parse-{k}",
            daemon=True,
        )
        for k, (queue, share) in enumerate(zip(queues, shares, strict=True))
    ]
    with _main_left_behind():
        for proc in procs:
            proc.start()

    def get(k: int) -> Any:
        while True:
            try:
                item = queues[k].get(timeout=5.0)
            except Empty:
                if not procs[k].is_alive():
                    raise RuntimeError(
                        f"the parsing process died (exit code {procs[k].exitcode})"
                    ) from None
                continue
            if isinstance(item, tuple) and item[0] == "crash":
                raise RuntimeError(f"parsing failed: {item[1]}")
            return item

    try:
        if parsers == 1:
            while (chunk := get(0)) is not None:
                yield from chunk
            return
        for index in range(len(paths)):
            yield ("file", index)
            # each parser's next block of this file; its "eof" ends its part of the file
            heads: dict[int, tuple[Any, ...]] = {k: get(k) for k in range(parsers)}
            tail: list[Event] = []
            while heads:
                for k in [k for k, head in heads.items() if head[0] == "eof"]:
                    tail.extend(heads.pop(k)[2])
                if heads:
                    k = min(heads, key=lambda k: heads[k][2])  # the lowest block next
                    yield from heads[k][3]
                    heads[k] = get(k)
            yield from tail
        for k in range(parsers):
            if get(k) is not None:
                raise RuntimeError("a parsing process read past the last file")
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc, queue in zip(procs, queues, strict=True):
            proc.join(timeout=10)
            queue.close()


@dataclass
class _Run:
    """The import run of one file: its id, the report's figures when it began, its hash."""

    id: int
    report: ImportReport
    digest: import_runs.FileDigest
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0

    def __post_init__(self) -> None:
        r = self.report
        self.rows, self.errors = r.rows, len(r.errors)
        self.inserted, self.updated, self.unchanged = (
            r.counts.inserted, r.counts.updated, r.counts.unchanged,
        )  # fmt: skip

    def counts(self, r: ImportReport) -> import_runs.RunCounts:
        """What the run did: the report's figures since it began."""
        return import_runs.RunCounts(
            read=r.rows - self.rows + len(r.errors) - self.errors,
            added=r.counts.inserted - self.inserted,
            updated=r.counts.updated - self.updated,
            unchanged=r.counts.unchanged - self.unchanged,
            refused=len(r.errors) - self.errors,
        )


def run_import(
    engine: Engine,
    source: Source,
    paths: Sequence[Path],
    *,
    batch_size: int = 2000,
    dry_run: bool = False,
    strict: bool = False,
    progress: ProgressHook | None = None,
    actor: str = "cli",
    parallel: bool | None = None,
    defer_indexes: bool | None = None,
    on_phase: PhaseHook | None = None,
    alongside_indexes: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import ``paths``; each batch of ``batch_size`` rows is one transaction.

    ``parallel`` parses in a second process while this one writes (default: when there is
    more than one core and at least 16 MiB to read, unless the table holds ads and the first
    file's first lines are stored unchanged: ``mostly_stored``). ``defer_indexes`` drops the
    read-only indexes of ``ads`` for the import and builds them at the end (default: when the
    files hold at least ~50,000 rows and twice as many as the table; see ``storage.bulk``).
    ``alongside_indexes`` (the search index's catch-up) runs, after a load that went through,
    while another thread builds them (the database works without holding the interpreter);
    without deferred indexes the caller runs it afterwards.
    """
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    size = sum(p.stat().st_size for p in paths)
    # An empty table (a first load): the writer knows its new ads without looking them up,
    # and the parser has no stored line to skip.
    holds_ads = bulk.holds_ads(engine)
    # Lines stored unchanged are skipped unread when the table holds anything to find.
    probing = isinstance(source, RowSource) and holds_ads
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1 and size >= PARALLEL_MIN_BYTES
        if parallel and probing and paths:
            assert isinstance(source, RowSource)
            parallel = not mostly_stored(source, paths[0], engine.dialect.name, lookup(engine))
    if dry_run:
        defer_indexes = False
    elif defer_indexes is None:
        defer_indexes = bulk.worth_deferring(engine, estimate_rows(paths))
    report = ImportReport(source=source.name, files=[str(p) for p in paths], dry_run=dry_run)
    writer = BatchWriter(engine, dry_run=dry_run, fresh=not holds_ads)
    started = time.perf_counter()
    ads: list[PreparedAd] = []
    reports: list[SpendReport] = []
    entities: list[EntityRecord] = []

    same = 0  # lines of the current batch skipped as stored unchanged

    def flush() -> None:
        nonlocal same
        if ads or reports or entities:
            report.counts.add(writer.write(ads, reports, entities))
        if ads or reports or entities or same:
            report.batches += 1
            ads.clear()
            reports.clear()
            entities.clear()
            same = 0

    run: _Run | None = None  # the import run of the file being read

    def next_file(index: int) -> None:
        """Finish the run of the file before (its last batch written) and start ``index``'s."""
        nonlocal run
        flush()
        end_run(failed=False)
        if not dry_run:
            path = paths[index]
            run = _Run(import_runs.start(engine, source.name, path), report,
                       import_runs.FileDigest(path))  # fmt: skip
            writer.run_id = run.id
            report.runs.append(run.id)

    def end_run(*, failed: bool) -> None:
        nonlocal run
        if run is not None:
            import_runs.finish(engine, run.id, run.counts(report), run.digest.result(),
                               failed=failed)  # fmt: skip
            run = None
            writer.run_id = None

    # An import allocates millions of short-lived containers that reference counting frees;
    # the cyclic collector's passes over them took about half of the import's time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    dialect = engine.dialect.name
    if parallel:
        url = engine.url
        in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
        probe_url = url.render_as_string(hide_password=False) if probing and not in_memory else None
        report.parsers = parsers_for(source, probing)
        stream = _parallel_events(source, paths, dialect, probe_url, report.parsers)
    else:
        stream = events(source, paths, dialect, lookup(engine) if probing else None)
    if defer_indexes:
        bulk.drop_indexes(engine)
        bulk.drop_fts_triggers(engine)
        bulk.drop_foreign_keys(engine)
        report.indexes_deferred = True
    try:
        for event in stream:
            kind = event[0]
            if kind == "file":
                next_file(event[1])
            elif kind == "progress":
                if progress is not None:
                    progress(event[1], event[2], report.rows)
            elif kind == "warning":
                report.warnings.append(event[1])
            elif kind == "same":  # it takes its place in its batch, as a row written would
                report.rows += 1
                report.counts.unchanged += 1
                same += 1
                if len(ads) + len(reports) + len(entities) + same >= batch_size:
                    flush()
            elif kind == "error":
                report.errors.append(event[1])
                if strict:
                    flush()
                    report.seconds = time.perf_counter() - started
                    end_run(failed=True)
                    raise ImportAborted(event[1])
            else:
                report.rows += 1
                item = event[2]
                if isinstance(item, PreparedAd):
                    ads.append(item)
                elif isinstance(item, SpendReport):
                    reports.append(item)
                elif isinstance(item, TruthRecord | PopulationRecord):
                    report.truth += 1
                else:
                    entities.append(item)
                if len(ads) + len(reports) + len(entities) + same >= batch_size:
                    flush()
        flush()
        end_run(failed=False)
    except BaseException:
        # best effort: a run whose end cannot be recorded (the database went away) stays
        # unfinished, which is what it is
        with contextlib.suppress(Exception):
            end_run(failed=True)
        raise
    finally:
        if isinstance(stream, Generator):
            stream.close()
        try:
            if defer_indexes:  # on success and on failure alike; after a kill, open_database
                if on_phase is not None:
                    on_phase("building indexes")
                loaded = sys.exc_info()[0] is None
                _build_indexes(engine, report, alongside_indexes if loaded else None)
        finally:
            # the search index's catch-up alongside makes a document of every row read
            # back: collections walked them as they did the load's
            if gc_was_enabled:
                gc.enable()
    report.seconds = time.perf_counter() - started
    if not dry_run:
        append_event(
            engine,
            actor=actor,
            action="import",
            target_type="source",
            target_id=source.name,
            after={k: v for k, v in report.as_dict().items() if k != "errors"},
        )
    return report
