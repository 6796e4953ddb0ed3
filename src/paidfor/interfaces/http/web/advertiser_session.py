"""Advertisers in the browser: opening an account, signing in with an advertiser token, and
the session the advertiser pages run on.

The session (the signed, HTTP-only, SameSite=strict cookie ``install_auth`` sets up) keeps an
advertiser's token id under its own key, ``ADVERTISER_KEY``, never under the staff key, so an
advertiser session can never reach a staff page and the staff sign-in check (which ends any
non-staff session it finds under its key) leaves it alone. Each request checks that the token
is still live, so revoking it ends the session at once. Every form, the public sign-up and
sign-in ones included, carries the session's CSRF token; signing in or up starts a fresh
session with a fresh CSRF token. Every answer is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from paidfor.auth.roles import Principal, Role
from paidfor.errors import PaidforError
from paidfor.interfaces.http.api.intake_schemas import AdvertiserIn
from paidfor.interfaces.http.auth import NO_STORE
from paidfor.interfaces.http.deps import (
    BAD_TOKEN,
    CSRF_FIELD,
    AuthError,
    check_csrf,
    csrf_token,
    pasted_token,
    rotate_csrf,
)
from paidfor.interfaces.http.deps import token_service as tokens_of
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.advertiser_forms import (
    Errors,
    signup_data,
    validate,
    values_to_show,
)
from paidfor.interfaces.http.web.library_routes import COUNTRIES, country_name
from paidfor.review.accounts import AccountService

ADVERTISER_KEY = "advertiser_token_id"
FLASH_KEY = "advertiser_flash"
HOME = "/advertiser"


class Gate(Exception):
    """Stops a request with a ready answer (the sign-in redirect, a CSRF refusal)."""

    def __init__(self, response: Response) -> None:
        super().__init__("advertiser page gate")
        self.response = response


@dataclass(frozen=True)
class Visit:
    """A signed-in advertiser's request: who, and the posted form (empty for a GET)."""

    who: Principal
    form: FormData

    @property
    def account(self) -> int:
        assert self.who.advertiser_id is not None  # only advertiser tokens get a Visit
        return self.who.advertiser_id


class Pages:
    """Renders the advertiser templates with the CSRF token, flash and ``no-store``."""

    def __init__(self, templates: Jinja2Templates) -> None:
        self.templates = templates
        templates.env.filters.setdefault("country_name", country_name)

    def render(
        self, request: Request, name: str, ctx: dict[str, Any], status: int = 200
    ) -> Response:
        context = {"csrf": csrf_token(request), "countries": COUNTRIES, "nav": "advertiser"}
        context.update(ctx)
        response = self.templates.TemplateResponse(request, name, context, status_code=status)
        response.headers["Cache-Control"] = NO_STORE
        return response

    def refuse(self, request: Request, status: int, message: str) -> Response:
        return self.render(
            request, "advertiser_error.html", {"status": status, "message": message}, status
        )

    def refusal(self, request: Request, refusal: PaidforError) -> Response:
        """A service's refusal on the error page (``interfaces.http.refusals``)."""
        return self.refuse(request, refusal.http_status, str(refusal))


def flash(request: Request, message: str, kind: str = "done") -> RedirectResponse:
    """Back to the dashboard, showing ``message`` once (kept in the signed session, so no
    one can put words on the page with a crafted link)."""
    request.session[FLASH_KEY] = [kind, message]
    return RedirectResponse(HOME, 303)


def take_flash(request: Request) -> tuple[str, str] | None:
    found = request.session.pop(FLASH_KEY, None)
    return (str(found[0]), str(found[1])) if isinstance(found, list) and len(found) == 2 else None


def session_principal(request: Request) -> Principal | None:
    """The advertiser this browser is signed in as, or None (ending a revoked session)."""
    token_id = request.session.get(ADVERTISER_KEY)
    if not isinstance(token_id, int):
        return None
    who = tokens_of(request).get(token_id)
    if who is None or who.role is not Role.ADVERTISER or who.advertiser_id is None:
        request.session.pop(ADVERTISER_KEY, None)
        return None
    request.state.principal = who  # marks the answer private for NoStoreMiddleware
    return who


def safe_target(value: object) -> str:
    """Where to go after signing in: a path under ``/advertiser``, else the dashboard."""
    if not isinstance(value, str) or not (value == HOME or value.startswith(HOME + "/")):
        return HOME
    if "\\" in value or ".." in value or any(ord(c) < 33 for c in value):
        return HOME
    return value


async def gate(request: Request) -> Visit:
    """The dependency of every signed-in page: a sign-in redirect (303) without a live
    advertiser session; for a POST, a 403 page unless the form carries the CSRF token."""
    who = await run_in_threadpool(session_principal, request)
    if who is None:
        target = request.url.path if request.method == "GET" else HOME
        raise Gate(RedirectResponse(f"/advertiser/login?next={quote(target, safe='/')}", 303))
    form = FormData()
    if request.method == "POST":
        form = await request.form()
        try:
            check_csrf(request, form.get(CSRF_FIELD))
        except AuthError as exc:
            pages: Pages = request.app.state.advertiser_pages
            raise Gate(pages.refuse(request, 403, exc.message)) from None
    request.state.visit = visit = Visit(who, form)  # for a form shown again on a refusal
    return visit


#: ``visit: Signed`` in a route: a signed-in advertiser's request (see ``gate``).
Signed = Annotated[Visit, Depends(gate)]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _sign_in(request: Request, who: Principal) -> None:
    request.session.clear()
    request.session[ADVERTISER_KEY] = who.token_id
    rotate_csrf(request)


def session_router(pages: Pages, accounts: AccountService) -> APIRouter:
    """``/advertiser/signup``, ``/advertiser/login`` and ``/advertiser/logout``."""
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(pages.refusal)])

    def signup_page(request: Request, values: dict[str, str], errors: Errors, status: int) -> Any:
        ctx = {"values": values, "errors": errors}
        return pages.render(request, "advertiser_signup.html", ctx, status)

    def login_page(request: Request, target: str, error: str | None, status: int) -> Any:
        ctx = {"next": target, "error": error}
        return pages.render(request, "advertiser_login.html", ctx, status)

    async def posted(request: Request) -> FormData:
        form = await request.form()
        try:
            check_csrf(request, form.get(CSRF_FIELD))
        except AuthError as exc:
            raise Gate(pages.refuse(request, 403, exc.message)) from None
        return form

    @router.get("/advertiser/signup", response_class=HTMLResponse)
    async def signup_form(request: Request) -> Response:
        if await run_in_threadpool(session_principal, request) is not None:
            return RedirectResponse(HOME, 303)
        return signup_page(request, {"country": "US"}, {}, 200)

    @router.post("/advertiser/signup")
    async def signup(request: Request) -> Response:
        form = await posted(request)
        body, errors = validate(AdvertiserIn, signup_data(form))
        if body is None:
            return signup_page(request, values_to_show(form), errors, 422)
        adv, token, who = await run_in_threadpool(accounts.open_account, body.name, body.country)
        _sign_in(request, who)
        request.state.principal = who
        ctx = {"advertiser": adv, "token": token, "who": who}
        return pages.render(request, "advertiser_token.html", ctx)

    @router.get("/advertiser/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        target = safe_target(request.query_params.get("next"))
        if await run_in_threadpool(session_principal, request) is not None:
            return RedirectResponse(target, 303)
        return login_page(request, target, None, 200)

    @router.post("/advertiser/login")
    async def login(request: Request) -> Response:
        form = await posted(request)
        target = safe_target(form.get("next"))
        tokens = tokens_of(request)
        who = await pasted_token(request, form)
        if who is None:
            return login_page(request, target, BAD_TOKEN, 401)
        if who.role is not Role.ADVERTISER or who.advertiser_id is None:
            after: dict[str, object] = {"ip": _client(request)}
            await run_in_threadpool(tokens.record, who, "advertiser.login_refused", after=after)
            error = (
                f"A {who.role.value} token cannot sign in to the advertiser pages: they need "
                "the token of an advertiser account. Staff sign in at /staff/login."
            )
            return login_page(request, target, error, 403)
        _sign_in(request, who)
        await run_in_threadpool(
            tokens.record, who, "advertiser.login", after={"ip": _client(request)}
        )
        return RedirectResponse(target, 303)

    @router.post("/advertiser/logout")
    async def logout(request: Request) -> Response:
        await posted(request)
        who = await run_in_threadpool(session_principal, request)
        request.session.clear()
        if who is not None:
            await run_in_threadpool(tokens_of(request).record, who, "advertiser.logout")
        return RedirectResponse("/advertiser/login", 303)

    return router


def install_gate(app: FastAPI, pages: Pages) -> None:
    """Answer a ``Gate`` with its response; ``pages`` renders the gate's refusals."""
    app.state.advertiser_pages = pages

    async def answer(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Gate)
        return exc.response

    app.add_exception_handler(Gate, answer)
