"""What every source format shares: the Source interface, parsed items, row errors, and
reading a CSV file while counting bytes (for the progress bar) and line numbers (for errors).
"""

from __future__ import annotations

import csv
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from paidfor.domain import Ad, SpendReport
from paidfor.domain.urls import link_of
from paidfor.domain.world import EntityRecord, PopulationRecord, TruthRecord
from paidfor.storage.prepare import PreparedAd

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
    item: Ad | SpendReport | EntityRecord | TruthRecord | PopulationRecord | PreparedAd
    # what a row read straight into a PreparedAd has to say (``unlinked``), as for an Ad
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Same:
    """A line whose ad is stored already exactly as the line gives it (``RowSource``): it is
    counted unchanged without being read any further."""

    line: int
    key: tuple[str, str]


Progress = Callable[[int], None]  # called with the number of bytes consumed so far


# A parser's share of a file (``Share``) is made of blocks of this many consecutive lines.
SHARE_LINES = 500


@dataclass(frozen=True)
class Share:
    """Parser ``k`` of ``n`` reads the lines of the blocks ``k``, ``k + n``, ``k + 2n``...
    (``lines`` lines each, numbered from 0): the parsers of one import split its files
    between them, and their blocks, merged in order, are the file."""

    k: int
    n: int
    lines: int = SHARE_LINES

    def block(self, number: int) -> int:
        """The block of line ``number`` (from 1)."""
        return (number - 1) // self.lines

    def owns(self, number: int) -> bool:
        return self.block(number) % self.n == self.k


def file_lines(
    path: Path, progress: Progress | None = None, every: int = 512, share: Share | None = None
) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a line-per-record file with their numbers (from 1), telling
    ``progress`` the bytes read every ``every`` lines and once more at the end; with
    ``share``, only the lines of its blocks."""
    consumed = 0
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            consumed += len(raw)
            if progress is not None and number % every == 0:
                progress(consumed)
            if raw.strip() and (share is None or share.owns(number)):
                yield number, raw
    if progress is not None:
        progress(consumed)


# The content hash stored for each of the given (source, external_id) keys that is stored.
Known = Callable[[Sequence[tuple[str, str]]], dict[tuple[str, str], str]]


class Source(ABC):
    """One source format. Register new ones in ``paidfor.ingest.SOURCES``."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        """Yield every row of ``path``, parsed, or the reason it was rejected."""


class RowSource(Source):
    """A source that can also read its ads straight into stored rows (``PreparedAd``), with
    no domain object in between, and skip the lines stored already unchanged."""

    @abstractmethod
    def rows(
        self,
        path: Path,
        progress: Progress | None = None,
        *,
        dialect: str = "sqlite",
        known: Known | None = None,
        share: Share | None = None,
    ) -> Iterator[Parsed | Same | RowError]:
        """Every row of ``path``: an ad as a ``PreparedAd`` (its ``notes`` said), another
        record as ``read`` gives it, or the reason it was rejected; with ``known``, a line
        whose ad is stored unchanged as ``Same``; with ``share``, only the rows of its lines
        (``file_lines``; not with ``known``: a key's later line depends on its earlier ones)."""


def unlinked_urls(
    page_url: str | None, landing_url: str | None, snapshot_url: str | None
) -> list[str]:
    """What an imported ad holds as a URL that may not be a link (``domain.urls.link_of``):
    it is imported, shown as text, and reported."""
    found = [
        ("the page's url", page_url),
        ("the landing_url", landing_url),
        ("the snapshot_url", snapshot_url),
    ]
    return [
        f"{what} {url[:80]!r} is not an http or https link: kept as text, never linked"
        for what, url in found
        if url and link_of(url) is None
    ]


# NUL in JSON text: "\u0000" after an even number of backslashes (an odd one is a backslash).
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
NUL_REASON = "holds the NUL character (U+0000), which PostgreSQL cannot store"


def any_nul(value: Any, depth: int = 0) -> bool:
    """Whether a parsed record (a dataclass, and what it holds) has NUL in any text."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 4:
        return False
    if isinstance(value, dict):
        return any(any_nul(k, depth + 1) or any_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(any_nul(v, depth + 1) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return any(any_nul(getattr(value, f), depth + 1) for f in value.__dataclass_fields__)
    return False


def holds_nul(prepared: PreparedAd) -> bool:
    """Whether any text of ``prepared`` (its columns, JSON as text, and its page's, funder's
    and advertiser's fields) holds NUL: such a row is refused on every database alike."""
    for v in prepared.params:
        if isinstance(v, str) and ("\x00" in v or ("\\u0000" in v and _JSON_NUL.search(v))):
            return True
    return any(any_nul(e) for e in (prepared.page, prepared.funder, prepared.advertiser))


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
