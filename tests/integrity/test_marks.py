"""The investigator's loop on SQLite and PostgreSQL: a member of a case marked legitimate is
left out of the next detection while its evidence is the same and raised again with new
evidence; a member marked confirmed stays; every mark is audited; precision on reviewed
findings is counted by week; marks need a member of the case and a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from paidfor.integrity.cases import CaseService, NotFound
from paidfor.integrity.marks import apply_marks
from paidfor.integrity.model import EntityKey, Evidence, Link, Member, Network
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AuditEventRow

A, B, C = EntityKey("advertiser", 1), EntityKey("advertiser", 2), EntityKey("advertiser", 3)
CARD = Evidence("payment", "fp-1", 1.0, 3)
DEVICE = Evidence("device", "d-9", 0.9, 2)


def network(*extra: Link) -> Network:
    members = [Member(k, f"acc {k.id}", 0.5) for k in (A, B, C)]
    links = [Link(A, B, 1.0, (CARD,)), Link(B, C, 1.0, (CARD,)), *extra]
    return Network(members, links, 0.9, "three accounts on one card")


def test_marked_legitimate_is_held_back_until_new_evidence(engine: Engine) -> None:
    service = CaseService(engine)
    case_id = service.open_case(network(), "investigator:t#1")
    service.mark(case_id, C, verdict="legitimate", reason="a declared agency", actor="inv:t#1")
    service.mark(case_id, A, verdict="confirmed", reason="roubles", actor="inv:t#1")
    latest = service.marks.latest()
    actors = {k: k for k in (A, B, C)}

    again = apply_marks([network()], latest, actors)
    (net,) = again.networks
    assert {m.key for m in net.members} == {A, B}
    assert again.held_back == {C: case_id} and not again.raised_again
    assert all(C not in (link.a, link.b) for link in net.links)

    grown = apply_marks([network(Link(B, C, 0.9, (DEVICE,)))], latest, actors)
    assert {m.key for m in grown.networks[0].members} == {A, B, C}
    assert grown.raised_again == {C: case_id}

    service.mark(case_id, A, verdict="legitimate", reason="it was a mistake", actor="inv:t#1")
    service.mark(case_id, B, verdict="legitimate", reason="their agency", actor="inv:t#1")
    left = apply_marks([network()], service.marks.latest(), actors)
    assert left.networks == []  # fewer than two actors left: not reported

    weeks = service.precision()
    assert len(weeks) == 1 and weeks[0]["legitimate"] == 3 and weeks[0]["confirmed"] == 0
    with engine.connect() as conn:
        actions = conn.scalars(
            select(AuditEventRow.action).where(AuditEventRow.target_id == str(case_id))
        ).all()
    assert actions.count("finding_legitimate") == 3 and actions.count("finding_confirmed") == 1
    assert verify_chain(engine) is None


def test_a_mark_needs_a_member_of_the_case_and_a_reason(engine: Engine) -> None:
    service = CaseService(engine)
    case_id = service.open_case(network(), "investigator:t#1")
    with pytest.raises(NotFound, match="not a member"):
        service.mark(case_id, EntityKey("page", 99), verdict="confirmed", reason="x" * 5,
                     actor="a")  # fmt: skip
    with pytest.raises(NotFound, match="no case"):
        service.mark(case_id + 1, A, verdict="confirmed", reason="xxxxx", actor="a")
    with pytest.raises(ValueError, match="reason"):
        service.mark(case_id, A, verdict="confirmed", reason="  ", actor="a")
    with pytest.raises(ValueError, match="verdict"):
        service.mark(case_id, A, verdict="maybe", reason="xxxxx", actor="a")
    with pytest.raises(NotFound, match="no relationship"):
        service.mark(case_id, A, verdict="legitimate", reason="xxxxx", actor="a",
                     relationship_id=12345)  # fmt: skip
