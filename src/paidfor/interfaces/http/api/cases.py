"""The investigators' JSON API for cases (``paidfor.integrity.cases``), every route behind the
investigator role (an admin passes too):

=====================================  =========================================================
route                                  what
=====================================  =========================================================
``GET /api/cases``                     cases, newest first (``?status=open|taken_down|closed``,
                                       ``limit`` 1-200, ``offset``)
``GET /api/cases/{id}``                one case: members (now and as found), links, findings,
                                       actions and timeline
``POST /api/cases/{id}/takedown``      ``{"reason": "..."}``: disable every member not disabled
                                       yet (their active ads stop); the case is taken down
``POST /api/cases/{id}/status``        ``{"status": "open"|"closed", "reason": "..."}``
``GET /api/cases/{id}/indicators``     the indicators the members' ads hold, to share
                                       (``paidfor.exchange.publish``)
``POST /api/cases/{id}/publish``       ``{"groups": [...], "types": [...]?}``: share them with
                                       those privacy groups; counts per group and type
``POST /api/cases/{id}/marks``         ``{"entity": "page:7", "verdict": "confirmed"|
                                       "legitimate", "reason": "...", "relationship_id"?}``: an
                                       investigator's verdict on a member (audited); a member
                                       marked legitimate is not raised again without new
                                       evidence
``GET /api/findings/precision``        precision on reviewed findings, week by week
=====================================  =========================================================

401 without credentials, 403 for another role, 404 for no such case (or privacy group), 409 for
a takedown, status change or publish the case's state refuses (only a case taken down is
published), 422 for a bad body. Every answer is ``no-store``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from paidfor.auth.roles import Principal, Role
from paidfor.exchange import publish
from paidfor.exchange.publish import Publisher
from paidfor.integrity.cases import CaseService
from paidfor.integrity.model import EntityKey
from paidfor.interfaces.http.api.answers import RowId, answer
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_cases import (
    CaseChanged,
    CaseDetail,
    CaseIndicators,
    Cases,
    Mark,
    Precision,
    Published,
    TakenDown,
)
from paidfor.interfaces.http.deps import require

Investigator = Annotated[Principal, Depends(require(Role.INVESTIGATOR))]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]


class TakedownIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "closed"]
    reason: Reason


class MarkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: Annotated[str, StringConstraints(pattern=r"^(advertiser|page):[0-9]{1,18}$")]
    verdict: Literal["confirmed", "legitimate"]
    reason: Reason
    relationship_id: Annotated[int, Field(ge=1, le=2**63 - 1)] | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    groups: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        min_length=1, max_length=50
    )
    types: list[Literal["domain", "url", "raw_text", "pdq"]] | None = Field(
        default=None, min_length=1
    )


def make_case_router(service: CaseService, publisher: Publisher) -> APIRouter:
    router = APIRouter(tags=["cases"])

    @router.get("/api/cases", summary="Cases, newest first", responses=ok(Cases))
    def cases(
        who: Investigator,
        status: Literal["open", "taken_down", "closed"] | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> JSONResponse:
        return answer(
            {
                "cases": [c.as_json() for c in service.cases(status, limit, offset)],
                "total": service.count(status),
                "limit": limit,
                "offset": offset,
            }
        )

    @router.get(
        "/api/cases/{case_id}",
        summary="One case with its members, links and timeline",
        responses=ok(CaseDetail),
    )
    def case(case_id: RowId, who: Investigator) -> JSONResponse:
        view = service.case(case_id)
        return answer({**view.as_json(), "marks": [m.as_json() for m in service.marks_of(case_id)]})

    @router.post(
        "/api/cases/{case_id}/marks",
        summary="Mark a member confirmed or legitimate",
        responses=ok(Mark),
    )
    def mark(case_id: RowId, body: MarkIn, who: Investigator) -> JSONResponse:
        made = service.mark(
            case_id,
            EntityKey.parse(body.entity),
            verdict=body.verdict,
            reason=body.reason,
            actor=who.actor,
            relationship_id=body.relationship_id,
        )
        return answer(made.as_json())

    @router.get(
        "/api/findings/precision",
        summary="Precision on reviewed findings by week",
        responses=ok(Precision),
    )
    def precision(who: Investigator) -> JSONResponse:
        return answer({"weeks": service.precision()})

    @router.post(
        "/api/cases/{case_id}/takedown",
        summary="Take the case's network down",
        responses=ok(TakenDown),
    )
    def take_down(case_id: RowId, body: TakedownIn, who: Investigator) -> JSONResponse:
        return answer(service.take_down(case_id, actor=who.actor, reason=body.reason).as_json())

    @router.post(
        "/api/cases/{case_id}/status",
        summary="Close a case or open it again",
        responses=ok(CaseChanged),
    )
    def set_status(case_id: RowId, body: StatusIn, who: Investigator) -> JSONResponse:
        done = service.set_status(case_id, body.status, actor=who.actor, reason=body.reason)
        return answer({"case": done.as_json()})

    @router.get(
        "/api/cases/{case_id}/indicators",
        summary="The indicators a case offers",
        responses=ok(CaseIndicators),
    )
    def indicators(case_id: RowId, who: Investigator) -> JSONResponse:
        found = publisher.candidates(case_id)
        return answer(
            {
                "case_id": case_id,
                "taken_down": publisher.was_taken_down(case_id),
                "counts": publish.counts(found),
                "indicators": [c.as_json() for c in found],
            }
        )

    @router.post(
        "/api/cases/{case_id}/publish", summary="Share a case's indicators", responses=ok(Published)
    )
    def publish_case(case_id: RowId, body: PublishIn, who: Investigator) -> JSONResponse:
        done = publisher.publish(case_id, body.groups, who.actor, body.types)
        return answer(done.as_json())

    return router


def install_case_api(app: FastAPI, service: CaseService, publisher: Publisher) -> None:
    """Add the case routes to ``app`` (after ``install_auth``)."""
    app.include_router(make_case_router(service, publisher))
