"""A forged Host header links nowhere: the server answers only the hosts it is (its public
URL's, the loopback names, PAIDFOR_ALLOWED_HOSTS), and writes every absolute URL (the
archive's ``paging.next`` and ``ad_snapshot_url``, a redirect's ``Location``) from its public
URL, whatever Host the request named."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from archive_data import load
from fastapi.testclient import TestClient

from paidfor.errors import Invalid
from paidfor.interfaces.cli.main import serve_app
from paidfor.interfaces.http.api.app import create_app
from paidfor.interfaces.http.hosts import host_name
from paidfor.settings import Settings, allowed_hosts_of, public_url_of
from paidfor.storage.db import make_engine

ARCHIVE = "/v19.0/ads_archive"
QUERY = {
    "ad_reached_countries": "ALL",
    "ad_active_status": "ALL",
    "fields": "id,ad_snapshot_url",
    "limit": "2",
}
FORGED = [
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.evil.example",
    "127.0.0.1@evil.example",
    "127.0.0.1/evil.example",
    "127.0.0.1:8000/@evil.example",
    "[::1].evil.example",
    "",
]


@pytest.fixture
def db(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "paidfor.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    load(engine, tmp_path)
    engine.dispose()
    return url


def server(db: str, tmp_path: Path, **settings: str) -> TestClient:
    """The app with the server's defaults (no ``testserver``: ``allowed_hosts`` is given)."""
    given = {"allowed_hosts": "", **settings}
    return TestClient(
        create_app(db, Settings(index_dir=str(tmp_path / "index"), search_index=False, **given)),
        base_url="http://127.0.0.1:8000",
        follow_redirects=False,
    )


@pytest.fixture
def default(db: str, tmp_path: Path) -> Iterator[TestClient]:
    with server(db, tmp_path) as client:
        yield client


@pytest.mark.parametrize("host", FORGED)
def test_a_forged_host_is_refused_before_any_route(default: TestClient, host: str) -> None:
    for path in (f"{ARCHIVE}?ad_reached_countries=ALL", "/staff/", "/staff", "/search", "/"):
        r = default.get(path, headers={"Host": host})
        assert r.status_code == 400, (path, host, r.status_code)
        assert r.json()["error"]["message"] == (
            "the Host header names no host this server answers to"
        )
        assert "evil" not in r.text and "evil" not in str(r.headers).lower()
        assert "X-App-Usage" not in r.headers  # refused before the rate limit counts it


def test_the_loopback_names_are_answered_with_links_to_the_public_url(
    default: TestClient,
) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "LOCALHOST.", "[::1]:8000", "127.0.0.1"):
        body = default.get(ARCHIVE, params=QUERY, headers={"Host": host}).json()
        assert body["paging"]["next"].startswith(f"http://127.0.0.1:8000{ARCHIVE}?"), host
        for row in body["data"]:
            assert row["ad_snapshot_url"] == f"http://127.0.0.1:8000/ads/{row['id']}"


def test_an_allowed_alias_gets_links_to_the_public_url_not_to_itself(
    db: str, tmp_path: Path
) -> None:
    settings = {"public_url": "https://ads.example.org/", "allowed_hosts": "www.example.org"}
    with server(db, tmp_path, **settings) as client:
        alias = {"Host": "www.example.org"}
        body = client.get(ARCHIVE, params=QUERY, headers=alias).json()
        assert body["paging"]["next"].startswith(f"https://ads.example.org{ARCHIVE}?")
        assert {r["ad_snapshot_url"] for r in body["data"]} == {
            f"https://ads.example.org/ads/{r['id']}" for r in body["data"]
        }
        # Starlette's own redirect (a trailing slash) named the request's Host and scheme
        moved = client.get("/funders/", headers=alias)
        assert moved.status_code in (301, 307, 308)
        assert moved.headers["location"] == "https://ads.example.org/funders"
        # the app's redirects are paths, resolved against the host the client asked
        moved = client.get("/?q=vote", headers=alias)
        assert moved.headers["location"] == "/search?q=vote"
        assert client.get("/healthz", headers={"Host": "ads.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "example.org"}).status_code == 400


def test_the_servers_defaults_answer_its_own_address_and_loopback_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PAIDFOR_ALLOWED_HOSTS", raising=False)  # the test run's testserver
    settings = Settings()
    assert public_url_of(settings) == "http://127.0.0.1:8000"
    assert allowed_hosts_of(settings) == {"127.0.0.1", "localhost", "::1"}
    named = Settings(public_url="https://Ads.Example.org", allowed_hosts="www.example.org, x.")
    assert allowed_hosts_of(named) == {
        "ads.example.org", "www.example.org", "x", "127.0.0.1", "localhost", "::1"
    }  # fmt: skip
    assert public_url_of(Settings(host="::1", port=9000)) == "http://[::1]:9000"
    for bad in ("ftp://x.example", "https://x.example/app", "https://u@x.example", "x.example",
                "javascript:alert(1)", "https://x.example?a=1"):  # fmt: skip
        with pytest.raises(ValueError, match="host"):
            Settings(public_url=bad)
    assert host_name("[::1]:80") == "::1" and host_name("A.Example.:80") == "a.example"
    assert host_name("a.example/b") is None and host_name("u@a.example") is None


def test_serve_names_the_address_it_listens_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``paidfor serve`` puts the host and port it binds in the settings its workers get;
    on every address (0.0.0.0) it needs PAIDFOR_PUBLIC_URL, an address a client can use."""
    import paidfor.interfaces.http.api.serving as serving

    served: list[Settings] = []
    monkeypatch.setattr(serving, "serve", lambda settings, *args: served.append(settings))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.db'}", secret_key="k" * 20)
    serve_app(settings, "127.0.0.2", 9001)
    assert public_url_of(served[-1]) == "http://127.0.0.2:9001"
    for everywhere in ("0.0.0.0", "::", "[::]"):
        with pytest.raises(Invalid, match="PAIDFOR_PUBLIC_URL"):
            serve_app(settings, everywhere, 8000)
    public = settings.model_copy(update={"public_url": "https://ads.example.org"})
    serve_app(public, "0.0.0.0", 8000)
    assert public_url_of(served[-1]) == "https://ads.example.org"
    assert "ads.example.org" in allowed_hosts_of(served[-1])
