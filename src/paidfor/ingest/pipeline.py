"""The shared import pipeline: parse rows with a Source, write them in batches (one
transaction each), report bad rows by file and line, and record the run in the audit log."""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full
from typing import Any

from sqlalchemy import Engine

from paidfor.domain import Ad, SpendReport
from paidfor.domain.urls import link_of
from paidfor.domain.world import EntityRecord, PopulationRecord, TruthRecord
from paidfor.errors import Invalid
from paidfor.ingest.base import RowError, Source
from paidfor.storage import bulk
from paidfor.storage.audit import append_event
from paidfor.storage.prepare import PreparedAd, prepare_ad
from paidfor.storage.writer import BatchWriter, WriteCounts


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
        }


# Progress callbacks: (file index, bytes of that file consumed, rows parsed so far).
ProgressHook = Callable[[int, int, int], None]
# Told when the deferred indexes are being built again (it can take a while at millions).
PhaseHook = Callable[[str], None]

# What the parsing side hands the writing side, in file order:
#   ("row", line, PreparedAd | SpendReport), ("error", RowError), ("warning", RowError),
#   ("progress", index, bytes)
Event = tuple[Any, ...]
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
_CHUNK = 500
_SAMPLE = 1 << 20
# NUL in JSON text: "\u0000" after an even number of backslashes (an odd one is a backslash).
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
NUL_REASON = "holds the NUL character (U+0000), which PostgreSQL cannot store"


def _any_nul(value: Any, depth: int = 0) -> bool:
    """Whether a parsed record (a dataclass, and what it holds) has NUL in any text."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 4:
        return False
    if isinstance(value, dict):
        return any(_any_nul(k, depth + 1) or _any_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_any_nul(v, depth + 1) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return any(_any_nul(getattr(value, f), depth + 1) for f in value.__dataclass_fields__)
    return False


def holds_nul(prepared: PreparedAd) -> bool:
    """Whether any text of ``prepared`` (its columns, JSON as text, and its page's, funder's
    and advertiser's fields) holds NUL: such a row is refused on every database alike."""
    for v in prepared.params:
        if isinstance(v, str) and ("\x00" in v or ("\\u0000" in v and _JSON_NUL.search(v))):
            return True
    return any(_any_nul(e) for e in (prepared.page, prepared.funder, prepared.advertiser))


def unlinked(ad: Ad) -> list[str]:
    """What an imported ad holds as a URL that may not be a link (``domain.urls.link_of``):
    it is imported, shown as text, and reported."""
    found = [
        ("the page's url", ad.page.url if ad.page else None),
        ("the landing_url", ad.creative.landing_url),
        ("the snapshot_url", ad.snapshot_url),
    ]
    return [
        f"{what} {url[:80]!r} is not an http or https link: kept as text, never linked"
        for what, url in found
        if url and link_of(url) is None
    ]


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


def events(source: Source, paths: Sequence[Path], dialect: str) -> Iterator[Event]:
    """Parse and prepare every row of ``paths``: the CPU-heavy half of an import."""
    for index, path in enumerate(paths):
        pending: list[Event] = []

        def hook(consumed: int, index: int = index, pending: list[Event] = pending) -> None:
            pending.append(("progress", index, consumed))

        for item in source.read(path, hook):
            if pending:
                yield from pending
                pending.clear()
            if isinstance(item, RowError):
                yield ("error", item)
            else:
                parsed = item.item
                if isinstance(parsed, Ad):
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
        yield from pending


def _produce(source_name: str, paths: list[Path], dialect: str, queue: Any) -> None:
    """Child process: parse into ``queue`` in chunks; exit if the parent is gone."""
    from paidfor.ingest.registry import SOURCES

    gc.disable()  # see run_import
    parent = os.getppid()

    def put(item: Any) -> None:
        while True:
            try:
                queue.put(item, timeout=1.0)
                return
            except Full:
                if os.getppid() != parent:  # the importer was killed: stop, do not linger
                    os._exit(1)

    try:
        chunk: list[Event] = []
        for event in events(SOURCES[source_name](), paths, dialect):
            chunk.append(event)
            if len(chunk) >= _CHUNK:
                put(chunk)
                chunk = []
        put(chunk)
        put(None)
    except BaseException as exc:  # report it to the parent, which raises it
        put(("crash", f"{type(exc).__name__}: {exc}"))


def _parallel_events(source: Source, paths: Sequence[Path], dialect: str) -> Iterator[Event]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue(maxsize=16)
    proc = ctx.Process(
        target=_produce,
        args=(source.name, list(paths), dialect, queue),
        name="paidfor-parse",
        daemon=True,
    )
    proc.start()
    try:
        while True:
            try:
                chunk = queue.get(timeout=5.0)
            except Empty:
                if not proc.is_alive():
                    raise RuntimeError(
                        f"the parsing process died (exit code {proc.exitcode})"
                    ) from None
                continue
            if chunk is None:
                break
            if isinstance(chunk, tuple) and chunk[0] == "crash":
                raise RuntimeError(f"parsing failed: {chunk[1]}")
            yield from chunk
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=10)
        queue.close()


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
) -> ImportReport:
    """Import ``paths``; each batch of ``batch_size`` rows is one transaction.

    ``parallel`` parses in a second process while this one writes (default: when there is
    more than one core and at least 16 MiB to read). ``defer_indexes`` drops the read-only
    indexes of ``ads`` for the import and builds them at the end (default: when the files hold
    at least ~50,000 rows and twice as many as the table; see ``storage.bulk``).
    """
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    size = sum(p.stat().st_size for p in paths)
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1 and size >= PARALLEL_MIN_BYTES
    if dry_run:
        defer_indexes = False
    elif defer_indexes is None:
        defer_indexes = bulk.worth_deferring(engine, estimate_rows(paths))
    report = ImportReport(source=source.name, files=[str(p) for p in paths], dry_run=dry_run)
    writer = BatchWriter(engine, dry_run=dry_run)
    started = time.perf_counter()
    ads: list[PreparedAd] = []
    reports: list[SpendReport] = []
    entities: list[EntityRecord] = []

    def flush() -> None:
        if ads or reports or entities:
            report.counts.add(writer.write(ads, reports, entities))
            report.batches += 1
            ads.clear()
            reports.clear()
            entities.clear()

    # An import allocates millions of short-lived containers that reference counting frees;
    # the cyclic collector's passes over them took about half of the import's time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    dialect = engine.dialect.name
    stream = (
        _parallel_events(source, paths, dialect) if parallel else events(source, paths, dialect)
    )
    if defer_indexes:
        bulk.drop_indexes(engine)
        report.indexes_deferred = True
    try:
        for event in stream:
            kind = event[0]
            if kind == "progress":
                if progress is not None:
                    progress(event[1], event[2], report.rows)
            elif kind == "warning":
                report.warnings.append(event[1])
            elif kind == "error":
                report.errors.append(event[1])
                if strict:
                    flush()
                    report.seconds = time.perf_counter() - started
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
                if len(ads) + len(reports) + len(entities) >= batch_size:
                    flush()
        flush()
    finally:
        if isinstance(stream, Generator):
            stream.close()
        if gc_was_enabled:
            gc.enable()
        if defer_indexes:  # on success and on failure alike; after a kill, open_database
            if on_phase is not None:
                on_phase("building indexes")
            started_index = time.perf_counter()
            bulk.ensure_indexes(engine)
            report.index_seconds = time.perf_counter() - started_index
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
