"""Reviewers racing on the same item, on SQLite and PostgreSQL: of several people deciding the
same held ad at the same moment exactly one wins and the others get a 409 naming the winning
decision; an override must name the decision it overrides (docs/review.md, "Two people, one
ad"). The database guards it: the decision's transaction locks the ad first and checks the
answered decision is still the latest, and a unique index refuses two answers to one
decision."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from paidfor.auth.roles import Role
from paidfor.review.election_store import ElectionRepository
from paidfor.review.intake_models import ReviewDecisionRow
from paidfor.review.intake_store import Conflict, DecisionRecord, IntakeRepository
from paidfor.review.service import ReviewService
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AdRow, AuditEventRow
from paidfor.storage.repo import AdRepository
from reliability.support import Unsure, ad_body, advertiser, staff_tokens

ROUNDS = 5  # held ads raced on, each by every reviewer
REVIEWERS = 4


@pytest.fixture
def api(
    make_api: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app with a classifier that holds every undeclared ad for a person."""
    import paidfor.services as services_module

    monkeypatch.setattr(services_module, "political_classifier", Unsure)
    with make_api() as client:
        yield client


def held_ads(api: TestClient, n: int, name: str = "Parks Notice") -> list[int]:
    auth, page = advertiser(api, name)
    ids = []
    for k in range(n):
        r = api.post("/api/me/ads", json=ad_body(page, f"A new policy on parks {k}"),
                     headers=auth)  # fmt: skip
        assert r.status_code == 201 and r.json()["decision"] == "held", r.text
        ids.append(r.json()["ad_id"])
    return ids


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, each in its own thread; their results (or what they
    raised), in order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(k: int) -> None:
        barrier.wait()
        try:
            out[k] = calls[k]()
        except Exception as exc:
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def person_decisions(engine: Engine, ad_id: int) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(ReviewDecisionRow)
                .where(ReviewDecisionRow.ad_id == ad_id, ReviewDecisionRow.by_person)
                .order_by(ReviewDecisionRow.id)
            )
        )


def overrides(engine: Engine, ad_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).where(
                    AuditEventRow.target_id == str(ad_id), AuditEventRow.action == "ad.override"
                )
            ).scalar_one()
        )


def test_reviewers_racing_over_http_one_wins_the_others_get_409(
    api: TestClient, engine: Engine
) -> None:
    reviewers = staff_tokens(engine, REVIEWERS)
    ids = held_ads(api, ROUNDS)
    held = api.get("/api/review/queue", headers=reviewers[0]).json()["held"]
    queue = {q["ad_id"]: q for q in held}
    assert set(queue) == set(ids)
    for ad_id in ids:
        held_id = queue[ad_id]["decision_id"]

        def decide(k: int, ad_id: int = ad_id, held_id: int = held_id) -> Any:
            body: dict[str, Any] = {"approve": k % 2 == 0, "reason": f"reviewer {k} decides"}
            if k % 2:  # half name the held decision they saw, half leave it to the server
                body["answers"] = held_id
            return api.post(f"/api/review/ads/{ad_id}/decision", json=body,
                            headers=reviewers[k])  # fmt: skip

        answers = race([lambda k=k: decide(k) for k in range(REVIEWERS)])
        codes = sorted(r.status_code for r in answers)
        assert codes == [200] + [409] * (REVIEWERS - 1), [r.text for r in answers]
        won = next(r.json() for r in answers if r.status_code == 200)
        assert won["answers"] == held_id
        for r in answers:
            if r.status_code == 409:
                err = r.json()["error"]
                assert err["status"] == 409 and f"(decision {won['id']})" in err["message"]
        stored = person_decisions(engine, ad_id)
        assert [(d.id, d.decision, d.answers) for d in stored] == [
            (won["id"], won["decision"], held_id)
        ]
        with engine.connect() as conn:
            status = conn.execute(select(AdRow.status).where(AdRow.id == ad_id)).scalar_one()
        assert status == won["decision"]
        assert overrides(engine, ad_id) == 1
    assert api.get("/api/review/queue", headers=reviewers[0]).json()["held"] == []
    assert verify_chain(engine) is None


def test_deciding_again_must_name_the_decision_it_overrides(
    api: TestClient, engine: Engine
) -> None:
    reviewer, admin = staff_tokens(engine, 1)[0], staff_tokens(engine, 1, Role.ADMIN)[0]
    (ad_id,) = held_ads(api, 1)
    url = f"/api/review/ads/{ad_id}/decision"
    held_id = api.get("/api/review/queue", headers=reviewer).json()["held"][0]["decision_id"]
    form = api.get("/staff/review", headers=reviewer).text  # the page's form names it too
    assert f'name="answers" value="{held_id}"' in form
    first = api.post(url, json={"approve": True, "reason": "fine", "answers": held_id},
                     headers=reviewer)  # fmt: skip
    assert first.status_code == 200, first.text
    approval = first.json()["id"]
    # Someone who still has the held ad on screen: too late, told who decided and how.
    late = api.post(url, json={"approve": False, "reason": "not so", "answers": held_id},
                    headers=admin)  # fmt: skip
    assert late.status_code == 409
    message = late.json()["error"]["message"]
    assert f"decision {held_id} is not ad {ad_id}'s latest" in message
    assert "approved by reviewer:" in message and f'"answers": {approval}' in message
    # Without naming anything: the ad is no longer held, so it is not a decision on a held ad.
    blind = api.post(url, json={"approve": False, "reason": "not so"}, headers=admin)
    assert blind.status_code == 409 and f'"answers": {approval}' in blind.json()["error"]["message"]
    # A deliberate override names the approval; it is stored and audited as an override.
    ok = api.post(url, json={"approve": False, "reason": "issue ad after all",
                             "answers": approval}, headers=admin)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["decision"] == "rejected", ok.text
    assert ok.json()["reasons"][-1]["code"] == "override"
    assert [d.answers for d in person_decisions(engine, ad_id)] == [held_id, approval]
    # An id that is no decision of this ad at all, or not a positive number.
    r = api.post(url, json={"approve": True, "reason": "x x x", "answers": 10**9}, headers=admin)
    assert r.status_code == 409
    r = api.post(url, json={"approve": True, "reason": "x x x", "answers": 0}, headers=admin)
    assert r.status_code == 422
    # Two people overriding the same decision at once: one of them.
    again = {"approve": True, "reason": "appeal upheld", "answers": ok.json()["id"]}
    both = race(
        [
            lambda h=h: api.post(url, json=again, headers=h)  # type: ignore[misc]
            for h in (reviewer, admin)
        ]
    )
    assert sorted(r.status_code for r in both) == [200, 409], [r.text for r in both]
    assert overrides(engine, ad_id) == 3
    # The web form carries the held decision it showed; a stale one is refused there too.
    page = api.get("/staff/review", headers=reviewer)
    assert page.status_code == 200
    r = api.post(
        f"/staff/review/ads/{ad_id}",
        data={"decision": "approve", "reason": "from the page", "answers": str(held_id)},
        headers=reviewer,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/staff/review#problem"
    shown = api.get("/staff/review", headers=reviewer).text
    assert 'role="alert"' in shown and "latest" in shown
    assert overrides(engine, ad_id) == 3


def test_the_database_guard_alone_stops_the_second_of_two_interleaved_decisions(
    api: TestClient, engine: Engine
) -> None:
    """Both threads read the ad's history before either writes (a barrier holds them), so
    the service's own check passes for both: only the transaction's guard can stop one."""
    ids = held_ads(api, 3, "Interleaved")
    intake = IntakeRepository(engine)

    class Slow(IntakeRepository):
        barrier = threading.Barrier(2)

        def decisions(self, ad_id: int) -> list[DecisionRecord]:
            out = super().decisions(ad_id)
            self.barrier.wait(timeout=30)
            return out

    service = ReviewService(
        Slow(engine), ElectionRepository(engine), AdRepository(engine), classifier=Unsure
    )
    for ad_id in ids:
        Slow.barrier.reset()
        results = race(
            [
                lambda a=ad_id: service.decide(a, approve=True, reason="y", actor="reviewer:a"),
                lambda a=ad_id: service.decide(a, approve=False, reason="n", actor="reviewer:b"),
            ]
        )
        won = [r for r in results if isinstance(r, DecisionRecord)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], Conflict), repr(lost[0])
        assert lost[0].latest is not None and lost[0].latest.id == won[0].id
        assert len(person_decisions(engine, ad_id)) == 1
        assert intake.decisions(ad_id)[-1].decision == won[0].decision


def test_two_rows_answering_one_decision_are_refused_by_the_unique_index(
    api: TestClient, engine: Engine
) -> None:
    (ad_id,) = held_ads(api, 1, "Index")
    held_id = IntakeRepository(engine).decisions(ad_id)[-1].id
    row = {
        "ad_id": ad_id, "decision": "approved", "political": False, "political_score": 0.4,
        "reasons": [], "findings": [], "by_person": True, "actor": "sql", "answers": held_id,
    }  # fmt: skip
    from paidfor.storage.mapping import stored_now

    with engine.begin() as conn:
        conn.execute(insert(ReviewDecisionRow), {**row, "at": stored_now()})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(ReviewDecisionRow), {**row, "at": stored_now()})
    # Automatic decisions answer nothing and are not limited.
    with engine.begin() as conn:
        for _ in range(2):
            auto = {**row, "by_person": False, "answers": None, "at": stored_now()}
            conn.execute(insert(ReviewDecisionRow), auto)


def test_submissions_naming_the_same_new_funder_at_once_share_its_row(db_url: str) -> None:
    """Found by the load test on PostgreSQL: two submissions naming a funder nobody had named
    before both looked, both inserted, and the second failed on the unique name (a 500).
    Each transaction here stays open a moment after it, so all of them look first."""
    import time

    from paidfor.review.authorization_store import funder_id
    from paidfor.storage.db import make_engine
    from paidfor.storage.models import FunderRow

    engine = make_engine(db_url, pool_size=8)

    def submit() -> int:
        with engine.begin() as conn:
            found = funder_id(conn, "Citizens for a Brand New Fund")
            time.sleep(0.3)
            return found

    found = race([submit] * 6)
    assert not [x for x in found if isinstance(x, Exception)], found
    with engine.connect() as conn:
        rows = conn.execute(
            select(FunderRow.id).where(FunderRow.name == "Citizens for a Brand New Fund")
        ).all()
    assert len(rows) == 1 and set(found) == {rows[0].id}
    engine.dispose()
