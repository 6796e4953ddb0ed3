"""The library search: every filter, the three sort orders and paging, over the JSON API and
the HTML page, on SQLite and PostgreSQL, against ads imported through the real pipeline
(the hand-made library of ``library_data`` and the real IRA release); and the query-string
parser, with hypothesis."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from databases import seeded
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from library_data import NEWEST, PAGING, PUBLIC, assert_public, load, named_ads, paging_ads
from sqlalchemy import Engine

from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.library.search import (
    MAX_RESULTS_PAGED,
    PLATFORMS,
    LibraryQuery,
    LibraryQueryError,
    LibraryService,
)
from paidfor.library.store import LibraryRepository
from paidfor.library.views import PublicAd
from paidfor.storage.repo import AdRepository, search_words

ACTIVE = {"w1", "u1", "c1", "h1"}


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


def fetch_all(client: TestClient, params: Any, per_page: int = 7) -> list[dict[str, Any]]:
    """Every ad of a search, page by page through ``links.next``."""
    pairs = [*(params.items() if isinstance(params, dict) else params), ("per_page", per_page)]
    resp = client.get("/api/search", params=pairs)
    out: list[dict[str, Any]] = []
    for _ in range(200):
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert len(body["ads"]) <= per_page
        out.extend(body["ads"])
        if body["links"]["next"] is None:
            assert len(out) == body["total"]
            return out
        resp = client.get(body["links"]["next"])
    raise AssertionError("paging did not end")


def found(client: TestClient, ids: dict[str, int], params: Any) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[a["id"]] for a in fetch_all(client, params)]


def newest_first(names: set[str]) -> list[str]:
    return [n for n in NEWEST if n in names]


CASES: list[tuple[Any, set[str]]] = [
    ({}, PUBLIC),
    ({"status": "active"}, ACTIVE),
    ({"status": "INACTIVE"}, PUBLIC - ACTIVE),
    ({"country": "US"}, {"w1", "w2", "t1", "t2", "r1", "u1"}),
    ({"country": "gb"}, {"w2", "h1"}),
    ({"country": "CA,GB"}, {"c1", "w2", "h1"}),
    ([("country", "CA"), ("country", "GB")], {"c1", "w2", "h1"}),
    ({"type": "political"}, PUBLIC - {"c1", "h1"}),
    ({"removed": "exclude"}, PUBLIC - {"r1"}),
    ({"removed": "only"}, {"r1"}),
    ({"funder": "friends of water"}, {"w1", "w2", "c1"}),
    (
        [("funder", "Friends of Water"), ("funder", "Taxpayers United")],
        {"w1", "w2", "c1", "t1", "t2"},
    ),
    ({"language": "es"}, {"t1", "t2"}),
    ({"language": "FR"}, {"c1", *PAGING}),
    ({"platform": "instagram"}, {"w1", "t2", "h1"}),
    ({"platform": "messenger,instagram"}, {"c1", "w1", "t2", "h1"}),
    ({"date_min": "2024-02-15"}, {"w1", "w2", "u1", "c1", "h1"}),
    ({"date_max": "2023-12-31"}, {"t2", "r1", *PAGING}),
    ({"date_min": "2022-01-10", "date_max": "2022-01-12"}, set(PAGING[:12])),
    ({"q": "water"}, {"w1", "w2", "r1", "c1", "h1"}),
    ({"q": "clean water"}, {"w1", "w2", "h1"}),
    ({"q": "clean water", "match": "phrase"}, {"w1", "w2"}),
    ({"q": "water clean", "match": "phrase"}, set()),
    ({"q": "notice 7"}, {"n07"}),
    ({"q": "más"}, {"t2"}),
    ({"q": "water", "country": "US", "status": "inactive"}, {"w2", "r1"}),
    ({"type": "political", "platform": "instagram"}, {"w1", "t2"}),
    ({"funder": "Friends of Water", "removed": "exclude", "type": "political"}, {"w1", "w2"}),
    ({"q": "  ", "country": "", "status": ""}, PUBLIC),  # empty form fields are no filter
]


@pytest.mark.parametrize(("params", "expected"), CASES, ids=[str(c[0]) for c in CASES])
def test_filters(client: TestClient, ids: dict[str, int], params: Any, expected: set[str]) -> None:
    assert found(client, ids, params) == newest_first(expected)


def test_page_and_funder_ids(client: TestClient, ids: dict[str, int]) -> None:
    t1 = client.get(f"/api/ads/{ids['t1']}").json()
    w1 = client.get(f"/api/ads/{ids['w1']}").json()
    assert found(client, ids, {"page_id": t1["page_id"]}) == ["u1", "t1", "t2", "r1"]
    assert found(client, ids, {"funder_id": t1["funder_id"]}) == ["t1", "t2"]
    both = {"funder_id": f"{t1['funder_id']},{w1['funder_id']}"}
    assert found(client, ids, both) == ["w1", "c1", "w2", "t1", "t2"]
    assert found(client, ids, {"page_id": 987654321}) == []


def _spend(a: Any) -> int | None:
    """The library's spend order (``library.ranges.spend_order``): the published range, then
    the exact dollars inside it."""
    from paidfor.library.ranges import spend_order, spend_range

    published = spend_range(a.delivery)
    usd = a.delivery.spend_usd
    return spend_order(
        published.lower if published else None, None if usd is None else int(usd * 100)
    )


def _impressions(a: Any) -> int | None:
    d = a.delivery
    return d.impressions if d.impressions is not None else d.impressions_range.lower


@pytest.mark.parametrize("sort", ["newest", "spend", "impressions"])
def test_sort_orders_and_paging(client: TestClient, ids: dict[str, int], sort: str) -> None:
    """Each order is the documented one (ties and missing values included), and paging
    through it returns every ad exactly once."""
    ads = [a for a in named_ads() + paging_ads() if a.external_id in PUBLIC]
    if sort == "newest":
        expected = NEWEST
    else:
        value = _spend if sort == "spend" else _impressions
        expected = [
            a.external_id
            for a in sorted(
                ads,
                key=lambda a: (value(a) is None, -(value(a) or 0), -ids[a.external_id]),
            )
        ]
    for per_page in (1, 7, 38, 100):
        got = [
            {v: k for k, v in ids.items()}[a["id"]]
            for a in fetch_all(client, {"sort": sort}, per_page=per_page)
        ]
        assert got == expected
        assert len(set(got)) == len(got) == 38
    if sort == "spend":
        # t2 has only a published range (100-499), no exact spend: it sorts in that range
        assert expected[:4] == ["t1", "w2", "n29", "h1"] and expected[-1] == "n00"
    if sort == "impressions":
        assert expected[:3] == ["t1", "w2", "w1"] and expected[-1] == "n29"


def test_search_json_shape_and_privacy(client: TestClient, ids: dict[str, int]) -> None:
    body = client.get(
        "/api/search", params={"q": "water", "sort": "spend", "per_page": 2, "page": 2}
    ).json()
    assert body["total"] == 5 and body["page"] == 2 and body["pages"] == 3
    assert [a["id"] for a in body["ads"]] == [ids["w1"], ids["r1"]]
    assert body["query"] == {"q": "water", "sort": "spend", "page": "2", "per_page": "2"}
    links = body["links"]
    assert links["csv"] == "/search.csv?q=water&sort=spend"
    assert links["parquet"] == "/search.parquet?q=water&sort=spend"
    assert links["prev"] == "/api/search?q=water&sort=spend&per_page=2"
    assert links["next"] == "/api/search?q=water&sort=spend&page=3&per_page=2"
    w1 = body["ads"][0]
    assert w1["spend"] == "100 – 499 USD" and w1["spend_lower"] == 100
    assert w1["impressions"] == "10,000 – 49,999" and w1["impressions_upper"] == 49_999
    assert set(w1) == set(PublicAd.__dataclass_fields__)
    for key in ("targeting", "risk", "risk_score", "advertiser", "spend_usd", "clicks"):
        assert key not in w1
    assert_public(client.get("/api/search", params={"per_page": 100}).text)


def test_search_page_html(client: TestClient, ids: dict[str, int]) -> None:
    resp = client.get("/search", params={"q": "water", "country": "US", "per_page": 2})
    assert resp.status_code == 200
    html = resp.text
    assert '<h1 id="results-title">3 ads</h1>' in html
    assert "Showing 1–2 matching “water” · page 1 of 2" in html
    assert "/search.csv?q=water&amp;country=US" in html
    assert "/search.parquet?q=water&amp;country=US" in html
    assert 'href="/search?q=water&amp;country=US&amp;page=2&amp;per_page=2" rel="next"' in html
    assert f'href="/ads/{ids["w1"]}"' in html and f'href="/ads/{ids["w2"]}"' in html
    assert f'href="/ads/{ids["r1"]}"' not in html  # on page 2
    # The active filters, each with a link that takes it away.
    assert 'href="/search?q=water&amp;per_page=2">Reached United States' in html
    assert 'href="/search?country=US&amp;per_page=2">“water”' in html
    assert html.count('href="/funders/') >= 2  # each card links its funder
    assert "staff" not in html.lower() and "/review" not in html and "/admin" not in html
    assert_public(html)
    page2 = client.get("/search", params={"q": "water", "country": "US", "per_page": 2, "page": 2})
    assert f'href="/ads/{ids["r1"]}"' in page2.text and "Removed" in page2.text
    for_page = client.get(
        "/search", params={"page_id": client.get(f"/api/ads/{ids['t1']}").json()["page_id"]}
    )
    assert "Page: Tax Watch" in for_page.text and "4 ads" in for_page.text


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"sort": "cheapest"}, "sort", "must be one of newest, spend, impressions"),
    ({"country": "USA"}, "country", "'USA' is not an ISO country code"),
    ({"date_min": "2024-13-01"}, "date_min", "is not a date like"),
    ({"date_min": "2024-02-01", "date_max": "2024-01-01"}, "date_max", "before the start date"),
    ({"page": "0"}, "page", "must be a whole number from 1"),
    ({"per_page": "101"}, "per_page", "from 1 to 100"),
    ({"page": "401"}, "page", "first 10,000 results only"),
    ({"platform": "myspace"}, "platform", "'myspace' is not one of"),
    ({"q": "x" * 201}, "q", "longer than 200 characters"),
    ({"q": "!!!"}, "q", "no letters or digits"),
    ({"page_id": "abc"}, "page_id", "is not an id"),
    ({"colour": "red"}, "colour", "unknown parameter"),
]


@pytest.mark.parametrize(("params", "param", "message"), BAD, ids=[b[1] for b in BAD])
def test_bad_parameters_are_400_with_a_message(
    client: TestClient, params: dict[str, Any], param: str, message: str
) -> None:
    api = client.get("/api/search", params=params)
    assert api.status_code == 400
    err = api.json()["error"]
    assert err["param"] == param and message in err["message"]
    page = client.get("/search", params=params)
    assert page.status_code == 400
    assert f"The parameter <code>{param}</code> is wrong" in page.text
    assert message.replace("'", "&#39;") in page.text
    for path in ("/search.csv", "/search.parquet"):
        resp = client.get(path, params=params)
        assert resp.status_code == 400 and resp.json()["error"]["param"] == param


def _newest_key(ad: Any) -> tuple[bool, datetime, int]:
    return (ad.created_at is not None, ad.created_at or datetime.min.replace(tzinfo=UTC), ad.id)


@seeded(None)  # an empty library
def test_ira_release(make_api: Callable[..., TestClient], engine: Engine, data_dir: Path) -> None:
    """The real release: all 3,517 ads are political and removed; a word search finds
    exactly the ads whose text has the word, and paging covers each of them once."""
    path = data_dir / "hpsci_ira_ads" / "ira_ads_clean.csv"
    report = run_import(engine, SOURCES["hpsci-ira"](), [path])
    assert report.counts.inserted == 3517
    everything = AdRepository(engine).latest(limit=10_000)
    with make_api() as client:

        def total(**params: Any) -> int:
            return int(client.get("/api/search", params=params).json()["total"])

        assert total() == total(type="political") == total(removed="only") == 3517
        assert total(removed="exclude") == total(status="active") == 0
        assert total(country="US") == sum("US" in a.delivery.reached_countries for a in everything)
        police = {a.id for a in everything if "police" in search_words(a.creative.text())}
        assert len(police) > 50
        got = fetch_all(client, {"q": "police"}, per_page=25)
        assert [a["id"] for a in got] == [
            a.id for a in sorted(everything, key=_newest_key, reverse=True) if a.id in police
        ]
        by_spend = fetch_all(client, {"sort": "spend", "q": "police"}, per_page=100)
        spends = {a.id: _spend(a) for a in everything}
        assert [a["id"] for a in by_spend] == sorted(
            police, key=lambda i: (spends[i] is None, -(spends[i] or 0), -i)
        )
        html = client.get("/search", params={"q": "police"}).text
        assert f"{len(police):,} ads</h1>" in html


# --- the query-string parser -------------------------------------------------------------

codes = st.from_regex(r"[A-Z]{2}", fullmatch=True)
langs = st.from_regex(r"[a-z]{2,3}", fullmatch=True)
ids_ = st.integers(min_value=1, max_value=2**63 - 1)
words = st.from_regex(r"[A-Za-z0-9éüß]{1,12}( [A-Za-z0-9éüß\-',.]{1,12}){0,4}", fullmatch=True)
printable = st.characters(blacklist_categories=("Cc", "Cs"))
names = st.text(printable, min_size=1, max_size=40).map(str.strip).filter(bool)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def _uniq(s: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(s, max_size=4, unique=True).map(tuple)


@st.composite
def queries(draw: st.DrawFn) -> LibraryQuery:
    dmin, dmax = draw(st.none() | days), draw(st.none() | days)
    if dmin and dmax and dmin > dmax:
        dmin, dmax = dmax, dmin
    per_page = draw(st.integers(1, 100))
    return LibraryQuery(
        q=draw(st.just("") | words),
        match=draw(st.sampled_from(["words", "phrase"])),
        country=draw(_uniq(codes)),
        date_min=dmin,
        date_max=dmax,
        status=draw(st.sampled_from(["all", "active", "inactive"])),
        type=draw(st.sampled_from(["all", "political"])),
        funder=draw(_uniq(names)),
        funder_id=draw(_uniq(ids_)),
        page_id=draw(_uniq(ids_)),
        language=draw(_uniq(langs)),
        platform=draw(_uniq(st.sampled_from(PLATFORMS))),
        removed=draw(st.sampled_from(["include", "exclude", "only"])),
        sort=draw(st.sampled_from(["newest", "spend", "impressions"])),
        page=draw(st.integers(1, MAX_RESULTS_PAGED // per_page)),
        per_page=per_page,
    )


@settings(max_examples=300, deadline=None)
@given(queries())
def test_query_round_trips_through_the_query_string(query: LibraryQuery) -> None:
    query_string = urlencode(query.params())
    assert LibraryQuery.parse(parse_qsl(query_string, keep_blank_values=True)) == query
    url = query.url("/search", page=1)
    assert LibraryQuery.parse(parse_qsl(urlsplit(url).query)) == LibraryQuery(
        **{**query.__dict__, "page": 1}
    )


PARAM_NAMES = [*LibraryQuery.__dataclass_fields__, "x", "Q", "page[]"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PARAM_NAMES),
            st.text(max_size=30) | st.from_regex(r"-?[0-9]{1,22}", fullmatch=True),
        ),
        max_size=6,
    )
)
def test_parser_takes_anything_and_fails_only_with_a_readable_error(
    pairs: list[tuple[str, str]],
) -> None:
    try:
        query = LibraryQuery.parse(pairs)
    except LibraryQueryError as exc:
        assert exc.param in {name for name, _ in pairs}
        assert str(exc).startswith(f"{exc.param}: ") and len(exc.message) > 5
        return
    assert 1 <= query.per_page <= 100 and query.offset < MAX_RESULTS_PAGED
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in query.country)
    assert LibraryQuery.parse(query.params()) == query


def test_every_card_links_to_its_advertiser_and_its_funder(
    client: TestClient, ids: dict[str, int]
) -> None:
    html = client.get("/search", params={"type": "all", "per_page": 100}).text
    cards = re.findall(r'<article class="card".*?</article>', html, re.S)
    assert len(cards) == 38
    for card in cards:
        page = re.search(r'href="/pages/(\d+)" class="advertiser"', card)
        assert page, card[:300]
        if "byline none" not in card:  # a card with a "Paid for by" links its funder
            assert re.search(r'href="/funders/\d+"', card), card[:300]
        assert client.get(f"/pages/{page.group(1)}").status_code == 200


@seeded(None)  # an empty library
def test_the_search_box_finds_advertisers_by_name(
    make_api: Callable[..., TestClient], engine: Engine, tmp_path: Path
) -> None:
    """Typing a page's name ("Woke Blacks") lists that page, with its number of ads, above
    the ads that mention the words; a funder too; and nothing private is named."""
    from paidfor.ingest.pipeline import run_import
    from paidfor.ingest.registry import SOURCES

    from conftest import IRA_CLEAN

    run_import(engine, SOURCES["hpsci-ira"](), [IRA_CLEAN])
    with make_api() as client:
        body = client.get("/api/search", params={"q": "woke blacks", "type": "all"}).json()
        [page] = [a for a in body["advertisers"] if a["name"] == "Woke Blacks"]
        own = client.get("/api/search", params={"page_id": page["id"], "type": "all"}).json()
        assert page["kind"] == "page" and page["ads"] == own["total"] > body["total"]
        html = client.get("/search", params={"q": "Woke Blacks"}).text
        assert f'href="{page["url"]}">Woke Blacks</a>' in html and f"{page['ads']} ads" in html
        assert client.get("/api/search", params={"q": "zzqx"}).json()["advertisers"] == []
        assert client.get("/api/search", params={"q": "100%_"}).json()["advertisers"] == []


@pytest.mark.parametrize(
    "params",
    [{"per_page": "100"}, {"q": "water", "sort": "spend"}, {"unmask_removed_content": "true"}],
)
def test_the_api_writes_the_services_result(
    client: TestClient, engine: Engine, params: dict[str, str]
) -> None:
    """``/api/search`` encodes the ads as their views (``as_json(views=True)``): the same
    JSON as the result's ``as_json``, every ad's ``PublicAd.as_json``."""
    answer = client.get("/api/search", params=params)
    assert answer.status_code == 200
    service = LibraryService(LibraryRepository(engine))
    result = service.search(LibraryQuery.parse(params.items()))
    assert result.ads and answer.json() == result.as_json()
