"""Notifications of possibly non-compliant political ads (art. 15 of Regulation (EU)
2024/900), through the HTTP API and the public form on SQLite and PostgreSQL: anyone notifies
an ad in the library and gets a receipt and a secret; the status opens with both and with
nothing else; a reviewer (and nobody else) reads the notifications with the notifier's contact
and decides with a reason; the notifier reads that outcome; every step is audited without the
notifier's contact or words; the deadline is 48 hours in the month before a vote; the public
routes are rate-limited. And the deadline rule itself (``domain.ttpa.response_deadline``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.domain import Election
from paidfor.domain.ttpa import RequesterKind, response_deadline
from paidfor.review.election_store import ElectionRepository
from paidfor.storage.audit import verify_chain
from paidfor.storage.audit_query import list_events
from review.test_ttpa_flow import ad, declaration, reviewer, sponsor, vote

__all__ = ["reviewer", "vote"]  # fixtures of test_ttpa_flow, used here
NOTIFY = "/api/ttpa/notifications"
STATUS = "/api/ttpa/notifications/status"


def eu_ad(api: TestClient, reviewer: dict[str, str], **kw: object) -> int:
    auth, page = sponsor(api, reviewer)
    r = api.post(
        "/api/me/ads",
        headers=auth,
        json=ad(page, declaration(linked_process="the Berlin rent law"), **kw),
    )
    assert r.json()["decision"] == "approved", r.text
    return int(r.json()["ad_id"])


def test_a_notification_is_received_decided_and_answered(
    api: TestClient, reviewer: dict[str, str], engine: Engine
) -> None:
    ad_id = eu_ad(api, reviewer)
    # the notice tells how to notify
    notify = api.get(f"/api/ads/{ad_id}/notice").json()["sections"][11]["value"]
    assert notify["url"] == f"/ads/{ad_id}/notify"

    body = {
        "ad_id": ad_id,
        "ground": "wrong_information",
        "name": "Erika Beispiel",
        "email": "erika@example.org",
        "explanation": "The notice names the wrong sponsor: the party paid for it.",
    }
    r = api.post(NOTIFY, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    receipt, secret = got["receipt"], got["secret"]
    assert re.fullmatch(r"N-[0-9A-F]{12}", receipt) and len(secret) >= 30
    assert got["status"] == "received" and got["due_at"] is None  # no vote within a month
    assert "erika" not in r.text.lower() and r.headers["cache-control"] == "no-store"

    # the status opens with the receipt and its secret, not with another secret
    mine = api.post(STATUS, json={"receipt": receipt, "secret": secret})
    assert mine.status_code == 200 and mine.json()["status"] == "received"
    wrong = api.post(STATUS, json={"receipt": receipt, "secret": secret[:-2] + "xx"})
    nobody = api.post(STATUS, json={"receipt": "N-000000000000", "secret": secret})
    assert wrong.status_code == nobody.status_code == 404
    assert wrong.json()["error"]["message"] == nobody.json()["error"]["message"]

    # staff: the reviewer reads it with the contact, an advertiser or nobody cannot
    listed = api.get("/api/review/ttpa/notifications?status=received", headers=reviewer)
    assert listed.status_code == 200, listed.text
    [staff_view] = listed.json()["notifications"]
    assert staff_view["notifier_email"] == "erika@example.org"
    assert api.get("/api/review/ttpa/notifications").status_code == 401
    decision = {"decision": "uphold", "reason": "The sponsor was corrected and the notice fixed."}
    url = f"/api/review/ttpa/notifications/{staff_view['id']}/decision"
    assert api.post(url, json=decision).status_code == 401
    done = api.post(url, json=decision, headers=reviewer)
    assert done.status_code == 200 and done.json()["status"] == "upheld", done.text
    assert api.post(url, json=decision, headers=reviewer).status_code == 409  # decided once

    outcome = api.post(STATUS, json={"receipt": receipt, "secret": secret}).json()
    assert outcome["status"] == "upheld"
    assert outcome["outcome"] == "The sponsor was corrected and the notice fixed."
    assert "decided_by" not in outcome and "notifier_email" not in outcome

    events = sorted(
        (e for e in list_events(engine) if e.action.startswith("ttpa.notification")),
        key=lambda e: e.id or 0,
    )
    assert [e.action for e in events] == ["ttpa.notification", "ttpa.notification_decision"]
    assert events[0].actor == f"notifier:{receipt}" and events[1].reason == decision["reason"]
    for e in events:
        assert "erika" not in str(e).lower() and "wrong sponsor" not in str(e)
    assert verify_chain(engine) is None


def test_the_public_form_and_its_status_page(api: TestClient, reviewer: dict[str, str]) -> None:
    ad_id = eu_ad(api, reviewer)
    notice = api.get(f"/ads/{ad_id}/notice").text
    assert f'href="/ads/{ad_id}/notify"' in notice
    form = api.get(f"/ads/{ad_id}/notify")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    fields = {
        "ad_id": str(ad_id),
        "ground": "not_labelled",
        "explanation": "There was no label on it when I saw it in my feed.",
    }
    assert api.post("/ttpa/notify", data=fields).status_code == 403  # no CSRF field
    short = api.post("/ttpa/notify", data=fields | {"csrf": csrf.group(1), "explanation": "no"})
    assert short.status_code == 422 and "explanation" in short.text  # said on the page
    shown = api.post("/ttpa/notify", data=fields | {"csrf": csrf.group(1)})
    assert shown.status_code == 200, shown.text
    receipt = re.search(r"<code>(N-[0-9A-F]{12})</code>", shown.text)
    secret = re.search(r"<dt>Secret</dt><dd><code>([^<]+)</code>", shown.text)
    assert receipt and secret
    status = api.post(
        "/ttpa/notifications/status",
        data={"csrf": csrf.group(1), "receipt": receipt.group(1), "secret": secret.group(1)},
    )
    assert status.status_code == 200 and "Received: not decided yet" in status.text
    refused = api.post(
        "/ttpa/notifications/status",
        data={"csrf": csrf.group(1), "receipt": receipt.group(1), "secret": "not-the-secret"},
    )
    assert refused.status_code == 404
    # an ad the library does not show cannot be notified
    assert api.post(NOTIFY, json=fields | {"ad_id": 999999}).status_code == 404


def test_in_the_month_before_a_vote_the_answer_is_due_in_48_hours(
    api: TestClient, reviewer: dict[str, str], engine: Engine
) -> None:
    soon = date.today() + timedelta(days=10)
    ElectionRepository(engine).add(
        Election(country="DE", name="Nahe Wahl", date=soon, level="local"), actor="test"
    )
    ad_id = eu_ad(api, reviewer)
    before = datetime.now(UTC)
    got = api.post(
        NOTIFY,
        json={
            "ad_id": ad_id,
            "ground": "other",
            "explanation": "Targets people by their religion.",
        },
    ).json()
    due = datetime.fromisoformat(got["due_at"])
    assert (
        before + timedelta(hours=47, minutes=59) <= due <= datetime.now(UTC) + timedelta(hours=48)
    )
    assert soon.isoformat() in got["deadline_rule"] and "art. 15" in got["deadline_rule"]


@pytest.fixture
def strict(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_api(notification_rate_limit=3, notification_rate_window=600) as client:
        yield client


def test_notifications_are_rate_limited(strict: TestClient, engine: Engine) -> None:
    token, _ = TokenService(engine).create(Role.REVIEWER, "rate-reviewer")
    ad_id = eu_ad(strict, {"Authorization": f"Bearer {token}"})
    body = {"ad_id": ad_id, "ground": "other", "explanation": "Something is wrong with it."}
    answers = [strict.post(NOTIFY, json=body).status_code for _ in range(3)]
    assert answers == [201, 201, 201]
    refused = strict.post(NOTIFY, json=body)
    assert refused.status_code == 429 and refused.headers["retry-after"]
    # the status look-ups share the budget (guessing secrets is the abuse)
    assert strict.post(STATUS, json={"receipt": "N-1", "secret": "x" * 10}).status_code == 429


moments = st.datetimes(min_value=datetime(2025, 10, 10), max_value=datetime(2035, 1, 1),
                       timezones=st.just(UTC))  # fmt: skip


@given(moments, st.lists(st.dates(date(2025, 10, 1), date(2035, 3, 1)), max_size=5),
       st.sampled_from(["notification", *RequesterKind]))  # fmt: skip
def test_the_deadline_rule(received: datetime, votes: list[date], what: str) -> None:
    d = response_deadline(what, received, votes)
    near = [v for v in votes if received.date() <= v <= received.date() + timedelta(days=31)]
    article = {"notification": "art. 15", RequesterKind.COMPETENT_AUTHORITY: "art. 16"}
    assert d.rule.startswith(article.get(what, "art. 17"))
    if near and what in ("notification", RequesterKind.COMPETENT_AUTHORITY):
        assert d.due == received + timedelta(hours=48)
    elif what == "notification":
        assert d.due is None
    else:  # one calendar month
        assert d.due is not None and 28 <= (d.due - received).days <= 31
        assert d.due.day == received.day or d.due.month != received.month
