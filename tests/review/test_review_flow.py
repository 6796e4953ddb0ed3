"""The whole intake and review flow through the HTTP API, on SQLite and PostgreSQL: an
advertiser opens an account, adds a card, creates a page, submits ads; political ads need an
authorization with a verified funder; blackouts refuse; reviewers decide held ads and override,
every step audited; enforcement removes and restores; the library shows what review approved."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from factories import COMMERCIAL, POLITICAL, ad, advertiser, auth_and_page
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paidfor.domain import Election
from paidfor.review.election_store import ElectionRepository
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AuditEventRow, FunderRow, PaymentInstrumentRow


def codes(review: dict[str, Any]) -> set[str]:
    return {r["code"] for r in review["reasons"]}


def test_political_ads_need_authorization_and_a_verified_funder(
    api: TestClient, staff: dict[str, dict[str, str]], engine: Engine
) -> None:
    auth, page = auth_and_page(advertiser(api))
    r = api.post("/api/me/ads", json=ad(page, POLITICAL), headers=auth)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["decision"] == "rejected" and "not_authorized" in codes(first)
    reason = next(x for x in first["reasons"] if x["code"] == "not_authorized")
    assert "not authorized to run political ads in US" in reason["message"]

    r = api.post(
        "/api/me/authorizations",
        json={"country": "US", "legal_name": "Jane Smith", "residence_country": "US",
              "id_document_ref": "passport-123", "funder": "Citizens for Jane"},
        headers=auth,
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "pending"
    auth_id = r.json()["id"]
    # Still pending: still rejected.
    assert (
        api.post("/api/me/ads", json=ad(page, POLITICAL), headers=auth).json()["decision"]
        == "rejected"
    )
    pending = api.get("/api/review/authorizations?status=pending", headers=staff["reviewer"])
    assert [a["id"] for a in pending.json()["authorizations"]] == [auth_id]
    r = api.post(
        f"/api/review/authorizations/{auth_id}/decision",
        json={"approve": True, "reason": "identity document checked"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 200 and r.json()["funder_verified"] is True

    # Another funder than the verified one is refused; the verified one is approved.
    other = api.post(
        "/api/me/ads", json=ad(page, POLITICAL, paid_for_by="Someone Else"), headers=auth
    ).json()
    assert other["decision"] == "rejected" and "funder_mismatch" in codes(other)
    none = api.post("/api/me/ads", json=ad(page, POLITICAL, paid_for_by=None), headers=auth)
    assert "no_disclaimer" in codes(none.json())
    ok = api.post("/api/me/ads", json=ad(page, POLITICAL), headers=auth).json()
    assert ok["decision"] == "approved" and ok["political"] is True, ok

    # Delivery, then the public library shows it with "Paid for by".
    r = api.post(
        f"/api/me/ads/{ok['ad_id']}/delivery",
        json={"impressions": 12000, "spend": "340.00", "currency": "USD",
              "reached_countries": ["US"],
              "demographic_distribution": [{"age": "25-34", "gender": "female",
                                            "percentage": "0.6"}],
              "delivery_by_region": [{"region": "Ohio", "percentage": "1"}]},
        headers=auth,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    found = api.get("/api/search", params={"q": "Jane Smith Senate"}).json()
    assert [a["id"] for a in found["ads"]] == [ok["ad_id"]]
    public = found["ads"][0]
    assert public["paid_for_by"] == "Citizens for Jane" and public["political"] is True
    assert (public["spend_lower"], public["spend_upper"]) == (100, 499)  # Meta's bucket
    page_html = api.get(f"/ads/{ok['ad_id']}").text
    assert "Citizens for Jane" in page_html
    # Rejected ads never reach the library.
    assert api.get(f"/api/ads/{first['ad_id']}").status_code == 404
    # The card number is nowhere in the database.
    with engine.connect() as conn:
        prints = list(conn.execute(select(PaymentInstrumentRow.card_fingerprint)).scalars())
    assert prints and all("4242" not in p for p in prints)


def test_a_funder_is_public_only_once_an_ad_it_paid_for_is(
    api: TestClient, staff: dict[str, dict[str, str]], engine: Engine
) -> None:
    """Funders named by a pending or refused authorization, or only by a rejected ad's "Paid
    for by", answer 404 like a funder that does not exist; ids are sequential, so anyone can
    walk them."""
    auth, page = auth_and_page(advertiser(api))

    def authorize(funder: str) -> int:
        r = api.post(
            "/api/me/authorizations",
            json={"country": "US", "legal_name": "Jane Smith", "residence_country": "US",
                  "id_document_ref": "passport-123", "funder": funder},
            headers=auth,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    pending, refused = authorize("Comite Secret 2027"), authorize("Refused Friends")
    approved = authorize("Citizens for Jane")
    for auth_id, approve in ((refused, False), (approved, True)):
        r = api.post(
            f"/api/review/authorizations/{auth_id}/decision",
            json={"approve": approve, "reason": "identity document checked"},
            headers=staff["reviewer"],
        )
        assert r.status_code == 200, r.text
    mismatch = api.post(
        "/api/me/ads", json=ad(page, POLITICAL, paid_for_by="Hidden Payer Ltd"), headers=auth
    ).json()
    assert "funder_mismatch" in codes(mismatch)
    shown = api.post("/api/me/ads", json=ad(page, POLITICAL), headers=auth).json()
    assert shown["decision"] == "approved", shown
    with engine.connect() as conn:
        ids = dict(conn.execute(select(FunderRow.name, FunderRow.id)).all())
    hidden = [ids[n] for n in ("Comite Secret 2027", "Refused Friends") if n in ids]
    hidden += [ids[n] for n in ("Hidden Payer Ltd",) if n in ids]
    assert hidden, ids  # the intake did store them: they must not be public
    absent = max(ids.values()) + 1
    for funder_id in [*hidden, absent]:
        for path in (f"/funders/{funder_id}", f"/api/funders/{funder_id}"):
            r = api.get(path)
            assert r.status_code == 404, (path, r.text)
            assert not any(n in r.text for n in ("Comite", "Refused Friends", "Hidden Payer"))
    told = [api.get(f"/api/funders/{i}").json()["error"] for i in (hidden[0], absent)]
    assert told[0]["message"].replace(str(hidden[0]), "N") == told[1]["message"].replace(
        str(absent), "N"
    )
    public = api.get(f"/api/funders/{ids['Citizens for Jane']}")
    assert public.status_code == 200 and "Citizens for Jane" in public.text
    assert api.get(f"/funders/{ids['Citizens for Jane']}").status_code == 200
    assert pending


def test_spoofed_names_are_refused_and_paid_for_by_is_shown_as_verified(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    auth, page = auth_and_page(advertiser(api))
    for name in ("\u200b\u200b\u200b", "\u2060 \ufeff", "Official \u202eVOG\u202c Page"):
        r = api.post("/api/me/pages", json={"name": name, "country": "US"}, headers=auth)
        assert r.status_code == 422, (name, r.text)
        assert "name" in r.text
        r = api.post("/api/advertisers", json={"name": name, "country": "US"})
        assert r.status_code == 422, (name, r.text)
    r = api.post(
        "/api/me/authorizations",
        json={"country": "US", "legal_name": "Jane Smith", "residence_country": "US",
              "id_document_ref": "passport-123", "funder": "Citizens\u200b for Jane"},
        headers=auth,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    decided = api.post(
        f"/api/review/authorizations/{r.json()['id']}/decision",
        json={"approve": True, "reason": "identity document checked"},
        headers=staff["reviewer"],
    )
    assert decided.status_code == 200, decided.text
    typed = ad(page, POLITICAL, paid_for_by="CITIZENS FOR JANE")
    made = api.post("/api/me/ads", json=typed, headers=auth).json()
    assert made["decision"] == "approved", made
    shown = api.get(f"/api/ads/{made['ad_id']}").json()
    assert shown["paid_for_by"] == "Citizens for Jane", shown  # as verified, not as typed
    assert "CITIZENS FOR JANE" not in api.get(f"/ads/{made['ad_id']}").text


def test_commercial_ads_need_no_authorization(api: TestClient) -> None:
    auth, page = auth_and_page(advertiser(api, "Bean Co"))
    r = api.post(
        "/api/me/ads", json=ad(page, COMMERCIAL, political=False, paid_for_by=None), headers=auth
    )
    out = r.json()
    assert out["decision"] == "approved" and out["political"] is False, out
    assert "commercial" in codes(out)


def test_an_election_blackout_refuses_political_ads(
    api: TestClient, staff: dict[str, dict[str, str]], engine: Engine
) -> None:
    ElectionRepository(engine).add(
        Election("US", "Test general", date(2026, 12, 8), True, 7), actor="test"
    )
    auth, page = auth_and_page(advertiser(api))
    r = api.post(
        "/api/me/authorizations",
        json={"country": "US", "legal_name": "Jane Smith", "residence_country": "US",
              "id_document_ref": "passport-123", "funder": "Citizens for Jane"},
        headers=auth,
    )  # fmt: skip
    api.post(
        f"/api/review/authorizations/{r.json()['id']}/decision",
        json={"approve": True, "reason": "checked"},
        headers=staff["reviewer"],
    )
    inside = api.post(
        "/api/me/ads", json=ad(page, POLITICAL, start="2026-12-05T10:00:00Z"), headers=auth
    ).json()
    assert inside["decision"] == "rejected" and "blackout" in codes(inside)
    before = api.post(
        "/api/me/ads", json=ad(page, POLITICAL, start="2026-11-20T10:00:00Z"), headers=auth
    ).json()
    assert before["decision"] == "approved", before


def test_held_ads_wait_for_a_reviewer_whose_decisions_are_audited(
    make_api: Callable[..., TestClient],
    staff: dict[str, dict[str, str]],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import paidfor.services as services_module

    class Unsure:
        threshold = 0.5

        def score(self, text: str) -> float:
            return 0.4

        def strongest_terms(self, text: str, political: bool = True, k: int = 3) -> list[str]:
            return ["policy"]

    monkeypatch.setattr(services_module, "political_classifier", Unsure)
    with make_api() as api:
        _held_flow(api, staff, engine)


def _held_flow(api: TestClient, staff: dict[str, dict[str, str]], engine: Engine) -> None:
    auth, page = auth_and_page(advertiser(api, "Borderline"))
    held = api.post(
        "/api/me/ads", json=ad(page, "A new policy on parks", political=False), headers=auth
    ).json()
    assert held["decision"] == "held" and "unsure" in codes(held), held
    queue = api.get("/api/review/queue", headers=staff["reviewer"]).json()["held"]
    assert [q["ad_id"] for q in queue] == [held["ad_id"]]
    assert queue[0]["political_score"] == pytest.approx(0.4)
    assert any(r["code"] == "unsure" for r in queue[0]["reasons"])
    r = api.post(
        f"/api/review/ads/{held['ad_id']}/decision",
        json={"approve": True, "reason": "a local parks notice, not political"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 200 and r.json()["decision"] == "approved"
    approval = r.json()["id"]
    assert r.json()["answers"] == queue[0]["decision_id"]
    assert api.get("/api/review/queue", headers=staff["reviewer"]).json()["held"] == []
    # Deciding again without naming the decision it overrides is refused (docs/review.md).
    r = api.post(
        f"/api/review/ads/{held['ad_id']}/decision",
        json={"approve": False, "reason": "on second look: issue advocacy"},
        headers=staff["admin"],
    )
    assert r.status_code == 409 and f'"answers": {approval}' in r.json()["error"]["message"]
    # Overriding a decision is audited with who, why and before/after.
    r = api.post(
        f"/api/review/ads/{held['ad_id']}/decision",
        json={"approve": False, "reason": "on second look: issue advocacy", "answers": approval},
        headers=staff["admin"],
    )
    assert r.status_code == 200 and r.json()["decision"] == "rejected", r.text
    with engine.connect() as conn:
        events = conn.execute(
            select(AuditEventRow).where(AuditEventRow.target_id == str(held["ad_id"]))
        ).all()
    actions = [e.action for e in events]
    assert actions.count("ad.override") == 2 and "ad.submit" in actions
    last = events[-1]
    assert last.actor.startswith("admin:") and last.reason == "on second look: issue advocacy"
    assert last.before["status"] == "approved" and last.after["status"] == "rejected"
    assert verify_chain(engine) is None
    # The advertiser reads that a reviewer decided and why, never who (tokens "test-reviewer"
    # and "test-admin"): not in the API, not on its pages.
    mine = api.get(f"/api/me/ads/{held['ad_id']}", headers=auth)
    assert mine.status_code == 200
    said = [r["message"] for d in mine.json()["decisions"] for r in d["reasons"]]
    assert "rejected by a reviewer: on second look: issue advocacy" in said, said
    token = auth["Authorization"].removeprefix("Bearer ")
    page = api.get("/advertiser/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    r = api.post("/advertiser/login", data={"token": token, "csrf": csrf.group(1)})
    assert r.status_code == 200, r.text
    html = api.get(f"/advertiser/ads/{held['ad_id']}").text
    assert "a local parks notice" in html and "by a reviewer" in html
    for shown in (mine.text, html, api.get("/advertiser").text):
        for staff_name in ("test-reviewer", "test-admin", "reviewer:test", "admin:test"):
            assert staff_name not in shown, shown[max(0, shown.find(staff_name) - 300) :][:500]
    api.cookies.clear()


def test_a_reviewer_named_in_an_older_decision_is_not_shown_to_the_advertiser() -> None:
    from paidfor.review.rules import for_advertiser

    stored = [
        {"step": "classification", "code": "unsure", "message": "unsure", "effect": "hold"},
        {"step": "person", "code": "decided", "message": "approved by reviewer:alice.smith#4: ok"},
    ]
    shown = for_advertiser(stored, "reviewer:alice.smith#4")
    assert [r["message"] for r in shown] == ["unsure", "approved by a reviewer: ok"]
    assert stored[1]["message"].endswith("alice.smith#4: ok")  # the stored record is unchanged


def test_enforcement_removes_and_restores_with_the_library_showing_why(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    auth, page = auth_and_page(advertiser(api, "Bean Co"))
    ids = [
        api.post(
            "/api/me/ads",
            json=ad(page, f"{COMMERCIAL} batch {k}", political=False, paid_for_by=None),
            headers=auth,
        ).json()["ad_id"]
        for k in range(2)
    ]
    r = api.post(
        "/api/enforcement",
        json={"action": "remove_ad", "targets": ids, "reason": "coordinated inauthentic network"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 200 and len(r.json()["done"]) == 2
    shown = api.get(f"/api/ads/{ids[0]}").json()
    assert shown["status"] == "removed" and shown["removal_reason"] == (
        "coordinated inauthentic network"
    )
    # a removal is when the ad stopped delivering (Ad.delivered_until); a restore undoes it
    assert shown["stopped"] == datetime.now(UTC).date().isoformat(), shown
    r = api.post(
        "/api/enforcement",
        json={"action": "restore_ad", "targets": [ids[0]], "reason": "appeal upheld"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 200
    restored = api.get(f"/api/ads/{ids[0]}").json()
    assert restored["status"] == "approved" and restored["stopped"] is None, restored
    # A list with an unknown target changes nothing.
    r = api.post(
        "/api/enforcement",
        json={"action": "remove_ad", "targets": [ids[0], 999999], "reason": "bulk"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 404 and api.get(f"/api/ads/{ids[0]}").json()["status"] == "approved"


def test_bad_submissions_are_clear(api: TestClient) -> None:
    auth, page = auth_and_page(advertiser(api))
    r = api.post("/api/me/ads", json=ad(page, POLITICAL, targeting={"locations": []}),
                 headers=auth)  # fmt: skip
    assert r.status_code == 422
    r = api.post(
        "/api/me/payment-instruments",
        json={"currency": "USD", "billing_country": "US", "card_number": "4242424242424241"},
        headers=auth,
    )
    assert r.status_code == 422 and "not a valid card number" in r.text
    assert "4242424242424241" not in r.text
    _other_auth, other_page = auth_and_page(advertiser(api, "Other"))
    r = api.post("/api/me/ads", json=ad(other_page, POLITICAL), headers=auth)
    assert r.status_code == 400 and "not one of this advertiser's pages" in r.text


STAFF_ROUTES = [
    ("GET", "/api/review/queue", None),
    ("POST", "/api/review/ads/1/decision", {"approve": True, "reason": "ok ok"}),
    ("GET", "/api/review/authorizations", None),
    ("POST", "/api/review/authorizations/1/decision", {"approve": True, "reason": "ok ok"}),
    ("POST", "/api/enforcement", {"action": "remove_ad", "targets": [1], "reason": "why not"}),
]
# The staff web pages take the same bearer tokens (a browser's session is tested in tests/auth).
STAFF_PAGES = [
    ("GET", "/staff/review", None),
    ("POST", "/staff/review/ads/1", {"decision": "approve", "reason": "ok ok"}),
    ("POST", "/staff/review/authorizations/1", {"decision": "reject", "reason": "ok ok"}),
    ("POST", "/staff/enforcement", {"action": "remove_ad", "targets": "1", "reason": "why not"}),
]
ADVERTISER_ROUTES = [
    ("GET", "/api/me", None),
    ("POST", "/api/me/pages", {"name": "x", "country": "US", "admins": [{"name": "a"}]}),
    ("POST", "/api/me/ads", {"page_id": 1}),
    ("GET", "/api/me/ads/1", None),
]


def test_every_role_protected_route_checks_the_role(
    api: TestClient, staff: dict[str, dict[str, str]]
) -> None:
    adv_auth, _ = auth_and_page(advertiser(api))
    roles = {**staff, "advertiser": adv_auth, "none": {}}
    for method, path, body in STAFF_ROUTES + ADVERTISER_ROUTES:
        allowed = (
            {"reviewer", "admin"}
            if (method, path, body) in STAFF_ROUTES
            else {"advertiser", "admin"}
        )
        for role, headers in roles.items():
            r = api.request(method, path, json=body, headers=headers)
            check(r, role, allowed, path)
    for method, path, form in STAFF_PAGES:
        for role, headers in roles.items():
            r = api.request(method, path, data=form, headers=headers, follow_redirects=False)
            check(r, role, {"reviewer", "admin"}, path)


def check(r: Any, role: str, allowed: set[str], path: str) -> None:
    """No token: 401; another role's: 403; an allowed one gets past the check."""
    if role == "none":
        assert r.status_code == 401, (path, role, r.text)
    elif role not in allowed:
        assert r.status_code == 403, (path, role, r.text)
    else:
        assert r.status_code not in (401, 403), (path, role, r.text)


def test_delivery_shares_add_up_to_at_most_one(api: TestClient) -> None:
    auth, page = auth_and_page(advertiser(api, "Bean Shares"))
    made = api.post(
        "/api/me/ads", json=ad(page, COMMERCIAL, political=False, paid_for_by=None), headers=auth
    ).json()
    url = f"/api/me/ads/{made['ad_id']}/delivery"
    base = {"impressions": 100, "spend": "10.00", "currency": "USD", "reached_countries": ["US"]}

    def demo(*parts: str) -> list[dict[str, str]]:
        groups = [("25-34", "female"), ("25-34", "male"), ("35-44", "female")]
        pairs = zip(groups[: len(parts)], parts, strict=True)
        return [{"age": a, "gender": g, "percentage": p} for (a, g), p in pairs]

    refused = [
        {"demographic_distribution": demo("1", "1", "1")},  # 300%
        {"delivery_by_region": [{"region": "Ohio", "percentage": "0.8"},
                                {"region": "Texas", "percentage": "0.5"}]},
        {"delivery_by_region": [{"region": "Ohio", "percentage": "0.5"},
                                {"region": "ohio", "percentage": "0.5"}]},
        {"demographic_distribution": demo("1.5")},
        {"demographic_distribution": demo("-0.1")},
    ]  # fmt: skip
    for extra in refused:
        r = api.post(url, json=base | extra, headers=auth)
        assert r.status_code == 422, (extra, r.text)
    r = api.post(url, json=base | {"demographic_distribution": demo("0.335", "0.335", "0.335")},
                 headers=auth)  # fmt: skip
    assert r.status_code == 200, r.text  # three rounded thirds: 1.005 is rounding


def test_a_published_ads_images_are_seen_and_an_unpublished_ones_are_not(api: TestClient) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 200)).save(buffer, "PNG")
    auth, page = auth_and_page(advertiser(api, "Bean Pictures"))
    up = api.post("/api/me/images", files={"file": ("a.png", buffer.getvalue(), "image/png")},
                  headers=auth)  # fmt: skip
    assert up.status_code == 201, up.text
    image = up.json()["hash"]
    plain = ad(page, COMMERCIAL, political=False, paid_for_by=None, image_hashes=[image])
    shown = api.post("/api/me/ads", headers=auth, json=plain).json()
    hidden = api.post("/api/me/ads", headers=auth, json=ad(page, POLITICAL, image_hashes=[image]))
    hidden = hidden.json()
    assert shown["decision"] == "approved" and hidden["decision"] == "rejected"
    src = f"/ads/{shown['ad_id']}/images/{image}"
    assert api.get(f"/api/ads/{shown['ad_id']}").json()["images"] == [src]
    page_html = api.get(f"/ads/{shown['ad_id']}").text
    assert f'<img src="{src}" alt="Image of the ad by Bean Pictures Page' in page_html
    got = api.get(src)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content == buffer.getvalue()
    assert api.get(f"/ads/{hidden['ad_id']}/images/{image}").status_code == 404  # not public
    assert api.get(f"/ads/{shown['ad_id']}/images/{'0' * 32}").status_code == 404
    cards = api.get("/search", params={"q": "roasted coffee", "type": "all"}).text
    assert f'src="{src}"' in cards
