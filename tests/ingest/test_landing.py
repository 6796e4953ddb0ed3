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


KINDS = {"page", "event", "instagram", "domain", "unknown", "product", "group", "facebook"}


@given(st.text(max_size=120))
def test_any_text_gives_a_page_or_none(text: str) -> None:
    page = parse_landing(text)
    if page is not None:
        assert page.key and page.kind in KINDS


# Facebook addresses that are no page: the release's own (tests/ingest/test_ira_import.py
# counts them in the whole file), and the common others.
LOGIN = (
    "https://www.facebook.com/login/?next=https%3A%2F%2FI.facebook.com%2 Flsr.php%3Fu%3Dhttps"
    "%253A%252F%252Fwww.facebook.com%252FArmy -of-Jesus-1195795607160174%252F%26ext%3D14811040"
    "16%26hash%3D AcmuIRZFkln8arsE_PgiwkOZA8g8cu3a4cDhraLMfhOf7w"
)


@pytest.mark.parametrize(
    ("url", "kind", "key", "name"),
    [
        # a sign-in redirect leads to the page it was for (scanning damage and all)
        (LOGIN, "page", "1195795607160174", "Army of Jesus"),
        ("https://www.facebook.com/commerce/products/1297309743633428/", "product",
         "1297309743633428", "Facebook shop product 1297309743633428"),
        ("https://www.facebook.com/commerce/products/1 194263447326332/", "product",
         "1194263447326332", "Facebook shop product 1194263447326332"),
        # the event's "/" scanned as "?": still the event
        ("https://www.facebook.com/events/? 59606484220517 /", "event", "59606484220517",
         "Facebook event 59606484220517"),
        ("https://www.facebook.com/groups/123456789/", "group", "123456789",
         "Facebook group 123456789"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fblackmattersus.com%2Fx", "domain",
         "blackmattersus.com", "blackmattersus.com"),
        ("https://www.facebook.com/photo.php?fbid=10", "facebook", "photo.php",
         "Facebook /photo.php"),
        ("https://www.facebook.com/login", "facebook", "login", "Facebook /login"),
        ("https://www.facebook.com/events/", "facebook", "events", "Facebook /events"),
        ("https://www.facebook.com/hashtag/blacklivesmatter", "facebook",
         "hashtag/blacklivesmatter", "Facebook /hashtag/blacklivesmatter"),
        # a page's post is still its page's
        ("https://www.facebook.com/EricDraitserl/posts/950925828350122", "page",
         "ericdraitserl", "EricDraitserl"),
    ],
)  # fmt: skip
def test_facebook_addresses_that_are_no_page_are_not_keyed_as_pages(
    url: str, kind: str, key: str, name: str
) -> None:
    page = parse_landing(url)
    assert page is not None and (page.kind, page.key, page.name) == (kind, key, name)
    assert page.url == url


def test_redirects_end() -> None:
    """A redirect to a redirect to ... ends: after three, the address is kept as it is."""
    url = "https://www.facebook.com/l.php?u=https://www.facebook.com/l.php?u="
    for _ in range(6):
        url = url.replace("u=", "u=https%3A%2F%2Fwww.facebook.com%2Fl.php%3Fu%3D", 1)
    page = parse_landing(url)
    assert page is not None and page.kind == "facebook"


@given(st.sampled_from(sorted({"login", "commerce", "groups", "photo.php", "l.php", "events"})),
       st.text(max_size=60))  # fmt: skip
def test_no_page_is_named_after_facebooks_own_paths(head: str, rest: str) -> None:
    page = parse_landing(f"https://www.facebook.com/{head}/{rest}")
    assert page is not None and page.kind in KINDS
    if page.kind == "page":  # only where a redirect led to one
        assert page.key.lower() not in {"login", "commerce", "groups", "photo.php", "l.php"}


def test_the_documented_vanity_pages_are_what_the_release_gives() -> None:
    """docs/formats.md says which IRA pages have only a vanity name, with their ads; the
    figures are the release's, read with ``parse_landing`` as the importer reads them."""
    import csv
    import re
    from collections import Counter

    from conftest import IRA_CLEAN, ROOT

    pages: Counter[str] = Counter()
    with IRA_CLEAN.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            found = parse_landing(row["Ad_Landing_Page"])
            if found is not None and found.kind == "page":
                pages[found.key] += 1
    numeric = {k: n for k, n in pages.items() if k.isdigit()}
    vanity = {k: n for k, n in pages.items() if not k.isdigit()}
    doc = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    said = doc[doc.index("**Which pages have only a vanity name") :]
    said = " ".join(said[: said.index("\n- ")].split())
    totals = re.search(r"(\d+) Facebook pages \(([\d,]+) ads.*?(\d+) keys \(([\d,]+) ads\)", said)
    assert totals is not None, said
    assert [int(g.replace(",", "")) for g in totals.groups()] == [
        len(numeric),
        sum(numeric.values()),
        len(vanity),
        sum(vanity.values()),
    ]
    counted = {k: int(n) for k, n in re.findall(r"`([\w.]+)`\s+\((\d+)\)", said)}
    counted |= {k: int(n) for k, n in re.findall(r"`([\w.]+)`\s+(\d+)\b", said)}
    assert len(counted) >= 20, counted  # the list was read
    assert {k: vanity.get(k) for k in counted} == counted
    named = {name.lower() for name in re.findall(r"`([A-Za-z][\w.]*)`", said)}
    assert set(vanity) - named == set(), "a vanity page the docs do not name"
