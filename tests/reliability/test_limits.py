"""Limits with clear errors: request bodies (413 before the route reads them), search terms
(400 naming the limit), and rate limits on the public API: ads_archive answers Graph's
throttling error (code 4, ``X-App-Usage``), the JSON search and the downloads a 429 in the
project's error shape with the same code (docs/reliability.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paidfor.interfaces.http.api.app import create_app
from paidfor.library.archive_params import SEARCH_TERMS_MAX
from paidfor.library.search import Q_MAX
from paidfor.settings import Settings
from paidfor.storage.db import make_engine, migrate
from reliability.support import ad_body, advertiser

MIB = 1024 * 1024


def make_client(tmp_path: Path, **limits: float) -> TestClient:
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    settings = Settings(index_dir=str(tmp_path / "index"), search_index=False,
                        secret_key="test-secret-key-123", **limits)  # fmt: skip
    return TestClient(create_app(url, settings))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as client:
        yield client


def assert_error(r: object, status: int, *words: str) -> dict[str, object]:
    from httpx import Response

    assert isinstance(r, Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["status"] == status and isinstance(err["message"], str)
    for w in words:
        assert w in err["message"], (w, err["message"])
    return dict(err)


def test_a_body_over_the_limit_is_refused_before_the_route_reads_it(api: TestClient) -> None:
    auth, page = advertiser(api, "Bean Co")
    big = json.dumps(ad_body(page, "x" * MIB)).encode()
    as_json = {**auth, "content-type": "application/json"}
    r = api.post("/api/me/ads", content=big, headers=as_json)
    assert_error(r, 413, "larger than 1 MiB", "POST /api/me/ads")
    # Sent in chunks without a Content-Length: refused as soon as it passes the limit.
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    r = api.post(
        "/api/me/ads", content=chunks, headers={**auth, "content-type": "application/json"}
    )
    assert_error(r, 413, "larger than 1 MiB")
    assert api.get("/api/me", headers=auth).status_code == 200
    assert api.get("/api/me/ads/1", headers=auth).status_code == 404  # nothing was stored
    # Every route, public or not, JSON or form.
    r = api.post("/api/advertisers", content=b"{" + b" " * MIB + b"}",
                 headers={"content-type": "application/json"})  # fmt: skip
    assert_error(r, 413)
    r = api.post("/staff/login", content=b"token=" + b"a" * MIB,
                 headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert_error(r, 413)
    r = api.post("/api/me/ads", content=b"{}", headers={**as_json, "content-length": "abc"})
    assert_error(r, 400, "Content-Length")
    # Under the limit the route answers as before.
    r = api.post("/api/me/ads", json=ad_body(page, "Fresh coffee, roasted today"), headers=auth)
    assert r.status_code == 201, r.text


def test_image_uploads_take_their_8_mb_and_no_more(api: TestClient) -> None:
    auth, _page = advertiser(api, "Pictures")
    two_mib = b"\x00" * (2 * MIB)
    r = api.post("/api/me/images", files={"file": ("a.png", two_mib, "image/png")}, headers=auth)
    assert r.status_code == 422, r.text  # past the guard: the route says it is no picture
    r = api.post("/api/me/images", files={"file": ("a.png", b"\x00" * (10 * MIB), "image/png")},
                 headers=auth)  # fmt: skip
    assert_error(r, 413, "9 MiB", "/api/me/images")


def test_search_terms_have_limits_named_in_the_error(api: TestClient) -> None:
    ok = api.get("/api/search", params={"q": "vote " * (Q_MAX // 5)})
    assert ok.status_code == 200, ok.text
    r = api.get("/api/search", params={"q": "v" * (Q_MAX + 1)})
    err = assert_error(r, 400, f"longer than {Q_MAX} characters")
    assert err["param"] == "q"
    page = api.get("/search", params={"q": "v" * (Q_MAX + 1)})
    assert page.status_code == 400 and f"longer than {Q_MAX} characters" in page.text
    assert api.get("/search.csv", params={"q": "v" * (Q_MAX + 1)}).status_code == 400
    url = "/v19.0/ads_archive"
    base = {"ad_reached_countries": "US"}
    ok = api.get(url, params={**base, "search_terms": "v" * SEARCH_TERMS_MAX})
    assert ok.status_code == 200, ok.text
    r = api.get(url, params={**base, "search_terms": "v" * (SEARCH_TERMS_MAX + 1)})
    assert r.status_code == 400
    graph = r.json()["error"]
    assert graph["code"] == 100 and graph["type"] == "OAuthException"
    assert f"at most {SEARCH_TERMS_MAX} characters" in graph["message"]


def test_ads_archive_throttles_like_graph(tmp_path: Path) -> None:
    with make_client(tmp_path, archive_rate_limit=2) as api:
        params = {"ad_reached_countries": "US"}
        for n in (1, 2):
            r = api.get("/v19.0/ads_archive", params=params)
            assert r.status_code == 200
            assert json.loads(r.headers["X-App-Usage"])["call_count"] == 50 * n
        r = api.get("/v19.0/ads_archive", params=params)
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["code"] == 4 and err["is_transient"] is True
        assert err["message"] == "(#4) Application request limit reached"
        assert err["type"] == "OAuthException" and err["fbtrace_id"]
        usage = json.loads(r.headers["X-App-Usage"])
        assert set(usage) == {"call_count", "total_cputime", "total_time"}
        assert usage["call_count"] == 100


def test_the_json_search_and_the_downloads_are_rate_limited(tmp_path: Path) -> None:
    with make_client(tmp_path, search_rate_limit=3, download_rate_limit=2) as api:
        for n in (1, 2, 3):
            r = api.get("/api/search", params={"q": "vote"})
            assert r.status_code == 200, r.text
            assert json.loads(r.headers["X-App-Usage"])["call_count"] == int(100 * n / 3)
        r = api.get("/api/ads")  # the old address of the same search shares the window
        err = assert_error(r, 429, "(#4) Application request limit reached", "3 calls in 60")
        assert err["code"] == 4 and err["is_transient"] is True
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        assert json.loads(r.headers["X-App-Usage"])["call_count"] == 100
        # The downloads have a window of their own; the rest of the site is not limited.
        for _ in range(2):
            assert api.get("/search.csv", params={"q": "vote"}).status_code == 200
        assert_error(api.get("/search.parquet", params={"q": "vote"}), 429, "2 calls in 60")
        assert api.get("/api/stats").status_code == 200
        assert api.get("/api/ads/1").status_code == 404


def test_the_search_page_shares_the_json_searchs_budget(tmp_path: Path) -> None:
    """The page runs the same search as /api/search: one budget for both, in either order;
    the page's refusal is a page, with the same sentence and headers."""
    with make_client(tmp_path, search_rate_limit=3) as api:
        for _ in range(2):
            assert api.get("/api/search", params={"q": "vote"}).status_code == 200
        page = api.get("/search", params={"q": "vote"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert json.loads(page.headers["X-App-Usage"])["call_count"] == 100
        refused = api.get("/search", params={"q": "vote"})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("text/html")
        assert "Too many requests" in refused.text and "3 calls in 60 seconds" in refused.text
        assert "<html" in refused.text.lower() and 'href="/search"' in refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert json.loads(refused.headers["X-App-Usage"])["call_count"] == 100
        assert refused.headers["Cache-Control"] == "no-store"
        assert "default-src" in refused.headers["Content-Security-Policy"]
        assert_error(api.get("/api/search", params={"q": "vote"}), 429, "3 calls in 60")
    (tmp_path / "other").mkdir()
    with make_client(tmp_path / "other", search_rate_limit=2) as api:
        assert api.get("/api/search").status_code == 200
        assert api.get("/search").status_code == 200
        assert api.get("/search").status_code == 429  # the page after the JSON
        assert_error(api.get("/api/ads"), 429, "2 calls in 60")


def test_a_limit_of_zero_turns_the_search_limit_off(tmp_path: Path) -> None:
    with make_client(tmp_path, search_rate_limit=0) as api:
        for _ in range(400):  # more than the default 300 a minute
            r = api.get("/api/search")
            assert r.status_code == 200 and "X-App-Usage" not in r.headers
