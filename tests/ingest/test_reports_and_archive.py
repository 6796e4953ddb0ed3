"""Meta's Ad Library API output, the Ad Library Report, and Google's advertiser stats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select

from paidfor.domain import Range
from paidfor.ingest.google_report import GoogleReport
from paidfor.ingest.meta_archive import MetaArchive
from paidfor.ingest.meta_report import MetaReport
from paidfor.ingest.pipeline import run_import
from paidfor.storage.models import FunderRow, PageRow, SpendReportRow
from paidfor.storage.repo import AdRepository


def test_meta_archive_record_keeps_every_field(engine: Engine, data_dir: Path) -> None:
    example = data_dir / "meta_ad_library" / "ads_archive_record_example.json"
    report = run_import(engine, MetaArchive(), [example])
    assert report.errors == [] and report.counts.inserted == 1
    ad = AdRepository(engine).get_by_key("meta", "679808276335343")
    assert ad is not None
    raw = json.loads(example.read_text())
    assert ad.creative.bodies == raw["ad_creative_bodies"]
    assert ad.creative.link_captions == ["www.bloomberg.com"]
    assert ad.funder is not None and ad.funder.name == "Bloomberg Philanthropies"
    assert ad.page is not None and (ad.page.external_id, ad.page.name) == (
        "6756153498",
        "Mike Bloomberg",
    )
    assert ad.delivery.spend_range == Range(300, 399)
    assert ad.delivery.impressions_range == Range(10000, 14999)
    assert ad.delivery.estimated_audience_size == Range(50001, 100000)
    assert ad.delivery.currency == "USD" and ad.delivery.spend_usd == Decimal("300.00")
    assert len(ad.delivery.delivery_by_region) == len(raw["delivery_by_region"])
    assert ad.delivery.delivery_by_region[0] == {"percentage": "0.002039", "region": "Hawaii"}
    assert len(ad.delivery.demographic_distribution) == len(raw["demographic_distribution"])
    assert ad.platforms == ["instagram"] and ad.languages == ["en"]
    assert ad.start_at is not None and ad.start_at.date().isoformat() == "2021-12-08"
    assert ad.stop_at is not None and ad.stop_at.date().isoformat() == "2021-12-20"


def test_meta_archive_response_page_and_json_lines(
    engine: Engine, data_dir: Path, tmp_path: Path
) -> None:
    raw = json.loads((data_dir / "meta_ad_library" / "ads_archive_record_example.json").read_text())
    recs = []
    for i in range(5):
        rec = {k: v for k, v in raw.items() if k != "_id"}
        rec["id"] = f"90{i}"
        recs.append(rec)
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"data": recs[:3], "paging": {"cursors": {"after": "x"}}}))
    lines = tmp_path / "ads.jsonl"
    bad = {**recs[4], "spend": {"lower_bound": "abc"}}
    lines.write_text("\n".join(json.dumps(r) for r in [recs[3], bad]) + "\n{not json\n")
    r1 = run_import(engine, MetaArchive(), [page])
    r2 = run_import(engine, MetaArchive(), [lines])
    assert r1.counts.inserted == 3 and r1.errors == []
    assert r2.counts.inserted == 1
    assert [(e.line, "spend" in e.reason or "JSON" in e.reason) for e in r2.errors] == [
        (2, True),
        (3, True),
    ]
    assert run_import(engine, MetaArchive(), [page]).counts.unchanged == 3


def test_meta_report_pages_funders_and_spend(engine: Engine, data_dir: Path) -> None:
    path = data_dir / "meta_ad_library" / "report_US_last_7_days_2023-06-01_advertisers.csv"
    report = run_import(engine, MetaReport(), [path])
    assert report.errors == []
    assert report.counts.inserted == 5303
    with engine.connect() as conn:
        rows = conn.execute(select(func.count(SpendReportRow.id))).scalar_one()
        bounded = conn.execute(
            select(func.count()).where(SpendReportRow.amount_is_upper_bound.is_(True))
        ).scalar_one()
        pages = conn.execute(select(func.count(PageRow.id))).scalar_one()
        sound = conn.execute(
            select(
                SpendReportRow.amount_cents,
                SpendReportRow.ads_count,
                FunderRow.name,
                SpendReportRow.period,
            )
            .join(PageRow, PageRow.id == SpendReportRow.page_id)
            .join(FunderRow, FunderRow.id == SpendReportRow.funder_id)
            .where(PageRow.external_id == "122258358636926")
        ).one()
    assert rows == 5303 and bounded == 2988 and pages == 5233
    assert sound == (43441100, 22, "Sound of Freedom, LLC", "last_7_days_2023-06-01")
    assert run_import(engine, MetaReport(), [path]).counts.unchanged == 5303


def test_meta_report_refuses_the_locations_table(engine: Engine, data_dir: Path) -> None:
    path = data_dir / "meta_ad_library" / "report_US_last_7_days_2023-06-01_locations.csv"
    report = run_import(engine, MetaReport(), [path])
    assert report.rows == 0 and "not an advertisers report" in report.errors[0].reason


def test_google_report(engine: Engine, data_dir: Path) -> None:
    path = data_dir / "google_political_ads" / "advertiser_stats_2018-08.csv"
    report = run_import(engine, GoogleReport(), [path])
    # 457 advertisers (the data README's "456" counts newlines: the last row has none)
    assert report.errors == [] and report.counts.inserted == 457
    with engine.connect() as conn:
        total = conn.execute(select(func.sum(SpendReportRow.amount_cents))).scalar_one()
        period = conn.execute(select(SpendReportRow.period).limit(1)).scalar_one()
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        expected = sum(int(r["Total_Spend_USD"]) for r in csv.DictReader(f))
    assert total == expected * 100 and period == "2018-08"
