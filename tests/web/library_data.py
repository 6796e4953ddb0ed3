"""A small hand-made library for the public library tests, written as paidfor native JSON
lines and imported through the real pipeline, plus private data planted where the public
must never see it.

Named ads each exercise a filter (see ``EXPECTED``); 30 ads ``n00``...``n29`` (page "Paging
Page", funder "Paging Fund", reached France) exercise paging and sorting: ``n{k}`` started on
2022-01-01 + k days, spent $(k+1)*10.50 and made (30-k)*100 impressions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, update

from paidfor.domain import (
    Ad,
    AdStatus,
    Advertiser,
    Creative,
    Delivery,
    Funder,
    Page,
    PaymentInstrument,
    Range,
    Targeting,
)
from paidfor.domain.serialize import ad_to_json
from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.storage.models import AdRow
from paidfor.storage.repo import AdRepository

SOURCE = "library-test"
P1 = Page(name="Clean Water Now", external_id="5001")
P2 = Page(name="Tax Watch", external_id="5002")
P3 = Page(name="Paging Page", external_id="5003")
F1 = Funder(name="Friends of Water")
F2 = Funder(name="Taxpayers United")
F3 = Funder(name="Paging Fund")
REMOVAL = "Removed for coordinated inauthentic behaviour: a test network of fake pages"
EVIL_REGION = "<script>alert(1)</script>"
# Planted in private places; no public page, JSON answer or export may contain them.
SECRETS = (
    "SECRET-INTEREST-XYZ",
    "SECRET-AUDIENCE-XYZ",
    "SECRET-ADVERTISER-XYZ",
    "SECRET-RISK-XYZ",
)
PRIVATE_KEYS = ("targeting", "risk", "risk_score", "risk_explanations", "advertiser", "admins")


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def usd(amount: str, impressions: int | None, **kw: Any) -> Delivery:
    spend = Decimal(amount)
    return Delivery(currency="USD", spend=spend, spend_usd=spend, impressions=impressions, **kw)


def ad(ext: str, start: str, **kw: Any) -> Ad:
    base: dict[str, Any] = {
        "source": SOURCE,
        "external_id": ext,
        "status": AdStatus.RUNNING,
        "created_at": t(start),
        "start_at": t(start),
        "targeting": Targeting(
            interests=["SECRET-INTEREST-XYZ"], custom_audiences=["SECRET-AUDIENCE-XYZ"]
        ),
        "advertiser": Advertiser(
            name="SECRET-ADVERTISER-XYZ",
            payment_instruments=[PaymentInstrument(currency="USD", billing_country="RU")],
        ),
    }
    base.update(kw)
    return Ad(**base)


def named_ads() -> list[Ad]:
    return [
        ad(
            "w1",
            "2024-03-01",
            page=P1,
            funder=F1,
            creative=Creative(
                bodies=["Vote for clean water in Texas", "Clean water is a right"],
                link_titles=["Clean water pledge"],
                link_captions=["water.example"],
                link_descriptions=["Sign the pledge today"],
                landing_url="https://water.example/pledge",
            ),
            delivery=usd(
                "250.00",
                12_000,
                reached_countries=["US"],
                demographic_distribution=[
                    {"percentage": "0.6", "age": "25-34", "gender": "female"},
                    {"percentage": "0.3", "age": "35-44", "gender": "male"},
                    {"percentage": "0.1", "age": "18-24", "gender": "unknown"},
                ],
                delivery_by_region=[
                    {"percentage": "0.7", "region": "Texas"},
                    {"percentage": "0.3", "region": "Oklahoma"},
                ],
            ),
            platforms=["facebook", "instagram"],
            languages=["en"],
        ),
        ad(
            "w2",
            "2024-02-01",
            page=P1,
            funder=F1,
            creative=Creative(bodies=["Clean water now, for every family"]),
            delivery=usd(
                "1200",
                80_000,
                reached_countries=["US", "GB"],
                delivery_by_region=[{"percentage": "1", "region": EVIL_REGION}],
            ),
            status=AdStatus.STOPPED,
            stop_at=t("2024-02-20"),
            platforms=["facebook"],
            languages=["en"],
        ),
        ad(
            "t1",
            "2024-01-15",
            page=P2,
            funder=F2,
            creative=Creative(bodies=["Lower taxes for families"]),
            delivery=usd("5000", 300_000, reached_countries=["US"]),
            status=AdStatus.STOPPED,
            stop_at=t("2024-01-30"),
            platforms=["facebook"],
            languages=["en", "es"],
        ),
        ad(
            "t2",
            "2023-11-01",
            page=P2,
            funder=F2,
            creative=Creative(bodies=["Impuestos más bajos para familias"]),
            delivery=Delivery(
                currency="USD",
                spend_range=Range(100, 499),
                impressions_range=Range(1_000, 4_999),
                reached_countries=["US"],
            ),
            status=AdStatus.STOPPED,
            stop_at=t("2023-11-15"),
            platforms=["instagram"],
            languages=["es"],
            is_political=True,
        ),
        ad(
            "r1",
            "2023-06-01",
            page=P2,
            creative=Creative(bodies=["Secret water rally tomorrow"]),
            delivery=usd("90", 5_000, reached_countries=["US"]),
            status=AdStatus.REMOVED,
            removal_reason=REMOVAL,
            stop_at=t("2023-06-10"),
            platforms=["facebook"],
            languages=["en"],
        ),
        ad(
            "u1",
            "2024-02-20",
            page=P2,
            creative=Creative(bodies=["Taxes are theft"]),
            delivery=usd("75", 2_000, reached_countries=["US"]),
            platforms=["facebook"],
            languages=["en"],
        ),
        ad(
            "c1",
            "2024-02-10",
            page=P1,
            funder=F1,
            creative=Creative(bodies=["Buy our water filters"]),
            delivery=usd("40", 900, reached_countries=["CA"]),
            platforms=["messenger"],
            languages=["fr"],
            is_political=False,
        ),
        ad(
            "h1",
            "2024-02-15",
            page=P1,
            creative=Creative(bodies=["The water is clean here"]),
            delivery=usd("300", 7_000, reached_countries=["GB"]),
            status=AdStatus.APPROVED,
            stop_at=t("2099-01-01"),
            platforms=["instagram"],
            languages=["en"],
            ad_type="HOUSING_ADS",
        ),
        ad(
            "pend",
            "2024-03-05",
            page=P1,
            funder=F1,
            creative=Creative(bodies=["Pending water ad"]),
            delivery=usd("999", 1, reached_countries=["US"]),
            status=AdStatus.PENDING,
        ),
        ad(
            "rej",
            "2024-03-06",
            creative=Creative(bodies=["Rejected water ad"]),
            delivery=usd("999", 1, reached_countries=["US"]),
            status=AdStatus.REJECTED,
        ),
    ]


def paging_ads() -> list[Ad]:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    return [
        ad(
            f"n{k:02d}",
            (start + timedelta(days=k)).date().isoformat(),
            page=P3,
            funder=F3,
            creative=Creative(bodies=[f"Election notice number {k}"]),
            delivery=usd(f"{(k + 1) * 10}.50", (30 - k) * 100, reached_countries=["FR"]),
            status=AdStatus.STOPPED,
            stop_at=t("2022-03-01"),
            platforms=["facebook"],
            languages=["fr"],
        )
        for k in range(30)
    ]


PAGING = [f"n{k:02d}" for k in range(30)]
NEWEST = ["w1", "u1", "h1", "c1", "w2", "t1", "t2", "r1", *reversed(PAGING)]
PUBLIC = set(NEWEST)


def load(engine: Engine, tmp_path: Path) -> dict[str, int]:
    """Import every test ad and plant a private risk explanation on each; returns external
    id -> our ad id."""
    ads = named_ads() + paging_ads()
    path = tmp_path / "library.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(ad_to_json(a)) for a in ads) + b"\n")
    report = run_import(engine, SOURCES["native"](), [path])
    assert not report.errors and report.counts.inserted == len(ads)
    with engine.begin() as conn:
        conn.execute(
            update(AdRow)
            .where(AdRow.source == SOURCE)
            .values(risk_score=0.987, risk_explanations=[{"signal": "SECRET-RISK-XYZ"}])
        )
    repo = AdRepository(engine)
    ids = {}
    for a in ads:
        found = repo.get_by_key(SOURCE, a.external_id)
        assert found is not None and found.id is not None
        ids[a.external_id] = found.id
    return ids


def assert_public(text: str) -> None:
    """``text`` (a page, a JSON body, an export) holds none of the planted private data."""
    for secret in SECRETS:
        assert secret not in text, secret
