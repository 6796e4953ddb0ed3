"""What a disclosure package shows of its ads and its request, as labelled lines of text:
the values ``index.html`` (``disclosure.index_html``) and ``index.pdf``
(``disclosure.index_pdf``) both print, formatted once.

``ads`` are dicts of the shape the package's export writes (every key may be missing or
empty): ``id, external_id, source, text, link_title, landing_url, targeting, impressions,
clicks, spend, currency, spend_usd, created_at, start_at, stop_at, page, funder, status,
images`` (paths relative to the package folder, like ``creatives/<hash>.png``).

``meta`` describes the request: ``disclosure_id, recipient, legal_basis, requested_by,
approved_by, built_at, case_id, filters`` (a dict), ``counts`` (a dict), ``software``,
optionally ``title`` and ``files`` (the package's files to link from index.html); any other
key is shown as is in index.html.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

NONE = "—"

_TARGETING_LABELS = {
    "locations": "Location",
    "excluded_locations": "Excluded locations",
    "genders": "Gender",
    "languages": "Language",
    "placements": "Placements",
    "interests": "Interests",
    "excluded_interests": "Excluded interests",
    "behaviors": "Behaviors",
    "excluded_behaviors": "Excluded behaviors",
    "people_who_match": "People who match",
    "custom_audiences": "Custom audiences",
    "excluded_custom_audiences": "Excluded custom audiences",
    "connections": "Connections",
    "friends_of_connections": "Friends of connections",
    "excluded_connections": "Excluded connections",
}
_TARGETING_ORDER = (
    "locations",
    "excluded_locations",
    "age",
    "genders",
    "languages",
    "interests",
    "excluded_interests",
    "behaviors",
    "excluded_behaviors",
    "people_who_match",
    "custom_audiences",
    "excluded_custom_audiences",
    "connections",
    "friends_of_connections",
    "excluded_connections",
    "placements",
)
# the source text of each field (Targeting.raw) repeats what the lines above say; it stays
# in ads.jsonl
_TARGETING_SKIP = frozenset({"raw", "age_min", "age_max"})


def _country(code: str) -> str:
    try:
        import pycountry

        found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    except (ImportError, LookupError, KeyError):
        found = None
    return str(getattr(found, "common_name", None) or getattr(found, "name", None) or code)


def _location(loc: Any) -> str:
    if not isinstance(loc, dict):
        return str(loc)
    city = loc.get("city")
    if city and loc.get("radius_km"):
        city = f"{city} (+{loc['radius_km']} km)"
    parts = [p for p in (city, loc.get("region")) if p]
    if loc.get("country"):
        parts.append(_country(str(loc["country"])))
    return ", ".join(str(p) for p in parts) or str(loc.get("raw") or "")


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(
            f"{k}: {value_text(v)}" for k, v in value.items() if v not in (None, "", [])
        )
    if isinstance(value, list | tuple):
        return "; ".join(value_text(v) for v in value if v not in (None, "", []))
    return str(value)


def _label(key: str) -> str:
    return _TARGETING_LABELS.get(key) or key.replace("_", " ").strip().capitalize()


def targeting_lines(targeting: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The targeting as (label, text) lines, the known fields first, then any other field."""
    if not isinstance(targeting, dict):
        return []
    lines: list[tuple[str, str]] = []
    keys = [k for k in _TARGETING_ORDER if k == "age" or k in targeting]
    keys += sorted(k for k in targeting if k not in _TARGETING_ORDER and k not in _TARGETING_SKIP)
    for key in keys:
        if key == "age":
            lo, hi = targeting.get("age_min"), targeting.get("age_max")
            if lo is None and hi is None:
                continue
            if hi is None:
                text = f"{lo}+" if lo not in (None, 65) else "65+"
            else:
                text = f"{lo if lo is not None else 13} – {hi}"
            lines.append(("Age", text))
            continue
        value = targeting.get(key)
        if value in (None, "", [], {}):
            continue
        if key in ("locations", "excluded_locations") and isinstance(value, list):
            # one line per country, its places after it, as the 2017 release printed them
            # ("United States: Baltimore (+20 km), Maryland; St. Louis, Missouri")
            groups: dict[str, list[str]] = {}
            for loc in value:
                if isinstance(loc, dict) and loc.get("country"):
                    place = _location({**loc, "country": None})
                    groups.setdefault(_country(str(loc["country"])), []).append(place)
                else:
                    groups.setdefault(_location(loc), [])
            for country, places in groups.items():
                shown = "; ".join(p for p in places if p)
                lines.append((_label(key), f"{country}: {shown}" if shown else country))
            continue
        else:
            text = value_text(value)
        if text:
            lines.append((_label(key), text))
    return lines


def _count(value: Any) -> str:
    if value is None or value == "":
        return NONE
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def _decimal(value: Any, places: int | None = None) -> str | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
        if places is not None:
            d = d.quantize(Decimal(1).scaleb(-places))
        return f"{d:,f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _money(value: Any) -> str | None:
    """An amount with at least two decimals (``18.1`` → ``18.10``), never rounded."""
    try:
        exponent = Decimal(str(value)).as_tuple().exponent
    except (InvalidOperation, ValueError):
        return _decimal(value)
    return _decimal(value, 2 if isinstance(exponent, int) and exponent > -2 else None)


def spend_text(ad: dict[str, Any]) -> str:
    """``10,085.77 RUB (189.56 USD)``; ``—`` when nothing is known."""
    spend = _money(ad.get("spend")) if ad.get("spend") not in (None, "") else None
    currency = ad.get("currency") or ""
    usd = _decimal(ad.get("spend_usd"), 2)
    if spend is None:
        return f"{usd} USD" if usd is not None else NONE
    text = f"{spend} {currency}".strip()
    if usd is not None and str(currency).upper() != "USD":
        text += f" ({usd} USD)"
    return text


def date_text(value: Any) -> str:
    """An ISO time as ``2015-06-10 09:59:53 UTC`` (other offsets are kept); ``—`` for none."""
    if value is None or value == "":
        return NONE
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if moment.utcoffset() == UTC.utcoffset(None):
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def ad_rows(ad: dict[str, Any]) -> list[tuple[str, str]]:
    """Everything but the text, targeting and images, as (label, text) rows."""
    rows = [("Ad Landing Page", str(ad.get("landing_url") or NONE))]
    if ad.get("link_title"):
        rows.append(("Ad Link Title", str(ad["link_title"])))
    rows += [
        ("Ad Impressions", _count(ad.get("impressions"))),
        ("Ad Clicks", _count(ad.get("clicks"))),
        ("Ad Spend", spend_text(ad)),
        ("Ad Creation Date", date_text(ad.get("created_at"))),
    ]
    if ad.get("start_at") and ad.get("start_at") != ad.get("created_at"):
        rows.append(("Ad Start Date", date_text(ad.get("start_at"))))
    rows += [
        ("Ad End Date", date_text(ad.get("stop_at"))),
        ("Page", str(ad.get("page") or NONE)),
        ("Paid for by", str(ad.get("funder") or "(no “Paid for by” disclaimer)")),
        ("Status", str(ad.get("status") or NONE)),
    ]
    return rows


def ad_title(ad: dict[str, Any]) -> str:
    """``3101 (hpsci-ira 3101)``: the package's id, then where the ad came from."""
    ident = str(ad.get("id") if ad.get("id") is not None else NONE)
    origin = " ".join(str(p) for p in (ad.get("source"), ad.get("external_id")) if p)
    return f"{ident} ({origin})" if origin and origin != ident else ident


def scope_text(meta: dict[str, Any]) -> str:
    """``case #12`` or ``currency=RUB, date_min=2015-01-01``."""
    parts = []
    if meta.get("case_id") is not None:
        parts.append(f"case #{meta['case_id']}")
    filters = meta.get("filters")
    if isinstance(filters, dict) and filters:
        parts.append(", ".join(f"{k}={value_text(v)}" for k, v in sorted(filters.items())))
    return "; ".join(parts) or NONE


def counts_text(meta: dict[str, Any]) -> str:
    counts = meta.get("counts")
    if isinstance(counts, dict):
        return ", ".join(f"{_count(v)} {k}" for k, v in counts.items())
    return value_text(counts) or NONE


_META_ROWS = (
    ("disclosure_id", "Disclosure"),
    ("recipient", "Recipient"),
    ("legal_basis", "Legal basis"),
    ("requested_by", "Requested by"),
    ("approved_by", "Approved by"),
    ("built_at", "Built at"),
)
_META_SHOWN = frozenset({k for k, _ in _META_ROWS} | {"case_id", "filters", "counts", "title"})
_META_SHOWN |= {"files", "software"}


def meta_rows(meta: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [(label, value_text(meta.get(key)) or NONE) for key, label in _META_ROWS]
    rows.insert(-1, ("Scope", scope_text(meta)))
    rows.append(("Contents", counts_text(meta)))
    if meta.get("software"):
        rows.append(("Software", value_text(meta["software"])))
    rows += [(_label(k), value_text(v)) for k, v in meta.items() if k not in _META_SHOWN]
    return rows


def safe_relative(path: Any) -> str | None:
    """``path`` as a relative URL inside the package, or None if it is not one."""
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts) or ":" in parts[0]:
        return None
    return quote(path)
