"""The advertisers' web forms, in HTML through the test client, on SQLite and PostgreSQL: open
an account (token shown once), add a card (a bad number is refused and never echoed), create a
page, ask for authorization, a reviewer approves it, political ads with the verified funder are
approved and with another funder rejected with the reason on the dashboard; CSRF, sign-in and
one account never reaching another's pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.storage.models import AuditEventRow, PaymentInstrumentRow

SECRET = "test-secret-key-123"
CARD = "4242 4242 4242 4242"
BAD_CARD = "4242 4242 4242 4241"  # fails the Luhn check
POLITICAL = (
    "Vote for Jane Smith for Senate on November 6. Protect our elections, our voting rights "
    "and our democracy: register to vote and go to the polls."
)


@pytest.fixture
def web(engine: Engine, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_api(secret_key=SECRET) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def post(web: TestClient, path: str, data: dict[str, object], *, form: str = "") -> Response:
    """GET the form page (``form``, else ``path``) for its CSRF token, then POST to ``path``
    without following the redirect."""
    page = web.get(form or path)
    assert page.status_code == 200, page.text
    return web.post(path, data={"csrf": csrf_of(page.text), **data}, follow_redirects=False)


def sign_up(web: TestClient, name: str = "Citizens for Jane") -> str:
    r = post(web, "/advertiser/signup", {"name": name, "country": "US"})
    assert r.status_code == 200, r.text
    found = re.search(r"pf_[A-Za-z0-9_-]{20,}", r.text)
    assert found and "shown only once" in r.text
    assert r.headers["cache-control"] == "no-store"
    return found.group(0)


def add_card(web: TestClient) -> None:
    r = post(
        web, "/advertiser/cards", {"card_number": CARD, "currency": "USD", "billing_country": "US"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/advertiser"


def create_page(web: TestClient, name: str) -> int:
    data = {
        "name": name,
        "category": "Politician",
        "country": "US",
        "admins": "Jane Smith: US, CA\nSam Lee: us",
    }
    r = post(web, "/advertiser/pages", data)
    assert r.status_code == 303, r.text
    found = re.search(rf'<a href="/pages/(\d+)">{re.escape(name)}</a>', web.get("/advertiser").text)
    assert found, "the new page is not on the dashboard"
    return int(found.group(1))


def ad_form(page_id: int | str, **kw: object) -> dict[str, object]:
    data: dict[str, object] = {
        "page_id": str(page_id),
        "body": POLITICAL,
        "link_title": "Jane Smith for Senate",
        "landing_url": "https://example.org/jane",
        "countries": "US",
        "age_min": "18",
        "age_max": "",
        "platforms": ["facebook", "instagram"],
        "start": "2026-12-01T09:00",
        "stop": "2026-12-20T09:00",
        "budget": "500",
        "currency": "USD",
        "political": "yes",
        "paid_for_by": "Citizens for Jane",
    }
    data.update(kw)
    return data


def submit(web: TestClient, page_id: int, **kw: object) -> tuple[int, str]:
    r = post(web, "/advertiser/ads", ad_form(page_id, **kw))
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/advertiser/ads/(\d+)\?submitted=1", r.headers["location"])
    assert found
    return int(found.group(1)), web.get(r.headers["location"]).text


def test_the_whole_self_service_flow_in_html(web: TestClient, engine: Engine) -> None:
    token = sign_up(web)
    home = web.get("/advertiser")
    assert home.status_code == 200 and "Citizens for Jane" in home.text
    assert token not in home.text  # shown once, on the sign-up answer only

    # A bad card number is refused, said so, and never echoed.
    bad = post(
        web,
        "/advertiser/cards",
        {"card_number": BAD_CARD, "currency": "usd", "billing_country": "US"},
    )
    assert bad.status_code == 422
    assert "not a valid card number" in bad.text
    assert "4241" not in bad.text and "4242" not in bad.text
    add_card(web)
    home = web.get("/advertiser").text
    assert "Card added" in home and "USD" in home and "4242" not in home
    assert "Card added" not in web.get("/advertiser").text  # the flash shows once

    page_id = create_page(web, "Jane for Senate")
    home = web.get("/advertiser").text
    assert re.search(r'<code class="id">\d{15}</code>', home)  # the public page id

    r = post(
        web,
        "/advertiser/authorizations",
        {
            "country": "US",
            "legal_name": "Jane Smith",
            "residence_country": "US",
            "id_document_ref": "passport-123",
            "funder": "Citizens for Jane",
        },
    )
    assert r.status_code == 303
    home = web.get("/advertiser").text
    assert "Asked for authorization in US" in home and ">Pending<" in home

    # Not yet authorized: rejected, with the reason in plain words.
    first, answer = submit(web, page_id)
    assert "Rejected" in answer and "not authorized to run political ads in US" in answer

    # A reviewer approves over the JSON API.
    reviewer, _ = TokenService(engine).create(Role.REVIEWER, "r")
    bearer = {"Authorization": f"Bearer {reviewer}"}
    pending = web.get("/api/review/authorizations?status=pending", headers=bearer).json()
    [auth] = pending["authorizations"]
    assert auth["funder"] == "Citizens for Jane"
    r = web.post(
        f"/api/review/authorizations/{auth['id']}/decision",
        json={"approve": True, "reason": "passport checked"},
        headers=bearer,
    )
    assert r.status_code == 200, r.text
    assert ">Approved<" in web.get("/advertiser").text

    ok, answer = submit(web, page_id)
    assert 'class="verdict approved"' in answer and "is the verified funder" in answer
    other, answer = submit(web, page_id, paid_for_by="Someone Else")
    assert 'class="verdict rejected"' in answer

    home = web.get("/advertiser").text
    ads = {
        int(m.group(1)): m.group(0) for m in re.finditer(r'id="ad-(\d+)">.*?</article>', home, re.S)
    }
    assert set(ads) == {first, ok, other}
    assert "Approved" in ads[ok] and f'href="/ads/{ok}"' in ads[ok]
    assert "Rejected" in ads[other] and f'href="/ads/{other}"' not in ads[other]
    assert "Why rejected:" in ads[other] and "is not the verified funder" in ads[other]
    assert web.get(f"/ads/{ok}").status_code == 200  # in the public library
    with engine.connect() as conn:
        prints = list(conn.execute(select(PaymentInstrumentRow.card_fingerprint)).scalars())
    assert len(prints) == 1 and "4242" not in prints[0]


def test_forms_without_the_csrf_token_are_refused(web: TestClient) -> None:
    anonymous = web.post("/advertiser/signup", data={"name": "X", "country": "US"})
    assert anonymous.status_code == 403
    sign_up(web)
    for path in ("/advertiser/cards", "/advertiser/pages", "/advertiser/ads"):
        r = web.post(path, data={"currency": "USD"})
        assert r.status_code == 403 and "CSRF" in r.text
        r = web.post(path, data={"currency": "USD", "csrf": "forged"})
        assert r.status_code == 403
    assert web.post("/advertiser/logout").status_code == 403
    assert web.post("/advertiser/login", data={"token": "pf_x"}).status_code == 403
    assert web.get("/advertiser").status_code == 200  # still signed in


def test_a_signed_out_browser_is_sent_to_sign_in(web: TestClient) -> None:
    r = web.get("/advertiser", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/advertiser/login?next=/advertiser"
    r = web.get("/advertiser/ads", follow_redirects=False)
    assert r.headers["location"] == "/advertiser/login?next=/advertiser/ads"
    assert web.post("/advertiser/cards", follow_redirects=False).status_code == 303

    token = sign_up(web)
    r = post(web, "/advertiser/logout", {}, form="/advertiser")
    assert r.status_code == 303
    assert web.get("/advertiser", follow_redirects=False).status_code == 303
    # Signing in again with the token, back to where the browser was going.
    r = post(
        web,
        "/advertiser/login",
        {"token": token, "next": "/advertiser/ads"},
        form="/advertiser/login?next=/advertiser/ads",
    )
    assert r.status_code == 303 and r.headers["location"] == "/advertiser/ads"
    r = post(
        web,
        "/advertiser/login",
        {"token": token, "next": "https://evil.example/"},
        form="/advertiser/login",
    )
    assert r.headers["location"] == "/advertiser"


def test_only_advertiser_tokens_sign_in(web: TestClient, engine: Engine) -> None:
    tokens = TokenService(engine)
    reviewer, _ = tokens.create(Role.REVIEWER, "rita")
    r = post(web, "/advertiser/login", {"token": reviewer})
    assert r.status_code == 403 and "reviewer token cannot sign in" in r.text
    assert web.get("/advertiser", follow_redirects=False).status_code == 303
    r = post(web, "/advertiser/login", {"token": "pf_not-a-token"})
    assert r.status_code == 401 and "not valid" in r.text

    token = sign_up(web, "Bean Co")
    web.cookies.clear()
    r = post(web, "/advertiser/login", {"token": token})
    assert r.status_code == 303 and "Bean Co" in web.get("/advertiser").text
    # An advertiser session is not a staff session.
    staff = web.get("/staff/review", headers={"Accept": "text/html"}, follow_redirects=False)
    assert staff.status_code == 303 and staff.headers["location"].startswith("/staff/login")
    with engine.connect() as conn:
        actions = set(conn.execute(select(AuditEventRow.action)).scalars())
    assert {"advertiser.login", "advertiser.login_refused"} <= actions
    # Revoking the token ends the session.
    who = tokens.authenticate(token)
    assert who is not None
    tokens.revoke(who.token_id, actor="test")
    assert web.get("/advertiser", follow_redirects=False).status_code == 303


def test_one_account_cannot_use_or_see_anothers_page(web: TestClient) -> None:
    sign_up(web, "Alpha PAC")
    add_card(web)
    alpha_page = create_page(web, "Alpha Page")
    alpha_ad, _ = submit(
        web,
        alpha_page,
        political="",
        paid_for_by="",
        body="Fresh roasted coffee beans delivered to your door.",
    )
    web.cookies.clear()

    sign_up(web, "Beta PAC")
    add_card(web)
    home = web.get("/advertiser").text
    assert "Alpha Page" not in home and f"/advertiser/ads/{alpha_ad}" not in home
    assert "Alpha Page" not in web.get("/advertiser/ads").text
    r = post(web, "/advertiser/ads", ad_form(alpha_page))
    assert r.status_code == 400
    assert f"Page {alpha_page} is not one of this advertiser" in r.text
    assert web.get(f"/advertiser/ads/{alpha_ad}").status_code == 404


def test_bad_input_is_shown_per_field_never_a_500(web: TestClient) -> None:
    sign_up(web)
    r = post(web, "/advertiser/pages", {"name": "", "country": "ZZ", "admins": "Jane: US, XX"})
    assert r.status_code == 422
    assert 'id="name-problem">This is required.' in r.text
    assert "Admin 1: &#39;XX&#39; is not an ISO 3166 country code" in r.text
    r = post(web, "/advertiser/pages", {"name": "P", "country": "US", "admins": " "})
    assert r.status_code == 422 and 'id="admins-problem">Give at least one.' in r.text

    r = post(
        web,
        "/advertiser/authorizations",
        {
            "country": "US",
            "legal_name": "J",
            "residence_country": "US",
            "id_document_ref": "secret-doc-42",
            "funder": "",
        },
    )
    assert r.status_code == 422 and 'id="funder-problem"' in r.text
    assert "secret-doc-42" not in r.text

    bad = ad_form(
        "abc",
        budget="lots",
        start="",
        countries="ZZ",
        age_min="30",
        age_max="20",
        landing_url="example.org",
        platforms=["myspace"],
    )
    r = post(web, "/advertiser/ads", bad)
    assert r.status_code == 422
    for field in ("page_id", "budget", "start", "countries", "landing_url", "platforms"):
        assert f'id="{field}-problem"' in r.text, field
    assert POLITICAL[:40] in r.text  # what was typed is kept

    r = post(web, "/advertiser/ads", ad_form(1, age_min="30", age_max="20"))
    assert r.status_code == 422 and "The youngest age is above the oldest age." in r.text
    r = post(web, "/advertiser/ads", ad_form(1, stop="2026-11-01T09:00"))
    assert r.status_code == 422 and "The end is not after the start." in r.text

    # Valid, but no payment method and a page that does not exist: the service says why.
    r = post(web, "/advertiser/ads", ad_form(999))
    assert r.status_code == 400 and "is not one of this advertiser" in r.text
    assert web.get("/advertiser/ads/999999").status_code == 404


def test_the_sponsors_declaration_in_the_ad_form(web: TestClient, engine: Engine) -> None:
    """The ad form takes the sponsor's declaration of Regulation (EU) 2024/900 (art. 7): it is
    stored with the ad; an ad aimed at the EU without it is refused with the article; a bad
    field of it is shown on that field."""
    from paidfor.review.declaration_store import DeclarationRepository

    sign_up(web)
    add_card(web)
    page_id = create_page(web, "Anna Muster")
    form = web.get("/advertiser/ads").text
    assert 'name="declaration_status"' in form and "art. 5(2)" in form
    declaration = {
        "declaration_status": "eu_citizen", "declaration_sponsor_kind": "natural_person",
        "declaration_sponsor_name": "Anna Muster", "declaration_sponsor_email": "anna@example.org",
        "declaration_sponsor_address": "Musterstraße 1", "declaration_sponsor_country": "DE",
        "declaration_funding_source": "private", "declaration_funding_origin": "inside_union",
    }  # fmt: skip
    ad_id, page = submit(web, page_id, countries="DE", **declaration)
    stored = DeclarationRepository(engine).get(ad_id)
    assert stored is not None and stored.sponsor_email == "anna@example.org"
    assert "art. 7(1)" not in page
    ad_id, page = submit(web, page_id, countries="DE")
    assert DeclarationRepository(engine).get(ad_id) is None and "art. 7(1)" in page
    bad = {**declaration, "declaration_sponsor_email": "not an email"}
    r = post(web, "/advertiser/ads", ad_form(page_id, countries="DE", **bad))
    assert r.status_code == 422
    assert 'id="declaration_sponsor_email-problem"' in r.text
