"""Meta Ad Library API (``ads_archive``) output: a response page ``{"data": [...], "paging":
...}``, a bare list, one record, or JSON lines of records (one ad or one page per line).

Field names of every API version are read: ``ad_creative_bodies`` and the older
``ad_creative_body``, ``bylines`` and ``funding_entity``, ``delivery_by_region`` and
``region_distribution``, ``id`` and the scrapers' ``_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import pycountry

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Funder, Page, Range
from paidfor.domain.models import AdType
from paidfor.domain.money import default_rates
from paidfor.ingest.base import Parsed, Progress, RowError, RowRejected, Source, file_lines

SOURCE_KEY = "meta"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    raise RowRejected(f"expected a list of strings, got {type(value).__name__}")


def _range(value: Any, what: str) -> Range | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RowRejected(f"{what} is not a range object")
    try:
        lower = int(value.get("lower_bound", 0))
        upper = int(value["upper_bound"]) if value.get("upper_bound") is not None else None
    except (TypeError, ValueError) as exc:
        raise RowRejected(f"{what} has a non-numeric bound: {value!r}") from exc
    if lower < 0 or (upper is not None and upper < lower):
        raise RowRejected(f"{what} is not a valid range: {value!r}")
    return Range(lower, upper)


def _time(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        if len(text) == 10:
            moment = datetime.fromisoformat(text)
        else:
            moment = datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise RowRejected(f"{what} is not a date: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _distribution(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RowRejected(f"{what} is not a list of objects")
    out = []
    for item in value:
        try:
            pct = float(item.get("percentage", 0))
        except (TypeError, ValueError) as exc:
            raise RowRejected(f"{what} has a non-numeric percentage") from exc
        if not 0 <= pct <= 1:
            raise RowRejected(f"{what} has a percentage outside 0..1: {pct}")
        out.append({k: str(v) for k, v in item.items()})
    return out


@cache
def _subdivision_countries() -> dict[str, frozenset[str]]:
    """Every ISO 3166-2 subdivision name (case-folded) and the countries that have one so
    named (pycountry's data)."""
    found: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions:
        found.setdefault(str(sub.name).casefold(), set()).add(str(sub.country_code))
    return {name: frozenset(codes) for name, codes in found.items()}


def _country_code(name: str) -> str | None:
    text = name.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def reached_countries(rec: dict[str, Any], regions: list[dict[str, Any]]) -> list[str]:
    """The countries the record says the ad reached, so that ``ad_reached_countries`` finds
    it: the record's own ``ad_reached_countries`` (a file saved from a query keeps them);
    else its ``target_locations`` of type ``countries`` (not excluded); else the one country
    all the subdivisions its ``delivery_by_region`` names can be in (Meta's regions are
    states and provinces: "Ohio", "Bayern"), when there is exactly one."""
    explicit = _list(rec.get("ad_reached_countries") or rec.get("reached_countries"))
    if explicit:
        return [c.upper() for c in explicit]
    targeted = []
    for loc in rec.get("target_locations") or []:
        if isinstance(loc, dict) and loc.get("type") == "countries" and not loc.get("excluded"):
            code = _country_code(str(loc.get("name") or ""))
            if code and code not in targeted:
                targeted.append(code)
    if targeted:
        return targeted
    table = _subdivision_countries()
    named = [c for r in regions if (c := table.get(str(r.get("region", "")).casefold()))]
    # the country every named region can be in ("Montana" is in the US and Bulgaria, "Ohio"
    # only in the US: together, the US); names no subdivision has ("Unknown") are left out
    common = frozenset.intersection(*named) if named else frozenset()
    return sorted(common) if len(common) == 1 else []


def parse_record(rec: dict[str, Any]) -> Ad:
    ad_id = str(rec.get("id") or rec.get("_id") or "").strip()
    if not ad_id:
        raise RowRejected("record has no id")
    page_id = str(rec.get("page_id") or "").strip()
    page_name = str(rec.get("page_name") or "").strip()
    page = Page(name=page_name or page_id, kind="page", external_id=page_id) if page_id else None
    byline = rec.get("bylines") or rec.get("funding_entity")
    funder = Funder(name=str(byline).strip()) if byline and str(byline).strip() else None
    created = _time(rec.get("ad_creation_time"), "ad_creation_time")
    start = _time(rec.get("ad_delivery_start_time"), "ad_delivery_start_time")
    stop = _time(rec.get("ad_delivery_stop_time"), "ad_delivery_stop_time")
    spend = _range(rec.get("spend"), "spend")
    currency = str(rec.get("currency") or "USD").upper()
    spend_usd = None
    if spend is not None:
        when = start or created
        day = when.date() if when else None
        spend_usd = default_rates().to_usd(Decimal(spend.lower), currency, day)
    regions = _distribution(
        rec.get("delivery_by_region", rec.get("region_distribution")), "delivery_by_region"
    )
    countries = reached_countries(rec, regions)
    removed = bool(rec.get("is_removed") or rec.get("removed"))
    return Ad(
        source=SOURCE_KEY,
        external_id=ad_id,
        creative=Creative(
            bodies=_list(rec.get("ad_creative_bodies", rec.get("ad_creative_body"))),
            link_titles=_list(
                rec.get("ad_creative_link_titles", rec.get("ad_creative_link_title"))
            ),
            link_captions=_list(
                rec.get("ad_creative_link_captions", rec.get("ad_creative_link_caption"))
            ),
            link_descriptions=_list(
                rec.get("ad_creative_link_descriptions", rec.get("ad_creative_link_description"))
            ),
        ),
        page=page,
        funder=funder,
        delivery=Delivery(
            currency=currency,
            spend_range=spend,
            spend_usd=spend_usd,
            impressions_range=_range(rec.get("impressions"), "impressions"),
            demographic_distribution=_distribution(
                rec.get("demographic_distribution"), "demographic_distribution"
            ),
            delivery_by_region=regions,
            reached_countries=countries,
            estimated_audience_size=_range(
                rec.get("estimated_audience_size"), "estimated_audience_size"
            ),
        ),
        created_at=created,
        start_at=start,
        stop_at=stop,
        status=AdStatus.REMOVED if removed else (AdStatus.STOPPED if stop else AdStatus.RUNNING),
        is_political=str(rec.get("ad_type", AdType.POLITICAL_AND_ISSUE_ADS.value))
        != AdType.ALL.value
        or None,
        ad_type=str(rec.get("ad_type") or AdType.POLITICAL_AND_ISSUE_ADS.value),
        platforms=_list(rec.get("publisher_platforms")),
        languages=_list(rec.get("languages")),
        snapshot_url=rec.get("ad_snapshot_url"),
    )


class MetaArchive(Source):
    name: ClassVar[str] = "meta-archive"
    description: ClassVar[str] = "Meta Ad Library API output (response page, list, or JSON lines)"

    def read(self, path: Path, progress: Progress | None = None) -> Iterator[Parsed | RowError]:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096).lstrip()
        # A whole JSON document (a response page, list or one pretty-printed record) or lines.
        records: Iterator[tuple[int, Any]]
        whole = None
        if head[:1] in (b"{", b"["):
            try:
                whole = json.loads(path.read_bytes())
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                whole = None  # read it line by line: each bad line is a row error
        records = iter([(1, whole)]) if whole is not None else self._lines(path, progress)
        for line, obj in records:
            if isinstance(obj, RowError):
                yield obj
                continue
            for rec in _records(obj):
                if not isinstance(rec, dict):
                    yield RowError(str(path), line, "an ad record must be a JSON object")
                    continue
                try:
                    yield Parsed(line, parse_record(rec))
                except RowRejected as exc:
                    yield RowError(str(path), line, str(exc))
        if progress is not None:
            progress(size)

    def _lines(self, path: Path, progress: Progress | None) -> Iterator[tuple[int, Any]]:
        for number, raw in file_lines(path, progress, every=256):
            try:
                yield number, json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                yield number, RowError(str(path), number, f"not JSON: {exc}")


def _records(obj: Any) -> list[Any]:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict) and isinstance(obj.get("data"), list):
        return list(obj["data"])
    return [obj]
