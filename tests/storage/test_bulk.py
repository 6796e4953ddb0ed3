"""Deferred indexes for bulk imports: dropped, rebuilt, and mended after a kill."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from paidfor.ingest.pipeline import ImportAborted, estimate_rows, run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage import bulk
from paidfor.storage.db import open_database
from paidfor.storage.repo import AdRepository

from conftest import IRA_CLEAN


def _index_names(engine: Engine) -> set[str]:
    return {str(ix["name"]) for ix in inspect(engine).get_indexes("ads")}


def test_drop_then_open_database_mends_every_index(engine: Engine, db_url: str) -> None:
    before = _index_names(engine)
    dropped = bulk.drop_indexes(engine)
    expected = {*bulk.DEFERRED} | ({bulk.PG_SEARCH_INDEX} if "postgresql" in db_url else set())
    assert set(dropped) == expected
    assert set(bulk.missing_indexes(engine)) == expected
    assert before - _index_names(engine) == expected
    # what a killed import leaves behind, mended by the next command that opens the database
    reopened = open_database(db_url)
    try:
        assert bulk.missing_indexes(reopened) == []
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
    assert bulk.missing_indexes(engine) == []
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
    assert bulk.missing_indexes(engine) == []
