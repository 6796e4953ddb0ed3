"""The disclosure routes (``paidfor.disclosure.service``):

=========================================  ==================================================
route                                      what
=========================================  ==================================================
``POST /api/disclosures``                  an investigator requests a package: ``case_id`` or
                                           ``filters``, ``recipient``, ``legal_basis``,
                                           ``purpose``; under Regulation (EU) 2024/900
                                           (arts. 16-17) ``requester_kind`` and
                                           ``received_at``, and the answer shows ``due_at``
``GET /api/disclosures``                   an investigator's own requests; all for an admin
``GET /api/disclosures/{id}``              one request
``POST /api/disclosures/{id}/decision``    an administrator (not the requester):
                                           ``{"approve": bool, "reason": "...", "ground"}``
                                           (a ground for refusing an art. 16-17 request)
``POST /api/disclosures/{id}/build``       the requesting investigator, once approved: builds
                                           the signed package; its manifest's digest
``GET /api/disclosures/{id}/package.zip``  the requesting investigator: the package
=========================================  ==================================================

401 without credentials, 403 for another role or person, 404 for no such request, 409 for a
request in the wrong state, 422 for a bad body. Every answer is ``no-store``; every step and
every refusal is audited.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from paidfor.auth.roles import Principal, Role
from paidfor.disclosure.service import DisclosureService, Who, package_dir
from paidfor.domain.ttpa import REFUSAL_GROUNDS, RequesterKind
from paidfor.interfaces.http.api.answers import NO_STORE, BodyId, RowId, answer
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_cases import Built, Disclosure, Disclosures
from paidfor.interfaces.http.deps import require
from paidfor.settings import Settings

Investigator = Annotated[Principal, Depends(require(Role.INVESTIGATOR))]


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: BodyId | None = None
    filters: dict[
        Annotated[str, Field(max_length=40)],
        Annotated[str, Field(max_length=200)]
        | BodyId
        | Annotated[list[BodyId], Field(max_length=1000)],
    ] = Field(default_factory=dict, max_length=10)
    recipient: str = Field(min_length=2, max_length=300)
    legal_basis: str = Field(max_length=40)
    purpose: str = Field(min_length=3, max_length=2000)
    # Regulation (EU) 2024/900, arts. 16-17: who asks, and when the request arrived
    requester_kind: Literal[tuple(k.value for k in RequesterKind)] | None = None  # type: ignore[valid-type]
    received_at: AwareDatetime | None = None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(min_length=3, max_length=2000)
    ground: Literal[tuple(REFUSAL_GROUNDS)] | None = None  # type: ignore[valid-type]


def install_disclosure_api(
    app: FastAPI, service: DisclosureService, settings: Settings, url: str
) -> None:
    router = APIRouter(tags=["disclosures"])

    @router.post(
        "/api/disclosures",
        status_code=201,
        summary="Request a disclosure package",
        responses=ok(Disclosure, 201),
    )
    def create(body: RequestIn, who: Investigator) -> JSONResponse:
        made = service.request(
            Who.of(who), recipient=body.recipient, legal_basis=body.legal_basis,
            purpose=body.purpose, case_id=body.case_id, filters=dict(body.filters),
            requester_kind=body.requester_kind, received_at=body.received_at,
        )  # fmt: skip
        return answer(made.as_json(), 201)

    @router.get("/api/disclosures", summary="Disclosure requests", responses=ok(Disclosures))
    def listing(who: Investigator) -> JSONResponse:
        return answer({"data": [r.as_json() for r in service.visible(Who.of(who))]})

    @router.get(
        "/api/disclosures/{request_id}", summary="One disclosure request", responses=ok(Disclosure)
    )
    def one(request_id: RowId, who: Investigator) -> JSONResponse:
        return answer(service.get(Who.of(who), request_id).as_json())

    @router.post(
        "/api/disclosures/{request_id}/decision",
        summary="Approve or reject",
        responses=ok(Disclosure),
    )
    def decide(request_id: RowId, body: DecisionIn, who: Investigator) -> JSONResponse:
        # an investigator reaches the service, which refuses and audits the attempt
        done = service.decide(
            Who.of(who), request_id, approve=body.approve, reason=body.reason, ground=body.ground
        )
        return answer(done.as_json())

    @router.post(
        "/api/disclosures/{request_id}/build",
        summary="Build the signed package",
        responses=ok(Built),
    )
    def build(request_id: RowId, who: Investigator) -> JSONResponse:
        result = service.build(
            Who.of(who), request_id, package_dir(settings, url), settings.disclosure_key
        ).as_json()
        # the server's own folders stay on the server: the package is downloaded
        for private in ("folder", "zip"):
            result.pop(private)
        return answer(
            result
            | {
                "download": f"/api/disclosures/{request_id}/package.zip",
                "request": service.get(Who.of(who), request_id).as_json(),
            }
        )

    @router.get(
        "/api/disclosures/{request_id}/package.zip",
        response_class=FileResponse,
        responses={200: {"description": "The signed package", "content": {"application/zip": {}}}},
        summary="Download the package",
    )
    def download(request_id: RowId, who: Investigator) -> Any:
        path = service.package(Who.of(who), request_id)
        return FileResponse(path, media_type="application/zip", filename=path.name,
                            headers=NO_STORE)  # fmt: skip

    app.include_router(router)


__all__ = ["install_disclosure_api", "package_dir"]
