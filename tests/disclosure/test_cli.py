"""``paidfor disclosure verify`` and ``paidfor keys generate``; requests under Regulation
(EU) 2024/900 (``disclosure request --requester-kind --received-at``, ``disclosure reject
--ground``) on SQLite and PostgreSQL, refused as the API refuses them."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from paidfor.disclosure.keys import generate, load_private
from paidfor.domain import Election
from paidfor.interfaces.cli.main import app
from paidfor.review.election_store import ElectionRepository
from paidfor.settings import get_settings
from paidfor.storage.audit_query import list_events

from .conftest import make_package

runner = CliRunner()
FILES = {"ads.jsonl": b'{"id": 1}\n', "creatives/a.png": b"png", "index.html": b"<html>"}


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("PAIDFOR_DISCLOSURE_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def package(tmp_path: Path) -> tuple[Path, Path]:
    """(a signed package folder, its signer's public key file)."""
    private, public = generate(tmp_path / "keys" / "signer.pem")
    return make_package(tmp_path / "disclosure-7", load_private(private), FILES), public


def test_verify_ok_exits_0(package: tuple[Path, Path]) -> None:
    folder, public = package
    r = runner.invoke(app, ["disclosure", "verify", str(folder)])
    assert r.exit_code == 0, r.output
    assert "OK" in r.output.splitlines()[-1]
    assert "not checked against a trusted key" in r.output
    r = runner.invoke(app, ["disclosure", "verify", str(folder), "--public-key", str(public)])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[-1].endswith(
        "OK: signature by the trusted key holds; all 3 files match"
    )
    assert "not checked" not in r.output


def test_verify_names_changed_added_and_removed_files(package: tuple[Path, Path]) -> None:
    folder, public = package
    (folder / "ads.jsonl").write_bytes(b'{"id": 2}\n')
    (folder / "creatives" / "a.png").unlink()
    (folder / "planted.txt").write_text("x")
    r = runner.invoke(app, ["disclosure", "verify", str(folder), "--public-key", str(public)])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert "changed: ads.jsonl (its SHA-256 differs from MANIFEST.json)" in lines
    assert "removed: creatives/a.png (listed in MANIFEST.json but missing)" in lines
    assert "added: planted.txt (present but not listed in MANIFEST.json)" in lines
    assert lines[-1].endswith("FAILED: signature valid; files 1 changed, 1 added, 1 removed")


def test_verify_json(package: tuple[Path, Path]) -> None:
    folder, _ = package
    zipped = runner.invoke(app, ["disclosure", "verify", str(folder), "--json"])
    report = json.loads(zipped.output)
    assert zipped.exit_code == 0 and report["ok"] and not report["trusted_key"]
    (folder / "MANIFEST.json.sig").write_text("AAAA\n")
    r = runner.invoke(app, ["disclosure", "verify", str(folder), "--json"])
    report = json.loads(r.output)
    assert r.exit_code == 1 and not report["ok"] and report["changed"] == ["MANIFEST.json.sig"]


def test_verify_a_zip_with_another_key(package: tuple[Path, Path], tmp_path: Path) -> None:
    from paidfor.disclosure.manifest import zip_folder

    folder, _ = package
    zipped = zip_folder(folder)
    _, other = generate(tmp_path / "other.pem")
    r = runner.invoke(app, ["disclosure", "verify", str(zipped), "--public-key", str(other)])
    assert r.exit_code == 1
    assert "another key than the trusted one" in r.output
    assert "signature INVALID" in r.output.splitlines()[-1]


def test_verify_exit_2_for_what_is_not_a_package(tmp_path: Path, package) -> None:
    folder, _ = package
    r = runner.invoke(app, ["disclosure", "verify", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "does not exist" in r.output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["disclosure", "verify", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "not a disclosure package" in r.output
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 broken")
    r = runner.invoke(app, ["disclosure", "verify", str(tmp_path / "x.zip")])
    assert r.exit_code == 2 and "not a readable zip" in r.output
    (tmp_path / "bad.pub").write_text("nope")
    r = runner.invoke(
        app, ["disclosure", "verify", str(folder), "--public-key", str(tmp_path / "bad.pub")]
    )
    assert r.exit_code == 2 and "not a public key" in r.output


def test_keys_generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the default: ~/.paidfor/disclosure_ed25519.pem
    r = runner.invoke(app, ["keys", "generate"])
    assert r.exit_code == 0, r.output
    default = tmp_path / "home" / ".paidfor" / "disclosure_ed25519.pem"
    assert stat.S_IMODE(default.stat().st_mode) == 0o600
    assert f"private key: {default}" in r.output
    assert f"public key:  {default}.pub" in r.output
    assert f"Set PAIDFOR_DISCLOSURE_KEY={default}" in r.output
    # never overwritten
    before = default.read_bytes()
    r = runner.invoke(app, ["keys", "generate"])
    assert r.exit_code == 5 and "refusing to overwrite" in r.output
    assert default.read_bytes() == before
    # --out, and the settings' path
    r = runner.invoke(app, ["keys", "generate", "--out", str(tmp_path / "k" / "a.pem"), "--json"])
    assert json.loads(r.output)["public_key"] == str(tmp_path / "k" / "a.pem.pub")
    monkeypatch.setenv("PAIDFOR_DISCLOSURE_KEY", str(tmp_path / "configured.pem"))
    get_settings.cache_clear()
    r = runner.invoke(app, ["keys", "generate"])
    assert r.exit_code == 0 and (tmp_path / "configured.pem").is_file()
    assert "PAIDFOR_DISCLOSURE_KEY already names it" in r.output


# -- requests under Regulation (EU) 2024/900, arts. 16-17 (docs/ttpa.md) --------------------


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    return db_url


def as_user(monkeypatch: pytest.MonkeyPatch, name: str, *args: str) -> Result:
    monkeypatch.setenv("LOGNAME", name)
    monkeypatch.setenv("USER", name)
    return runner.invoke(app, ["disclosure", *args])


AUTHORITY = ["request", "--country", "DE", "--recipient", "Bundesnetzagentur", "--purpose",
             "supervision of political advertising (art. 16)", "--legal-basis",
             "ttpa_competent_authority"]  # fmt: skip


def test_a_request_under_arts_16_17_from_the_command_line(
    cli_db: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a researcher's request received on a given day: due one month later (art. 17)
    asked = ["request", "--country", "DE", "--recipient", "Dr. R. Forscher", "--purpose",
             "research on political advertising", "--legal-basis", "ttpa_interested_entity",
             "--requester-kind", "vetted_researcher", "--received-at",
             "2026-11-30T10:00:00+01:00", "--json"]  # fmt: skip
    r = as_user(monkeypatch, "ivy", *asked)
    assert r.exit_code == 0, r.output
    researcher = json.loads(r.output)
    assert researcher["requester_kind"] == "vetted_researcher"
    assert datetime.fromisoformat(researcher["received_at"]) == datetime(2026, 11, 30, 9,
                                                                          tzinfo=UTC)  # fmt: skip
    assert datetime.fromisoformat(researcher["due_at"]) == datetime(2026, 12, 30, 9, tzinfo=UTC)
    assert researcher["deadline_rule"].startswith("art. 17")

    # an authority's, in the month before a vote in a Member State: due in 48 hours (art. 16)
    soon = date.today() + timedelta(days=10)
    ElectionRepository(engine).add(
        Election(country="AT", name="Gemeinderatswahl", date=soon, level="local"), actor="t"
    )
    r = as_user(monkeypatch, "ivy", *AUTHORITY, "--requester-kind", "competent_authority")
    assert r.exit_code == 0, r.output
    assert ": requested" in r.output and "competent authority: answer due" in r.output
    assert f"art. 16: within 48 hours, the vote of {soon.isoformat()}" in r.output

    # refused by an administrator only with a ground beside the reason, which is shown
    rid = str(researcher["id"])
    r = as_user(monkeypatch, "ada", "reject", rid, "--reason", "asked and answered last week")
    assert r.exit_code == 2 and "refused with a ground" in r.output, r.output
    r = as_user(monkeypatch, "ada", "reject", rid, "--reason", "asked and answered last week",
                "--ground", "excessive")  # fmt: skip
    assert r.exit_code == 0 and ": rejected" in r.output, r.output
    assert "refused: the request is excessive" in r.output
    [event] = [e for e in list_events(engine)
               if e.action == "disclosure_reject" and e.target_id == rid]  # fmt: skip
    assert event.actor == "cli:ada"
    assert event.after == {"status": "rejected", "refusal_ground": "excessive"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--requester-kind", "journalist"], "is from one of: competent_authority"),
        (["--requester-kind", "spy"], "is from one of: competent_authority"),
        ([], "is from one of: competent_authority"),
        (["--requester-kind", "competent_authority", "--received-at", "2026-11-30"],
         "is not a date and time with its time zone"),
        (["--requester-kind", "competent_authority", "--received-at", "yesterday"],
         "is not a date and time with its time zone"),
        (["--requester-kind", "competent_authority", "--received-at", "2999-01-01T00:00:00Z"],
         "in the future"),
        (["--legal-basis", "subpoena", "--requester-kind", "journalist"],
         "goes with the legal basis"),
    ],
)  # fmt: skip
def test_bad_request_fields_are_refused_with_a_sentence(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, extra: list[str], message: str
) -> None:
    r = as_user(monkeypatch, "ivy", *AUTHORITY, *extra)  # a later --legal-basis wins
    assert r.exit_code == 2 and message in r.output, r.output
    r = as_user(monkeypatch, "ivy", "list", "--json")
    assert json.loads(r.output) == []  # nothing was recorded


def test_a_ground_goes_with_a_rejection_it_knows(
    cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = as_user(monkeypatch, "ivy", *AUTHORITY, "--requester-kind", "competent_authority",
                "--json")  # fmt: skip
    rid = str(json.loads(r.output)["id"])
    r = as_user(monkeypatch, "ada", "reject", rid, "--reason", "no", "--ground", "bored")
    assert r.exit_code == 2 and "a refusal's ground is one of manifestly_unfounded" in r.output
    # (approve takes no ground: the option is the rejection's only)
    r = as_user(monkeypatch, "ada", "approve", rid, "--reason", "ok", "--ground", "excessive")
    assert r.exit_code == 2 and "--ground" in r.output
