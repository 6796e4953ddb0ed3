"""Fetching from another paidfor server's feed and from a threatexchange CSV into this one
(the mirror equals the source's live set after any operations, page sizes and interruptions;
a second fetch with nothing new writes nothing), and the indicators loaded for screening."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.consume import ExchangeIndicators, load_indicators, marker
from paidfor.exchange.feed_models import FetchedIndicatorRow
from paidfor.exchange.fetch import check_source, fetch
from paidfor.exchange.fetch_store import FetchRepository, Source
from paidfor.exchange.model import Conflict, Invalid
from paidfor.exchange.service import ExchangeService
from paidfor.integrity.model import EntityKey, Profile
from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings
from paidfor.storage.db import make_engine, migrate
from paidfor.storage.models import AuditEventRow

ACTOR = "cli:test"


class Remote:
    """Company A: a paidfor server (its app through TestClient) with a shared group."""

    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'a.db'}"
        self.engine = make_engine(url)
        migrate(self.engine)
        self.service = ExchangeService(self.engine)
        self.me = self.service.staff("cli:a")
        self.service.create_group("election-2026", None, "cli:a")
        self.service.create_group("elsewhere", None, "cli:a")
        self.token, _ = TokenService(self.engine).create(
            Role.PARTNER, "company-b", groups=["election-2026"]
        )
        app = create_app(url, Settings(index_dir=str(tmp / "a-index"), secret_key="a" * 20))
        self.client = TestClient(app)
        self.client.__enter__()

    def add(self, value: str, type: str = "domain", **kw: Any) -> int:
        kw = {"status": "MALICIOUS", "tags": ["ira"], "confidence": 90, **kw}
        group = kw.pop("group", "election-2026")
        return self.service.add(self.me, type=type, value=value, group=group, **kw).id

    def live(self) -> dict[tuple[str, str], str]:
        return {
            (v.type, v.value): v.status for v in self.service.indicators(self.me, "election-2026")
        }

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.engine.dispose()


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    r = Remote(tmp_path)
    yield r
    r.close()


def source(engine: Engine, remote: Remote, name: str = "company-a", **kw: Any) -> Source:
    values = check_source(
        name, "paidfor", "http://testserver", kw.pop("group", "election-2026"),
        kw.pop("token", remote.token),
    )  # fmt: skip
    return FetchRepository(engine).add_source(values, ACTOR, datetime.now(UTC))


def mirror(engine: Engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(FetchedIndicatorRow.type, FetchedIndicatorRow.value, FetchedIndicatorRow.status)
        )
        return {(r.type, r.value): r.status for r in rows}


def run(engine: Engine, remote: Remote, name: str = "company-a", limit: int = 1000) -> Any:
    repo = FetchRepository(engine)
    return fetch(repo, repo.source(name), actor=ACTOR, client=remote.client, limit=limit)


def audit_count(engine: Engine, action: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(AuditEventRow.action == action)).scalar_one()
        )


def test_fetch_mirrors_adds_updates_and_deletes(engine: Engine, remote: Remote) -> None:
    source(engine, remote)
    ids = [remote.add(f"evil{i}.example") for i in range(5)]
    remote.add("https://evil0.example/join", type="url")
    remote.add("Stand up for the real America! Join us", type="raw_text")
    remote.add("elsewhere.example", group="elsewhere")  # not this source's group
    report = run(engine, remote, limit=2)
    assert report.error is None and report.pages == 4
    assert report.applied.added == 7 and mirror(engine) == remote.live()
    remote.service.update(remote.me, ids[0], {"status": "SUSPICIOUS"})
    remote.service.delete(remote.me, ids[1])
    report = run(engine, remote, limit=2)
    assert (report.applied.updated, report.applied.deleted, report.applied.added) == (1, 1, 0)
    assert mirror(engine) == remote.live() and ("domain", "evil1.example") not in mirror(engine)
    # nothing new: nothing written, no counter bumped, no audit event
    before = (marker(engine), audit_count(engine, "exchange_fetch"), mirror(engine))
    report = run(engine, remote)
    assert report.applied.changed == 0 and report.error is None
    assert (marker(engine), audit_count(engine, "exchange_fetch"), mirror(engine)) == before


def test_an_expired_indicator_arrives_as_a_tombstone(engine: Engine, remote: Remote) -> None:
    source(engine, remote)
    clock = [datetime.now(UTC)]
    remote.service.clock = lambda: clock[0]
    remote.add("brief.example", expires_at=clock[0] + timedelta(hours=1))
    remote.add("lasting.example")
    run(engine, remote)
    assert len(mirror(engine)) == 2
    clock[0] += timedelta(hours=2)
    remote.service.expire()
    run(engine, remote)
    assert mirror(engine) == {("domain", "lasting.example"): "MALICIOUS"}


def test_the_source_s_refusals_are_reported_and_kept(engine: Engine, remote: Remote) -> None:
    source(engine, remote, "bad-token", token="pf_not_a_token")
    source(engine, remote, "not-mine", group="elsewhere")
    report = run(engine, remote, "bad-token")
    assert report.error is not None and "answered 401" in report.error
    report = run(engine, remote, "not-mine")
    assert report.error is not None and "404" in report.error and "elsewhere" in report.error
    assert FetchRepository(engine).source("not-mine").last_error == report.error
    with pytest.raises(Conflict):
        source(engine, remote, "bad-token")
    with pytest.raises(Invalid, match="base URL"):
        check_source("x", "paidfor", "ftp://x", "g", "t")
    with pytest.raises(Invalid, match="token"):
        check_source("x", "paidfor", "https://x.example", "g", None)


def test_unreachable_server(engine: Engine) -> None:
    values = check_source("gone", "paidfor", "http://127.0.0.1:9", "g", "t")
    repo = FetchRepository(engine)
    report = fetch(repo, repo.add_source(values, ACTOR, datetime.now(UTC)), actor=ACTOR)
    assert report.error is not None and "cannot reach" in report.error


def test_a_fetch_cut_off_resumes_without_loss(engine: Engine, remote: Remote) -> None:
    """The connection dies after two pages: those two pages are kept with their cursor, and
    the next fetch brings the rest."""
    source(engine, remote)
    for i in range(9):
        remote.add(f"site{i}.example")
    real_get = remote.client.get
    calls = [0]

    def flaky(*args: Any, **kw: Any) -> Any:
        calls[0] += 1
        if calls[0] == 3:
            raise ConnectionResetError("the network went away")
        return real_get(*args, **kw)

    remote.client.get = flaky  # type: ignore[method-assign]
    with pytest.raises(ConnectionResetError):
        run(engine, remote, limit=2)
    assert len(mirror(engine)) == 4
    remote.client.get = real_get  # type: ignore[method-assign]
    report = run(engine, remote, limit=2)
    assert report.applied.added == 5 and mirror(engine) == remote.live()


OPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "update", "fetch"]),
        st.integers(min_value=0, max_value=7),
        st.sampled_from(["MALICIOUS", "SUSPICIOUS", "UNKNOWN"]),
    ),
    max_size=25,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, page=st.integers(min_value=1, max_value=4))
def test_any_history_mirrors_exactly(tmp_path_factory: Any, ops: Any, page: int) -> None:
    tmp = tmp_path_factory.mktemp("mirror")
    remote = Remote(tmp)
    local = make_engine(f"sqlite:///{tmp / 'b.db'}")
    migrate(local)
    try:
        source(local, remote)
        live: dict[int, int] = {}  # slot -> indicator id
        for op, slot, status in ops:
            if op == "add" and slot not in live:
                live[slot] = remote.add(f"slot{slot}.example", status=status)
            elif op == "delete" and slot in live:
                remote.service.delete(remote.me, live.pop(slot))
            elif op == "update" and slot in live:
                remote.service.update(remote.me, live[slot], {"status": status})
            elif op == "fetch":
                assert run(local, remote, limit=page).error is None
        assert run(local, remote, limit=page).error is None
        assert mirror(local) == remote.live()
    finally:
        remote.close()
        local.dispose()


def test_a_threatexchange_csv_is_a_snapshot(engine: Engine, tmp_path: Path) -> None:
    csv_file = tmp_path / "dataset.csv"
    pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
    rows = [
        "signal_type,signal_str,collab,category,tags",
        "url,https://bad.example/x,ncmec,POSITIVE_CLASS,phish spam",
        "raw_text,buy cheap pills now,mycollab,INVESTIGATION_SEED,",
        f"pdq,{pdq},mycollab,POSITIVE_CLASS,",
        "video_md5,d41d8cd98f00b204e9800998ecf8427e,mycollab,POSITIVE_CLASS,",
        "url,not a url,mycollab,POSITIVE_CLASS,",
    ]
    csv_file.write_text("\n".join(rows) + "\n")
    repo = FetchRepository(engine)
    src = repo.add_source(check_source("tx", "csv", str(csv_file), None, None), ACTOR,
                          datetime.now(UTC))  # fmt: skip
    report = fetch(repo, src, actor=ACTOR)
    assert report.error is None and report.applied.added == 3 and report.skipped == 2
    assert mirror(engine) == {("url", "https://bad.example/x"): "MALICIOUS",
                              ("raw_text", "buy cheap pills now"): "SUSPICIOUS",
                              ("pdq", pdq): "MALICIOUS"}  # fmt: skip
    csv_file.write_text("\n".join(rows[:2]) + "\n")
    report = fetch(repo, repo.source("tx"), actor=ACTOR)
    assert report.applied.deleted == 2 and list(mirror(engine)) == [
        ("url", "https://bad.example/x")
    ]
    csv_file.write_text("not,a,dataset\n1,2,3\n")
    report = fetch(repo, repo.source("tx"), actor=ACTOR)
    assert report.error is not None and "threatexchange dataset" in report.error
    assert len(mirror(engine)) == 1  # a bad file changes nothing


def test_screening_uses_own_and_fetched_indicators(engine: Engine, remote: Remote) -> None:
    source(engine, remote)
    evil = remote.add("evil.example", confidence=80)
    remote.add("harmless.example", status="NON_MALICIOUS")
    run(engine, remote)
    here = ExchangeService(engine)
    here.create_group("local", None, "cli:b")
    here.add(here.staff("cli:b"), type="url", value="https://own.example/a", group="local",
             status="SUSPICIOUS", confidence=100)  # fmt: skip
    loaded = load_indicators(engine)
    assert loaded.count == 2  # NON_MALICIOUS is not used for screening
    probe = Profile(EntityKey("advertiser", 1), "x", landing_domains={"www.evil.example"},
                    landing_urls={"https://own.example/a"})  # fmt: skip
    hits = sorted(loaded.indicators.match(probe, []), key=lambda h: h.confidence)
    assert [h.confidence for h in hits] == [70, 80]
    assert "shared by paidfor in group local" in hits[0].indicator
    assert "fetched from company-a" in hits[1].indicator
    assert "group election-2026" in hits[1].indicator
    # the screen's view reloads when a fetch or an own write changes anything
    live = ExchangeIndicators(engine)
    assert len(live.match(probe, [])) == 2
    remote.service.delete(remote.me, evil)
    run(engine, remote)
    assert len(live.wait_current().indicators.match(probe, [])) == 1
