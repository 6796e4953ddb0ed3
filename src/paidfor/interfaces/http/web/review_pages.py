"""The reviewers' web page: the held ads with their reasons and scores, the authorizations
waiting, and enforcement, each decision a CSRF-protected form (the same services as the JSON
API in ``api.intake``). A refused decision goes back to the page, which says why
(``web.refusal_pages.back``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.auth.roles import Principal, Role
from paidfor.domain import ActionKind, AuthorizationStatus
from paidfor.errors import Invalid
from paidfor.integrity.service import IntegrityService
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.auth import add_staff_link
from paidfor.interfaces.http.deps import csrf_token, require
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import back, flash_back, staff_page, take_flash
from paidfor.review.service import ReviewService

Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
Reason = Annotated[str, Form(min_length=3, max_length=2000)]
Decision = Annotated[str, Form(pattern="^(approve|reject)$")]
Choice = Annotated[str, Form(max_length=40)]
Ids = Annotated[str, Form(max_length=5000)]
Answers = Annotated[int | None, Form(ge=1)]
ACTIONS = tuple(str(a) for a in ActionKind)
MAX_TARGETS = 500


def _back(request: Request, done: str) -> RedirectResponse:
    return flash_back(request, "/staff/review", done=done)


def _enforcement(action: str, targets: str) -> tuple[ActionKind, list[int]]:
    """The form's action and its ids (whole numbers, by spaces or commas); Invalid if they
    are not."""
    if action not in ACTIONS:
        raise Invalid(f"{action!r} is not an action; one of {', '.join(ACTIONS)}")
    words = targets.replace(",", " ").split()
    if not 1 <= len(words) <= MAX_TARGETS:
        raise Invalid(f"give from 1 to {MAX_TARGETS} ids")
    bad = [w for w in words if not (w.isascii() and w.isdigit() and len(w) <= 18)]
    if bad:
        raise Invalid(
            f"ids are whole numbers (up to 18 digits), not {', '.join(map(repr, bad[:5]))}"
        )
    return ActionKind(action), [int(w) for w in words]


def install_review_pages(
    app: FastAPI, service: ReviewService, integrity: IntegrityService, templates: Jinja2Templates
) -> None:
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(staff_page(templates))])
    refused_back = [shown_on(back("/staff/review"))]

    @router.get("/staff/review", response_class=HTMLResponse)
    def page(request: Request, who: Reviewer) -> Response:
        context = {
            "who": who,
            "held": service.queue(),
            "authorizations": service.authorizations(AuthorizationStatus.PENDING),
            "actions": [str(a) for a in ActionKind],
            "csrf": csrf_token(request),
            **take_flash(request),
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_review.html", context)

    @router.post("/staff/review/ads/{ad_id}", dependencies=refused_back)
    def decide_ad(
        request: Request,
        ad_id: RowId,
        who: Reviewer,
        decision: Decision,
        reason: Reason,
        answers: Answers = None,
    ) -> Response:
        service.decide(
            ad_id,
            approve=decision == "approve",
            reason=reason,
            actor=who.actor,
            answers=answers,  # the held decision the page showed
        )
        verb = "approved" if decision == "approve" else "rejected"
        return _back(request, done=f"Ad #{ad_id} {verb}.")

    @router.post("/staff/review/authorizations/{auth_id}", dependencies=refused_back)
    def decide_authorization(
        request: Request, auth_id: RowId, who: Reviewer, decision: Decision, reason: Reason
    ) -> Response:
        service.decide_authorization(
            auth_id, approve=decision == "approve", reason=reason, actor=who.actor
        )
        verb = "approved" if decision == "approve" else "refused"
        return _back(request, done=f"Authorization #{auth_id} {verb}.")

    @router.post(
        "/staff/enforcement", dependencies=[shown_on(back("/staff/review", "Nothing was changed"))]
    )
    def enforce(
        request: Request, who: Reviewer, action: Choice, targets: Ids, reason: Reason
    ) -> Response:
        kind, ids = _enforcement(action, targets)
        done = integrity.enforce(kind, ids, reason=reason, actor=who.actor)
        return _back(request, done=f"{kind.replace('_', ' ')}: {len(done)} done.")

    app.include_router(router)
    label = "Review: the queue, authorizations and enforcement"
    add_staff_link(app, "/staff/review", label, Role.REVIEWER)
