"""The paidfor command's errors and outputs."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paidfor.interfaces.cli.main import app, main
from paidfor.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def _db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()


def test_unknown_source_and_missing_file_are_clear() -> None:
    r = runner.invoke(app, ["import", "nope", "x.csv"])
    assert r.exit_code == 2 and "unknown source" in r.output
    r = runner.invoke(app, ["import", "hpsci-ira", "/no/such/file.csv"])
    assert r.exit_code == 2 and "no such file" in r.output


def test_stats_of_an_empty_database() -> None:
    r = runner.invoke(app, ["stats", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.output) == {
        "ads": 0,
        "spend": {},
        "spend_usd": 0.0,
        "impressions": 0,
        "clicks": 0,
        "pages": 0,
        "funders": 0,
        "report_rows": 0,
    }


def test_import_reports_bad_rows_and_dry_run(tmp_path: Path) -> None:
    # a path longer than a line: the message keeps it whole, to copy or grep
    f = tmp_path / ("a-file-name-longer-than-the-80-columns-of-a-pipe-" * 2 + "bad.csv")
    f.write_text("Ad_ID,Clicks\n,1\n")
    r = runner.invoke(app, ["import", "hpsci-ira", str(f)])
    assert r.exit_code == 1 and f"{f}:2" in r.output
    r = runner.invoke(app, ["import", "hpsci-ira", str(f), "--strict"])
    assert r.exit_code == 2 and "stopped at a bad row" in r.output


def test_unreachable_database_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    r = runner.invoke(app, ["stats"])
    assert r.exit_code == 6 and "cannot open the database" in r.output


def test_demo_imports_then_serves_where_the_settings_say(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's server listens where ``serve``'s would: PAIDFOR_PORT was ignored by it."""
    import paidfor.interfaces.http.api.serving as serving

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serving, "serve", lambda settings, host, port, workers: calls.append((host, port))
    )
    monkeypatch.setenv("PAIDFOR_PORT", "9124")
    get_settings.cache_clear()
    db = tmp_path / "demo.db"
    configured = os.environ["PAIDFOR_DATABASE_URL"]
    r = runner.invoke(app, ["demo", "--db", str(db), "--data", str(data_dir)])
    assert r.exit_code == 0, r.output
    assert "3,517" in r.output and "5,303" in r.output
    assert calls == [("127.0.0.1", 9124)] and "http://127.0.0.1:9124/" in r.output
    monkeypatch.delenv("PAIDFOR_PORT")
    get_settings.cache_clear()
    # The demo passed its settings on; it did not rewrite the environment to do it.
    assert os.environ["PAIDFOR_DATABASE_URL"] == configured
    # The import built the search index beside the database, and it agrees with it.
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    r = runner.invoke(app, ["index", "status", "--json"])
    assert r.exit_code == 0, r.output
    status = json.loads(r.output)
    assert status["path"] == f"{db}.index" and status["in_step"] is True
    assert status["documents"] == status["public_ads_in_database"] >= 3517


def test_index_sync_and_status(tmp_path: Path, data_dir: Path) -> None:
    ira = data_dir / "hpsci_ira_ads" / "ira_ads_clean.csv"
    r = runner.invoke(app, ["import", "hpsci-ira", str(ira)])
    assert r.exit_code == 0 and "search index built: 3,517 public ads" in r.output, r.output
    # Rows written behind the index's back (no change stamp) are found by a full rebuild.
    from sqlalchemy import update

    from paidfor.storage.db import make_engine
    from paidfor.storage.models import AdRow

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.begin() as conn:
        conn.execute(update(AdRow).where(AdRow.id <= 17).values(status="pending"))
    engine.dispose()
    r = runner.invoke(app, ["index", "status"])
    assert r.exit_code == 1 and "in_step" in r.output  # 3,517 documents, 3,500 public ads
    r = runner.invoke(app, ["index", "sync", "--full"])
    assert r.exit_code == 0 and "built: 3,500 public ads from 3,517 rows" in r.output, r.output
    r = runner.invoke(app, ["index", "status", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["documents"] == 3500


def test_index_status_without_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDFOR_SEARCH_INDEX", "false")
    get_settings.cache_clear()
    r = runner.invoke(app, ["index", "status"])
    assert r.exit_code == 1 and "no search index" in r.output


def test_a_bad_setting_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAIDFOR_KEEP_ALIVE_SECONDS", "-1")
    monkeypatch.setenv("PAIDFOR_BATCH_SIZE", "many")
    monkeypatch.setenv("PAIDFOR_INDEX_SHARDS", "abc")  # it fell back to a default before
    monkeypatch.setenv("PAIDFOR_PORT", "70000")  # it was never read before
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "argv", ["paidfor", "stats"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "PAIDFOR_BATCH_SIZE='many'" in said and "valid integer" in said
    assert "PAIDFOR_KEEP_ALIVE_SECONDS='-1'" in said and "greater than 0" in said
    assert "PAIDFOR_INDEX_SHARDS='abc'" in said and "PAIDFOR_PORT='70000'" in said
    assert "Traceback" not in said


def test_serve_listens_where_the_settings_say_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PAIDFOR_HOST and PAIDFOR_PORT are read (they were silently ignored); the options win."""
    import paidfor.interfaces.http.api.serving as serving

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serving, "serve", lambda settings, host, port, workers: calls.append((host, port))
    )
    monkeypatch.setenv("PAIDFOR_HOST", "127.0.0.2")
    monkeypatch.setenv("PAIDFOR_PORT", "9123")
    get_settings.cache_clear()
    assert runner.invoke(app, ["serve"]).exit_code == 0
    assert runner.invoke(app, ["serve", "--port", "9200"]).exit_code == 0
    assert calls == [("127.0.0.2", 9123), ("127.0.0.2", 9200)]
    get_settings.cache_clear()


def test_the_index_shards_are_a_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from paidfor.library.index_store import open_index
    from paidfor.settings import load_settings
    from paidfor.storage.db import make_engine

    monkeypatch.setenv("PAIDFOR_INDEX_SHARDS", "3")
    monkeypatch.setenv("PAIDFOR_INDEX_DIR", str(tmp_path / "index"))
    settings = load_settings()
    engine = make_engine(settings.database_url)
    index = open_index(engine, settings.database_url, settings)
    assert index is not None and len(index.shards) == 3
    engine.dispose()
