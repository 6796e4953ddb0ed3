"""Databases for the tests, made fast: the migrations run once per test process, and each
test gets a copy of what they made; a module's data (a seed) is loaded once too, and copied.

- SQLite: the file migrated (and seeded) once is copied (``shutil.copyfile``).
- PostgreSQL: a template schema is migrated (and seeded) once; ``pg_dump --schema`` writes it
  out (tables, indexes, the full-text expression index, triggers, functions, sequences
  and every row, ``alembic_version`` and the counters the migrations insert among them), and
  each test's schema is that script replayed under its own name, in one round trip. Without
  a ``pg_dump`` that can read the server (none installed, an older major version), each
  test's schema is migrated (and seeded) as before.

Each copy gets an ``epoch`` of its own (``search_state``, migration 0003: the name of the
database a search index was built for), as a database migrated afresh would.
``tests/storage/test_test_databases.py`` holds that a copy is what migrating gives.

Measured on the two shared cores under a load of 7-18 (median of 5-8): a PostgreSQL schema
migrated 0.7-2.0 s, its dump replayed 0.3-0.8 s, a database from a template database with
``STRATEGY FILE_COPY`` 2.2-3.3 s (and 0.3-0.6 s to drop), the migration's own statements
recorded and replayed 0.9-1.0 s; a schema dropped 0.1-0.3 s. A SQLite file migrated 0.5-1.9 s,
copied 1-2 ms (2-15 ms with its new epoch), copied with SQLite's backup API 12-80 ms.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from paidfor.storage.db import make_engine, migrate, normalize_url

#: What a test module's database starts with (``@pytest.mark.seed(load)``): ``load(engine,
#: folder)`` writes it and returns what the tests need to know of it (ids). It runs once per
#: test process and backend; each test gets a copy of the database it made.
Seed = Callable[[Engine, Path], Any]


def seeded(load: Seed | None) -> pytest.MarkDecorator:
    """``@pytest.mark.seed(load)`` (which, given a function alone, would decorate it):
    the test's database starts with ``load``'s data (``None``: empty)."""
    return pytest.mark.seed.with_args(load)


PSQL_COMMAND = re.compile(r"^\\(un)?restrict [A-Za-z0-9]+$")


def fresh_epoch() -> str:
    return uuid.uuid4().hex


# -- SQLite ---------------------------------------------------------------------------------


def migrated_sqlite(path: Path) -> Path:
    """A SQLite file at ``path`` with every migration applied, its write-ahead log folded in."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closed: the write-ahead log is folded in
    return path


def seeded_sqlite(template: Path, path: Path, seed: Seed, workdir: Path) -> Any:
    """A copy of the migrated ``template`` at ``path`` with ``seed``'s data: what the seed
    returned."""
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        return seed(engine, workdir)
    finally:
        engine.dispose()  # the write-ahead log folded in: the file is whole


def copy_sqlite(template: Path, path: Path) -> str:
    """A copy of the migrated ``template`` at ``path``, with an epoch of its own: its URL."""
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a test's file: nothing to keep in a crash
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
    """Schemas of one database on the server, each empty and migrated (or holding a seed's
    data), for one test process.

    ``create()`` makes a new schema: a copy of a template migrated once (and, with a
    ``seed``, given that seed's data once), replayed from the template's dump; migrated (and
    seeded) afresh when there is no usable ``pg_dump``. ``drop()`` takes one away;
    ``close()`` drops the templates too."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._admin = psycopg.connect(libpq_url(server_url), autocommit=True)
        # seed (None: empty) -> the template schema, its dump (its name to be replaced, None
        # without pg_dump) and what the seed returned
        self._templates: dict[Seed | None, tuple[str, str | None, Any]] = {}

    def _migrated(self, name: str) -> None:
        self._admin.execute(f'CREATE SCHEMA "{name}"')
        engine = make_engine(schema_url(self.server_url, name))
        try:
            migrate(engine)
        finally:
            engine.dispose()

    def _seeded(self, name: str, seed: Seed, workdir: Path) -> Any:
        engine = make_engine(schema_url(self.server_url, name))
        try:
            return seed(engine, workdir)
        finally:
            engine.dispose()

    def template(self, seed: Seed | None = None, workdir: Path | None = None) -> str:
        """The template schema (of ``seed``'s data, which it loads into ``workdir``'s files)."""
        if seed not in self._templates:
            name = f"tpl_{uuid.uuid4().hex[:12]}"
            if seed is None:
                self._migrated(name)
                data = None
            else:
                if self.copies:
                    self._replay(None, name)
                else:
                    self._migrated(name)
                assert workdir is not None, "a seed needs a folder for its files"
                data = self._seeded(name, seed, workdir)
            self._templates[seed] = (name, self._dump(name), data)
        return self._templates[seed][0]

    def data(self, seed: Seed) -> Any:
        """What ``seed`` returned when it loaded its template."""
        return self._templates[seed][2]

    def _dump(self, name: str) -> str | None:
        """The schema as one SQL script (``None`` when ``pg_dump`` cannot make it)."""
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            return None
        done = subprocess.run(
            [pg_dump, "--schema", name, "--no-owner", "--no-privileges", "--inserts",
             "--rows-per-insert", "200", "--dbname", libpq_url(self.server_url)],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            return None
        # psql's own commands (``\restrict KEY``, ``\unrestrict KEY``) are not SQL; comments
        # are, and a line of data may start with anything
        return "\n".join(line for line in done.stdout.split("\n") if not PSQL_COMMAND.match(line))

    @property
    def copies(self) -> bool:
        """Whether ``create`` copies the template (else it migrates each schema)."""
        self.template()
        return self._templates[None][1] is not None

    def _replay(self, seed: Seed | None, name: str) -> None:
        template, script, _data = self._templates[seed]
        assert script is not None
        epoch = f"UPDATE \"{name}\".search_state SET epoch = '{fresh_epoch()}';"
        with self._admin.transaction():
            # nothing waits for the commit's log flush: a crash loses only a test's schema
            self._admin.execute(
                f"SET LOCAL synchronous_commit = off;\n{script.replace(template, name)}\n{epoch}"
                .encode()
            )  # fmt: skip
        # the dump set search_path to '' for this connection: put it back
        self._admin.execute("RESET ALL")

    def create(self, seed: Seed | None = None, workdir: Path | None = None) -> str:
        """A new schema, migrated, with ``seed``'s data if given: its name."""
        self.template(seed, workdir)
        name = f"t_{uuid.uuid4().hex[:12]}"
        if self._templates[seed][1] is not None:
            self._replay(seed, name)
            return name
        self._migrated(name)  # no pg_dump: as a test did before
        if seed is not None:
            assert workdir is not None, "a seed needs a folder for its files"
            self._templates[seed] = (*self._templates[seed][:2], self._seeded(name, seed, workdir))
        return name

    def drop(self, name: str) -> None:
        self._admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')

    def close(self) -> None:
        for name, _script, _data in self._templates.values():
            self.drop(name)
        self._admin.close()
