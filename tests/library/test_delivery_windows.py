"""Delivery windows are true (``domain.models.Ad.delivered_until``): a removed, stopped or
rejected ad does not deliver after it stopped (its stop date, else its removal, else the last
date known of it); only an active ad is open-ended. The IRA ads, all removed and 1,150 without
an end date, counted per year through the archive API, the JSON search and the CSV export,
agree with the source file's own dates."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from databases import seeded
from fastapi.testclient import TestClient

from conftest import IRA_CLEAN, ira_release

YEARS = (2015, 2016, 2017, 2018)
pytestmark = seeded(ira_release)
UNLIMITED = {"archive_rate_limit": 100_000, "search_rate_limit": 0, "download_rate_limit": 0}


def source_counts() -> dict[int, int]:
    """Ads of the source file delivering in each year: from its Create_Date to its End_Date,
    or on its Create_Date alone when it has no end (the last date known of it)."""
    counts = dict.fromkeys(YEARS, 0)
    with open(IRA_CLEAN, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["Create_Date"] in ("", "NA"):
                continue
            start = date.fromisoformat(row["Create_Date"])
            end = (
                date.fromisoformat(row["End_Date"]) if row["End_Date"] not in ("", "NA") else start
            )
            for year in YEARS:
                if start <= date(year, 12, 31) and end >= date(year, 1, 1):
                    counts[year] += 1
    return counts


@pytest.fixture
def client(seed_data: Any, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    report = seed_data  # the import of the release (``ira_release``)
    assert report.rows == 3517, report.as_dict()
    with make_api(**UNLIMITED) as c:
        yield c


def archive_count(client: TestClient, first: str, last: str | None = None) -> int:
    params = {"ad_reached_countries": "ALL", "ad_active_status": "ALL", "limit": 5000,
              "ad_delivery_date_min": first}  # fmt: skip
    if last:
        params["ad_delivery_date_max"] = last
    body = client.get("/v19.0/ads_archive", params=params).json()
    if body["data"]:  # one page holds them all
        assert client.get(body["paging"]["next"]).json() == {"data": []}
    return len(body["data"])


def test_per_year_counts_agree_with_the_source_file(client: TestClient) -> None:
    want = source_counts()
    assert want[2017] > 1000 and want[2018] == 0
    for year in YEARS:
        first, last = f"{year}-01-01", f"{year}-12-31"
        assert archive_count(client, first, last) == want[year], year
        search = client.get(
            "/api/search", params={"type": "all", "date_min": first, "date_max": last}
        ).json()
        assert search["total"] == want[year], year
        export = client.get(
            "/search.csv", params={"type": "all", "date_min": first, "date_max": last}
        )
        assert len(list(csv.DictReader(io.StringIO(export.text)))) == want[year], year
    # from a day on: the API and the web search agree, and no removed ad is open-ended
    since = archive_count(client, "2017-01-01")
    total = client.get("/api/search", params={"type": "all", "date_min": "2017-01-01"}).json()
    assert since == total["total"] == want[2017]
    assert archive_count(client, "2019-01-01") == 0
