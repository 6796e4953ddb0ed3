"""The public library's search: a ``LibraryQuery`` parsed from the query string, and the
service that answers it (one page of ``PublicAd`` and the total) and gives the ad page its
ad. The HTML pages and the JSON API render the same results; ``library.home`` builds the home
page and ``library.exports`` the downloads from the same query.

Query-string parameters (every one optional; an empty value is the same as none):

=========== ===================================================================================
``q``        words of the creative text (every word must be there), at most 200 characters
``match``    ``words`` (default: every word, any order) or ``phrase`` (the exact phrase)
``country``  ISO 3166 alpha-2 codes of countries the ad reached, any of (repeat or ``US,GB``)
``date_min`` ``YYYY-MM-DD``: ads delivered on or after this day
``date_max`` ``YYYY-MM-DD``: ads delivered on or before this day
``status``   ``all`` (default), ``active`` or ``inactive``
``type``     ``all`` (default) or ``political`` (ads classified political, or declared in the
             political and issue category when not classified)
``funder``   a "Paid for by" name, exactly but ignoring case (repeat for several)
``funder_id`` / ``page_id``   our ids of funders / pages (``/funders/{id}``, ``/pages/{id}``)
``language`` ISO 639 codes (``en``), any of
``platform`` ``facebook``, ``instagram``, ``audience_network``, ``messenger``, ``whatsapp``,
             ``oculus``, ``threads``, any of
``removed``  ``include`` (default), ``exclude`` or ``only``: ads removed for breaking the rules
``sort``     ``newest`` (default), ``spend`` or ``impressions``
``page``     page number, from 1; ``per_page`` 1 to 100 (default 25)
=========== ===================================================================================

Anything else, or a value out of range, raises ``LibraryQueryError`` with a message that
names the parameter; the pages answer it with 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any, cast
from urllib.parse import urlencode

from paidfor import errors
from paidfor.domain.models import PUBLIC_STATUSES
from paidfor.library.archive_params import PLATFORMS as GRAPH_PLATFORMS
from paidfor.library.archive_store import ArchiveFilter
from paidfor.library.store import (
    LibraryFilter,
    LibraryRepository,
    Removed,
    Sort,
)
from paidfor.library.views import PublicAd, PublicAdDetail
from paidfor.storage.repo import search_words

PLATFORMS = tuple(p.lower() for p in GRAPH_PLATFORMS)
SORTS: tuple[Sort, ...] = ("newest", "spend", "impressions")
REMOVED: tuple[Removed, ...] = ("include", "exclude", "only")
STATUSES = ("all", "active", "inactive")
TYPES = ("all", "political")
MATCHES = ("words", "phrase")
Q_MAX = 200
LIST_MAX = 20
PER_PAGE_DEFAULT = 25
PER_PAGE_MAX = 100
# Paging stops here (a dedicated search index pages no deeper either); the downloads have
# every result.
MAX_RESULTS_PAGED = 10_000
_COUNTRY = re.compile(r"[A-Z]{2}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ID = re.compile(r"[1-9][0-9]{0,18}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LIST_PARAMS = ("country", "language", "platform", "funder", "funder_id", "page_id")


class LibraryQueryError(errors.BadRequest):
    """A query parameter the library cannot take; ``str()`` is a sentence for a person."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message

    def as_json(self) -> dict[str, Any]:
        return {"param": self.param, "message": self.message, "status": self.http_status}


@dataclass(frozen=True)
class LibraryQuery:
    q: str = ""
    match: str = "words"
    country: tuple[str, ...] = ()
    date_min: date | None = None
    date_max: date | None = None
    status: str = "all"
    type: str = "all"
    funder: tuple[str, ...] = ()
    funder_id: tuple[int, ...] = ()
    page_id: tuple[int, ...] = ()
    language: tuple[str, ...] = ()
    platform: tuple[str, ...] = ()
    removed: Removed = "include"
    sort: Sort = "newest"
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    # show removed ads' content (``Ad.content_withheld``), as ads_archive's parameter does
    unmask_removed_content: bool = False

    @classmethod
    def parse(cls, items: Iterable[tuple[str, str]]) -> LibraryQuery:
        """A query from ``(name, value)`` pairs, as a query string has them."""
        known = {f.name for f in fields(cls)}
        given: dict[str, list[str]] = {}
        for name, raw in items:
            if name not in known:
                raise LibraryQueryError(
                    name, f"unknown parameter; the search takes {', '.join(sorted(known))}"
                )
            value = raw.strip()
            if value:
                given.setdefault(name, []).append(value)
        for name, values in given.items():
            if name not in LIST_PARAMS and len(values) > 1:
                raise LibraryQueryError(name, "given more than once")
        one = {k: v[0] for k, v in given.items() if k not in LIST_PARAMS}
        query = cls(
            q=_text(one.get("q", "")),
            match=_choice(one, "match", MATCHES),
            country=_codes(given, "country", _COUNTRY, str.upper, "an ISO country code like US"),
            date_min=_day(one, "date_min"),
            date_max=_day(one, "date_max"),
            status=_choice(one, "status", STATUSES),
            type=_choice(one, "type", TYPES),
            funder=_names(given.get("funder", [])),
            funder_id=_ids(given, "funder_id"),
            page_id=_ids(given, "page_id"),
            language=_codes(given, "language", _LANGUAGE, str.lower, "a language code like en"),
            platform=_platforms(given),
            removed=cast(Removed, _choice(one, "removed", REMOVED)),
            sort=cast(Sort, _choice(one, "sort", SORTS)),
            page=_number(one, "page", 1, 1, None),
            per_page=_number(one, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX),
            unmask_removed_content=_flag(one, "unmask_removed_content"),
        )
        if query.date_min and query.date_max and query.date_min > query.date_max:
            raise LibraryQueryError("date_max", "the end date is before the start date")
        if query.offset >= MAX_RESULTS_PAGED:
            raise LibraryQueryError(
                "page",
                f"the search pages through the first {MAX_RESULTS_PAGED:,} results only; "
                "narrow the search, or download every result as CSV or Parquet",
            )
        return query

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def params(self, **changes: Any) -> list[tuple[str, str]]:
        """The query (with ``changes``) as query-string pairs, defaults left out: what
        ``parse`` reads back to an equal query."""
        query = replace(self, **changes)
        default = LibraryQuery()
        out: list[tuple[str, str]] = []
        for f in fields(query):
            value = getattr(query, f.name)
            if value == getattr(default, f.name):
                continue
            values = value if isinstance(value, tuple) else (value,)
            out.extend((f.name, _param(v)) for v in values)
        return out

    def url(self, path: str, **changes: Any) -> str:
        pairs = self.params(**changes)
        return f"{path}?{urlencode(pairs)}" if pairs else path

    def without(self, name: str, value: Any = None) -> LibraryQuery:
        """The query without filter ``name`` (or one ``value`` of a list filter), on page 1."""
        current = getattr(self, name)
        if isinstance(current, tuple) and value is not None:
            new: Any = tuple(v for v in current if v != value)
        else:
            new = getattr(LibraryQuery(), name)
        return replace(self, **{name: new, "page": 1})

    @property
    def export_params(self) -> list[tuple[str, str]]:
        """The filters and sort, without paging: what the downloads take."""
        return self.params(page=1, per_page=PER_PAGE_DEFAULT)

    def export_url(self, path: str) -> str:
        return _url(path, self.export_params)

    def to_filter(self, now: datetime) -> LibraryFilter:
        words = tuple(search_words(self.q))
        naive_now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        return LibraryFilter(
            archive=ArchiveFilter(
                now=naive_now,
                reached_countries=self.country,
                active={"active": True, "inactive": False}.get(self.status),
                delivered_min=self.date_min,
                delivered_max=self.date_max,
                search_words=words if self.match == "words" else (),
                search_phrases=(words,) if self.match == "phrase" and words else (),
                bylines=self.funder,
                languages=self.language,
                platforms=self.platform,
            ),
            page_ids=self.page_id,
            funder_ids=self.funder_id,
            political_only=self.type == "political",
            removed=self.removed,
        )


def _text(value: str) -> str:
    if len(value) > Q_MAX:
        raise LibraryQueryError("q", f"the search text is longer than {Q_MAX} characters")
    if value and not search_words(value):
        raise LibraryQueryError("q", "the search text has no letters or digits to look for")
    return value


def _flag(one: dict[str, str], name: str) -> bool:
    value = one.get(name, "false").lower()
    if value not in ("true", "false"):
        raise LibraryQueryError(name, f"must be true or false (got {one[name]!r})")
    return value == "true"


def _choice(one: dict[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = one.get(name, allowed[0]).lower()
    if value not in allowed:
        raise LibraryQueryError(name, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _split(given: dict[str, list[str]], name: str) -> list[str]:
    items = [item.strip() for v in given.get(name, []) for item in v.split(",")]
    items = list(dict.fromkeys(i for i in items if i))
    if len(items) > LIST_MAX:
        raise LibraryQueryError(name, f"at most {LIST_MAX} values")
    return items


def _codes(
    given: dict[str, list[str]],
    name: str,
    pattern: re.Pattern[str],
    case: Callable[[str], str],
    what: str,
) -> tuple[str, ...]:
    out = []
    for item in _split(given, name):
        code = case(item)
        if not pattern.fullmatch(code):
            raise LibraryQueryError(name, f"{item!r} is not {what}")
        out.append(code)
    return tuple(dict.fromkeys(out))


def _platforms(given: dict[str, list[str]]) -> tuple[str, ...]:
    out = []
    for item in _split(given, "platform"):
        if item.lower() not in PLATFORMS:
            raise LibraryQueryError("platform", f"{item!r} is not one of {', '.join(PLATFORMS)}")
        out.append(item.lower())
    return tuple(dict.fromkeys(out))


def _names(values: list[str]) -> tuple[str, ...]:
    if len(values) > LIST_MAX:
        raise LibraryQueryError("funder", f"at most {LIST_MAX} values")
    for v in values:
        if len(v) > 500:
            raise LibraryQueryError("funder", "a name is longer than 500 characters")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise LibraryQueryError("funder", "a name holds a control character")
    return tuple(dict.fromkeys(values))


def _ids(given: dict[str, list[str]], name: str) -> tuple[int, ...]:
    out = []
    for item in _split(given, name):
        if not _ID.fullmatch(item) or int(item) > 2**63 - 1:
            raise LibraryQueryError(name, f"{item!r} is not an id (a whole number from 1)")
        out.append(int(item))
    return tuple(dict.fromkeys(out))


def _day(one: dict[str, str], name: str) -> date | None:
    value = one.get(name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise LibraryQueryError(name, f"{value!r} is not a date like 2016-11-08") from exc


def _number(one: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    value = one.get(name)
    if value is None:
        return default
    top = high if high is not None else 10**9
    if not re.fullmatch(r"[0-9]{1,10}", value) or not low <= int(value) <= top:
        bound = f"from {low} to {high}" if high is not None else f"from {low}"
        raise LibraryQueryError(name, f"must be a whole number {bound} (got {value!r})")
    return int(value)


@dataclass(frozen=True)
class SearchResult:
    query: LibraryQuery
    ads: list[PublicAd]
    total: int
    # pages and funders whose name holds the query's text: (kind, id, name, public ads)
    advertisers: list[tuple[str, int, str, int]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        reachable = min(self.total, MAX_RESULTS_PAGED)
        return max(1, -(-reachable // self.query.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first ad on this page (0 when the page is empty)."""
        return self.query.offset + 1 if self.ads else 0

    @property
    def last(self) -> int:
        return self.query.offset + len(self.ads)

    def as_json(self, *, views: bool = False) -> dict[str, Any]:
        """The result as JSON values; ``views``: the ads left as their ``PublicAd`` views,
        for an encoder that writes a dataclass field by field (orjson), which is
        ``PublicAd.as_json`` (every field by name) at half the CPU of building the dicts."""
        q = self.query
        return {
            "query": dict(_grouped(q.params())),
            "total": self.total,
            "page": q.page,
            "per_page": q.per_page,
            "pages": self.pages,
            "sort": q.sort,
            "ads": list(self.ads) if views else [a.as_json() for a in self.ads],
            "advertisers": [
                {"kind": kind, "id": i, "name": name, "ads": n, "url": f"/{kind}s/{i}"}
                for kind, i, name, n in self.advertisers
            ],
            "links": {
                "next": q.url("/api/search", page=q.page + 1) if q.page < self.pages else None,
                "prev": q.url("/api/search", page=q.page - 1) if q.page > 1 else None,
                "csv": q.export_url("/search.csv"),
                "parquet": q.export_url("/search.parquet"),
            },
        }


def _param(value: Any) -> str:
    """A value as a query string writes it (``true``, ``2024-01-31``, ``25``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat() if isinstance(value, date) else str(value)


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in LIST_PARAMS:
            out.setdefault(k, []).append(v)
        else:
            out[k] = v
    return out


def _url(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


class LibraryService:
    def __init__(self, repo: LibraryRepository) -> None:
        self.repo = repo

    def search(self, query: LibraryQuery, now: datetime | None = None) -> SearchResult:
        flt = query.to_filter(now or datetime.now(UTC))
        names = query.q if query.page == 1 else ""  # the names above the first page
        ads, total, named = self.repo.search_page(
            flt, query.sort, query.offset, query.per_page, names
        )
        unmask = query.unmask_removed_content
        return SearchResult(query, [PublicAd.of_facts(a, unmask) for a in ads], total, named)

    def image(self, ad_id: int, image_hash: str, unmask: bool = False) -> tuple[str, bytes] | None:
        """An image of a published ad (``LibraryRepository.public_image``), and not of one
        whose content is withheld (``Ad.content_withheld``)."""
        if not 0 < ad_id < 2**63:
            return None
        found = self.repo.public_image(ad_id, image_hash)
        if found is not None and not unmask:
            ad = self.repo.get(ad_id)
            if ad is None or ad.content_withheld():
                return None
        return found

    def ad(self, ad_id: int, unmask: bool = False) -> PublicAdDetail | None:
        """A published ad (never one still pending review or rejected: those never ran), with
        where its record came from; ``unmask``: with a removed ad's content
        (``Ad.content_withheld``)."""
        if not 0 < ad_id < 2**63:
            return None
        found = self.repo.get(ad_id)
        if found is None or found.status not in PUBLIC_STATUSES:
            return None
        return PublicAdDetail.of_ad(found, unmask)
