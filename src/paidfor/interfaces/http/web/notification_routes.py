"""Notifications of possibly non-compliant political ads (art. 15 of Regulation (EU)
2024/900; ``review.notifications``):

=====================================================  ========  ==============================
route                                                  role      what
=====================================================  ========  ==============================
``GET /ads/{id}/notify``                               anyone    the form to notify an ad
``POST /ttpa/notify``                                  anyone    the form's submission (with
                                                                 its CSRF field): the receipt
                                                                 and the secret, shown once
``GET /ttpa/notifications/status``                     anyone    the form to read a
                                                                 notification's outcome
``POST /ttpa/notifications/status``                    anyone    the outcome, given the receipt
                                                                 and the secret
``POST /api/ttpa/notifications``                       anyone    the same as JSON: ``ad_id``,
                                                                 ``ground``, ``explanation``,
                                                                 ``name``, ``email``; 201 with
                                                                 ``receipt`` and ``secret``
``POST /api/ttpa/notifications/status``                anyone    ``{"receipt", "secret"}``: the
                                                                 status and the outcome
``GET /api/review/ttpa/notifications``                 reviewer  notifications (``?status=``),
                                                                 with the notifier's contact
``POST /api/review/ttpa/notifications/{id}/decision``  reviewer  ``{"decision": "uphold" |
                                                                 "dismiss", "reason"}``
=====================================================  ========  ==============================

The public routes (fixed paths, so one rate limit counts them: ``NOTIFY_PATHS``) answer
``no-store``; a wrong receipt or secret is a 404 with one sentence for both. The notifier's
name, email and words are never in a public answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from paidfor.auth.roles import Principal, Role
from paidfor.domain.models import MAX_ID
from paidfor.errors import Invalid
from paidfor.interfaces.http.api.answers import NO_STORE, BodyId, RowId, answer
from paidfor.interfaces.http.api.ratelimit import LimitedRoutes, SlidingWindowLimiter
from paidfor.interfaces.http.api.ratelimit_store import Windows
from paidfor.interfaces.http.api.responses import ok
from paidfor.interfaces.http.api.responses_ttpa import (
    NotificationReceipt,
    NotificationStatus,
    StaffNotification,
    StaffNotifications,
)
from paidfor.interfaces.http.deps import CSRF_FIELD, check_csrf, csrf_token, require
from paidfor.interfaces.http.refusals import shown_on
from paidfor.interfaces.http.web.refusal_pages import limit_page, public_page
from paidfor.review.notifications import GROUNDS, NotificationService
from paidfor.settings import Settings

Reviewer = Annotated[Principal, Depends(require(Role.REVIEWER))]
API_PATHS = frozenset({"/api/ttpa/notifications", "/api/ttpa/notifications/status"})
PAGE_PATHS = frozenset({"/ttpa/notify", "/ttpa/notifications/status"})
STATUS_PAGE = "/ttpa/notifications/status"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NotificationIn(Body):
    ad_id: BodyId
    ground: Literal[tuple(GROUNDS)]  # type: ignore[valid-type]
    explanation: str = Field(min_length=10, max_length=4000)
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)


class StatusIn(Body):
    receipt: str = Field(min_length=3, max_length=40)
    secret: str = Field(min_length=8, max_length=100)


class DecisionIn(Body):
    decision: Literal["uphold", "dismiss"]
    reason: str = Field(min_length=3, max_length=2000)


def _form_id(value: str) -> int:
    """A form's ad id: digits naming a possible row, else a 422."""
    if not (value.isdigit() and len(value) <= 19 and 1 <= int(value) <= MAX_ID):
        raise Invalid("the notification names no advertisement")
    return int(value)


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def make_notification_router(service: NotificationService, templates: Jinja2Templates) -> APIRouter:
    router = APIRouter(tags=["notifications of political ads (EU)"])
    on_page = shown_on(public_page(templates))

    def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> Any:
        return templates.TemplateResponse(
            request, name, {"grounds": GROUNDS, **ctx}, status_code=status, headers=NO_STORE
        )

    @router.get("/ads/{ad_id}/notify", response_class=HTMLResponse, dependencies=[on_page],
                summary="The form to notify an ad (art. 15)")  # fmt: skip
    def notify_form(request: Request, ad_id: RowId) -> Any:
        return page(request, "notify.html", {"ad_id": ad_id, "csrf": csrf_token(request)})

    @router.post("/ttpa/notify", response_class=HTMLResponse, dependencies=[on_page],
                 summary="Notify an ad (the form)")  # fmt: skip
    async def notify_submit(request: Request) -> Any:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        # the service checks the ground, the explanation, the name and the email (422)
        made, secret = await run_in_threadpool(
            service.notify, _form_id(_field(form, "ad_id")), _field(form, "ground"),
            _field(form, "explanation"), _field(form, "name") or None,
            _field(form, "email") or None,
        )  # fmt: skip
        return page(request, "notify_receipt.html", {"n": made.for_notifier(), "secret": secret,
                                                     "csrf": csrf_token(request)})  # fmt: skip

    @router.get(STATUS_PAGE, response_class=HTMLResponse, summary="Read a notification's outcome")
    def status_form(request: Request) -> Any:
        return page(request, "notify_status.html", {"n": None, "csrf": csrf_token(request)})

    @router.post(STATUS_PAGE, response_class=HTMLResponse, dependencies=[on_page],
                 summary="A notification's outcome (the form)")  # fmt: skip
    async def status_page(request: Request) -> Any:
        form = await request.form()
        check_csrf(request, form.get(CSRF_FIELD))
        found = await run_in_threadpool(
            service.status, _field(form, "receipt")[:40], _field(form, "secret")[:100]
        )
        return page(request, "notify_status.html", {"n": found.for_notifier(),
                                                    "csrf": csrf_token(request)})  # fmt: skip

    @router.post("/api/ttpa/notifications", status_code=201, summary="Notify an ad (art. 15)",
                 responses=ok(NotificationReceipt, 201))  # fmt: skip
    def notify(body: NotificationIn) -> JSONResponse:
        made, secret = service.notify(body.ad_id, body.ground, body.explanation, body.name,
                                      body.email)  # fmt: skip
        return answer(
            made.for_notifier()
            | {"secret": secret, "status_url": "/api/ttpa/notifications/status"},
            201,
        )

    @router.post("/api/ttpa/notifications/status", summary="A notification's status and outcome",
                 responses=ok(NotificationStatus))  # fmt: skip
    def status(body: StatusIn) -> JSONResponse:
        return answer(service.status(body.receipt, body.secret).for_notifier())

    @router.get("/api/review/ttpa/notifications", summary="Notifications of ads (staff)",
                responses=ok(StaffNotifications))  # fmt: skip
    def staff_list(who: Reviewer, status: str | None = None) -> JSONResponse:
        return answer({"notifications": [n.for_staff() for n in service.listing(status)]})

    @router.post("/api/review/ttpa/notifications/{notification_id}/decision",
                 summary="Uphold or dismiss a notification, with the reason",
                 responses=ok(StaffNotification))  # fmt: skip
    def staff_decide(notification_id: RowId, body: DecisionIn, who: Reviewer) -> JSONResponse:
        done = service.decide(who.actor, notification_id, body.decision, body.reason)
        return answer(done.for_staff())

    return router


def install_notifications(
    app: FastAPI, service: NotificationService, settings: Settings, windows: Windows,
    templates: Jinja2Templates,
) -> list[LimitedRoutes]:  # fmt: skip
    """Add the routes to ``app``; the rate limits of their public paths, for the app's
    ``RouteRateLimit`` (none when ``notification_rate_limit`` is 0)."""
    app.include_router(make_notification_router(service, templates))
    if settings.notification_rate_limit <= 0:
        return []
    limiter = SlidingWindowLimiter(
        settings.notification_rate_limit, settings.notification_rate_window,
        settings.notification_rate_window, name="notification", store=windows,
    )  # fmt: skip
    return [LimitedRoutes(API_PATHS, limiter), LimitedRoutes(PAGE_PATHS, limiter,
                                                             limit_page(templates))]  # fmt: skip


__all__ = ["install_notifications", "make_notification_router"]
