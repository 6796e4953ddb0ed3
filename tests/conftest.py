"""Shared fixtures: a migrated database on each backend, the real data folder.

PostgreSQL tests use the server named by PAIDFOR_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), each test in a schema of its own; SQLite tests
each in a copy of a file migrated once per test process. When the server
cannot be reached the PostgreSQL half is skipped, except with CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from paidfor.storage.db import make_engine, migrate, normalize_url

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

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
    url = make_url(normalize_url(PG_URL))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not IRA_CLEAN.is_file():
        pytest.fail(f"the shared data folder is missing: {DATA}")
    return DATA


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; each test gets a copy (``db_url``)."""
    path = tmp_path_factory.mktemp("template") / "paidfor.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closed: the write-ahead log is folded in
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty, migrated database on each backend: a copy of the test process's
    migrated SQLite file (migrating took 0.3 s a test, a copy takes 5 ms), or a schema of its
    own on the PostgreSQL server, migrated. (Cloning a migrated template database is faster
    to make, 50 ms against 0.7 s, but dropping it waits for a checkpoint: no faster in all.)"""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "paidfor.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalize_url(PG_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = pg_schema_url(schema)
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def client(db_url: str, ids: dict[str, int], tmp_path: Path) -> Iterator[TestClient]:
    """The app on ``db_url`` after the test module's own ``ids`` fixture loaded its data,
    its search index and rate-limit counts in ``tmp_path``."""
    from fastapi.testclient import TestClient

    from paidfor.interfaces.http.api.app import create_app
    from paidfor.settings import Settings

    settings = Settings(
        index_dir=str(tmp_path / "search-index"), rate_limit_store=str(tmp_path / "ratelimit.db")
    )
    with TestClient(create_app(db_url, settings)) as c:
        yield c
