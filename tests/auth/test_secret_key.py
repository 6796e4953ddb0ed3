"""Secure by default: no constant session key. Unset, a server makes a random key per
database (kept beside it, mode 0600) on loopback and refuses a public address; a cookie
signed with the old development key opens nothing."""

from __future__ import annotations

import json
import stat
from base64 import b64encode
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.errors import Invalid
from paidfor.interfaces.cli.main import serve_app
from paidfor.interfaces.http.api.app import create_app
from paidfor.interfaces.http.auth import SESSION_COOKIE
from paidfor.settings import Settings, is_loopback, secret_key_file, with_secret_key

OLD_DEFAULT = "dev-only-change-me"


def forged_session(key: str, token_id: int) -> str:
    """A session cookie as Starlette's SessionMiddleware signs it."""
    data = b64encode(json.dumps({"token_id": token_id}).encode())
    return TimestampSigner(key).sign(data).decode()


def test_a_cookie_signed_with_the_old_default_key_opens_nothing(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    _, who = TokenService(engine).create(Role.ADMIN, "an admin")
    settings = Settings(index_dir=str(tmp_path / "index"))  # PAIDFOR_SECRET_KEY unset
    with TestClient(create_app(db_url, settings)) as client:
        for key in (OLD_DEFAULT, "", "changeme"):
            client.cookies.set(SESSION_COOKIE, forged_session(key, who.token_id))
            r = client.get("/api/review/queue")
            assert r.status_code == 401, (key, r.status_code)
            client.cookies.clear()
    # the same cookie under the key the app does hold is a session: the forgery was the thing
    with TestClient(create_app(db_url, settings.model_copy(update={"secret_key": "k" * 20}))) as c:
        c.cookies.set(SESSION_COOKIE, forged_session("k" * 20, who.token_id))
        assert c.get("/api/review/queue").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_serve_refuses_a_public_host_without_a_key(host: str, tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}")
    with pytest.raises(Invalid, match="PAIDFOR_SECRET_KEY is not set"):
        serve_app(settings, host, 8000)
    with pytest.raises(Invalid, match="shorter than 16"):
        with_secret_key(settings.model_copy(update={"secret_key": "short"}), host)
    kept = with_secret_key(settings.model_copy(update={"secret_key": "x" * 16}), host)
    assert kept.secret_key == "x" * 16
    assert not (tmp_path / "p.db.secret-key").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


def test_on_loopback_a_random_key_is_kept_per_database(tmp_path: Path) -> None:
    one = Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}")
    two = Settings(database_url=f"sqlite:///{tmp_path / 'two.db'}")
    first = with_secret_key(one, "127.0.0.1").secret_key
    path = secret_key_file(one)
    assert path == tmp_path / "one.db.secret-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first and len(first) >= 32 and first != OLD_DEFAULT
    assert with_secret_key(one, "localhost").secret_key == first  # kept: a restart keeps it
    other = with_secret_key(two, "127.0.0.1").secret_key
    assert other and other != first
    path.chmod(0o644)
    with pytest.raises(Invalid, match="can be read by others"):
        with_secret_key(one, "127.0.0.1")
