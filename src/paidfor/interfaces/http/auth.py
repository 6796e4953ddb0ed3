"""Staff sign-in for the web pages, and ``install_auth`` which wires authentication into an
app.

Staff sign in at ``/staff/login`` by pasting an API token of a staff role. The session (a
signed, HTTP-only, SameSite=strict cookie, ``paidfor_session``) then holds only the token's
id and a CSRF token; each request checks that the token is still live, so revoking a token
ends its sessions at once. Every staff page answers with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paidfor.auth.roles import Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.errors import PaidforError
from paidfor.interfaces.http.deps import (
    BAD_TOKEN,
    CSRF_FIELD,
    SESSION_COOKIE,
    SESSION_TOKEN_KEY,
    AuthError,
    StaffPrincipal,
    check_csrf,
    csrf_token,
    optional_principal,
    pasted_token,
    require,
    rotate_csrf,
    token_service,
)
from paidfor.interfaces.http.refusals import install_refusals, shown_everywhere_on
from paidfor.settings import Settings

__all__ = [
    "StaffLink",
    "add_staff_link",
    "check_csrf",
    "csrf_token",
    "install_auth",
    "optional_principal",
    "require",
]

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
NO_STORE = "no-store"


@dataclass(frozen=True)
class StaffLink:
    """A link on the staff home page, shown to the given roles (all staff if none)."""

    href: str
    label: str
    roles: tuple[Role, ...] = ()


def add_staff_link(app: FastAPI, href: str, label: str, *roles: Role) -> None:
    """List a staff page on ``/staff`` (for principals with one of ``roles``, or all)."""
    app.state.staff_links.append(StaffLink(href, label, roles))


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on everything under ``/staff`` and on every response to
    an authenticated request, so no cache keeps private pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        staff = path == "/staff" or path.startswith("/staff/")
        has_auth = any(k == b"authorization" for k, _ in scope.get("headers", []))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                if staff or has_auth or state.get("principal") is not None:
                    headers = [
                        (k, v) for k, v in message.get("headers", []) if k != b"cache-control"
                    ]
                    headers.append((b"cache-control", NO_STORE.encode()))
                    message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def safe_next(target: object) -> str:
    """Where to go after signing in: a path on this site, else ``/staff``."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/staff"
    if "\\" in target or any(ord(c) < 32 for c in target):
        return "/staff"
    return target


def install_auth(
    app: FastAPI,
    tokens: TokenService,
    settings: Settings,
    *,
    https_only: bool = False,
    session_max_age: int = 12 * 60 * 60,
) -> None:
    """Give ``app`` its ``TokenService`` (``app.state.tokens``), the staff session, the
    401/403 error rendering and the ``/staff`` sign-in pages. Call once, before serving."""
    if settings.secret_key is None:
        raise ValueError("install_auth needs a secret key (create_app makes one)")
    app.state.tokens = tokens
    app.state.staff_links = []
    templates = Jinja2Templates(directory=str(TEMPLATES))
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=session_max_age,
        same_site="strict",
        https_only=https_only,
    )

    def auth_page(request: Request, exc: PaidforError) -> Response:
        """A sign-in refusal: for a browser, the sign-in page (a 401 on a page it opened) or
        an HTML error page; else the JSON error."""
        assert isinstance(exc, AuthError)
        if not _wants_html(request):
            return JSONResponse({"error": exc.as_json()}, status_code=exc.http_status)
        if (
            exc.http_status == 401
            and request.method == "GET"
            and ("authorization" not in request.headers)
        ):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/staff/login?next={quote(target, safe='/')}", 303)
        return templates.TemplateResponse(
            request,
            "staff_error.html",
            {"status": exc.http_status, "message": exc.message},
            status_code=exc.http_status,
        )

    install_refusals(app)  # the one refusal handler, which answers these too
    shown_everywhere_on(app, AuthError, auth_page)
    app.include_router(_staff_router(templates))


def _login_page(
    templates: Jinja2Templates, request: Request, *, next_: str, error: str | None, status: int
) -> Response:
    return templates.TemplateResponse(
        request,
        "staff_login.html",
        {"csrf": csrf_token(request), "next": next_, "error": error, "nav": "staff"},
        status_code=status,
    )


def _staff_router(templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/staff/login", response_class=HTMLResponse)
    async def login_form(
        request: Request, who: Principal | None = Depends(optional_principal)
    ) -> Response:
        next_ = safe_next(request.query_params.get("next"))
        if who is not None and who.is_staff and SESSION_TOKEN_KEY in request.session:
            return RedirectResponse(next_, 303)
        return _login_page(templates, request, next_=next_, error=None, status=200)

    @router.post("/staff/login")
    async def login_submit(request: Request) -> Response:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        next_ = safe_next(form.get("next"))
        tokens = token_service(request)
        who = await pasted_token(request, form)
        if who is None:
            return _login_page(templates, request, next_=next_, error=BAD_TOKEN, status=401)
        client = request.client.host if request.client else None
        if not who.is_staff:
            await run_in_threadpool(tokens.record, who, "staff.login_refused", after={"ip": client})
            error = (
                f"A {who.role.value} token cannot sign in to the staff pages; "
                "use it with the API instead."
            )
            return _login_page(templates, request, next_=next_, error=error, status=403)
        request.session.clear()
        request.session[SESSION_TOKEN_KEY] = who.token_id
        rotate_csrf(request)
        await run_in_threadpool(tokens.record, who, "staff.login", after={"ip": client})
        return RedirectResponse(next_, 303)

    @router.post("/staff/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        token_id = request.session.get(SESSION_TOKEN_KEY)
        request.session.clear()
        if isinstance(token_id, int):
            tokens = token_service(request)
            who = await run_in_threadpool(tokens.get, token_id)
            if who is not None:
                await run_in_threadpool(tokens.record, who, "staff.logout")
        return RedirectResponse("/staff/login", 303)

    @router.get("/staff", response_class=HTMLResponse)
    async def staff_home(request: Request, who: StaffPrincipal) -> Response:
        links = [link for link in request.app.state.staff_links if who.has_role(*link.roles)]
        signed_in = SESSION_TOKEN_KEY in request.session
        context = {
            "who": who,
            "links": links,
            "csrf": csrf_token(request) if signed_in else "",
            "signed_in": signed_in,
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_home.html", context)

    return router
