"""Declared relationships (JSON), every route behind a role:

=====================================================  ============  ============================
route                                                  role          what
=====================================================  ============  ============================
``POST /api/me/relationships``                         advertiser    declare the agency that
                                                                     manages this account, or the
                                                                     organisation it belongs to
``GET /api/me/relationships``                          advertiser    the relationships naming this
                                                                     account, on either side
``POST /api/me/relationships/{id}/decision``           advertiser    the related side confirms or
                                                                     refuses a declaration
``GET /api/review/relationships``                      reviewer      relationships (?status=)
``POST /api/review/relationships/{id}/decision``       reviewer      verify or refuse, with why
=====================================================  ============  ============================

A confirmed or verified relationship explains the coordination between the two accounts to
the integrity detection (docs/integrity.md, "Declared relationships"). Every change is audited.
Errors are ``{"error": {"message", "status"}}``; someone else's relationship is a 404.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from paidfor.auth.roles import Principal, Role
from paidfor.domain.world import RELATIONSHIP_STATUSES
from paidfor.errors import BadRequest, NotFound
from paidfor.integrity.service import IntegrityService
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.cases import Reason
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_review import Relationship, Relationships
from paidfor.interfaces.http.deps import require

Advertiser = Annotated[Principal, Depends(require(Role.ADVERTISER))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RelationshipIn(Body):
    related_advertiser_id: Annotated[int, Field(ge=1, le=2**63 - 1)]
    relation: Literal["managed_by", "member_of"]


class RelatedDecisionIn(Body):
    decision: Literal["confirm", "refuse"]


class StaffDecisionIn(Body):
    decision: Literal["verify", "refuse"]
    reason: Reason


STATUS_OF = {"confirm": "confirmed", "refuse": "refused", "verify": "verified"}


def make_relationships_router(service: IntegrityService) -> APIRouter:
    router = APIRouter(tags=["advertisers and review"])

    def account(who: Principal) -> int:
        if who.advertiser_id is None:
            raise NotFound("this token acts for no advertiser account")
        return who.advertiser_id

    @router.post(
        "/api/me/relationships",
        status_code=201,
        summary="Declare a relationship",
        responses=ok(Relationship, 201),
    )
    def declare(body: RelationshipIn, who: Advertiser) -> Any:
        return service.declare(
            account(who), body.related_advertiser_id, body.relation, actor=who.actor
        ).as_json()

    @router.get(
        "/api/me/relationships",
        summary="Relationships naming this account",
        responses=ok(Relationships),
    )
    def mine(who: Advertiser) -> Any:
        found = service.relationships(involving=account(who))
        return {"relationships": [r.as_json() for r in found]}

    @router.post(
        "/api/me/relationships/{rel_id}/decision",
        summary="Confirm or refuse",
        responses=ok(Relationship),
    )
    def decide_mine(rel_id: RowId, body: RelatedDecisionIn, who: Advertiser) -> Any:
        status = STATUS_OF[body.decision]
        return service.answer(rel_id, account(who), status, actor=who.actor).as_json()

    @router.get(
        "/api/review/relationships", summary="Declared relationships", responses=ok(Relationships)
    )
    def staff_list(who: Reviewer, status: str | None = None) -> Any:
        if status is not None and status not in RELATIONSHIP_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(RELATIONSHIP_STATUSES)}")
        return {"relationships": [r.as_json() for r in service.relationships(status=status)]}

    @router.post(
        "/api/review/relationships/{rel_id}/decision",
        summary="Verify or refuse",
        responses=ok(Relationship),
    )
    def staff_decide(rel_id: RowId, body: StaffDecisionIn, who: Reviewer) -> Any:
        status = STATUS_OF[body.decision]
        return service.staff_decide(rel_id, status, actor=who.actor, note=body.reason).as_json()

    return router
