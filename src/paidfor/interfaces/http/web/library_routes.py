"""The public Ad Library's pages and their JSON twins, rendered from the same service
results: ``/`` (home), ``/search`` (filters, sort, paging, downloads), ``/ads/{id}``, and
``/api/home``, ``/api/search``, ``/api/ads/{id}``, ``/search.csv``, ``/search.parquet``.

The handlers only parse the query string (``LibraryQuery.parse``) and call the services; a
bad parameter (``LibraryQueryError``) is a 400 with a sentence saying what is wrong: in JSON
``{"error": {"param", "message", "status"}}``, and on the search page beside its filters
(``interfaces.http.refusals``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import orjson
import pycountry
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from paidfor.domain.urls import link_of
from paidfor.errors import NotFound, PaidforError
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.responses import HomeAnswer, SearchAnswer, ok
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.charts import demographic_chart, percent, regions_chart
from paidfor.interfaces.http.web.refusal_pages import public_page
from paidfor.library.exports import ExportService
from paidfor.library.home import HomeService
from paidfor.library.search import (
    LIST_PARAMS,
    MATCHES,
    PER_PAGE_DEFAULT,
    PER_PAGE_MAX,
    PLATFORMS,
    Q_MAX,
    REMOVED,
    SORTS,
    STATUSES,
    TYPES,
    LibraryQuery,
    LibraryQueryError,
    LibraryService,
)
from paidfor.library.views import PublicAdDetail

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLATFORM_NAMES = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "audience_network": "Audience Network",
    "messenger": "Messenger",
    "whatsapp": "WhatsApp",
    "oculus": "Oculus",
    "threads": "Threads",
}
STATUS_NAMES = {"all": "All ads", "active": "Active", "inactive": "Inactive"}
TYPE_NAMES = {"all": "All ads", "political": "Political and issue ads"}
REMOVED_NAMES = {"include": "Include removed ads", "exclude": "Leave them out", "only": "Only"}
SORT_NAMES = {"newest": "Newest", "spend": "Highest spend", "impressions": "Most impressions"}
MATCH_NAMES = {"words": "All of the words", "phrase": "The exact phrase"}
COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found else code


def usd(amount: Decimal | float | int) -> str:
    return f"${Decimal(amount):,.0f}" if Decimal(amount) >= 100 else f"${Decimal(amount):,.2f}"


#: What an uploaded image may be (``review.images.FORMATS``), as the image route serves it.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


#: What each of the search's query parameters (``LibraryQuery``'s fields) means, for the
#: OpenAPI schema. Every one is a string there: the search reads a blank value as absent and
#: trims spaces, so a stricter schema would call values invalid that the search takes.
SEARCH_PARAMETERS: dict[str, str] = {
    "q": f"Words to find in the ads' text (at most {Q_MAX} characters)",
    "match": f"How the words match: {', '.join(MATCHES)} (default words)",
    "country": "A country the ad reached (ISO code, e.g. US); repeat for several",
    "date_min": "Delivered on or after this day (YYYY-MM-DD)",
    "date_max": "Delivered on or before this day (YYYY-MM-DD)",
    "status": f"{', '.join(STATUSES)} (default all)",
    "type": f"{', '.join(TYPES)} (default all)",
    "funder": "A funder's name as its disclaimer says it; repeat for several",
    "funder_id": "A funder's id; repeat for several",
    "page_id": "A page's id; repeat for several",
    "language": "A language code (e.g. en); repeat for several",
    "platform": f"One of {', '.join(PLATFORMS)}; repeat for several",
    "removed": f"Removed ads: {', '.join(REMOVED)} (default include)",
    "sort": f"{', '.join(SORTS)} (default newest)",
    "page": "The page of results, from 1",
    "per_page": f"Ads a page, 1 to {PER_PAGE_MAX} (default {PER_PAGE_DEFAULT})",
    "unmask_removed_content": "true: show the content of ads removed for breaking the rules, "
    "withheld otherwise (docs/ads_archive.md)",
}
#: The same choice on one ad's page, its JSON and its images.
Unmask = Annotated[
    bool,
    Query(description="Show the ad's content if it was removed for breaking the rules "
          "(withheld otherwise; docs/ads_archive.md)"),
]  # fmt: skip
SEARCH_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": (
                {"type": "array", "items": {"type": "string"}}
                if name in LIST_PARAMS
                else {"type": "string"}
            ),
        }
        for name, description in SEARCH_PARAMETERS.items()
    ]
}


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters.update(usd=usd, country_name=country_name, percent=percent, link=link_of)
    env.globals.update(
        platform_names=PLATFORM_NAMES,
        countries=COUNTRIES,
        choices={
            "status": [(s, STATUS_NAMES[s]) for s in STATUSES],
            "type": [(t, TYPE_NAMES[t]) for t in TYPES],
            "removed": [(r, REMOVED_NAMES[r]) for r in REMOVED],
            "sort": [(s, SORT_NAMES[s]) for s in SORTS],
            "match": [(m, MATCH_NAMES[m]) for m in MATCHES],
            "platform": [(p, PLATFORM_NAMES[p]) for p in PLATFORMS],
        },
    )
    return templates


def _query(request: Request) -> LibraryQuery:
    return LibraryQuery.parse(request.query_params.multi_items())


def _json(value: Any) -> Response:
    """A JSON answer encoded once, by orjson (FastAPI's encoder walks every value first)."""
    return Response(orjson.dumps(value), media_type="application/json")


def filter_chips(query: LibraryQuery, names: dict[str, dict[int, str]]) -> list[dict[str, str]]:
    """The active filters, each with the link that takes it away."""
    chips: list[dict[str, str]] = []

    def add(label: str, name: str, value: Any = None) -> None:
        chips.append({"label": label, "href": query.without(name, value).url("/search")})

    if query.q:
        add(f"“{query.q}”" + (" (exact phrase)" if query.match == "phrase" else ""), "q")
    for code in query.country:
        add(f"Reached {country_name(code)}", "country", code)
    if query.date_min:
        add(f"From {query.date_min.isoformat()}", "date_min")
    if query.date_max:
        add(f"To {query.date_max.isoformat()}", "date_max")
    if query.status != "all":
        add(STATUS_NAMES[query.status], "status")
    if query.type != "all":
        add(TYPE_NAMES[query.type], "type")
    for name in query.funder:
        add(f"Paid for by {name}", "funder", name)
    for fid in query.funder_id:
        add(f"Paid for by {names['funder'].get(fid, f'funder #{fid}')}", "funder_id", fid)
    for pid in query.page_id:
        add(f"Page: {names['page'].get(pid, f'#{pid}')}", "page_id", pid)
    for lang in query.language:
        add(f"Language: {lang}", "language", lang)
    for platform in query.platform:
        add(PLATFORM_NAMES[platform], "platform", platform)
    if query.removed != "include":
        add("Removed ads: " + REMOVED_NAMES[query.removed].lower(), "removed")
    return chips


def make_library_router(
    service: LibraryService,
    exports: ExportService,
    templates: Jinja2Templates | None = None,
    labels: Callable[[Sequence[int]], Mapping[int, Any]] | None = None,
) -> APIRouter:
    templates = templates or make_templates()
    front = HomeService(service)
    router = APIRouter()

    def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        return page(request, "error.html", {"title": title, "message": message}, status)

    on_page = shown_on(public_page(templates))

    def search_refused(request: Request, refusal: PaidforError) -> Response:
        """A bad parameter on the search page, beside empty filters."""
        if not isinstance(refusal, LibraryQueryError):
            return public_page(templates)(request, refusal)
        ctx = {"error": refusal, "query": LibraryQuery(), "result": None, "chips": []}
        ctx["q"] = request.query_params.get("q", "")
        return page(request, "search.html", ctx, refusal.http_status)

    @router.get(
        "/",
        response_class=HTMLResponse,
        summary="Home: search, top funders, new ads",
        dependencies=[on_page],
    )
    def home(request: Request) -> Response:
        if request.url.query:  # the interim list's ``/?q=&page=`` links: now the search page
            return RedirectResponse(f"/search?{request.url.query}", status_code=307)
        view = front.home()
        shown = labels([ad.id for ad in view.recent]) if labels else {}
        return page(request, "index.html", {"home": view, "labels": shown})

    @router.get("/api/home", summary="The home page's figures as JSON", responses=ok(HomeAnswer))
    def api_home() -> Any:
        return front.home().as_json()

    @router.get(
        "/search",
        response_class=HTMLResponse,
        summary="Search the library",
        dependencies=[shown_on(search_refused)],
        openapi_extra=SEARCH_OPENAPI,
    )
    def search(request: Request) -> HTMLResponse:
        query = _query(request)
        result = service.search(query)
        names: dict[str, dict[int, str]] = {"page": {}, "funder": {}}
        for ad in result.ads:
            if ad.page_id is not None and ad.page_name:
                names["page"][ad.page_id] = ad.page_name
            if ad.funder_id is not None and ad.paid_for_by:
                names["funder"][ad.funder_id] = ad.paid_for_by
        ctx = {
            "query": query,
            "q": query.q,
            "result": result,
            "chips": filter_chips(query, names),
            "csv_url": query.export_url("/search.csv"),
            "parquet_url": query.export_url("/search.parquet"),
            # the label of each political ad in the Union (Regulation (EU) 2024/900, art. 11)
            "labels": labels([ad.id for ad in result.ads]) if labels else {},
        }
        return page(request, "search.html", ctx)

    @router.get(
        "/api/search",
        summary="Search the library (JSON)",
        responses=ok(SearchAnswer),
        openapi_extra=SEARCH_OPENAPI,
    )
    @router.get("/api/ads", include_in_schema=False)  # the interim list's address
    def api_search(request: Request) -> Any:
        return _json(service.search(_query(request)).as_json(views=True))

    def download(request: Request, kind: str) -> Response:
        query = _query(request)
        now = datetime.now(UTC)
        rows, truncated = exports.count(query, now)
        stamp = now.strftime("%Y%m%d")
        if kind == "csv":
            body, media = exports.csv(query, now), "text/csv; charset=utf-8"
        else:
            body, media = exports.parquet(query, now), "application/vnd.apache.parquet"
        headers = {
            "Content-Disposition": f'attachment; filename="paidfor-ads-{stamp}.{kind}"',
            "X-Result-Count": str(rows),
            "X-Export-Truncated": "true" if truncated else "false",
        }
        return StreamingResponse(body, media_type=media, headers=headers)

    @router.get(
        "/search.csv",
        response_class=Response,
        responses={200: {"description": "The rows", "content": {"text/csv": {}}}},
        summary="Every result of a search as CSV (docs/exports.md)",
        openapi_extra=SEARCH_OPENAPI,
    )
    def search_csv(request: Request) -> Response:
        return download(request, "csv")

    @router.get(
        "/search.parquet",
        response_class=Response,
        responses={
            200: {"description": "The rows", "content": {"application/vnd.apache.parquet": {}}}
        },
        summary="Every result of a search as Parquet",
        openapi_extra=SEARCH_OPENAPI,
    )
    def search_parquet(request: Request) -> Response:
        return download(request, "parquet")

    @router.get(
        "/ads/{ad_id}", response_class=HTMLResponse, summary="One ad", dependencies=[on_page]
    )
    def ad_page(
        request: Request, ad_id: RowId, unmask_removed_content: Unmask = False
    ) -> HTMLResponse:
        ad = service.ad(ad_id, unmask_removed_content)
        if ad is None:
            return error_page(request, 404, "No such ad", f"The library has no ad {ad_id}.")
        ctx = {
            "ad": ad,
            "demographic": demographic_chart(ad.demographic_distribution),
            "regions": regions_chart(ad.delivery_by_region),
            "label": labels([ad_id]).get(ad_id) if labels else None,
        }
        return page(request, "ad.html", ctx)

    @router.get(
        "/ads/{ad_id}/images/{image_hash}",
        summary="An image of a published ad",
        response_class=Response,
        responses={200: {"content": {t: {} for t in IMAGE_TYPES}}},
    )
    def ad_image(
        ad_id: RowId,
        image_hash: Annotated[str, PathParam(pattern="^[A-Za-z0-9_-]{6,128}$")],
        unmask_removed_content: Unmask = False,
    ) -> Response:
        found = service.image(ad_id, image_hash, unmask_removed_content)
        if found is None:
            raise NotFound(f"ad {ad_id} has no image {image_hash}")
        content_type, data = found
        return Response(data, media_type=content_type,
                        headers={"Cache-Control": "public, max-age=3600"})  # fmt: skip

    @router.get(
        "/api/ads/{ad_id}",
        summary="One ad (JSON), with where its record came from (provenance)",
        responses=ok(PublicAdDetail),
    )
    def api_ad(ad_id: RowId, unmask_removed_content: Unmask = False) -> Any:
        ad = service.ad(ad_id, unmask_removed_content)
        if ad is None:
            raise NotFound(f"no ad {ad_id}")
        return ad.as_json()

    return router
