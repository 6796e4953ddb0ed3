"""The tantivy search index beside the database: it answers every library and archive search
exactly as the database does, and stays in step with it through writes, crashes, another
database and another process holding its lock."""

from __future__ import annotations

import calendar
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tantivy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select, text

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Funder, Page, Range
from paidfor.library import index_store
from paidfor.library.archive_store import ArchiveFilter, ArchiveRepository
from paidfor.library.index_query_store import IndexQuery
from paidfor.library.index_schema_store import micros
from paidfor.library.index_store import AdIndex, IndexBusy, sort_key
from paidfor.library.store import LibraryFilter, LibraryRepository
from paidfor.library.views import PublicAd
from paidfor.storage.changes import current_state, touch_ads
from paidfor.storage.db import make_engine, migrate, normalize_url
from paidfor.storage.models import AdRow, SearchStateRow
from paidfor.storage.writer import BatchWriter

from conftest import PG_URL, pg_schema_url, require_postgres

WORDS = ["vote", "water", "tax", "freedom", "police", "church", "jobs", "border", "e-mail"]
COUNTRIES = ["US", "GB", "DE", "FR"]
LANGS = ["en", "de", "ES"]
PLATFORMS = ["facebook", "instagram", "Messenger"]
REGIONS = ["Texas", "Ohio", "bavaria"]
PAGES = [Page(name=f"Page {k}", external_id=str(9000 + k)) for k in range(6)]
FUNDERS = [Funder(name=f"Fund {k}") for k in range(5)]
STATUSES = [
    AdStatus.RUNNING,
    AdStatus.APPROVED,
    AdStatus.STOPPED,
    AdStatus.REMOVED,
    AdStatus.PENDING,
    AdStatus.REJECTED,
]
BASE = datetime(2020, 1, 1, tzinfo=UTC)
NOW = datetime(2020, 6, 1, 12, 0, 0, 500000)  # naive UTC, as the filters take it


def random_ad(rng: random.Random, n: int, source: str = "idx") -> Ad:
    """Ties on purpose: creation days, spends and impressions come from small sets."""
    created = BASE + timedelta(days=rng.randint(0, 300), seconds=rng.choice([0, 0, 7]))
    start = created + timedelta(days=rng.choice([0, 1])) if rng.random() < 0.8 else None
    stop = (created + timedelta(days=rng.randint(1, 200))) if rng.random() < 0.6 else None
    words = rng.sample(WORDS, rng.randint(0, 4))
    spend = rng.choice([None, "10.00", "10.00", "99.50", "1500.00"])
    return Ad(
        source=source,
        external_id=str(n),
        creative=Creative(
            bodies=[" ".join(words) + f" filler{n % 3}"],
            image_hashes=["h1"] if rng.random() < 0.4 else [],
        ),
        page=rng.choice([*PAGES, None]),
        funder=rng.choice([*FUNDERS, None]),
        delivery=Delivery(
            currency="USD" if spend else None,
            spend=Decimal(spend) if spend else None,
            spend_usd=Decimal(spend) if spend else None,
            impressions=rng.choice([None, 100, 100, 5000]),
            impressions_range=rng.choice([None, Range(1000, 4999)]),
            reached_countries=rng.sample(COUNTRIES, rng.randint(0, 2)),
            delivery_by_region=[
                {"region": r, "percentage": "0.5"} for r in rng.sample(REGIONS, rng.randint(0, 2))
            ],
            estimated_audience_size=rng.choice([None, Range(1000, 5000), Range(10, 100)]),
        ),
        created_at=created,
        start_at=start,
        stop_at=stop,
        status=rng.choice(STATUSES),
        is_political=rng.choice([None, True, False]),
        ad_type=rng.choice(["POLITICAL_AND_ISSUE_ADS", "ALL"]),
        platforms=rng.sample(PLATFORMS, rng.randint(0, 2)),
        languages=rng.sample(LANGS, rng.randint(0, 2)),
    )


def load(engine: Engine, count: int = 400, seed: int = 7, source: str = "idx") -> None:
    rng = random.Random(seed)
    BatchWriter(engine).write([random_ad(rng, n, source) for n in range(count)])


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, AdIndex]]:
    """400 random ads on each backend and an index of them (read-only for the tests)."""
    folder = tmp_path_factory.mktemp(f"idx-{request.param}")
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'db.sqlite'}"
    else:
        require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(normalize_url(PG_URL))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = pg_schema_url(schema)
    engine = make_engine(url)
    migrate(engine)
    load(engine)
    index = AdIndex(folder / "index", engine, shards=3)  # ids spread over three shards
    index.sync()
    yield engine, index
    engine.dispose()
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def sub(values: list[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(st.sampled_from(values), max_size=2, unique=True).map(tuple)


days = st.dates(date(2019, 12, 1), date(2021, 1, 31))
ARCHIVE_PARTS: dict[str, st.SearchStrategy[Any]] = {
    "reached_countries": sub([*COUNTRIES, "ALL"]),
    "ad_type": st.sampled_from(["POLITICAL_AND_ISSUE_ADS", "ALL"]),
    "active": st.booleans(),
    "delivered_min": days,
    "delivered_max": days,
    "search_words": sub([*WORDS, "nowhere", "FILLER1"]),
    "search_phrases": st.sampled_from([(("vote", "water"),), (("filler2",),), (("e", "mail"),)]),
    "page_ids": sub([p.external_id for p in PAGES[:3]] + ["404"]),
    "bylines": sub(["fund 1", "FUND 2", "Nobody"]),
    "languages": sub(["EN", "es", "fr"]),
    "platforms": sub(["FACEBOOK", "messenger"]),
    "regions": sub(["texas", "BAVARIA"]),
    "media_type": st.sampled_from(["IMAGE", "NONE", "VIDEO"]),
    "audience_min": st.sampled_from([0, 500]),
    "audience_max": st.sampled_from([200, 5000]),
}
LIBRARY_PARTS: dict[str, st.SearchStrategy[Any]] = {
    "page_ids": sub([1, 2, 3]),
    "funder_ids": sub([1, 2, 4]),
    "political_only": st.just(True),
    "removed": st.sampled_from(["exclude", "only"]),
}


@st.composite
def archive_filters(draw: st.DrawFn) -> ArchiveFilter:
    """A few filters at a time (all of them at once would match nothing)."""
    names = draw(st.lists(st.sampled_from(sorted(ARCHIVE_PARTS)), max_size=3, unique=True))
    return ArchiveFilter(now=NOW, **{n: draw(ARCHIVE_PARTS[n]) for n in names})


@st.composite
def library_filters(draw: st.DrawFn) -> LibraryFilter:
    names = draw(st.lists(st.sampled_from(sorted(LIBRARY_PARTS)), max_size=2, unique=True))
    return LibraryFilter(
        archive=draw(archive_filters()), **{n: draw(LIBRARY_PARTS[n]) for n in names}
    )


HYP = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(
    flt=library_filters(),
    sort=st.sampled_from(["newest", "spend", "impressions"]),
    offset=st.integers(0, 60),
    limit=st.integers(1, 40),
)
def test_library_search_agrees_with_the_database(
    loaded: tuple[Engine, AdIndex], flt: LibraryFilter, sort: Any, offset: int, limit: int
) -> None:
    engine, index = loaded
    by_db, total_db = LibraryRepository(engine).search_library(flt, sort, offset, limit)
    with_index = LibraryRepository(engine, index)
    by_index, total_index = with_index.search_library(flt, sort, offset, limit)
    assert with_index.answered_by == "index"
    assert [a.id for a in by_index] == [a.id for a in by_db]
    assert total_index == total_db
    assert with_index.count_library(flt) == total_db and with_index.answered_by == "index"


@HYP
@given(flt=library_filters(), sort=st.sampled_from(["newest", "spend"]), unmask=st.booleans())
def test_a_search_pages_views_from_rows_are_its_ads_views(
    loaded: tuple[Engine, AdIndex], flt: LibraryFilter, sort: Any, unmask: bool
) -> None:
    """What the search shows (``search_page``, views built from the rows) is the view of
    the ads ``search_library`` finds, by the index and by the database alike."""
    engine, index = loaded
    for repo in (LibraryRepository(engine, index), LibraryRepository(engine)):
        ads, total = repo.search_library(flt, sort, 0, 40)
        facts, total_facts, _ = repo.search_page(flt, sort, 0, 40)
        assert total_facts == total
        want = [PublicAd.of(a, unmask) for a in ads]
        assert [PublicAd.of_facts(f, unmask) for f in facts] == want


@HYP
@given(flt=archive_filters(), before=st.none() | st.integers(1, 420), limit=st.integers(1, 50))
def test_archive_agrees_with_the_database(
    loaded: tuple[Engine, AdIndex], flt: ArchiveFilter, before: int | None, limit: int
) -> None:
    engine, index = loaded
    by_db = ArchiveRepository(engine).archive(flt, before_id=before, limit=limit)
    with_index = ArchiveRepository(engine, index)
    by_index = with_index.archive(flt, before_id=before, limit=limit)
    assert with_index.answered_by == "index"
    assert [a.id for a in by_index] == [a.id for a in by_db]


@pytest.mark.parametrize("sort", ["newest", "spend"])
def test_a_pages_and_a_funders_ads_are_the_databases(
    loaded: tuple[Engine, AdIndex], sort: Any
) -> None:
    """Every page's and every funder's ads (the narrow queries whose shards are searched in
    turn, with one term or a union of terms), one by one and two at a time, in the
    database's order and number, and the same as the shards searched at once."""
    engine, index = loaded
    with engine.connect() as conn:
        page_ids = list(conn.execute(text("SELECT id FROM pages ORDER BY id")).scalars())
        funder_ids = list(conn.execute(text("SELECT id FROM funders ORDER BY id")).scalars())
    filters = [LibraryFilter(ArchiveFilter(now=NOW), page_ids=(p,)) for p in page_ids]
    filters += [LibraryFilter(ArchiveFilter(now=NOW), funder_ids=(f,)) for f in funder_ids]
    filters += [LibraryFilter(ArchiveFilter(now=NOW), page_ids=tuple(page_ids[:2]))]
    filters += [LibraryFilter(ArchiveFilter(now=NOW, bylines=("FUND 1", "fund 3")))]
    filters += [LibraryFilter(ArchiveFilter(now=NOW, page_ids=(PAGES[2].external_id,)))]
    with_index = LibraryRepository(engine, index)
    queries = IndexQuery(index)
    seen = 0
    for flt in filters:
        by_db, total_db = LibraryRepository(engine).search_library(flt, sort, 0, 25)
        by_index, total_index = with_index.search_library(flt, sort, 0, 25)
        assert with_index.answered_by == "index" and queries.narrow(flt)
        assert [a.id for a in by_index] == [a.id for a in by_db] and total_index == total_db
        with engine.connect() as conn:
            query = queries.combine(queries.library_clauses(conn, flt))
        at_once = index.search(query, order=sort, offset=0, limit=25, parallel=True)
        in_turn = index.search(query, order=sort, offset=0, limit=25, parallel=False)
        assert at_once == in_turn == ([a.id for a in by_db], total_db)
        seen += total_db
    assert seen > 0


@pytest.mark.parametrize("text", ["page", "Fund 1", "fUnD", "age 3", "nobody", "%", "_", "e/"])
def test_names_in_the_search_box_are_counted_alike(
    loaded: tuple[Engine, AdIndex], text: str
) -> None:
    """The pages and funders whose name holds the words, with their public ads: counted by
    the index as the database counts them (pages without public ads left out alike)."""
    engine, index = loaded
    by_db = LibraryRepository(engine).advertisers_named(text)
    assert LibraryRepository(engine, index).advertisers_named(text) == by_db
    assert all(text.lower() in name.lower() for _, _, name, _ in by_db)
    assert LibraryRepository(engine).advertisers_named(text.upper()) == by_db  # any case
    if text in ("page", "fUnD"):
        assert len(by_db) == 5 and all(n > 0 for *_, n in by_db)


def test_the_index_holds_exactly_the_public_ads(loaded: tuple[Engine, AdIndex]) -> None:
    engine, index = loaded
    with engine.connect() as conn:
        public = conn.execute(
            select(AdRow.id).where(AdRow.status.in_(["approved", "running", "stopped", "removed"]))
        ).scalars()
        want = sorted(public)
    ids, total = index.search(tantivy.Query.all_query(), order="id", offset=0, limit=1000)
    assert sorted(ids) == want and total == len(want) and 0 < total < 400


@given(value=st.none() | st.integers(-(2**40), 2**40), ad_id=st.integers(1, 2**32 - 1))
def test_sort_keys_order_by_value_then_id(value: int | None, ad_id: int) -> None:
    key = sort_key(value, ad_id)
    assert key & (2**32 - 1) == ad_id and 0 < key < 2**64
    if value is not None:
        assert key > sort_key(None, 2**32 - 1)  # no value sorts last
        assert sort_key(value, ad_id - 1 or 1) <= key  # ties: higher id first


# -- keeping in step ---------------------------------------------------------------------------


def ids_for(repo: LibraryRepository, **archive: Any) -> list[int]:
    flt = LibraryFilter(ArchiveFilter(now=NOW, **archive))
    ads, _ = repo.search_library(flt, "newest", 0, 100)
    return [a.id for a in ads if a.id is not None]


def test_the_library_reads_its_own_writes(engine: Engine, tmp_path: Path) -> None:
    load(engine, 30)
    index = AdIndex(tmp_path / "index", engine)
    repo = LibraryRepository(engine, index)
    assert ids_for(repo, search_words=("brandnewword",)) == []
    ad = Ad(
        source="later",
        external_id="1",
        creative=Creative(bodies=["a brandnewword appears"]),
        status=AdStatus.RUNNING,
        created_at=BASE,
    )
    BatchWriter(engine).write([ad])
    found = ids_for(repo, search_words=("brandnewword",))
    assert len(found) == 1 and repo.answered_by == "index"
    # A change of status made anywhere is seen once the change is stamped.
    with engine.begin() as conn:
        conn.execute(AdRow.__table__.update().where(AdRow.id == found[0]).values(status="pending"))
        touch_ads(conn, found)
    assert ids_for(repo, search_words=("brandnewword",)) == []
    assert index.state is not None and index.state.seq == current_state_seq(engine)


def current_state_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return current_state(conn)[0]


def test_a_crash_after_the_commit_redoes_the_same_rows(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, 40)
    index = AdIndex(tmp_path / "index", engine)
    index.sync()
    before = index.num_docs()
    BatchWriter(engine).write([random_ad(random.Random(1), n, "more") for n in range(20)])

    def crash(_state: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(index, "_write_state", crash)
    with pytest.raises(OSError):
        index.sync()  # tantivy committed; the state file still names the old change
    monkeypatch.undo()
    reopened = AdIndex(tmp_path / "index", engine)
    report = reopened.sync()
    assert report.rows == 20 and not report.full
    assert reopened.num_docs() == reopened.public_ads_in_database() > before


def test_a_failed_sync_leaves_the_index_as_it_was(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, 40)
    index = AdIndex(tmp_path / "index", engine)
    index.sync()
    docs, state = index.num_docs(), index.state
    BatchWriter(engine).write([random_ad(random.Random(2), n, "bad") for n in range(20)])
    import paidfor.library.index_store as module

    real = module.document
    calls = {"n": 0}

    def flaky(row: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("killed half-way")
        return real(row)

    monkeypatch.setattr(module, "document", flaky)
    with pytest.raises(RuntimeError):
        index.sync()
    assert index.num_docs() == docs and index._read_state() == state
    monkeypatch.setattr(module, "document", real)
    index.sync()
    assert index.num_docs() == index.public_ads_in_database()


def test_an_index_of_another_database_is_rebuilt(tmp_path: Path) -> None:
    engines = []
    for name in ("a", "b"):
        eng = make_engine(f"sqlite:///{tmp_path / name}.db")
        migrate(eng)
        engines.append(eng)
    load(engines[0], 50, seed=1)
    load(engines[1], 10, seed=2)
    AdIndex(tmp_path / "index", engines[0]).sync()
    other = AdIndex(tmp_path / "index", engines[1])
    assert other.ready()  # a small database is rebuilt inline
    assert other.num_docs() == other.public_ads_in_database()
    with engines[1].connect() as conn:
        epoch = conn.execute(select(SearchStateRow.epoch)).scalar_one()
    assert other.state is not None and other.state.epoch == epoch
    for eng in engines:
        eng.dispose()


def test_while_another_process_writes_the_index_the_database_answers(
    engine: Engine, tmp_path: Path
) -> None:
    load(engine, 60)
    index = AdIndex(tmp_path / "index", engine)
    index.sync()
    BatchWriter(engine).write([random_ad(random.Random(3), n, "late") for n in range(5)])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, tantivy\n"
            "from paidfor.library.index_store import build_schema\n"
            f"idx = tantivy.Index(build_schema(), path={str(tmp_path / 'index' / 'shard-0')!r})\n"
            "w = idx.writer(heap_size=20_000_000)\n"
            "print('locked', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusy):
            index.sync()
        assert not index.ready()
        repo, plain = LibraryRepository(engine, index), LibraryRepository(engine)
        flt = LibraryFilter(ArchiveFilter(now=NOW))
        assert repo.search_library(flt, "spend", 0, 100) == plain.search_library(
            flt, "spend", 0, 100
        )
        assert repo.answered_by == "database"
    finally:
        holder.communicate("", timeout=30)
    assert index.ready() and index.num_docs() == index.public_ads_in_database()


def test_processes_take_turns_writing_the_index(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two servers' workers over one index: while one catches up, a search in the other
    waits for it, then only reloads (no tantivy lock error, no answer from the database);
    past ``SYNC_WAIT`` the search answers from the index as it stands."""
    load(engine, 60)
    first = AdIndex(tmp_path / "index", engine)
    first.sync()
    second = AdIndex(tmp_path / "index", engine)
    assert second.ready()
    BatchWriter(engine).write([random_ad(random.Random(4), n, "turns") for n in range(5)])
    answers: list[bool] = []
    with first._writing(wait=None):
        waiting = threading.Thread(target=lambda: answers.append(second.ready()))
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive() and not answers  # the second waits its turn
        first._sync(False, None)
    waiting.join(5)
    assert answers == [True]
    assert second.num_docs() == first.num_docs() == second.public_ads_in_database()
    assert second.state == first.state
    # a writer that keeps the turn too long: the search does not wait forever
    BatchWriter(engine).write([random_ad(random.Random(5), n, "slow") for n in range(3)])
    monkeypatch.setattr(index_store, "SYNC_WAIT", 0.2)
    with first._writing(wait=None):
        started = time.monotonic()
        assert not second.ready()
        assert 0.2 <= time.monotonic() - started < 2
        # a search then takes the index as it stands (the other is catching it up), not
        # the database, and does not see the three ads yet
        repo = LibraryRepository(engine, second)
        flt = LibraryFilter(ArchiveFilter(now=NOW))
        _, total = repo.search_library(flt, "newest", 0, 10)
        assert repo.answered_by == "index" and total == second.num_docs()
        assert total < second.public_ads_in_database()
    assert second.ready() and second.num_docs() == second.public_ads_in_database()


def test_one_catch_up_at_a_time_and_none_started_once_closed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The background catch-up is one at a time with the inline ones (``OneAtATime``): a
    second is not started while one goes, a search does not wait past ``SYNC_WAIT`` for it,
    and the server's shutdown waits for it and starts no more."""
    load(engine, 40)
    index = AdIndex(tmp_path / "index", engine)
    release = threading.Event()
    real = index._sync
    calls: list[bool] = []

    def held(full: bool, progress: Any) -> Any:
        calls.append(full)
        assert release.wait(30), "the test never released the catch-up"
        return real(full, progress)

    monkeypatch.setattr(index, "_sync", held)
    monkeypatch.setattr(index_store, "SYNC_WAIT", 0.1)
    index.catch_up_in_background()
    deadline = time.monotonic() + 10
    while not calls:
        assert time.monotonic() < deadline, "the catch-up never started"
        time.sleep(0.01)
    index.catch_up_in_background()  # one goes already: no second
    assert not index.ready()  # waited SYNC_WAIT for the turn, then the database answers
    release.set()
    assert index.close(timeout=10)
    assert len(calls) == 1 and index.num_docs() == index.public_ads_in_database()
    BatchWriter(engine).write([random_ad(random.Random(6), n, "closed") for n in range(3)])
    index.catch_up_in_background()  # closed: nothing starts
    assert "paidfor-index-sync" not in {t.name for t in threading.enumerate()}
    assert len(calls) == 1
    assert index.ready() and len(calls) == 2  # a search still catches up inline


def test_words_fold_accents_and_case_like_sqlite(engine: Engine, tmp_path: Path) -> None:
    ad = Ad(
        source="accents",
        external_id="1",
        creative=Creative(bodies=["Café NAÏVE e-mail"]),
        status=AdStatus.RUNNING,
        created_at=BASE,
    )
    BatchWriter(engine).write([ad])
    repo = LibraryRepository(engine, AdIndex(tmp_path / "index", engine))
    for words in (("cafe",), ("café",), ("naive",), ("e", "mail"), ("email",)):
        flt = LibraryFilter(ArchiveFilter(now=NOW, search_words=words))
        total = repo.search_library(flt, "newest", 0, 10)[1]
        assert total == (0 if words == ("email",) else 1), words


def test_an_index_of_another_schema_is_rebuilt(engine: Engine, tmp_path: Path) -> None:
    load(engine, 20)
    folder = tmp_path / "index"
    folder.mkdir()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("something_else")
    old = tantivy.Index(sb.build(), path=str(folder))  # an older layout in the same folder
    writer = old.writer(heap_size=20_000_000)
    writer.commit()
    writer.wait_merging_threads()
    (folder / "paidfor-state.json").write_text('{"epoch": "x", "seq": 99, "schema": 0}')
    index = AdIndex(folder, engine)
    assert index.ready() and index.num_docs() == index.public_ads_in_database() > 0


def test_date_windows_find_long_open_and_edge_ads(engine: Engine, tmp_path: Path) -> None:
    """An ad running for decades (listed as "wide"), one without an end, and ones ending or
    starting on a window's first and last day, checked against the database."""
    day = BASE
    cases = {
        "decades": (day - timedelta(days=9000), day + timedelta(days=9000)),
        "open": (day - timedelta(days=400), None),
        "open-late": (day + timedelta(days=59, hours=23), None),
        "ends-first-day": (day - timedelta(days=40), day + timedelta(days=10)),
        "starts-last-day": (
            day + timedelta(days=59, hours=23, minutes=59),
            day + timedelta(days=90),
        ),
        "before": (day - timedelta(days=40), day + timedelta(days=9, hours=23)),
        "after": (day + timedelta(days=60), day + timedelta(days=90)),
    }
    BatchWriter(engine).write(
        [
            Ad(
                source="dates",
                external_id=name,
                status=AdStatus.RUNNING,
                created_at=start,
                start_at=start,
                stop_at=stop,
                creative=Creative(bodies=[name]),
            )
            for name, (start, stop) in cases.items()
        ]
    )
    repo = LibraryRepository(engine, AdIndex(tmp_path / "index", engine))
    plain = LibraryRepository(engine)
    for first, last in [(day + timedelta(days=10), day + timedelta(days=59))] + [
        (day + timedelta(days=a), day + timedelta(days=b)) for a, b in [(0, 0), (10, 10), (-45, 95)]
    ]:
        flt = LibraryFilter(
            ArchiveFilter(now=NOW, delivered_min=first.date(), delivered_max=last.date())
        )
        got, total = repo.search_library(flt, "newest", 0, 50)
        want, want_total = plain.search_library(flt, "newest", 0, 50)
        assert repo.answered_by == "index"
        assert [a.external_id for a in got] == [a.external_id for a in want] and total == want_total
    window = LibraryFilter(
        ArchiveFilter(now=NOW, delivered_min=(day + timedelta(days=10)).date(),
                      delivered_max=(day + timedelta(days=59)).date())
    )  # fmt: skip
    names = {a.external_id for a in repo.search_library(window, "newest", 0, 50)[0]}
    assert names == {"decades", "open", "open-late", "ends-first-day", "starts-last-day"}


def test_the_default_listing_follows_every_commit(engine: Engine, tmp_path: Path) -> None:
    """Every public ad, by spend: kept between commits, and new after each."""
    load(engine, 30)
    repo = LibraryRepository(engine, AdIndex(tmp_path / "index", engine))
    everything = LibraryFilter(ArchiveFilter(now=NOW))
    before, total = repo.search_library(everything, "spend", 0, 5)
    big = Ad(
        source="later",
        external_id="big",
        status=AdStatus.RUNNING,
        created_at=BASE,
        delivery=Delivery(currency="USD", spend=Decimal("99999"), spend_usd=Decimal("99999")),
    )
    BatchWriter(engine).write([big])
    after, total_after = repo.search_library(everything, "spend", 0, 5)
    assert repo.answered_by == "index" and total_after == total + 1
    assert after[0].external_id == "big" and [a.id for a in after[1:]] == [a.id for a in before[:4]]
    plain, plain_total = LibraryRepository(engine).search_library(everything, "spend", 0, 5)
    assert [a.id for a in after] == [a.id for a in plain] and total_after == plain_total


def test_the_names_counts_follow_every_commit(engine: Engine, tmp_path: Path) -> None:
    """The index keeps the names' counts between commits (``AdIndex.term_counts``): a new
    ad of a page and a page's ad removed from the library show in the next search's counts,
    which stay the database's."""
    load(engine, 60)
    index = AdIndex(tmp_path / "index", engine)
    repo = LibraryRepository(engine, index)
    before = repo.advertisers_named("page", limit=10)
    assert repo.advertisers_named("page", limit=10) == before  # kept: the same answer
    kind, page_id, name, count = before[0]
    page = next(p for p in PAGES if p.name == name)
    ad = replace(random_ad(random.Random(1), 999, "later"), page=page, status=AdStatus.RUNNING)
    BatchWriter(engine).write([ad])
    after = repo.advertisers_named("page", limit=10)
    assert (kind, page_id, name, count + 1) in after
    assert after == LibraryRepository(engine).advertisers_named("page", limit=10)
    with engine.begin() as conn:
        ids = (
            conn.execute(
                select(AdRow.id).where(AdRow.page_id == page_id, AdRow.status == "running")
            )
            .scalars()
            .all()
        )
        conn.execute(text("UPDATE ads SET status = 'pending' WHERE id = :id"), {"id": ids[0]})
        touch_ads(conn, [ids[0]])
    final = repo.advertisers_named("page", limit=10)
    assert (kind, page_id, name, count) in final
    assert final == LibraryRepository(engine).advertisers_named("page", limit=10)


def test_processes_writing_the_state_at_once_do_not_break_each_other(tmp_path: Path) -> None:
    """The server's workers each keep the index's state file current; one writer's rename
    must never take away the file another is about to rename (seen under load: a worker
    found its temporary file gone, and its search index unusable)."""
    import threading

    from paidfor.library.index_store import IndexState

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    indexes = [AdIndex(tmp_path / "index", engine, shards=1) for _ in range(4)]
    failures: list[BaseException] = []

    def write(index: AdIndex, n: int) -> None:
        try:
            for seq in range(200):
                index._write_state(IndexState("epoch", seq * 10 + n, 1, 1))
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(ix, n)) for n, ix in enumerate(indexes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert failures == []
    assert [p.name for p in (tmp_path / "index").iterdir() if p.name.endswith(".tmp")] == []


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_a_times_microseconds_are_exact(moment: datetime) -> None:
    """The ``start``/``stop`` fields: microseconds since 1970 by whole numbers (a float
    timestamp times a million can land one below), an aware time read as UTC's wall clock."""
    want = calendar.timegm(moment.timetuple()) * 1_000_000 + moment.microsecond
    assert micros(moment) == want
    assert micros(moment.replace(tzinfo=UTC)) == want
