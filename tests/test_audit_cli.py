"""``paidfor audit`` and ``paidfor election`` through their Typer sub-apps, on both backends:
the chain verifies, and stops verifying once an event is altered, removed or reordered."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from paidfor.interfaces.cli.audit import audit_app
from paidfor.interfaces.cli.elections import election_app
from paidfor.review.elections import default_elections
from paidfor.settings import get_settings
from paidfor.storage.audit import append_event
from paidfor.storage.db import make_engine

runner = CliRunner()


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An engine on the database the commands use (PAIDFOR_DATABASE_URL)."""
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def _chain(engine: Engine, n: int = 5) -> list[int]:
    """``n`` import events; their ids, oldest first."""
    ids = []
    for i in range(n):
        event = append_event(
            engine,
            actor="tester",
            action="import",
            target_type="source",
            target_id=str(i),
            reason=f"run {i}",
            after={"n": i},
        )
        assert event.id is not None
        ids.append(event.id)
    return ids


def _verify(*args: str) -> tuple[int, str]:
    r = runner.invoke(audit_app, ["verify", *args])
    return r.exit_code, r.output


def test_verify_passes_then_fails_after_an_event_is_altered(db: Engine) -> None:
    assert _verify() == (0, "audit chain intact: 0 events\n")
    ids = _chain(db)
    code, output = _verify()
    assert code == 0 and output.startswith("audit chain intact: 5 events; head "), output

    third = ids[2]
    with db.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET reason = 'edited' WHERE id = :id"), {"id": third}
        )
    code, output = _verify()
    assert code == 1
    assert f"audit chain broken at event {third} (import, source 2, " in output
    assert "altered" in output and "2 events before it check out" in output

    code, output = _verify("--json")
    report = json.loads(output)
    assert code == 1 and report["intact"] is False and report["events"] == 2
    assert report["broken"]["id"] == third and report["broken"]["problem"] == "altered"
    assert report["broken"]["reason"] == "edited"


def test_verify_catches_a_removed_event(db: Engine) -> None:
    ids = _chain(db)
    with db.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    code, output = _verify()
    assert code == 1
    assert f"broken at event {ids[2]} (import, source 2, " in output
    assert f"does not match the hash of event {ids[0]}" in output
    assert json.loads(_verify("--json")[1])["broken"]["problem"] == "unlinked"


def test_verify_catches_reordered_and_rehashed_events(db: Engine) -> None:
    ids = _chain(db)
    columns = "actor, action, target_type, target_id, reason, prev_hash, hash"
    with db.begin() as conn:
        a, b = (
            conn.execute(text(f"SELECT {columns} FROM audit_events WHERE id = :id"), {"id": i})
            .one()
            ._asdict()
            for i in (ids[1], ids[3])
        )
        # Swap two events whole (hashes too), parking one hash to keep the column unique.
        sets = ", ".join(f"{c} = :{c}" for c in columns.split(", "))
        conn.execute(text("UPDATE audit_events SET hash = 'x' WHERE id = :id"), {"id": ids[1]})
        conn.execute(text(f"UPDATE audit_events SET {sets} WHERE id = :id"), {**a, "id": ids[3]})
        conn.execute(text(f"UPDATE audit_events SET {sets} WHERE id = :id"), {**b, "id": ids[1]})
    code, output = _verify()
    assert code == 1 and f"broken at event {ids[1]} (import, source 3, " in output


def test_list_newest_first_with_an_action_prefix(db: Engine) -> None:
    _chain(db, 3)
    append_event(
        db, actor="ops", action="election.add", target_type="election", target_id="7", reason="x"
    )
    r = runner.invoke(audit_app, ["list", "--json"])
    assert r.exit_code == 0
    events = json.loads(r.output)
    assert [e["action"] for e in events] == ["election.add", "import", "import", "import"]
    assert [e["target_id"] for e in events[1:]] == ["2", "1", "0"]
    assert {"actor", "action", "target_type", "target_id", "reason", "at"} <= set(events[0])

    r = runner.invoke(audit_app, ["list", "--json", "--action", "election.", "--limit", "5"])
    assert [e["actor"] for e in json.loads(r.output)] == ["ops"]
    r = runner.invoke(audit_app, ["list", "--limit", "2"])
    assert r.exit_code == 0 and "election.add" in r.output and "tester" in r.output
    r = runner.invoke(audit_app, ["list", "--action", "nothing"])
    assert r.exit_code == 0 and "no audit events" in r.output


def test_election_commands_are_audited_and_verified(db: Engine) -> None:
    args = ["add", "--country", "us", "--name", "2020 general election", "--date", "2020-11-03"]
    r = runner.invoke(election_app, [*args, "--reason", "new cycle"])
    assert r.exit_code == 0 and r.output.startswith("added election "), r.output
    r = runner.invoke(election_app, [*args, "--blackout-days", "7", "--actor", "ops"])
    assert r.exit_code == 0 and r.output.startswith("updated election "), r.output
    r = runner.invoke(election_app, [*args, "--blackout-days", "7"])
    assert r.exit_code == 0 and r.output.startswith("unchanged election "), r.output

    shipped = len(default_elections())
    r = runner.invoke(election_app, ["load-defaults"])
    assert r.exit_code == 0 and f"added {shipped}, already stored 0" in r.output
    r = runner.invoke(election_app, ["load-defaults"])
    assert r.exit_code == 0 and f"added 0, already stored {shipped}" in r.output

    r = runner.invoke(election_app, ["list", "--json", "--country", "US"])
    assert r.exit_code == 0
    listed = json.loads(r.output)
    assert [(e["date"], e["blackout_days"]) for e in listed] == [
        ("2016-11-08", 0),
        ("2018-11-06", 0),
        ("2020-11-03", 7),
    ]
    assert all(e["authorization_required"] and e["country"] == "US" for e in listed)
    r = runner.invoke(election_app, ["list"])
    assert r.exit_code == 0 and "Bundestagswahl 2017" in r.output, r.output

    r = runner.invoke(audit_app, ["list", "--json", "--action", "election."])
    actions = [e["action"] for e in json.loads(r.output)]
    assert actions == ["election.add"] * shipped + ["election.update", "election.add"]
    assert _verify()[0] == 0

    # Rewriting history (the update's before/after) breaks the chain at that event.
    update_id = json.loads(r.output)[shipped]["id"]
    with db.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor = 'someone' WHERE id = :i"), {"i": update_id}
        )
    code, output = _verify()
    assert code == 1 and f"broken at event {update_id} (election.update, election " in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX"], "not an ISO 3166-1 alpha-2 country code: 'XX'"),
        (["--country", "UK"], "the United Kingdom is GB"),
        (["--date", "2020-02-30"], "not a real date: '2020-02-30'"),
        (["--date", "3 Nov 2020"], "not a date in the form YYYY-MM-DD"),
        (["--blackout-days", "61"], "blackout days must be between 0 and 60, not 61"),
        (["--blackout-days", "-1"], "between 0 and 60"),
        (["--name", " "], "needs a name"),
    ],
)
def test_bad_election_input_exits_2(db: Engine, args: list[str], message: str) -> None:
    base = {"--country": "US", "--name": "x", "--date": "2020-11-03"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [part for pair in base.items() for part in pair]
    r = runner.invoke(election_app, ["add", *flat])
    assert r.exit_code == 2 and message in r.output, r.output
    assert json.loads(runner.invoke(election_app, ["list", "--json"]).output) == []


def test_list_with_a_bad_country_exits_2(db: Engine) -> None:
    r = runner.invoke(election_app, ["list", "--country", "Germany"])
    assert r.exit_code == 2 and "alpha-2" in r.output
