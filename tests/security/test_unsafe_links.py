"""One URL rule for every source and every template (``domain.urls.link_of``): only ``http``
and ``https`` URLs become links; anything else from imported data (``javascript:``,
``data:``...) is shown as text, and the importers report it."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from paidfor.domain.urls import link_of
from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage.models import PageRow

from conftest import IRA_CLEAN

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "paidfor"
EVIL = "javascript:alert(document.domain)//"
UNSAFE = [
    EVIL,
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "evil.example",
    "http:alert(1)",
    "https://",
    "http://[::1",
    "",
]
SAFE = ["http://example.org/vote", "https://www.facebook.com/pages/x/123", "HTTPS://Ex.org"]


@pytest.mark.parametrize("url", UNSAFE)
def test_anything_but_an_http_link_is_not_a_link(url: str) -> None:
    assert link_of(url) is None


@pytest.mark.parametrize("url", SAFE)
def test_http_and_https_links_are_links(url: str) -> None:
    assert link_of(url) == url


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=40) | st.sampled_from(UNSAFE).map(lambda u: u + "x"))
def test_a_link_is_always_http_or_https_with_a_host(url: str) -> None:
    found = link_of(url)
    if found is not None:
        parts = urlsplit(found)
        assert parts.scheme.lower() in ("http", "https") and parts.hostname
        assert not re.search(r"[\x00-\x20\x7f]", found)


def test_every_template_renders_urls_from_data_through_the_link_rule() -> None:
    """An ``href`` or ``src`` filled from data passes the ``link`` filter; the others are
    the app's own paths (``query.url(...)``, ``link.href``, ``chip.href``...)."""
    own = re.compile(
        r"^(query\.url\(|home\.recent_query\.url\(|csv_url|parquet_url|link\.href|chip\.href|"
        r"url_for\(|url$|src$|ad\.images\[0\]$)"  # src: a loop over ad.images, our own paths
    )
    found = []
    for path in TEMPLATES.rglob("templates/*.html"):
        for m in re.finditer(r'(?:href|src)="\{\{\s*([^}]+?)\s*\}\}', path.read_text()):
            expr = m.group(1)
            if "|link" not in expr.replace(" ", "") and not own.match(expr):
                found.append(f"{path.name}: {expr}")
    assert not found, found


def _ira_csv(tmp_path: Path) -> Path:
    with open(IRA_CLEAN, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        row = next(reader)
    row[header.index("Ad_Landing_Page")] = EVIL
    out = tmp_path / "ira.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, row])
    return out


def _native_json(tmp_path: Path) -> Path:
    record = {
        "kind": "ad",
        "source": "native-test",
        "external_id": "n1",
        "creative": {"bodies": ["A plain ad"], "landing_url": "data:text/html,hi"},
        "page": {"name": "Evil Link Page", "external_id": "e1", "url": EVIL},
        "status": "running",
        "created_at": "2020-01-02T00:00:00+00:00",
    }
    out = tmp_path / "native.jsonl"
    out.write_text(json.dumps(record) + "\n")
    return out


def test_a_meta_library_record_with_an_unsafe_snapshot_url_is_reported(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    record = json.loads(
        (data_dir / "meta_ad_library" / "ads_archive_record_example.json").read_text()
    )
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(record | {"ad_snapshot_url": EVIL}))
    report = run_import(engine, SOURCES["meta-archive"](), [path], parallel=False)
    assert report.rows == 1 and not report.errors
    assert [w.reason for w in report.warnings] == [
        f"the snapshot_url {EVIL!r} is not an http or https link: kept as text, never linked"
    ]


@pytest.mark.parametrize("source", ["hpsci-ira", "native"])
def test_an_imported_unsafe_url_is_reported_and_shown_as_text(
    source: str, engine: Engine, make_api: Callable[..., TestClient], tmp_path: Path
) -> None:
    path = _ira_csv(tmp_path) if source == "hpsci-ira" else _native_json(tmp_path)
    report = run_import(engine, SOURCES[source](), [path], parallel=False)
    assert report.rows == 1 and not report.errors, report.as_dict()
    assert any("not an http or https link" in w.reason for w in report.warnings), report.as_dict()
    assert report.as_dict()["warnings"]
    with engine.connect() as conn:
        page_id = conn.execute(select(PageRow.id).where(PageRow.url == EVIL)).scalar_one()
    with make_api() as client:
        html = client.get(f"/pages/{page_id}").text
    assert "javascript:alert" in html  # shown, as text
    assert not re.search(r'(href|src)="\s*javascript', html, re.I), html
