"""The reviewers' web page: the held ads with their reasons and scores, the authorizations
waiting, and enforcement, each decision a CSRF-protected form (the same services as the JSON
API in ``api.intake``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from paidfor.auth.roles import Principal, Role
from paidfor.domain import ActionKind, AuthorizationStatus
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.auth import add_staff_link
from paidfor.interfaces.http.deps import csrf_token, require
from paidfor.review.service import ReviewService
from paidfor.storage.enforcement_repo import EnforcementRepository
from paidfor.storage.intake_repo import Conflict, NotFound

Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
Reason = Annotated[str, Form(min_length=3, max_length=2000)]
Decision = Annotated[str, Form(pattern="^(approve|reject)$")]
Choice = Annotated[str, Form(max_length=40)]
Ids = Annotated[str, Form(max_length=5000)]
Answers = Annotated[int | None, Form(ge=1)]


def _back(done: str | None = None, problem: str | None = None) -> RedirectResponse:
    query = urlencode({k: v for k, v in (("done", done), ("problem", problem)) if v})
    return RedirectResponse(f"/staff/review{'?' + query if query else ''}", 303)


def install_review_pages(
    app: FastAPI, service: ReviewService, engine: Engine, templates: Jinja2Templates
) -> None:
    router = APIRouter(include_in_schema=False)
    enforcement = EnforcementRepository(engine)

    @router.get("/staff/review", response_class=HTMLResponse)
    def page(request: Request, who: Reviewer) -> Response:
        context = {
            "who": who,
            "held": service.queue(),
            "authorizations": service.intake.authorizations(status=AuthorizationStatus.PENDING),
            "actions": [str(a) for a in ActionKind],
            "csrf": csrf_token(request),
            "done": request.query_params.get("done"),
            "problem": request.query_params.get("problem"),
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_review.html", context)

    @router.post("/staff/review/ads/{ad_id}")
    def decide_ad(
        ad_id: RowId, who: Reviewer, decision: Decision, reason: Reason, answers: Answers = None
    ) -> Response:
        try:
            service.decide(
                ad_id,
                approve=decision == "approve",
                reason=reason,
                actor=who.actor,
                answers=answers,  # the held decision the page showed
            )
        except (NotFound, Conflict) as exc:
            return _back(problem=str(exc))
        verb = "approved" if decision == "approve" else "rejected"
        return _back(done=f"Ad #{ad_id} {verb}.")

    @router.post("/staff/review/authorizations/{auth_id}")
    def decide_authorization(
        auth_id: RowId, who: Reviewer, decision: Decision, reason: Reason
    ) -> Response:
        try:
            service.intake.decide_authorization(
                auth_id, approve=decision == "approve", reason=reason, actor=who.actor
            )
        except NotFound as exc:
            return _back(problem=str(exc))
        verb = "approved" if decision == "approve" else "refused"
        return _back(done=f"Authorization #{auth_id} {verb}.")

    @router.post("/staff/enforcement")
    def enforce(who: Reviewer, action: Choice, targets: Ids, reason: Reason) -> Response:
        try:
            kind = ActionKind(action)
            ids = [int(t) for t in targets.replace(",", " ").split()]
            if not ids or len(ids) > 500:
                raise ValueError("give from 1 to 500 ids")
            done = enforcement.apply(kind, ids, reason=reason, actor=who.actor)
        except (NotFound, ValueError) as exc:
            return _back(problem=f"Nothing was changed: {exc}")
        return _back(done=f"{kind.replace('_', ' ')}: {len(done)} done.")

    app.include_router(router)
    label = "Review: the queue, authorizations and enforcement"
    add_staff_link(app, "/staff/review", label, Role.REVIEWER)
