"""Empty, migrated databases for the tests, made fast: the migrations run once per test
process, and each test gets a copy of what they made.

- SQLite: the file migrated once is copied (``shutil.copyfile``, a few milliseconds).
- PostgreSQL: a template schema is migrated once; ``pg_dump --schema`` writes it out (tables,
  indexes, the generated ``tsvector`` columns, triggers, sequences, and the rows the migrations
  insert: ``alembic_version``, the search and exchange counters), and each test's schema is
  that script replayed under its own name, in one round trip. Without a ``pg_dump`` that can
  read the server (none installed, an older major version), each test's schema is migrated
  as before.

Each copy gets an ``epoch`` of its own (``search_state``, migration 0003: the name of the
database a search index was built for), as a database migrated afresh would.

Measured on the two shared cores (docs in the report of the test-house branch): migrating a
PostgreSQL schema 0.7-2.0 s, replaying its dump 0.3-0.8 s, creating a database from a template
with ``STRATEGY FILE_COPY`` 2-3 s; dropping a schema 0.1-0.3 s.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from paidfor.storage.db import make_engine, migrate, normalize_url


def fresh_epoch() -> str:
    return uuid.uuid4().hex


# -- SQLite ---------------------------------------------------------------------------------


def migrated_sqlite(path: Path) -> Path:
    """A SQLite file at ``path`` with every migration applied, its write-ahead log folded in."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closed: the write-ahead log is folded in
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """A copy of the migrated ``template`` at ``path``, with an epoch of its own: its URL."""
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE search_state SET epoch = ?", (fresh_epoch(),))
        conn.commit()
    finally:
        conn.close()
    return f"sqlite:///{path}"


# -- PostgreSQL -----------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """``url`` as libpq (psql, pg_dump, psycopg) spells it: no SQLAlchemy driver name."""
    return (
        make_url(normalize_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def schema_url(server_url: str, schema: str) -> str:
    """A URL of ``server_url``'s database whose connections work in ``schema``."""
    url = make_url(normalize_url(server_url))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


class PostgresSchemas:
    """Schemas of one database on the server, each empty and migrated, for one test process.

    ``template()`` migrates a schema of its own once; ``create()`` makes a new one (a copy of
    the template's dump, or migrated when there is no usable ``pg_dump``); ``drop()`` takes
    one away; ``close()`` drops the template too."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._admin = psycopg.connect(libpq_url(server_url), autocommit=True)
        self._template: str | None = None
        self._script: str | None = None  # the template's dump, its name to be replaced

    def template(self) -> str:
        if self._template is None:
            name = f"tpl_{uuid.uuid4().hex[:12]}"
            self._admin.execute(f'CREATE SCHEMA "{name}"')
            engine = make_engine(schema_url(self.server_url, name))
            try:
                migrate(engine)
            finally:
                engine.dispose()
            self._template = name
            self._script = self._dump(name)
        return self._template

    def _dump(self, name: str) -> str | None:
        """The template as one SQL script (``None`` when ``pg_dump`` cannot make it)."""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            return None
        done = subprocess.run(
            [pg_dump, "--schema", name, "--no-owner", "--no-privileges", "--inserts",
             "--dbname", libpq_url(self.server_url)],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            return None
        # comments, and psql's own commands (``\restrict``), are not SQL
        lines = [
            line
            for line in done.stdout.splitlines()
            if line.strip() and not line.startswith(("--", "\\"))
        ]
        return "\n".join(lines)

    @property
    def copies(self) -> bool:
        """Whether ``create`` copies the template (else it migrates each schema)."""
        self.template()
        return self._script is not None

    def create(self) -> str:
        """A new empty, migrated schema: its name."""
        template = self.template()
        name = f"t_{uuid.uuid4().hex[:12]}"
        if self._script is None:
            self._admin.execute(f'CREATE SCHEMA "{name}"')
            engine = make_engine(schema_url(self.server_url, name))
            try:
                migrate(engine)
            finally:
                engine.dispose()
            return name
        script = self._script.replace(template, name)
        epoch = f"UPDATE \"{name}\".search_state SET epoch = '{fresh_epoch()}';"
        with self._admin.transaction():
            # nothing waits for the commit's log flush: a crash loses only a test's schema
            self._admin.execute(f"SET LOCAL synchronous_commit = off;\n{script}\n{epoch}".encode())
        # the dump set search_path to '' for this connection: put it back
        self._admin.execute("RESET ALL")
        return name

    def drop(self, name: str) -> None:
        self._admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def close(self) -> None:
        if self._template is not None:
            self.drop(self._template)
        self._admin.close()
