"""Import runs (migration 0018): one row per file an import reads, so that every imported
record says where it came from (issue 20's provenance).

``start`` commits the run before its file's first batch; the writer stamps every ad it writes
with the run's id in the same batched upsert (``storage.writer.BatchWriter.run_id``);
``finish`` records the counts and the end. A run killed half-way is never finished: it stays
``running`` without a finish time, and its ads say they came from an unfinished import.
``file_sha256`` hashes the file in a thread beside the import (``FileDigest``): hashlib lets
go of the interpreter while it hashes, so the import does not wait for it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, select, update

from paidfor.domain.models import SourceFile, source_file_name
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import ImportRunRow
from paidfor.storage.tables import chunks

RUNNING, DONE, FAILED = "running", "done", "failed"
_READ = 1 << 20


class FileDigest:
    """The SHA-256 of a file, computed in a thread of its own from the moment it is made."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._hex: str | None = None
        self._thread = threading.Thread(target=self._run, name="paidfor-sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        h = hashlib.sha256()
        try:
            with open(self._path, "rb") as f:
                while block := f.read(_READ):
                    h.update(block)
        except OSError:  # the file went away meanwhile: the run keeps no hash
            return
        self._hex = h.hexdigest()

    def result(self) -> str | None:
        self._thread.join()
        return self._hex


@dataclass
class RunCounts:
    """What a run did with its file's records."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


def start(engine: Engine, source: str, path: Path) -> int:
    """A new run of the importer ``source`` over ``path`` (committed); its id."""
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(ImportRunRow).returning(ImportRunRow.id),
                {
                    "source": source[:40],
                    "file_name": source_file_name(str(path)),
                    "file_sha256": None,
                    "file_size": size,
                    "status": RUNNING,
                    "started_at": stored_now(),
                    "finished_at": None,
                    "rows_read": 0,
                    "added": 0,
                    "updated": 0,
                    "unchanged": 0,
                    "refused": 0,
                },
            ).scalar_one()
        )


def finish(
    engine: Engine, run_id: int, counts: RunCounts, sha256: str | None, *, failed: bool = False
) -> None:
    """Record the end of a run: its counts, the file's hash, ``done`` or ``failed``."""
    with engine.begin() as conn:
        conn.execute(
            update(ImportRunRow)
            .where(ImportRunRow.id == run_id)
            .values(
                status=FAILED if failed else DONE,
                finished_at=stored_now(),
                file_sha256=sha256,
                rows_read=counts.read,
                added=counts.added,
                updated=counts.updated,
                unchanged=counts.unchanged,
                refused=counts.refused,
            )
        )


def source_files(engine: Engine, run_ids: Iterable[int]) -> dict[int, SourceFile]:
    """The files of the runs ``run_ids``, by run id."""
    ids = sorted(set(run_ids))
    out: dict[int, SourceFile] = {}
    if not ids:
        return out
    with engine.connect() as conn:
        for chunk in chunks(ids):
            for r in conn.execute(select(ImportRunRow).where(ImportRunRow.id.in_(chunk))):
                out[int(r.id)] = SourceFile(
                    run_id=int(r.id),
                    name=r.file_name,
                    sha256=r.file_sha256,
                    importer=r.source,
                    started_at=aware(r.started_at),
                    finished=r.finished_at is not None and r.status == DONE,
                )
    return out
