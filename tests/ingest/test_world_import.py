"""A world file (docs/formats.md, "Worlds"): admins, accounts and pages in any order, ground
truth counted and not stored, re-import changes nothing, an update is applied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select

from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.storage.models import (
    AdminRow,
    AdRow,
    AdvertiserRow,
    PageOwnerRow,
    PageRow,
    PaymentInstrumentRow,
    advertiser_admins,
    page_admins,
)

RECORDS: list[dict[str, Any]] = [
    # the ad and the page come before the account and admin they name
    {
        "kind": "ad",
        "source": "w",
        "external_id": "ad-1",
        "advertiser": {"source": "w", "external_id": "acc-1", "name": "acc-1"},
        "page": {"kind": "page", "external_id": "pg-1", "name": "pg-1"},
        "creative": {"bodies": ["Vote"]},
        "status": "running",
    },
    {
        "kind": "page",
        "source": "w",
        "external_id": "pg-1",
        "name": "Heart of Texas",
        "country": "US",
        "created_at": "2016-01-01T00:00:00+00:00",
        "admins": ["adm-1", "adm-2"],
        "owner": "acc-1",
    },
    {
        "kind": "advertiser",
        "source": "w",
        "external_id": "acc-1",
        "name": "Acme",
        "country": "us",
        "language": "ru",
        "payment_instruments": [
            {"currency": "rub", "billing_country": "RU", "card_fingerprint": "fp-1"}
        ],
        "admins": ["adm-1"],
    },
    {
        "kind": "admin",
        "source": "w",
        "external_id": "adm-1",
        "name": "Ivan",
        "login_countries": ["RU", "us"],
        "devices": ["d1"],
        "ips": ["203.0.113.5"],
    },
    {"kind": "truth", "source": "w", "entity": "page", "external_id": "pg-1", "network": "n1"},
]


def _write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    return path


def test_world_records_resolve_in_any_order(engine: Engine, tmp_path: Path) -> None:
    for batch in (1, 100):
        report = run_import(
            engine, Native(), [_write(tmp_path / "w.jsonl", RECORDS)], batch_size=batch
        )
        assert not report.errors and report.truth == 1
    with engine.connect() as conn:
        admins = {r.external_id: r for r in conn.execute(select(AdminRow))}
        assert admins["adm-1"].name == "Ivan" and admins["adm-1"].login_countries == ["RU", "US"]
        assert admins["adm-1"].devices == ["d1"] and admins["adm-1"].ips == ["203.0.113.5"]
        assert admins["adm-2"].name == "adm-2"  # named, never described: a placeholder
        (acc,) = conn.execute(select(AdvertiserRow)).all()
        assert (acc.name, acc.country, acc.language) == ("Acme", "US", "ru")
        (pay,) = conn.execute(select(PaymentInstrumentRow)).all()
        assert (pay.currency, pay.billing_country, pay.card_fingerprint) == ("RUB", "RU", "fp-1")
        (page,) = conn.execute(select(PageRow)).all()
        assert page.name == "Heart of Texas" and page.country == "US"
        assert set(conn.execute(select(page_admins.c.admin_id)).scalars()) == {
            admins["adm-1"].id,
            admins["adm-2"].id,
        }
        assert conn.execute(select(advertiser_admins.c.admin_id)).scalar_one() == admins["adm-1"].id
        assert conn.execute(select(PageOwnerRow.advertiser_id)).scalar_one() == acc.id
        (ad,) = conn.execute(select(AdRow.advertiser_id, AdRow.page_id)).all()
        assert tuple(ad) == (acc.id, page.id)


def test_reimport_changes_nothing_and_an_update_applies(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "w.jsonl", RECORDS)
    run_import(engine, Native(), [path])
    again = run_import(engine, Native(), [path])
    assert again.counts.inserted == again.counts.updated == 0
    changed = [dict(r) for r in RECORDS]
    changed[1] = {**changed[1], "name": "Heart of Texas 2", "admins": ["adm-1"]}
    third = run_import(engine, Native(), [_write(tmp_path / "w2.jsonl", changed)])
    assert third.counts.updated == 1 and third.counts.inserted == 0
    with engine.connect() as conn:
        assert conn.execute(select(PageRow.name)).scalar_one() == "Heart of Texas 2"
        assert len(conn.execute(select(page_admins)).all()) == 1


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"kind": "admin", "source": "w"}, "external_id"),
        ({"kind": "page", "source": "w", "external_id": "p", "country": "USA"}, "country"),
        ({"kind": "truth", "source": "w", "external_id": "p", "entity": "page"}, "network"),
        (
            {"kind": "truth", "source": "w", "external_id": "p", "entity": "x", "network": "n"},
            "entity",
        ),
        ({"kind": "advertiser", "source": "w", "external_id": "a", "admins": "adm"}, "list"),
        ({"kind": "galaxy", "source": "w", "external_id": "a"}, "kind"),
    ],
)
def test_bad_world_records_are_reported_by_line(
    engine: Engine, tmp_path: Path, record: dict[str, Any], reason: str
) -> None:
    report = run_import(engine, Native(), [_write(tmp_path / "w.jsonl", [RECORDS[3], record])])
    (error,) = report.errors
    assert error.line == 2 and reason in error.reason
