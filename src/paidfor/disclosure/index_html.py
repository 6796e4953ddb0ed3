"""A disclosure package's ``index.html``: the request, then every ad in the style of the House
Intelligence Committee's 2017 release of the IRA ads (ad id, text, landing page, targeting,
impressions, clicks, spend, creation and end dates), with the page, the "Paid for by" line
and its images; ``ads`` and ``meta`` as ``disclosure.rows`` describes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from paidfor.disclosure.rows import (
    NONE,
    ad_rows,
    ad_title,
    meta_rows,
    safe_relative,
    targeting_lines,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"  # the package's own index.html
TEMPLATE = "disclosure_index.html"
DEFAULT_FILES = (
    "ads.jsonl",
    "ads.csv",
    "pages.jsonl",
    "advertisers.jsonl",
    "index.pdf",
    "MANIFEST.json",
    "MANIFEST.json.sig",
)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
    )
    return env


def render_html(ads: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The package's ``index.html``: the request, then one section per ad. Self-contained
    (inline CSS, no script, a Content-Security-Policy that forbids any); every value is
    escaped; images and files are linked by relative paths."""
    views = []
    for ad in ads:
        images = [u for u in (safe_relative(p) for p in ad.get("images") or []) if u]
        views.append(
            {
                "anchor": f"ad-{ad.get('id')}",
                "title": ad_title(ad),
                "text": ad.get("text") or "",
                "targeting": targeting_lines(ad.get("targeting")),
                "rows": ad_rows(ad),
                "images": images,
            }
        )
    files = meta.get("files") or DEFAULT_FILES
    links = [(name, u) for name in files if (u := safe_relative(name))]
    title = meta.get("title") or f"Disclosure {meta.get('disclosure_id') or ''}".strip()
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(title=title, meta_rows=meta_rows(meta), ads=views, links=links, none=NONE)
    )
