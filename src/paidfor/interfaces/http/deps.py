"""FastAPI dependencies that say who a request acts as, and the CSRF helpers.

A request is authenticated by ``Authorization: Bearer <token>`` or, for the staff web pages,
by the staff session cookie (``paidfor.interfaces.http.auth``). Both need the app's
``TokenService`` in ``app.state.tokens``, which ``paidfor.interfaces.http.auth.install_auth``
puts there::

    @router.get("/api/review/queue")
    def queue(who: Principal = Depends(require(Role.REVIEWER))) -> ...

No or bad credentials give 401 ``{"error": {"message", "status"}}`` with
``WWW-Authenticate: Bearer``; a valid principal of another role gives 403. ADMIN passes every
check. A state-changing request (not GET/HEAD/OPTIONS) that relies on the session cookie must
also carry the session's CSRF token, in the form field ``csrf`` or the ``X-CSRF-Token`` header;
bearer requests need none (a browser never adds that header by itself).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.concurrency import run_in_threadpool

from paidfor.auth.roles import STAFF_ROLES, Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.errors import PaidforError

SESSION_TOKEN_KEY = "token_id"
SESSION_CSRF_KEY = "csrf"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "paidfor_session"

#: The two ways a request proves who it acts as, as the OpenAPI schema declares them (its
#: ``securitySchemes``, and the ``security`` of every route behind ``require``): they only
#: document; ``resolve_principal`` reads the header and the session itself.
BEARER = HTTPBearer(
    scheme_name="bearerToken",
    description="An API token (`paidfor token create`, or the one `POST /api/advertisers` "
    "gives): `Authorization: Bearer <token>`.",
    auto_error=False,
)
SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="staffSession",
    description="The staff web pages' signed session cookie (after signing in at "
    "`/staff/login` with a staff token); a state-changing request also sends the session's "
    "CSRF token in `X-CSRF-Token`.",
    auto_error=False,
)


class AuthError(PaidforError):
    """A 401 (no valid credentials) or a 403 (a role, or a form's CSRF token, refused): the
    app's one refusal handler (``interfaces.http.refusals``) answers it as
    ``{"error": {"message", "status"}}``, or for a browser as the sign-in page or an HTML
    error page (the page ``install_auth`` names for it)."""

    def __init__(self, status_code: int, message: str, *, invalid_token: bool = False) -> None:
        super().__init__(message)
        self.http_status = status_code
        self.message = message
        if status_code == 401:
            scheme = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
            self.headers = {"WWW-Authenticate": scheme}


def token_service(request: Request) -> TokenService:
    """The app's ``TokenService`` (``app.state.tokens``)."""
    service = getattr(request.app.state, "tokens", None)
    if not isinstance(service, TokenService):
        raise RuntimeError(
            "app.state.tokens is not set: call "
            "paidfor.interfaces.http.auth.install_auth(app, tokens, settings) when building the app"
        )
    return service


BAD_TOKEN = "That token is not valid, or it has been revoked."


async def pasted_token(request: Request, form: Any) -> Principal | None:
    """Who the token pasted in a sign-in form's ``token`` field is (None: no such live
    token); the staff and advertiser sign-in pages share it."""
    token = form.get("token")
    tokens = token_service(request)
    return await run_in_threadpool(
        tokens.authenticate, token.strip() if isinstance(token, str) else ""
    )


def bearer_token(header: str | None) -> str | None:
    """The token in an ``Authorization`` header value, or None if it is not
    ``Bearer <token>`` (scheme in any case, one token without spaces)."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or any(c.isspace() for c in value):
        return None
    return value


def _session(request: Request) -> dict[str, Any] | None:
    session = request.scope.get("session")
    return session if isinstance(session, dict) else None


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use. Put it in every staff form as the
    hidden field ``csrf``."""
    session = _session(request)
    if session is None:
        raise RuntimeError("no session: call paidfor.interfaces.http.auth.install_auth first")
    token = session.get(SESSION_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF_KEY] = token
    return token


def rotate_csrf(request: Request) -> str:
    """A fresh CSRF token for this session (after signing in)."""
    session = _session(request)
    if session is None:
        raise RuntimeError("no session: call paidfor.interfaces.http.auth.install_auth first")
    session[SESSION_CSRF_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_CSRF_KEY])


def check_csrf(request: Request, submitted: object) -> None:
    """Raise a 403 unless ``submitted`` is this session's CSRF token."""
    session = _session(request)
    expected = session.get(SESSION_CSRF_KEY) if session is not None else None
    if (
        not isinstance(expected, str)
        or not isinstance(submitted, str)
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        raise AuthError(403, "the form's CSRF token is missing or out of date; reload the page")


async def _check_session_csrf(request: Request) -> None:
    submitted: object = request.headers.get(CSRF_HEADER)
    if submitted is None:
        submitted = (await request.form()).get(CSRF_FIELD)
    check_csrf(request, submitted)


async def resolve_principal(request: Request) -> Principal | None:
    """Who the request acts as: the bearer token if there is an ``Authorization`` header
    (401 if it is malformed, unknown or revoked), else the staff session, else None."""
    service = token_service(request)
    header = request.headers.get("authorization")
    if header is not None:
        token = bearer_token(header)
        if token is None:
            raise AuthError(401, "the Authorization header must be 'Bearer <token>'")
        principal = await run_in_threadpool(service.authenticate, token)
        if principal is None:
            raise AuthError(401, "the token is not valid or has been revoked", invalid_token=True)
        request.state.principal = principal
        return principal
    session = _session(request)
    if session is None or not isinstance(token_id := session.get(SESSION_TOKEN_KEY), int):
        return None
    principal = await run_in_threadpool(service.get, token_id)
    if principal is None or not principal.is_staff:
        session.pop(SESSION_TOKEN_KEY, None)  # revoked since sign-in: the session ends
        return None
    if request.method not in SAFE_METHODS:
        await _check_session_csrf(request)
    request.state.principal = principal
    return principal


async def optional_principal(request: Request) -> Principal | None:
    """The principal if the request carries credentials, else None (public pages that
    show more to staff). Bad credentials are still a 401."""
    return await resolve_principal(request)


def require(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency giving the request's principal if it has one of ``roles`` (any role if
    none are given; ADMIN always passes): 401 without credentials, 403 for another role."""
    wanted = tuple(dict.fromkeys(roles))

    async def dependency(
        request: Request,
        _bearer: Annotated[object, Security(BEARER)] = None,
        _session: Annotated[object, Security(SESSION)] = None,
    ) -> Principal:
        principal = await resolve_principal(request)
        if principal is None:
            raise AuthError(401, "authentication required: send 'Authorization: Bearer <token>'")
        if not principal.has_role(*wanted):
            names = " or ".join(r.value for r in wanted)
            raise AuthError(
                403, f"this needs the {names} role; this token's role is {principal.role.value}"
            )
        return principal

    return dependency


#: ``who: StaffPrincipal`` in a route: any staff role (reviewer, investigator, admin).
StaffPrincipal = Annotated[Principal, Depends(require(*sorted(STAFF_ROLES)))]
