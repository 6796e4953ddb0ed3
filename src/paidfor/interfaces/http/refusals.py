"""How a refusal is answered over HTTP: the one handler of ``paidfor.errors.PaidforError``.

A service refuses by raising one of the hierarchy's kinds where it decides to; no route
catches it to choose a status. ``answer_refusal`` answers it with the kind's status: as
JSON, ``{"error": {"message", "status"}}`` (``PaidforError.as_json``), unless the route
names the page its refusals are shown on with ``shown_on(render)``, a dependency of the
route or of its whole router (the route's own wins)::

    router = APIRouter(dependencies=[shown_on(staff_page(templates))])

    @router.post("/staff/cases/{case_id}/publish", dependencies=[shown_on(back(...))])

``render(request, refusal)`` gives the response: an HTML error page with the refusal's
status, a form shown again with the refusal on it, a redirect back to the page a staff
form is on with the refusal in ``?problem=``, or a Graph error object (``ads_archive``). A
kind of refusal may be shown on one page everywhere (``shown_everywhere_on``): a browser
refused for want of a sign-in goes to the sign-in page, whatever the route.
Every refusal is ``no-store`` unless its page says otherwise; a 503 says when to try again
(``Retry-After``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from paidfor.errors import PaidforError

#: How a route shows a refusal: the response for ``(request, refusal)``.
Render = Callable[[Request, PaidforError], Response]
_STATE_KEY = "refusal_page"


def shown_on(render: Render) -> Any:
    """A route (or router) dependency: the route's refusals are answered by ``render``."""

    async def name_the_page(request: Request) -> None:
        setattr(request.state, _STATE_KEY, render)

    return Depends(name_the_page)


def shown_everywhere_on(app: FastAPI, kind: type[PaidforError], render: Render) -> None:
    """Refusals of ``kind`` are answered by ``render`` on every route, whatever page the
    route names (the sign-in refusals: ``install_auth``)."""
    app.state.refusal_kinds = {**getattr(app.state, "refusal_kinds", {}), kind: render}


def answer_refusal(request: Request, exc: Exception) -> Response:
    """The app's handler of ``PaidforError`` (plain ``def``: a page may read the database,
    so Starlette runs it in a thread)."""
    assert isinstance(exc, PaidforError)
    kinds: dict[type[PaidforError], Render] = getattr(request.app.state, "refusal_kinds", {})
    render: Render | None = next(
        (r for kind, r in kinds.items() if isinstance(exc, kind)),
        getattr(request.state, _STATE_KEY, None),
    )
    if render is None:
        response: Response = JSONResponse({"error": exc.as_json()}, status_code=exc.http_status)
    else:
        response = render(request, exc)
    for name, value in exc.headers.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    if exc.http_status == 503:
        response.headers.setdefault("Retry-After", "2")
    return response


def install_refusals(app: FastAPI) -> None:
    """Make ``answer_refusal`` the app's handler of every ``PaidforError``."""
    app.add_exception_handler(PaidforError, answer_refusal)


__all__ = ["Render", "answer_refusal", "install_refusals", "shown_everywhere_on", "shown_on"]
