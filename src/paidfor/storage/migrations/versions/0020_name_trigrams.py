"""An index for finding pages and funders by part of their name: the names a library search
shows above its ads (``LibraryRepository.advertisers_named``: "Woke Blacks" is a page) are
those that hold the search's text anywhere, a ``LIKE '%text%'`` that no B-tree serves. It ran
as a scan of every page and funder name on every first page of a word search: 7.4-7.9 ms of a
search's 13-14 ms of CPU at 1,000,000 ads (50,000 pages, 20,000 funders; issue 22).

SQLite: an FTS5 table with the trigram tokenizer over each name (external content, so the
names are not stored twice), kept in step by triggers. SQLite answers a ``LIKE`` on it from
the index when the pattern holds three characters in a row that are not wildcards, and checks
the ``LIKE`` itself on the rows the index finds, so what matches is exactly what matched
before (ASCII letters in any case). An SQLite older than 3.34 has no trigram tokenizer: there
the tables are not made and the names are scanned as before.

PostgreSQL: a GIN index of ``pg_trgm`` over ``lower(name)``, when the server has the
extension (a contrib module every distribution packages; trusted since PostgreSQL 13, so the
database's owner may create it). Without it the names are scanned as before.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("pages", "funders")


def _sqlite_up(table: str) -> list[str]:
    fts = f"{table}_name_fts"
    return [
        f"""CREATE VIRTUAL TABLE {fts} USING fts5(
            name, content='{table}', content_rowid='id', tokenize='trigram')""",
        f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, name) VALUES (new.id, new.name);
        END""",
        f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, name) VALUES ('delete', old.id, old.name);
        END""",
        f"""CREATE TRIGGER {fts}_au AFTER UPDATE OF name ON {table}
        WHEN old.name IS NOT new.name BEGIN
            INSERT INTO {fts}({fts}, rowid, name) VALUES ('delete', old.id, old.name);
            INSERT INTO {fts}(rowid, name) VALUES (new.id, new.name);
        END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _sqlite_down(table: str) -> list[str]:
    fts = f"{table}_name_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{t}" for t in ("au", "ad", "ai")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


_HAS_TRGM = "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
_TRGM_SCHEMA = """SELECT n.nspname FROM pg_extension e
    JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"""


def _pg_up() -> None:
    conn = op.get_bind()
    schema = conn.exec_driver_sql(_TRGM_SCHEMA).scalar()
    if schema is None and conn.exec_driver_sql(_HAS_TRGM).first() is not None:
        # In public, not in the schema this database's tables may live in: an extension
        # belongs to the whole database, and dropping that schema would drop it for all.
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        except DBAPIError:  # a role that may not create it, or a second migration racing
            pass
        schema = conn.exec_driver_sql(_TRGM_SCHEMA).scalar()
    if schema is None:  # no extension: the names are scanned, as before
        return
    ops = f"{conn.dialect.identifier_preparer.quote(schema)}.gin_trgm_ops"
    for table in TABLES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_{table}_name_trgm ON {table} "
            f"USING gin (lower(name) {ops})"
        )


def _has_trigram_tokenizer() -> bool:
    """SQLite has the trigram tokenizer from 3.34 (2020); before, the names are scanned."""
    version = op.get_bind().exec_driver_sql("SELECT sqlite_version()").scalar()
    return tuple(int(p) for p in str(version).split(".")[:2]) >= (3, 34)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        if not _has_trigram_tokenizer():
            return
        for table in TABLES:
            for sql in _sqlite_up(table):
                op.execute(sql)
    else:
        _pg_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            for sql in _sqlite_down(table):
                op.execute(sql)
    else:
        for table in TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_name_trgm")
        # the extension stays: other schemas of the database may use it
