"""Shared fixtures: a migrated database on each backend, the app, staff tokens, the real
data folder. What tests make in the database they make with ``tests/factories.py``.

PostgreSQL tests use the server named by PAIDFOR_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), each test in a schema of its own; SQLite tests
each in a file of its own; both copies of a database migrated once per test process
(``tests/databases.py``). When the server cannot be reached the PostgreSQL half is skipped,
except with CI=true, where it fails.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from databases import (
    PostgresSchemas,
    Seed,
    copy_sqlite,
    migrated_sqlite,
    schema_url,
    seeded_sqlite,
)
from sqlalchemy import Engine, create_engine, text

from paidfor.settings import Settings
from paidfor.storage.db import make_engine, normalize_url

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from paidfor.services import Services

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PAIDFOR_DATA_DIR", ROOT.parent / "shared" / "data"))
PG_URL = os.environ.get("PAIDFOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IRA_CLEAN = DATA / "hpsci_ira_ads" / "ira_ads_clean.csv"
IRA_RAW = DATA / "hpsci_ira_ads" / "ira_ads_raw_labels.csv"

# FastAPI's TestClient sends ``Host: testserver``: the apps of this test run answer that name
# too, besides their public URL's host and the loopback names (the server's default, which
# tests/api/test_hosts.py checks without this).
os.environ.setdefault("PAIDFOR_ALLOWED_HOSTS", "testserver")

_pg_state: dict[str, str | None] = {}


def _pg_error() -> str | None:
    if "error" not in _pg_state:
        try:
            eng = create_engine(normalize_url(PG_URL), connect_args={"connect_timeout": 5})
            with eng.connect() as conn:
                conn.execute(text("SELECT 1"))
            eng.dispose()
            _pg_state["error"] = None
        except Exception as exc:  # any failure to reach the server
            _pg_state["error"] = f"{type(exc).__name__}: {exc}"
    return _pg_state["error"]


def require_postgres() -> None:
    error = _pg_error()
    if error is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL at {PG_URL} is unreachable and CI=true: {error}")
    pytest.skip(f"PostgreSQL unreachable: {error}")


def ira_release(engine: Engine, folder: Path) -> Any:
    """A seed (``databases.seeded``): the IRA release as published (3,517 ads), imported;
    the import's report."""
    from paidfor.ingest.pipeline import run_import
    from paidfor.ingest.registry import SOURCES

    return run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN])


def pg_schema_url(schema: str) -> str:
    return schema_url(PG_URL, schema)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not IRA_CLEAN.is_file():
        pytest.fail(f"the shared data folder is missing: {DATA}")
    return DATA


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; each test gets a copy (``db_url``)."""
    return migrated_sqlite(tmp_path_factory.mktemp("template") / "paidfor.db")


@pytest.fixture(scope="session")
def sqlite_seeded(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Seed], tuple[Path, Any]]:
    """A seed's SQLite file (the migrated one with the seed's data, made once per test
    process) and what the seed returned."""
    made: dict[Seed, tuple[Path, Any]] = {}

    def seeded(seed: Seed) -> tuple[Path, Any]:
        if seed not in made:
            folder = tmp_path_factory.mktemp("seed")
            path = folder / "paidfor.db"
            made[seed] = (path, seeded_sqlite(sqlite_template, path, seed, folder))
        return made[seed]

    return seeded


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[PostgresSchemas]:
    """The test process's PostgreSQL schemas: templates made once, and a copy of one per
    test (``tests/databases.py``)."""
    require_postgres()
    schemas = PostgresSchemas(PG_URL)
    try:
        yield schemas
    finally:
        schemas.close()


SEED_DATA = pytest.StashKey[Any]()


def seed_of(request: pytest.FixtureRequest) -> Seed | None:
    """The seed the test's ``seed`` mark names (``databases.seeded(load)``), the closest one
    (a module's ``pytestmark = seeded(load)``, or the test's own: ``@seeded(None)`` for an
    empty database)."""
    marker = request.node.get_closest_marker("seed")
    return cast("Seed | None", marker.args[0]) if marker is not None else None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a migrated database of the test's own on each backend: empty, or with the
    data of the test's seed (``databases.seeded(load)``; ``seed_data`` is what ``load``
    returned). It is a copy of one made once per test process (``tests/databases.py``): of
    the SQLite file (migrating took 0.3-2 s a test, a copy takes 2-15 ms), or of a PostgreSQL
    schema, whose dump is replayed (0.3-0.8 s against 0.7-2 s to migrate)."""
    seed = seed_of(request)
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        if seed is not None:
            template, request.node.stash[SEED_DATA] = request.getfixturevalue("sqlite_seeded")(seed)
        yield copy_sqlite(template, tmp_path / "paidfor.db")
        return
    require_postgres()
    schemas: PostgresSchemas = request.getfixturevalue("pg_schemas")
    workdir = tmp_path / "seed"  # where a seed writes its files, the first time
    workdir.mkdir()
    schema = schemas.create(seed, workdir)
    if seed is not None:
        request.node.stash[SEED_DATA] = schemas.data(seed)
    try:
        yield pg_schema_url(schema)
    finally:
        schemas.drop(schema)


@pytest.fixture
def seed_data(request: pytest.FixtureRequest, db_url: str) -> Any:
    """What the seed of the test's database (``databases.seeded(load)``) returned when it
    loaded the data."""
    assert seed_of(request) is not None, "the test's database has no seed"
    return copy.deepcopy(request.node.stash[SEED_DATA])  # the test's own, as its database


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


TEST_SECRET = "test-secret-key-123"


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """The settings of the tests' app: its search index and rate-limit counts in
    ``tmp_path``, a fixed secret key."""
    return Settings(
        index_dir=str(tmp_path / "search-index"),
        rate_limit_store=str(tmp_path / "ratelimit.db"),
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def make_api(db_url: str, api_settings: Settings) -> Callable[..., TestClient]:
    """Make the app on ``db_url`` (``create_app``) with ``api_settings`` changed by the
    keywords given: a TestClient to start with ``with`` (its start-up and shutdown run
    there). For a test that needs a setting of its own, or the app started after something it
    does first (a classifier patched, data imported); most take ``api``."""
    from fastapi.testclient import TestClient

    from paidfor.interfaces.http.api.app import create_app

    def make(**changes: Any) -> TestClient:
        return TestClient(create_app(db_url, api_settings.model_copy(update=changes)))

    return make


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    """The app on ``db_url`` (``create_app`` with ``api_settings``), started. Data the app
    should find at start-up comes first: a seed of the module's (``databases.seeded``), or a
    fixture of its own that takes its data, then ``api``."""
    with make_api() as client:
        yield client


@pytest.fixture
def services(api: TestClient) -> Services:
    """The running app's services (``paidfor.services``): what ``factories.open_account`` and
    ``factories.submit_ad`` use to make things without HTTP."""
    return cast("Services", api.app.state.services)  # type: ignore[attr-defined]


@pytest.fixture
def staff(engine: Engine) -> dict[str, dict[str, str]]:
    """A bearer-token header for each staff role (reviewer, investigator, partner, admin),
    each token named ``test-ROLE``."""
    from factories import staff_headers

    from paidfor.auth.tokens import TokenService

    return staff_headers(TokenService(engine))
