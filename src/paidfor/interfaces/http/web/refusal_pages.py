"""The pages the web routes show a refusal on (``interfaces.http.refusals``), each with the
refusal's status and its message:

* ``public_page``: the public library's ``error.html``;
* ``staff_page``: ``staff_error.html``, with the staff navigation;
* ``back``: for a staff form, a redirect (303) to the page the form is on, which shows the
  refusal from ``?problem=`` (``Nothing was shared: ...``).

The advertiser pages show theirs with ``advertiser_session.Pages.refuse``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.errors import PaidforError
from paidfor.interfaces.http.refusals import Render

TITLES = {400: "That cannot be done", 404: "Not found", 409: "Not now", 422: "That cannot be done",
          503: "Busy: try again in a moment"}  # fmt: skip


def public_page(templates: Jinja2Templates) -> Render:
    def render(request: Request, refusal: PaidforError) -> Response:
        status = refusal.http_status
        ctx = {"title": TITLES.get(status, "That cannot be done"), "message": str(refusal)}
        return templates.TemplateResponse(request, "error.html", ctx, status_code=status)

    return render


def staff_page(templates: Jinja2Templates) -> Render:
    def render(request: Request, refusal: PaidforError) -> Response:
        ctx = {
            "status": refusal.http_status,
            "message": str(refusal),
            "who": getattr(request.state, "principal", None),
            "nav": "staff",
        }
        return templates.TemplateResponse(
            request, "staff_error.html", ctx, status_code=refusal.http_status
        )

    return render


def back(path: str, prefix: str = "") -> Render:
    """A redirect to ``path`` (its ``{name}`` parts filled from the route's path
    parameters) with ``problem=`` saying what was refused, after ``prefix`` and a colon."""

    def render(request: Request, refusal: PaidforError) -> Response:
        problem = f"{prefix}: {refusal}" if prefix else str(refusal)
        target = path.format(**request.path_params)
        return RedirectResponse(f"{target}?{urlencode({'problem': problem})}", 303)

    return render


__all__ = ["back", "public_page", "staff_page"]
