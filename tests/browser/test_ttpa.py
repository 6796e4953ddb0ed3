"""A political ad in the EU in a real browser (Regulation (EU) 2024/900, arts. 11-12, 15, 19):
an EU sponsor's ad goes through the API (declaration, authorization, review); a visitor opens
the ad, sees its label, follows it to the transparency notice and its targeting annex, and
notifies the ad, reading the notification's status with the receipt and secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from browser.conftest import cli_token

CARD = "4242 4242 4242 4242"


def test_a_visitor_sees_the_label_and_opens_the_notice(
    live_server: str, live_db: Path, browser: Any, screenshots: Path
) -> None:
    api = httpx.Client(base_url=live_server, timeout=30)
    r = api.post("/api/advertisers", json={"name": "Anna Muster", "country": "DE"})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    api.post("/api/me/payment-instruments", headers=auth,
             json={"currency": "EUR", "billing_country": "DE", "card_number": CARD})  # fmt: skip
    page_id = api.post(
        "/api/me/pages",
        headers=auth,
        json={"name": "Anna Muster", "country": "DE",
              "admins": [{"name": "Anna", "login_countries": ["DE"]}]},
    ).json()["id"]  # fmt: skip
    asked = api.post(
        "/api/me/authorizations",
        headers=auth,
        json={"country": "DE", "legal_name": "Anna Muster", "residence_country": "DE",
              "id_document_ref": "personalausweis-1", "funder": "Anna Muster"},
    ).json()  # fmt: skip
    reviewer = {"Authorization": f"Bearer {cli_token(live_db, 'reviewer', 'browser-ttpa')}"}
    r = api.post(f"/api/review/authorizations/{asked['id']}/decision", headers=reviewer,
                 json={"approve": True, "reason": "identity document checked"})  # fmt: skip
    assert r.status_code == 200, r.text
    ad = {
        "page_id": page_id,
        "bodies": ["Wählen Sie am Sonntag: vote for Anna Muster, for schools and fair rents."],
        "targeting": {"locations": [{"country": "DE"}], "age_min": 18},
        "start": "2030-05-01T00:00:00Z",
        "stop": "2030-05-20T00:00:00Z",
        "budget": "250.00",
        "currency": "EUR",
        "political": True,
        "paid_for_by": "Anna Muster",
        "declaration": {
            "status": "eu_citizen", "sponsor_kind": "natural_person",
            "sponsor_name": "Anna Muster", "sponsor_email": "anna@example.org",
            "sponsor_address": "Musterstraße 1, Berlin", "sponsor_country": "DE",
            "funding_source": "private", "funding_origin": "inside_union",
            "linked_process": "the Berlin rent law",
        },
    }  # fmt: skip
    answer = api.post("/api/me/ads", headers=auth, json=ad).json()
    assert answer["decision"] == "approved", answer
    ad_id = answer["ad_id"]

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/ads/{ad_id}")
        label = page.get_by_role("note", name="Political advertisement")
        assert label.count() == 1
        text = label.inner_text()
        assert "Sponsor: Anna Muster" in text and "the Berlin rent law" in text, text
        page.screenshot(path=str(screenshots / "ttpa-label.png"))
        label.get_by_role("link", name="Transparency notice").click()
        page.wait_for_url(f"{live_server}/ads/{ad_id}/notice")
        assert page.get_by_role("heading", name="Transparency notice", level=1).count() == 1
        body = page.inner_text("main")
        assert "The sponsor" in body and "anna@example.org" in body
        assert "Musterstraße" not in body  # a person's postal address stays private
        # art. 12(1)(h), section 10: an ad linked to a law, not to an election, links no vote
        tenth = page.locator('.notice li[value="10"]')
        assert "Links to official information" in tenth.inner_text()
        assert "Does not apply" in tenth.inner_text() and tenth.get_by_role("link").count() == 0
        # the targeting annex (art. 19): the ages targeted, and the platform's policy linked
        annex = page.get_by_role("region", name="Targeting annex (art. 19)")
        assert annex.count() == 1 and "Ages: 18 to any" in annex.inner_text()
        assert annex.get_by_role("link", name="Internal policy on targeting").count() == 1
        page.screenshot(path=str(screenshots / "ttpa-notice.png"), full_page=True)

        # notify it (art. 15): the form, the receipt, the status read with the secret
        page.get_by_role("link", name="Notify this advertisement").click()
        page.wait_for_url(f"{live_server}/ads/{ad_id}/notify")
        page.get_by_label("Its label or notice is wrong").check()
        page.get_by_label("What is wrong").fill("The notice names the wrong sponsor for this ad.")
        page.get_by_role("button", name="Send the notification").click()
        assert page.get_by_role("heading", name="Notification received").count() == 1
        receipt = page.locator("dl.receipt code").first.inner_text()
        assert receipt.startswith("N-")
        page.get_by_role("button", name="Read its status").click()
        assert "Received: not decided yet" in page.locator("dd.status").inner_text()
        page.screenshot(path=str(screenshots / "ttpa-notification.png"), full_page=True)
    finally:
        context.close()
