"""Elections in the database, on SQLite and PostgreSQL: audited add/update, list, defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import Engine

from paidfor.domain import Election
from paidfor.review.election_store import ElectionRepository
from paidfor.review.elections import default_elections, load_default_elections
from paidfor.storage.audit import verify_chain
from paidfor.storage.audit_query import count_events, list_events


def test_add_update_and_unchanged_are_audited(engine: Engine) -> None:
    repo = ElectionRepository(engine)
    added, outcome = repo.save(
        Election(country="fr", name="Présidentielle 2017", date=date(2017, 4, 23)),
        actor="alice",
        reason="first round",
    )
    assert outcome == "added" and added.id is not None and added.country == "FR"
    assert repo.get(added.id) == added

    changed = Election(
        country="FR", name="Présidentielle 2017", date=date(2017, 4, 23), blackout_days=1
    )
    updated = repo.add(changed, actor="bob", reason="electoral silence")
    assert updated.id == added.id and updated.blackout_days == 1
    assert repo.save(changed, actor="bob")[1] == "unchanged"
    assert [e.id for e in repo.list()] == [added.id]

    newest, oldest = list_events(engine, action_prefix="election.")
    assert (oldest.action, oldest.actor, oldest.reason) == ("election.add", "alice", "first round")
    assert oldest.before is None and oldest.after is not None
    assert oldest.after["blackout_days"] == 0 and oldest.after["date"] == "2017-04-23"
    assert oldest.target_type == "election" and oldest.target_id == str(added.id)
    assert newest.action == "election.update" and newest.actor == "bob"
    assert newest.before is not None and newest.after is not None
    assert (newest.before["blackout_days"], newest.after["blackout_days"]) == (0, 1)
    assert count_events(engine) == 2  # the unchanged save wrote nothing
    assert verify_chain(engine) is None


def test_list_filters_by_country_and_sorts_by_date(engine: Engine) -> None:
    repo = ElectionRepository(engine)
    for country, name, d in [
        ("US", "b", date(2018, 11, 6)),
        ("DE", "c", date(2017, 9, 24)),
        ("US", "a", date(2016, 11, 8)),
    ]:
        repo.add(Election(country=country, name=name, date=d), actor="t")
    assert [e.name for e in repo.list()] == ["a", "c", "b"]
    assert [e.name for e in repo.list("us")] == ["a", "b"]
    assert repo.list("GB") == []
    assert repo.get(10_000) is None


def test_same_name_in_two_countries_is_two_elections(engine: Engine) -> None:
    repo = ElectionRepository(engine)
    a = repo.add(Election(country="US", name="general", date=date(2020, 11, 3)), actor="t")
    b = repo.add(Election(country="GB", name="general", date=date(2019, 12, 12)), actor="t")
    assert a.id != b.id and len(repo.list()) == 2


def test_defaults_load_once_and_keep_local_changes(engine: Engine) -> None:
    shipped = len(default_elections())
    assert load_default_elections(ElectionRepository(engine)) == shipped
    repo = ElectionRepository(engine)
    stored = repo.list()
    assert [(e.country, e.date) for e in stored][:3] == [
        ("US", date(2016, 11, 8)),
        ("DE", date(2017, 9, 24)),
        ("US", date(2018, 11, 6)),
    ]
    assert stored[0].level == "national" and stored[0].source_url.startswith("https://www.fec")
    assert {e.level for e in stored} == {"national", "regional", "local"}
    events = list_events(engine)
    assert len(events) == shipped and {e.action for e in events} == {"election.add"}
    assert {e.actor for e in events} == {"system"}

    german = next(e for e in stored if e.country == "DE" and e.date.year == 2017)
    assert german.id is not None
    repo.add(replace(german, blackout_days=2), actor="ops")
    assert load_default_elections(ElectionRepository(engine), actor="again") == 0  # idempotent
    assert repo.get(german.id) == replace(german, blackout_days=2)  # the local change stays
    assert count_events(engine) == shipped + 1 and verify_chain(engine) is None
    assert len(repo.list()) == len(default_elections())
