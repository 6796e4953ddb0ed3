"""A small, hand-made library for the ads_archive tests, written as paidfor native JSON lines
(``ad_to_json``) and imported through the real pipeline.

Named ads (``a1``...) each exercise a filter; 23 ads ``p00``...``p22`` that reached only Canada
exercise paging.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
from sqlalchemy import Engine

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Funder, Page, Range
from paidfor.domain.serialize import ad_to_json
from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage.repo import AdRepository

SOURCE = "archive-test"
PAGE_ONE = Page(name="Page One", external_id="1001")
PAGE_TWO = Page(name="Page Two", external_id="2002")
ALPHA = Funder(name="Friends of Alpha")
BETA = Funder(name="Beta PAC")


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def ad(ext: str, **kw: object) -> Ad:
    base: dict[str, object] = {
        "source": SOURCE,
        "external_id": ext,
        "status": AdStatus.RUNNING,
        "created_at": t("2024-01-01"),
        "start_at": t("2024-01-01"),
    }
    base.update(kw)
    return Ad(**base)  # type: ignore[arg-type]


def named_ads() -> list[Ad]:
    return [
        ad(
            "a1",
            page=PAGE_ONE,
            funder=ALPHA,
            creative=Creative(
                bodies=["Vote for clean water in Texas"],
                link_titles=["Clean water pledge"],
                landing_url="https://alpha.example/water",
                image_hashes=["abc123"],
            ),
            delivery=Delivery(
                currency="USD",
                spend=Decimal("250.00"),
                impressions=12_000,
                demographic_distribution=[
                    {"percentage": "0.6", "age": "25-34", "gender": "female"},
                    {"percentage": "0.4", "age": "35-44", "gender": "male"},
                ],
                delivery_by_region=[{"percentage": "1.0", "region": "Texas"}],
                reached_countries=["US"],
            ),
            created_at=t("2024-01-09"),
            start_at=t("2024-01-10"),
            platforms=["facebook", "instagram"],
            languages=["en"],
        ),
        ad(
            "a2",
            page=PAGE_ONE,
            funder=ALPHA,
            creative=Creative(bodies=["Clean water now"]),
            delivery=Delivery(
                currency="USD",
                spend=Decimal("5"),
                impressions=500,
                reached_countries=["US", "GB"],
            ),
            status=AdStatus.STOPPED,
            created_at=t("2023-05-01"),
            start_at=t("2023-05-01"),
            stop_at=t("2023-06-01"),
            platforms=["facebook"],
            languages=["en"],
        ),
        ad(
            "a3",
            page=PAGE_TWO,
            funder=BETA,
            creative=Creative(bodies=["The water is clean here"]),
            delivery=Delivery(currency="GBP", reached_countries=["GB"]),
            created_at=t("2024-02-01"),
            start_at=t("2024-02-01"),
            stop_at=t("2099-01-01"),
            platforms=["instagram"],
            languages=["en"],
            ad_type="HOUSING_ADS",
        ),
        ad(
            "a4",
            page=PAGE_TWO,
            creative=Creative(bodies=["Secret removed text about water"]),
            delivery=Delivery(currency="EUR", reached_countries=["DE"]),
            status=AdStatus.REMOVED,
            removal_reason="Coordinated inauthentic behaviour",
            created_at=t("2022-01-01"),
            start_at=t("2022-01-01"),
            stop_at=t("2022-02-01"),
            platforms=["facebook"],
        ),
        ad("a5", delivery=Delivery(reached_countries=["US"]), status=AdStatus.PENDING),
        ad("a6", delivery=Delivery(reached_countries=["US"]), status=AdStatus.REJECTED),
        ad(
            "a7",
            page=PAGE_TWO,
            delivery=Delivery(reached_countries=["US"]),
            status=AdStatus.RUNNING,
            created_at=t("2019-12-01"),
            start_at=t("2019-12-01"),
            stop_at=t("2020-01-01"),
        ),
        ad(
            "a8",
            creative=Creative(bodies=["Votez pour l'eau propre"]),
            delivery=Delivery(
                currency="EUR",
                spend_range=Range(100, 499),
                impressions_range=Range(1_000_000, None),
                reached_countries=["FR"],
            ),
            status=AdStatus.APPROVED,
            platforms=["messenger"],
            languages=["fr"],
        ),
    ]


def paging_ads() -> list[Ad]:
    return [
        ad(
            f"p{n:02d}",
            page=PAGE_ONE,
            funder=ALPHA,
            creative=Creative(bodies=[f"Canada ad number {n} about elections"]),
            delivery=Delivery(currency="CAD", spend=Decimal(n * 100), reached_countries=["CA"]),
            platforms=["facebook"],
            languages=["en"],
        )
        for n in range(23)
    ]


def load(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Import every test ad; returns external id -> our ad id."""
    ads = named_ads() + paging_ads()
    path = tmp_path / "ads.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(ad_to_json(a)) for a in ads) + b"\n")
    report = run_import(engine, SOURCES["native"](), [path])
    assert not report.errors and report.counts.inserted == len(ads)
    repo = AdRepository(engine)
    ids = {}
    for a in ads:
        found = repo.get_by_key(SOURCE, a.external_id)
        assert found is not None and found.id is not None
        ids[a.external_id] = found.id
    return ids
