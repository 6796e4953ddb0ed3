"""Shared fixtures: a migrated database on each backend, the app, staff tokens, the real
data folder. What tests make in the database they make with ``tests/factories.py``.

PostgreSQL tests use the server named by PAIDFOR_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), each test in a schema of its own; SQLite tests
each in a file of its own; both copies of a database migrated once per test process
(``tests/databases.py``). When the server cannot be reached the PostgreSQL half is skipped,
except with CI=true, where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from databases import PostgresSchemas, copy_sqlite, migrated_sqlite, schema_url
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
def pg_schemas() -> Iterator[PostgresSchemas]:
    """The test process's PostgreSQL schemas: a template migrated once, and a copy of it per
    test (``tests/databases.py``)."""
    require_postgres()
    schemas = PostgresSchemas(PG_URL)
    try:
        yield schemas
    finally:
        schemas.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty, migrated database on each backend, made from one migrated once per
    test process (``tests/databases.py``): a copy of the SQLite file (migrating took 0.3 s a
    test, a copy takes 5 ms), or a PostgreSQL schema of its own, the template schema's dump
    replayed (0.3-0.8 s against 0.7-2 s to migrate). Each is the test's alone, dropped after
    it."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield copy_sqlite(template, tmp_path / "paidfor.db")
        return
    require_postgres()
    schemas: PostgresSchemas = request.getfixturevalue("pg_schemas")
    schema = schemas.create()
    try:
        yield pg_schema_url(schema)
    finally:
        schemas.drop(schema)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


TEST_SECRET = "test-secret-key-123"


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    """The settings of the tests' app: its search index and rate-limit counts in
    ``tmp_path``, a fixed secret key."""
    return Settings(
        index_dir=str(tmp_path / "search-index"),
        rate_limit_store=str(tmp_path / "ratelimit.db"),
        secret_key=TEST_SECRET,
    )


@pytest.fixture
def make_api(db_url: str, test_settings: Settings) -> Callable[..., TestClient]:
    """The app on ``db_url`` (``create_app``) with ``test_settings`` changed by the keywords
    given, as a TestClient to start with ``with`` (its start-up and shutdown run there). For a
    test that needs the app as a setting makes it, or started after its data is loaded; most
    take ``api``."""
    from fastapi.testclient import TestClient

    from paidfor.interfaces.http.api.app import create_app

    def make(**changes: Any) -> TestClient:
        return TestClient(create_app(db_url, test_settings.model_copy(update=changes)))

    return make


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    """The app on ``db_url`` (``create_app`` with ``test_settings``), started. A module that
    loads data before the app starts says so in a fixture of its own that takes its data
    first, then ``api``."""
    with make_api() as client:
        yield client


@pytest.fixture
def services(api: TestClient) -> Services:
    """The running app's services (``paidfor.services``): what the factories use to make
    things without HTTP."""
    return cast("Services", api.app.state.services)  # type: ignore[attr-defined]


@pytest.fixture
def staff(engine: Engine) -> dict[str, dict[str, str]]:
    """A bearer-token header for each staff role (reviewer, investigator, partner, admin),
    each token named ``test-ROLE``."""
    from factories import staff_headers

    from paidfor.auth.tokens import TokenService

    return staff_headers(TokenService(engine))
