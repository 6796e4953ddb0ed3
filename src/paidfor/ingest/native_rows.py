"""A native ad line read straight into the row the writer stores (``PreparedAd``).

``native.Native.read`` gives domain ``Ad`` objects (``domain.serialize.ad_from_json``), which
``storage.prepare.prepare_ad`` turns into a row. An import only needs the row, and building
the objects in between was most of its time, so ``ad_row`` goes from the parsed JSON to the
row in one step. It uses the same rules (the value readers of ``domain.serialize``, the URL
rules, the currency rates) and must give exactly the row of the long way, or refuse exactly
the records it refuses: tests/ingest/test_native_rows.py holds the two equal on generated
records. Any record it cannot read is handed to the long way, whose error names the line.

The stored ``content_hash`` of an ad read this way is the hash of its line (``line_hash``),
so that a re-import can tell an unchanged line from its bytes (``line_key`` finds its key
without parsing it) and skip it. ``ROW_FORMAT`` changes whenever what a line is stored as
changes, so that a line stored by an older version is read again.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import orjson

from paidfor import __version__
from paidfor.domain import AdStatus, AdType, Funder
from paidfor.domain.models import creative_text
from paidfor.domain.money import FxRates, to_cents
from paidfor.domain.serialize import (
    _dec_in,
    _optional_str,
    _range_in,
    _strings,
    _time_in,
    advertiser_from_json,
    page_from_json,
)
from paidfor.domain.targeting import Location, Targeting
from paidfor.domain.urls import site_of
from paidfor.ingest.base import unlinked_urls
from paidfor.storage.mapping import utc_naive
from paidfor.storage.prepare import PreparedAd

ROW_FORMAT = 1
_SALT = hashlib.sha1(f"paidfor-native-row {ROW_FORMAT} {__version__}\n".encode())
# The start of a line holding an ad: its source and its key as plain JSON strings before any
# nested value, so they are the record's own (a key repeated later in the line makes this a
# wrong guess, which only costs the line a full reading: see ``Native.rows``).
_KEY = re.compile(
    rb'\{\s*(?:"kind"\s*:\s*"ad"\s*,\s*)?"source"\s*:\s*"([^"\\]+)"\s*,'
    rb'\s*"external_id"\s*:\s*"([^"\\]+)"\s*[,}]'
)
_TARGETING_KEYS = tuple(Targeting.__dataclass_fields__)
_LOCATION_KEYS = tuple(Location.__dataclass_fields__)
_STATUSES = frozenset(str(s) for s in AdStatus)
_DEFAULT_AD_TYPE = AdType.POLITICAL_AND_ISSUE_ADS.value


def line_hash(raw: bytes) -> str:
    """The content hash of an ad stored from the line ``raw`` (end of line aside)."""
    h = _SALT.copy()
    h.update(raw.rstrip(b"\r\n"))
    return h.hexdigest()[:32]


def line_key(raw: bytes) -> tuple[str, str] | None:
    """The (source, external_id) of the ad on line ``raw``, read from its first bytes; None
    when they are not plainly there (the line is then read in full)."""
    found = _KEY.match(raw)
    if found is None:
        return None
    try:
        return found.group(1).decode(), found.group(2).decode()
    except UnicodeDecodeError:
        return None


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def _targeting(data: Any) -> str:
    """The stored JSON of a record's targeting: ``Targeting.from_dict(data).to_dict()``, which
    for a dict with every key in its order (and locations likewise) is the dict itself."""
    if (
        type(data) is dict
        and tuple(data) == _TARGETING_KEYS
        and type(data["locations"]) is list
        and type(data["excluded_locations"]) is list
        and all(
            type(loc) is dict and tuple(loc) == _LOCATION_KEYS
            for loc in (*data["locations"], *data["excluded_locations"])
        )
    ):
        return _dumps(data)
    return _dumps(Targeting.from_dict(data).to_dict())


def _stored(moment: datetime | None, sqlite: bool) -> Any:
    """A time as the writer stores it (``storage.prepare``): naive UTC; text on SQLite. A
    time given in UTC (most are) is its text before the offset: a fifth of the time of
    converting it (7 of an ad's 57 us went to its three times)."""
    if sqlite and moment is not None and moment.tzinfo is UTC:
        return moment.isoformat(" ", "microseconds")[:26]
    moment = utc_naive(moment)
    if moment is None or not sqlite:
        return moment
    return moment.isoformat(sep=" ", timespec="microseconds")


def ad_row(
    obj: dict[str, Any], digest: str, rates: FxRates, *, sqlite: bool = True
) -> tuple[PreparedAd, list[str]]:
    """The row of the ad record ``obj`` (its content hash ``digest``) and what its URLs have
    to say (``ingest.base.unlinked_urls``); raises on a record it cannot read."""
    if not str(obj.get("source") or "").strip() or not str(obj.get("external_id") or "").strip():
        raise ValueError("an ad needs a source and an external_id")
    source, external_id = str(obj["source"]), str(obj["external_id"])
    c = obj.get("creative") or {}
    bodies = _strings(c, "bodies")
    titles = _strings(c, "link_titles")
    captions = _strings(c, "link_captions")
    descriptions = _strings(c, "link_descriptions")
    landing = _optional_str(c, "landing_url")
    images = _strings(c, "image_hashes")
    p, f, a = obj.get("page"), obj.get("funder"), obj.get("advertiser")
    page = None if not p else page_from_json(p)
    funder = None if not f else Funder(name=str(f["name"]))
    advertiser = None if not a else advertiser_from_json(a, obj)
    targeting = _targeting(obj.get("targeting"))
    d = obj.get("delivery") or {}
    spend = _dec_in(d.get("spend"))
    if spend is not None and spend < 0:
        raise ValueError(f"negative spend {spend}")
    impressions, clicks = d.get("impressions"), d.get("clicks")
    for value in (impressions, clicks):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValueError("impressions and clicks are whole numbers >= 0")
    spend_usd = _dec_in(d.get("spend_usd"))
    spend_range = _range_in(d.get("spend_range"))
    impressions_range = _range_in(d.get("impressions_range"))
    demographic = list(d.get("demographic_distribution") or [])
    regions = list(d.get("delivery_by_region") or [])
    countries = list(d.get("reached_countries") or [])
    created, start, stop = (_time_in(obj.get(k)) for k in ("created_at", "start_at", "stop_at"))
    status = obj.get("status") or "pending"
    if status not in _STATUSES:
        status = AdStatus(status)  # raises for a status that is not one
    platforms = list(obj.get("platforms") or [])
    languages = list(obj.get("languages") or [])
    ad_type = str(obj.get("ad_type") or _DEFAULT_AD_TYPE)
    currency = d.get("currency")
    if spend is not None and spend_usd is None and currency:  # as native.Native.read does
        day = start or created
        spend_usd = rates.to_usd(spend, currency, day.date() if day else None)
    params = (
        source,
        external_id,
        digest,
        _dumps(
            {
                "bodies": bodies,
                "link_titles": titles,
                "link_captions": captions,
                "link_descriptions": descriptions,
                "image_hashes": images,
            }
        ),
        landing,
        site_of(landing),
        creative_text(bodies, titles, captions, descriptions),
        targeting,
        _stored(created, sqlite),
        _stored(start, sqlite),
        _stored(stop, sqlite),
        str(status),
        obj.get("removal_reason"),
        obj.get("is_political"),
        obj.get("political_score"),
        ad_type,
        currency,
        None if spend is None else to_cents(spend),
        None if spend_usd is None else to_cents(spend_usd),
        None if spend_range is None else spend_range.lower,
        None if spend_range is None else spend_range.upper,
        impressions,
        None if impressions_range is None else impressions_range.lower,
        None if impressions_range is None else impressions_range.upper,
        clicks,
        None,  # audience_lower: the native format has no estimated audience
        None,
        _dumps(demographic),
        _dumps(regions),
        _dumps(countries),
        _dumps(platforms),
        _dumps(languages),
        None,  # snapshot_url
        0.0,  # risk_score: scored later
        "[]",  # risk_explanations
    )
    notes = unlinked_urls(page.url if page else None, landing, None)
    return PreparedAd((source, external_id), digest, params, page, funder, advertiser), notes
