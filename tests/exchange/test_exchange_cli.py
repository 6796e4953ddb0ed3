"""``paidfor exchange`` and ``paidfor token create --group`` through Typer's runner, on both
backends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paidfor.auth.cli import token_app
from paidfor.auth.tokens import TokenService
from paidfor.exchange.cli import exchange_app
from paidfor.exchange.service import ExchangeService
from paidfor.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def ok(app: object, args: list[str]) -> str:
    result = runner.invoke(app, args)  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    return result.stdout


def test_groups_partner_tokens_and_indicators(engine: Engine) -> None:
    ok(exchange_app, ["group", "create", "shared", "--description", "with acme"])
    again = runner.invoke(exchange_app, ["group", "create", "shared"])
    assert again.exit_code == 1 and "already a privacy group" in again.output
    listed = json.loads(ok(exchange_app, ["group", "list", "--json"]))
    assert [(g["name"], g["description"]) for g in listed] == [("shared", "with acme")]

    token = ok(token_app, ["create", "--role", "partner", "--name", "acme", "--group", "shared"])
    who = TokenService(engine).authenticate(token.strip())
    assert who is not None and who.role.value == "partner"
    service = ExchangeService(engine)
    assert [g.name for g in service.groups(service.partner(who.token_id, "acme", who.actor))] == [
        "shared"
    ]
    for args, message in [
        (["--role", "reviewer", "--name", "bob", "--group", "shared"], "only partner tokens"),
        (["--role", "partner", "--name", "bob", "--group", "nope"], "no privacy group named nope"),
    ]:
        refused = runner.invoke(token_app, ["create", *args])
        assert refused.exit_code == 2 and message in refused.output

    added = ok(exchange_app, ["indicator", "add", "--type", "domain", "--value", "Bad.Example",
                              "--status", "MALICIOUS", "--tag", "ira", "--tag", "Election_Ads",
                              "--group", "shared", "--confidence", "90",
                              "--expires", "2999-01-01T00:00:00+00:00"])  # fmt: skip
    assert "added indicator #" in added
    rows = json.loads(ok(exchange_app, ["indicator", "list", "--group", "shared", "--json"]))
    assert [(r["value"], r["tags"], r["owner"], r["confidence"]) for r in rows] == [
        ("bad.example", ["election_ads", "ira"], "paidfor", 90)
    ]
    bad = runner.invoke(exchange_app, ["indicator", "add", "--type", "pdq", "--value", "xyz",
                                       "--group", "shared"])  # fmt: skip
    assert bad.exit_code == 2 and "64 hexadecimal digits" in bad.output
    ok(exchange_app, ["indicator", "delete", str(rows[0]["id"])])
    assert json.loads(ok(exchange_app, ["indicator", "list", "--group", "shared", "--json"])) == []
    gone = runner.invoke(exchange_app, ["indicator", "delete", str(rows[0]["id"])])
    assert gone.exit_code == 1 and "no live indicator" in gone.output
