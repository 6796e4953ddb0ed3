"""Requests for information under Regulation (EU) 2024/900 through the disclosure routine, on
SQLite and PostgreSQL: a vetted researcher's request (art. 17) is registered with its kind and
its one-month deadline, approved, and becomes a signed package holding the sponsors'
declarations without their contact details; a competent authority's (art. 16) in the month
before a vote is due in 48 hours and its package holds the contact details; a journalist's is
refused only with a ground beside the reason; a kind that does not fit the basis is refused."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from factories import submit
from fastapi.testclient import TestClient
from review.test_ttpa_flow import ad, declaration, sponsor
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.disclosure.keys import generate
from paidfor.domain import Election
from paidfor.review.election_store import ElectionRepository
from paidfor.storage.audit_query import list_events


@pytest.fixture
def api(tmp_path: Path, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    private, _ = generate(tmp_path / "keys" / "signing.pem")
    packages = str(tmp_path / "packages")
    with make_api(secret_key="k" * 20, disclosure_key=str(private), disclosure_dir=packages) as c:
        yield c


@pytest.fixture
def staff(api: TestClient, engine: Engine) -> dict[str, dict[str, str]]:
    tokens = TokenService(engine)
    out = {}
    for name, role in {"ivy": Role.INVESTIGATOR, "ada": Role.ADMIN,
                       "rita": Role.REVIEWER}.items():  # fmt: skip
        token, _ = tokens.create(role, name)
        out[name] = {"Authorization": f"Bearer {token}"}
    return out


def eu_ads(api: TestClient, reviewer: dict[str, str]) -> list[int]:
    auth, page = sponsor(api, reviewer)
    made = []
    for process in ("the Berlin rent law", "the school reform"):
        said = declaration(
            linked_process=process, payer_name="Freunde", payer_email="kasse@example.org"
        )
        review = submit(api, auth, ad(page, said))
        assert review["decision"] == "approved", review
        made.append(review["ad_id"])
    return made


def package(api: TestClient, staff: dict[str, dict[str, str]], rid: int) -> dict[str, Any]:
    """Approve (by the admin), build and download request ``rid``: its manifest and ads."""
    r = api.post(
        f"/api/disclosures/{rid}/decision",
        headers=staff["ada"],
        json={"approve": True, "reason": "the requester is who it says"},
    )
    assert r.status_code == 200, r.text
    assert api.post(f"/api/disclosures/{rid}/build", headers=staff["ivy"]).status_code == 200
    r = api.get(f"/api/disclosures/{rid}/package.zip", headers=staff["ivy"])
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = z.namelist()
        manifest = json.loads(z.read(next(n for n in names if n.endswith("MANIFEST.json"))))
        lines = z.read(next(n for n in names if n.endswith("ads.jsonl"))).decode()
        everything = b"".join(z.read(n) for n in names)
    return {"manifest": manifest, "ads": [json.loads(x) for x in lines.splitlines()],
            "bytes": everything}  # fmt: skip


def test_a_researchers_request_becomes_a_package(
    api: TestClient, staff: dict[str, dict[str, str]], engine: Engine
) -> None:
    made = eu_ads(api, staff["rita"])
    received = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    body = {
        "filters": {"country": "DE"},
        "recipient": "Dr. R. Forscher, Universität Wien",
        "legal_basis": "ttpa_interested_entity",
        "requester_kind": "vetted_researcher",
        "received_at": received.isoformat(),
        "purpose": "research on political advertising before the 2027 elections",
    }
    r = api.post("/api/disclosures", json=body, headers=staff["ivy"])
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["requester_kind"] == "vetted_researcher"
    assert datetime.fromisoformat(req["due_at"]) == datetime(2026, 12, 30, 9, 0, tzinfo=UTC)
    assert req["deadline_rule"].startswith("art. 17")
    page = api.get("/staff/disclosures", headers=staff["ada"]).text
    assert "vetted researcher: 2026-12-30 09:00 UTC" in page

    got = package(api, staff, req["id"])
    assert got["manifest"]["request"]["requester_kind"] == "vetted_researcher"
    assert got["manifest"]["request"]["due_at"].startswith("2026-12-30")
    by_id = {a["id"]: a for a in got["ads"]}
    assert set(made) <= set(by_id)
    decl = by_id[made[0]]["sponsor_declaration"]
    # (the sponsor's name is also the authorization's legal name, which this basis withholds:
    # the package's scrubber gives it a pseudonym wherever it is quoted)
    assert decl["linked_process"] == "the Berlin rent law" and decl["sponsor_country"] == "DE"
    assert decl["status"] == "eu_citizen" and decl["funding_origin"] == "inside_union"
    assert "sponsor_email" not in decl and "payer_email" not in decl
    for private in (b"anna@example.org", b"kasse@example.org", "Musterstraße".encode()):
        assert private not in got["bytes"], private
    left = {x["field"] for x in got["manifest"]["redaction"]["left_out"]}
    assert {"sponsor_declarations.sponsor_email", "ttpa_notifications.notifier_email"} <= left


def test_an_authority_in_the_month_before_a_vote_and_a_refused_journalist(
    api: TestClient, staff: dict[str, dict[str, str]], engine: Engine
) -> None:
    made = eu_ads(api, staff["rita"])
    soon = date.today() + timedelta(days=12)
    ElectionRepository(engine).add(
        Election(country="AT", name="Gemeinderatswahl", date=soon, level="local"), actor="t"
    )
    body = {
        "filters": {"country": "DE"},
        "recipient": "Bundesnetzagentur",
        "legal_basis": "ttpa_competent_authority",
        "requester_kind": "competent_authority",
        "purpose": "supervision of political advertising (art. 16)",
    }
    before = datetime.now(UTC)
    req = api.post("/api/disclosures", json=body, headers=staff["ivy"]).json()
    due = datetime.fromisoformat(req["due_at"])
    assert (
        before + timedelta(hours=47, minutes=59) <= due <= before + timedelta(hours=48, seconds=5)
    )
    assert soon.isoformat() in req["deadline_rule"] and req["deadline_rule"].startswith("art. 16")
    got = package(api, staff, req["id"])
    decl = {a["id"]: a for a in got["ads"]}[made[0]]["sponsor_declaration"]
    assert (
        decl["sponsor_email"] == "anna@example.org" and decl["payer_email"] == "kasse@example.org"
    )

    # a journalist's request: refused only with a ground, which is shown and audited
    journalist = body | {"legal_basis": "ttpa_interested_entity", "requester_kind": "journalist",
                         "recipient": "Der Standard"}  # fmt: skip
    rid = api.post("/api/disclosures", json=journalist, headers=staff["ivy"]).json()["id"]
    no = {"approve": False, "reason": "the same request was answered last week"}
    r = api.post(f"/api/disclosures/{rid}/decision", json=no, headers=staff["ada"])
    assert r.status_code == 422 and "ground" in r.text
    r = api.post(f"/api/disclosures/{rid}/decision", json=no | {"ground": "excessive"},
                 headers=staff["ada"])  # fmt: skip
    assert r.status_code == 200 and r.json()["refusal_ground"] == "excessive", r.text
    assert r.json()["decision_reason"] == no["reason"]
    [event] = [e for e in list_events(engine)
               if e.action == "disclosure_reject" and e.target_id == str(rid)]  # fmt: skip
    assert event.after == {"status": "rejected", "refusal_ground": "excessive"}

    for wrong, message in [
        (body | {"requester_kind": "journalist"}, "competent_authority"),
        (body | {"legal_basis": "ttpa_interested_entity"}, "vetted_researcher"),
        ({k: v for k, v in body.items() if k != "requester_kind"}, "is from one of"),
        (body | {"legal_basis": "subpoena"}, "goes with the legal basis"),
        (body | {"received_at": "2999-01-01T00:00:00Z"}, "in the future"),
    ]:
        r = api.post("/api/disclosures", json=wrong, headers=staff["ivy"])
        assert r.status_code == 422 and message in r.text, (wrong, r.text)
