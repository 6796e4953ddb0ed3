"""The names a search shows above its ads (``LibraryRepository.advertisers_named``) are found
through an index of their trigrams (migration 0020): the same names as a scan of them all,
on both databases, whatever the text holds (LIKE's wildcards, the escape character, any
case); the index follows every insert, rename and delete; and the database really uses it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, text

from paidfor.library.store import NAME_CANDIDATES, LibraryRepository
from paidfor.storage.models import FunderRow, PageRow

WORDS = ["Vote", "vote", "VOTERS", "Woke", "Blacks", "100%", "a_b", "x/y", "Fund", "now", "Ärger"]


def _names(n: int) -> list[str]:
    """Names built from ``WORDS``, so that short and long texts match many and few."""
    out = []
    for i in range(n):
        a, b = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)]
        out.append(f"{a} {b} {i}" if i % 3 else f"{a}{b}{i}")
    return out


@pytest.fixture
def named(engine: Engine) -> Engine:
    names = _names(140)  # more than NAME_CANDIDATES match a common text
    with engine.begin() as conn:
        conn.execute(
            insert(PageRow),
            [{"kind": "page", "external_id": str(i), "name": n} for i, n in enumerate(names)],
        )
        conn.execute(insert(FunderRow), [{"name": f"{n} PAC"} for n in names])
    return engine


def _reference(engine: Engine, kind: str, needle: str) -> dict[int, str]:
    """The first ``NAME_CANDIDATES`` names holding ``needle``, by Python, ASCII letters in any
    case as both databases compare them (``Ä`` and ``ä`` differ on SQLite)."""
    table = "pages" if kind == "page" else "funders"
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, name FROM {table} ORDER BY id")).all()

    def fold(s: str) -> str:
        return "".join(c.lower() if c.isascii() else c for c in s)

    found = [(int(i), str(n)) for i, n in rows if fold(needle) in fold(n)]
    return dict(found[:NAME_CANDIDATES])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    needle=st.one_of(
        st.sampled_from([w.lower() for w in WORDS] + ["ote", "ack", "0%", "%_", "/y", "b 1"]),
        st.text(alphabet="voteblacks%_/ 01ä", min_size=1, max_size=6),
    )
)
def test_the_index_finds_what_a_scan_finds(named: Engine, needle: str) -> None:
    repo = LibraryRepository(named)
    with named.connect() as conn:
        for kind in ("page", "funder"):
            by_index = repo.names_holding(conn, kind, needle)
            by_scan = repo.names_holding(conn, kind, needle, trigrams=False)
            assert by_index == by_scan
            if needle.isascii():
                assert by_index == _reference(named, kind, needle)


def test_the_index_follows_inserts_renames_and_deletes(engine: Engine) -> None:
    repo = LibraryRepository(engine)
    with engine.begin() as conn:
        conn.execute(insert(PageRow), [{"kind": "page", "external_id": "1", "name": "Woke Blacks"}])
        conn.execute(insert(FunderRow), [{"name": "Friends of Woke"}])
    with engine.connect() as conn:
        assert list(repo.names_holding(conn, "page", "woke").values()) == ["Woke Blacks"]
        assert list(repo.names_holding(conn, "funder", "woke").values()) == ["Friends of Woke"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE pages SET name = 'Blacktivist' WHERE external_id = '1'"))
        conn.execute(text("UPDATE funders SET verified = true"))  # not the name: no change
    with engine.connect() as conn:
        assert repo.names_holding(conn, "page", "woke") == {}
        assert list(repo.names_holding(conn, "page", "tivis").values()) == ["Blacktivist"]
        assert list(repo.names_holding(conn, "funder", "woke").values()) == ["Friends of Woke"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM pages"))
        conn.execute(text("DELETE FROM funders"))
    with engine.connect() as conn:
        assert repo.names_holding(conn, "page", "tivis") == {}
        assert repo.names_holding(conn, "funder", "woke") == {}
    if engine.dialect.name == "sqlite":  # the FTS5 index agrees with its table
        with engine.begin() as conn:
            for table in ("pages", "funders"):
                fts = f"{table}_name_fts"
                conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def _plan(engine: Engine, stmt: Any, params: dict[str, Any]) -> str:
    """The database's plan for ``stmt`` with ``params``."""
    with engine.begin() as conn:
        compiled = stmt.compile(dialect=conn.dialect)
        values = compiled.construct_params(params)
        args: Any = (
            tuple(values[k] for k in compiled.positiontup) if compiled.positional else values
        )
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args).all()
            return "\n".join(str(r[-1]) for r in rows)
        # the trigram index is usable for the search's own condition: with scans of the
        # table and of the id's index priced out, the planner takes it
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL enable_indexscan = off"))
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", args).all()
        return "\n".join(str(r[0]) for r in rows)


def test_the_database_uses_the_index(named: Engine) -> None:
    from paidfor.library import store

    if named.dialect.name == "sqlite":
        stmt = store._NAMES["trigrams"]["page"]
    else:
        stmt = store._NAMES["fold"]["page"]
        with named.connect() as conn:
            trgm = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))
            if trgm.first() is None:
                pytest.skip("this PostgreSQL server has no pg_trgm: the names are scanned")
    plan = _plan(named, stmt, {"pattern": "%vote%", "loose": "%vote%"})
    if named.dialect.name == "sqlite":
        assert "VIRTUAL TABLE INDEX" in plan and ":L" in plan, plan  # LIKE, by the index
    else:
        assert "ix_pages_name_trgm" in plan, plan


def test_a_large_load_sets_the_names_triggers_aside_and_mends_them(engine: Engine) -> None:
    """A large first load drops the names' triggers with the ads' (``bulk``); the pages it
    writes meanwhile are found once the indexes are built again, as after a kill."""
    from paidfor.storage import bulk

    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's index of trigrams is an index, kept by the server")
    dropped = bulk.drop_fts_triggers(engine)
    assert {"pages_name_fts_ai", "funders_name_fts_ai"} <= set(dropped)
    assert set(dropped) <= set(bulk.missing(engine))
    with engine.begin() as conn:
        conn.execute(insert(PageRow), [{"kind": "page", "external_id": "9", "name": "Woke Blacks"}])
    repo = LibraryRepository(engine)
    with engine.connect() as conn:
        assert repo.names_holding(conn, "page", "woke") == {}  # not followed while aside
    assert set(bulk.ensure_indexes(engine)) >= set(dropped)
    assert bulk.missing(engine) == []
    with engine.connect() as conn:
        assert list(repo.names_holding(conn, "page", "woke").values()) == ["Woke Blacks"]
    with engine.begin() as conn:
        for table in ("pages", "funders"):
            fts = f"{table}_name_fts"
            conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


def test_without_the_trigram_tables_the_names_are_scanned(named: Engine) -> None:
    """An SQLite older than 3.34 has no trigram tokenizer, and migration 0020 makes no
    tables there: the names are found by the scan, the same ones."""
    if named.dialect.name != "sqlite":
        pytest.skip("the trigram tables are SQLite's")
    with named.connect() as conn:
        want = LibraryRepository(named).names_holding(conn, "page", "vote")
    with named.begin() as conn:
        for table in ("pages", "funders"):
            for suffix in ("ai", "ad", "au"):
                conn.execute(text(f"DROP TRIGGER {table}_name_fts_{suffix}"))
            conn.execute(text(f"DROP TABLE {table}_name_fts"))
    repo = LibraryRepository(named)
    with named.connect() as conn:
        assert not repo._trigram_tables(conn)
        assert repo.names_holding(conn, "page", "vote") == want and len(want) > 3
