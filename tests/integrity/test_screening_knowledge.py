"""The screen's knowledge read by index lookups (``screening_context``: flagged entities, the
carriers of their attributes, removed ads) equals the same knowledge computed from every
account, page and ad (``full_screening_context``), and so does every entity's risk under
each: on a generated world with random entities disabled, put in a case or with ads removed
(hypothesis, SQLite), and on a fixed choice on both databases."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plans import scans, sqlite_plans
from sqlalchemy import Engine

from paidfor.domain.urls import site_of
from paidfor.eval.world import write
from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.integrity.risk import assess
from paidfor.integrity.screen import full_screening_context, screening_context
from paidfor.integrity.signals import Context
from paidfor.integrity.store import load_world
from paidfor.storage.db import make_engine, migrate


@pytest.fixture(scope="module")
def world_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("world") / "world.jsonl"
    write(path, 3, advertisers=150)
    return path


@pytest.fixture(scope="module")
def template(world_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("template") / "world.db"
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    run_import(engine, Native(), [world_file], parallel=False)
    engine.dispose()
    return db


def _ids(engine: Engine, table: str) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))]


def _flag(
    engine: Engine,
    disabled: list[int],
    in_case: list[int],
    removed_from: list[int],
    closed_case: list[int],
) -> None:
    """Disable advertisers, put pages in an open case (and others in a closed one, which
    flags nothing), remove every ad of some pages."""
    with engine.begin() as conn:
        for adv in disabled:
            conn.execute(
                sa.text("UPDATE advertisers SET disabled = true WHERE id = :i"), {"i": adv}
            )
        for status, members in (("open", in_case), ("closed", closed_case)):
            if not members:
                continue
            case_id = conn.execute(
                sa.text(
                    "INSERT INTO cases (title, status, kind, evidence, links, created_at) "
                    "VALUES ('t', :s, 'network', '[]', '[]', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"s": status},
            ).scalar_one()
            for page in members:
                conn.execute(
                    sa.text(
                        "INSERT INTO case_members (case_id, entity_type, entity_id, role, "
                        "details) VALUES (:c, 'page', :p, 'member', '{}')"
                    ),
                    {"c": case_id, "p": page},
                )
        for page in removed_from:
            conn.execute(
                sa.text("UPDATE ads SET status = 'removed' WHERE page_id = :p"), {"p": page}
            )


def _same_knowledge(engine: Engine) -> Context:
    with engine.connect() as conn:  # both read the stored domain: it is the URL's
        stored = conn.execute(sa.text("SELECT landing_url, landing_domain FROM ads")).all()
    assert stored and all(domain == site_of(url) for url, domain in stored)
    lean, full = screening_context(engine), full_screening_context(engine)
    assert lean.n_entities == full.n_entities
    assert lean.flagged == full.flagged
    assert {a: sorted(k) for a, k in lean.flagged_attrs.items()} == {
        a: sorted(k) for a, k in full.flagged_attrs.items()
    }
    assert {a: lean.attr_df[a] for a in lean.flagged_attrs} == {
        a: full.attr_df[a] for a in full.flagged_attrs
    }
    assert lean.removed_owners == full.removed_owners
    assert len(lean.removed_texts) == len(full.removed_texts)
    for key, profile in load_world(engine).profiles.items():
        assert assess(profile, lean) == assess(profile, full), key
    return lean


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_lean_knowledge_is_the_full_one(
    template: Path, tmp_path: Path, data: st.DataObject
) -> None:
    db = tmp_path / f"w-{data.draw(st.integers(0, 10**9))}.db"
    shutil.copy(template, db)
    engine = make_engine(f"sqlite:///{db}")
    advertisers, pages = _ids(engine, "advertisers"), _ids(engine, "pages")
    some_pages = st.lists(st.sampled_from(pages), max_size=12, unique=True)
    _flag(
        engine,
        data.draw(st.lists(st.sampled_from(advertisers), max_size=12, unique=True)),
        data.draw(some_pages),
        data.draw(some_pages),
        data.draw(some_pages),
    )
    _same_knowledge(engine)
    engine.dispose()


@pytest.fixture
def flagged_world(db_url: str, world_file: Path) -> Iterator[Engine]:
    engine = make_engine(db_url)
    run_import(engine, Native(), [world_file], parallel=False)
    advertisers, pages = _ids(engine, "advertisers"), _ids(engine, "pages")
    _flag(engine, advertisers[::17], pages[5:40:6], pages[1::9], pages[2:30:7])
    yield engine
    engine.dispose()


def test_both_databases_agree_and_the_knowledge_is_used(flagged_world: Engine) -> None:
    ctx = _same_knowledge(flagged_world)
    assert len(ctx.flagged) > 40 and len(ctx.removed_texts) > 100
    kinds = {kind for kind, _ in ctx.flagged_attrs}
    assert {"payment", "admin", "device", "ip", "domain"} <= kinds
    # shared attributes are counted over everybody, not only the flagged
    assert any(ctx.attr_df[a] > len(k) for a, k in ctx.flagged_attrs.items())


def test_nothing_flagged_reads_no_ads(template: Path, tmp_path: Path) -> None:
    """With nothing flagged the knowledge is empty but for the count of entities, and
    building it does not read the ads table row by row (it asks two indexes)."""
    db = tmp_path / "w.db"
    shutil.copy(template, db)
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # worlds have removed ads: put them back first
        conn.execute(sa.text("UPDATE ads SET status = 'running' WHERE status = 'removed'"))
    with sqlite_plans(engine) as plans:
        ctx = screening_context(engine)
    assert not ctx.flagged and not ctx.flagged_attrs and ctx.n_entities > 400
    assert plans and not scans(plans), plans
    engine.dispose()
