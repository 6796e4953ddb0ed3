"""The tests' own databases (``tests/databases.py``): a copy of the database migrated once per
test process is what migrating gives, on SQLite and PostgreSQL: the same tables, columns,
generated columns, indexes, constraints, triggers, functions, sequences and the rows the
migrations write (``alembic_version``, the counters), SQLite's full-text tables among them;
only the database's ``epoch`` is its own."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from databases import PostgresSchemas, copy_sqlite, migrated_sqlite
from sqlalchemy import Connection, Engine, text

from paidfor.storage.db import make_engine, migrate

from conftest import PG_URL, pg_schema_url, require_postgres

# the rows the migrations write, and how to read them (the epoch apart)
ROWS = {
    "alembic_version": "SELECT version_num FROM alembic_version",
    "search_state": "SELECT id, seq FROM search_state",
    "exchange_state": "SELECT id, seq FROM exchange_state",
}


def rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in ROWS.items()}


def epoch(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT epoch FROM search_state")).scalar_one())


def sqlite_shape(path: Path) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            master = sorted(
                tuple(r)
                for r in conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master"))
            )
            pragmas = {
                p: conn.execute(text(f"PRAGMA {p}")).scalar_one()
                for p in ("page_size", "journal_mode", "user_version", "auto_vacuum")
            }
            return {"master": master, "pragmas": pragmas, "rows": rows(conn)}
    finally:
        engine.dispose()


def test_a_sqlite_copy_is_what_migrating_gives(tmp_path: Path, sqlite_template: Path) -> None:
    migrated = migrated_sqlite(tmp_path / "migrated.db")
    copied = tmp_path / "copied.db"
    copy_sqlite(sqlite_template, copied)
    shape = sqlite_shape(copied)
    assert shape == sqlite_shape(migrated)
    assert any(name == "ads_fts" for _, name, _, _ in shape["master"])  # FTS5 and triggers
    assert any(kind == "trigger" for kind, _, _, _ in shape["master"])
    assert shape["rows"]["alembic_version"]  # the head revision is recorded
    other = tmp_path / "other.db"
    copy_sqlite(sqlite_template, other)
    epochs = {epoch(make_engine(f"sqlite:///{p}")) for p in (copied, migrated, other)}
    assert len(epochs) == 3  # each database names itself


PG_SHAPE = {
    "columns": """SELECT table_name, column_name, data_type, is_nullable, column_default,
                         is_generated, generation_expression, character_maximum_length
                  FROM information_schema.columns WHERE table_schema = :s""",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :s",
    "constraints": """SELECT cl.relname, c.conname, pg_get_constraintdef(c.oid)
                      FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid
                      JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = :s""",
    "triggers": """SELECT event_object_table, trigger_name, event_manipulation, action_timing,
                          action_statement
                   FROM information_schema.triggers WHERE trigger_schema = :s""",
    "functions": """SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s""",
    "sequences": """SELECT sequencename, data_type, start_value, increment_by, last_value
                    FROM pg_sequences WHERE schemaname = :s""",
    "kinds": """SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s""",
}


def pg_shape(engine: Engine, schema: str) -> dict[str, Any]:
    def named(value: Any) -> Any:
        return value.replace(schema, "S") if isinstance(value, str) else value

    with engine.connect() as conn:
        shape: dict[str, Any] = {
            part: sorted(tuple(named(v) for v in r) for r in conn.execute(text(sql), {"s": schema}))
            for part, sql in PG_SHAPE.items()
        }
        shape["rows"] = rows(conn)
    return shape


@pytest.mark.postgres
def test_a_postgresql_copy_is_what_migrating_gives(pg_schemas: PostgresSchemas) -> None:
    require_postgres()
    migrated = f"m_{uuid.uuid4().hex[:12]}"
    copies = [pg_schemas.create(), pg_schemas.create()]
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    engines: list[Engine] = []
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{migrated}"'))
        engines = [make_engine(pg_schema_url(s)) for s in (migrated, *copies)]
        migrate(engines[0])
        expected = pg_shape(engines[0], migrated)
        assert expected["triggers"] or expected["functions"] or expected["columns"]
        # the full-text index, over an expression (migration 0019)
        assert any("gin" in i[2].lower() and "to_tsvector" in i[2] for i in expected["indexes"])
        for engine, schema in zip(engines[1:], copies, strict=True):
            assert pg_shape(engine, schema) == expected
        assert len({epoch(e) for e in engines}) == 3  # each database names itself
    finally:
        for engine in engines:
            engine.dispose()
        for schema in copies:
            pg_schemas.drop(schema)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{migrated}" CASCADE'))
        admin.dispose()
    if not pg_schemas.copies:
        pytest.skip("no usable pg_dump here: each test's schema is migrated, not copied")
