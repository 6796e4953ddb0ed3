"""Deferred indexes for bulk imports: dropped, rebuilt, and mended after a kill."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from paidfor.domain import Ad, Creative
from paidfor.ingest.pipeline import ImportAborted, estimate_rows, run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage import bulk
from paidfor.storage.db import open_database
from paidfor.storage.repo import AdRepository
from paidfor.storage.writer import BatchWriter

from conftest import IRA_CLEAN


def _index_names(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("ads")}


def test_drop_then_open_database_mends_every_index(engine: Engine, db_url: str) -> None:
    before = _index_names(engine)
    dropped = bulk.drop_indexes(engine)
    expected = {*bulk.DEFERRED} | ({bulk.PG_SEARCH_INDEX} if "postgresql" in db_url else set())
    assert set(dropped) == expected
    assert set(bulk.missing(engine)) == expected
    assert before - _index_names(engine) == expected
    # what a killed import leaves behind, mended by the next command that opens the database
    reopened = open_database(db_url)
    try:
        assert bulk.missing(reopened) == []
        assert _index_names(reopened) == before
        assert bulk.ensure_indexes(reopened) == []  # nothing left to do
    finally:
        reopened.dispose()


def test_worth_deferring_only_for_an_import_twice_the_table(
    engine: Engine,
) -> None:
    assert not bulk.worth_deferring(engine, bulk.MIN_ROWS - 1)
    assert bulk.worth_deferring(engine, bulk.MIN_ROWS)
    run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN], defer_indexes=False)
    assert bulk.worth_deferring(engine, bulk.MIN_ROWS)  # 3,517 ads: still small
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE ads SET id = 30000 WHERE id = (SELECT max(id) FROM ads)")
    assert not bulk.worth_deferring(engine, 59_999)
    assert bulk.worth_deferring(engine, 60_000)


def test_estimate_rows_counts_lines(tmp_path: Path) -> None:
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(f'{{"n": {i}, "pad": "{"x" * (i % 50)}"}}\n' for i in range(100_000)))
    assert abs(estimate_rows([f]) - 100_000) < 5_000
    assert estimate_rows([f, f]) == 2 * estimate_rows([f])


@pytest.mark.parametrize("defer", [True, False])
def test_a_deferred_import_ends_with_the_same_data_and_every_index(
    engine: Engine, defer: bool
) -> None:
    report = run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN], defer_indexes=defer)
    assert report.indexes_deferred is defer
    assert report.counts.inserted == 3517
    assert bulk.missing(engine) == []
    repo = AdRepository(engine)
    assert repo.stats().ads == 3517
    assert repo.count_search("police") > 0


def test_a_failed_deferred_import_still_rebuilds_the_indexes(
    engine: Engine, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "ad", "source": "t", "external_id": "1"}\nnot json\n')
    with pytest.raises(ImportAborted):
        run_import(engine, SOURCES["native"](), [bad], strict=True, defer_indexes=True)
    assert bulk.missing(engine) == []


def _migration(name: str) -> ModuleType:
    return importlib.import_module(f"paidfor.storage.migrations.versions.{name}")


def test_the_migrations_make_what_bulk_makes_again() -> None:
    """The frozen DDL of the migrations is what ``ensure_indexes`` creates after a load: the
    FTS5 triggers (0002), the names' (0020) and PostgreSQL's full-text vector (0019)."""
    assert _migration("0002_fulltext").SQLITE_UP[1:] == list(bulk.FTS_TRIGGERS.values())
    names = _migration("0020_name_trigrams")
    for table in names.TABLES:
        triggers, rebuild = bulk.FTS_TABLES[f"{table}_name_fts"]
        assert names._sqlite_up(table)[1:] == [*triggers.values(), rebuild]
    vector_index = _migration("0019_search_vector_index").PG_UP[-1]
    assert vector_index == bulk.PG_SEARCH_DDL.replace(" IF NOT EXISTS", "")
    assert bulk.PG_SEARCH_VECTOR in vector_index


def _indexdef(engine: Engine, name: str) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n AND schemaname = "
                 "current_schema()"),
            {"n": name},
        ).scalar()  # fmt: skip


@pytest.mark.postgres
def test_postgres_rebuilds_the_search_index_the_migration_made(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's index")
    migrated = _indexdef(engine, bulk.PG_SEARCH_INDEX)
    assert migrated is not None and "to_tsvector('simple'::regconfig" in migrated
    with engine.connect() as conn:  # no stored vector: the index is over the expression
        columns = {c["name"] for c in inspect(conn).get_columns("ads")}
    assert "search_tsv" not in columns
    bulk.drop_indexes(engine)
    assert bulk.ensure_indexes(engine)
    assert _indexdef(engine, bulk.PG_SEARCH_INDEX) == migrated


def _foreign_keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                 "WHERE conrelid = 'ads'::regclass AND contype = 'f'")
        )  # fmt: skip
        return {str(name): str(definition) for name, definition in rows}


@pytest.mark.postgres
def test_postgres_sets_the_foreign_keys_aside_and_adds_the_same_back(
    engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        assert bulk.drop_foreign_keys(engine) == []  # SQLite checks each by a look-up
        return
    migrated = _foreign_keys(engine)
    assert set(migrated) == {"fk_ads_page_id_pages", "fk_ads_funder_id_funders",
                             "fk_ads_advertiser_id_advertisers",
                             "fk_ads_import_run_id_import_runs"}  # fmt: skip
    assert set(bulk.drop_foreign_keys(engine)) == set(migrated)
    assert set(bulk.missing(engine)) == set(migrated)
    assert _foreign_keys(engine) == {}
    reopened = open_database(db_url)  # what a killed import leaves, mended by any command
    try:
        assert bulk.missing(reopened) == []
        assert _foreign_keys(reopened) == migrated
        assert bulk.ensure_indexes(reopened) == []
    finally:
        reopened.dispose()
    BatchWriter(engine).write([Ad(source="t", external_id="1", creative=Creative(bodies=["x"]))])
    with pytest.raises(IntegrityError), engine.begin() as conn:  # checked again
        conn.exec_driver_sql("UPDATE ads SET page_id = 999999")


@pytest.mark.postgres
@pytest.mark.parametrize("phrase", [False, True])
def test_postgres_searches_through_the_vector_index(engine: Engine, phrase: bool) -> None:
    """The search names the indexed expression verbatim, so the planner can use the index
    (sequential and plain index scans turned off: what is left is the GIN index, or a
    sequential scan the planner was told not to make if the expressions differed)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's plan")
    run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN])
    where, params = AdRepository._fts("postgresql", ["black", "matters"], phrase)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE ads")
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
        for query in (
            f"SELECT count(*) {where}",
            f"SELECT id {where} ORDER BY id DESC LIMIT 50 OFFSET 0",
        ):
            plan = "\n".join(r[0] for r in conn.execute(text(f"EXPLAIN {query}"), params))
            assert f"Bitmap Index Scan on {bulk.PG_SEARCH_INDEX}" in plan, plan
            assert "Seq Scan" not in plan, plan
    repo = AdRepository(engine)
    assert 0 < repo.count_search("black matters", phrase=phrase) <= repo.count_search("black")


def test_phrase_search_keeps_the_words_order(engine: Engine) -> None:
    bodies = ["see example.com today", "com example, see", "an example of a com"]
    BatchWriter(engine).write(
        [
            Ad(source="t", external_id=str(n), creative=Creative(bodies=[body]))
            for n, body in enumerate(bodies)
        ]
    )
    repo = AdRepository(engine)

    def found(query: str, phrase: bool) -> set[str]:
        return {a.external_id for a in repo.search(query, phrase=phrase, limit=10)}

    assert found("example com", False) == {"0", "1", "2"}
    assert found("example com", True) == {"0"}
    assert found("com example", True) == {"1"}
    assert found("example.com today", True) == {"0"}
    assert repo.count_search("example com", phrase=True) == 1
