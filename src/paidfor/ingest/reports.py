"""Shared parsing for spend-report CSVs (Meta Ad Library Report, Google's stats)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from paidfor.domain.money import parse_decimal
from paidfor.ingest.base import RowRejected


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
