"""paidfor's own JSON-lines format (docs/formats.md): one record per line, ``{"kind": "ad",
...}``, and the records of a world: ``admin``, ``advertiser``, ``page``, ``relationship``,
``truth`` and ``population``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import orjson

from paidfor.domain.money import default_rates
from paidfor.domain.serialize import ad_from_json, world_record_from_json
from paidfor.ingest.base import Parsed, Progress, RowError, Source


class Native(Source):
    name: ClassVar[str] = "native"
    description: ClassVar[str] = "paidfor JSON lines (docs/formats.md)"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        consumed = 0
        rates = default_rates()
        with open(path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                consumed += len(raw)
                if progress is not None and number % 512 == 0:
                    progress(consumed)
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("a record must be a JSON object")
                    if obj.get("kind", "ad") != "ad":
                        yield Parsed(number, world_record_from_json(obj))
                        continue
                    ad = ad_from_json(obj)
                # orjson.JSONDecodeError is a ValueError; a value of the wrong type (a list
                # where an object belongs) is an AttributeError or TypeError.
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    yield RowError(str(path), number, f"{type(exc).__name__}: {exc}")
                    continue
                d = ad.delivery
                if d.spend is not None and d.spend_usd is None and d.currency:
                    day = ad.started_at
                    d.spend_usd = rates.to_usd(d.spend, d.currency, day.date() if day else None)
                yield Parsed(number, ad)
        if progress is not None:
            progress(consumed)
