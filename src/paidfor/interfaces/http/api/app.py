"""The FastAPI application: the public Ad Library pages and their JSON twins
(``paidfor.interfaces.http.web.library_routes``), and the Graph-compatible
``GET /v{N}/ads_archive``.

Around every route (docs/reliability.md): a Host the server does not answer to is refused
(400, ``interfaces.http.hosts``), a request-body size limit (413), rate limits on the public
search and downloads (429), and a 503 when the database cannot answer. A background
thread reviews the submissions a killed server left without a decision."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

import paidfor
from paidfor.interfaces.http.api.ads_archive import make_router
from paidfor.interfaces.http.api.cases import install_case_api
from paidfor.interfaces.http.api.contract import install_contract
from paidfor.interfaces.http.api.disclosures import install_disclosure_api
from paidfor.interfaces.http.api.exchange import install_exchange_api
from paidfor.interfaces.http.api.guards import MIB, BodySizeLimit, database_unavailable
from paidfor.interfaces.http.api.images import install_image_api
from paidfor.interfaces.http.api.intake import invalid_body, make_intake_router
from paidfor.interfaces.http.api.ratelimit import (
    LimitedRoutes,
    RouteRateLimit,
    SlidingWindowLimiter,
)
from paidfor.interfaces.http.api.ratelimit_store import open_windows
from paidfor.interfaces.http.api.relationships import make_relationships_router
from paidfor.interfaces.http.api.responses import StatsAnswer, ok
from paidfor.interfaces.http.auth import install_auth
from paidfor.interfaces.http.headers import SecurityHeadersMiddleware, install_docs
from paidfor.interfaces.http.hosts import TrustedHosts
from paidfor.interfaces.http.refusals import install_refusals
from paidfor.interfaces.http.web.advertiser_pages import install_advertiser_pages
from paidfor.interfaces.http.web.case_pages import install_case_pages
from paidfor.interfaces.http.web.hub import make_hub_router
from paidfor.interfaces.http.web.library_routes import make_library_router, make_templates
from paidfor.interfaces.http.web.notice_routes import make_notice_router
from paidfor.interfaces.http.web.notification_pages import install_notification_pages
from paidfor.interfaces.http.web.notification_routes import install_notifications
from paidfor.interfaces.http.web.refusal_pages import limit_page
from paidfor.interfaces.http.web.review_pages import install_review_pages
from paidfor.interfaces.http.web.workspace_pages import install_workspace_pages
from paidfor.services import IMAGE_MAX_BYTES, Services, operational_errors
from paidfor.settings import Settings, allowed_hosts_of, get_settings, public_url_of

log = logging.getLogger("paidfor.interfaces.http.api")

# Public routes with their own rate limit (``RouteRateLimit``), beside ads_archive's: the
# library search in each of its formats shares one budget (the page, its JSON and the JSON's
# old address; the feed of transparency notices for the European repository with them);
# the downloads, whose time is their whole stream, have their own.
SEARCH_PATHS = frozenset({"/api/search", "/api/ads", "/api/ttpa/repository"})
SEARCH_PAGES = frozenset({"/search"})
DOWNLOAD_PATHS = frozenset({"/search.csv", "/search.parquet", "/funders.csv", "/funders.parquet"})


def create_app(database_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # no key given (an embedded app, a test): a random one for this process; `paidfor serve`
    # passes the one kept beside the database (settings.with_secret_key)
    secret = settings.secret_key or secrets.token_urlsafe(32)
    settings = settings.model_copy(update={"secret_key": secret})
    services = Services.open(settings, database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # background loads: no request waits for them (a server process then freezes them)
        services.start(freeze_when_loaded=getattr(app.state, "freeze_when_loaded", False))
        yield
        services.close()
        windows.close()

    app = FastAPI(title="paidfor", version=paidfor.__version__, lifespan=lifespan, docs_url=None)
    app.state.services = services
    install_docs(app)  # Swagger UI without an inline script
    install_contract(app)  # before any route: NUL refused, errors documented
    # the calls the rate limits count, shared by the server's workers (api.ratelimit_store)
    windows = open_windows(services.database_url, settings.rate_limit_store)
    limiter = SlidingWindowLimiter(
        settings.archive_rate_limit, settings.archive_rate_window, settings.archive_time_budget,
        name="archive", store=windows,
    )  # fmt: skip
    public_url = public_url_of(settings)  # every absolute URL the app writes starts with it
    app.include_router(make_router(services.archive, limiter, public_url))
    # The library's search next: a request walks the routers in order until one matches,
    # about 2 µs a route, and the search is what the public asks most (no route of another
    # router matches a path of the library's: tests/api/test_route_order.py).
    transparency = services.transparency
    app.include_router(
        make_library_router(services.library, services.exports, labels=transparency.labels)
    )
    for kind in operational_errors():
        app.add_exception_handler(kind, database_unavailable)
    install_refusals(app)  # the one handler of the routes' refusals

    install_auth(app, services.tokens, settings, https_only=settings.https_only)
    review, integrity = services.review, services.integrity
    app.include_router(make_intake_router(review, services.accounts, integrity, secret))
    app.include_router(make_relationships_router(integrity))
    app.add_exception_handler(RequestValidationError, invalid_body)
    install_review_pages(app, review, integrity, make_templates())
    install_notification_pages(app, services.notifications, make_templates())  # art. 15
    install_advertiser_pages(app, review, services.accounts, make_templates(), secret)
    install_case_api(app, services.cases, services.publisher)
    install_exchange_api(app, services.exchange)
    install_image_api(app, services.accounts)
    install_disclosure_api(app, services.disclosure, settings, services.database_url)
    install_case_pages(app, services.cases, services.publisher, make_templates())
    install_workspace_pages(
        app, make_templates(), runner=services.detection, cases=services.cases,
        integrity=integrity, exchange=services.exchange, disclosures=services.disclosure,
        audit_log=services.audit,
    )  # fmt: skip

    app.include_router(make_notice_router(transparency, make_templates()))
    app.include_router(make_hub_router(services.hub, make_templates(), labels=transparency.labels))

    @app.get("/api/stats", summary="Totals for the whole library", responses=ok(StatsAnswer))
    def api_stats() -> dict[str, Any]:
        return services.archive.stats().as_json()

    worker = uuid.uuid4().hex[:12]  # this process's (each of ``serve --workers N`` has one)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Up; whether the review has loaded what it knows (``loading`` just after a start:
        the political-ad model, and what screening knows, without which submissions are
        screened on their own signals and say so); and which worker process answered (a
        random name), since each loads on its own."""
        loaded = services.ready
        return {"status": "ok", "screening": "ready" if loaded else "loading", "worker": worker}

    rules: list[LimitedRoutes] = []
    rules += install_notifications(
        app, services.notifications, settings, windows, make_templates()
    )  # art. 15
    if settings.search_rate_limit > 0:
        search = SlidingWindowLimiter(
            settings.search_rate_limit, settings.search_rate_window,
            settings.search_time_budget, name="search", store=windows,
        )  # fmt: skip
        rules.append(LimitedRoutes(SEARCH_PATHS, search))
        rules.append(LimitedRoutes(SEARCH_PAGES, search, limit_page(make_templates())))
    if settings.download_rate_limit > 0:
        downloads = SlidingWindowLimiter(
            settings.download_rate_limit, settings.download_rate_window,
            settings.download_time_budget, name="download", store=windows,
        )  # fmt: skip
        rules.append(LimitedRoutes(DOWNLOAD_PATHS, downloads))
    if rules:
        app.add_middleware(RouteRateLimit, rules=rules)
    # Added last, so it runs first: nothing reads a body it refuses.
    app.add_middleware(
        BodySizeLimit,
        default=settings.max_body_bytes,
        per_path={"/api/me/images": max(settings.max_body_bytes, IMAGE_MAX_BYTES + MIB)},
    )
    # Before anything reads the request: a Host the server does not answer to is a 400.
    app.add_middleware(TrustedHosts, allowed=allowed_hosts_of(settings), public_url=public_url)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: every answer, refusals too
    return app
