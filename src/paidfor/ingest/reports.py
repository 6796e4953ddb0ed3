"""Shared parsing for spend-report CSVs (Meta Ad Library Report, Google's stats)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from paidfor.domain import SpendReport
from paidfor.domain.money import parse_decimal
from paidfor.ingest.base import Parsed, Progress, RowError, RowRejected, read_csv


def report_amount(text: str | None, what: str) -> tuple[Decimal, bool]:
    """An amount and whether it is only an upper bound (Meta prints small ones as ``≤100``)."""
    value = (text or "").strip().replace(",", "").replace("$", "")
    if not value:
        raise RowRejected(f"{what} is empty")
    bound = value.startswith(("≤", "<="))
    value = value.lstrip("≤<=").strip()
    try:
        amount = parse_decimal(value)
    except ValueError as exc:
        raise RowRejected(f"{what} is not a number: {text!r}") from exc
    if amount < 0:
        raise RowRejected(f"{what} is negative: {text!r}")
    return amount, bound


def report_count(text: str | None, what: str) -> int | None:
    value = (text or "").strip().replace(",", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise RowRejected(f"{what} is not a whole number: {text!r}")
    return int(value)


def period_from_name(path: Path, pattern: str, default: str) -> tuple[str, str]:
    """(country, period) from a report's file name, e.g. ``report_US_last_7_days_2023-06-01``."""
    m = re.search(pattern, path.name)
    if not m:
        return default, path.stem
    return m.group("country").upper(), m.group("period")


def read_report(
    path: Path,
    progress: Progress | None,
    columns: Sequence[str],
    what: str,
    parse_row: Callable[[dict[str, str]], SpendReport],
) -> Iterator[Parsed | RowError]:
    """The rows of a report CSV through ``parse_row``; a file without ``columns`` is one error
    ("not an {what}") instead of a bad row per line."""
    checked = False
    for item in read_csv(path, progress):
        if isinstance(item, RowError):
            yield item
            continue
        line, row = item
        if not checked:
            missing = [c for c in columns if c not in row]
            if missing:
                yield RowError(str(path), 1, f"not {what}: no column {', '.join(missing)}")
                return
            checked = True
        try:
            yield Parsed(line, parse_row(row))
        except RowRejected as exc:
            yield RowError(str(path), line, str(exc))
