"""``require`` and ``optional_principal`` on a small app: the roles matrix, the error shape,
and arbitrary Authorization headers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from paidfor.auth.roles import Principal, Role
from paidfor.auth.tokens import TokenService
from paidfor.interfaces.http.auth import install_auth
from paidfor.interfaces.http.deps import bearer_token, optional_principal, require
from paidfor.settings import Settings
from paidfor.storage.models import AdvertiserRow


def make_app(engine: Engine) -> FastAPI:
    app = FastAPI()
    install_auth(app, TokenService(engine), Settings(secret_key="test-secret-key"))

    @app.get("/review")
    def review(who: Principal = Depends(require(Role.REVIEWER))) -> dict[str, Any]:
        return {"actor": who.actor}

    @app.get("/public")
    def public(who: Principal | None = Depends(optional_principal)) -> dict[str, Any]:
        return {"actor": who.actor if who else None}

    return app


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return make_app(engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def _tokens(app: FastAPI, engine: Engine) -> dict[Role, str]:
    service: TokenService = app.state.tokens
    with engine.begin() as conn:
        account = conn.execute(
            insert(AdvertiserRow).returning(AdvertiserRow.id), {"name": "Acme", "disabled": False}
        ).scalar_one()
    out = {}
    for role in Role:
        advertiser = account if role is Role.ADVERTISER else None
        out[role], _ = service.create(role, f"{role.value}-1", advertiser_id=advertiser)
    return out


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    message = body["error"]["message"]
    assert isinstance(message, str) and message
    return message


def test_roles_matrix(app: FastAPI, client: TestClient, engine: Engine) -> None:
    tokens = _tokens(app, engine)
    missing = client.get("/review")
    _error(missing, 401)
    assert missing.headers["www-authenticate"] == "Bearer"
    for role, token in tokens.items():
        r = client.get("/review", headers={"Authorization": f"Bearer {token}"})
        if role in (Role.REVIEWER, Role.ADMIN):
            assert r.status_code == 200
            assert r.json()["actor"].startswith(f"{role.value}:{role.value}-1#")
            assert r.headers["cache-control"] == "no-store"
        else:
            assert "reviewer" in _error(r, 403)
            assert "www-authenticate" not in r.headers
    lower = client.get("/review", headers={"authorization": f"bearer {tokens[Role.REVIEWER]}"})
    assert lower.status_code == 200


def test_bad_and_revoked_tokens_are_401(app: FastAPI, client: TestClient) -> None:
    service: TokenService = app.state.tokens
    token, who = service.create(Role.REVIEWER, "alice")
    for header in [f"Basic {token}", "Bearer", "Bearer pf_nope", f"Bearer {token} extra", token]:
        r = client.get("/review", headers={"Authorization": header})
        _error(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/review", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    service.revoke(who.token_id, "admin:root#1")
    r = client.get("/review", headers={"Authorization": f"Bearer {token}"})
    assert "revoked" in _error(r, 401)
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_optional_principal_and_public_caching(app: FastAPI, client: TestClient) -> None:
    token, _ = app.state.tokens.create(Role.PARTNER, "acme-sec")
    anonymous = client.get("/public")
    assert anonymous.json() == {"actor": None}
    assert "cache-control" not in anonymous.headers and "set-cookie" not in anonymous.headers
    known = client.get("/public", headers={"Authorization": f"Bearer {token}"})
    assert known.json()["actor"].startswith("partner:acme-sec#")
    assert known.headers["cache-control"] == "no-store"
    _error(client.get("/public", headers={"Authorization": "Bearer pf_wrong"}), 401)


def test_a_browser_without_credentials_is_sent_to_sign_in(client: TestClient) -> None:
    r = client.get("/review?x=1", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?next=/review%3Fx%3D1"


def test_require_without_install_auth_says_what_to_do() -> None:
    app = FastAPI()

    @app.get("/x")
    def x(who: Principal = Depends(require(Role.ADMIN))) -> str:
        return who.actor

    with TestClient(app) as c, pytest.raises(RuntimeError, match="install_auth"):
        c.get("/x")


@given(st.text(max_size=300))
def test_bearer_parsing_never_raises(header: str) -> None:
    token = bearer_token(header)
    assert token is None or (token and not any(c.isspace() for c in token))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda s: s.encode("utf-8")),
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60).map(
            lambda s: f"Bearer pf_{s}".encode()
        ),
    )
)
def test_any_authorization_header_is_a_401(client: TestClient, header: bytes) -> None:
    r = client.get("/review", headers={"Authorization": header})
    _error(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.one_of(st.text(max_size=300), st.text(max_size=300).map(lambda s: "pf_" + s)))
def test_authenticate_never_raises(app: FastAPI, token: str) -> None:
    assert app.state.tokens.authenticate(token) is None
