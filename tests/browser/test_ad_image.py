"""An ad's image in a real browser (issue 20): an advertiser uploads a picture and submits an
ad with it through the API; a visitor searches, sees the picture on the ad's card, opens the
ad and sees it there, drawn at its own size, with alt text from the ad, served as the image
type it was uploaded as."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

CARD = "4242 4242 4242 4242"
WORDS = "Fresh sourdough bread every morning at the Maple Street bakery"


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 160), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def drawn(page: Any, selector: str) -> dict[str, Any]:
    """The first matching image once the browser has loaded it: its size and alt text."""
    img = page.locator(selector).first
    img.scroll_into_view_if_needed()
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete }", arg=selector
    )
    return dict(img.evaluate("i => ({w: i.naturalWidth, h: i.naturalHeight, alt: i.alt})"))


def test_a_visitor_sees_an_ads_image(live_server: str, browser: Any, screenshots: Path) -> None:
    api = httpx.Client(base_url=live_server, timeout=30)
    made = api.post("/api/advertisers", json={"name": "Maple Street Bakery", "country": "US"})
    auth = {"Authorization": f"Bearer {made.json()['token']}"}
    api.post("/api/me/payment-instruments", headers=auth,
             json={"currency": "USD", "billing_country": "US", "card_number": CARD})  # fmt: skip
    page_id = api.post(
        "/api/me/pages",
        headers=auth,
        json={"name": "Maple Street Bakery", "country": "US", "category": "Bakery",
              "admins": [{"name": "Sam", "login_countries": ["US"]}]},
    ).json()["id"]  # fmt: skip
    uploaded = api.post(
        "/api/me/images", headers=auth, files={"file": ("bread.png", picture(), "image/png")}
    ).json()
    ad = {
        "page_id": page_id,
        "bodies": [WORDS],
        "image_hashes": [uploaded["hash"]],
        "targeting": {"locations": [{"country": "US"}], "age_min": 18},
        "start": "2026-01-05T00:00:00Z",
        "budget": "40.00",
        "currency": "USD",
    }
    answer = api.post("/api/me/ads", headers=auth, json=ad).json()
    assert answer["decision"] == "approved", answer
    ad_id = answer["ad_id"]
    src = f"/ads/{ad_id}/images/{uploaded['hash']}"
    served = api.get(src)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/search?q=sourdough+bakery")
        card = drawn(page, f'img.thumb[src="{src}"]')
        assert (card["w"], card["h"]) == (240, 160)
        assert "Maple Street Bakery" in card["alt"]
        page.locator(f'a[href="/ads/{ad_id}"]').first.click()
        page.wait_for_url(f"{live_server}/ads/{ad_id}")
        shown = drawn(page, f'figure.creative img[src="{src}"]')
        assert (shown["w"], shown["h"]) == (240, 160)
        assert "Maple Street Bakery" in shown["alt"] and "sourdough" in shown["alt"]
        box = page.locator(f'figure.creative img[src="{src}"]').bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] <= 480  # sized
        page.screenshot(path=str(screenshots / "ad-image.png"))
    finally:
        context.close()
