"""One policy for removed ads' content (issue 20), on every surface: the ad's page, the
search's cards, an advertiser's page, the search's JSON and one ad's, ``ads_archive``, and the
CSV and Parquet downloads.

The rule (``Ad.content_withheld``, docs/ads_archive.md): an ad removed for breaking the rules
is shown without its texts, links and images unless the reader asks with
``unmask_removed_content=true``; the ads of a public record released whole by a legislature
(``RELEASED_SOURCES``: the IRA's, removed for coordinated inauthentic behaviour and published
by the House Intelligence Committee) are shown whole; every other ad is shown whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from databases import seeded
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from library_data import load
from sqlalchemy import Engine

from paidfor.domain import Ad, AdStatus
from paidfor.domain.models import RELEASED_SOURCES
from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage.repo import AdRepository

from conftest import IRA_CLEAN

SECRET = "Secret water rally tomorrow"  # the text of library_data's r1, removed for the rules
UNMASK = {"unmask_removed_content": "true"}
IRA_ROWS = 40  # the first rows of the release, imported as the released record


@given(
    status=st.sampled_from(list(AdStatus)),
    source=st.sampled_from(["hpsci-ira", "meta", "native", "library-test"]),
    unmask=st.booleans(),
)
def test_the_rule(status: AdStatus, source: str, unmask: bool) -> None:
    ad = Ad(source=source, external_id="1", status=status)
    withheld = ad.content_withheld(unmask)
    if status is not AdStatus.REMOVED or unmask or source in RELEASED_SOURCES:
        assert not withheld
    else:
        assert withheld


def load_world(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    """A seed: the library's test ads and the first rows of the IRA release."""
    ids = load(engine, tmp_path)
    lines = IRA_CLEAN.read_text().splitlines()
    sample = tmp_path / "ira_sample.csv"
    sample.write_text("\n".join(lines[: IRA_ROWS + 1]) + "\n")
    report = run_import(engine, SOURCES["hpsci-ira"](), [sample])
    assert not report.errors
    repo = AdRepository(engine)
    ira = [
        a
        for a in (repo.get_by_key("hpsci-ira", str(n)) for n in range(1, 4000))
        if a is not None and a.creative.bodies and a.creative.bodies[0].isascii()
    ]
    assert ira and all(a.status is AdStatus.REMOVED for a in ira)
    return {"ids": ids, "ira": ira[0]}


pytestmark = seeded(load_world)


@pytest.fixture
def world(seed_data: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """Its ids, and an IRA ad with an ASCII body."""
    return seed_data


@pytest.fixture
def client(world: dict[str, Any], make_api: Callable[..., TestClient]) -> TestClient:
    """The app, not started: no search index, no rate limit on the search."""
    return make_api(search_index=False, search_rate_limit=0)


def test_the_ad_page(client: TestClient, world: dict[str, Any]) -> None:
    r1 = world["ids"]["r1"]
    html = client.get(f"/ads/{r1}").text
    assert SECRET not in html and "withheld" in html.lower()
    assert f'href="/ads/{r1}?unmask_removed_content=true"' in html
    assert SECRET in client.get(f"/ads/{r1}", params=UNMASK).text
    ira = world["ira"]
    page = client.get(f"/ads/{ira.id}").text
    assert "This ad was removed" in page and "withheld" not in page.lower()
    assert ira.creative.bodies[0][:40].replace("'", "&#39;") in page


def test_the_search_cards_and_an_advertisers_page(
    client: TestClient, world: dict[str, Any]
) -> None:
    html = client.get("/search", params={"q": "secret water"}).text
    assert SECRET not in html and "Withheld" in html
    assert SECRET in client.get("/search", params={"q": "secret water", **UNMASK}).text
    r1 = client.get(f"/api/ads/{world['ids']['r1']}").json()
    page = client.get(f"/pages/{r1['page_id']}").text
    assert SECRET not in page


def test_the_json(client: TestClient, world: dict[str, Any]) -> None:
    r1 = world["ids"]["r1"]
    hidden = client.get(f"/api/ads/{r1}").json()
    assert hidden["content_withheld"] is True
    assert (hidden["text"], hidden["bodies"], hidden["images"]) == ("", [], [])
    shown = client.get(f"/api/ads/{r1}", params=UNMASK).json()
    assert shown["bodies"] == [SECRET] and shown["content_withheld"] is False
    (found,) = client.get("/api/search", params={"q": "secret water"}).json()["ads"]
    assert found["id"] == r1 and found["bodies"] == [] and found["content_withheld"]
    asked = client.get("/api/search", params={"q": "secret water", **UNMASK}).json()
    assert asked["ads"][0]["bodies"] == [SECRET]
    assert "unmask_removed_content=true" in asked["links"]["csv"]
    ira = client.get(f"/api/ads/{world['ira'].id}").json()
    assert ira["bodies"] == world["ira"].creative.bodies and not ira["content_withheld"]


def test_ads_archive(client: TestClient, world: dict[str, Any]) -> None:
    def bodies(**extra: str) -> dict[str, Any]:
        params = {"ad_reached_countries": "US", "ad_active_status": "ALL",
                  "fields": "id,ad_creative_bodies", "limit": "500", **extra}  # fmt: skip
        data = client.get("/v19.0/ads_archive", params=params).json()["data"]
        return {r["id"]: r.get("ad_creative_bodies") for r in data}

    r1, ira = str(world["ids"]["r1"]), world["ira"]
    hidden, shown = bodies(), bodies(**UNMASK)
    assert hidden[r1] is None and shown[r1] == [SECRET]
    assert hidden[ira.library_id] == shown[ira.library_id] == ira.creative.bodies


def test_the_downloads(client: TestClient, world: dict[str, Any]) -> None:
    def rows(kind: str, **extra: str) -> dict[int, dict[str, Any]]:
        r = client.get(f"/search.{kind}", params={"removed": "only", **extra})
        assert r.status_code == 200
        if kind == "csv":
            found = list(csv.DictReader(io.StringIO(r.text)))
        else:
            found = pq.read_table(io.BytesIO(r.content)).to_pylist()
        return {int(row["ad_id"]): row for row in found}

    r1, ira = world["ids"]["r1"], world["ira"].id
    for kind in ("csv", "parquet"):
        hidden, shown = rows(kind), rows(kind, **UNMASK)
        assert SECRET not in str(hidden[r1]["creative_bodies"])
        assert str(hidden[r1]["content_withheld"]) in ("true", "True")
        assert SECRET in str(shown[r1]["creative_bodies"])
        assert str(shown[r1]["content_withheld"]) in ("false", "False")
        assert hidden[ira]["creative_bodies"] == shown[ira]["creative_bodies"]
        assert str(hidden[ira]["content_withheld"]) in ("false", "False")
        assert len(hidden) == len(shown) >= IRA_ROWS // 2
