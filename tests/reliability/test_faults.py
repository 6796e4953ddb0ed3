"""Faults, and what is left after them: a server killed (SIGKILL) during a stream of ad
submissions on SQLite and on PostgreSQL, an import killed midway, a full disk, PostgreSQL
restarted under a running server. After recovery every acknowledged write is there, whole,
and nothing is half-written (docs/reliability.md).

The sizes are bounded (a few seconds of submissions, 8,000 imported ads); PostgreSQL is a
private cluster (``conftest.private_pg``) so the shared server is never restarted."""

from __future__ import annotations

import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.pool import Pool
from typer.testing import CliRunner

from paidfor.interfaces.http.api.app import create_app
from paidfor.review.intake_models import AdSubmissionRow, ReviewDecisionRow
from paidfor.review.intake_store import IntakeRepository
from paidfor.settings import Settings, get_settings
from paidfor.storage.audit import verify_chain
from paidfor.storage.db import make_engine, migrate
from paidfor.storage.models import AdRow
from reliability.support import (
    PAIDFOR,
    ROOT,
    PrivatePostgres,
    Server,
    ad_body,
    advertiser,
)

pytestmark = pytest.mark.slow
THREADS = 3


class Stream:
    """Clients submitting ads as fast as the server takes them, each remembering the ads it
    was answered 201 for, with their decisions."""

    def __init__(self, base: str, auth: dict[str, str], page: int) -> None:
        self.base, self.auth, self.page = base, auth, page
        self.acked: dict[int, str] = {}
        self.statuses: collections.Counter[int | str] = collections.Counter()
        self.bodies: dict[int, list[str]] = collections.defaultdict(list)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(k,)) for k in range(THREADS)]

    def _run(self, k: int) -> None:
        n = 0
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self.stop.is_set():
                n += 1
                body = ad_body(self.page, f"Fresh coffee beans, thread {k} order {n}")
                try:
                    r = client.post("/api/me/ads", json=body, headers=self.auth)
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.statuses[type(exc).__name__] += 1
                    time.sleep(0.05)
                    continue
                with self.lock:
                    self.statuses[r.status_code] += 1
                    if r.status_code == 201:
                        self.acked[r.json()["ad_id"]] = r.json()["decision"]
                    elif len(self.bodies[r.status_code]) < 3:
                        self.bodies[r.status_code].append(r.text)

    def __enter__(self) -> Stream:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} acked: {self.statuses}"
            time.sleep(0.02)


def half_written(engine: Engine) -> dict[str, list[int]]:
    """Ads that exist only in part: a submitted ad without any decision, a submission row
    without its ad (the foreign key forbids it), a decision on no ad."""
    with engine.connect() as conn:
        undecided = conn.execute(
            select(AdSubmissionRow.ad_id)
            .where(~select(ReviewDecisionRow.id).where(
                ReviewDecisionRow.ad_id == AdSubmissionRow.ad_id).exists())
        ).scalars().all()  # fmt: skip
        orphans = (
            conn.execute(
                select(AdSubmissionRow.ad_id).where(
                    ~select(AdRow.id).where(AdRow.id == AdSubmissionRow.ad_id).exists()
                )
            )
            .scalars()
            .all()
        )
        lost = (
            conn.execute(
                select(ReviewDecisionRow.ad_id).where(
                    ~select(AdRow.id).where(AdRow.id == ReviewDecisionRow.ad_id).exists()
                )
            )
            .scalars()
            .all()
        )
    return {k: [int(i) for i in v] for k, v in
            (("undecided", undecided), ("orphans", orphans), ("lost", lost)) if v}  # fmt: skip


def assert_acked_are_whole(engine: Engine, acked: dict[int, str]) -> None:
    """Every acknowledged ad is stored with its submission and the decision it was answered."""
    assert acked, "nothing was acknowledged: the test did not test anything"
    with engine.connect() as conn:
        first = dict(
            conn.execute(
                select(ReviewDecisionRow.ad_id, ReviewDecisionRow.decision)
                .where(ReviewDecisionRow.id.in_(
                    select(func.min(ReviewDecisionRow.id)).group_by(ReviewDecisionRow.ad_id)))
            ).all()
        )  # fmt: skip
        submitted = set(conn.execute(select(AdSubmissionRow.ad_id)).scalars())
    missing = {a: d for a, d in acked.items() if first.get(a) != d or a not in submitted}
    assert not missing, f"acknowledged but lost or changed: {missing}"


def wait_whole(engine: Engine, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (half := half_written(engine)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not half, f"half-written after recovery: {half}"


def next_second() -> None:
    """Stored times are whole seconds: step past the current one."""
    time.sleep(1.05 - time.time() % 1)


# -- a server killed during submissions ------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fault_db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, PrivatePostgres | None]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faults.db'}", None
        return
    pg: PrivatePostgres = request.getfixturevalue("private_pg")
    yield pg.create_database(f"faults_{uuid.uuid4().hex[:10]}"), pg


def test_a_killed_server_loses_no_acknowledged_submission(
    fault_db: tuple[str, PrivatePostgres | None], tmp_path: Path
) -> None:
    url, _pg = fault_db
    engine = make_engine(url)
    migrate(engine)
    server = Server(url, tmp_path)
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            auth, page = advertiser(client, "Bean Co")
        with Stream(server.base, auth, page) as stream:
            stream.wait_for(12)
            server.kill()  # mid-request: the clients are sending all the time
            time.sleep(0.3)
        acked = dict(stream.acked)
        assert_acked_are_whole(engine, acked)
        # A submission cut between its ad and its review, as a kill at that instant leaves
        # it (the kill above may or may not have hit that instant).
        intake = IntakeRepository(engine)
        owner = intake.submission_owner(next(iter(acked)))
        assert owner is not None
        cut = intake.insert_ad(
            submitted_ad(page), advertiser_id=owner, page_id=page, funder_name=None,
            budget_cents=100, budget_currency="USD", actor="advertiser:cut",
        )  # fmt: skip
        assert cut in half_written(engine)["undecided"]
        next_second()
        server.start()  # reviews what the killed server left undecided
        wait_whole(engine)
        assert_acked_are_whole(engine, acked)
        with engine.connect() as conn:
            reasons = conn.execute(
                select(ReviewDecisionRow.reasons).where(ReviewDecisionRow.ad_id == cut)
            ).scalar_one()
        assert any(r["code"] == "resumed" for r in reasons), reasons
        assert verify_chain(engine) is None  # every audit event whole, the chain unbroken
        # and the server takes submissions again
        with httpx.Client(base_url=server.base, timeout=30) as client:
            r = client.post("/api/me/ads", json=ad_body(page, "after the restart"), headers=auth)
            assert r.status_code == 201, r.text
        assert set(stream.statuses) <= {201, "ConnectError", "ReadError", "RemoteProtocolError",
                                        "ConnectTimeout"}, stream.statuses  # fmt: skip
    finally:
        server.stop()
        engine.dispose()


def submitted_ad(page: int) -> Any:
    """An ``Ad`` as the API makes it from a submission."""
    from paidfor.interfaces.http.api.intake_schemas import AdIn

    return AdIn.model_validate(ad_body(page, "cut between its ad and its review")).submission().ad


# -- PostgreSQL restarted under a running server ----------------------------------------------


def test_postgresql_restarted_mid_stream_loses_nothing_acknowledged(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    url = private_pg.create_database(f"restart_{uuid.uuid4().hex[:10]}")
    engine = make_engine(url)
    migrate(engine)
    # A request that lost the database between storing its ad and its review leaves the ad
    # for the server's next look (every minute by default; every 2 s here).
    server = Server(url, tmp_path, PAIDFOR_RESUME_INTERVAL="2")
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            auth, page = advertiser(client, "Bean Co")
        with Stream(server.base, auth, page) as stream:
            stream.wait_for(10)
            before = len(stream.acked)
            private_pg.restart()
            restarted = len(stream.acked)
            stream.wait_for(restarted + 10)  # the same server recovers, no restart of its own
        engine.dispose()  # our own pool's connections died with the restart
        assert_acked_are_whole(engine, dict(stream.acked))
        wait_whole(engine, timeout=20)
        assert verify_chain(engine) is None
        # During the outage a client saw 503s with a sentence, never a 500.
        assert 500 not in stream.statuses, stream.bodies
        assert set(stream.statuses) <= {201, 503}, (stream.statuses, dict(stream.bodies))
        for text in stream.bodies.get(503, []):
            err = json.loads(text)["error"]
            assert err["status"] == 503 and "try again" in err["message"]
        assert before >= 10
    finally:
        server.stop()
        engine.dispose()


# -- an import killed midway -------------------------------------------------------------------

IMPORT_ADS = 8000


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / f"ads-{IMPORT_ADS}.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--ads", str(IMPORT_ADS),
         "--seed", "7", "--out", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def _import_env(url: str, tmp: Path) -> dict[str, str]:
    return {**os.environ, "PAIDFOR_DATABASE_URL": url, "PAIDFOR_SEARCH_INDEX": "false",
            "PAIDFOR_INDEX_DIR": str(tmp / "index")}  # fmt: skip


def _stats(url: str, tmp: Path) -> dict[str, Any]:
    r = subprocess.run([PAIDFOR, "stats", "--json"], env=_import_env(url, tmp),
                       capture_output=True, text=True, check=True)  # fmt: skip
    return dict(json.loads(r.stdout))


def _sqlite_count(path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM ads").fetchone()[0])
    except sqlite3.Error:
        return 0


def _indexes(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}


def _file_ads(path: Path) -> list[str]:
    """The external ids of the file's ads, in file order."""
    with path.open() as f:
        return [r["external_id"] for r in map(json.loads, f) if r.get("kind") == "ad"]


def _stored(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT external_id, content_hash FROM ads").fetchall())


def assert_whole_prefix(stored: dict[str, str], order: list[str]) -> None:
    """Whole batches only: the stored ads are the file's first ones, with no gap."""
    assert set(stored) == set(order[: len(stored)]), "a batch was stored in part"


def test_an_import_killed_midway_completes_when_run_again(generated: Path, tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed.db", tmp_path / "clean.db"
    env = _import_env(f"sqlite:///{killed}", tmp_path)
    cmd = [PAIDFOR, "import", "native", str(generated), "--batch-size", "500"]
    subprocess.run(cmd, env=_import_env(f"sqlite:///{clean}", tmp_path), check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    want = _stored(clean)
    # --defer-indexes: the read indexes are dropped for the load; a kill leaves them dropped
    proc = subprocess.Popen([*cmd, "--defer-indexes"], env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    while _sqlite_count(killed) < 1000:
        assert proc.poll() is None, proc.communicate()[0].decode()[-2000:]
        assert time.monotonic() < deadline, "the import wrote nothing"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _stored(killed)
    assert 1000 <= len(partial) < IMPORT_ADS, len(partial)
    assert_whole_prefix(partial, _file_ads(generated))
    assert all(want[k] == v for k, v in partial.items())  # each stored ad whole
    with sqlite3.connect(killed) as conn:  # the file sound
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert _indexes(killed) != _indexes(clean)  # the kill left the read indexes dropped
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    said = " ".join(again.stdout.split())
    assert f"{IMPORT_ADS - len(partial):,} new" in said, said
    assert _stored(killed) == want
    got, totals = _stats(f"sqlite:///{killed}", tmp_path), _stats(f"sqlite:///{clean}", tmp_path)
    assert got == totals and got["ads"] == IMPORT_ADS, (got, totals)
    assert _indexes(killed) == _indexes(clean)  # the dropped read indexes are back


# -- a full disk ------------------------------------------------------------------------------


class DiskLimit:
    """SQLite's ``max_page_count`` on every connection checked out of any pool: the database
    file cannot grow past ``pages`` (SQLITE_FULL, "database or disk is full"), as on a full
    disk. ``free()`` lifts it."""

    def __init__(self) -> None:
        self.pages: int | None = None

    def __call__(self, dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA max_page_count = {self.pages or 1_073_741_823}")
            cur.close()

    def fill(self, path: Path, spare_pages: int = 0) -> None:
        with sqlite3.connect(path) as conn:
            self.pages = int(conn.execute("PRAGMA page_count").fetchone()[0]) + spare_pages

    def free(self) -> None:
        self.pages = None


@pytest.fixture
def disk() -> Iterator[DiskLimit]:
    limit = DiskLimit()
    event.listen(Pool, "checkout", limit)
    try:
        yield limit
    finally:
        event.remove(Pool, "checkout", limit)


def test_a_full_disk_fails_the_import_clearly_and_the_same_import_then_succeeds(
    disk: DiskLimit, generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paidfor.interfaces.cli.main import app as cli

    db = tmp_path / "full.db"
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("PAIDFOR_SEARCH_INDEX", "false")
    monkeypatch.setenv("PAIDFOR_INDEX_DIR", str(tmp_path / "index"))
    get_settings.cache_clear()
    small = tmp_path / "first.jsonl"
    with generated.open() as src, small.open("w") as dst:
        for _, line in zip(range(300), src, strict=False):
            dst.write(line)
    runner = CliRunner()
    args = ["--batch-size", "200", "--no-parallel", "--keep-indexes"]
    first = runner.invoke(cli, ["import", "native", str(small), *args])
    assert first.exit_code == 0, first.output
    disk.fill(db, spare_pages=40)  # room for a few batches, not for 8,000 ads
    full = runner.invoke(cli, ["import", "native", str(generated), *args])
    assert full.exit_code == 6, full.output
    said = " ".join(full.output.split())  # rich wraps lines
    assert "the database is out of space" in said, said
    assert "Traceback" not in said and "run the same import again" in said
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = _stored(db)  # the first import's ads and whole batches of the second
    assert len(_file_ads(small)) < len(stored) < IMPORT_ADS, len(stored)
    assert_whole_prefix(stored, _file_ads(generated))
    disk.free()
    again = runner.invoke(cli, ["import", "native", str(generated), *args])
    assert again.exit_code == 0, again.output
    assert len(_stored(db)) == IMPORT_ADS
    get_settings.cache_clear()


def test_a_full_disk_answers_503_and_the_same_request_then_succeeds(
    disk: DiskLimit, tmp_path: Path
) -> None:
    db = tmp_path / "full-api.db"
    url = f"sqlite:///{db}"
    settings = Settings(index_dir=str(tmp_path / "index"), search_index=False,
                        secret_key="test-secret-key-123")  # fmt: skip
    engine = make_engine(url)
    migrate(engine)
    with TestClient(create_app(url, settings)) as api:
        auth, page = advertiser(api, "Bean Co")
        acked = {}
        for k in range(3):
            r = api.post("/api/me/ads", json=ad_body(page, f"before {k}"), headers=auth)
            assert r.status_code == 201
            acked[r.json()["ad_id"]] = r.json()["decision"]
        engine.dispose()
        disk.fill(db)
        body = ad_body(page, "x " * 2000 + "on a full disk")
        refused = None
        for _ in range(20):  # the WAL has some room left; the file cannot grow
            r = api.post("/api/me/ads", json=body, headers=auth)
            assert r.status_code in (201, 503), r.text
            if r.status_code == 201:
                acked[r.json()["ad_id"]] = r.json()["decision"]
                continue
            refused = r
            break
        assert refused is not None, "the full disk never refused a write"
        err = refused.json()["error"]
        assert err == {"status": 503, "message": err["message"]}
        assert "out of space" in err["message"] and "Traceback" not in refused.text
        assert refused.headers["Retry-After"]
        # Reading still works, and what was written before is whole.
        assert api.get("/api/me", headers=auth).status_code == 200
        disk.free()
        r = api.post("/api/me/ads", json=body, headers=auth)
        assert r.status_code == 201, r.text
        acked[r.json()["ad_id"]] = r.json()["decision"]
    assert_acked_are_whole(engine, acked)
    # A submission the full disk cut after its ad was stored is reviewed by the next start.
    next_second()
    with TestClient(create_app(url, settings)):
        wait_whole(engine)
    engine.dispose()
