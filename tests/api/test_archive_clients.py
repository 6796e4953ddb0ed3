"""The Ad Library clients people use, each run to the end of a search of several pages, with
exact counts: faithful copies of their paging loops (only the HTTP call is this app's test
client), since each stops on a different signal.

- Meta's example script (facebookresearch/Ad-Library-API-Script-Repository,
  ``python/fb_ads_library_api.py``, ``_get_ad_archives_from_url``): reads
  ``response["paging"]["next"]`` whenever ``paging`` is there, stops when a page has no record
  (after its ``ad_delivery_start_time`` filter). It died with ``KeyError: 'next'`` when the
  last page carried ``paging`` without ``next``.
- Radlibrary (facebookresearch/Radlibrary, ``adlib_get_paginated``): goes on while the answer
  has ``paging.next``, taking the next request's query from that URL.
- AdDownloader (``AdLibAPI.fetch_data``): ``requests.get(next_url, params=params)``, so the
  original parameters are sent again beside the next URL's; stops on an empty ``data`` or
  when ``paging``/``next`` is missing; asks ``ad_active_status=ALL``.
- facebook_business's ``Cursor`` is run for real in ``test_ads_archive_sdk.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from archive_data import load
from databases import seeded
from fastapi.testclient import TestClient

pytestmark = seeded(load)
BASE = "http://testserver/v19.0/ads_archive"
Get = Callable[..., Any]


@pytest.fixture
def client(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    """The app, on a copy of a database with the test ads (``archive_data.load``)."""
    with make_api(archive_rate_limit=100_000) as c:
        yield c


def meta_script(get: Get, next_page_url: str, after_date: str = "2000-01-01") -> list[Any]:
    """``FbAdsLibraryTraversal._get_ad_archives_from_url``, its loop as published (the
    retry branch and prints left out)."""
    import json

    pages = []
    start_time_cutoff_after = datetime.strptime(after_date, "%Y-%m-%d").timestamp()
    while next_page_url is not None:
        response = get(next_page_url)
        response_data = json.loads(response.text)
        assert "error" not in response_data, response_data
        filtered = list(
            filter(
                lambda ad_archive: (
                    ("ad_delivery_start_time" in ad_archive)
                    and (
                        datetime.strptime(
                            ad_archive["ad_delivery_start_time"], "%Y-%m-%d"
                        ).timestamp()
                        >= start_time_cutoff_after
                    )
                ),
                response_data["data"],
            )
        )
        if len(filtered) == 0:
            next_page_url = None
            break
        pages.append(filtered)
        if "paging" in response_data:  # noqa: SIM108 (as published)
            next_page_url = response_data["paging"]["next"]
        else:
            next_page_url = None
    return pages


def radlibrary(get: Get, query: dict[str, str], max_gets: int = 100) -> list[Any]:
    """``adlib_get_paginated``: on while ``has_next`` (``paging.next`` present), the next
    query parsed from ``next_page``."""
    out = []
    get_next = True
    while get_next:
        response = get(BASE, params=query).json()
        out.append(response)
        next_page = response.get("paging", {}).get("next")
        get_next = next_page is not None and len(out) < max_gets
        if get_next:
            query = dict(parse_qsl(urlsplit(next_page).query))
    return out


def addownloader(get: Get, url: str, params: dict[str, str]) -> list[Any]:
    """``AdLibAPI.fetch_data``, its recursion as a loop: the same ``params`` go with every
    page's URL."""
    pages: list[Any] = []
    while len(pages) < 100:
        data = get(url, params=params).json()
        if "data" not in data or not bool(data["data"]):
            return pages
        pages.append(data)
        if "paging" in data and "next" in data["paging"]:
            url = data["paging"]["next"]
        else:
            return pages
    raise AssertionError("AdDownloader never stopped")


def requests_get(client: TestClient) -> Get:
    """``requests.get`` over the test client: ``params`` are added to the URL's own query
    (httpx's ``params`` would replace it, dropping the next page's cursor)."""

    def get(url: str, params: dict[str, str] | None = None) -> Any:
        if params:
            url += ("&" if "?" in url else "?") + urlencode(
                {k: v for k, v in params.items() if v is not None}
            )
        return client.get(url)

    return get


def expected(client: TestClient, params: dict[str, str]) -> list[str]:
    """Every id of the search, in one page."""
    body = client.get(BASE, params={**params, "limit": "5000"}).json()
    return [r["id"] for r in body["data"]]


@pytest.mark.parametrize("limit", [5, 7, 23])
def test_each_client_runs_to_the_end_with_exact_counts(client: TestClient, limit: int) -> None:
    fields = "id,ad_delivery_start_time,page_name,spend"
    params = {"ad_reached_countries": "['CA']", "ad_active_status": "ALL", "fields": fields}
    want = expected(client, params)
    assert len(want) == 23

    url = f"{BASE}?{urlencode({**params, 'access_token': 'x', 'limit': str(limit)})}"
    pages = meta_script(requests_get(client), url)
    assert [r["id"] for p in pages for r in p] == want
    assert len(pages) == -(-23 // limit)

    answers = radlibrary(client.get, {**params, "limit": str(limit)})
    assert [r["id"] for a in answers for r in a["data"]] == want
    assert answers[-1] == {"data": []}  # it stops there: no paging, no next

    adl_fields = (  # AdDownloader's default fields for ad_type ALL, as it spells them
        "id, ad_delivery_start_time, ad_snapshot_url, beneficiary_payers, languages, page_id, "
        "page_name, target_ages, target_gender, target_locations, eu_total_reach, "
        "age_country_gender_reach_breakdown"
    )
    adl = {**params, "limit": str(limit), "access_token": "x", "search_terms": "Canada",
           "ad_type": "ALL", "ad_delivery_date_min": "2000-01-01",
           "fields": adl_fields}  # fmt: skip
    got = addownloader(requests_get(client), BASE, adl)
    assert [r["id"] for p in got for r in p["data"]] == expected(client, adl)
    assert sum(len(p["data"]) for p in got) == 23


def test_paging_backwards_returns_the_same_pages(client: TestClient) -> None:
    params = {"ad_reached_countries": "CA", "ad_active_status": "ALL", "limit": "4"}
    forward = [client.get(BASE, params=params).json()]
    while forward[-1]["data"]:
        forward.append(client.get(forward[-1]["paging"]["next"]).json())
    backward = [forward[-2]]
    while "previous" in backward[-1]["paging"]:
        backward.append(client.get(backward[-1]["paging"]["previous"]).json())
    assert [p["data"] for p in reversed(backward)] == [p["data"] for p in forward[:-1]]
