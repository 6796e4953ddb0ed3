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
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

import paidfor
from paidfor.background import time_left
from paidfor.exchange.consume import ExchangeIndicators
from paidfor.integrity.images import MAX_BYTES as IMAGE_MAX_BYTES
from paidfor.integrity.relationship_store import RelationshipRepository
from paidfor.integrity.screen import RiskScreen
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
from paidfor.interfaces.http.auth import install_auth
from paidfor.interfaces.http.headers import SecurityHeadersMiddleware, install_docs
from paidfor.interfaces.http.hosts import TrustedHosts
from paidfor.interfaces.http.refusals import install_refusals
from paidfor.interfaces.http.web.advertiser_pages import install_advertiser_pages
from paidfor.interfaces.http.web.case_pages import install_case_pages
from paidfor.interfaces.http.web.hub import make_hub_router
from paidfor.interfaces.http.web.library_routes import make_library_router, make_templates
from paidfor.interfaces.http.web.notice_routes import make_notice_router
from paidfor.interfaces.http.web.notification_routes import install_notifications
from paidfor.interfaces.http.web.refusal_pages import limit_page
from paidfor.interfaces.http.web.review_pages import install_review_pages
from paidfor.interfaces.http.web.workspace_pages import install_workspace_pages
from paidfor.library.archive import ArchiveService
from paidfor.library.archive_store import ArchiveRepository
from paidfor.library.hub import HubService
from paidfor.library.hub_store import HubRepository
from paidfor.library.index_store import open_index
from paidfor.library.search import LibraryService
from paidfor.library.store import LibraryRepository
from paidfor.review.election_store import ElectionRepository
from paidfor.review.intake_store import IntakeRepository
from paidfor.review.service import ReviewService, political_classifier
from paidfor.review.transparency import TransparencyService
from paidfor.settings import Settings, allowed_hosts_of, get_settings, public_url_of
from paidfor.storage.db import make_engine, operational_errors
from paidfor.storage.mapping import stored_now
from paidfor.storage.repo import AdRepository

log = logging.getLogger("paidfor.interfaces.http.api")

# Seconds a stopping server waits, in all, for its background work (the resume loop, the
# screening and indicator builds, a search-index catch-up) before it closes the database.
SHUTDOWN_WAIT = 30.0

# Public routes with their own rate limit (``RouteRateLimit``), beside ads_archive's: the
# library search in each of its formats shares one budget (the page, its JSON and the JSON's
# old address; the feed of transparency notices for the European repository with them);
# the downloads, whose time is their whole stream, have their own.
SEARCH_PATHS = frozenset({"/api/search", "/api/ads", "/api/ttpa/repository"})
SEARCH_PAGES = frozenset({"/search"})
DOWNLOAD_PATHS = frozenset({"/search.csv", "/search.parquet", "/funders.csv", "/funders.parquet"})


def finish_interrupted_loop(
    review: ReviewService, stop: threading.Event, every: float = 60.0
) -> None:
    """Review the submissions left without a decision: at start-up those stored before it
    (a killed server's), then every ``every`` seconds those older than that (a request that
    lost its database between storing the ad and its review)."""
    cutoff = stored_now()
    while True:
        try:
            done = review.finish_interrupted(cutoff)
            if done:
                log.warning("reviewed %d interrupted submissions: %s", len(done), done)
        except Exception as exc:  # the database may be down: the next round tries again
            log.warning("could not look for interrupted submissions: %s", exc)
        if stop.wait(every):
            return
        cutoff = stored_now() - timedelta(seconds=every)


def create_app(database_url: str | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # no key given (an embedded app, a test): a random one for this process; `paidfor serve`
    # passes the one kept beside the database (settings.with_secret_key)
    secret = settings.secret_key or secrets.token_urlsafe(32)
    settings = settings.model_copy(update={"secret_key": secret})
    url = database_url or settings.database_url
    engine = make_engine(url)
    index = open_index(engine, url, settings)
    repo = ArchiveRepository(engine, index)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if index is not None:
            index.catch_up_in_background()  # searches use the database until it is done
        # what screening knows, loaded in the background: no submission waits for a build
        screen.warm()
        indicators.warm()
        threading.Thread(target=load_classifier, name="paidfor-classifier", daemon=True).start()
        stop = threading.Event()
        resumer = threading.Thread(
            target=finish_interrupted_loop,
            args=(review, stop, settings.resume_interval),
            name="paidfor-resume",
            daemon=True,
        )  # fmt: skip
        resumer.start()
        yield
        stop.set()
        # the knowledge builds read the database: they end before its pool closes, all of
        # them within one SHUTDOWN_WAIT, not one each
        deadline = time.monotonic() + SHUTDOWN_WAIT
        resumer.join(timeout=time_left(deadline))
        screen.close(timeout=time_left(deadline))
        indicators.close(timeout=time_left(deadline))
        app.state.detection.close(timeout=time_left(deadline))
        if index is not None:
            index.close(timeout=time_left(deadline))
        engine.dispose()  # close the pool's connections when the server (or a test) stops
        windows.close()

    app = FastAPI(title="paidfor", version=paidfor.__version__, lifespan=lifespan, docs_url=None)
    install_docs(app)  # Swagger UI without an inline script
    install_contract(app)  # before any route: NUL refused, errors documented
    # the calls the rate limits count, shared by the server's workers (api.ratelimit_store)
    windows = open_windows(url, settings.rate_limit_store)
    limiter = SlidingWindowLimiter(
        settings.archive_rate_limit, settings.archive_rate_window, settings.archive_time_budget,
        name="archive", store=windows,
    )  # fmt: skip
    public_url = public_url_of(settings)  # every absolute URL the app writes starts with it
    app.include_router(make_router(ArchiveService(repo), limiter, public_url))
    for kind in operational_errors():
        app.add_exception_handler(kind, database_unavailable)
    install_refusals(app)  # the one handler of the routes' refusals

    install_auth(app, engine, settings, https_only=settings.https_only)
    indicators = ExchangeIndicators(engine)
    screen = RiskScreen(engine, indicators)
    classifier = political_classifier
    classifier_loaded = threading.Event()

    def load_classifier() -> None:
        """The political-ad model (seconds to import and load), at start-up rather than in
        each worker's first submission; after the screening loads (at most 30 s), whose
        time decides whether later reloads run inline, and which it would slow down."""
        deadline = time.monotonic() + 30
        for loading in (screen, indicators):
            loading.wait_ready(time_left(deadline))
        if screen.closed:  # the server stopped meanwhile: nothing will use the model
            return
        try:
            classifier()
            classifier_loaded.set()
        except Exception:
            log.exception("loading the political-ad classifier failed; submissions retry it")

    review = ReviewService(
        IntakeRepository(engine),
        ElectionRepository(engine),
        AdRepository(engine),
        classifier=classifier,
        screens=[screen],
    )
    app.include_router(make_intake_router(review, engine, secret))
    app.include_router(make_relationships_router(RelationshipRepository(engine)))
    app.add_exception_handler(RequestValidationError, invalid_body)
    install_review_pages(app, review, engine, make_templates())
    install_advertiser_pages(app, review, make_templates(), secret)
    install_case_api(app, engine)
    install_exchange_api(app, engine)
    install_image_api(app, engine)
    install_disclosure_api(app, engine, settings, url)
    install_case_pages(app, engine, make_templates())
    install_workspace_pages(app, engine, make_templates())

    library = LibraryRepository(engine, index)
    transparency = TransparencyService(
        AdRepository(engine), review.declarations, ElectionRepository(engine)
    )
    app.include_router(make_notice_router(transparency, make_templates()))
    app.include_router(make_library_router(LibraryService(library), labels=transparency.labels))
    app.include_router(make_hub_router(HubService(HubRepository(engine)), make_templates()))

    @app.get("/api/stats", summary="Totals for the whole library")
    def api_stats() -> dict[str, Any]:
        return repo.stats().as_json()

    worker = uuid.uuid4().hex[:12]  # this process's (each of ``serve --workers N`` has one)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Up; whether the review has loaded what it knows (``loading`` just after a start:
        the political-ad model, and what screening knows, without which submissions are
        screened on their own signals and say so); and which worker process answered (a
        random name), since each loads on its own."""
        loaded = screen.ready and indicators.ready and classifier_loaded.is_set()
        return {"status": "ok", "screening": "ready" if loaded else "loading", "worker": worker}

    rules: list[LimitedRoutes] = []
    rules += install_notifications(app, engine, settings, windows, make_templates())  # art. 15
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
