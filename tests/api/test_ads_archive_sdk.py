"""Meta's own Python SDK, ``facebook_business``, searching our archive over HTTP: a real uvicorn
server on a free loopback port, the SDK pointed at it through ``FacebookSession.GRAPH``, and
every page followed the way SDK users follow them. What comes back must be exactly what the
database holds for the query.

The SDK has no generated class for the Ad Library (``ads_archive`` is a root edge, not an edge
of a node), so its users call it with ``FacebookAdsApi.call`` and follow ``paging``, or run the
SDK's ``Cursor`` with a small ``AbstractCrudObject`` of their own (node ``ads_archive``, an
empty edge); both are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from archive_data import load
from facebook_business.adobjects.abstractcrudobject import AbstractCrudObject
from facebook_business.adobjects.abstractobject import AbstractObject
from facebook_business.api import Cursor, FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession
from loopback import app_on_loopback, loopback_socket
from sqlalchemy import Engine

from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.interfaces.http.api.app import create_app
from paidfor.library.ranges import IMPRESSION_EDGES, SPEND_EDGES, bucket
from paidfor.settings import Settings
from paidfor.storage.repo import AdRepository

from conftest import IRA_CLEAN


@pytest.fixture
def server(db_url: str) -> Iterator[str]:
    """``create_app(db_url)`` served by uvicorn on 127.0.0.1, on a port the OS picked, which
    is its public URL (the SDK follows ``paging.next``)."""
    sock, url = loopback_socket()
    with app_on_loopback(create_app(db_url, Settings(public_url=url)), sock) as served:
        yield served


@pytest.fixture
def api(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FacebookAdsApi]:
    monkeypatch.setattr(FacebookSession, "GRAPH", server)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    api = FacebookAdsApi.init(
        app_id="1234567890",
        app_secret="not-a-secret",
        access_token="not-a-token",
        api_version="v19.0",
        crash_log=False,
    )
    try:
        yield api
    finally:
        FacebookAdsApi.set_default_api(None)


def sdk_pages(api: FacebookAdsApi, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of an ads_archive search, following ``paging.next`` with the SDK."""
    pages = [api.call("GET", ("ads_archive",), params=params).json()]
    while "next" in pages[-1].get("paging", {}):
        assert len(pages) < 200
        pages.append(api.call("GET", pages[-1]["paging"]["next"]).json())
    return pages


def test_sdk_pages_through_a_search_of_the_ira_ads(
    engine: Engine, data_dir: Path, api: FacebookAdsApi
) -> None:
    run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN])
    params = {
        "search_terms": "police",
        "ad_reached_countries": ["ALL"],
        "ad_active_status": "ALL",  # every IRA ad was taken down
        "unmask_removed_content": True,
        "fields": "id,page_id,page_name,ad_creative_bodies,ad_creation_time,currency,spend,"
        "impressions,publisher_platforms",
        "limit": 40,
    }
    pages = sdk_pages(api, params)
    got = [row for page in pages for row in page["data"]]

    repo = AdRepository(engine)
    held = repo.search("police", limit=100_000)
    assert len(held) == repo.count_search("police") > 3 * 40  # several pages
    # every page with records carries next; the last one leads to an empty page
    assert len(pages) == -(-len(held) // 40) + 1 and pages[-1] == {"data": []}
    assert [r["id"] for r in got] == [str(a.id) for a in held]  # same ads, newest id first
    for row, ad in zip(got, held, strict=True):
        assert "police" in " ".join(row["ad_creative_bodies"]).lower()
        assert row["currency"] == "RUB"
        assert row.get("page_name") == (ad.page.name if ad.page else None)
        created = ad.created_at.date().isoformat() if ad.created_at else None
        assert row.get("ad_creation_time") == created
        want_spend = bucket(ad.delivery.spend, SPEND_EDGES)
        want_imps = bucket(ad.delivery.impressions, IMPRESSION_EDGES)
        assert row.get("spend") == (
            None if want_spend is None else _graph_range(want_spend.lower, want_spend.upper)
        )
        assert row.get("impressions") == (
            None if want_imps is None else _graph_range(want_imps.lower, want_imps.upper)
        )


def _graph_range(lower: int, upper: int | None) -> dict[str, str]:
    return {"lower_bound": str(lower)} | ({} if upper is None else {"upper_bound": str(upper)})


class ArchivedAd(AbstractCrudObject):
    """What an SDK user writes for the Ad Library's records."""

    class Field(AbstractObject.Field):
        id = "id"
        page_id = "page_id"
        page_name = "page_name"
        bylines = "bylines"
        spend = "spend"

    _field_types: ClassVar[dict[str, str]] = {
        "id": "string",
        "page_id": "string",
        "page_name": "string",
        "bylines": "string",
        "spend": "Object",
    }

    @classmethod
    def _get_field_enum_info(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def get_endpoint(cls) -> str:
        # A Cursor asks for /<node_id>/<edge>; ads_archive is a root edge, so the node is
        # "ads_archive" and the edge empty (the path ends in "/", which the server accepts).
        return ""


def test_sdk_cursor_iterates_every_page(
    engine: Engine, tmp_path: Path, api: FacebookAdsApi
) -> None:
    ids = load(engine, tmp_path)
    fields = ["id", "page_id", "page_name", "bylines", "spend"]
    cursor = Cursor(
        target_objects_class=ArchivedAd,
        fields=fields,
        params={"ad_reached_countries": ["CA"], "ad_active_status": "ALL", "limit": 4},
        api=api,
        node_id="ads_archive",
    )
    ads = list(cursor)
    assert all(isinstance(a, ArchivedAd) for a in ads)
    canada = sorted((v for k, v in ids.items() if k.startswith("p")), reverse=True)
    assert [a["id"] for a in ads] == [str(i) for i in canada]
    by_ext = {str(v): k for k, v in ids.items()}
    for a in ads:
        n = int(by_ext[a["id"]][1:])
        spend = bucket(n * 100, SPEND_EDGES)
        assert spend is not None
        assert a.export_all_data() == {
            "id": a["id"],
            "page_id": "1001",
            "page_name": "Page One",
            "bylines": "Friends of Alpha",
            "spend": _graph_range(spend.lower, spend.upper),
        }


def test_sdk_sees_graph_errors(engine: Engine, api: FacebookAdsApi) -> None:
    with pytest.raises(FacebookRequestError) as caught:
        api.call("GET", ("ads_archive",), params={"search_terms": "police"})
    err = caught.value
    assert err.http_status() == 400
    assert err.api_error_code() == 100 and err.api_error_type() == "OAuthException"
    assert "ad_reached_countries" in err.api_error_message()
