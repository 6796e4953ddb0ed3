"""What every source format shares: the Source interface, parsed items, row errors, and
reading a CSV file while counting bytes (for the progress bar) and line numbers (for errors).
"""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

from paidfor.domain import Ad, SpendReport
from paidfor.domain.world import EntityRecord, PopulationRecord, TruthRecord

# Values that mean "no value" in the real exports.
EMPTY = frozenset({"", "NA", "N/A", "n/a", "None", "null", "NULL", "-"})


class RowRejected(ValueError):
    """A row that cannot be imported; the message says why."""


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Parsed:
    line: int
    item: Ad | SpendReport | EntityRecord | TruthRecord | PopulationRecord


Progress = Callable[[int], None]  # called with the number of bytes consumed so far


class Source(ABC):
    """One source format. Register new ones in ``paidfor.ingest.SOURCES``."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        """Yield every row of ``path``, parsed, or the reason it was rejected."""


def clean(value: str | None) -> str | None:
    """Strip a cell; the export's empty markers become None."""
    if value is None:
        return None
    value = value.strip()
    return None if value in EMPTY else value


class _CountingLines:
    """Decoded lines of a binary file, counting the bytes read."""

    def __init__(self, f: BinaryIO, progress: Progress | None, encoding: str) -> None:
        self.f = f
        self.progress = progress
        self.encoding = encoding
        self.consumed = 0
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        every = 0
        for raw in self.f:
            self.consumed += len(raw)
            self.line_no += 1
            every += 1
            if self.progress is not None and every >= 256:
                every = 0
                self.progress(self.consumed)
            yield raw.decode(self.encoding, errors="replace")
        if self.progress is not None:
            self.progress(self.consumed)


MAX_CELL = 131_072  # characters in one cell: the csv module's default field limit


def read_csv(
    path: Path, progress: Progress | None = None, encoding: str = "utf-8-sig"
) -> Iterator[tuple[int, dict[str, str]] | RowError]:
    """Rows of a CSV file as dicts, each with the line it starts on.

    A row with a different number of cells than the header is a RowError (short row), not a
    row padded with None.
    """
    with open(path, "rb") as f:
        lines = _CountingLines(f, progress, encoding)
        reader = csv.reader(iter(lines))
        try:
            header = next(reader)
        except StopIteration:
            return
        header = [h.strip() for h in header]
        start = lines.line_no + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RowError(str(path), start, f"unreadable CSV: {exc}")
                start = lines.line_no + 1
                continue
            line = start
            start = lines.line_no + 1
            if any(len(c) > MAX_CELL for c in cells):
                # the csv module's own limit is process-wide and may have been raised by other
                # code (the classifier's training data): the same file must import the same way
                yield RowError(str(path), line, f"unreadable CSV: field larger than field limit "
                               f"({MAX_CELL})")  # fmt: skip
                continue
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield RowError(
                    str(path), line, f"row has {len(cells)} cells, the header has {len(header)}"
                )
                continue
            yield line, dict(zip(header, cells, strict=True))
