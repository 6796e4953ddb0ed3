"""The composition root: every service paidfor runs, built once from ``Settings``.

The interfaces (``interfaces.http``, ``interfaces.cli``) receive these services and never an
engine or a repository (DESIGN.md, "Layers"; ``tests/house/test_layers.py`` holds it). Only
this module opens the database and wires the stores into the services.

``Services.open`` builds them for one database; ``start`` begins what a server loads in the
background (the search index's catch-up, what screening knows, the political-ad model, the
review of submissions a killed server left without a decision); ``close`` stops that work,
all of it within one deadline, and closes the database's connections.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from paidfor.auth.tokens import TokenService
from paidfor.background import time_left
from paidfor.disclosure.service import DisclosureService
from paidfor.exchange.consume import ExchangeIndicators
from paidfor.exchange.fetch import Sources
from paidfor.exchange.publish import Publisher
from paidfor.exchange.service import ExchangeService
from paidfor.ingest.service import ImportService
from paidfor.integrity.cases import CaseService
from paidfor.integrity.detection import DetectionRunner
from paidfor.integrity.screen import RiskScreen
from paidfor.integrity.service import IntegrityService
from paidfor.library.archive import ArchiveService
from paidfor.library.archive_store import ArchiveRepository
from paidfor.library.exports import ExportService
from paidfor.library.hub import HubService
from paidfor.library.hub_store import HubRepository
from paidfor.library.index_store import AdIndex, IndexBusy, open_index
from paidfor.library.search import LibraryService
from paidfor.library.store import LibraryRepository
from paidfor.review.accounts import AccountService
from paidfor.review.election_store import ElectionRepository
from paidfor.review.elections import ElectionService
from paidfor.review.images import MAX_BYTES as IMAGE_MAX_BYTES
from paidfor.review.intake_store import IntakeRepository
from paidfor.review.notification_store import NotificationRepository
from paidfor.review.notifications import NotificationService
from paidfor.review.service import ReviewService, political_classifier
from paidfor.review.transparency import TransparencyService
from paidfor.settings import Settings, get_settings
from paidfor.storage.audit_query import AuditLog
from paidfor.storage.db import (
    DatabaseUnavailable,
    database_trouble,
    is_disk_full,
    make_engine,
    open_database,
)
from paidfor.storage.db import operational_errors as operational_errors
from paidfor.storage.mapping import stored_now
from paidfor.storage.repo import AdRepository

log = logging.getLogger("paidfor.services")

# Seconds a stopping server waits, in all, for its background work (the resume loop, the
# screening and indicator builds, a detection run, a search-index catch-up) before it closes
# the database.
SHUTDOWN_WAIT = 30.0
# Seconds the political-ad model's load waits for the screening loads, whose time decides
# whether later reloads run inline, and which it would slow down.
CLASSIFIER_WAITS = 30.0
# The libraries the services import where they use them (so that a command does not pay for
# them at start-up) that a server's requests and background loads need: a server imports them
# when it starts, before its loads, as every module did at import before (issue 22). Else the
# first indicator or screening load pays for them, takes over a second, and its reloads go
# to the background while the old set answers; and their objects, made after ``gc.freeze``,
# are walked by every full collection.
SERVER_LIBRARIES = (
    "numpy",
    "igraph",
    "regex",
    "datasketch",
    "threatexchange.common",
    "threatexchange.signal_type.raw_text",
    "threatexchange.signal_type.pdq.signal",
    "threatexchange.signal_type.pdq.pdq_index",
    "threatexchange.signal_type.pdq.pdq_hasher",
    "threatexchange.signal_type.pdq.pdq_utils",
    "PIL.Image",
    "pyarrow.parquet",
    "httpx",
    "paidfor.integrity.networks",
)

# What the interfaces need of the layers below besides the services themselves: the types
# they are handed, and the database's failures they answer (a 503, exit 6).
__all__ = [
    "IMAGE_MAX_BYTES",
    "SHUTDOWN_WAIT",
    "AuditLog",
    "DatabaseUnavailable",
    "IndexBusy",
    "Services",
    "database_trouble",
    "finish_interrupted_loop",
    "is_disk_full",
    "operational_errors",
]


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


@dataclass(eq=False)
class Services:
    settings: Settings
    database_url: str
    engine: Engine
    index: AdIndex | None
    tokens: TokenService
    imports: ImportService
    archive: ArchiveService
    library: LibraryService
    exports: ExportService
    hub: HubService
    review: ReviewService
    accounts: AccountService
    elections: ElectionService
    transparency: TransparencyService
    notifications: NotificationService
    screen: RiskScreen
    indicators: ExchangeIndicators
    cases: CaseService
    integrity: IntegrityService
    detection: DetectionRunner
    exchange: ExchangeService
    sources: Sources
    publisher: Publisher
    disclosure: DisclosureService
    audit: AuditLog
    classifier_loaded: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _resumer: threading.Thread | None = None
    _freeze: bool = False

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        database_url: str | None = None,
        *,
        migrate: bool = False,
        search_index: bool = True,
    ) -> Services:
        """Every service for the database of ``database_url`` (default: the settings').
        ``migrate``: bring the schema up to date first (a command; ``DatabaseUnavailable``
        when the database cannot be reached). ``search_index`` False: searches read the
        database, and no index is opened (a command that does not search)."""
        settings = settings or get_settings()
        url = database_url or settings.database_url
        engine = open_database(url) if migrate else make_engine(url)
        index = open_index(engine, url, settings) if search_index else None
        indicators = ExchangeIndicators(engine)
        screen = RiskScreen(engine, indicators)
        intake = IntakeRepository(engine)
        elections = ElectionRepository(engine)
        review = ReviewService(
            intake, elections, AdRepository(engine), classifier=political_classifier,
            screens=[screen],
        )  # fmt: skip
        tokens = TokenService(engine)
        library = LibraryRepository(engine, index)
        return cls(
            settings=settings,
            database_url=url,
            engine=engine,
            index=index,
            tokens=tokens,
            imports=ImportService(engine),
            archive=ArchiveService(ArchiveRepository(engine, index)),
            library=LibraryService(library),
            exports=ExportService(library),
            hub=HubService(HubRepository(engine)),
            review=review,
            accounts=AccountService(intake, tokens, AdRepository(engine)),
            elections=ElectionService(elections),
            transparency=TransparencyService(AdRepository(engine), review.declarations, elections),
            notifications=NotificationService(
                NotificationRepository(engine), AdRepository(engine), elections
            ),
            screen=screen,
            indicators=indicators,
            cases=CaseService(engine),
            integrity=IntegrityService(engine),
            detection=DetectionRunner(engine),
            exchange=ExchangeService(engine),
            sources=Sources(engine),
            publisher=Publisher(engine),
            disclosure=DisclosureService(engine, elections=elections),
            audit=AuditLog(engine),
        )

    # -- a server's background work -------------------------------------------------------

    def start(self, *, freeze_when_loaded: bool = False) -> None:
        """Begin what a server loads in the background: no request waits for it.

        ``freeze_when_loaded`` (a server process: ``api.serving.worker_app``): once the loads
        are done, collect and freeze what they made (``gc.freeze``). The screening
        knowledge and the scikit-learn and SciPy modules of the political-ad model live as
        long as the process; left in the collected generations they were walked by every
        full collection, stalling a request every few hundred by 30-50 ms (issue 22)."""
        self._freeze = freeze_when_loaded
        for name in SERVER_LIBRARIES:
            importlib.import_module(name)
        if self.index is not None:
            self.index.catch_up_in_background()  # searches use the database until it is done
        self.screen.warm()
        self.indicators.warm()
        threading.Thread(
            target=self._load_classifier, name="paidfor-classifier", daemon=True
        ).start()
        self._resumer = threading.Thread(
            target=finish_interrupted_loop,
            args=(self.review, self._stop, self.settings.resume_interval),
            name="paidfor-resume",
            daemon=True,
        )
        self._resumer.start()

    def _load_classifier(self) -> None:
        """The political-ad model (seconds to import and load), at start-up rather than in a
        worker's first submission; after the screening loads."""
        deadline = time.monotonic() + CLASSIFIER_WAITS
        for loading in (self.screen, self.indicators):
            loading.wait_ready(time_left(deadline))
        if self.screen.closed:  # the server stopped meanwhile: nothing will use the model
            return
        try:
            political_classifier()
            loaded = True
        except Exception:
            loaded = False
            log.exception("loading the political-ad classifier failed; submissions retry it")
        if self._freeze:
            # Before ``ready`` says so: a server that says it is ready (``/healthz``, which
            # the benchmarks wait for) no longer walks the loads' objects in full collections.
            gc.collect()
            gc.freeze()
            log.info(
                "background loads done: %d objects kept out of collections", gc.get_freeze_count()
            )
        if loaded:
            self.classifier_loaded.set()

    @property
    def ready(self) -> bool:
        """Whether review has loaded what it knows (the political-ad model and what
        screening knows)."""
        return self.screen.ready and self.indicators.ready and self.classifier_loaded.is_set()

    def close(self, timeout: float | None = None) -> None:
        """Stop the background work (each part within what is left of ``timeout``, default
        ``SHUTDOWN_WAIT``: the builds read the database, so they end before its pool closes)
        and close the pool."""
        self._stop.set()
        deadline = time.monotonic() + (SHUTDOWN_WAIT if timeout is None else timeout)
        if self._resumer is not None:
            self._resumer.join(timeout=time_left(deadline))
        self.screen.close(timeout=time_left(deadline))
        self.indicators.close(timeout=time_left(deadline))
        self.detection.close(timeout=time_left(deadline))
        if self.index is not None:
            self.index.close(timeout=time_left(deadline))
        self.engine.dispose()
