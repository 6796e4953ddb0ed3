"""Landing URLs, scanning damage included, become the pages that ran the ads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidfor.ingest.landing import parse_landing


@pytest.mark.parametrize(
    ("url", "kind", "key", "name"),
    [
        (
            "https://www.facebook.com/Black-Matters-1579673598947501/",
            "page",
            "1579673598947501",
            "Black Matters",
        ),
        (
            "https://www .facebook.com/LGBT-United-839497 472793277 /",
            "page",
            "839497472793277",
            "LGBT United",
        ),
        (
            "https://www.facebook.com/Army-of-Jesus-I 195795607160174/",
            "page",
            "1195795607160174",
            "Army of Jesus",
        ),
        (
            "https://www .face book. com/Defend-the-2nd-692068924291672/",
            "page",
            "692068924291672",
            "Defend the 2nd",
        ),
        (
            "https://www.facebook.com/pages/L-for-life/994910227187446",
            "page",
            "994910227187446",
            "L for life",
        ),
        (
            "https://www.facebook.com/blackmattersus.mvmnt/",
            "page",
            "blackmattersus.mvmnt",
            "blackmattersus.mvmnt",
        ),
        (
            "https://www.facebook.comNVoke-Blacks-294234600956431 /",
            "page",
            "294234600956431",
            "Woke Blacks",
        ),
        (
            "https://www.facebook.com/Dont-Shoot-1157233400960126/ Ad Targeting Location* US",
            "page",
            "1157233400960126",
            "Dont Shoot",
        ),
        (
            "https://www.facebook.com/events/I 094784283992152/",
            "event",
            "1094784283992152",
            "Facebook event 1094784283992152",
        ),
        (
            "https:Hblackmattersus.com/16599-institutional-racism",
            "domain",
            "blackmattersus.com",
            "blackmattersus.com",
        ),
        ("https://www.instagram.com/veterans_us/", "instagram", "veterans_us", "@veterans_us"),
        ("blackmattersus. com", "domain", "blackmattersus.com", "blackmattersus.com"),
    ],
)
def test_real_landing_urls(url: str, kind: str, key: str, name: str) -> None:
    page = parse_landing(url)
    assert page is not None
    assert (page.kind, page.key, page.name) == (kind, key, name)


def test_no_url_no_page() -> None:
    assert parse_landing(None) is None and parse_landing("   ") is None


@given(st.text(max_size=120))
def test_any_text_gives_a_page_or_none(text: str) -> None:
    page = parse_landing(text)
    if page is not None:
        assert page.key and page.kind in {"page", "event", "instagram", "domain", "unknown"}
