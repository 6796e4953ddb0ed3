"""The ad page, its JSON twin and the home page, on SQLite and PostgreSQL: every creative,
the page and funder links, status and removal reason, ranges, the audience charts as inline
SVG with the right values, and nothing private."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from databases import seeded
from fastapi.testclient import TestClient
from library_data import EVIL_REGION, PRIVATE_KEYS, REMOVAL, assert_public, load

from paidfor.library.views import PublicAdDetail

SVG = "{http://www.w3.org/2000/svg}"


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


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def texts(svg: ET.Element, cls: str) -> list[str]:
    return [
        "".join(t.itertext())
        for t in svg.iter(f"{SVG}text")
        if cls in (t.get("class") or "").split()
    ]


def bars(svg: ET.Element) -> list[ET.Element]:
    return [r for r in svg.iter(f"{SVG}rect") if "rect" in (r.get("class") or "").split()]


def test_ad_page_shows_everything_public(client: TestClient, ids: dict[str, int]) -> None:
    w1 = client.get(f"/api/ads/{ids['w1']}").json()
    resp = client.get(f"/ads/{ids['w1']}")
    assert resp.status_code == 200
    html = resp.text
    assert f'<a href="/pages/{w1["page_id"]}">Clean Water Now</a>' in html
    assert f'Paid for by <a href="/funders/{w1["funder_id"]}">Friends of Water</a>' in html
    for text in (
        "Vote for clean water in Texas",
        "Clean water is a right",
        "Clean water pledge",
        "water.example",
        "Sign the pledge today",
        "https://water.example/pledge",
        "100 – 499 USD",
        "10,000 – 49,999",
        "<dt>Started</dt><dd>2024-03-01</dd>",
        "<dt>Stopped</dt><dd>—</dd>",
        "<dt>Status</dt><dd>Running</dd>",
        "<dt>Platforms</dt><dd>Facebook, Instagram</dd>",
        "<dt>Languages</dt><dd>en</dd>",
        "<dt>Countries reached</dt><dd>United States</dd>",
        '<span class="badge active">Active</span>',
    ):
        assert text in html, text
    assert "This ad was removed" not in html
    assert f'href="/search?page_id={w1["page_id"]}"' in html
    # No staff links: the nav is Search, Funders, API docs.
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'href="([^"]+)"', nav) == ["/search", "/funders", "/docs"]
    for staff in ("/review", "/staff", "/cases", "/admin", "/investigat"):
        assert staff not in html
    assert_public(html)


def test_charts_are_inline_svg_with_the_right_values(
    client: TestClient, ids: dict[str, int]
) -> None:
    html = client.get(f"/ads/{ids['w1']}").text
    assert "<script" not in html  # the page and its charts work without JavaScript
    demographic, regions = svgs(html)
    for svg in (demographic, regions):
        assert svg.get("role") == "img" and svg.get("aria-label")
    assert demographic.get("aria-label") == "Share of impressions by age and gender"
    # Ages on the x axis in order, a bar per (age, gender) with a value, one series a gender.
    assert texts(demographic, "value") == ["60.0%", "30.0%", "10.0%"]  # female, male, unknown
    labels = [
        "".join(t.itertext())
        for g in demographic.iter(f"{SVG}g")
        for t in g.iter(f"{SVG}text")
        if "x" in (g.get("class") or "").split() and "axis" in (g.get("class") or "").split()
    ]
    assert [x for x in labels if "-" in x] == ["18-24", "25-34", "35-44"]
    heights = [float(r.get("height") or 0) for r in bars(demographic)]
    assert len(heights) == 3
    assert heights[0] / heights[1] == pytest.approx(2)
    assert heights[0] / heights[2] == pytest.approx(6)
    # Regions: largest on top (drawn last), widths in proportion.
    assert texts(regions, "value") == ["30.0%", "70.0%"]
    widths = [float(r.get("width") or 0) for r in bars(regions)]
    assert widths[1] / widths[0] == pytest.approx(7 / 3)
    # The same numbers as tables.
    assert '<th scope="row">25-34</th><td class="num">60.0%</td><td class="num">0.0%</td>' in html
    assert '<th scope="row">Texas</th><td class="num">70.0%</td>' in html
    assert '<th scope="row">Oklahoma</th><td class="num">30.0%</td>' in html


def test_chart_labels_are_escaped(client: TestClient, ids: dict[str, int]) -> None:
    html = client.get(f"/ads/{ids['w2']}").text
    assert EVIL_REGION not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    (regions,) = svgs(html)
    assert texts(regions, "value") == ["100.0%"]


def test_ad_without_distributions_says_so(client: TestClient, ids: dict[str, int]) -> None:
    html = client.get(f"/ads/{ids['t1']}").text
    assert "No demographic breakdown was published" in html
    assert "No regional breakdown was published" in html
    assert svgs(html) == []
    t2 = client.get(f"/ads/{ids['t2']}").text  # published ranges, no exact figures
    assert "100 – 499 USD" in t2 and "1,000 – 4,999" in t2


def test_removed_ad_says_why(client: TestClient, ids: dict[str, int]) -> None:
    html = client.get(f"/ads/{ids['r1']}").text
    assert "This ad was removed" in html and REMOVAL in html
    assert '<span class="badge removed">Removed</span>' in html
    # its content is withheld unless asked for (tests/web/test_removed_content.py)
    assert "Secret water rally tomorrow" not in html
    assert "Show the removed content" in html
    assert "No “Paid for by” disclaimer" in html
    data = client.get(f"/api/ads/{ids['r1']}").json()
    assert data["status"] == "removed" and data["removal_reason"] == REMOVAL


def test_json_twin(client: TestClient, ids: dict[str, int]) -> None:
    data = client.get(f"/api/ads/{ids['w1']}").json()
    assert set(data) == set(PublicAdDetail.__dataclass_fields__)
    assert not set(data) & set(PRIVATE_KEYS)
    assert data["bodies"] == ["Vote for clean water in Texas", "Clean water is a right"]
    assert data["demographic_distribution"] == [
        {"age": "25-34", "gender": "female", "percentage": 0.6},
        {"age": "35-44", "gender": "male", "percentage": 0.3},
        {"age": "18-24", "gender": "unknown", "percentage": 0.1},
    ]
    assert data["delivery_by_region"] == [
        {"region": "Texas", "percentage": 0.7},
        {"region": "Oklahoma", "percentage": 0.3},
    ]
    assert (data["spend_lower"], data["spend_upper"]) == (100, 499)
    assert (data["impressions_lower"], data["impressions_upper"]) == (10_000, 49_999)
    assert data["political"] is True and data["started"] == "2024-03-01"
    assert_public(client.get(f"/api/ads/{ids['w1']}").text)


def test_unpublished_and_unknown_ads_are_404(client: TestClient, ids: dict[str, int]) -> None:
    for name in ("pend", "rej"):
        assert client.get(f"/ads/{ids[name]}").status_code == 404
        assert client.get(f"/api/ads/{ids[name]}").status_code == 404
    missing = client.get("/ads/999999999")
    assert missing.status_code == 404 and "The library has no ad 999999999." in missing.text
    assert client.get("/api/ads/999999999").json()["error"]["status"] == 404
    assert client.get(f"/ads/{2**70}").status_code in (404, 422)
    assert client.get("/ads/abc").status_code == 422


def test_home_page(client: TestClient, ids: dict[str, int]) -> None:
    """Windows end on the newest published ad's day (2024-03-01: the pending and rejected
    ads are newer but never ran); only political ads count."""
    home = client.get("/api/home").json()
    assert home["total_ads"] == 38 and home["newest_ad_day"] == "2024-03-01"
    assert home["historical"] is True
    windows = {w["days"]: w for w in home["top_funders"]}
    assert [(w["start"], w["end"]) for w in windows.values()] == [
        ("2024-02-24", "2024-03-01"),
        ("2024-02-01", "2024-03-01"),
        ("2023-12-03", "2024-03-01"),
    ]

    def top(days: int) -> list[tuple[str, int, str]]:
        return [(f["name"], f["ads"], f["spend_usd"]) for f in windows[days]["funders"]]

    assert top(7) == [("Friends of Water", 1, "250.00")]
    assert top(30) == [("Friends of Water", 2, "1450.00")]
    assert top(90) == [("Taxpayers United", 1, "5000.00"), ("Friends of Water", 2, "1450.00")]
    assert windows[7]["without_disclaimer"] == {"ads": 0, "spend_usd": "0.00"}
    assert windows[30]["without_disclaimer"] == {"ads": 1, "spend_usd": "75.00"}
    recent = [a["id"] for a in home["recent_political_ads"]]
    assert recent == [ids[n] for n in ("w1", "u1", "w2", "t1", "t2", "r1")]

    html = client.get("/").text
    assert "38 ads in the library" in html
    assert "the newest one started on <strong>2024-03-01</strong>" in html
    assert html.count("<h3>Last ") == 3
    f1 = client.get(f"/api/ads/{ids['w1']}").json()["funder_id"]
    assert f'<a href="/funders/{f1}">Friends of Water</a>' in html
    assert "$1,450" in html and "$5,000" in html
    assert "1 ad without a disclaimer: $75.00" in html
    assert 'action="/search"' in html and 'name="q"' in html
    for name in ("w1", "u1", "w2", "t1", "t2", "r1"):
        assert f'href="/ads/{ids[name]}"' in html
    assert f'href="/ads/{ids["h1"]}"' not in html  # a housing ad is not political
    assert_public(html)
    # The interim list's links now land on the search page.
    moved = client.get("/", params={"q": "water"}, follow_redirects=False)
    assert moved.status_code == 307 and moved.headers["location"] == "/search?q=water"


@seeded(None)  # an empty library
def test_home_page_of_an_empty_library(make_api: Callable[..., TestClient]) -> None:
    with make_api() as client:
        html = client.get("/").text
        assert "The library has no published ads yet." in html and "0 ads in the library" in html
        assert client.get("/api/home").json()["top_funders"] == []
        assert client.get("/search").status_code == 200
