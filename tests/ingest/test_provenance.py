"""Every imported record says where it came from (issue 20, "provenance"): one import run a
file (migration 0018), written by both ways of reading a file (a native line straight into
its row; any source through domain ``Ad`` objects), named by every ad a run writes, kept by an
ad a re-import finds unchanged, finished or not; the file's name kept without a path, cut and
cleaned; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, select

from paidfor.domain.models import (
    FILE_NAME_MAX,
    SUBMITTED_SOURCE,
    Ad,
    SourceFile,
    source_file_name,
)
from paidfor.errors import Invalid
from paidfor.ingest.hpsci_ira import HpsciIra
from paidfor.ingest.native import Native
from paidfor.ingest.pipeline import run_import
from paidfor.library.views import Provenance
from paidfor.storage import import_runs
from paidfor.storage.db import downgrade, migrate
from paidfor.storage.models import AdRow, ImportRunRow
from paidfor.storage.repo import AdRepository

from conftest import IRA_CLEAN


def native_line(i: int, text: str = "vote") -> str:
    return json.dumps(
        {
            "kind": "ad",
            "source": "prov",
            "external_id": f"p{i}",
            "creative": {"bodies": [f"{text} {i}"]},
            "page": {"name": f"Page {i % 3}"},
            "status": "approved",
            "delivery": {"currency": "USD", "spend": "10.00"},
            "created_at": "2024-03-01T10:00:00+00:00",
        }
    )


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def runs(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(ImportRunRow).order_by(ImportRunRow.id)).all())


def run_of(engine: Engine) -> dict[str, int | None]:
    with engine.connect() as conn:
        return {e: r for e, r in conn.execute(select(AdRow.external_id, AdRow.import_run_id))}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("parallel", [False, True])
def test_native_rows_name_their_run_and_a_reimport_keeps_unchanged_ones(
    engine: Engine, tmp_path: Path, parallel: bool
) -> None:
    first = write(tmp_path / "first.jsonl", [native_line(i) for i in range(10)])
    report = run_import(engine, Native(), [first], batch_size=4, parallel=parallel)
    assert report.counts.inserted == 10 and len(report.runs) == 1
    (run,) = runs(engine)
    assert (run.id, run.source, run.file_name, run.status) == (report.runs[0], "native",
                                                              "first.jsonl", "done")  # fmt: skip
    assert run.file_sha256 == sha256(first) and run.file_size == first.stat().st_size
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert (run.rows_read, run.added, run.updated, run.unchanged, run.refused) == (10, 10, 0, 0, 0)
    assert set(run_of(engine).values()) == {run.id}

    # The same lines again, one changed, one new, one unreadable, under another name: the
    # changed and new ads name the second run; the unchanged ones (skipped unread) keep the
    # first, whose file holds exactly what is stored.
    lines = [native_line(i) for i in range(10)]
    lines[3] = native_line(3, "changed")
    second = write(tmp_path / "second.jsonl", [*lines, native_line(10), "{not json"])
    again = run_import(engine, Native(), [second], batch_size=4, parallel=parallel)
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (1, 1, 9)
    _, run2 = runs(engine)
    assert (run2.file_name, run2.status, run2.file_sha256) == ("second.jsonl", "done",
                                                               sha256(second))  # fmt: skip
    assert (run2.rows_read, run2.added, run2.updated, run2.unchanged, run2.refused) == (
        12, 1, 1, 9, 1,
    )  # fmt: skip
    owners = run_of(engine)
    assert owners.pop("p3") == owners.pop("p10") == run2.id
    assert set(owners.values()) == {run.id}

    ad = AdRepository(engine).get_by_key("prov", "p3")
    assert ad is not None and ad.source_file is not None and ad.imported_at is not None
    assert (ad.source_file.name, ad.source_file.run_id, ad.source_file.finished) == (
        "second.jsonl", run2.id, True,
    )  # fmt: skip
    kept = AdRepository(engine).get_by_key("prov", "p0")
    assert kept is not None and kept.source_file is not None
    assert kept.source_file.name == "first.jsonl" and kept.imported_at is not None
    assert kept.imported_at <= ad.imported_at


def test_the_general_path_and_several_files_one_run_each(engine: Engine, tmp_path: Path) -> None:
    """The HPSCI importer (domain ``Ad`` objects, ``prepare_ad``): two files in one import are
    two runs; each ad names the file it came from, the counts are each file's."""
    rows = IRA_CLEAN.read_text(encoding="utf-8").splitlines(keepends=True)
    header, body = rows[0], rows[1:31]
    a = tmp_path / "ira part one.csv"
    b = tmp_path / "ira-part-two.csv"
    a.write_text(header + "".join(body[:12]), encoding="utf-8")
    b.write_text(header + "".join(body[12:]), encoding="utf-8")
    report = run_import(engine, HpsciIra(), [a, b], batch_size=5)
    assert report.counts.inserted == 30 and not report.errors
    one, two = runs(engine)
    assert report.runs == [one.id, two.id] == report.as_dict()["import_runs"]
    assert (one.file_name, one.added, one.rows_read) == ("ira part one.csv", 12, 12)
    assert (two.file_name, two.added, two.rows_read) == ("ira-part-two.csv", 18, 18)
    assert one.source == two.source == "hpsci-ira"
    assert one.file_sha256 == sha256(a) and two.file_sha256 == sha256(b)
    owners = list(run_of(engine).values())
    assert owners.count(one.id) == 12 and owners.count(two.id) == 18
    # a re-import of both: nothing written, every ad keeps its run
    before = run_of(engine)
    again = run_import(engine, HpsciIra(), [a, b])
    assert again.counts.unchanged == 30 and run_of(engine) == before
    third, fourth = runs(engine)[2:]
    assert (third.unchanged, fourth.unchanged, third.added, fourth.added) == (12, 18, 0, 0)


def test_a_path_of_the_importing_machine_is_never_kept(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "home" / "alice" / "private"
    folder.mkdir(parents=True)
    path = write(folder / "ads.jsonl", [native_line(1)])
    run_import(engine, Native(), [path])
    (run,) = runs(engine)
    assert run.file_name == "ads.jsonl"
    with engine.connect() as conn:
        stored = json.dumps([list(r) for r in conn.execute(select(ImportRunRow))], default=str)
    assert "alice" not in stored and str(tmp_path) not in stored


def test_a_strict_import_that_stops_leaves_a_failed_run(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", [native_line(1), "[1, 2]", native_line(2)])
    with pytest.raises(Invalid):
        run_import(engine, Native(), [path], strict=True)
    (run,) = runs(engine)
    assert run.status == "failed" and run.finished_at is not None and run.refused == 1
    ad = AdRepository(engine).get_by_key("prov", "p1")
    assert ad is not None and ad.source_file is not None and not ad.source_file.finished


def test_a_dry_run_records_no_run(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "dry.jsonl", [native_line(1)])
    report = run_import(engine, Native(), [path], dry_run=True)
    assert report.runs == [] and runs(engine) == []


def test_a_run_that_never_finished_says_so(engine: Engine, tmp_path: Path) -> None:
    """What a killed import leaves (tests/ingest/test_crash.py kills one for real): a run
    started and never finished; its ads' provenance says the import did not finish."""
    path = write(tmp_path / "killed.jsonl", [native_line(1)])
    run_id = import_runs.start(engine, "native", path)
    files = import_runs.source_files(engine, [run_id])
    assert files[run_id].finished is False and files[run_id].name == "killed.jsonl"
    ad = Ad(source="prov", external_id="k1", source_file=files[run_id])
    line = Provenance.of(ad).line
    assert "file killed.jsonl" in line and line.endswith("(that import did not finish)")


def test_a_submitted_ad_says_so() -> None:
    provenance = Provenance.of(Ad(source=SUBMITTED_SOURCE, external_id="abc"))
    assert provenance.origin == "submitted" and provenance.file is None
    assert provenance.line.startswith("Submitted by the advertiser")
    run = SourceFile(run_id=1, name="a.jsonl", sha256=None, importer="native",
                     started_at=None, finished=True)  # fmt: skip
    imported = Provenance.of(Ad(source=SUBMITTED_SOURCE, external_id="x", source_file=run))
    assert imported.origin == "import" and imported.file == "a.jsonl"  # a file says "paidfor"
    old = Provenance.of(Ad(source="hpsci-ira", external_id="79"))  # imported before 0018
    assert old.origin == "import" and old.line == "Source: hpsci-ira, id 79, file not recorded"


def test_migration_0018_goes_down_and_up_keeping_the_full_text_triggers(engine: Engine) -> None:
    downgrade(engine, "0017")
    assert "import_runs" not in inspect(engine).get_table_names()
    assert "import_run_id" not in {c["name"] for c in inspect(engine).get_columns("ads")}
    if engine.dialect.name == "sqlite":  # going down copied the table: its triggers are back
        with engine.connect() as conn:
            triggers = {
                n
                for (n,) in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ads'"
                )
            }
        assert triggers == {"ads_fts_ai", "ads_fts_ad", "ads_fts_au"}  # fmt: skip
    migrate(engine)
    assert "import_runs" in inspect(engine).get_table_names()
    fks = inspect(engine).get_foreign_keys("ads")
    assert any(fk["referred_table"] == "import_runs" for fk in fks)


# -- the file's name: untrusted input ----------------------------------------------------------


def test_file_names_as_given() -> None:
    assert source_file_name("/home/alice/secret/ira_ads_clean.csv") == "ira_ads_clean.csv"
    assert source_file_name(r"C:\Users\bob\Desktop\ads.jsonl") == "ads.jsonl"
    assert source_file_name("ads\n.csv") == "ads?.csv"
    assert source_file_name("a\u202ecod.exe") == "a?cod.exe"
    assert source_file_name("dir/") == "?"
    long = source_file_name("x" * 500 + ".csv")
    assert len(long) == FILE_NAME_MAX and long.endswith("…")


@given(st.text(max_size=600))
def test_a_kept_file_name_has_no_path_no_control_and_a_bounded_length(given_name: str) -> None:
    name = source_file_name(given_name)
    assert 0 < len(name) <= FILE_NAME_MAX
    assert "/" not in name and "\\" not in name
    assert not any(ch in name for ch in "\n\r\t\x00\u202e\u2066")
    assert source_file_name(name) == name  # cleaning twice changes nothing
    tail = given_name.replace("\\", "/").rsplit("/", 1)[-1]
    if tail.isprintable() and tail == tail.strip() and 0 < len(tail) <= FILE_NAME_MAX:
        assert name == tail
