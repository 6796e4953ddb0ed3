"""``paidfor token create|list|revoke`` through Typer's runner, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paidfor.auth.tokens import TokenService, hash_token
from paidfor.interfaces.cli.tokens import token_app
from paidfor.settings import get_settings
from paidfor.storage.models import AuditEventRow

runner = CliRunner()


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_create_prints_a_token_once_that_authenticates(engine: Engine) -> None:
    result = runner.invoke(token_app, ["create", "--role", "reviewer", "--name", "alice"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pf_") and "\n" not in token
    assert "will not be shown again" in result.stderr and token not in result.stderr
    who = TokenService(engine).authenticate(token)
    assert who is not None and who.name == "alice" and who.role.value == "reviewer"
    with engine.connect() as conn:
        event = conn.execute(select(AuditEventRow.__table__)).one()
    assert event.action == "token.create" and event.actor.startswith("cli")

    listed = runner.invoke(token_app, ["list"])
    assert listed.exit_code == 0 and "alice" in listed.stdout and token[:10] in listed.stdout
    as_json = runner.invoke(token_app, ["list", "--json"])
    rows = json.loads(as_json.stdout)
    assert [(r["id"], r["name"], r["role"], r["prefix"]) for r in rows] == [
        (who.token_id, "alice", "reviewer", token[:10])
    ]
    assert rows[0]["last_used_at"] is not None and rows[0]["revoked_at"] is None
    for out in (listed.output, as_json.output):
        assert token not in out and hash_token(token) not in out

    revoked = runner.invoke(token_app, ["revoke", str(who.token_id), "--reason", "test"])
    assert revoked.exit_code == 0 and f"revoked token #{who.token_id}" in revoked.stdout
    assert TokenService(engine).authenticate(token) is None
    again = runner.invoke(token_app, ["revoke", str(who.token_id)])
    assert again.exit_code == 0 and "already revoked" in again.stdout
    assert json.loads(runner.invoke(token_app, ["list", "--json"]).stdout)[0]["revoked_at"]


def test_bad_input_is_a_clear_error() -> None:
    bad_role = runner.invoke(token_app, ["create", "--role", "root", "--name", "x"])
    assert bad_role.exit_code == 2 and "unknown role 'root'" in bad_role.stderr
    assert "reviewer" in bad_role.stderr and bad_role.stdout == ""
    no_account = runner.invoke(token_app, ["create", "--role", "advertiser", "--name", "x"])
    assert no_account.exit_code == 2 and "advertiser account" in no_account.stderr
    missing = runner.invoke(token_app, ["revoke", "12345"])
    assert missing.exit_code == 3 and "no token #12345" in missing.stderr
    assert json.loads(runner.invoke(token_app, ["list", "--json"]).stdout) == []
