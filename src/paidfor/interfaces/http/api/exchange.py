"""The threat-indicator exchange's JSON API (``paidfor.exchange.service``):

=================================================  =============================================
route                                              what
=================================================  =============================================
``GET /api/exchange/groups``                       the groups the caller belongs to
``POST /api/exchange/indicators``                  add ``{type, value, status, tags, confidence,
                                                   description, group, expires_at?}``
``PATCH /api/exchange/indicators/{id}``            change an own indicator's status, tags,
                                                   confidence, description or expires_at
``DELETE /api/exchange/indicators/{id}``           delete an own indicator (a tombstone)
``POST /api/exchange/indicators/{id}/reactions``   ``{"reaction": "HELPFUL"|...}``
``GET /api/exchange/groups/{name}/indicators``     the group's live indicators
``GET /api/exchange/groups/{name}/updates``        the feed: ``?cursor=&limit=`` →
                                                   ``{"data", "cursor", "has_more"}``
=================================================  =============================================

A partner acts only in its groups (any other group, and its indicators, answer 404 as if
absent); investigators and admins reach every group and act as ``paidfor``. 401 without
credentials, 403 for another role or for changing another member's indicator, 404 for no
such group or indicator, 409 for a group's duplicate live indicator, 422 for a bad body or
value. Every answer is ``no-store``; every call is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from paidfor.auth.roles import Principal, Role
from paidfor.exchange.model import Member
from paidfor.exchange.service import DEFAULT_PAGE, MAX_PAGE, ExchangeService
from paidfor.interfaces.http.api.answers import RowId, answer
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_cases import Groups, Indicator, Indicators, Updates
from paidfor.interfaces.http.deps import require

ExchangeCaller = Annotated[Principal, Depends(require(Role.PARTNER, Role.INVESTIGATOR))]


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    value: str
    status: str = "UNKNOWN"
    tags: list[str] = Field(default_factory=list)
    confidence: Annotated[int, Field(ge=0, le=100)] = 50
    description: str | None = None
    group: str
    expires_at: datetime | None = None


class IndicatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str | None = None
    tags: list[str] | None = None
    confidence: Annotated[int, Field(ge=0, le=100)] | None = None
    description: str | None = None
    expires_at: datetime | None = None


class ReactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reaction: str


def make_exchange_router(service: ExchangeService) -> APIRouter:
    router = APIRouter(tags=["exchange"])

    def member(who: Principal) -> Member:
        if who.role is Role.PARTNER:
            return service.partner(who.token_id, who.name, who.actor)
        return service.staff(who.actor)

    def now() -> datetime:
        return service.clock()

    @router.get(
        "/api/exchange/groups",
        summary="The privacy groups the caller belongs to",
        responses=ok(Groups),
    )
    def groups(who: ExchangeCaller) -> JSONResponse:
        return answer({"data": [g.as_json() for g in service.groups(member(who))]})

    @router.post(
        "/api/exchange/indicators",
        status_code=201,
        summary="Add an indicator to a group",
        responses=ok(Indicator, 201),
    )
    def add(body: IndicatorIn, who: ExchangeCaller) -> JSONResponse:
        return answer(service.add(member(who), **body.model_dump()).as_json(now()), 201)

    @router.patch(
        "/api/exchange/indicators/{indicator_id}",
        summary="Change an own indicator",
        responses=ok(Indicator),
    )
    def patch(indicator_id: RowId, body: IndicatorPatch, who: ExchangeCaller) -> JSONResponse:
        changes = body.model_dump(exclude_unset=True)
        return answer(service.update(member(who), indicator_id, changes).as_json(now()))

    @router.delete(
        "/api/exchange/indicators/{indicator_id}",
        summary="Delete an own indicator",
        responses=ok(Indicator),
    )
    def delete(indicator_id: RowId, who: ExchangeCaller) -> JSONResponse:
        return answer(service.delete(member(who), indicator_id).as_json(now()))

    @router.post(
        "/api/exchange/indicators/{indicator_id}/reactions",
        summary="React to an indicator",
        responses=ok(Indicator),
    )
    def react(indicator_id: RowId, body: ReactionIn, who: ExchangeCaller) -> JSONResponse:
        return answer(service.react(member(who), indicator_id, body.reaction).as_json(now()))

    @router.get(
        "/api/exchange/groups/{name}/indicators",
        summary="A group's live indicators",
        responses=ok(Indicators),
    )
    def indicators(name: str, who: ExchangeCaller) -> JSONResponse:
        return answer({"data": [v.as_json(now()) for v in service.indicators(member(who), name)]})

    @router.get(
        "/api/exchange/groups/{name}/updates",
        summary="A group's updates feed",
        responses=ok(Updates),
    )
    def updates(
        name: str,
        who: ExchangeCaller,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    ) -> JSONResponse:
        found = service.updates(member(who), name, cursor, limit)
        at = now()
        return answer(
            {
                "data": [v.as_json(at) for v in found.items],
                "cursor": found.cursor,
                "has_more": found.has_more,
            }
        )

    return router


def install_exchange_api(app: FastAPI, service: ExchangeService) -> None:
    """Add the exchange routes to ``app`` (after ``install_auth``)."""
    app.include_router(make_exchange_router(service))
