"""``paidfor exchange`` and ``paidfor token create --group`` through Typer's runner, on both
backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from paidfor.auth.tokens import TokenService
from paidfor.exchange.service import ExchangeService
from paidfor.interfaces.cli.exchange import exchange_app
from paidfor.interfaces.cli.tokens import token_app
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
    assert again.exit_code == 5 and "already a privacy group" in again.output
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
    assert gone.exit_code == 3 and "no live indicator" in gone.output


def test_sources_fetch_and_hunt(engine: Engine, tmp_path: Path) -> None:
    secret = "pf_secret_partner_token_of_company_a"
    ok(exchange_app, ["source", "add", "company-a", "--url", "https://a.example/", "--group",
                      "election-2026", "--token", secret])  # fmt: skip
    dataset = tmp_path / "tx.csv"
    dataset.write_text(
        "signal_type,signal_str,collab,category,tags\n"
        "url,https://bad.example/x,ncmec,POSITIVE_CLASS,spam\n"
        "domain,bad.example,ncmec,POSITIVE_CLASS,\n"
    )
    ok(exchange_app, ["source", "add", "tx", "--csv", str(dataset)])
    listed = json.loads(ok(exchange_app, ["source", "list", "--json"]))
    assert [(s["name"], s["kind"], s["token"]) for s in listed] == [
        ("company-a", "paidfor", "set"),
        ("tx", "csv", None),
    ]
    assert listed[0]["url"] == "https://a.example" and listed[0]["group"] == "election-2026"
    assert secret not in ok(exchange_app, ["source", "list"])
    fetched = json.loads(ok(exchange_app, ["fetch", "--source", "tx", "--json"]))
    assert fetched["sources"][0]["added"] == 2 and fetched["hunt"]["ads_checked"] == 0
    again = json.loads(ok(exchange_app, ["fetch", "--source", "tx", "--json"]))
    assert again["sources"][0]["unchanged"] == 2 and again["hunt"] is None  # nothing changed
    # an unreachable source: reported, stored, exit 1; the other source is still fetched
    failed = runner.invoke(exchange_app, ["fetch"])
    assert failed.exit_code == 1 and "cannot reach https://a.example" in failed.output
    assert (
        "cannot reach"
        in json.loads(ok(exchange_app, ["source", "list", "--json"]))[0]["last_error"]
    )
    assert json.loads(ok(exchange_app, ["hunt", "--json"]))["held"] == []
    for args, code, message in [
        (["source", "add", "x"], 2, "either --url"),
        (["source", "add", "x", "--url", "https://a", "--csv", "f"], 2, "either --url"),
        (["source", "add", "x", "--url", "https://a.example"], 2, "needs --group"),
        (["source", "add", "x", "--csv", str(tmp_path / "none.csv")], 2, "no such file"),
        (["source", "add", "tx", "--csv", str(dataset)], 5, "already a source named 'tx'"),
        (["fetch", "--source", "nope"], 3, "no exchange source named 'nope'"),
    ]:
        result = runner.invoke(exchange_app, args)
        assert result.exit_code == code and message in result.output, (args, result.output)
    ok(exchange_app, ["source", "remove", "tx"])
    assert [s["name"] for s in json.loads(ok(exchange_app, ["source", "list", "--json"]))] == [
        "company-a"
    ]
