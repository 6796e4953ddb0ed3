"""No personal field reaches a package unless its legal basis allows it: unique marker
strings are seeded into every column marked personal (and quoted in risk findings and a
case's evidence, as the integrity signals do), the package is built, and every byte of every
file, and of every member of its zip, is searched."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from integrity.test_cases import World, build_world
from sqlalchemy import Engine, insert, select, update

from paidfor.disclosure.keys import generate
from paidfor.disclosure.policy import LEGAL_BASES, NEVER, allowed, personal_columns
from paidfor.disclosure.service import TTPA_KINDS, DisclosureService, Who
from paidfor.integrity.cases import CaseService
from paidfor.integrity.model import Evidence, Link, Member, Network, SignalResult
from paidfor.review.notification_models import NotificationRow
from paidfor.review.ttpa_models import SponsorDeclarationRow
from paidfor.storage.models import (
    AdminRow,
    AdRow,
    AdvertiserRow,
    AuthorizationRow,
    PaymentInstrumentRow,
    advertiser_admins,
    page_admins,
)

INVESTIGATOR = Who("cli:ivy")
ADMIN = Who("cli:ada")
SHORT = {"authorizations.residence_country"}  # two-letter codes: checked by structure


def marker(field: str) -> str:
    """A unique string short enough for any column (admins.language is 20 characters)."""
    return "MK" + hashlib.sha256(field.encode()).hexdigest()[:10]


def seed(engine: Engine, world: World) -> dict[str, str]:
    """A marker in every personal column (of an admin, a card and an authorization of the
    network), quoted again where the integrity signals quote such values."""
    m = {name: marker(name) for name in personal_columns()}
    kiev = world.advertisers["Kiev Media LLC"]
    with engine.begin() as conn:
        admin = conn.execute(
            insert(AdminRow).values(
                source="case-test", external_id=m["admins.external_id"], name=m["admins.name"],
                login_countries=[m["admins.login_countries"]], language=m["admins.language"],
                devices=[m["admins.devices"]], ips=[m["admins.ips"]],
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(insert(page_admins).values(page_id=world.pages["Blacktivist"], admin_id=admin))
        conn.execute(insert(advertiser_admins).values(advertiser_id=kiev, admin_id=admin))
        conn.execute(
            insert(PaymentInstrumentRow).values(
                advertiser_id=kiev, currency="RUB", billing_country="RU",
                card_fingerprint=m["payment_instruments.card_fingerprint"],
            )
        )  # fmt: skip
        conn.execute(
            insert(AuthorizationRow).values(
                advertiser_id=kiev, country="US", status="approved",
                legal_name=m["authorizations.legal_name"], residence_country="RU",
                id_document_ref=m["authorizations.id_document_ref"],
            )
        )  # fmt: skip
        conn.execute(
            update(AdvertiserRow)
            .where(AdvertiserRow.id == kiev)
            .values(risk_score=0.9, risk_explanations=[{
                "signal": "shared_infrastructure", "score": 0.8,
                "evidence": f"shares card {m['payment_instruments.card_fingerprint']} and "
                            f"device {m['admins.devices']} with an account admin "
                            f"{m['admins.name']} signs in as",
            }])
        )  # fmt: skip
        # a sponsor's declaration (art. 7 of Regulation (EU) 2024/900) and a notification
        # (art. 15) of one of its ads, their personal columns marked
        ad_id = conn.execute(
            select(AdRow.id).where(AdRow.advertiser_id == kiev).order_by(AdRow.id).limit(1)
        ).scalar_one()
        conn.execute(insert(SponsorDeclarationRow).values(
            ad_id=ad_id, advertiser_id=kiev, political_advertising=True, status="other",
            sponsor_kind="legal_person", sponsor_name="Kiev Media LLC",
            sponsor_email=m["sponsor_declarations.sponsor_email"],
            sponsor_address=m["sponsor_declarations.sponsor_address"], sponsor_country="UA",
            funding_source="private", funding_origin="outside_union",
            controller_name="Glavset", controller_email=m["sponsor_declarations.controller_email"],
            controller_address=m["sponsor_declarations.controller_address"],
            payer_name="Concord", payer_email=m["sponsor_declarations.payer_email"],
            payer_address=m["sponsor_declarations.payer_address"], declared_by="test",
            declared_at=datetime(2016, 5, 1),
        ))  # fmt: skip
        conn.execute(insert(NotificationRow).values(
            receipt="N-000000000001", secret_sha256="0" * 64, ad_id=ad_id, ground="other",
            explanation="a notification", notifier_name=m["ttpa_notifications.notifier_name"],
            notifier_email=m["ttpa_notifications.notifier_email"], status="received",
            received_at=datetime(2026, 1, 1), deadline_rule="art. 15",
        ))  # fmt: skip
    return m


def open_case(engine: Engine, world: World, m: dict[str, str]) -> int:
    k = lambda name: world.key(name)  # noqa: E731
    network = Network(
        [Member(k("Kiev Media LLC"), "Kiev Media LLC", 0.9, findings=[
            SignalResult("admin_location", 0.8, f"admin {m['admins.name']} signs in from RU")]),
         Member(k("Glavset"), "Glavset", 0.8), Member(k("Blacktivist"), "Blacktivist", 0.7)],
        [Link(k("Kiev Media LLC"), k("Glavset"), 2.0, (
            Evidence("payment", m["payment_instruments.card_fingerprint"], 1.0, 2),
            Evidence("device", m["admins.devices"], 0.5, 2),
            Evidence("ip", m["admins.ips"], 0.3, 2),
            Evidence("admin", m["admins.name"], 0.2, 2))),
         Link(k("Kiev Media LLC"), k("Blacktivist"), 1.0,
              (Evidence("owner", "runs ads for", 1.0, 2),))],
        0.9, "an operation",
    )  # fmt: skip
    return CaseService(engine).open_case(network, "cli:ivy")


def package_bytes(folder: Path, zipped: Path) -> dict[str, bytes]:
    found = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with zipfile.ZipFile(zipped) as z:
        for name in z.namelist():
            found[f"zip:{name}"] = z.read(name)
    return found


def build(engine: Engine, tmp_path: Path, case_id: int, basis: str) -> tuple[Path, Path]:
    key, _ = generate(tmp_path / f"key-{basis}.pem")
    service = DisclosureService(engine)
    kinds = sorted(TTPA_KINDS.get(basis, ()))
    req = service.request(
        INVESTIGATOR,
        recipient="Senate Select Committee on Intelligence",
        legal_basis=basis,
        purpose="the 2016 operation",
        case_id=case_id,
        requester_kind=kinds[0] if kinds else None,
    )
    service.decide(ADMIN, req.id, approve=True, reason="the committee's letter of 2017-09-01")
    result = service.build(INVESTIGATOR, req.id, tmp_path / basis, key)  # fmt: skip
    return result.folder, result.zip_path


@pytest.mark.parametrize("basis", sorted(LEGAL_BASES))
def test_no_personal_field_unless_the_basis_allows_it(
    engine: Engine, tmp_path: Path, basis: str
) -> None:
    world = build_world(engine)
    m = seed(engine, world)
    case_id = open_case(engine, world, m)
    folder, zipped = build(engine, tmp_path, case_id, basis)
    files = package_bytes(folder, zipped)
    assert {"ads.jsonl", "ads.csv", "pages.jsonl", "advertisers.jsonl", "evidence.json",
            "index.html", "index.pdf", "MANIFEST.json"} <= set(files)  # fmt: skip
    columns = personal_columns()
    ok = allowed(basis)
    shown = set()
    for name, (category, _) in columns.items():
        if name in SHORT:
            continue
        where = [f for f, content in files.items() if m[name].encode() in content]
        if category in ok:
            shown.add(name)
        else:
            assert where == [], f"{name} ({category}) leaked under {basis} into {where}"
    # what the basis allows is really there (so the search above can find a leak)
    for name in shown:
        found = files["pages.jsonl"] + files["advertisers.jsonl"] + files["ads.jsonl"]
        assert m[name].encode() in found, name
    advertisers = [json.loads(line) for line in files["advertisers.jsonl"].splitlines()]
    kiev = next(a for a in advertisers if a["name"] == "Kiev Media LLC")
    auth = kiev["authorizations"][0]
    assert ("residence_country" in auth) == ("authorization_identity" in ok)
    assert kiev["payment_summary"] == [{"currency": "RUB", "billing_country": "RU"}]
    manifest = json.loads(files["MANIFEST.json"])
    gone = {x["field"] for x in manifest["redaction"]["left_out"]}
    assert gone >= {n for n, (c, _) in columns.items() if c not in ok}
    assert "people who saw or clicked the ads" in gone
    assert {c for c, _ in columns.values()} >= NEVER and not NEVER & ok
    # the evidence still shows what is shared, under pseudonyms
    evidence = json.loads(files["evidence.json"])
    values = [e["value"] for link in evidence["links"] for e in link["evidence"]]
    assert "[payment_card 1]" in values
    assert ("[admin_network 1]" in values) == ("admin_network" not in ok)


def test_every_personal_column_has_a_known_category() -> None:
    columns = personal_columns()
    assert {
        "admins.name", "admins.ips", "admins.devices", "payment_instruments.card_fingerprint",
        "authorizations.legal_name", "authorizations.id_document_ref",
    } <= set(columns)  # fmt: skip
    with pytest.raises(Exception, match="unknown legal basis"):
        allowed("because I said so")


def test_personal_columns_are_in_the_tables_the_policy_always_sees() -> None:
    """The policy reads the marks off ``Base.metadata``, which always holds the tables of
    ``storage.models`` and holds a context's own tables (``*_models`` beside its stores) only
    once they are imported: a context table with a personal column must be one the policy
    itself imports, so that it is never missed. Checked in a fresh interpreter that imports
    only the policy."""
    import subprocess
    import sys

    import paidfor.disclosure.request_models
    import paidfor.exchange.feed_models
    import paidfor.review.intake_models
    import paidfor.review.ttpa_models  # noqa: F401
    from paidfor.storage.models import Base

    own = [m.local_table for m in Base.registry.mappers if m.class_.__module__.endswith("_models")]
    assert own  # the contexts' tables are there to look at
    marked = sorted(f"{t.name}.{c.name}" for t in own for c in t.columns if "personal" in c.info)
    assert "sponsor_declarations.sponsor_address" in marked
    code = (
        "from paidfor.disclosure.policy import personal_columns; "
        "print(' '.join(sorted(personal_columns())))"
    )
    seen = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(marked) <= set(seen)


def test_nothing_about_viewers_is_stored(engine: Engine) -> None:
    """The policy's claim that there is no per-person delivery data to leave out: no table
    has a column about a viewer or clicker."""
    from paidfor.storage.models import Base

    words = ("viewer", "clicker", "user_id", "visitor", "cookie", "device_id")
    suspicious = [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
                  if any(w in c.name for w in words)]  # fmt: skip
    assert suspicious == []
    with engine.connect() as conn:
        assert conn.execute(select(AdminRow.id)).first() is None


def test_the_packages_csv_writes_formulas_as_text() -> None:
    """ads.csv is read in spreadsheets by the people a package goes to: a page or a funder
    named as a formula is text there (docs/exports.md)."""
    import csv
    import io

    from paidfor.disclosure.build import _csv

    ad = {
        "id": 1, "source": "s", "external_id": "e", "status": "removed", "created_at": None,
        "start_at": None, "stop_at": None, "page": {"name": "=cmd|' /C calc'!A0"},
        "advertiser": {"name": "+Acme"}, "funder": {"name": "@Payer"},
        "creative": {"bodies": ["-1 reasons"]}, "delivery": {"spend": 5},
    }  # fmt: skip
    [row] = list(csv.DictReader(io.StringIO(_csv([ad]).decode())))
    values = [v for v in row.values() if v]
    assert not [v for v in values if v.startswith(("=", "+", "@", "-"))], values
    assert "'=cmd|' /C calc'!A0" in values and "5" in values
