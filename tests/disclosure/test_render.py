"""index.pdf (one page per ad, searchable, deterministic) and index.html (escaped)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from paidfor.disclosure.index_html import render_html
from paidfor.disclosure.index_pdf import CONTINUES, render_pdf
from paidfor.disclosure.rows import spend_text, targeting_lines

from .conftest import META, read_ira_ads


def _words(text: str) -> set[str]:
    """The ASCII words of ``text`` that a byte search of an uncompressed PDF finds (each
    printed line is one PDF string; only ``(``, ``)`` and ``\\`` are escaped in it)."""
    return {w for w in re.findall(r"[A-Za-z0-9]{3,30}", text)}


def _ad(**values: Any) -> dict[str, Any]:
    ad: dict[str, Any] = {
        "id": 1,
        "external_id": "X1",
        "source": "test",
        "text": "An ad.",
        "targeting": {},
        "images": [],
        "status": "removed",
    }
    ad.update(values)
    return ad


def test_one_page_per_ad_with_every_text_uncompressed(tmp_path: Path, ira_ads) -> None:
    ads = ira_ads(50)
    out = tmp_path / "index.pdf"
    seen: list[int] = []
    assert render_pdf(ads, META, out, progress=seen.append) == 50
    assert seen == list(range(1, 51))
    reader = PdfReader(out)
    assert len(reader.pages) == 50
    data = out.read_bytes()
    for page in reader.pages:  # page content is not compressed
        assert "/Filter" not in page["/Contents"].get_object()
    for number, (ad, page) in enumerate(zip(ads, reader.pages, strict=True), 1):
        # the page is this ad's: its ids, in order, with the request in the header
        text = page.extract_text()
        assert f"hpsci-ira {ad['external_id']})" in text
        assert f"Ad {number} of 50" in text
        assert "House Permanent Select Committee on Intelligence" in text
        assert "approved by admin:ada" in text
        for word in _words(ad["text"] or "") | _words(ad["landing_url"] or ""):
            assert word.encode() in data, (ad["external_id"], word)
    assert rb"Baltimore \(+20 km\), Maryland" in data  # the targeting, readable
    assert rb"44.87 RUB \(0.83 USD\)" in data


def test_pdf_is_deterministic(tmp_path: Path, ira_ads) -> None:
    ads = ira_ads(20)
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    render_pdf(ads, META, one)
    time.sleep(1.1)  # a clock in the output would show
    render_pdf(ads, META, two)
    assert one.read_bytes() == two.read_bytes()
    render_pdf(ads[:19], META, two)
    assert one.read_bytes() != two.read_bytes()


def test_long_texts_shrink_and_only_the_impossible_is_cut(tmp_path: Path, data_dir) -> None:
    ads = read_ira_ads(data_dir)
    longest = max(ads, key=lambda a: len(a["text"] or ""))  # about 2,400 characters
    huge = _ad(id=2, text=" ".join(f"word{i:05d}" for i in range(6000)))
    out = tmp_path / "index.pdf"
    render_pdf([longest, huge], META, out)
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    first, second = (p.extract_text() for p in reader.pages)
    assert "text continues in ads.jsonl" not in first
    assert longest["text"].split()[-1].strip("#") in first  # its last word is on the page
    assert "word00000" in second and "word05999" not in second
    assert CONTINUES.removeprefix("… ") in second


def test_emoji_other_scripts_and_control_characters_never_crash(tmp_path: Path) -> None:
    texts = [
        "Vote! 🇺🇸👉😂❤️‍🔥 ☺ ✔",
        "Привет, Техас! Ελλάδα עברית العربية",
        "中文 日本語 한국어 \U0001f9ff \U000e0001",
        "tab\there\x00nul\x07bell\x1b[31m\r\nnew line\u200b\u202eRTL override",
        "\ufffd" * 50 + " lone surrogate \ud800 from JSON",
        "",
        "a" * 5000,  # one word longer than many lines
    ]
    ads = [
        _ad(id=i, text=t, page=t[:40] or None, funder=t[:30] or None) for i, t in enumerate(texts)
    ]
    out = tmp_path / "index.pdf"
    assert render_pdf(ads, META, out) == len(texts)
    reader = PdfReader(out)
    assert len(reader.pages) == len(texts)
    first = reader.pages[0].extract_text()
    assert "Vote!" in first and "☺" in first
    assert "Привет" in reader.pages[1].extract_text()


def test_images_are_scaled_onto_the_page(tmp_path: Path) -> None:
    (tmp_path / "creatives").mkdir()
    Image.new("RGB", (1200, 3000), (200, 30, 30)).save(tmp_path / "creatives" / "tall.png")
    Image.new("RGB", (40, 20), (0, 0, 200)).save(tmp_path / "creatives" / "small.jpg")
    (tmp_path / "creatives" / "broken.png").write_bytes(b"not an image")
    ads = [
        _ad(id=1, images=["creatives/tall.png", "creatives/small.jpg"], text="x " * 800),
        _ad(id=2, images=["creatives/small.jpg"]),
        _ad(id=3, images=["creatives/broken.png"]),
        _ad(id=4, images=["../../etc/passwd"]),
    ]
    out = tmp_path / "index.pdf"
    assert render_pdf(ads, META, out) == 4
    reader = PdfReader(out)
    assert len(reader.pages) == 4
    for page in reader.pages[:2]:
        (image,) = page.images
        assert image.image is not None
    assert "could not be read" in reader.pages[2].extract_text()
    assert "could not be read" in reader.pages[3].extract_text()


def test_no_ads_is_one_page_saying_so(tmp_path: Path) -> None:
    out = tmp_path / "index.pdf"
    assert render_pdf([], META, out) == 1
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    assert "holds no ads" in reader.pages[0].extract_text()


def test_all_3517_ira_ads_render_one_page_each_in_time(tmp_path: Path, data_dir) -> None:
    ads = read_ira_ads(data_dir)
    assert len(ads) == 3517
    out = tmp_path / "index.pdf"
    started = time.perf_counter()
    assert render_pdf(ads, {**META, "counts": {"ads": 3517}}, out) == 3517
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"{elapsed:.1f} s for 3,517 pages"
    assert len(PdfReader(out).pages) == 3517


def test_targeting_and_spend_read_like_the_release() -> None:
    lines = targeting_lines(
        {
            "locations": [
                {"country": "US", "region": "Maryland", "city": "Baltimore", "radius_km": 20},
                {"country": "US", "region": "Missouri", "city": "St. Louis"},
                {"country": "RU"},
            ],
            "excluded_locations": [{"country": "US", "region": "Texas"}],
            "age_min": 18,
            "age_max": 65,
            "genders": ["female"],
            "interests": ["Black history", "Martin Luther King, Jr."],
            "excluded_interests": ["Police"],
            "custom_audiences": ["Lookalike (US, 1%)"],
            "languages": ["English (US)"],
            "raw": {"location": "source text"},
            "device_platforms": ["mobile"],
            "empty": [],
        }
    )
    assert lines == [
        ("Location", "United States: Baltimore (+20 km), Maryland; St. Louis, Missouri"),
        ("Location", "Russian Federation"),
        ("Excluded locations", "United States: Texas"),
        ("Age", "18 – 65"),
        ("Gender", "female"),
        ("Language", "English (US)"),
        ("Interests", "Black history; Martin Luther King, Jr."),
        ("Excluded interests", "Police"),
        ("Custom audiences", "Lookalike (US, 1%)"),
        ("Device platforms", "mobile"),
    ]
    assert targeting_lines({"age_min": 18, "age_max": None}) == [("Age", "18+")]
    assert targeting_lines(None) == []
    assert spend_text({"spend": "10085.77", "currency": "RUB", "spend_usd": "189.5612"}) == (
        "10,085.77 RUB (189.56 USD)"
    )
    assert spend_text({"spend": "12.50", "currency": "USD", "spend_usd": "12.50"}) == "12.50 USD"
    assert spend_text({"spend": None, "currency": None, "spend_usd": None}) == "—"


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_escapes_everything(ira_ads) -> None:
    ads = ira_ads(3)
    ads.append(
        _ad(
            id=99,
            text=HOSTILE,
            page=HOSTILE,
            funder=HOSTILE,
            landing_url="javascript:alert(1)//" + HOSTILE,
            link_title=HOSTILE,
            targeting={"interests": [HOSTILE], HOSTILE: HOSTILE},
            images=["javascript:alert(1)", "../../etc/passwd", "creatives/a b.png"],
        )
    )
    html = render_html(ads, {**META, "recipient": HOSTILE, HOSTILE: HOSTILE})
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'src="javascript:' not in html and 'href="javascript:' not in html
    assert "../../etc/passwd" not in html
    assert '<img src="creatives/a%20b.png"' in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    # every ad has its section, and the request is in the header
    assert html.count('<section class="ad"') == 4
    assert "Such a beautiful day! Such a beatiful view!" in html
    assert "House Permanent Select Committee on Intelligence" not in html  # replaced above
    assert "Congressional request of 2017-11-01 (HPSCI)" in html
    assert '<a href="ads.jsonl">ads.jsonl</a>' in html


def test_html_shows_the_request_and_links_the_files() -> None:
    html = render_html([], {**META, "files": ["ads.jsonl", "index.pdf", "../escape"]})
    assert "holds no ads" in html
    assert '<a href="index.pdf">' in html and "../escape" not in html
    assert "currency=RUB, source=hpsci-ira" in html
    assert "50 ads, 12 pages" in html


@pytest.mark.parametrize("value", [None, "", "not a date"])
def test_odd_values_do_not_break_the_page(tmp_path: Path, value: Any) -> None:
    ad = {"id": 5, "created_at": value, "impressions": value, "spend": value, "targeting": value}
    assert render_pdf([ad], {}, tmp_path / "index.pdf") == 1
    assert "Ad ID" in render_html([ad], {})
