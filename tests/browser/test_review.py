"""The reviewers' page in a real browser: an advertiser asks for political-ad authorization
over the API; a reviewer signs in with a token made by ``paidfor token create``, finds the
request on ``/staff/review`` and approves it; the advertiser's next political ad passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from browser.conftest import cli_token

CARD = "4242 4242 4242 4242"


def test_a_reviewer_approves_an_authorization(
    live_server: str, live_db: Path, browser: Any, screenshots: Path
) -> None:
    api = httpx.Client(base_url=live_server, timeout=30)
    r = api.post("/api/advertisers", json={"name": "Citizens for Jane", "country": "US"})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    api.post("/api/me/payment-instruments", headers=auth,
             json={"currency": "USD", "billing_country": "US", "card_number": CARD})  # fmt: skip
    page_id = api.post(
        "/api/me/pages",
        headers=auth,
        json={"name": "Jane for Senate", "country": "US", "admins": [{"name": "Jane"}]},
    ).json()["id"]
    asked = api.post(
        "/api/me/authorizations",
        headers=auth,
        json={"country": "US", "legal_name": "Jane Smith", "residence_country": "US",
              "id_document_ref": "passport-123", "funder": "Citizens for Jane"},
    ).json()  # fmt: skip
    ad = {
        "page_id": page_id,
        "bodies": ["Vote for Jane Smith for Senate on November 3: protect our elections."],
        "targeting": {"locations": [{"country": "US"}]},
        "start": "2030-10-01T00:00:00Z",
        "budget": "250.00",
        "currency": "USD",
        "political": True,
        "paid_for_by": "Citizens for Jane",
    }
    assert api.post("/api/me/ads", headers=auth, json=ad).json()["decision"] == "rejected"

    token = cli_token(live_db, "reviewer", "browser-reviewer")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server + "/staff/review")
        assert "/staff/login" in page.url  # not signed in: sent to sign in first
        page.fill("#staff-token", token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server}/staff/review")
        row = page.locator("tr", has_text="Jane Smith")
        assert row.count() == 1 and "passport-123" in row.inner_text()
        row.locator("input[name=reason]").fill("identity document checked against the register")
        page.screenshot(path=str(screenshots / "review.png"), full_page=False)
        row.get_by_role("button", name="Approve").click()
        page.wait_for_selector("p.notice")
        assert f"Authorization #{asked['id']} approved" in page.locator("p.notice").inner_text()
        cookie = next(c for c in context.cookies() if c["name"] == "paidfor_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    finally:
        context.close()
    passed = api.post("/api/me/ads", headers=auth, json=ad).json()
    assert passed["decision"] == "approved", passed
