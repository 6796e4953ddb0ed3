"""Schema, full-text index and audit chain, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, inspect, text, update

from paidfor.domain import Ad, Creative, Delivery, Funder, Page
from paidfor.storage.audit import append_event, verify_chain
from paidfor.storage.db import downgrade, migrate
from paidfor.storage.models import AdRow, AuditEventRow
from paidfor.storage.repo import AdRepository
from paidfor.storage.writer import BatchWriter, WriteCounts


def _ad(n: int, text_: str, spend: str = "10.00") -> Ad:
    return Ad(
        source="test",
        external_id=str(n),
        creative=Creative(bodies=[text_]),
        page=Page(name=f"Page {n % 3}", external_id=str(n % 3)),
        funder=Funder(name=f"Funder {n % 2}"),
        delivery=Delivery(currency="EUR", spend=Decimal(spend), impressions=n),
    )


def test_migrations_create_every_table_and_go_down_and_up(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "ads",
        "pages",
        "funders",
        "advertisers",
        "payment_instruments",
        "admins",
        "authorizations",
        "elections",
        "indicators",
        "cases",
        "actions",
        "audit_events",
        "spend_reports",
    } <= tables
    downgrade(engine, "0001")
    if engine.dialect.name == "sqlite":
        assert "ads_fts" not in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert "ads" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "ads" in inspect(engine).get_table_names()


def test_writer_is_idempotent_and_the_index_follows_changes(engine: Engine) -> None:
    writer = BatchWriter(engine)
    first = writer.write([_ad(i, f"vote for apples number {i}") for i in range(10)])
    assert (first.inserted, first.updated, first.unchanged) == (10, 0, 0)
    repo = AdRepository(engine)
    assert repo.count_search("apples") == 10

    again = BatchWriter(engine).write([_ad(i, f"vote for apples number {i}") for i in range(10)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)

    changed = BatchWriter(engine).write(
        [_ad(3, "pears now"), _ad(4, "vote for apples number 4", "11.50")]
    )
    assert (changed.inserted, changed.updated) == (0, 2)
    assert repo.count_search("apples") == 9
    assert [a.external_id for a in repo.search("pears")] == ["3"]
    s = repo.stats()
    assert s.ads == 10 and s.spend == {"EUR": Decimal("101.50")} and s.pages == 3 and s.funders == 2

    with engine.begin() as conn:
        conn.execute(delete(AdRow).where(AdRow.external_id == "3"))
    assert repo.count_search("pears") == 0
    with engine.begin() as conn:
        conn.execute(update(AdRow).where(AdRow.external_id == "5").values(search_text="kiwis"))
    assert repo.count_search("kiwis") == 1 and repo.count_search("apples") == 8


def test_same_key_twice_in_one_batch_keeps_the_last(engine: Engine) -> None:
    counts = BatchWriter(engine).write([_ad(1, "first"), _ad(1, "second")])
    assert counts.inserted == 1
    ad = AdRepository(engine).get_by_key("test", "1")
    assert ad is not None and ad.creative.bodies == ["second"]


def test_a_failed_batch_leaves_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = BatchWriter(engine)

    def boom(*_args: object) -> WriteCounts:
        raise RuntimeError("disk on fire")

    # pages, funders and ads are written, then the batch fails before it commits
    monkeypatch.setattr(writer, "_write_reports", boom)
    with pytest.raises(RuntimeError):
        writer.write([_ad(1, "ok"), _ad(2, "fine")])
    s = AdRepository(engine).stats()
    assert (s.ads, s.pages, s.funders) == (0, 0, 0)
    monkeypatch.undo()
    assert writer.write([_ad(1, "ok")]).inserted == 1  # no stale cached page ids
    assert AdRepository(engine).get_by_key("test", "1").page is not None  # type: ignore[union-attr]


def test_audit_chain_detects_an_altered_event(engine: Engine) -> None:
    for i in range(5):
        append_event(
            engine,
            actor="tester",
            action="import",
            target_type="source",
            target_id=str(i),
            after={"n": i},
        )
    assert verify_chain(engine) is None
    with engine.begin() as conn:
        third = conn.execute(
            text("SELECT id FROM audit_events ORDER BY id LIMIT 1 OFFSET 2")
        ).scalar_one()
        conn.execute(update(AuditEventRow).where(AuditEventRow.id == third).values(reason="edited"))
    assert verify_chain(engine) == third


def test_the_models_match_the_migrations(engine: Engine) -> None:
    """Alembic's autogenerate finds nothing to change but the full-text parts the
    migrations create by hand (FTS5 tables, the tsvector column and its index, the names'
    trigram indexes)."""
    import warnings

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    # every context's own tables, beside its stores, join Base.metadata when imported (one
    # forgotten here shows as a table the migrations make and the models lack)
    import paidfor.disclosure.request_models
    import paidfor.exchange.feed_models
    import paidfor.review.intake_models
    import paidfor.review.notification_models
    import paidfor.review.ttpa_models  # noqa: F401
    from paidfor.storage.models import Base

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected on SQLite
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def by_hand(change: object) -> bool:
        text = repr(change)
        return any(part in text for part in ("ads_fts", "search_tsv", "_name_fts", "_name_trgm"))

    assert [d for d in diff if not by_hand(d)] == []
