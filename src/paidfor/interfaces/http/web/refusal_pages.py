"""The pages the web routes show a refusal on (``interfaces.http.refusals``), each with the
refusal's status and its message:

* ``public_page``: the public library's ``error.html`` (``limit_page``: the same, for a page
  refused for its rate limit before any route ran);
* ``staff_page``: ``staff_error.html``, with the staff navigation;
* ``back``: for a staff form, a redirect (303) to the page the form is on, which shows the
  refusal once (``Nothing was shared: ...``), from the signed session (``flash_back``).

``flash_back`` and ``take_flash``: what a staff form did or why it was refused, kept in the
signed session for the next page, never in the address (a crafted link cannot put words in
the staff pages' alert boxes).

The advertiser pages show theirs with ``advertiser_session.Pages.refuse``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.errors import PaidforError
from paidfor.interfaces.http.refusals import Render

TITLES = {400: "That cannot be done", 404: "Not found", 409: "Not now", 422: "That cannot be done",
          429: "Too many requests", 503: "Busy: try again in a moment"}  # fmt: skip


def public_page(templates: Jinja2Templates) -> Render:
    def render(request: Request, refusal: PaidforError) -> Response:
        status = refusal.http_status
        ctx = {"title": TITLES.get(status, "That cannot be done"), "message": str(refusal)}
        return templates.TemplateResponse(request, "error.html", ctx, status_code=status)

    return render


def limit_page(templates: Jinja2Templates) -> Callable[[str], tuple[bytes, bytes]]:
    """A public page refused for its rate limit (``api.ratelimit.LimitedRoutes``): the
    library's ``error.html`` with the refusal's sentence, as ``(content type, body)``; the
    middleware that refuses has no request to render with."""
    template = templates.get_template("error.html")

    def render(message: str) -> tuple[bytes, bytes]:
        html = template.render(title=TITLES[429], message=message)
        return b"text/html; charset=utf-8", html.encode()

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


STAFF_FLASH = "staff_flash"


def flash_back(
    request: Request, target: str, *, done: str | None = None, problem: str | None = None
) -> RedirectResponse:
    """A redirect (303) to ``target``, which shows ``done`` or ``problem`` once (a problem at
    the page's ``#problem`` alert, which the browser scrolls to)."""
    request.session[STAFF_FLASH] = {"done": done, "problem": problem}
    return RedirectResponse(f"{target}#problem" if problem else target, 303)


def take_flash(request: Request) -> dict[str, str | None]:
    """What the last staff form did or why it was refused (then forgotten): ``done`` and
    ``problem``, each a sentence or None."""
    found = request.session.pop(STAFF_FLASH, None)
    if not isinstance(found, dict):
        return {"done": None, "problem": None}
    return {k: found[k] if isinstance(found.get(k), str) else None for k in ("done", "problem")}


def back(path: str, prefix: str = "") -> Render:
    """A redirect to ``path`` (its ``{name}`` parts filled from the route's path
    parameters) that shows what was refused, after ``prefix`` and a colon."""

    def render(request: Request, refusal: PaidforError) -> Response:
        problem = f"{prefix}: {refusal}" if prefix else str(refusal)
        return flash_back(request, path.format(**request.path_params), problem=problem)

    return render


__all__ = ["back", "flash_back", "limit_page", "public_page", "staff_page", "take_flash"]
