"""The home page, the search and its JSON twin, served from a real imported database
(tests/web has the library's full tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from databases import seeded
from fastapi.testclient import TestClient

from conftest import ira_release

pytestmark = seeded(ira_release)  # each test's database: a copy of one with the release


@pytest.fixture
def client(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_api() as c:
        yield c


def test_index_lists_ads_and_searches(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "3,517 ads" in page.text and "No “Paid for by” disclaimer" in page.text
    found = client.get("/", params={"q": "Black Matters"})
    assert found.status_code == 200 and "matching “Black Matters”" in found.text
    data = client.get("/api/ads", params={"q": "police brutality"}).json()
    assert data["total"] > 0 and len(data["ads"]) <= 25
    assert all("police" in a["text"].lower() for a in data["ads"])
    assert "targeting" not in data["ads"][0]  # private


def test_ad_page_and_errors(client: TestClient) -> None:
    first = client.get("/api/ads").json()["ads"][0]
    page = client.get(f"/ads/{first['id']}")
    assert page.status_code == 200 and "Internet Research Agency" in page.text
    assert "RUB" in page.text
    assert client.get("/ads/999999999").status_code == 404
    # The interim list's addresses now land on the search page, which answers 400.
    assert client.get("/", params={"page": 0}).status_code == 400
    assert client.get("/", params={"q": "x" * 201}).status_code == 400
    assert client.get("/api/stats").json()["ads"] == 3517
