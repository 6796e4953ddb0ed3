"""The parameters of ``GET /v{N}/ads_archive``, parsed and checked the way the Graph API's
``ads_archive`` edge takes them (docs/ads_archive.md).

Array parameters come in the spellings Graph clients send: ``['US','GB']`` (the reference's
own examples), ``["US"]`` (JSON: what the ``facebook_business`` SDK sends), ``US,GB`` and the
parameter repeated (``?languages=en&languages=fr``, or ``?languages[]=en&languages[]=fr`` as
PHP and Rails clients send it). Anything wrong raises
``ArchiveParamError``, which the API turns into a Graph error object (code 100).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from paidfor import errors
from paidfor.domain.models import MAX_ID, AdType

ACTIVE_STATUS_VALUES = ("ACTIVE", "ALL", "INACTIVE")  # ad_active_status
AD_TYPES = (
    AdType.ALL.value,
    AdType.POLITICAL_AND_ISSUE_ADS.value,
    "HOUSING_ADS",
    "EMPLOYMENT_ADS",
    "FINANCIAL_PRODUCTS_AND_SERVICES_ADS",
    "CREDIT_ADS",  # the older name of FINANCIAL_PRODUCTS_AND_SERVICES_ADS
)
MEDIA_TYPES = ("ALL", "IMAGE", "MEME", "VIDEO", "NONE")
PLATFORMS = (
    "FACEBOOK",
    "INSTAGRAM",
    "AUDIENCE_NETWORK",
    "MESSENGER",
    "WHATSAPP",
    "OCULUS",
    "THREADS",
)
SEARCH_TYPES = ("KEYWORD_UNORDERED", "KEYWORD_EXACT_PHRASE")
SEARCH_TERMS_MAX = 100
PAGE_IDS_MAX = 10
LIMIT_DEFAULT = 25
# The largest page: what Meta's own example client asks for (``--batch-size 5000``); more is
# Graph's #100 error, never a page silently cut short.
LIMIT_MAX = 5000
_COUNTRY = re.compile(r"^(?:[A-Z]{2}|ALL)$")
_CURSOR_PREFIX = b"paidfor-archive:"


class ArchiveParamError(errors.BadRequest):
    """A bad request, as a Graph error: ``(#100) message``."""

    def __init__(self, message: str, code: int = 100, subcode: int | None = None) -> None:
        super().__init__(f"(#{code}) {message}")
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True)
class ArchiveQuery:
    reached_countries: tuple[str, ...]
    ad_type: str = AdType.ALL.value
    active_status: str = "ACTIVE"
    delivery_date_min: date | None = None
    delivery_date_max: date | None = None
    search_terms: str | None = None
    search_type: str = "KEYWORD_UNORDERED"
    page_ids: tuple[str, ...] = ()
    bylines: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    media_type: str = "ALL"
    audience_min: int | None = None
    audience_max: int | None = None
    unmask_removed_content: bool = False
    fields: tuple[str, ...] = ("id",)
    limit: int = LIMIT_DEFAULT
    after_id: int | None = None
    before_id: int | None = None  # ``before``: the page that ends just before this cursor
    # the sub-fields asked for with Graph's nested syntax (``spend{lower_bound}``)
    subfields: tuple[tuple[str, tuple[str, ...]], ...] = ()


def parse_array(values: Sequence[str]) -> list[str]:
    """The items of an array parameter given (possibly repeated) as ``values``.

    Each value is a JSON array (``["US","GB"]``), a bracketed list with single, double or no
    quotes (``['US', 'GB']``, ``[US,GB]``), or a comma-separated list (``US,GB``). Items are
    stripped of surrounding blanks; empty items are dropped.
    """
    out: list[str] = []
    for raw in values:
        value = raw.strip()
        if value.startswith("[") and value.endswith("]"):
            try:
                parsed = json.loads(value)
            except ValueError:
                out.extend(_split_items(value[1:-1]))
                continue
            if not isinstance(parsed, list) or any(isinstance(v, list | dict) for v in parsed):
                raise ArchiveParamError(f"Invalid array: {raw!r}")
            if all(isinstance(v, str) for v in parsed):
                out.extend(v.strip() for v in parsed)
            else:  # bare words JSON reads as other things: [true], [1e3] mean "true", "1e3"
                out.extend(_split_items(value[1:-1]))
        else:
            out.extend(_split_items(value))
    return [item for item in out if item]


def parse_fields(values: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Graph's ``fields`` list, with its nested syntax: ``id,spend{lower_bound,upper_bound}``
    is ``[("id", ()), ("spend", ("lower_bound", "upper_bound"))]`` (no sub-fields: the whole
    value). Commas inside braces separate sub-fields, not fields; braces must balance and
    nest one level."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for raw in values:
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            if "{" not in text:
                out.extend((f, ()) for f in parse_array([text]))
                continue
            text = re.sub(r"[\"']", "", text[1:-1])  # field names hold no quotes
        for m in re.finditer(r"\s*([^,{}]*?)\s*(?:\{([^{}]*)\})?\s*(?:,|$)", text):
            if m.end() == m.start():
                break
            name, inner = m.group(1), m.group(2)
            if not name:
                if inner is not None:
                    raise ArchiveParamError(f"Syntax error in fields: {raw!r}")
                continue
            subs = tuple(s.strip("'\" ") for s in (inner or "").split(",") if s.strip("'\" "))
            if inner is not None and not subs:
                raise ArchiveParamError(f"Syntax error in fields: {raw!r}")
            out.append((name.strip("'\" "), subs))
        if text.count("{") != text.count("}") or re.search(r"\{[^}]*\{", text):
            raise ArchiveParamError(f"Syntax error in fields: {raw!r}")
    return out


def _split_items(body: str) -> list[str]:
    """``'a', "b, c", d`` -> ``['a', 'b, c', 'd']``: quoted items may hold commas; ``\\``
    escapes the next character inside quotes."""
    items: list[str] = []
    i, n = 0, len(body)
    while i <= n:
        while i < n and body[i].isspace():
            i += 1
        if i < n and body[i] in "'\"":
            quote, i, chars = body[i], i + 1, []
            while i < n and body[i] != quote:
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            if i >= n:
                raise ArchiveParamError(f"Unterminated quote in array: {body!r}")
            items.append("".join(chars).strip())
            i += 1
            while i < n and body[i].isspace():
                i += 1
            if i < n and body[i] != ",":
                raise ArchiveParamError(f"Expected a comma in array: {body!r}")
        else:
            end = body.find(",", i)
            end = n if end < 0 else end
            items.append(body[i:end].strip())
            i = end
        i += 1
    return items


def encode_cursor(ad_id: int) -> str:
    return base64.urlsafe_b64encode(_CURSOR_PREFIX + str(ad_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, name: str = "after") -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ArchiveParamError(f"Invalid cursor: {name}") from exc
    if not raw.startswith(_CURSOR_PREFIX) or not raw[len(_CURSOR_PREFIX) :].isdigit():
        raise ArchiveParamError(f"Invalid cursor: {name}")
    ad_id = int(raw[len(_CURSOR_PREFIX) :])
    if ad_id > MAX_ID:  # names no ad: as bad as any other forged cursor
        raise ArchiveParamError(f"Invalid cursor: {name}")
    return ad_id


def _last(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    return values[-1].strip() if values else None


def _enum(
    params: Mapping[str, Sequence[str]], name: str, allowed: Sequence[str], default: str
) -> str:
    value = _last(params, name)
    if value is None or value == "":
        return default
    value = value.upper()
    if value not in allowed:
        raise ArchiveParamError(f"Param {name} must be one of {{{', '.join(allowed)}}}")
    return value


def _date(params: Mapping[str, Sequence[str]], name: str) -> date | None:
    value = _last(params, name)
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ArchiveParamError(f"Param {name} must be a date in the format YYYY-mm-dd") from exc


def _int(params: Mapping[str, Sequence[str]], name: str, minimum: int = 0) -> int | None:
    value = _last(params, name)
    if not value:
        return None
    if not re.fullmatch(r"\d{1,12}", value) or int(value) < minimum:
        raise ArchiveParamError(f"Param {name} must be an integer >= {minimum}")
    return int(value)


def _bool(params: Mapping[str, Sequence[str]], name: str) -> bool:
    value = (_last(params, name) or "false").lower()
    if value not in ("true", "false", "1", "0"):
        raise ArchiveParamError(f"Param {name} must be a boolean")
    return value in ("true", "1")


def _fold_brackets(params: Mapping[str, Sequence[str]]) -> Mapping[str, Sequence[str]]:
    """``key[]=a&key[]=b`` is ``key=a&key=b``."""
    if not any(name.endswith("[]") for name in params):
        return params
    out: dict[str, list[str]] = {}
    for name, values in params.items():
        out.setdefault(name.removesuffix("[]"), []).extend(values)
    return out


def parse_query(params: Mapping[str, Sequence[str]], known_fields: Sequence[str]) -> ArchiveQuery:
    """An ``ArchiveQuery`` from raw query parameters (each name with all its values).

    Parameters the endpoint does not know (``access_token``, ``appsecret_proof``,
    ``summary``...) are ignored.
    """
    params = _fold_brackets(params)
    for name, values in params.items():  # PostgreSQL cannot compare text holding NUL
        if any("\x00" in v for v in values):
            raise ArchiveParamError(f"Param {name} must not contain the NUL character")
    countries = [c.upper() for c in parse_array(params.get("ad_reached_countries") or [])]
    if not countries:
        raise ArchiveParamError("The parameter ad_reached_countries is required")
    bad = [c for c in countries if not _COUNTRY.match(c)]
    if bad:
        raise ArchiveParamError(
            f"Param ad_reached_countries[{countries.index(bad[0])}] must be an ISO country "
            f"code or ALL, got {bad[0]!r}"
        )
    terms = _last(params, "search_terms")
    if terms is not None and len(terms) > SEARCH_TERMS_MAX:
        raise ArchiveParamError(
            f"Param search_terms must be at most {SEARCH_TERMS_MAX} characters long"
        )
    page_ids = parse_array(params.get("search_page_ids") or [])
    if len(page_ids) > PAGE_IDS_MAX:
        raise ArchiveParamError(f"Param search_page_ids can hold at most {PAGE_IDS_MAX} ids")
    platforms = [p.upper() for p in parse_array(params.get("publisher_platforms") or [])]
    for p in platforms:
        if p not in PLATFORMS:
            raise ArchiveParamError(
                f"Param publisher_platforms must be one of {{{', '.join(PLATFORMS)}}}"
            )
    asked = parse_fields(params.get("fields") or []) or [("id", ())]
    for f, _subs in asked:
        if f not in known_fields:
            raise ArchiveParamError(
                f"Tried accessing nonexisting field ({f}) on node type (ArchivedAd)"
            )
    fields = [f for f, _subs in asked]
    subfields = {f: subs for f, subs in asked if subs}
    limit = _int(params, "limit", minimum=1)
    if limit is not None and limit > LIMIT_MAX:
        raise ArchiveParamError(f"Param limit must be at most {LIMIT_MAX}")
    after, before = _last(params, "after"), _last(params, "before")
    if after and before:
        raise ArchiveParamError("Param after and before cannot both be given")
    return ArchiveQuery(
        reached_countries=tuple(countries),
        ad_type=_enum(params, "ad_type", AD_TYPES, AdType.ALL.value),
        active_status=_enum(params, "ad_active_status", ACTIVE_STATUS_VALUES, "ACTIVE"),
        delivery_date_min=_date(params, "ad_delivery_date_min"),
        delivery_date_max=_date(params, "ad_delivery_date_max"),
        search_terms=terms or None,
        search_type=_enum(params, "search_type", SEARCH_TYPES, "KEYWORD_UNORDERED"),
        page_ids=tuple(page_ids),
        bylines=tuple(parse_array(params.get("bylines") or [])),
        languages=tuple(parse_array(params.get("languages") or [])),
        platforms=tuple(platforms),
        regions=tuple(parse_array(params.get("delivery_by_region") or [])),
        media_type=_enum(params, "media_type", MEDIA_TYPES, "ALL"),
        audience_min=_int(params, "estimated_audience_size_min"),
        audience_max=_int(params, "estimated_audience_size_max"),
        unmask_removed_content=_bool(params, "unmask_removed_content"),
        fields=tuple(dict.fromkeys(fields)),
        limit=limit if limit is not None else LIMIT_DEFAULT,
        after_id=decode_cursor(after) if after else None,
        before_id=decode_cursor(before, "before") if before else None,
        subfields=tuple(subfields.items()),
    )
