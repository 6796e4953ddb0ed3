"""The public library in a real browser, as a person uses it: search the IRA ads for a page's
name, open an ad ("Paid for by" and the spend range), open the advertiser's page, see the
funder hub's chart drawn, download a search as CSV and read it back."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import httpx

PAGE_NAME = "Black Matters"


def test_search_an_ad_its_advertiser_the_hub_and_a_download(
    live_server: str, browser: Any, screenshots: Path
) -> None:
    def _shot(page: Any, name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=False)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        # 1. search from the home page's box for a page's name
        page.goto(live_server + "/")
        box = page.get_by_role("searchbox").first
        box.fill(PAGE_NAME)
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search\?"))
        heading = page.locator("#results-title").inner_text()
        total = int(re.sub(r"[^0-9]", "", heading))
        expected = httpx.get(f"{live_server}/api/search", params={"q": PAGE_NAME}).json()
        assert total == expected["total"] > 0
        cards = page.locator("article.card")
        assert cards.count() == min(25, total)
        # the page itself is offered above the ads, and every card links its advertiser
        named = page.locator("section.advertisers a", has_text=PAGE_NAME)
        assert named.count() >= 1 and re.search(r"/pages/\d+$", named.first.get_attribute("href"))
        assert cards.locator("a.advertiser").count() == cards.count()
        _shot(page, "search")

        # 2. open an ad of that page: its byline and its spend as a range
        card = cards.filter(has=page.get_by_role("link", name=PAGE_NAME, exact=True)).first
        card.get_by_role("link", name=PAGE_NAME, exact=True).click()
        page.wait_for_url(re.compile(r"/ads/\d+$"))
        ad_id = int(page.url.rsplit("/", 1)[1])
        ad = httpx.get(f"{live_server}/api/ads/{ad_id}").json()
        assert page.get_by_text("Paid for by", exact=True).count() >= 1
        body = page.locator("main").inner_text()
        assert "No disclaimer" in body or "No “Paid for by” disclaimer" in body
        assert ad["spend"] and ad["spend"] in body  # the range, e.g. "100 – 499 RUB"
        assert re.search(r"\d[\d,]* – [\d,]+ RUB|< [\d,]+ RUB|> [\d,]+ RUB", ad["spend"])
        assert "removed" in body.lower()  # the IRA ads were taken down, and it says why
        _shot(page, "ad")

        # 3. the advertiser's page, from the ad
        page.locator("main h1 a").first.click()
        page.wait_for_url(re.compile(r"/pages/\d+$"))
        assert page.locator("h1").first.inner_text().strip() == PAGE_NAME
        assert page.get_by_role("heading", name=re.compile("Past political ads")).count() == 1
        _shot(page, "advertiser")

        # 4. the funder hub draws its chart (an SVG with marks in it, no JavaScript needed)
        page.goto(live_server + "/funders?window=all")
        chart = page.locator("figure.chart svg").first
        chart.wait_for(state="visible")
        box_ = chart.bounding_box()
        assert box_ is not None and box_["width"] > 300 and box_["height"] > 150
        assert chart.locator("path, rect, circle").count() > 10
        _shot(page, "funders")

        # 5. download the search as CSV and read it back
        page.goto(f"{live_server}/search?q={PAGE_NAME.replace(' ', '+')}")
        with page.expect_download() as info:
            page.locator("#main").get_by_role("link", name="CSV").click()
        download = info.value
        assert download.suggested_filename.endswith(".csv")
        with open(download.path(), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == total
        assert str(ad_id) in {r["ad_id"] for r in rows}
        assert not any("targeting" in col or "risk" in col for col in rows[0])
    finally:
        context.close()
