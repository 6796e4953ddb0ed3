"""The advertisers' web pages: the self-service of ``api.intake`` as server-rendered forms
that work without JavaScript, over the same services and the same request models.

=========================================  ===================================================
route                                      what
=========================================  ===================================================
``GET|POST /advertiser/signup``            open an account; its token is shown once
``GET|POST /advertiser/login``             sign in with an advertiser token (staff refused)
``POST /advertiser/logout``                sign out
``GET /advertiser``                        the dashboard: account, payment methods, pages,
                                           authorizations, ads with the review's reasons
``GET|POST /advertiser/cards``             add a card (kept only as a keyed fingerprint)
``GET|POST /advertiser/pages``             create a page; admins one a line, ``Name: US, GB``
``GET|POST /advertiser/authorizations``    ask for political-ad authorization in a country
``GET|POST /advertiser/ads``               submit an ad; then its decision and reasons
``GET /advertiser/ads/{id}``               one of the account's ads and every review decision
=========================================  ===================================================

A bad form is shown again with a sentence under each wrong field (422; 400 when the service
refuses, e.g. a page of another account), never with the card number or document reference
typed into it; any other refusal is the error page with its status
(``interfaces.http.refusals``). Sessions and CSRF: ``web.advertiser_session``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.domain.models import PUBLIC_STATUSES
from paidfor.errors import PaidforError
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.api.intake_schemas import AdIn, AuthorizationIn, PageIn, PaymentIn
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.advertiser_forms import (
    Errors,
    ad_data,
    ad_field,
    authorization_data,
    card_data,
    chosen,
    page_data,
    page_field,
    validate,
    values_to_show,
)
from paidfor.interfaces.http.web.advertiser_session import (
    HOME,
    Pages,
    Signed,
    Visit,
    flash,
    install_gate,
    session_router,
    take_flash,
)
from paidfor.interfaces.http.web.library_routes import PLATFORM_NAMES
from paidfor.review.accounts import AccountService
from paidfor.review.service import ReviewService

#: Statuses in which an ad is in the public library (``/ads/{id}``).
STATUS_WORDS = {
    "pending": "Waiting for a person",
    "approved": "Approved",
    "rejected": "Rejected",
    "running": "Running",
    "stopped": "Stopped",
    "removed": "Removed",
}


def install_advertiser_pages(
    app: FastAPI,
    service: ReviewService,
    accounts: AccountService,
    templates: Jinja2Templates,
    secret_key: str,
) -> None:
    """Add the advertiser pages to ``app`` (after ``install_auth``, which gives the session
    and the token service). ``secret_key`` keys the card fingerprints, as in the API."""
    pages = Pages(templates)
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(pages.refusal)])

    def form_page(
        request: Request,
        visit: Visit,
        name: str,
        values: dict[str, str] | None = None,
        errors: Errors | None = None,
        status: int = 200,
    ) -> Response:
        adv = accounts.advertiser(visit.account)
        ctx: dict[str, Any] = {
            "who": visit.who,
            "advertiser": adv,
            "values": values or {},
            "errors": errors or {},
        }
        if name == "advertiser_ad_form.html":
            ctx["pages"] = accounts.pages(visit.account)
            ctx["platform_names"] = PLATFORM_NAMES
            ctx["eu_elections"] = service.union_elections()
        return pages.render(request, name, ctx, status)

    @router.get("/advertiser", response_class=HTMLResponse)
    def dashboard(request: Request, visit: Signed) -> Response:
        adv = accounts.advertiser(visit.account)
        if adv is None:
            request.session.clear()
            return RedirectResponse("/advertiser/login", 303)
        ads = []
        for ad_id, status, text, submitted in accounts.ads(visit.account):
            history = service.decisions_for_advertiser(ad_id)
            ads.append(
                {
                    "id": ad_id,
                    "status": status,
                    "status_words": STATUS_WORDS.get(status, status),
                    "text": text,
                    "submitted": submitted,
                    "decision": history[-1] if history else None,
                    "public": status in PUBLIC_STATUSES,
                }
            )
        ctx = {
            "who": visit.who,
            "advertiser": adv,
            "pages": accounts.pages(visit.account),
            "authorizations": accounts.authorizations(visit.account),
            "ads": ads,
            "flash": take_flash(request),
        }
        return pages.render(request, "advertiser_dashboard.html", ctx)

    @router.get("/advertiser/cards", response_class=HTMLResponse)
    def card_form(request: Request, visit: Signed) -> Response:
        values = {"currency": "USD", "billing_country": visit_country(visit)}
        return form_page(request, visit, "advertiser_card.html", values)

    @router.post("/advertiser/cards")
    def add_card(request: Request, visit: Signed) -> Response:
        body, errors = validate(PaymentIn, card_data(visit.form))
        if body is None:
            values = values_to_show(visit.form)
            return form_page(request, visit, "advertiser_card.html", values, errors, 422)
        card = accounts.add_payment_instrument(
            visit.account, body.to_domain(secret_key), actor=visit.who.actor
        )
        return flash(request, f"Card added: pays in {card.currency}, billed in "
                              f"{card.billing_country}. Its number was not kept.")  # fmt: skip

    @router.get("/advertiser/pages", response_class=HTMLResponse)
    def page_form(request: Request, visit: Signed) -> Response:
        values = {"country": visit_country(visit)}
        return form_page(request, visit, "advertiser_page.html", values)

    @router.post("/advertiser/pages")
    def create_page(request: Request, visit: Signed) -> Response:
        body, errors = validate(PageIn, page_data(visit.form), page_field)
        if body is None:
            values = values_to_show(visit.form)
            return form_page(request, visit, "advertiser_page.html", values, errors, 422)
        page = accounts.create_page(visit.account, body.to_domain(), actor=visit.who.actor)
        return flash(request, f"Page “{page.name}” created; its public page id is "
                              f"{page.external_id}.")  # fmt: skip

    @router.get("/advertiser/authorizations", response_class=HTMLResponse)
    def authorization_form(request: Request, visit: Signed) -> Response:
        country = visit_country(visit)
        values = {"country": country, "residence_country": country}
        return form_page(request, visit, "advertiser_authorization.html", values)

    @router.post("/advertiser/authorizations")
    def ask_authorization(request: Request, visit: Signed) -> Response:
        body, errors = validate(AuthorizationIn, authorization_data(visit.form))
        if body is None:
            values = values_to_show(visit.form)
            name = "advertiser_authorization.html"
            return form_page(request, visit, name, values, errors, 422)
        rec = accounts.request_authorization(visit.account, body.to_domain(),
                                             actor=visit.who.actor)  # fmt: skip
        return flash(request, f"Asked for authorization in {rec.country} for “Paid for by "
                              f"{rec.funder_name}”. A reviewer will check it.")  # fmt: skip

    @router.get("/advertiser/ads", response_class=HTMLResponse)
    def ad_form(request: Request, visit: Signed) -> Response:
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        values = {
            "currency": "USD",
            "countries": visit_country(visit),
            "platforms": "facebook",
            "start": tomorrow.strftime("%Y-%m-%dT09:00"),
        }
        chosen = request.query_params.get("page_id")
        if chosen:
            values["page_id"] = chosen
        return form_page(request, visit, "advertiser_ad_form.html", values)

    def ad_values(visit: Visit) -> dict[str, str]:
        values = values_to_show(visit.form)
        values["platforms"] = " ".join(chosen(visit.form, "platforms"))
        return values

    def ad_refused(request: Request, refusal: PaidforError) -> Response:
        """The ad form shown again, saying why the review service would not take the ad."""
        visit: Visit = request.state.visit
        problem = {"": str(refusal)[:1].upper() + str(refusal)[1:] + "."}
        name = "advertiser_ad_form.html"
        return form_page(request, visit, name, ad_values(visit), problem, refusal.http_status)

    @router.post("/advertiser/ads", dependencies=[shown_on(ad_refused)])
    def submit_ad(request: Request, visit: Signed) -> Response:
        body, errors = validate(AdIn, ad_data(visit.form), ad_field)
        if body is None:
            return form_page(request, visit, "advertiser_ad_form.html", ad_values(visit), errors,
                             422)  # fmt: skip
        ad_id, _outcome = service.submit(visit.account, body.submission(), actor=visit.who.actor)
        return RedirectResponse(f"/advertiser/ads/{ad_id}?submitted=1", 303)

    @router.get("/advertiser/ads/{ad_id}", response_class=HTMLResponse)
    def one_ad(request: Request, ad_id: RowId, visit: Signed) -> Response:
        ad = accounts.own_ad(ad_id, visit.account)  # NotFound: the refusal page says so
        status = str(ad.status)
        ctx = {
            "who": visit.who,
            "advertiser": accounts.advertiser(visit.account),
            "ad": ad,
            "status": status,
            "status_words": STATUS_WORDS.get(status, status),
            "public": status in PUBLIC_STATUSES,
            "decisions": service.decisions_for_advertiser(ad_id),
            "submitted": request.query_params.get("submitted") == "1",
        }
        return pages.render(request, "advertiser_ad.html", ctx)

    def visit_country(visit: Visit) -> str:
        adv = accounts.advertiser(visit.account)
        return (adv.country or "") if adv is not None else ""

    install_gate(app, pages)
    app.include_router(session_router(pages, accounts))
    app.include_router(router)


__all__ = ["HOME", "install_advertiser_pages"]
