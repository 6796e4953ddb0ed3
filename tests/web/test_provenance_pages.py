"""The ad's page and its JSON say where the record came from (issue 20): an imported ad its
source, its id there, its file (escaped: a file name is untrusted) and when it was imported;
an ad submitted through the intake API that its advertiser submitted it; ``ads_archive``
stays Graph's (provenance is no field of Graph's ``ArchivedAd``). SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from review.test_ttpa_flow import ad, declaration, reviewer, sponsor, vote
from sqlalchemy import Engine

from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.library.views import PublicAdDetail
from paidfor.storage.repo import AdRepository

__all__ = ["reviewer", "vote"]  # fixtures of test_ttpa_flow, used here

EVIL_FILE = '<img src=x onerror=alert(1)>&"ads.jsonl'


def line(i: int) -> str:
    return json.dumps(
        {
            "kind": "ad",
            "source": "prov-web",
            "external_id": f"w{i}",
            "creative": {"bodies": [f"Vote {i}"]},
            "page": {"name": "Page"},
            "status": "running",
            "delivery": {"currency": "USD", "spend": "10.00"},
            "created_at": "2024-03-01T10:00:00+00:00",
        }
    )


@pytest.fixture
def ids(engine: Engine, tmp_path: Path) -> dict[str, int]:
    folder = tmp_path / "private-home-folder"
    folder.mkdir()
    path = folder / EVIL_FILE
    path.write_text(line(1) + "\n" + line(2) + "\n", encoding="utf-8")
    report = run_import(engine, Native(), [path])
    assert report.counts.inserted == 2
    found = AdRepository(engine).get_by_key("prov-web", "w1")
    assert found is not None and found.id is not None
    return {"w1": found.id}


@pytest.fixture
def client(ids: dict[str, int], api: TestClient) -> TestClient:
    """The app (``api``), started once ``ids`` loaded the data."""
    return api


def test_an_imported_ads_page_and_json_say_where_it_came_from(
    client: TestClient, ids: dict[str, int]
) -> None:
    data = client.get(f"/api/ads/{ids['w1']}").json()
    assert set(data) == set(PublicAdDetail.__dataclass_fields__)
    p: dict[str, Any] = data["provenance"]
    assert (p["origin"], p["source"], p["source_id"], p["file"]) == (
        "import", "prov-web", "w1", EVIL_FILE,
    )  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{64}", p["file_sha256"]) and p["import_finished"] is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["imported_at"])
    page = client.get(f"/ads/{ids['w1']}").text
    when = p["imported_at"].replace("T", " ").removesuffix("Z")
    shown = f"Source: prov-web, id w1, file {escape(EVIL_FILE)}, imported {when} UTC"
    assert shown in page
    assert "<img src=x" not in page and EVIL_FILE not in page
    assert p["file_sha256"] in page
    for private in ("private-home-folder", "/tmp"):  # the importing machine's path
        assert private not in page and private not in json.dumps(data)


def test_lists_of_ads_carry_no_provenance(client: TestClient, ids: dict[str, int]) -> None:
    found = client.get("/api/search", params={"q": "vote"}).json()["ads"]
    assert found and all("provenance" not in a for a in found)


def test_ads_archive_stays_graphs(client: TestClient, ids: dict[str, int]) -> None:
    every = ("id,page_name,ad_creative_bodies,spend,currency,ad_creation_time,"
             "ad_delivery_start_time,languages,publisher_platforms")  # fmt: skip
    body = client.get("/v19.0/ads_archive", params={"ad_reached_countries": "ALL",
                                                    "fields": every}).json()  # fmt: skip
    assert body["data"] and all(set(r) <= set(every.split(",")) for r in body["data"])
    asked = client.get("/v19.0/ads_archive", params={"ad_reached_countries": "ALL",
                                                     "fields": "id,provenance"})  # fmt: skip
    assert asked.status_code == 400
    assert "nonexisting field (provenance)" in asked.json()["error"]["message"]


def test_a_submitted_ad_says_its_advertiser_submitted_it(
    api: TestClient, reviewer: dict[str, str], vote: int
) -> None:
    auth, page = sponsor(api, reviewer)
    answer = api.post("/api/me/ads", headers=auth, json=ad(page, declaration())).json()
    assert answer["decision"] == "approved", answer
    data = api.get(f"/api/ads/{answer['ad_id']}").json()
    assert data["provenance"]["origin"] == "submitted"
    assert data["provenance"]["file"] is None and data["provenance"]["imported_at"] is None
    page_html = api.get(f"/ads/{answer['ad_id']}").text
    assert "Submitted by the advertiser through this library, not imported" in page_html
    assert "file not recorded" not in page_html
