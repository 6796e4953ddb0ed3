"""The self-service and review API (JSON), every route behind a role:

=====================================================  ============  ============================
route                                                  role          what
=====================================================  ============  ============================
``POST /api/advertisers``                              anyone        open an advertiser account;
                                                                     answers its token, once
``GET /api/me``                                        advertiser    the account, its payment
                                                                     methods and authorizations
``POST /api/me/payment-instruments``                   advertiser    add a card (fingerprint only)
``POST /api/me/pages``                                 advertiser    create a page with its admins
``POST /api/me/authorizations``                        advertiser    ask for political-ad
                                                                     authorization in a country
``POST /api/me/ads``                                   advertiser    submit an ad; the review's
                                                                     decision and reasons
``GET /api/me/ads/{id}``                               advertiser    an own ad and its decisions
``POST /api/me/ads/{id}/delivery``                     advertiser    record delivery
``GET /api/review/queue``                              reviewer      held ads and why
``POST /api/review/ads/{id}/decision``                 reviewer      approve or reject, with why
                                                                     and the decision answered
                                                                     (409 if someone was first)
``GET /api/review/authorizations``                     reviewer      authorizations (?status=)
``POST /api/review/authorizations/{id}/decision``      reviewer      approve or refuse
``POST /api/enforcement``                              reviewer      remove/restore ads, disable/
                                                                     restore advertisers, pages
=====================================================  ============  ============================

An admin passes every role. Errors are ``{"error": {"message", "status"}}``: the services'
refusals, answered by ``interfaces.http.refusals`` (400 for an ad the service cannot take,
404 for no such account or ad, 409 for a decision someone made first or an ad that cannot
deliver).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from paidfor.auth.roles import Principal, Role
from paidfor.domain import Ad, AuthorizationStatus
from paidfor.errors import BadRequest, NotFound
from paidfor.integrity.service import IntegrityService
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.intake_schemas import (
    AdDecisionIn,
    AdIn,
    AdvertiserIn,
    AuthorizationIn,
    DecisionIn,
    DeliveryIn,
    EnforcementIn,
    PageIn,
    PaymentIn,
)
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_review import (
    Account,
    AdvertiserCreated,
    Authorization,
    Authorizations,
    Decision,
    DeliveryRecorded,
    Enforced,
    MyAd,
    PageCreated,
    PaymentInstrument,
    Queue,
    Submitted,
)
from paidfor.interfaces.http.deps import require
from paidfor.library.views import PublicAd
from paidfor.review.accounts import AccountService
from paidfor.review.rules import for_advertiser
from paidfor.review.service import ReviewService

Advertiser = Annotated[Principal, Depends(require(Role.ADVERTISER))]
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]


async def invalid_body(_request: Request, exc: Exception) -> JSONResponse:
    """A 422 that names each bad field and why, and never echoes what was sent (it may be a
    card number or an identity document)."""
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e["msg"]}
        for e in exc.errors()
    ]
    message = "; ".join(f"{f['field'] or 'body'}: {f['problem']}" for f in fields)
    return JSONResponse(
        {"error": {"message": message, "status": 422, "fields": fields}}, status_code=422
    )


def make_intake_router(
    service: ReviewService, accounts: AccountService, integrity: IntegrityService, secret_key: str
) -> APIRouter:
    router = APIRouter(tags=["advertisers and review"])

    def own_account(who: Principal) -> int:
        if who.advertiser_id is None:
            raise NotFound("this token acts for no advertiser account")
        return who.advertiser_id

    def own_ad(who: Principal, ad_id: int) -> Ad:
        return accounts.own_ad(ad_id, who.advertiser_id, any_account=who.role is Role.ADMIN)

    @router.post(
        "/api/advertisers",
        status_code=201,
        summary="Open an advertiser account",
        responses=ok(AdvertiserCreated, 201),
    )
    def create_advertiser(body: AdvertiserIn) -> Any:
        adv, token, _who = accounts.open_account(body.name, body.country)
        return JSONResponse(
            {"advertiser": {"id": adv.id, "name": adv.name, "country": adv.country},
             "token": token, "note": "keep the token: it is not shown again"},
            status_code=201,
        )  # fmt: skip

    @router.get("/api/me", summary="The advertiser account", responses=ok(Account))
    def me(who: Advertiser) -> Any:
        account = own_account(who)
        adv = accounts.advertiser(account)
        if adv is None:
            raise NotFound("the account is gone")
        return {
            "id": adv.id,
            "name": adv.name,
            "country": adv.country,
            "disabled": adv.disabled,
            "payment_instruments": [
                {"id": p.id, "currency": p.currency, "billing_country": p.billing_country}
                for p in adv.payment_instruments
            ],
            "authorizations": [a.public_json() for a in accounts.authorizations(account)],
        }

    @router.post(
        "/api/me/payment-instruments",
        status_code=201,
        summary="Add a card",
        responses=ok(PaymentInstrument, 201),
    )
    def add_payment(body: PaymentIn, who: Advertiser) -> Any:
        p = accounts.add_payment_instrument(
            own_account(who), body.to_domain(secret_key), actor=who.actor
        )
        return {"id": p.id, "currency": p.currency, "billing_country": p.billing_country}

    @router.post(
        "/api/me/pages", status_code=201, summary="Create a page", responses=ok(PageCreated, 201)
    )
    def create_page(body: PageIn, who: Advertiser) -> Any:
        page = accounts.create_page(own_account(who), body.to_domain(), actor=who.actor)
        return {"id": page.id, "page_id": page.external_id, "name": page.name,
                "country": page.country, "admins": len(page.admins)}  # fmt: skip

    @router.post(
        "/api/me/authorizations",
        status_code=201,
        summary="Ask for authorization",
        responses=ok(Authorization, 201),
    )
    def ask_authorization(body: AuthorizationIn, who: Advertiser) -> Any:
        rec = accounts.request_authorization(own_account(who), body.to_domain(), actor=who.actor)
        return rec.public_json()

    @router.post(
        "/api/me/ads",
        status_code=201,
        summary="Submit an ad for review",
        responses=ok(Submitted, 201),
    )
    def submit(body: AdIn, who: Advertiser) -> Any:
        ad_id, outcome = service.submit(own_account(who), body.submission(), actor=who.actor)
        told = for_advertiser([r.as_json() for r in outcome.reasons])
        return {"ad_id": ad_id, **outcome.as_json(), "reasons": told}

    @router.get("/api/me/ads/{ad_id}", summary="An own ad and its review", responses=ok(MyAd))
    def my_ad(ad_id: RowId, who: Advertiser) -> Any:
        ad = own_ad(who, ad_id)
        return {
            "ad": PublicAd.of(ad, unmask=True).as_json(),  # its own ad, removed or not
            "decisions": [d.as_json() for d in service.decisions_for_advertiser(ad_id)],
        }

    @router.post(
        "/api/me/ads/{ad_id}/delivery",
        summary="Record an ad's delivery",
        responses=ok(DeliveryRecorded),
    )
    def delivery(ad_id: RowId, body: DeliveryIn, who: Advertiser) -> Any:
        own_ad(who, ad_id)
        return accounts.record_delivery(ad_id, body.to_domain(), actor=who.actor)

    @router.get("/api/review/queue", summary="Ads held for a person", responses=ok(Queue))
    def queue(who: Reviewer) -> Any:
        return {
            "held": [
                {
                    "ad_id": item.ad.id,
                    "decision_id": item.decision.id,  # what a decision on it answers
                    "text": item.ad.creative.text(),
                    "page": item.ad.page.name if item.ad.page else None,
                    "paid_for_by": item.ad.funder.name if item.ad.funder else None,
                    "political_score": item.decision.political_score,
                    "reasons": item.decision.reasons,
                    "integrity": item.decision.findings,
                    "held_since": item.decision.at.isoformat(),
                }
                for item in service.queue()
            ]
        }

    @router.post(
        "/api/review/ads/{ad_id}/decision",
        summary="Approve or reject an ad",
        responses=ok(Decision),
    )
    def decide(ad_id: RowId, body: AdDecisionIn, who: Reviewer) -> Any:
        return service.decide(
            ad_id, approve=body.approve, reason=body.reason, actor=who.actor, answers=body.answers
        ).as_json()

    @router.get(
        "/api/review/authorizations",
        summary="Political-ad authorizations",
        responses=ok(Authorizations),
    )
    def authorizations(who: Reviewer, status: str | None = None) -> Any:
        names = [s.value for s in AuthorizationStatus]
        if status and status not in names:
            raise BadRequest(f"status must be one of {', '.join(names)}")
        wanted = AuthorizationStatus(status) if status else None
        return {
            "authorizations": [
                {
                    **a.public_json(),
                    "advertiser": a.advertiser_name,
                    "id_document_ref": a.id_document_ref,
                }
                for a in service.authorizations(wanted)
            ]
        }

    @router.post(
        "/api/review/authorizations/{auth_id}/decision",
        summary="Decide",
        responses=ok(Authorization),
    )
    def decide_authorization(auth_id: RowId, body: DecisionIn, who: Reviewer) -> Any:
        return service.decide_authorization(
            auth_id, approve=body.approve, reason=body.reason, actor=who.actor
        ).public_json()

    @router.post(
        "/api/enforcement", summary="Enforce on ads, advertisers or pages", responses=ok(Enforced)
    )
    def enforce(body: EnforcementIn, who: Reviewer) -> Any:
        done = integrity.enforce(body.action, body.targets, reason=body.reason, actor=who.actor)
        return {"done": [r.as_json() for r in done]}

    return router
