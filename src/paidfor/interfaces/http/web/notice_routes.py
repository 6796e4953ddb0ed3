"""The transparency notices of political ads in the Union (arts. 11-12 of Regulation (EU)
2024/900; Implementing Regulation (EU) 2025/1410), for everyone:

==================================  ======  ==================================================
route                               role    what
==================================  ======  ==================================================
``GET /ads/{id}/notice``            anyone  the notice (HTML), its sections in the template's
                                            order
``GET /api/ads/{id}/notice``        anyone  the same as JSON, valid against the schema below
``GET /api/ttpa/notice.schema.json``  anyone  the notice's JSON Schema
``GET /api/ttpa/repository``        anyone  every notice, for the European repository (art.
                                            13): ``?after=<cursor>&limit=`` (1-100, 50), the
                                            notices of the ads changed after the cursor;
                                            ``cursor`` to ask with next
``GET /ttpa/targeting-policy``      anyone  the platform's internal policy on targeting and
                                            ad-delivery techniques (art. 19(1)(a)), which
                                            every targeting annex links
==================================  ======  ==================================================

An ad without a notice (not in the library, not political, not aimed at the Union) is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.responses import NoticeAnswer, ok
from paidfor.interfaces.http.api.responses_ttpa import RepositoryFeed
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import public_page
from paidfor.review.notice import REPOSITORY_FEED
from paidfor.review.targeting_annex import TARGETING_POLICY_PATH
from paidfor.review.transparency import TransparencyService

#: The feed's cursor: ``<change stamp>.<ad id>`` (``review.transparency.Cursor``).
CURSOR = r"^[0-9]{1,18}\.[0-9]{1,18}$"
MAX_FEED, DEFAULT_FEED = 100, 50


class SchemaResponse(JSONResponse):
    """A JSON Schema document, as the media type JSON Schema registers for it."""

    media_type = "application/schema+json"


def make_notice_router(service: TransparencyService, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(tags=["transparency notices (EU)"])
    on_page = shown_on(public_page(templates))

    @router.get(
        "/ads/{ad_id}/notice",
        response_class=HTMLResponse,
        summary="An ad's transparency notice",
        dependencies=[on_page],
    )
    def notice_page(request: Request, ad_id: RowId) -> HTMLResponse:
        notice = service.notice(ad_id, f"/api/ads/{ad_id}/notice")
        label = service.label(ad_id)
        return templates.TemplateResponse(
            request, "notice.html", {"notice": notice, "label": label}
        )

    @router.get(
        "/api/ads/{ad_id}/notice",
        summary="An ad's transparency notice (JSON)",
        responses=ok(NoticeAnswer),
    )
    def notice_json(ad_id: RowId) -> Any:
        return service.notice(ad_id, f"/api/ads/{ad_id}/notice")

    @router.get(
        "/api/ttpa/notice.schema.json",
        response_class=SchemaResponse,
        summary="The transparency notice's JSON Schema",
        responses={
            200: {
                "description": "A JSON Schema (draft 2020-12)",
                "content": {
                    SchemaResponse.media_type: {
                        "schema": {"type": "object"},
                        "example": {"$schema": "https://json-schema.org/draft/2020-12/schema",
                                    "type": "object", "required": ["notice_version"]},
                    }
                },
            }
        },
    )  # fmt: skip
    def schema() -> Any:
        return SchemaResponse(service.schema())

    @router.get(
        REPOSITORY_FEED,
        summary="Every transparency notice, incrementally (art. 13)",
        responses=ok(RepositoryFeed),
    )
    def repository(
        after: Annotated[str, Query(max_length=50, pattern=CURSOR)] = "0.0",
        limit: Annotated[int, Query(ge=1, le=MAX_FEED)] = DEFAULT_FEED,
    ) -> Any:
        seq, ad_id = (int(x) for x in after.split("."))
        data, (next_seq, next_id) = service.feed((seq, ad_id), limit)
        cursor = f"{next_seq}.{next_id}"
        return {
            "format": "paidfor transparency notices (Regulation (EU) 2024/900, art. 13)",
            "schema": "/api/ttpa/notice.schema.json",
            "data": data,
            "cursor": cursor,
            "paging": {"next": f"{REPOSITORY_FEED}?after={cursor}&limit={limit}"},
        }

    @router.get(
        TARGETING_POLICY_PATH,
        response_class=HTMLResponse,
        summary="The targeting policy for political advertising (art. 19(1)(a))",
    )
    def targeting_policy(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "targeting_policy.html", {})

    return router
