"""The advertiser (page) view and the funder hub, HTML and JSON, on SQLite and PostgreSQL.

A small hand-made library (native JSON lines, a Meta report CSV, admins and elections added
with SQL) gives exact expected numbers; the real IRA ads and the real Meta Ad Library Report
check the same invariants at scale.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Funder, Page, Targeting
from paidfor.domain.serialize import ad_to_json
from paidfor.ingest.pipeline import run_import
from paidfor.ingest.registry import SOURCES
from paidfor.interfaces.http.refusals import install_refusals
from paidfor.interfaces.http.web.hub import make_hub_router
from paidfor.interfaces.http.web.library_routes import make_templates
from paidfor.library.hub import HubService
from paidfor.library.hub_store import HubRepository
from paidfor.storage.models import AdminRow, AdRow, ElectionRow, PageRow, page_admins
from paidfor.storage.repo import AdRepository

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "paidfor" / "web" / "templates"
SOURCE = "hub-test"
PAGE_A = Page(
    name="Hub Test Page",
    external_id="5001",
    country="US",
    created_at=datetime(2020, 3, 4, 12, 0, tzinfo=UTC),
)
PAGE_B = Page(name="Other Test Page", external_id="5002")
F1 = Funder(name="Citizens for Testing")
F2 = Funder(name="Beta Fund")
SECRET_INTEREST = "Xyzzy Secret Interest"
ADMIN_NAMES = ("Ivan Secretname", "Jane Hiddenperson")
REPORT = (
    "Page ID,Page name,Disclaimer,Amount spent (USD),Number of ads in Library\n"
    '5001,Hub Test Page,Citizens for Testing,"1,234",3\n'
    "7007,Report Only Page,Gamma Group,≤100,1\n"
)
DOT = re.compile(r"<circle[^>]*class=\"dot ")
BAR = re.compile(r"<rect[^>]*class=\"rect ")


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def ad(ext: str, **kw: Any) -> Ad:
    base: dict[str, Any] = {"source": SOURCE, "external_id": ext, "is_political": True}
    base.update(kw)
    base.setdefault("created_at", base.get("start_at"))
    return Ad(**base)


def usd(amount: str, *countries: str, regions: list[dict[str, str]] | None = None) -> Delivery:
    return Delivery(
        currency="USD",
        spend=Decimal(amount),
        spend_usd=Decimal(amount),
        reached_countries=list(countries),
        delivery_by_region=regions or [],
    )


def hub_ads() -> list[Ad]:
    return [
        ad(  # running now, political
            "r1",
            page=PAGE_A,
            funder=F1,
            status=AdStatus.RUNNING,
            start_at=t("2024-01-02"),
            creative=Creative(bodies=["Vote for tests on Tuesday"]),
            targeting=Targeting(interests=[SECRET_INTEREST]),
            delivery=usd(
                "100.00",
                "US",
                regions=[
                    {"percentage": "0.75", "region": "Texas"},
                    {"percentage": "0.25", "region": "Ohio"},
                ],
            ),
        ),
        ad(  # running now (approved, stops in 2099), not political
            "r2",
            page=PAGE_A,
            status=AdStatus.APPROVED,
            is_political=False,
            ad_type="ALL",
            start_at=t("2024-01-03"),
            stop_at=t("2099-01-01"),
            creative=Creative(bodies=["Buy our test mugs"]),
            delivery=usd("40.00", "US"),
        ),
        ad(  # stopped
            "p1",
            page=PAGE_A,
            funder=F1,
            status=AdStatus.STOPPED,
            start_at=t("2024-01-08"),
            stop_at=t("2024-01-20"),
            delivery=usd("200.50", "US", "GB", regions=[{"percentage": "1", "region": "Texas"}]),
        ),
        ad(  # "running" but its stop time has passed; paid in euros
            "p2",
            page=PAGE_A,
            funder=F2,
            status=AdStatus.RUNNING,
            start_at=t("2024-01-15"),
            stop_at=t("2024-02-01"),
            delivery=Delivery(
                currency="EUR",
                spend=Decimal("50.00"),
                spend_usd=Decimal("55.00"),
                reached_countries=["DE"],
            ),
        ),
        ad(  # removed, no disclaimer, paid in roubles
            "p3",
            page=PAGE_A,
            status=AdStatus.REMOVED,
            removal_reason="Coordinated inauthentic behaviour",
            start_at=t("2023-12-20"),
            stop_at=t("2023-12-22"),
            delivery=Delivery(
                currency="RUB",
                spend=Decimal("1000.00"),
                spend_usd=Decimal("15.00"),
                reached_countries=["US"],
            ),
        ),
        ad(  # never ran: in no list and no total
            "x1",
            page=PAGE_A,
            funder=F1,
            status=AdStatus.PENDING,
            start_at=t("2024-01-05"),
            delivery=usd("999.00", "US"),
        ),
        ad(
            "o1",
            page=PAGE_B,
            funder=F1,
            status=AdStatus.RUNNING,
            start_at=t("2024-02-05"),
            delivery=usd("49.50", "GB", regions=[{"percentage": "1", "region": "London"}]),
        ),
    ]


@dataclass
class World:
    client: TestClient
    engine: Engine
    ids: dict[str, int]
    page_a: int
    page_b: int
    report_page: int


def app_for(engine: Engine) -> FastAPI:
    app = FastAPI()
    install_refusals(app)  # the app's one handler answers the routes' refusals
    templates = make_templates()
    app.include_router(make_hub_router(HubService(HubRepository(engine)), templates))
    return app


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    ads = hub_ads()
    jsonl = tmp_path / "hub.jsonl"
    jsonl.write_bytes(b"\n".join(orjson.dumps(ad_to_json(a)) for a in ads) + b"\n")
    report = run_import(engine, SOURCES["native"](), [jsonl])
    assert not report.errors and report.counts.inserted == len(ads)
    csv_path = tmp_path / "report_US_last_7_days_2024-01-14_advertisers.csv"
    csv_path.write_text(REPORT, encoding="utf-8")
    report = run_import(engine, SOURCES["meta-report"](), [csv_path])
    assert not report.errors
    repo = AdRepository(engine)
    ids = {}
    for a in ads:
        found = repo.get_by_key(SOURCE, a.external_id)
        assert found is not None and found.id is not None
        ids[a.external_id] = found.id
    with engine.begin() as conn:
        pages = dict(conn.execute(select(PageRow.external_id, PageRow.id)).all())
        for name, countries in zip(ADMIN_NAMES, (["RU", "us"], ["US"]), strict=True):
            admin_id = conn.execute(
                insert(AdminRow).values(name=name, login_countries=countries).returning(AdminRow.id)
            ).scalar_one()
            conn.execute(insert(page_admins).values(page_id=pages["5001"], admin_id=admin_id))
        conn.execute(
            insert(ElectionRow),
            [
                {"country": "US", "name": "Test General", "date": date(2024, 1, 10)},
                {"country": "DE", "name": "Test Bundestag", "date": date(2024, 3, 1)},
            ],
        )
    with TestClient(app_for(engine)) as client:
        yield World(client, engine, ids, pages["5001"], pages["5002"], pages["7007"])


def funder_id(w: World, name: str) -> int:
    with w.engine.connect() as conn:
        return int(
            conn.execute(text("SELECT id FROM funders WHERE name = :n"), {"n": name}).one()[0]
        )


def election_id(w: World, name: str) -> int:
    with w.engine.connect() as conn:
        return int(conn.execute(select(ElectionRow.id).where(ElectionRow.name == name)).one()[0])


def keys(value: Any) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def assert_private_absent(body: str) -> None:
    for name in ADMIN_NAMES:
        assert name not in body
    assert SECRET_INTEREST not in body
    assert "targeting" not in body.lower()


# -- the page view ---------------------------------------------------------------------------


def test_page_json_lists_running_and_past_ads_and_exact_totals(world: World) -> None:
    w = world
    data = w.client.get(f"/api/pages/{w.page_a}").json()
    ids = w.ids
    assert data["page"]["name"] == "Hub Test Page"
    assert data["page"]["created"] == "2020-03-04" and data["page"]["country"] == "US"
    assert data["admin_countries"] == ["RU", "US"]
    assert [a["id"] for a in data["running"]] == [ids["r2"], ids["r1"]]  # newest first
    assert data["running_total"] == 2
    assert [a["id"] for a in data["past"]] == [ids["p2"], ids["p1"], ids["p3"]]
    assert data["past_total"] == 3
    assert data["political_ads"] == 4  # r1, p1, p2, p3: not the commercial r2, not pending x1
    assert data["political_spend_usd"] == "370.50"
    assert data["political_priced_ads"] == 4
    assert data["political_spend_by_currency"] == {
        "EUR": "50.00",
        "RUB": "1000.00",
        "USD": "300.50",
    }
    assert data["reported"] == {"USD": "1234.00"}
    funders = {f["name"]: f for f in data["funders"]}
    assert set(funders) == {"Citizens for Testing", "Beta Fund"}
    assert funders["Citizens for Testing"]["ads"] == 2
    assert funders["Citizens for Testing"]["spend_usd"] == "300.50"
    assert funders["Citizens for Testing"]["reported"] == {"USD": "1234.00"}
    assert funders["Beta Fund"]["spend_usd"] == "55.00"
    # one ad's exact spend is never public: ranges only
    one = data["running"][1]
    assert one["spend"] == "100 – 499 USD" and "spend_usd" not in one
    assert not {"targeting", "admins", "risk", "risk_explanations", "payment_instruments"} & keys(
        data
    )
    assert_private_absent(orjson.dumps(data).decode())


def test_page_html(world: World) -> None:
    w = world
    page = w.client.get(f"/pages/{w.page_a}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Hub Test Page" in html
    assert "$370.50" in html and "RU, US" in html and "2020-03-04" in html
    for key in ("r1", "r2", "p1", "p2", "p3"):
        assert f'href="/ads/{w.ids[key]}"' in html
    assert f'href="/ads/{w.ids["x1"]}"' not in html
    assert f'href="/funders/{funder_id(w, "Citizens for Testing")}"' in html
    assert "Vote for tests on Tuesday" in html
    assert_private_absent(html)
    assert "/staff" not in html and "/admin" not in html
    other = w.client.get(f"/pages/{w.page_b}").text
    assert "Not recorded" in other  # no admins, no creation date


def test_unknown_ids_are_friendly_404s(world: World) -> None:
    c = world.client
    for url in ("/pages/987654321", "/funders/987654321"):
        r = c.get(url)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"]
        assert "No " in r.text and 'href="/funders"' in r.text
    for url in ("/api/pages/987654321", "/api/funders/987654321", "/api/funders?election=99999"):
        assert c.get(url).status_code == 404
    assert c.get("/funders", params={"election": "99999"}).status_code == 404
    assert c.get("/api/funders", params={"window": "14"}).status_code == 422
    assert c.get("/api/funders", params={"country": "USA"}).status_code == 422
    assert c.get(f"/api/pages/{world.page_a}", params={"page": 0}).status_code == 422


# -- the funder hub --------------------------------------------------------------------------


def test_hub_all_time_exact_numbers(world: World) -> None:
    w = world
    data = w.client.get("/api/funders").json()
    assert data["filters"]["reference"] == "2024-02-05"  # the newest ad, not today
    assert data["ads"] == 5 and data["spend_usd"] == "420.00" and data["priced_ads"] == 5
    assert data["reported"] == {"USD": "1334.00"}
    assert data["funders_count"] == 3
    lines = [(f["name"], f["ads"], f["spend_usd"], f["reported"]) for f in data["funders"]]
    assert lines == [
        ("Citizens for Testing", 3, "350.00", {"USD": "1234.00"}),
        ("Gamma Group", 0, "0.00", {"USD": "100.00"}),
        ("Beta Fund", 1, "55.00", {}),
    ]
    assert data["no_disclaimer"]["ads"] == 1 and data["no_disclaimer"]["spend_usd"] == "15.00"
    total = sum(Decimal(f["spend_usd"]) for f in data["funders"])
    assert total + Decimal(data["no_disclaimer"]["spend_usd"]) == Decimal(data["spend_usd"])
    weekly = [(p["week"], p["ads"], p["spend_usd"], p["reported_usd"]) for p in data["weekly"]]
    assert weekly == [
        ("2023-12-18", 1, "15.00", "0.00"),
        ("2024-01-01", 1, "100.00", "0.00"),
        ("2024-01-08", 1, "200.50", "1334.00"),
        ("2024-01-15", 1, "55.00", "0.00"),
        ("2024-02-05", 1, "49.50", "0.00"),
    ]
    assert data["weekly"][0]["label"] == "2023-W51"
    assert sum(Decimal(p["spend_usd"]) for p in data["weekly"]) == Decimal(data["spend_usd"])
    assert data["undated_ads"] == 0
    assert [(r["region"], r["spend_usd"]) for r in data["regions"]] == [
        ("Texas", "275.50"),
        ("London", "49.50"),
        ("Ohio", "25.00"),
    ]
    countries = [
        (c["country"], c["ads"], c["spend_usd"], c["reported_usd"]) for c in data["countries"]
    ]
    assert countries == [
        ("US", 3, "315.50", "1334.00"),
        ("GB", 2, "250.00", "0.00"),
        ("DE", 1, "55.00", "0.00"),
    ]
    elections = {e["name"]: e for e in data["elections"]}
    assert elections["Test General"]["ads"] == 3  # r1, p1, p3 in the 90 days before, in US
    assert elections["Test General"]["spend_usd"] == "315.50"
    assert elections["Test General"]["reported_usd"] == "1334.00"
    assert (
        elections["Test Bundestag"]["ads"] == 1
        and elections["Test Bundestag"]["spend_usd"] == "55.00"
    )
    assert_private_absent(orjson.dumps(data).decode())


def test_hub_filters(world: World) -> None:
    c = world.client
    week = c.get("/api/funders", params={"window": "7"}).json()
    assert (week["filters"]["start"], week["filters"]["end"]) == ("2024-01-30", "2024-02-05")
    # r1 (still running), p2 (stopped 1 Feb) and o1 (started 5 Feb) delivered in those days
    assert week["ads"] == 3 and week["spend_usd"] == "204.50"
    assert week["reported"] == {}  # the report's week ended on 14 January
    gb = c.get("/api/funders", params={"country": "gb"}).json()
    assert gb["filters"]["country"] == "GB"
    assert gb["ads"] == 2 and gb["spend_usd"] == "250.00" and gb["reported"] == {}
    assert [(f["name"], f["spend_usd"]) for f in gb["funders"]] == [
        ("Citizens for Testing", "250.00")
    ]
    el = election_id(world, "Test General")
    us = c.get("/api/funders", params={"election": el}).json()
    assert us["filters"]["election"]["name"] == "Test General"
    assert (us["filters"]["start"], us["filters"]["end"]) == ("2023-10-13", "2024-01-10")
    assert us["ads"] == 3 and us["spend_usd"] == "315.50" and us["reported"] == {"USD": "1334.00"}
    us7 = c.get("/api/funders", params={"election": el, "window": "7"}).json()
    assert us7["ads"] == 2 and us7["spend_usd"] == "300.50"
    clash = c.get("/api/funders", params={"election": el, "country": "DE"}).json()
    assert clash["ads"] == 0 and clash["reported"] == {}
    top1 = c.get("/api/funders", params={"limit": 1}).json()
    assert len(top1["funders"]) == 1 and top1["funders_count"] == 3


def test_hub_html_and_charts(world: World) -> None:
    html = world.client.get("/funders").text
    assert "Who funds political ads" in html and "$420.00" in html
    assert "No “Paid for by” disclaimer" in html
    assert f'href="/funders/{funder_id(world, "Gamma Group")}"' in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    assert len(svgs) == 2 and "<script" not in html
    weekly, regions = svgs
    assert 'aria-label="Political ad spend by week, USD"' in weekly
    # 8 weeks from 18 Dec to 5 Feb for the ads (empty weeks as zero) and 1 report week
    assert len(DOT.findall(weekly)) == 8 + 1
    assert len(BAR.findall(regions)) == 3 and "Texas" in regions
    assert 'class="n">$275.50</td>' in html  # right-aligned figures
    assert_private_absent(html)
    empty = world.client.get("/funders", params={"country": "FR"}).text
    assert "No dated political ad spend" in empty and "<svg" not in empty


def test_funder_page(world: World) -> None:
    w = world
    fid = funder_id(w, "Citizens for Testing")
    data = w.client.get(f"/api/funders/{fid}").json()
    f = data["funder"]
    assert (f["name"], f["ads"], f["spend_usd"], f["reported"]) == (
        "Citizens for Testing",
        3,
        "350.00",
        {"USD": "1234.00"},
    )
    assert [a["id"] for a in data["ads"]] == [w.ids["o1"], w.ids["p1"], w.ids["r1"]]
    pages = [(p["id"], p["ads"], p["spend_usd"], p["reported"]) for p in data["pages"]]
    assert pages == [(w.page_a, 2, "300.50", {"USD": "1234.00"}), (w.page_b, 1, "49.50", {})]
    # the funder's total is the sum of its ads, and of its pages
    assert sum(Decimal(p["spend_usd"]) for p in data["pages"]) == Decimal(f["spend_usd"])
    assert sum(Decimal(p["spend_usd"]) for p in data["weekly"]) == Decimal(f["spend_usd"])
    html = w.client.get(f"/funders/{fid}").text
    assert f'href="/pages/{w.page_a}"' in html and f'href="/ads/{w.ids["o1"]}"' in html
    assert "$350.00" in html
    # weeks of 1 Jan to 5 Feb: 6 dots for the ads, 1 for the report week
    assert len(DOT.findall(html)) == 6 + 1
    assert_private_absent(html)
    gamma = w.client.get(f"/api/funders/{funder_id(w, 'Gamma Group')}").json()
    assert gamma["funder"]["ads"] == 0 and gamma["ads"] == []
    assert [(p["id"], p["reported"]) for p in gamma["pages"]] == [
        (w.report_page, {"USD": "100.00"})
    ]


# -- the real data ---------------------------------------------------------------------------


def meta_report_by_funder(path: Path) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            amount = row["Amount spent (USD)"].replace(",", "").lstrip("≤<=").strip()
            totals[row["Disclaimer"].strip()] += Decimal(amount)
    return totals


def test_real_ira_ads_and_meta_report(engine: Engine, data_dir: Path) -> None:
    ira = data_dir / "hpsci_ira_ads" / "ira_ads_clean.csv"
    meta = data_dir / "meta_ad_library" / "report_US_last_7_days_2023-06-01_advertisers.csv"
    assert not run_import(engine, SOURCES["hpsci-ira"](), [ira]).errors
    assert not run_import(engine, SOURCES["meta-report"](), [meta]).errors
    stats = AdRepository(engine).stats()
    with TestClient(app_for(engine)) as c:
        hub = c.get("/api/funders").json()
        # The IRA ads had no "Paid for by": all of them, and all their spend, land there.
        assert hub["no_disclaimer"]["ads"] == stats.ads == 3517
        assert stats.spend_usd == Decimal("92618.77")  # the release's total (README)
        assert Decimal(hub["no_disclaimer"]["spend_usd"]) == stats.spend_usd
        assert Decimal(hub["spend_usd"]) == stats.spend_usd
        weekly = sum(Decimal(p["spend_usd"]) for p in hub["weekly"])
        assert weekly + Decimal(hub["undated_spend_usd"]) == stats.spend_usd
        assert sum(p["ads"] for p in hub["weekly"]) + hub["undated_ads"] == 3517
        # Funders come from the report: its disclaimers, summed over their pages.
        expected = meta_report_by_funder(meta)
        named = {k: v for k, v in expected.items() if k}
        top_name, top_amount = max(named.items(), key=lambda kv: kv[1])
        assert hub["funders_count"] == len(named)
        assert hub["funders"][0]["name"] == top_name
        assert Decimal(hub["funders"][0]["reported"]["USD"]) == top_amount
        assert Decimal(hub["reported"]["USD"]) == sum(expected.values())
        # The report is the newest data: the 7-day window holds it and none of the IRA ads.
        week = c.get("/api/funders", params={"window": "7"}).json()
        assert week["filters"]["reference"] == "2023-06-01"
        assert week["ads"] == 0 and week["reported"] == hub["reported"]
        # The IRA page with the most ads: every one of them a past political ad.
        with engine.connect() as conn:
            page_id, count, cents = conn.execute(
                select(AdRow.page_id, text("count(*)"), text("sum(spend_usd_cents)"))
                .where(AdRow.page_id.is_not(None))
                .group_by(AdRow.page_id)
                .order_by(text("count(*) DESC"), AdRow.page_id)
                .limit(1)
            ).one()
            newest = conn.execute(
                select(AdRow.id)
                .where(AdRow.page_id == page_id)
                .order_by(
                    func.coalesce(AdRow.start_at, AdRow.created_at).desc().nulls_last(),
                    AdRow.id.desc(),
                )
                .limit(1)
            ).scalar_one()
        page = c.get(f"/api/pages/{page_id}").json()
        assert page["running_total"] == 0 and page["past_total"] == count
        assert len(page["past"]) == min(count, 20)
        assert Decimal(page["political_spend_usd"]) == (Decimal(cents) / 100).quantize(
            Decimal("0.01")
        )
        assert page["past"][0]["id"] == newest
        html = c.get(f"/pages/{page_id}").text
        assert f'href="/ads/{newest}"' in html and "Removed" in html
        funder = c.get(f"/api/funders/{hub['funders'][0]['id']}").json()
        assert funder["funder"]["name"] == top_name
        assert sum(Decimal(p["reported"].get("USD", "0")) for p in funder["pages"]) == top_amount


@pytest.mark.parametrize("table", ["funders", "weeks", "regions", "countries", "elections"])
def test_the_hub_downloads_as_csv_and_parquet(world: World, table: str) -> None:
    """Each of the hub's tables, as CSV and as Parquet, holds what /api/funders says, in the
    same order, with exact amounts."""
    import csv
    import io

    import pyarrow.parquet as pq

    data = world.client.get("/api/funders", params={"window": "all"}).json()
    key = {"funders": "funders", "weeks": "weekly", "regions": "regions",
           "countries": "countries", "elections": "elections"}[table]  # fmt: skip
    want = data[key] + ([data["no_disclaimer"]] if table == "funders" else [])
    r = world.client.get("/funders.csv", params={"table": table})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f'filename="paidfor-funders-{table}.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(want) == int(r.headers["x-result-count"]) > 0
    p = world.client.get("/funders.parquet", params={"table": table})
    assert p.status_code == 200
    parquet = pq.read_table(io.BytesIO(p.content)).to_pylist()
    assert len(parquet) == len(want)
    for row, got, line in zip(rows, parquet, want, strict=True):
        assert Decimal(row["spend_usd"]) == Decimal(line["spend_usd"]) == got["spend_usd"]
        if table == "funders":
            assert row["funder"] == got["funder"] == line["name"]
            assert row["ads"] == str(line["ads"]) and got["ads"] == line["ads"]
    r = world.client.get("/funders.csv", params={"table": "secrets"})
    assert r.status_code == 422
