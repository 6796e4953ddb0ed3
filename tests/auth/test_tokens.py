"""TokenService and the token repository on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, insert, inspect, select, text

from paidfor.auth.roles import STAFF_ROLES, Principal, Role
from paidfor.auth.tokens import TokenService, hash_token
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AdvertiserRow, ApiTokenRow, AuditEventRow


class Clock:
    """A settable clock for the service."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _advertiser(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                insert(AdvertiserRow).returning(AdvertiserRow.id),
                {"name": "Acme PAC", "country": "US", "disabled": False},
            ).scalar_one()
        )


def _everything(engine: Engine) -> str:
    """Every value of every row of every table, as one string."""
    parts: list[str] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def test_roles_and_principal_actor() -> None:
    assert {r.value for r in Role} == {"advertiser", "reviewer", "investigator", "partner", "admin"}
    assert frozenset({Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN}) == STAFF_ROLES
    who = Principal(token_id=3, name="alice", role=Role.REVIEWER, advertiser_id=None)
    assert who.actor == "reviewer:alice#3"
    assert who.has_role(Role.REVIEWER) and not who.has_role(Role.INVESTIGATOR)
    admin = Principal(1, "root", Role.ADMIN, None)
    assert all(admin.has_role(r) for r in Role)
    assert Role.parse(" Reviewer ") is Role.REVIEWER
    with pytest.raises(ValueError, match="choose one of"):
        Role.parse("superuser")


def test_tokens_are_stored_hashed_and_authenticate(engine: Engine, tmp_path: Any) -> None:
    tokens = TokenService(engine)
    token, who = tokens.create(Role.REVIEWER, "alice")
    assert token.startswith("pf_") and len(token) == 46
    assert who.role is Role.REVIEWER and who.name == "alice" and who.advertiser_id is None

    with engine.connect() as conn:
        row = conn.execute(select(ApiTokenRow.__table__)).one()
    assert row.token_hash == hash_token(token) and len(row.token_hash) == 64
    assert row.prefix == token[:10]
    dump = _everything(engine)
    assert token not in dump and token[10:30] not in dump
    if engine.dialect.name == "sqlite":
        for path in tmp_path.glob("paidfor.db*"):
            assert token.encode() not in path.read_bytes()

    assert tokens.authenticate(token) == who
    assert tokens.get(who.token_id) == who
    for bad in ["", "pf_", token + "x", token[:-1], "Bearer " + token, token.upper(), "x" * 5000]:
        assert tokens.authenticate(bad) is None


def test_revoke_ends_the_token_and_is_audited(engine: Engine) -> None:
    tokens = TokenService(engine)
    token, who = tokens.create("investigator", "bob", actor="admin:root#1")
    done = tokens.revoke(who.token_id, "admin:root#1", "left the team")
    assert done is not None and not done.active and done.revoked_at is not None
    assert tokens.authenticate(token) is None and tokens.get(who.token_id) is None
    again = tokens.revoke(who.token_id, "admin:root#1")
    assert again is not None and again.revoked_at == done.revoked_at
    assert tokens.revoke(999_999, "admin:root#1") is None

    with engine.connect() as conn:
        events = conn.execute(select(AuditEventRow.__table__).order_by(AuditEventRow.id)).all()
    assert [(e.action, e.actor, e.target_id) for e in events] == [
        ("token.create", "admin:root#1", str(who.token_id)),
        ("token.revoke", "admin:root#1", str(who.token_id)),
    ]
    assert events[0].after is not None and events[0].after["role"] == "investigator"
    assert events[1].reason == "left the team"
    assert token not in str(events[0].after) and hash_token(token) not in str(events[0].after)
    assert verify_chain(engine) is None


def test_list_shows_no_secrets(engine: Engine) -> None:
    tokens = TokenService(engine)
    t1, _ = tokens.create(Role.ADMIN, "root")
    t2, who = tokens.create(Role.PARTNER, "acme-security")
    listed = tokens.list()
    assert [(t.name, t.role) for t in listed] == [("root", "admin"), ("acme-security", "partner")]
    shown = repr(listed) + str([t.as_json() for t in listed])
    for token in (t1, t2):
        assert token not in shown and hash_token(token) not in shown
    assert listed[1].prefix == t2[:10] and listed[1].id == who.token_id


def test_advertiser_tokens_act_for_an_account(engine: Engine) -> None:
    tokens = TokenService(engine)
    account = _advertiser(engine)
    token, who = tokens.create(Role.ADVERTISER, "acme", advertiser_id=account)
    assert who.advertiser_id == account
    assert tokens.authenticate(token) == who
    with pytest.raises(ValueError, match="needs the advertiser account"):
        tokens.create(Role.ADVERTISER, "nobody")
    with pytest.raises(ValueError, match="no advertiser with id"):
        tokens.create(Role.ADVERTISER, "ghost", advertiser_id=account + 100)
    with pytest.raises(ValueError, match="only advertiser tokens"):
        tokens.create(Role.REVIEWER, "alice", advertiser_id=account)
    with pytest.raises(ValueError, match="name"):
        tokens.create(Role.REVIEWER, "   ")
    with pytest.raises(ValueError, match="unknown role"):
        tokens.create("root", "alice")


def test_last_used_is_written_at_most_once_a_minute(engine: Engine) -> None:
    clock = Clock()
    tokens = TokenService(engine, clock=clock)
    token, who = tokens.create(Role.REVIEWER, "alice")
    updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert tokens.authenticate(token) is not None
        first = tokens.find(who.token_id)
        assert first is not None and first.last_used_at == clock.now
        for seconds in (1, 30, 59):
            clock.now = first.last_used_at + timedelta(seconds=seconds)
            assert tokens.authenticate(token) is not None
        assert len(updates) == 1
        found = tokens.find(who.token_id)
        assert found is not None and found.last_used_at == first.last_used_at

        clock.now = first.last_used_at + timedelta(seconds=61)
        assert tokens.authenticate(token) is not None
        assert len(updates) == 2
        found = tokens.find(who.token_id)
        assert found is not None and found.last_used_at == clock.now
        # A racing writer that already touched it this minute: the guarded UPDATE skips.
        assert not tokens.repo.touch(who.token_id, clock.now, min_interval=timedelta(minutes=1))
    finally:
        event.remove(engine, "before_cursor_execute", count)
