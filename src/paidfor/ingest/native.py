"""paidfor's own JSON-lines format (docs/formats.md): one record per line, ``{"kind": "ad",
...}``, and the records of a world: ``admin``, ``advertiser``, ``page``, ``relationship``,
``truth`` and ``population``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import orjson

from paidfor.domain import Ad
from paidfor.domain.money import FxRates, default_rates
from paidfor.domain.serialize import ad_from_json, world_record_from_json
from paidfor.ingest.base import (
    NUL_REASON,
    Known,
    Parsed,
    Progress,
    RowError,
    RowSource,
    Same,
    Share,
    file_lines,
    holds_nul,
    unlinked_urls,
)
from paidfor.ingest.native_rows import ad_row, line_hash, line_key
from paidfor.storage.prepare import prepare_ad

# Lines probed at once for being stored unchanged (one key look-up a chunk).
PROBE_LINES = 1000
# The errors that make a record unreadable: orjson.JSONDecodeError is a ValueError; a value
# of the wrong type (a list where an object belongs) is an AttributeError or TypeError.
UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)


def with_usd(ad: Ad, rates: FxRates) -> Ad:
    """``ad`` with its spend in USD at its start date, when the record gave only its own
    currency (both ways of reading a line: ``read`` and ``rows``)."""
    d = ad.delivery
    if d.spend is not None and d.spend_usd is None and d.currency:
        day = ad.started_at
        d.spend_usd = rates.to_usd(d.spend, d.currency, day.date() if day else None)
    return ad


class Native(RowSource):
    name: ClassVar[str] = "native"
    description: ClassVar[str] = "paidfor JSON lines (docs/formats.md)"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        rates = default_rates()
        for number, raw in file_lines(path, progress):
            try:
                obj = orjson.loads(raw)
                if not isinstance(obj, dict):
                    raise ValueError("a record must be a JSON object")
                if obj.get("kind", "ad") != "ad":
                    yield Parsed(number, world_record_from_json(obj))
                    continue
                ad = ad_from_json(obj)
            except UNREADABLE as exc:
                yield RowError(str(path), number, f"{type(exc).__name__}: {exc}")
                continue
            yield Parsed(number, with_usd(ad, rates))

    def rows(
        self,
        path: Path,
        progress: Progress | None = None,
        *,
        dialect: str = "sqlite",
        known: Known | None = None,
        share: Share | None = None,
    ) -> Iterator[Parsed | Same | RowError]:
        """``read``, with each ad straight into its row (``native_rows.ad_row``); with
        ``known``, the lines stored unchanged are ``Same`` (probed ``PROBE_LINES`` at a time)
        unless their key came earlier in this file as a row to write; with ``share``, only
        the lines of its blocks."""
        if share is not None and known is not None:
            raise ValueError("a share of the lines cannot skip the stored ones")
        rates = default_rates()
        sqlite = dialect == "sqlite"
        written: set[tuple[str, str]] = set()  # keys sent as rows: their later lines are rows
        pending: list[tuple[int, bytes]] = []

        def probe() -> Iterator[Parsed | Same | RowError]:
            assert known is not None
            keys = [line_key(raw) for _, raw in pending]
            stored = known([k for k in keys if k is not None])
            for (number, raw), key in zip(pending, keys, strict=True):
                digest = line_hash(raw)
                if key is not None and stored.get(key) == digest and key not in written:
                    yield Same(number, key)
                    continue
                item = self._row(path, number, raw, digest, rates, sqlite)
                if isinstance(item, Parsed) and hasattr(item.item, "key"):
                    written.add(item.item.key)
                yield item
            pending.clear()

        for number, raw in file_lines(path, progress, share=share):
            if known is None:
                yield self._row(path, number, raw, line_hash(raw), rates, sqlite)
                continue
            pending.append((number, raw))
            if len(pending) >= PROBE_LINES:
                yield from probe()
        if pending:
            yield from probe()

    @staticmethod
    def _row(
        path: Path, number: int, raw: bytes, digest: str, rates: FxRates, sqlite: bool
    ) -> Parsed | RowError:
        """One line: its ad's row, another record, or why it cannot be read."""
        try:
            obj: Any = orjson.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError("a record must be a JSON object")
            if obj.get("kind", "ad") != "ad":
                return Parsed(number, world_record_from_json(obj))
        except UNREADABLE as exc:
            return RowError(str(path), number, f"{type(exc).__name__}: {exc}")
        try:
            prepared, notes = ad_row(obj, digest, rates, sqlite=sqlite)
        except Exception:  # the long way says what is wrong, as ``read`` would
            try:
                ad = ad_from_json(obj)
            except UNREADABLE as exc:
                return RowError(str(path), number, f"{type(exc).__name__}: {exc}")
            with_usd(ad, rates)
            prepared = prepare_ad(ad, "sqlite" if sqlite else "postgresql", digest=digest)
            page_url = ad.page.url if ad.page else None
            notes = unlinked_urls(page_url, ad.creative.landing_url, ad.snapshot_url)
        # NUL in any text of the record is "\u0000" in its line: only then is it looked for
        if b"\\u0000" in raw and holds_nul(prepared):
            return RowError(str(path), number, NUL_REASON)
        return Parsed(number, prepared, tuple(notes))
