"""What the search index holds of an ad (``library.index_store``): its schema, the analyzer
of its words, the exact sort keys and the delivery months, and the document of one ``ads``
row. Changing any of it means a new ``SCHEMA_VERSION``: an index built by another version is
rebuilt from scratch.

Sort keys are exact and unique: ``(value + 1) << 32 | id`` in an unsigned 64-bit fast field,
so "highest value first, ties newest id first, no value last" is one fast-field sort. That
holds ids below 2**32, values below 2**32 - 1 (4.29 billion impressions, $42.9 million of
spend; larger values tie, and fall back to id order) and creation times to the second.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import orjson
import tantivy
from sqlalchemy import Text, cast, func, literal_column

from paidfor.domain.models import ACTIVE_STATUSES, PUBLIC_STATUSES, political
from paidfor.library.ranges import published_spend_lower, spend_order
from paidfor.storage.models import AdRow
from paidfor.storage.rules import delivered_until, started

# 5: "stop" is when the ad stopped delivering (Ad.delivered_until); 6: "k_spend" orders by
# the published range first (library.ranges.spend_order)
SCHEMA_VERSION = 6
ANALYZER = "paidfor_words"
ID_LIMIT = 2**32
VALUE_CAP = 2**32 - 2
I64_MAX = 2**63 - 1
MAX_MONTHS = 120
PUBLIC = frozenset(str(s) for s in PUBLIC_STATUSES)
SORT_FIELDS = {"newest": "k_newest", "spend": "k_spend", "impressions": "k_impressions"}


def analyzer() -> tantivy.TextAnalyzer:
    """Words as the database's full-text tokenizers see them: runs of letters and digits,
    lower-cased, accents folded."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(255))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", indexed=True, fast=True)
    sb.add_text_field("text", tokenizer_name=ANALYZER, index_option="position")
    for key in SORT_FIELDS.values():
        sb.add_unsigned_field(key, fast=True)
    for name in ("page", "funder"):
        sb.add_unsigned_field(name, indexed=True)
    # Exact values, one term each: codes as stored; languages, platforms, regions lower-cased;
    # "month": every month the ad delivered in (``month_key``), "open" when it has no end.
    for name in ("country", "language", "platform", "region", "status", "ad_type", "media"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("month", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("open_month", indexed=True)  # an ad without an end: its first month
    sb.add_boolean_field("political", indexed=True)
    # Microseconds since 1970 (UTC); no value: the largest integer.
    for name in ("start", "stop"):
        sb.add_integer_field(name, indexed=True, fast=True)
    sb.add_integer_field("audience_lower", indexed=True, fast=True)  # none: -1
    sb.add_integer_field("audience_upper", indexed=True, fast=True)  # none: the largest
    return sb.build()


def month_of(day: date) -> int:
    """The calendar month of ``day``: year * 12 + month - 1 (``month`` terms)."""
    return day.year * 12 + day.month - 1


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)


def micros(value: datetime) -> int:
    """Microseconds since 1970 of a naive-UTC time (the ``start``, ``stop`` fields): exact,
    where going through a float timestamp could be one off (and took five times as long)."""
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return (value - _EPOCH) // _MICROSECOND


def _moment(value: datetime | str | None) -> datetime | None:
    """A stored time as a naive-UTC ``datetime`` (SQLite hands back times as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return value


def month_key(moment: int) -> int:
    """The calendar month (UTC) of a time in microseconds since 1970: year * 12 + month - 1."""
    return month_of(_EPOCH + moment * _MICROSECOND)


def delivery_months(started: int, stopped: int, first: int, last: int) -> list[str]:
    """The ``month`` terms of an ad delivering from ``started`` to ``stopped`` (microseconds
    since 1970), ``first`` and ``last`` their months (``month_of``): each month it spans;
    "wide" instead when it ends before it starts or spans more than ``MAX_MONTHS`` (the query
    checks those exactly). An ad without an end has the term "open" instead, one that never
    delivered none."""
    if stopped < started or last - first > MAX_MONTHS:
        return ["wide"]
    if first == last:
        return [str(first)]
    return [str(m) for m in range(first, last + 1)]


def sort_key(value: int | None, ad_id: int) -> int:
    """Highest value first, no value last, ties by id (see the module's docstring)."""
    if value is None:
        return ad_id
    return (min(max(value, 0), VALUE_CAP) + 1) << 32 | ad_id


def _image_count(dialect: str) -> Any:
    if dialect == "postgresql":
        hashes = AdRow.creative.op("->")(literal_column("'image_hashes'"))
        return func.coalesce(func.jsonb_array_length(hashes), 0)
    return func.coalesce(func.json_array_length(AdRow.creative, "$.image_hashes"), 0)


#: The JSON list columns ``document`` reads.
_LISTS = (AdRow.reached_countries, AdRow.languages, AdRow.platforms, AdRow.delivery_by_region)


def _as_text(column: Any, dialect: str) -> Any:
    """A JSON column as its text on PostgreSQL (``_listed`` parses it with orjson): psycopg's
    own reading of four ``jsonb`` values a row took 0.65 s of a catch-up's 3.6 s of CPU at
    100,000 ads. SQLite hands JSON back as text already."""
    return column if dialect == "sqlite" else cast(column, Text).label(column.key)


def columns(dialect: str) -> list[Any]:
    """The columns of ``ads`` that ``document`` reads."""
    return [
        AdRow.id,
        AdRow.status,
        AdRow.search_text,
        AdRow.created_at,
        started().label("started"),
        delivered_until().label("until"),
        AdRow.ad_type,
        AdRow.is_political,
        AdRow.spend_usd_cents,
        AdRow.spend_cents,
        AdRow.spend_lower,
        func.coalesce(AdRow.impressions, AdRow.impressions_lower).label("impressions"),
        AdRow.page_id,
        AdRow.funder_id,
        *(_as_text(c, dialect) for c in _LISTS),
        _image_count(dialect).label("images"),
        AdRow.audience_lower,
        AdRow.audience_upper,
    ]


def document(row: Any) -> str:
    """The index document of one ``ads`` row, as the JSON text ``IndexWriter.add_json``
    reads: the values of ``columns``, in their order (a SQLAlchemy row or the driver's tuple:
    times as values or ISO text, JSON lists as values or their text). One JSON text took half
    the time of ``Document.from_dict`` and ``add_document``, which convert value by value."""
    (ad_id, status, text, created_at, started_at, until, ad_type, is_political, usd_cents,
     spend_cents, spend_lower, impressions, page_id, funder_id, countries, languages,
     platforms, regions, images, audience_lower, audience_upper) = row  # fmt: skip
    ad_id = int(ad_id)
    if not 0 < ad_id < ID_LIMIT:
        raise ValueError(f"ad id {ad_id} is outside what the search index holds (1 to 2**32-1)")
    created = _moment(created_at)
    lower = published_spend_lower(spend_lower, spend_cents)
    fields: dict[str, Any] = {
        "id": ad_id,
        "text": text or "",
        "k_newest": sort_key(None if created is None else (created - _EPOCH) // _SECOND, ad_id),
        "k_spend": sort_key(spend_order(lower, usd_cents), ad_id),
        "k_impressions": sort_key(impressions, ad_id),
        "status": status,
        "ad_type": ad_type or "",
        "media": "IMAGE" if images and int(images) > 0 else "NONE",
        "political": bool(political(is_political, ad_type)),
    }
    if page_id is not None:
        fields["page"] = int(page_id)
    if funder_id is not None:
        fields["funder"] = int(funder_id)
    values = [str(v) for v in _listed(countries)]
    if values:
        fields["country"] = values
    values = [str(v).lower() for v in _listed(languages)]
    if values:
        fields["language"] = values
    values = [str(v).lower() for v in _listed(platforms)]
    if values:
        fields["platform"] = values
    places = [
        str(item["region"]).lower()
        for item in _listed(regions)
        if type(item) is dict and item.get("region") is not None
    ]
    if places:
        fields["region"] = places
    start = _moment(started_at)
    stop = _moment(until)  # storage.rules.delivered_until: None while open-ended
    started = None if start is None else micros(start)
    stopped = None if stop is None else micros(stop)
    if stopped is None and status not in ACTIVE_STATUSES:
        stopped = -1  # an inactive ad with no date at all: it matches no delivery window
    fields["start"] = I64_MAX if started is None else started
    fields["stop"] = I64_MAX if stopped is None else stopped
    if start is not None and started is not None:  # never delivered: no month matches it
        if stopped is None:
            fields["month"] = "open"
            fields["open_month"] = month_of(start)
        else:
            last = month_of(stop) if stop is not None else month_key(stopped)
            fields["month"] = delivery_months(started, stopped, month_of(start), last)
    fields["audience_lower"] = -1 if audience_lower is None else int(audience_lower)
    fields["audience_upper"] = I64_MAX if audience_upper is None else int(audience_upper)
    return orjson.dumps(fields).decode()


def _listed(value: Any) -> Any:
    """A JSON list column's items, read as a list or as its text (SQLite's driver)."""
    if isinstance(value, str):
        return orjson.loads(value)
    return value or ()
