"""The writer's PostgreSQL paths: rows known new are COPYed straight into ``ads``; the
changed ones, and new ones a concurrent writer stored meanwhile, are upserted. The result is
the same on both databases either way."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from paidfor.domain import Ad, Creative, Page
from paidfor.storage import writer as writer_module
from paidfor.storage.models import AdRow
from paidfor.storage.repo import AdRepository
from paidfor.storage.writer import BatchWriter


def _ad(n: int, body: str) -> Ad:
    return Ad(
        source="copy",
        external_id=str(n),
        creative=Creative(bodies=[body]),
        page=Page(name=f"Page {n % 2}", external_id=str(n % 2)),
    )


def _bodies(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {e: t for e, t in conn.execute(select(AdRow.external_id, AdRow.search_text))}


def _upserted(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[Any, ...]]]:
    """The rows each call of the upsert path got (PostgreSQL; never called on SQLite)."""
    calls: list[list[tuple[Any, ...]]] = []
    upsert = writer_module._copy_upsert

    def spy(conn: Any, params: list[tuple[Any, ...]]) -> None:
        calls.append(params)
        upsert(conn, params)

    monkeypatch.setattr(writer_module, "_copy_upsert", spy)
    return calls


def test_new_rows_are_copied_and_changed_ones_upserted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _upserted(monkeypatch)
    writer = BatchWriter(engine, fresh=True)
    first = writer.write([_ad(n, f"first {n}") for n in range(5)])
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    assert calls == []  # straight into the table
    # the same run again: two changed, one new, the rest unchanged
    again = writer.write([_ad(0, "first 0"), _ad(1, "changed"), _ad(2, "changed"), _ad(9, "new")])
    assert (again.inserted, again.updated, again.unchanged) == (1, 2, 1)
    if engine.dialect.name == "postgresql":
        assert [len(c) for c in calls] == [2]  # only the changed ones
    assert _bodies(engine) == {
        **{str(n): f"first {n}" for n in range(5)},
        "1": "changed",
        "2": "changed",
        "9": "new",
    }
    assert AdRepository(engine).count_search("changed") == 2


def test_a_row_a_concurrent_writer_stored_first_is_upserted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load knows its rows are new without looking; another writer storing one of
    them meanwhile makes the COPY fail on the unique key: the batch rolls back to its
    savepoint and upserts them all, in the same transaction."""
    calls = _upserted(monkeypatch)
    loading = BatchWriter(engine, fresh=True)
    loading.write([_ad(0, "loaded")])
    BatchWriter(engine).write([_ad(1, "the other writer's"), _ad(2, "the other writer's")])
    counts = loading.write([_ad(1, "loaded"), _ad(3, "loaded")])
    assert counts.inserted == 2  # new when the load looked
    if engine.dialect.name == "postgresql":
        assert [len(c) for c in calls] == [2]  # the whole batch, after the failed COPY
    assert _bodies(engine) == {"0": "loaded", "1": "loaded", "2": "the other writer's",
                               "3": "loaded"}  # fmt: skip
    with engine.connect() as conn:
        ids = conn.execute(select(AdRow.id).order_by(AdRow.id)).scalars().all()
    assert len(ids) == len(set(ids)) == 4
    # the next batch of the same run writes as before
    assert loading.write([_ad(4, "loaded")]).inserted == 1
    assert AdRepository(engine).count_search("loaded") == 4


def test_postgres_compresses_an_ads_values_with_lz4(engine: Engine) -> None:
    """Migration 0019: lz4, not pglz, where the server has it (pglz_compress was the costliest
    function of an import's server process); what it stores reads back the same."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's TOAST")
    with engine.connect() as conn:
        if not conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar():
            pytest.skip("a server without lz4")
        methods = dict(
            conn.exec_driver_sql(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid = 'ads'::regclass AND attname IN ('creative', 'search_text')"
            ).all()
        )
    assert methods == {"creative": "l", "search_text": "l"}
    body = " ".join(f"word{n}" for n in range(2000))  # well over the 2 KB threshold
    BatchWriter(engine, fresh=True).write([_ad(1, body)])
    with engine.connect() as conn:
        stored = conn.execute(select(AdRow.search_text)).scalar_one()
        method = conn.exec_driver_sql("SELECT pg_column_compression(search_text) FROM ads")
        assert method.scalar_one() == "lz4"
    assert stored == body
    assert AdRepository(engine).count_search("word1999") == 1
