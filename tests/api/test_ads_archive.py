"""GET /v{N}/ads_archive: filters, paging, array spellings, fields, masking, errors and the
rate limit, on SQLite and PostgreSQL, against ads imported through the real pipeline."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from archive_data import load
from databases import seeded
from fastapi.testclient import TestClient
from sqlalchemy import Engine

URL = "/v19.0/ads_archive"
NOT_CANADA = "['US','GB','DE','FR']"


# Every test's database starts with the test ads (loaded once per test process and
# backend, copied for each test), but for those marked ``seeded(None)``.
pytestmark = seeded(load)


@pytest.fixture
def ids(seed_data: dict[str, int]) -> dict[str, int]:
    """The test ads' ids, by their external id."""
    return seed_data


@pytest.fixture
def client(ids: dict[str, int], api: TestClient) -> TestClient:
    """The app (``api``), started once ``ids`` loaded the data."""
    return api


def fetch_all(client: TestClient, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every record of a query, following paging.next."""
    out: list[dict[str, Any]] = []
    resp = client.get(URL, params=params)
    for _ in range(100):
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.extend(body["data"])
        nxt = body.get("paging", {}).get("next")
        if not nxt:
            return out
        resp = client.get(nxt)
    raise AssertionError("paging did not end")


def found(client: TestClient, ids: dict[str, int], **params: Any) -> list[str]:
    """External ids of the ads matching ``params``, in the order returned."""
    by_id = {str(v): k for k, v in ids.items()}
    return [by_id[r["id"]] for r in fetch_all(client, {"limit": 7, **params})]


CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"ad_reached_countries": "US", "ad_active_status": "ALL"}, {"a1", "a2", "a7"}),
    ({"ad_reached_countries": "US"}, {"a1"}),  # ACTIVE is the default
    ({"ad_reached_countries": "US,GB", "ad_active_status": "ACTIVE"}, {"a1", "a3"}),
    ({"ad_reached_countries": "US", "ad_active_status": "INACTIVE"}, {"a2", "a7"}),
    ({"ad_reached_countries": "DE", "ad_active_status": "ALL"}, {"a4"}),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL", "ad_type": "HOUSING_ADS"},
     {"a3"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "search_terms": "clean water"},
     {"a1", "a2", "a3"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "search_terms": "'clean water'",
      "search_type": "KEYWORD_EXACT_PHRASE"}, {"a1", "a2"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL",
      "search_terms": "clean water, texas", "search_type": "KEYWORD_EXACT_PHRASE"}, {"a1"}),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL", "search_page_ids": "[1001]"},
     {"a1", "a2"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "bylines": "['beta pac']"},
     {"a3"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "languages": '["FR"]'}, {"a8"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL",
      "publisher_platforms": "['INSTAGRAM','MESSENGER']"}, {"a1", "a3", "a8"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "media_type": "IMAGE"}, {"a1"}),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL", "media_type": "NONE"},
     {"a2", "a3", "a4", "a7", "a8"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL", "media_type": "VIDEO"}, set()),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL",
      "ad_delivery_date_min": "2024-01-01"}, {"a1", "a3", "a8"}),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL",
      "ad_delivery_date_max": "2023-05-01"}, {"a2", "a4", "a7"}),
    ({"ad_reached_countries": NOT_CANADA, "ad_active_status": "ALL",
      "ad_delivery_date_min": "2023-05-15", "ad_delivery_date_max": "2023-12-31"}, {"a2"}),
    ({"ad_reached_countries": "ALL", "ad_active_status": "ALL",
      "delivery_by_region": "['texas']"}, {"a1"}),
    ({"ad_reached_countries": "CA", "ad_active_status": "ALL", "search_terms": "number 7"},
     {"p07"}),
]  # fmt: skip


@pytest.mark.parametrize(("params", "expected"), CASES)
def test_filters_return_exactly_the_matching_ads(
    client: TestClient, ids: dict[str, int], params: dict[str, Any], expected: set[str]
) -> None:
    got = found(client, ids, **params)
    assert len(got) == len(set(got))
    assert set(got) == expected
    assert got == sorted(got, key=lambda e: -ids[e])  # newest id first


def test_pending_and_rejected_ads_are_never_published(
    client: TestClient, ids: dict[str, int]
) -> None:
    everything = found(client, ids, ad_reached_countries="ALL", ad_active_status="ALL")
    assert len(everything) == len(ids) - 2
    assert "a5" not in everything and "a6" not in everything


def test_paging_returns_every_match_exactly_once(client: TestClient, ids: dict[str, int]) -> None:
    canada = {k for k in ids if k.startswith("p")}
    pages = []
    resp = client.get(
        URL, params={"ad_reached_countries": "['CA']", "limit": 5, "access_token": "x|y"}
    )
    while True:
        assert resp.status_code == 200
        body = resp.json()
        pages.append(body)
        if "paging" not in body:
            break
        assert len(pages) < 20
        nxt = urlsplit(body["paging"]["next"])
        # on the server's public address (its default: where it listens), not the Host
        assert (nxt.scheme, nxt.netloc, nxt.path) == ("http", "127.0.0.1:8000", URL)
        query = dict(parse_qsl(nxt.query))
        # Every original parameter, plus the new cursor.
        assert query == {
            "ad_reached_countries": "['CA']",
            "limit": "5",
            "access_token": "x|y",
            "after": body["paging"]["cursors"]["after"],
        }
        resp = client.get(body["paging"]["next"])
    # every page with records carries next; past the last record, an empty page, no paging
    assert [len(p["data"]) for p in pages] == [5, 5, 5, 5, 3, 0]
    assert pages[-1] == {"data": []}
    got = [r["id"] for p in pages for r in p["data"]]
    assert sorted(got) == sorted(str(ids[k]) for k in canada)
    assert got == sorted(got, key=int, reverse=True)
    assert "previous" not in pages[0]["paging"]
    # previous leads back: from each page, the page before it, exactly
    for before, page in itertools.pairwise(pages[:-1]):
        back = client.get(page["paging"]["previous"]).json()
        assert back["data"] == before["data"]
        assert (
            dict(parse_qsl(urlsplit(page["paging"]["previous"]).query))["before"]
            == (page["paging"]["cursors"]["before"])
        )
    first_back = client.get(pages[1]["paging"]["previous"]).json()
    assert "previous" not in first_back["paging"]  # nothing before the first page


def test_exact_page_end_and_empty_result(client: TestClient) -> None:
    params = {"ad_reached_countries": "CA", "limit": 23}
    body = client.get(URL, params=params).json()
    assert len(body["data"]) == 23
    assert client.get(body["paging"]["next"]).json() == {"data": []}
    empty = client.get(URL, params={"ad_reached_countries": "JP"}).json()
    assert empty == {"data": []}


def test_before_and_after_together_are_refused(client: TestClient) -> None:
    first = client.get(URL, params={"ad_reached_countries": "CA", "limit": 5}).json()
    cursors = first["paging"]["cursors"]
    r = client.get(URL, params={"ad_reached_countries": "CA", **cursors})
    assert r.status_code == 400 and "cannot both" in r.json()["error"]["message"]
    r = client.get(URL, params={"ad_reached_countries": "CA", "before": "bm90LWEtY3Vyc29y"})
    assert r.status_code == 400 and "Invalid cursor: before" in r.json()["error"]["message"]


def test_limit_is_honoured_up_to_5000_and_refused_past_it(client: TestClient) -> None:
    r = client.get(URL, params={"ad_reached_countries": "ALL", "ad_active_status": "ALL",
                                "limit": 5000})  # fmt: skip
    assert r.status_code == 200 and len(r.json()["data"]) > 23
    r = client.get(URL, params={"ad_reached_countries": "ALL", "limit": 5001})
    assert r.status_code == 400 and "limit must be at most 5000" in r.json()["error"]["message"]


def test_nested_fields_return_the_sub_fields_asked_for(
    client: TestClient, ids: dict[str, int]
) -> None:
    params = {
        "ad_reached_countries": "CA",
        "limit": 3,
        "fields": "id,spend{lower_bound},demographic_distribution{age,percentage},page_name",
    }
    r = client.get(URL, params=params)  # fmt: skip
    assert r.status_code == 200, r.text
    for row in r.json()["data"]:
        assert set(row) <= {"id", "spend", "demographic_distribution", "page_name"}
        if "spend" in row:
            assert set(row["spend"]) == {"lower_bound"}
        for part in row.get("demographic_distribution", []):
            assert set(part) <= {"age", "percentage"}
    whole = client.get(URL, params=params | {"fields": "id,spend"}).json()["data"]
    assert any("upper_bound" in row.get("spend", {}) for row in whole)
    for bad in ("id,spend{", "id,spend{}", "spend{lower_bound{x}}"):
        r = client.get(URL, params=params | {"fields": bad})
        assert r.status_code == 400 and "Syntax error in fields" in r.text, bad


@pytest.mark.parametrize(
    "spelling",
    [
        [("ad_reached_countries", "['US','GB']")],
        [("ad_reached_countries", "[ 'US' , \"GB\" ]")],
        [("ad_reached_countries", "US,GB")],
        [("ad_reached_countries", '["US","GB"]')],
        [("ad_reached_countries", "[US, GB]")],
        [("ad_reached_countries", "US"), ("ad_reached_countries", "GB")],
        [("ad_reached_countries", "us, gb")],
    ],
)
def test_array_spellings_agree(
    client: TestClient, ids: dict[str, int], spelling: list[tuple[str, str]]
) -> None:
    resp = client.get(URL, params=[*spelling, ("ad_active_status", "ALL"), ("limit", "100")])
    assert resp.status_code == 200, resp.text
    got = {r["id"] for r in resp.json()["data"]}
    assert got == {str(ids[k]) for k in ("a1", "a2", "a3", "a7")}


def test_only_requested_fields_come_back(client: TestClient, ids: dict[str, int]) -> None:
    base = {"ad_reached_countries": "US", "ad_active_status": "ALL"}
    default = client.get(URL, params=base).json()["data"]
    assert default and all(set(r) == {"id"} for r in default)

    fields = "id,page_name,bylines,spend,target_ages,eu_total_reach"
    rows = client.get(URL, params={**base, "fields": fields}).json()["data"]
    a1 = next(r for r in rows if r["id"] == str(ids["a1"]))
    assert a1 == {
        "id": str(ids["a1"]),
        "page_name": "Page One",
        "bylines": "Friends of Alpha",
        "spend": {"lower_bound": "100", "upper_bound": "499"},
    }
    a7 = next(r for r in rows if r["id"] == str(ids["a7"]))
    assert a7 == {"id": str(ids["a7"]), "page_name": "Page Two"}  # no value, no key


def test_every_field_has_the_graph_shape(client: TestClient, ids: dict[str, int]) -> None:
    from paidfor.library.archive import FIELDS

    params = {"ad_reached_countries": "ALL", "ad_active_status": "ALL", "fields": ",".join(FIELDS)}
    rows = {r["id"]: r for r in fetch_all(client, {**params, "limit": 100})}
    a1 = rows[str(ids["a1"])]
    assert a1 == {
        "id": str(ids["a1"]),
        "ad_creation_time": "2024-01-09",
        "ad_creative_bodies": ["Vote for clean water in Texas"],
        "ad_creative_link_titles": ["Clean water pledge"],
        "ad_delivery_start_time": "2024-01-10",
        "ad_snapshot_url": f"http://127.0.0.1:8000/ads/{ids['a1']}",
        "bylines": "Friends of Alpha",
        "currency": "USD",
        "delivery_by_region": [{"percentage": "1.0", "region": "Texas"}],
        "demographic_distribution": [
            {"percentage": "0.6", "age": "25-34", "gender": "female"},
            {"percentage": "0.4", "age": "35-44", "gender": "male"},
        ],
        "impressions": {"lower_bound": "10000", "upper_bound": "49999"},
        "languages": ["en"],
        "page_id": "1001",
        "page_name": "Page One",
        "publisher_platforms": ["facebook", "instagram"],
        "spend": {"lower_bound": "100", "upper_bound": "499"},
    }
    a2 = rows[str(ids["a2"])]
    assert a2["ad_delivery_stop_time"] == "2023-06-01"
    assert a2["spend"] == {"lower_bound": "0", "upper_bound": "99"}
    assert a2["impressions"] == {"lower_bound": "0", "upper_bound": "999"}
    a8 = rows[str(ids["a8"])]
    assert a8["impressions"] == {"lower_bound": "1000000"}  # open-ended: no upper_bound
    assert a8["spend"] == {"lower_bound": "100", "upper_bound": "499"}
    assert not any(k.startswith("target_") for r in rows.values() for k in r)


def test_removed_ads_creative_is_withheld_unless_unmasked(
    client: TestClient, ids: dict[str, int]
) -> None:
    params = {
        "ad_reached_countries": "['DE','US']",
        "ad_active_status": "ALL",
        "fields": "id,page_name,ad_creative_bodies",
    }
    masked = {r["id"]: r for r in client.get(URL, params=params).json()["data"]}
    assert masked[str(ids["a4"])] == {"id": str(ids["a4"]), "page_name": "Page Two"}
    assert masked[str(ids["a1"])]["ad_creative_bodies"] == ["Vote for clean water in Texas"]
    unmasked = client.get(URL, params={**params, "unmask_removed_content": "true"}).json()
    a4 = next(r for r in unmasked["data"] if r["id"] == str(ids["a4"]))
    assert a4["ad_creative_bodies"] == ["Secret removed text about water"]
    # A removed ad is still found by its text (Meta searches it too), just not shown.
    hits = found(client, ids, ad_reached_countries="DE", ad_active_status="ALL",
                 search_terms="secret")  # fmt: skip
    assert hits == ["a4"]


def assert_graph_error(resp: Any, code: int = 100, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["type"] == "OAuthException" and err["code"] == code
    assert err["message"].startswith(f"(#{code}) ")
    assert isinstance(err["fbtrace_id"], str) and len(err["fbtrace_id"]) == 11
    assert set(err) <= {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}
    return err


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "ad_reached_countries is required"),
        ({"ad_reached_countries": "[]"}, "ad_reached_countries is required"),
        ({"ad_reached_countries": "USA"}, "ad_reached_countries"),
        ({"ad_reached_countries": "US", "search_terms": "x" * 101}, "at most 100"),
        ({"ad_reached_countries": "US", "ad_active_status": "SOMETIMES"}, "ad_active_status"),
        ({"ad_reached_countries": "US", "ad_type": "CAT_ADS"}, "ad_type"),
        ({"ad_reached_countries": "US", "media_type": "GIF"}, "media_type"),
        ({"ad_reached_countries": "US", "search_type": "FUZZY"}, "search_type"),
        ({"ad_reached_countries": "US", "publisher_platforms": "['MYSPACE']"}, "platforms"),
        ({"ad_reached_countries": "US", "fields": "id,targeting"}, "nonexisting field (targeting)"),
        ({"ad_reached_countries": "US", "ad_delivery_date_min": "2024/01/01"}, "YYYY-mm-dd"),
        ({"ad_reached_countries": "US", "ad_delivery_date_max": "2024-02-30"}, "YYYY-mm-dd"),
        ({"ad_reached_countries": "US", "limit": "0"}, "limit"),
        ({"ad_reached_countries": "US", "limit": "ten"}, "limit"),
        ({"ad_reached_countries": "US", "after": "bm90IGEgY3Vyc29y"}, "cursor"),
        ({"ad_reached_countries": "US", "unmask_removed_content": "maybe"}, "unmask"),
        ({"ad_reached_countries": "US", "search_page_ids": ",".join("123456789AB")}, "10"),
        ({"ad_reached_countries": "['US]"}, "quote"),
        ({"ad_reached_countries": "['US"}, "ad_reached_countries"),
    ],
)
def test_bad_parameters_give_graph_errors(
    client: TestClient, params: dict[str, str], needle: str
) -> None:
    err = assert_graph_error(client.get(URL, params=params))
    assert needle in err["message"]


def test_search_terms_of_exactly_100_characters_are_fine(client: TestClient) -> None:
    resp = client.get(URL, params={"ad_reached_countries": "US", "search_terms": "w" * 100})
    assert resp.status_code == 200 and resp.json() == {"data": []}


def test_version_forms_and_unknown_paths(client: TestClient) -> None:
    params = {"ad_reached_countries": "CA", "limit": 2}
    for path in ("/v19.0/ads_archive", "/19.0/ads_archive", "/v24/ads_archive", "/ads_archive"):
        resp = client.get(path, params=params)
        assert resp.status_code == 200 and len(resp.json()["data"]) == 2, path
        assert resp.json()["paging"]["next"].startswith(f"http://127.0.0.1:8000{path}?")
    assert_graph_error(client.get("/nonsense/ads_archive", params=params), code=803, status=404)


def test_openapi_documents_the_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/{version}/ads_archive"]["get"]
    assert op["summary"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["ad_reached_countries"]["required"] is True
    for name in ("search_terms", "search_type", "fields", "limit", "after", "media_type"):
        assert params[name]["description"], name
    assert params["ad_active_status"]["schema"]["enum"] == ["ACTIVE", "ALL", "INACTIVE"]


def test_rate_limit_answers_like_graph(
    make_api: Callable[..., TestClient], ids: dict[str, int]
) -> None:
    with make_api(archive_rate_limit=3, archive_rate_window=3600) as client:
        params = {"ad_reached_countries": "US"}
        usages = []
        for _ in range(3):
            resp = client.get(URL, params=params)
            assert resp.status_code == 200
            usages.append(json.loads(resp.headers["X-App-Usage"]))
        assert [u["call_count"] for u in usages] == [33, 66, 100]
        assert all(set(u) == {"call_count", "total_cputime", "total_time"} for u in usages)
        # The fourth call is refused, whatever it asks.
        limited = client.get(URL, params={})
        err = assert_graph_error(limited, code=4)
        assert err["message"] == "(#4) Application request limit reached"
        assert json.loads(limited.headers["X-App-Usage"])["call_count"] == 100
        # The rest of the site is not limited.
        assert client.get("/api/stats").status_code == 200


@seeded(None)  # an empty library
def test_a_meta_library_record_keeps_its_identity_and_is_found_by_country(
    make_api: Callable[..., TestClient], engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    """The example record of Meta's Ad Library (no ad_reached_countries; its regions are US
    states) is found with ad_reached_countries=['US'], under its Library ID and page id."""
    from paidfor.ingest.pipeline import run_import
    from paidfor.ingest.registry import SOURCES

    path = data_dir / "meta_ad_library" / "ads_archive_record_example.json"
    assert run_import(engine, SOURCES["meta-archive"](), [path]).rows == 1
    with make_api() as client:
        body = client.get(URL, params={"ad_reached_countries": "['US']", "ad_active_status": "ALL",
                                       "fields": "id,page_id,page_name"}).json()  # fmt: skip
        assert body["data"] == [
            {"id": "679808276335343", "page_id": "6756153498", "page_name": "Mike Bloomberg"}
        ]
        other = client.get(URL, params={"ad_reached_countries": "['GB']",
                                        "ad_active_status": "ALL"}).json()  # fmt: skip
        assert other == {"data": []}
