"""The reviewers' page of notifications (art. 15 of Regulation (EU) 2024/900), on SQLite and
PostgreSQL: a reviewer signed in at ``/staff/login`` finds it in the staff navigation, reads
the open notifications (the one due first at the top, with its deadline, the ad linked, the
notifier's words and contact) and the decided ones, and upholds or dismisses one with a reason
through a CSRF-checked form; the decision goes through the service, is audited with the
reviewer's name, and is the outcome the notifier reads. Nobody else sees the page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from review.test_notifications import NOTIFY, STATUS, eu_ad
from review.test_ttpa_flow import reviewer
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.domain import Election
from paidfor.review.election_store import ElectionRepository
from paidfor.storage.audit import verify_chain
from paidfor.storage.audit_query import list_events

__all__ = ["reviewer"]  # a fixture of test_ttpa_flow, used here
PAGE = "/staff/notifications"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign ``client`` in at /staff/login with ``token``: the session's CSRF token."""
    form = client.get("/staff/login")
    r = client.post("/staff/login", data={"token": token, "csrf": csrf_of(form.text)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/staff").text)


def notify(api: TestClient, ad_id: int, **kw: Any) -> dict[str, Any]:
    body = {"ad_id": ad_id, "ground": "wrong_information",
            "explanation": "The notice names the wrong sponsor."} | kw  # fmt: skip
    r = api.post(NOTIFY, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_reviewer_decides_notifications_on_the_staff_page(
    api: TestClient, reviewer: dict[str, str], engine: Engine
) -> None:
    ad_id = eu_ad(api, reviewer)
    later = notify(api, ad_id, name="Erika Beispiel", email="erika@example.org",
                   explanation="The sponsor is a party, not the person named.")  # fmt: skip
    # a vote in a Member State the ad is aimed at, within the month: the next one is due in
    # 48 hours, so it comes first
    soon = date.today() + timedelta(days=9)
    ElectionRepository(engine).add(
        Election(country="DE", name="Nahe Wahl", date=soon, level="local"), actor="test"
    )
    urgent = notify(api, ad_id, ground="prohibited_targeting",
                    explanation="It targets people by their religion.")  # fmt: skip

    token, _ = TokenService(engine).create(Role.REVIEWER, "rita")
    csrf = sign_in(api, token)
    home = api.get("/staff").text
    assert f'href="{PAGE}"' in home  # in the staff navigation
    page = api.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert html.index(urgent["receipt"]) < html.index(later["receipt"])  # due first, first
    assert f"due {urgent['due_at'][:16].replace('T', ' ')} UTC" in html
    assert "without a fixed time" in html and "art. 15" in html
    assert f'href="/ads/{ad_id}"' in html and f'href="/ads/{ad_id}/notice"' in html
    assert "targeting by special categories of data" in html  # the ground, in words
    assert "The sponsor is a party, not the person named." in html
    assert "Erika Beispiel" in html and 'href="mailto:erika@example.org"' in html  # staff only

    # the form: the session's CSRF token is needed; a reason is
    [later_id] = re.findall(rf'id="notification-(\d+)">\s*<h3>{later["receipt"]}', html)
    url = f"{PAGE}/{later_id}"
    decision = {"decision": "dismiss", "reason": "The sponsor named is the one who paid."}
    assert api.post(url, data=decision).status_code == 403  # no CSRF field
    r = api.post(url, data={"decision": "dismiss", "reason": "", "csrf": csrf},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}#problem"
    assert "the reason must be 3 to 2000 characters" in api.get(PAGE).text
    r = api.post(url, data=decision | {"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == PAGE
    after = api.get(PAGE).text
    assert f"Notification {later['receipt']} dismissed" in after
    decided = after.split('id="decided-notifications"', 1)[1]
    assert later["receipt"] in decided and "by reviewer:rita#" in decided
    assert decision["reason"] in decided
    # decided once: a second decision is refused, and said on the page
    r = api.post(url, data=decision | {"csrf": csrf}, follow_redirects=False)
    assert r.headers["location"] == f"{PAGE}#problem"
    assert "is already dismissed" in api.get(PAGE).text

    # the notifier reads the reason; the decision is audited with the reviewer's name
    api.cookies.clear()
    outcome = api.post(STATUS, json={"receipt": later["receipt"], "secret": later["secret"]})
    assert outcome.json()["status"] == "dismissed"
    assert outcome.json()["outcome"] == decision["reason"]
    [event] = [e for e in list_events(engine) if e.action == "ttpa.notification_decision"]
    assert event.target_id == later_id and event.reason == decision["reason"]
    assert event.actor.startswith("reviewer:rita#") and "erika" not in str(event).lower()
    assert verify_chain(engine) is None


def test_only_reviewers_see_the_page(api: TestClient, engine: Engine) -> None:
    anonymous = api.get(PAGE)
    assert anonymous.status_code == 401
    token, _ = TokenService(engine).create(Role.INVESTIGATOR, "ivan")
    r = api.get(PAGE, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    sign_in(api, token)
    assert f'href="{PAGE}"' not in api.get("/staff").text  # not in an investigator's nav
