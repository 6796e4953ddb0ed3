"""The staff sign-in flow through the test client: CSRF, the cookie's flags, refusals,
sign-out, and the audit events it writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI, Form, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from paidfor.auth.roles import Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.interfaces.http.auth import add_staff_link, check_csrf, install_auth
from paidfor.interfaces.http.deps import require
from paidfor.settings import Settings
from paidfor.storage.models import AdvertiserRow, AuditEventRow


def make_app(engine: Engine, *, https_only: bool = False) -> FastAPI:
    app = FastAPI()
    install_auth(
        app, TokenService(engine), Settings(secret_key="test-secret-key"), https_only=https_only
    )
    add_staff_link(app, "/staff/queue", "Review queue", Role.REVIEWER)
    add_staff_link(app, "/staff/cases", "Cases", Role.INVESTIGATOR)

    @app.post("/staff/decide")
    def decide(who: Principal = Depends(require(Role.REVIEWER))) -> dict[str, str]:
        return {"actor": who.actor}

    @app.post("/staff/note")
    def note(
        text: str = Form(), who: Principal = Depends(require(Role.REVIEWER))
    ) -> dict[str, str]:
        return {"text": text, "actor": who.actor}

    @app.get("/api/private")
    def private(who: Principal = Depends(require(Role.REVIEWER))) -> dict[str, str]:
        return {"actor": who.actor}

    @app.post("/staff/manual")
    async def manual(request: Request) -> dict[str, bool]:
        check_csrf(request, (await request.form()).get("csrf"))
        return {"ok": True}

    return app


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return make_app(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _login(client: TestClient, token: str, **extra: str) -> Any:
    form = client.get("/staff/login")
    assert form.status_code == 200 and form.headers["cache-control"] == "no-store"
    data = {"token": token, "csrf": _csrf(form.text), **extra}
    return client.post("/staff/login", data=data, follow_redirects=False)


def _actions(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEventRow.action, AuditEventRow.actor).order_by(AuditEventRow.id)
        ).all()
    return [(r.action, r.actor) for r in rows]


def test_login_flow(app: FastAPI, client: TestClient, engine: Engine) -> None:
    token, who = app.state.tokens.create(Role.REVIEWER, "alice")
    form = client.get("/staff/login")
    assert 'type="password"' in form.text and 'name="token"' in form.text
    before = _csrf(form.text)

    r = client.post("/staff/login", data={"token": token, "csrf": before}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff"
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("paidfor_session=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=strict" in flags and "secure" not in flags
    assert token not in cookie

    home = client.get("/staff")
    assert home.status_code == 200 and home.headers["cache-control"] == "no-store"
    assert "alice" in home.text and "Review queue" in home.text and "Cases" not in home.text
    after = _csrf(home.text)
    assert after != before  # rotated at sign-in

    # A state-changing staff route needs the session's CSRF token, in the form or a header.
    assert client.post("/staff/decide").status_code == 403
    assert client.post("/staff/decide", data={"csrf": before}).status_code == 403
    assert client.post("/staff/decide", data={"csrf": after}).json() == {"actor": who.actor}
    assert client.post("/staff/decide", headers={"X-CSRF-Token": after}).status_code == 200
    assert client.post("/staff/manual", data={"csrf": after}).json() == {"ok": True}
    noted = client.post("/staff/note", data={"csrf": after, "text": "ok"})
    assert noted.json() == {"text": "ok", "actor": who.actor}
    assert client.post("/staff/note", data={"text": "no csrf"}).status_code == 403
    private = client.get("/api/private")  # the session works outside /staff too, uncached
    assert private.status_code == 200 and private.headers["cache-control"] == "no-store"
    assert client.post("/staff/manual", data={"csrf": "nope"}).status_code == 403

    assert client.post("/staff/logout", data={"csrf": "nope"}).status_code == 403
    assert client.get("/staff").status_code == 200  # still signed in
    out = client.post("/staff/logout", data={"csrf": after}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/login"
    assert "1970" in out.headers["set-cookie"]  # the cookie is cleared
    assert client.get("/staff").status_code == 401
    assert _actions(engine) == [
        ("token.create", "cli"),
        ("staff.login", who.actor),
        ("staff.logout", who.actor),
    ]


def test_login_needs_the_csrf_token(app: FastAPI, client: TestClient) -> None:
    token, _ = app.state.tokens.create(Role.ADMIN, "root")
    assert client.post("/staff/login", data={"token": token}).status_code == 403
    client.get("/staff/login")
    r = client.post("/staff/login", data={"token": token, "csrf": "forged"})
    assert r.status_code == 403 and r.json()["error"]["status"] == 403
    html = client.post(
        "/staff/login", data={"token": token, "csrf": "x"}, headers={"Accept": "text/html"}
    )
    assert html.status_code == 403 and "CSRF" in html.text
    assert client.get("/staff").status_code == 401


def test_only_staff_tokens_sign_in(app: FastAPI, client: TestClient, engine: Engine) -> None:
    with engine.begin() as conn:
        account = conn.execute(
            insert(AdvertiserRow).returning(AdvertiserRow.id), {"name": "Acme", "disabled": False}
        ).scalar_one()
    service: TokenService = app.state.tokens
    ad_token, advertiser = service.create(Role.ADVERTISER, "acme", advertiser_id=account)
    partner_token, _ = service.create(Role.PARTNER, "acme-sec")
    for token, role in ((ad_token, "advertiser"), (partner_token, "partner")):
        r = _login(client, token)
        assert r.status_code == 403
        assert f"A {role} token cannot sign in to the staff pages" in r.text
        assert client.get("/staff").status_code == 401
    bad = _login(client, "pf_not-a-token")
    assert bad.status_code == 401 and "not valid" in bad.text
    assert ("staff.login_refused", advertiser.actor) in _actions(engine)


def test_revoking_a_token_ends_its_session(app: FastAPI, client: TestClient) -> None:
    token, who = app.state.tokens.create(Role.INVESTIGATOR, "bob")
    assert _login(client, token).status_code == 303
    home = client.get("/staff")
    assert home.status_code == 200 and "Review queue" not in home.text and "Cases" in home.text
    app.state.tokens.revoke(who.token_id, "admin:root#1")
    assert client.get("/staff").status_code == 401
    browser = client.get("/staff", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"] == "/staff/login?next=/staff"


def test_next_is_followed_only_on_this_site(app: FastAPI, client: TestClient) -> None:
    token, _ = app.state.tokens.create(Role.REVIEWER, "alice")
    r = _login(client, token, next="/staff/queue?page=2")
    assert r.headers["location"] == "/staff/queue?page=2"
    form = client.get("/staff/login?next=/staff/cases", follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/staff/cases"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"):
        other = TestClient(app)
        assert _login(other, token, next=evil).headers["location"] == "/staff"


def test_secure_cookie_and_no_store_when_https_only(engine: Engine) -> None:
    app = make_app(engine, https_only=True)
    token, _ = app.state.tokens.create(Role.REVIEWER, "alice")
    with TestClient(app, base_url="https://testserver") as client:
        r = _login(client, token)
        flags = {part.strip().lower() for part in r.headers["set-cookie"].split(";")}
        assert "secure" in flags and "httponly" in flags
        assert client.get("/staff").status_code == 200


def test_bearer_tokens_need_no_csrf(app: FastAPI, client: TestClient) -> None:
    token, who = app.state.tokens.create(Role.REVIEWER, "api-client")
    r = client.post("/staff/decide", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json() == {"actor": who.actor}
    assert "set-cookie" not in r.headers
    home = client.get("/staff", headers={"Authorization": f"Bearer {token}"})
    assert home.status_code == 200 and "Sign out" not in home.text
