"""The interest mapping staff edit (art. 18(1)(c) of Regulation (EU) 2024/900), on SQLite and
PostgreSQL: the shipped interests with staff's changes over them, each change audited, through
the store and through ``paidfor ttpa``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paidfor.errors import Invalid
from paidfor.interfaces.cli.ttpa import ttpa_app
from paidfor.review.declaration_store import DeclarationRepository
from paidfor.settings import get_settings
from paidfor.storage.audit import verify_chain
from paidfor.storage.audit_query import list_events
from paidfor.storage.db import make_engine

runner = CliRunner()


def test_staff_change_the_mapping_and_every_change_is_audited(engine: Engine) -> None:
    repo = DeclarationRepository(engine)
    shipped = repo.interest_categories()
    assert shipped["muslims"] == "religious_or_philosophical_beliefs"
    assert repo.set_interest("  Kurdish   people ", "racial_or_ethnic_origin", actor="staff:ana",
                             note="targeted in 2026") == ("kurdish people", None)  # fmt: skip
    assert repo.set_interest("Patriotism", "none", actor="staff:ana") == (
        "patriotism",
        "political_opinions",
    )
    now = repo.interest_categories()
    assert now["kurdish people"] == "racial_or_ethnic_origin" and "patriotism" not in now
    assert set(now) == (set(shipped) | {"kurdish people"}) - {"patriotism"}
    events = list_events(engine, action_prefix="ttpa.")
    assert [(e.target_id, e.after) for e in events] == [
        ("patriotism", {"category": None}),
        ("kurdish people", {"category": "racial_or_ethnic_origin"}),
    ]
    assert events[1].actor == "staff:ana" and events[1].reason == "targeted in 2026"
    assert verify_chain(engine) is None
    with pytest.raises(Invalid, match="unknown category"):
        repo.set_interest("Cats", "pets", actor="staff:ana")


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_the_ttpa_commands(cli_db: Engine) -> None:
    r = runner.invoke(ttpa_app, ["interest-set", "--interest", "Trade Unions", "--category",
                                 "none", "--actor", "ops", "--reason", "a test"])  # fmt: skip
    assert r.exit_code == 0 and '"trade unions": trade_union_membership -> none' in r.output
    r = runner.invoke(ttpa_app, ["interest-set", "--interest", "x", "--category", "pets"])
    assert r.exit_code == 2, r.output
    r = runner.invoke(ttpa_app, ["interests", "--json"])
    mapping = json.loads(r.output)
    assert "trade unions" not in mapping and mapping["muslims"].startswith("religious")
    r = runner.invoke(ttpa_app, ["voting-ages"])
    assert "AT 16" in r.output and "DE 18" in r.output
