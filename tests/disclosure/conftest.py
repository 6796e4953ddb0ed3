"""Test inputs for disclosure packages: real IRA ads in the shape the package's export
passes to the renderer, a signing key, a signed package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from paidfor.disclosure.manifest import write_manifest
from paidfor.domain import Ad
from paidfor.ingest.base import Parsed
from paidfor.ingest.hpsci_ira import HpsciIra

IRA_CLEAN = "hpsci_ira_ads/ira_ads_clean.csv"
_cache: dict[Path, list[dict[str, Any]]] = {}


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def ad_dict(ad: Ad, number: int) -> dict[str, Any]:
    """An imported ad as the export hands it to ``render``."""
    d = ad.delivery
    return {
        "id": number,
        "external_id": ad.external_id,
        "source": ad.source,
        "text": ad.creative.text(),
        "link_title": (ad.creative.link_titles or [None])[0],
        "landing_url": ad.creative.landing_url,
        "targeting": ad.targeting.to_dict(),
        "impressions": d.impressions,
        "clicks": d.clicks,
        "spend": str(d.spend) if d.spend is not None else None,
        "currency": d.currency,
        "spend_usd": str(d.spend_usd) if d.spend_usd is not None else None,
        "created_at": _iso(ad.created_at),
        "start_at": _iso(ad.start_at),
        "stop_at": _iso(ad.stop_at),
        "page": ad.page.name if ad.page else None,
        "funder": ad.funder.name if ad.funder else None,
        "status": str(ad.status),
        "images": [],
    }


def read_ira_ads(data_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The IRA ads of the clean table, parsed by paidfor's importer (no database)."""
    path = data_dir / IRA_CLEAN
    if path not in _cache:
        ads = [
            ad_dict(item.item, n)
            for n, item in enumerate((i for i in HpsciIra().read(path) if isinstance(i, Parsed)), 1)
            if isinstance(item.item, Ad)
        ]
        _cache[path] = ads
    found = _cache[path]
    return [dict(a) for a in (found if limit is None else found[:limit])]


META: dict[str, Any] = {
    "disclosure_id": 7,
    "recipient": "House Permanent Select Committee on Intelligence",
    "legal_basis": "Congressional request of 2017-11-01 (HPSCI)",
    "requested_by": "investigator:ivy",
    "approved_by": "admin:ada",
    "built_at": "2025-01-02T03:04:05+00:00",
    "case_id": None,
    "filters": {"currency": "RUB", "source": "hpsci-ira"},
    "counts": {"ads": 50, "pages": 12},
    "software": "paidfor 0.1.0",
}


@pytest.fixture
def ira_ads(data_dir: Path) -> Callable[[int | None], list[dict[str, Any]]]:
    return lambda limit=50: read_ira_ads(data_dir, limit)


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def make_package(folder: Path, key: Ed25519PrivateKey, files: dict[str, bytes]) -> Path:
    """A signed package folder holding ``files`` (relative path → bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_manifest(folder, {"disclosure": {"id": 7}, "approved_by": "admin:ada"}, key)
    return folder
