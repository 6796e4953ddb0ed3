"""``GET /v{N}/ads_archive``: the Graph API's Ad Library edge, on our own data.

Clients written for ``https://graph.facebook.com/v19.0/ads_archive`` (the ``facebook_business``
SDK, Radlibrary, the Ad Library API scripts, plain ``requests``) work unchanged against this
server: same parameters, same field names and shapes, cursor paging with a full
``paging.next`` URL on this server's public address (``PAIDFOR_PUBLIC_URL``), Graph error
objects, and an ``X-App-Usage`` header. The access token is accepted and ignored: the
archive is public. docs/ads_archive.md has the details and the few places where we differ.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response

from paidfor.domain.models import AdType
from paidfor.errors import PaidforError
from paidfor.interfaces.http.api.ratelimit import SlidingWindowLimiter, Usage
from paidfor.interfaces.http.api.responses import ArchiveAnswer, ok
from paidfor.interfaces.http.refusals import shown_on
from paidfor.library.archive import KNOWN_FIELDS, ArchivePage, ArchiveService
from paidfor.library.archive_params import (
    ACTIVE_STATUS_VALUES,
    AD_TYPES,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    MEDIA_TYPES,
    PAGE_IDS_MAX,
    PLATFORMS,
    SEARCH_TERMS_MAX,
    SEARCH_TYPES,
    ArchiveParamError,
)

VERSION = re.compile(r"v?\d{1,3}(?:\.\d{1,2})?")
_TRACE_ALPHABET = string.ascii_letters + string.digits
_ARRAY = "An array: `['US','GB']`, `[\"US\",\"GB\"]`, `US,GB`, or the parameter repeated. "


def _array(items: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "array", "items": items or {"type": "string"}}


def _enum(values: tuple[str, ...], default: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "default": default}


# (name, schema, description, required): the OpenAPI description of the query parameters.
PARAMETERS: list[tuple[str, dict[str, Any], str, bool]] = [
    (
        "ad_reached_countries",
        _array(),
        _ARRAY + "ISO country codes the ads reached (any of), or `ALL`.",
        True,
    ),
    (
        "ad_active_status",
        _enum(ACTIVE_STATUS_VALUES, "ACTIVE"),
        "`ACTIVE`: eligible for delivery "
        "now (approved or running, not past its stop time); `INACTIVE`: the rest; `ALL`.",
        False,
    ),
    (
        "ad_type",
        _enum(AD_TYPES, AdType.ALL.value),
        "The ad's category; `ALL` for every one.",
        False,
    ),
    (
        "ad_delivery_date_min",
        {"type": "string", "format": "date"},
        "YYYY-mm-dd: ads delivered on or after this day.",
        False,
    ),
    (
        "ad_delivery_date_max",
        {"type": "string", "format": "date"},
        "YYYY-mm-dd: ads delivered on or before this day.",
        False,
    ),
    (
        "search_terms",
        {"type": "string", "maxLength": SEARCH_TERMS_MAX},
        f"At most {SEARCH_TERMS_MAX} characters, searched in the ad's creative text.",
        False,
    ),
    (
        "search_type",
        _enum(SEARCH_TYPES, "KEYWORD_UNORDERED"),
        "`KEYWORD_UNORDERED`: every "
        "word, in any order; `KEYWORD_EXACT_PHRASE`: the exact phrase (several phrases separated "
        "by commas must all match).",
        False,
    ),
    ("search_page_ids", _array(), _ARRAY + f"Up to {PAGE_IDS_MAX} page ids.", False),
    ("bylines", _array(), _ARRAY + '"Paid for by" names (any of, ignoring case).', False),
    ("languages", _array(), _ARRAY + "Languages of the ad (ISO 639-1, any of).", False),
    (
        "publisher_platforms",
        _array({"type": "string", "enum": list(PLATFORMS)}),
        _ARRAY + "Platforms the ad appeared on (any of).",
        False,
    ),
    ("delivery_by_region", _array(), _ARRAY + "Regions the ad was delivered in (any of).", False),
    (
        "media_type",
        _enum(MEDIA_TYPES, "ALL"),
        "What the creative holds: `IMAGE` (images), "
        "`NONE` (text only); nothing is recorded as `MEME` or `VIDEO` yet.",
        False,
    ),
    (
        "estimated_audience_size_min",
        {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
        "Smallest estimated audience.",
        False,
    ),
    (
        "estimated_audience_size_max",
        {"type": "integer", "minimum": 0, "maximum": 10**12 - 1},
        "Largest estimated audience.",
        False,
    ),
    (
        "unmask_removed_content",
        {"type": "boolean", "default": False},
        "Show the creative "
        "text of ads removed for breaking the advertising rules (withheld otherwise).",
        False,
    ),
    (
        "fields",
        {"type": "string"},
        "Comma-separated fields to return (default `id`): "
        + ", ".join(f"`{f}`" for f in KNOWN_FIELDS)
        + ". Targeting fields are accepted but "
        "never returned.",
        False,
    ),
    (
        "limit",
        {"type": "integer", "default": LIMIT_DEFAULT, "maximum": LIMIT_MAX},
        "Ads per page.",
        False,
    ),
    ("after", {"type": "string"}, "The cursor `paging.cursors.after` of the previous page.", False),
    (
        "before",
        {"type": "string"},
        "The cursor `paging.cursors.before` of a page: the page before it (`paging.previous`).",
        False,
    ),
    ("access_token", {"type": "string"}, "Accepted and ignored: the archive is public.", False),
]
OPENAPI_PARAMETERS = [
    {"name": n, "in": "query", "required": r, "schema": s, "description": d}
    for n, s, d, r in PARAMETERS
]
DESCRIPTION = """Search the ad library the way the Graph API's `ads_archive` edge does.

Returns `{"data": [...], "paging": {"cursors": {"before": ..., "after": ...}, "next": ...,
"previous": ...}}`. Every page with records carries `next` (this URL with a new `after`); past
the last record it answers `{"data": []}` without `paging`, so clients stop however they
check. `previous` (a `before` cursor) when records come before the page. `fields` takes
Graph's nested syntax (`spend{lower_bound}`). `limit` is at most 5000. Bad parameters give
HTTP 400 with a Graph error object (`{"error": {"message", "type", "code", "fbtrace_id"}}`,
code 100); past the rate limit, code 4. Every answer carries an `X-App-Usage` header."""


def fbtrace_id() -> str:
    return "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(11))


def graph_error(
    message: str, code: int, subcode: int | None = None, **extra: Any
) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    err["fbtrace_id"] = fbtrace_id()
    return {"error": err}


def _respond(body: dict[str, Any], status: int, usage: Usage) -> JSONResponse:
    headers = {"X-App-Usage": json.dumps(usage.as_header(), separators=(",", ":"))}
    return JSONResponse(body, status_code=status, headers=headers)


def graph_refusal(request: Request, refusal: PaidforError) -> Response:
    """A refusal as a Graph error object (``interfaces.http.refusals``): a bad parameter is
    ``(#100) ...`` with its code; any other (a busy index) code 2, a temporary issue. With
    the ``X-App-Usage`` of the request it ends."""
    if isinstance(refusal, ArchiveParamError):
        body = graph_error(str(refusal), refusal.code, refusal.subcode)
    else:
        body = graph_error(str(refusal), 2, is_transient=True)
    return _respond(body, refusal.http_status, request.state.usage)


def paging_of(page: ArchivePage, request: Request, public_url: str) -> dict[str, Any]:
    """Graph's ``paging`` for a page, so that every client pattern ends cleanly: a page with
    records names both cursors and always carries ``next`` (Meta's example script reads
    ``paging.next`` whenever ``paging`` is there); past the last record ``next`` answers an
    empty page without ``paging``, where clients that stop on an empty page, on a missing
    ``paging`` or on a missing ``next`` all stop. ``previous`` when records come before.
    Both on ``public_url``, never on the request's Host."""
    if page.after is None or page.before is None:
        return {}
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "before")]

    def url(cursor: str, value: str) -> str:
        return f"{public_url}{request.url.path}?{urlencode([*kept, (cursor, value)])}"

    paging: dict[str, Any] = {
        "cursors": {"before": page.before, "after": page.after},
        "next": url("after", page.after),
    }
    if page.has_previous:
        paging["previous"] = url("before", page.before)
    return {"paging": paging}


def make_router(
    service: ArchiveService, limiter: SlidingWindowLimiter, public_url: str
) -> APIRouter:
    """The routes; ``paging.next`` and ``ad_snapshot_url`` start with ``public_url`` (the
    server's address, ``settings.public_url_of``), never with the request's Host."""
    router = APIRouter(
        tags=["Ad Library API (Graph-compatible)"], dependencies=[shown_on(graph_refusal)]
    )

    def answer(request: Request, version: str | None) -> tuple[dict[str, Any], int]:
        if version is not None and not VERSION.fullmatch(version):
            message = f"(#803) Some of the aliases you requested do not exist: {version}"
            return graph_error(message, 803), 404
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        query = service.parse(params)  # ArchiveParamError: a 400, ``graph_refusal``
        page = service.search(query, base_url=public_url)
        return {"data": page.data, **paging_of(page, request, public_url)}, 200

    def handle(request: Request, version: str | None) -> JSONResponse:
        client = request.client.host if request.client else "unknown"
        admission = limiter.admit(client)  # counted as it starts: concurrent calls too
        if not admission.admitted:
            body = graph_error("(#4) Application request limit reached", 4, is_transient=True)
            return _respond(body, 400, admission.usage)
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            body, status = answer(request, version)
        finally:  # a refused request counts too, and its refusal carries the usage
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            limiter.finish(admission.entry, wall, cpu)
            counts = admission.counts
            request.state.usage = limiter.usage_of(
                counts._replace(wall=counts.wall + wall, cpu=counts.cpu + cpu)
            )
        return _respond(body, status, request.state.usage)

    def ads_archive(
        request: Request,
        version: Annotated[
            str, PathParam(description="The Graph API version, `v19.0` or `19.0`; any answers.")
        ],
    ) -> JSONResponse:
        return handle(request, version)

    def ads_archive_unversioned(request: Request) -> JSONResponse:
        return handle(request, None)

    doc: dict[str, Any] = {
        "summary": "Search the ad library (Graph API ads_archive)",
        "description": DESCRIPTION,
        "openapi_extra": {"parameters": OPENAPI_PARAMETERS},
        "response_class": JSONResponse,
        "responses": ok(ArchiveAnswer, description="A page of ArchivedAd records"),
    }
    router.add_api_route("/{version}/ads_archive", ads_archive, methods=["GET"], **doc)
    router.add_api_route(
        "/ads_archive", ads_archive_unversioned, methods=["GET"], include_in_schema=False
    )
    # The facebook_business SDK's Cursor joins (node, edge): ("ads_archive", "") ends in "/".
    router.add_api_route(
        "/{version}/ads_archive/", ads_archive, methods=["GET"], include_in_schema=False
    )
    return router
