"""The updates feed on SQLite and PostgreSQL: a client that pages it, from the start or from
any earlier cursor, with any page sizes, and applies upserts and tombstones ends with exactly
the group's live set, whatever mix of adds, updates, deletes, expiries and reactions ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.model import Conflict, Member
from paidfor.exchange.service import ExchangeService

START = datetime(2026, 11, 1, tzinfo=UTC)
VALUES = {
    "url": ["https://bad.example/a", "https://bad.example/b", "http://x.example/"],
    "domain": ["bad.example", "x.example"],
    "raw_text": ["buy cheap pills now", "vote on wednesday"],
    "pdq": ["f" * 64, "0" * 63 + "1"],
}
SERIAL = count()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Mirror:
    """What a member's client keeps: indicators by id, and by (type, value) as the
    threatexchange library keys them."""

    cursor: str = ""
    by_id: dict[int, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def sync(self, service: ExchangeService, who: Member, group: str, sizes: list[int]) -> int:
        """Page the feed to its end; the number of items applied."""
        applied = 0
        i = 0
        while True:
            page = service.updates(who, group, self.cursor, sizes[i % len(sizes)])
            i += 1
            for item in page.items:
                data = item.as_json(service.clock())
                key = (data["type"], data["value"])
                if data["should_delete"]:
                    self.by_id.pop(data["id"], None)
                    if self.by_key.get(key, {}).get("id") == data["id"]:
                        del self.by_key[key]
                else:
                    self.by_id[data["id"]] = data
                    self.by_key[key] = data
            applied += len(page.items)
            assert int(page.cursor) >= int(self.cursor or 0)
            self.cursor = page.cursor
            if not page.has_more:
                assert len(page.items) <= sizes[(i - 1) % len(sizes)]
                return applied


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("seq", "updated_at")}


def setup(engine: Engine) -> tuple[ExchangeService, Clock, Member, Member, str]:
    clock = Clock()
    service = ExchangeService(engine, clock=clock)
    group = f"g{next(SERIAL)}"
    service.create_group(group, None, "test")
    _token, who = TokenService(engine).create(Role.PARTNER, "acme", groups=[group])
    partner = service.partner(who.token_id, who.name, who.actor)
    return service, clock, service.staff("test:staff"), partner, group


OP = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from(sorted(VALUES)),
        st.integers(0, 2),
        st.booleans(),
        st.one_of(st.none(), st.integers(1, 100)),
    ),
    st.tuples(st.just("update"), st.integers(0, 50), st.booleans(), st.integers(0, 100)),
    st.tuples(st.just("delete"), st.integers(0, 50), st.booleans()),
    st.tuples(st.just("react"), st.integers(0, 50), st.booleans(), st.integers(0, 3)),
    st.tuples(st.just("tick"), st.integers(1, 120)),
    st.tuples(st.just("sync"), st.lists(st.integers(1, 5), min_size=1, max_size=3)),
)
REACTIONS = ["HELPFUL", "SAW_THIS_TOO", "NOT_HELPFUL", "DISAGREE_WITH_TAGS"]


def run(service: ExchangeService, clock: Clock, members: list[Member], group: str,
        ops: list[Any], client: Mirror, marks: list[Mirror]) -> None:  # fmt: skip
    ids: list[int] = []
    for op in ops:
        kind = op[0]
        if kind == "add":
            _, t, n, as_partner, ttl = op
            values = VALUES[t]
            expires = clock.now + timedelta(seconds=ttl) if ttl else None
            try:
                view = service.add(members[as_partner], type=t, value=values[n % len(values)],
                                   group=group, status="MALICIOUS", tags=["ira"],
                                   expires_at=expires)  # fmt: skip
                ids.append(view.id)
            except Conflict:
                pass
        elif kind in ("update", "delete", "react") and ids:
            target = ids[op[1] % len(ids)]
            live = {v.id: v for v in service.indicators(members[0], group)}
            if target not in live:
                continue
            owner = members[1] if live[target].owner_token_id else members[0]
            if kind == "update":
                service.update(owner, target, {"confidence": op[3], "tags": ["ira", f"t{op[3]}"]})
            elif kind == "delete":
                service.delete(owner, target)
            else:
                service.react(members[op[2]], target, REACTIONS[op[3]])
        elif kind == "tick":
            clock.now += timedelta(seconds=op[1])
        elif kind == "sync":
            client.sync(service, members[1], group, op[1])
            marks.append(Mirror(client.cursor, dict(client.by_id), dict(client.by_key)))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=st.lists(OP, max_size=40), sizes=st.lists(st.integers(1, 7), min_size=1, max_size=4),
       pick=st.integers(0, 1000))  # fmt: skip
def test_a_client_paging_the_feed_mirrors_the_group_exactly(
    engine: Engine, ops: list[Any], sizes: list[int], pick: int
) -> None:
    service, clock, staff, partner, group = setup(engine)
    client = Mirror()
    marks: list[Mirror] = [Mirror()]
    run(service, clock, [staff, partner], group, ops, client, marks)
    client.sync(service, partner, group, sizes)
    live = {v.id: v.as_json(clock()) for v in service.indicators(staff, group)}
    assert {i: comparable(d) for i, d in client.by_id.items()} == {
        i: comparable(d) for i, d in live.items()
    }
    assert {k: d["id"] for k, d in client.by_key.items()} == {
        (d["type"], d["value"]): i for i, d in live.items()
    }
    # A client that stopped at any earlier cursor catches up to the same set.
    late = marks[pick % len(marks)]
    late.sync(service, partner, group, list(reversed(sizes)))
    assert late.by_id.keys() == live.keys()
    assert {i: comparable(d) for i, d in late.by_id.items()} == {
        i: comparable(d) for i, d in live.items()
    }
    # Nothing new: a read from the last cursor returns nothing, and keeps the cursor.
    again = service.updates(partner, group, client.cursor, 5)
    assert (again.items, again.cursor, again.has_more) == ([], client.cursor, False)


def test_an_expired_indicator_becomes_a_tombstone_with_a_new_stamp(engine: Engine) -> None:
    service, clock, staff, partner, group = setup(engine)
    keep = service.add(staff, type="domain", value="Keep.Example", group=group)
    gone = service.add(partner, type="url", value="https://bad.example/x", group=group,
                       expires_at=clock.now + timedelta(minutes=5))  # fmt: skip
    client = Mirror()
    assert client.sync(service, partner, group, [1]) == 2
    assert set(client.by_id) == {keep.id, gone.id}
    clock.now += timedelta(minutes=6)
    assert client.sync(service, partner, group, [10]) == 1  # just the tombstone
    assert set(client.by_id) == {keep.id}
    page = service.updates(partner, group, "", 10)
    tomb = next(i for i in page.items if i.id == gone.id)
    assert tomb.deleted and tomb.seq > gone.seq and tomb.as_json(clock())["should_delete"]
    assert [v.id for v in service.indicators(staff, group)] == [keep.id]
    assert keep.value == "keep.example"
