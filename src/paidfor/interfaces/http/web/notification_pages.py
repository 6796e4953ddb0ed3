"""The reviewers' page of the notifications of possibly non-compliant political ads (art. 15
of Regulation (EU) 2024/900): ``GET /staff/notifications`` lists the open ones, the one due
first at the top, with the notified ad, the ground, the notifier's words and contact (staff
only) and the deadline, and the latest decided; ``POST /staff/notifications/{id}`` upholds or
dismisses one with the reason the notifier reads, a CSRF-protected form calling the same
service as ``POST /api/review/ttpa/notifications/{id}/decision``
(``review.notifications.NotificationService``), which audits it. A refused decision (decided
already, no such notification, no reason) goes back to the page, which says why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paidfor.auth.roles import Principal, Role
from paidfor.interfaces.http.api.answers import RowId
from paidfor.interfaces.http.auth import add_staff_link
from paidfor.interfaces.http.deps import csrf_token, require
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import back, flash_back, staff_page, take_flash
from paidfor.review.notifications import GROUNDS, NotificationService

PAGE = "/staff/notifications"
Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
# the service checks both (a decision it knows, a reason of 3 to 2,000 characters) and its
# refusal comes back to the page
Decision = Annotated[str, Form(max_length=20)]
Reason = Annotated[str, Form(max_length=4000)]


def install_notification_pages(
    app: FastAPI, service: NotificationService, templates: Jinja2Templates
) -> None:
    router = APIRouter(include_in_schema=False, dependencies=[shown_on(staff_page(templates))])

    @router.get(PAGE, response_class=HTMLResponse)
    def page(request: Request, who: Reviewer) -> Response:
        context = {
            "who": who,
            "queue": service.queue(),
            "grounds": GROUNDS,
            "csrf": csrf_token(request),
            **take_flash(request),
            "nav": "staff",
        }
        return templates.TemplateResponse(request, "staff_notifications.html", context)

    @router.post(f"{PAGE}/{{notification_id}}",
                 dependencies=[shown_on(back(PAGE, "Nothing was decided"))])  # fmt: skip
    def decide(
        request: Request,
        notification_id: RowId,
        who: Reviewer,
        decision: Decision = "",
        reason: Reason = "",
    ) -> RedirectResponse:
        done = service.decide(who.actor, notification_id, decision, reason)
        return flash_back(request, PAGE, done=f"Notification {done.receipt} {done.status}; "
                          "the notifier reads your reason.")  # fmt: skip

    app.include_router(router)
    add_staff_link(app, PAGE, "Notifications: EU political ads reported as breaking the rules "
                   "(art. 15)", Role.REVIEWER)  # fmt: skip


__all__ = ["install_notification_pages"]
