"""The disclosure routine end to end: an investigator requests, an administrator who is not
the requester approves, only the requesting investigator builds and downloads; every other
role and person is refused, and every step and refusal is audited (API on both databases, and
the CLI). Then the package of all 3,517 IRA ads: it builds, verifies, has one PDF page per ad,
and one changed byte in any file makes verify fail naming that file."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from integrity.test_cases import build_world, network_of
from pypdf import PdfReader
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.disclosure.keys import generate, load_public
from paidfor.disclosure.manifest import verify
from paidfor.integrity.cases import CaseService
from paidfor.interfaces.cli.disclosure import disclosure_app
from paidfor.settings import get_settings
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AuditEventRow

runner = CliRunner()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    private, _ = generate(tmp_path / "keys" / "signing.pem")
    return private


@pytest.fixture
def api(tmp_path: Path, key: Path, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    packages = str(tmp_path / "packages")
    with make_api(secret_key="k" * 20, disclosure_key=str(key), disclosure_dir=packages) as client:
        yield client


@pytest.fixture
def who(engine: Engine) -> dict[str, dict[str, str]]:
    tokens = TokenService(engine)
    out = {}
    roles = {"ivy": Role.INVESTIGATOR, "ian": Role.INVESTIGATOR, "ada": Role.ADMIN,
             "rita": Role.REVIEWER, "acme": Role.PARTNER}  # fmt: skip
    for name, role in roles.items():
        token, _ = tokens.create(role, name)
        out[name] = {"Authorization": f"Bearer {token}"}
    return out


def actions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [a for (a,) in conn.execute(select(AuditEventRow.action).order_by(AuditEventRow.id))
                if a.startswith("disclosure")]  # fmt: skip


def test_only_an_approved_investigators_request_gets_a_package(
    api: TestClient, engine: Engine, who: dict[str, dict[str, str]]
) -> None:
    world = build_world(engine)
    case_id = CaseService(engine).open_case(network_of(world), "investigator:ivy#1")
    body = {
        "case_id": case_id,
        "recipient": "House Permanent Select Committee on Intelligence",
        "legal_basis": "congressional_request",
        "purpose": "the committee's inquiry",
    }
    assert api.post("/api/disclosures", json=body).status_code == 401
    for name in ("rita", "acme", "ada"):
        assert api.post("/api/disclosures", json=body, headers=who[name]).status_code == 403
    for bad, message in [
        ({**body, "legal_basis": "curiosity"}, "unknown legal basis"),
        ({**body, "filters": {"currency": "RUB"}}, "a case or for a query"),
        ({k: v for k, v in body.items() if k != "case_id"}, "a case or for a query"),
        ({**body, "case_id": None, "filters": {"colour": "red"}}, "unknown filter"),
        ({**body, "case_id": 999}, "no case 999"),
    ]:
        r = api.post("/api/disclosures", json=bad, headers=who["ivy"])
        assert r.status_code == 422 and message in r.text, (bad, r.text)
    r = api.post("/api/disclosures", json=body, headers=who["ivy"])
    assert r.status_code == 201 and r.json()["status"] == "requested", r.text
    rid = r.json()["id"]
    base = f"/api/disclosures/{rid}"
    r = api.post(f"{base}/build", headers=who["ivy"])
    assert r.status_code == 409 and "must approve it first" in r.text
    decision = {"approve": True, "reason": "the committee's letter"}
    assert api.post(f"{base}/decision", json=decision, headers=who["ivy"]).status_code == 403
    assert api.get(base, headers=who["ian"]).status_code == 403
    assert [r["id"] for r in api.get("/api/disclosures", headers=who["ian"]).json()["data"]] == []
    r = api.post(f"{base}/decision", json=decision, headers=who["ada"])
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert api.post(f"{base}/decision", json=decision, headers=who["ada"]).status_code == 409
    for name in ("ian", "ada", "rita", "acme"):
        assert api.post(f"{base}/build", headers=who[name]).status_code == 403, name
    assert api.get(f"{base}/package.zip", headers=who["ivy"]).status_code == 409  # not built
    r = api.post(f"{base}/build", headers=who["ivy"])
    assert r.status_code == 200, r.text
    built = r.json()
    assert built["ads"] == 5 and built["pdf_pages"] == 5 and built["request"]["status"] == "built"
    assert "folder" not in built and "zip" not in built and "/tmp/" not in r.text
    assert built["download"] == f"{base}/package.zip"
    for name in ("ian", "ada"):
        assert api.get(f"{base}/package.zip", headers=who[name]).status_code == 403
    r = api.get(f"{base}/package.zip", headers=who["ivy"])
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        names = z.namelist()
        manifest = json.loads(z.read(next(n for n in names if n.endswith("MANIFEST.json"))))
    assert manifest["request"]["recipient"].startswith("House Permanent")
    assert manifest["approval"]["approved_by"].startswith("admin:ada#")
    assert manifest["built_by"].startswith("investigator:ivy#")
    seen = actions(engine)
    assert {
        "disclosure_request_refused", "disclosure_request", "disclosure_approve",
        "disclosure_build", "disclosure_download", "disclosure_build_refused",
        "disclosure_decision_refused", "disclosure_download_refused",
    } <= set(seen)  # fmt: skip
    assert verify_chain(engine) is None


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch, key: Path) -> Iterator[str]:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    monkeypatch.setenv("PAIDFOR_DISCLOSURE_KEY", str(key))
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def as_user(monkeypatch: pytest.MonkeyPatch, name: str, args: list[str]) -> Any:
    monkeypatch.setenv("LOGNAME", name)
    monkeypatch.setenv("USER", name)
    return runner.invoke(disclosure_app, args)


def test_the_command_line_keeps_the_same_rules(
    cli_db: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(engine)
    scope = ["--source", "case-test", "--since", "2016-01-01", "--until", "2016-12-31"]
    asked = ["request", *scope, "--recipient", "Special Counsel", "--legal-basis", "subpoena",
             "--purpose", "an inquiry"]  # fmt: skip
    r = as_user(monkeypatch, "ivy", asked)
    assert r.exit_code == 0 and "disclosure #1" in r.output and ": requested" in r.output, r.output
    r = as_user(monkeypatch, "ivy", ["approve", "1", "--reason", "mine"])
    assert r.exit_code == 4 and "someone other than its requester" in r.output
    out = tmp_path / "out"
    r = as_user(monkeypatch, "ivy", ["build", *scope, "--out", str(out)])
    assert r.exit_code == 3 and "no approved request" in r.output
    r = as_user(monkeypatch, "ada", ["approve", "1", "--reason", "the subpoena of 2017-10-01"])
    assert r.exit_code == 0 and ": approved" in r.output, r.output
    r = as_user(monkeypatch, "ada", ["build", "--request", "1", "--out", str(out)])
    assert r.exit_code == 4 and "only the investigator who requested" in r.output
    r = as_user(monkeypatch, "ivy", ["build", *scope, "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    built = json.loads(r.output)
    assert built["ads"] == 6 and built["pdf_pages"] == 6
    folder, zipped = Path(built["folder"]), Path(built["zip"])
    assert not list(out.glob(".*partial"))  # nothing half-written left behind
    for target in (folder, zipped):
        public = os.environ["PAIDFOR_DISCLOSURE_KEY"] + ".pub"
        r = as_user(monkeypatch, "ivy", ["verify", str(target), "--public-key", public])
        assert r.exit_code == 0, r.output
    csv_file = folder / "ads.csv"
    data = bytearray(csv_file.read_bytes())
    data[len(data) // 2] ^= 1
    csv_file.write_bytes(bytes(data))
    r = as_user(monkeypatch, "ivy", ["verify", str(folder)])
    assert r.exit_code == 1 and "changed: ads.csv" in r.output
    listed = json.loads(as_user(monkeypatch, "ada", ["list", "--json"]).output)
    assert [(x["id"], x["status"], x["ads"]) for x in listed] == [(1, "built", 6)]


def test_the_ira_package(tmp_path: Path, data_dir: Path) -> None:
    """The 3,517 IRA ads through the commands an operator runs."""
    db = tmp_path / "ira.db"
    env = {**os.environ, "PAIDFOR_DATABASE_URL": f"sqlite:///{db}",
           "PAIDFOR_DISCLOSURE_KEY": str(tmp_path / "k.pem")}  # fmt: skip

    def cli(*args: str, user: str = "ivy", code: int = 0) -> str:
        done = subprocess.run([sys.executable, "-m", "paidfor", *args],
                              env={**env, "LOGNAME": user, "USER": user},
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        assert done.returncode == code, f"{args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    cli("import", "hpsci-ira", str(data_dir / "hpsci_ira_ads" / "ira_ads_clean.csv"))
    cli("keys", "generate", user="ada")
    cli("disclosure", "request", "--source", "hpsci-ira", "--recipient",
        "House Permanent Select Committee on Intelligence", "--legal-basis",
        "congressional_request", "--purpose", "the 2017 release of the IRA ads")  # fmt: skip
    cli("disclosure", "approve", "1", "--reason", "the committee's request", user="ada")
    built = json.loads(cli("disclosure", "build", "--source", "hpsci-ira", "--out",
                           str(tmp_path / "out"), "--json"))  # fmt: skip
    assert built["ads"] == 3517 and built["pdf_pages"] == 3517
    folder, zipped = Path(built["folder"]), Path(built["zip"])
    assert len(PdfReader(folder / "index.pdf").pages) == 3517
    public = load_public(tmp_path / "k.pem.pub")
    for target in (folder, zipped):
        report = verify(target, public)
        assert report.ok and report.trusted_key, report.problems
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert manifest["counts"]["ads"] == 3517
    assert manifest["software"]["name"] == "paidfor"
    rub = sum(float(json.loads(line)["delivery"]["spend"] or 0)
              for line in (folder / "ads.jsonl").read_text().splitlines()
              if json.loads(line)["delivery"]["currency"] == "RUB")  # fmt: skip
    assert 5.8e6 < rub < 5.95e6  # about 5.87 million RUB, as ../shared/data/README.md says
    # one byte changed in any file: verify fails naming that file
    for name in [f["path"] for f in manifest["files"]]:
        path = folder / name
        original = path.read_bytes()
        changed = bytearray(original or b"\n")  # an empty file (no advertisers) gains a byte
        if original:
            changed[len(changed) // 3] ^= 0x20
        path.write_bytes(bytes(changed))
        report = verify(folder, public)
        assert not report.ok and report.changed == [name], (name, report.as_json())
        path.write_bytes(original)
    assert verify(folder, public).ok
    out = cli("disclosure", "verify", str(zipped), "--public-key", str(tmp_path / "k.pem.pub"))
    assert "OK" in out.splitlines()[-1] or "ok" in out.splitlines()[-1].lower()
