"""Engines and migrations for SQLite (the default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from paidfor import errors

# alembic (with Mako and Pygments) is imported to migrate, not by the processes that only
# parse or write: an import's parsers import this module.
if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for them."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def operational_errors() -> tuple[type[Exception], ...]:
    """The errors of a database that cannot take a write or went away: SQLAlchemy's and the
    drivers' own (raised by the writers that use the driver directly)."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import OperationalError

    return (OperationalError, sqlite3.OperationalError, psycopg.OperationalError)


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL ("database or disk is full") or PostgreSQL's disk_full (53100) or
    "No space left on device", from a DBAPI error or SQLAlchemy's wrapper of one."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    return (
        getattr(orig, "sqlite_errorname", "") == "SQLITE_FULL"
        or getattr(orig, "sqlstate", None) == "53100"
        or "database or disk is full" in text
        or "no space left on device" in text
    )


def database_trouble(exc: BaseException) -> str:
    """What a database error means, in words: out of space, or failed (with the driver's
    message)."""
    orig = getattr(exc, "orig", None) or exc
    if is_disk_full(exc):
        return f"the database is out of space ({orig})"
    return f"the database failed ({orig})"


class DatabaseUnavailable(errors.Unavailable):
    """The database cannot be opened or brought up to date, is out of space, or went away:
    what the HTTP app answers with a 503 (``interfaces.http.api.guards``), the refusal a
    command ends with (exit 6)."""


@contextmanager
def begun(engine: Engine, conn: Connection | None = None) -> Iterator[Connection]:
    """``conn``, the caller's transaction, when given (what several stores write together,
    all or nothing: an account and its token); else a new transaction of ``engine``,
    committed when the block ends."""
    if conn is not None:
        yield conn
        return
    with engine.begin() as new:
        yield new


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    kwargs.setdefault("json_serializer", _dumps)
    kwargs.setdefault("json_deserializer", orjson.loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # 16 KiB pages, set before anything creates the file (a no-op afterwards): an ad
            # row is a few KiB of JSON and text, which on 4 KiB pages spilled into overflow
            # pages; the database came out 30% smaller and imports about 20% faster.
            cur.execute("PRAGMA page_size=16384")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA cache_size=-65536")
            # Checkpoint the WAL every ~40 MB (2,500 pages of 16 KiB) instead of every 4 MB: a
            # bulk import wrote each page about twice as often with the default.
            cur.execute("PRAGMA wal_autocheckpoint=2500")
            cur.close()

        return engine
    # No server-side prepared statements: psycopg prepares a query after five runs, and the
    # plan PostgreSQL then caches was made when the table was small. During a large import
    # that cached plan kept scanning all of ``ads`` for each batch's key lookup (22 s a batch
    # at a million rows) where a fresh plan probes the unique index.
    connect_args = {"prepare_threshold": None, **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


_REVISION = re.compile(r"^revision(?::[^=]*)?=\s*[\"'](\w+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?::[^=]*)?=(.*)$", re.MULTILINE)


@cache
def head_revision() -> str | None:
    """The newest migration's revision, read from the migration files (their ``revision``
    and ``down_revision`` lines) without importing alembic; None when they do not say it
    plainly (then ``migrate`` asks alembic)."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(text), _DOWN_REVISION.findall(text)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        replaced.update(re.findall(r"[\"'](\w+)[\"']", down[0]))
    heads = revisions - replaced
    return heads.pop() if len(heads) == 1 and replaced <= revisions else None


def at_head(engine: Engine) -> bool:
    """Whether the database records the newest migration as its only version (a command on a
    database it has opened before: nothing to migrate, and alembic, Mako and Pygments, about
    0.3 s to import and as much to read the migrations, are not needed)."""
    from sqlalchemy.exc import DBAPIError

    head = head_revision()
    if head is None:
        return False
    with engine.connect() as conn:  # a database that cannot be reached raises here, as before
        try:
            versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except DBAPIError:  # no such table yet: alembic makes it
            return False
    return [tuple(v) for v in versions] == [(head,)]


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (tests build their databases this way too)."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def open_database(url: str) -> Engine:
    """An engine on ``url`` with the schema brought up to date (and any index that an import
    killed while it had set them aside built again); DatabaseUnavailable when it cannot be
    reached or migrated."""
    from paidfor.storage.bulk import ensure_indexes

    engine = make_engine(url)
    try:
        migrate(engine)
        ensure_indexes(engine)
    except operational_errors() as exc:
        engine.dispose()
        where = make_url(url).render_as_string(hide_password=True)
        orig = getattr(exc, "orig", None) or exc
        raise DatabaseUnavailable(f"cannot open the database {where}: {orig}") from exc
    return engine
