"""Hostile input to every parser, by property (what tests/library/test_archive_params.py,
tests/web/test_search.py and tests/ingest/test_bad_rows.py already cover is not repeated):

* the five importers fed rows of real exports with one cell made hostile (quotes, huge and
  empty values, invalid UTF-8, NUL and other control characters, nested JSON, wrong types):
  every row is parsed or a ``FILE:LINE: reason`` error, nothing escapes, and on both databases
  the import finishes and reports the bad rows;
* ``ads_archive`` through HTTP: the JSON-array, comma-separated and repeated ``key[]=``
  spellings of a list give the same answer; hostile values are the Graph API's 400;
* the search syntax through the functions (``search_words``, FTS5 and tsquery building,
  the tantivy index) and through HTTP (``/api/search``, ``/v19.0/ads_archive``), with FTS
  operators, SQL fragments, long, empty, control and lone-surrogate text: a 400 that says
  why, or exactly the ads that hold every word of the query (the same set a plain Python
  scan finds), never a 500.

Deterministic (``derandomize=True``) and bounded in examples.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.domain import Ad, AdStatus, Creative, Delivery, Page
from paidfor.domain.serialize import ad_to_json
from paidfor.ingest.base import Parsed, RowError
from paidfor.ingest.pipeline import NUL_REASON, run_import
from paidfor.ingest.registry import SOURCES
from paidfor.interfaces.http.api.app import create_app
from paidfor.library.archive_store import ArchiveFilter, ArchiveRepository
from paidfor.library.search import LibraryQuery, LibraryQueryError
from paidfor.settings import Settings
from paidfor.storage.repo import AdRepository, search_words
from paidfor.storage.writer import BatchWriter

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(FAST, max_examples=15)

# --- the importers ------------------------------------------------------------------------

HOSTILE_TEXT = [
    "",
    " ",
    '"',
    '""',
    "'",
    '","',
    "\\",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\r",
    "\n\n",
    "x" * 100_000,
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    '{"a": {"b": [1, {"c": null}]}}',
    "'; DROP TABLE ads; --",
    "\u202e\ufeff\u200b",
    "😀" * 50,
]
HOSTILE_BYTES = [b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\x80abc"]
# Nested and wrong-typed JSON values for the JSON formats.
HOSTILE_JSON: list[Any] = [
    None,
    True,
    0,
    -(2**70),
    1.5e308,
    "x" * 100_000,
    [],
    [[[[[]]]]],
    {},
    {"lower_bound": {"x": []}},
    ["\x00"],
    {"": None},
]

hostile_text = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=40)
hostile_json = st.sampled_from(HOSTILE_JSON) | hostile_text | st.integers() | st.floats()


def _csv_head(path: Path, rows: int) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [next(reader) for _ in range(rows)]


CSV_SOURCES = {
    "hpsci-ira": "hpsci_ira_ads/ira_ads_clean.csv",
    "meta-report": "meta_ad_library/report_US_last_7_days_2023-06-01_advertisers.csv",
    "google-report": "google_political_ads/advertiser_stats_2018-08.csv",
}


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def _read_all(source: str, path: Path) -> list[Parsed | RowError]:
    items = list(SOURCES[source]().read(path))
    lines = path.read_bytes().count(b"\n") + 1
    for item in items:
        assert isinstance(item, Parsed | RowError), item
        if isinstance(item, RowError):
            assert 1 <= item.line <= lines, item
            assert re.fullmatch(rf"{re.escape(str(path))}:\d+: .+", str(item), re.S), item
    return items


def _native_record(n: int) -> dict[str, Any]:
    ad = Ad(
        source="hostile",
        external_id=f"h{n}",
        creative=Creative(bodies=[f"A plain ad number {n}"]),
        page=Page(name="Plain Page", external_id="777"),
        created_at=datetime(2020, 1, 2, tzinfo=UTC),
        status=AdStatus.RUNNING,
    )
    return {"kind": "ad", **ad_to_json(ad)}


def _meta_record(data_dir: Path, n: int) -> dict[str, Any]:
    raw = json.loads((data_dir / "meta_ad_library" / "ads_archive_record_example.json").read_text())
    return {**{k: v for k, v in raw.items() if k != "_id"}, "id": f"55{n}"}


@pytest.mark.parametrize("source", sorted(CSV_SOURCES))
def test_csv_importers_name_every_bad_row(
    source: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    header, rows = _csv_head(data_dir / CSV_SOURCES[source], 3)

    @FAST
    @given(
        row=st.integers(0, 2),
        col=st.integers(0, len(header) - 1),
        value=hostile_text,
        raw=st.none() | st.sampled_from(HOSTILE_BYTES),
        short=st.booleans(),
    )
    def check(row: int, col: int, value: str, raw: bytes | None, short: bool) -> None:
        cells = [list(r) for r in rows]
        cells[row][col] = value
        if short:
            cells[row] = cells[row][:-1]
        data = _csv_bytes(header, cells)
        if raw is not None:  # invalid UTF-8 in the middle of a line
            data = data.replace(b"\n", b"\n" + raw, 2)
        path = tmp_path_factory.mktemp("csv") / f"{source}.csv"
        path.write_bytes(data)
        items = _read_all(source, path)
        if short:
            assert any(isinstance(i, RowError) for i in items)

    check()


@pytest.mark.parametrize("source", ["meta-archive", "native"])
def test_json_importers_name_every_bad_row(
    source: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = _meta_record if source == "meta-archive" else (lambda _d, n: _native_record(n))
    records = [base(data_dir, n) for n in range(3)]
    keys = sorted(records[0])

    @FAST
    @given(
        row=st.integers(0, 2),
        key=st.sampled_from([*keys, "extra"]),
        value=hostile_json,
        garbage=st.none() | st.sampled_from([b"{", b"[1,2]", b'"x"', b"\xff", b"{}" * 3]),
    )
    def check(row: int, key: str, value: Any, garbage: bytes | None) -> None:
        recs = [dict(r) for r in records]
        recs[row][key] = value
        lines = [json.dumps(r).encode("utf-8", "surrogatepass") for r in recs]
        if garbage is not None:
            lines.insert(1, garbage)
        path = tmp_path_factory.mktemp("json") / "ads.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        items = _read_all(source, path)
        if garbage is not None:
            assert any(isinstance(i, RowError) and i.line == 2 for i in items), items

    check()


def test_hostile_rows_never_stop_an_import(engine: Engine, data_dir: Path, tmp_path: Path) -> None:
    """On both databases: NUL, invalid UTF-8, huge and nested values are reported or stored,
    and the good rows around them are imported."""
    header, rows = _csv_head(data_dir / CSV_SOURCES["hpsci-ira"], 4)
    text_col, id_col = header.index("Ad_Text"), header.index("Ad_ID")
    rows[0][text_col] = "before\x00after \x1b[31m"
    rows[1][text_col] = "x" * 200_000
    rows[2][id_col] = '{"nested": [1, 2]}'
    data = _csv_bytes(header, rows).replace(b"\n", b"\n\xff\xfe", 1)
    ira = tmp_path / "ira.csv"
    ira.write_bytes(data)
    report = run_import(engine, SOURCES["hpsci-ira"](), [ira], parallel=False)
    assert report.counts.inserted == 1  # the last row; the others are named, with why
    assert [(e.line, e.reason.split(" (")[0][:30]) for e in report.errors] == [
        (2, "holds the NUL character"),
        (3, "unreadable CSV: field larger t"),
        (4, "no Ad ID"),
    ]
    assert all(str(e).startswith(f"{ira}:") for e in report.errors)

    recs = [_native_record(n) for n in range(4)]
    recs[0]["creative"] = {"bodies": ["nul\x00inside"]}
    recs[1]["creative"] = {"bodies": [["nested"]]}
    recs[2]["delivery"] = {"impressions": {"x": [1]}}
    native = tmp_path / "ads.jsonl"
    native.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    report = run_import(engine, SOURCES["native"](), [native], parallel=False)
    assert report.counts.inserted == 1 and [e.line for e in report.errors] == [1, 2, 3]
    assert NUL_REASON in report.errors[0].reason
    assert all(re.match(rf"{re.escape(str(native))}:\d+: ", str(e)) for e in report.errors)


# --- a small library to search ------------------------------------------------------------

# Words of plain letters: every tokenizer (FTS5 unicode61, PostgreSQL's 'simple' parser,
# tantivy's) splits a text made of them at the same places.
VOCAB = [
    "police",
    "vote",
    "texas",
    "heart",
    "black",
    "matters",
    "jesus",
    "army",
    "free",
    "speech",
    "near",
    "and",
    "or",
    "not",
    "drop",
    "table",
    "ads",
    "x",
    "ünïcödé",
    "2016",
]
BODIES = [
    "Police brutality: Black Matters, vote!",
    'Heart of Texas - free speech, (and) not "near" the army',
    "Jesus army 2016 ads",
    "DROP TABLE ads; -- or not",
    "Ünïcödé matters x",
    "near NEAR( near* ^near near:police",
    "Free Texas! Vote or drop out",
    "plain words only",
]
SEARCH_OPERATORS = [
    "NEAR(",
    "NEAR/2",
    "*",
    '"',
    "AND",
    "OR",
    "NOT",
    "-",
    "^",
    ":",
    "(",
    ")",
    "+",
    "'; DROP TABLE ads; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "{",
    "}",
    "\x00",
    "\x01",
    "\x7f",
    "\ud800",
    "\udfff",
    "&",
    "|",
    "!",
    "<->",
    "@@",
    "ads_fts",
    "rank",
    " ",
]
hostile_query = st.lists(
    st.sampled_from(SEARCH_OPERATORS) | st.sampled_from(VOCAB) | st.text(max_size=6),
    max_size=8,
).map(" ".join) | st.sampled_from(["", " ", "x" * 201, "police " * 40, "\x00", "\ud800"])


def tokens(text: str) -> set[str]:
    return set(search_words(text))


def expected_ids(ids: dict[str, int], query: str) -> set[int]:
    """The ads holding every word of ``query`` (none for a query without words)."""
    want = tokens(query)
    return {i for body, i in ids.items() if want <= tokens(body)} if want else set()


def seed_library(engine: Engine) -> dict[str, int]:
    ads = [
        Ad(
            source="hostile",
            external_id=f"s{n}",
            creative=Creative(bodies=[body]),
            page=Page(name=f"Page {n}", external_id=f"88{n}"),
            created_at=datetime(2020, 1, 1 + n, tzinfo=UTC),
            start_at=datetime(2020, 1, 1 + n, tzinfo=UTC),
            status=AdStatus.RUNNING,
            delivery=Delivery(reached_countries=["US"]),
        )
        for n, body in enumerate(BODIES)
    ]
    BatchWriter(engine).write(ads)
    repo = AdRepository(engine)
    found = {body: repo.get_by_key("hostile", f"s{n}") for n, body in enumerate(BODIES)}
    return {body: ad.id for body, ad in found.items() if ad is not None and ad.id is not None}


@pytest.fixture
def library(engine: Engine) -> dict[str, int]:
    ids = seed_library(engine)
    assert len(ids) == len(BODIES)
    return ids


def test_search_functions_find_exactly_the_ads_with_every_word(
    engine: Engine, library: dict[str, int]
) -> None:
    repo = AdRepository(engine)

    @FAST
    @given(query=hostile_query)
    def check(query: str) -> None:
        found = {ad.id for ad in repo.search(query, limit=100)}
        assert found == expected_ids(library, query), (query, found)
        assert repo.count_search(query) == len(found)
        phrase = {ad.id for ad in repo.search(query, phrase=True, limit=100)}
        assert phrase <= found

    check()
    assert {a.id for a in repo.search('police* "black')} == {library[BODIES[0]]}
    assert {a.id for a in repo.search("'; DROP TABLE ads; --")} == {library[BODIES[3]]}
    assert {a.id for a in repo.search('NEAR(near "police"')} == {library[BODIES[5]]}


def test_a_literal_word_finds_every_ad_that_holds_it(
    engine: Engine, library: dict[str, int]
) -> None:
    repo = AdRepository(engine)
    for word in sorted({w for body in BODIES for w in tokens(body)}):
        want = {i for body, i in library.items() if word in tokens(body)}
        assert {a.id for a in repo.search(word, limit=100)} == want, word
        assert {a.id for a in repo.search(word.upper(), limit=100)} == want, word


GLUED = {  # a text, and the words of it a search must find
    "see example.com": ["example", "com", "see example"],
    "raised 3.5 million": ["3", "5", "3 5 million"],
    "write to a@b.org now": ["a", "b", "org", "b org now"],
    "the <police> state": ["police", "the police state"],
    "anti-war rally": ["anti", "war", "anti war rally"],
    "snake_case stays one word": ["snake_case"],
}


def test_an_archive_word_typed_with_punctuation_is_found_on_both_databases(
    engine: Engine,
) -> None:
    """The Ad Library API's words reach the database as typed ("e-mail"): on PostgreSQL each
    is the phrase of its parts with its punctuation spaced out as in the indexed text
    (``bulk.pg_search_phrase``), as FTS5 and the tantivy index read it; it asked for an
    "e-mail" token, which the text, split at the hyphen since migration 0019, never holds."""
    bodies = {"hy": "send us an e-mail today", "no": "email us", "far": "e then mail"}
    BatchWriter(engine).write([
        Ad(source="hostile", external_id=key, creative=Creative(bodies=[body]),
           created_at=datetime(2020, 1, 1, tzinfo=UTC), status=AdStatus.RUNNING)
        for key, body in bodies.items()
    ])  # fmt: skip
    repo = ArchiveRepository(engine)
    now = datetime(2021, 1, 1)

    def found(**query: Any) -> set[str]:
        return {
            a.external_id
            for a in repo.archive(ArchiveFilter(now=now, **query), before_id=None, limit=10)
        }

    assert found(search_words=("e-mail",)) == {"hy"}  # a word of two parts: their phrase
    assert found(search_words=("mail", "e")) == {"hy", "far"}  # every word, any order
    assert found(search_phrases=(("an", "e-mail"),)) == {"hy"}
    assert found(search_phrases=(("e-mail", "today"),)) == {"hy"}


def test_a_word_glued_to_punctuation_is_found_on_both_databases(engine: Engine) -> None:
    """PostgreSQL's 'simple' parser kept 'example.com', '3.5' and 'a@b.org' as single tokens
    (and took '<police>' for a tag), so the database search missed the words inside them;
    the indexed vector (``bulk.PG_SEARCH_VECTOR``, migration 0019) splits them as the query's
    words (``search_words``), FTS5 and the tantivy index do."""
    ads = [
        Ad(
            source="hostile",
            external_id=f"glued{n}",
            creative=Creative(bodies=[body]),
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
            status=AdStatus.RUNNING,
        )
        for n, body in enumerate(GLUED)
    ]
    BatchWriter(engine).write(ads)
    repo = AdRepository(engine)
    for n, (body, queries) in enumerate(GLUED.items()):
        for query in queries:
            want = {f"glued{m}" for m, b in enumerate(GLUED) if tokens(query) <= tokens(b)}
            assert f"glued{n}" in want
            found = {a.external_id for a in repo.search(query, limit=100)}
            assert found == want, (body, query)
            phrase = {a.external_id for a in repo.search(query, phrase=True, limit=100)}
            assert f"glued{n}" in phrase, (body, query)


@pytest.fixture(params=["index", "database"])
def search_api(
    request: pytest.FixtureRequest, db_url: str, library: dict[str, int], tmp_path: Path
) -> Iterator[TestClient]:
    """The app on the seeded library, searching through the tantivy index (a library this
    small is indexed inline by the first search) or the database."""
    use_index = request.param == "index"
    app_settings = Settings(
        index_dir=str(tmp_path / "index"),
        search_index=use_index,
        archive_rate_limit=1_000_000,
        secret_key="hostile-input-key",
    )
    with TestClient(create_app(db_url, app_settings), raise_server_exceptions=False) as client:
        yield client


def _raw_get(client: TestClient, path: str, **params: str) -> Any:
    """A GET with each value percent-encoded byte by byte (lone surrogates as their
    surrogatepass bytes: invalid UTF-8, as a hostile client may send)."""
    qs = "&".join(
        f"{k}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}" for k, v in params.items()
    )
    return client.get(f"{path}?{qs}")


def test_search_over_http_answers_hostile_queries(
    search_api: TestClient, library: dict[str, int]
) -> None:
    @SLOW
    @given(query=hostile_query)
    def check(query: str) -> None:
        r = _raw_get(search_api, "/api/search", q=query, per_page="100")
        assert r.status_code in (200, 400), (query, r.status_code, r.text)
        decoded = query.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if r.status_code == 400:
            error = r.json()["error"]
            assert error["param"] == "q" and error["message"], error
            assert len(decoded) > 200 or not search_words(decoded) or "\x00" in decoded
            return
        # No words at all (a blank query) is no text filter: every ad.
        want = expected_ids(library, decoded) if search_words(decoded) else set(library.values())
        found = {ad["id"] for ad in r.json()["ads"]}
        assert {int(i) for i in found} == want, query

        r = _raw_get(
            search_api,
            "/v19.0/ads_archive",
            search_terms=query,
            ad_reached_countries="US",
            fields="id",
            limit="100",
        )
        assert r.status_code in (200, 400), (query, r.status_code, r.text)
        if r.status_code == 400:
            assert r.json()["error"]["type"] == "OAuthException", r.text
            return
        got = {int(ad["id"]) for ad in r.json()["data"]}
        assert got == want, (query, got)

    check()


# --- ads_archive's array spellings through HTTP ------------------------------------------

countries = st.lists(st.sampled_from(["US", "DE", "GB", "FR", "RU"]), min_size=1, max_size=4)


def _archive(client: TestClient, pairs: list[tuple[str, str]]) -> Any:
    base = [("fields", "id"), ("limit", "100"), ("ad_active_status", "ALL")]
    return client.get("/v19.0/ads_archive", params=base + pairs)


def test_archive_array_spellings_agree_over_http(
    search_api: TestClient, library: dict[str, int]
) -> None:
    @SLOW
    @given(codes=countries)
    def check(codes: list[str]) -> None:
        spellings = [
            [("ad_reached_countries", json.dumps(codes))],
            [("ad_reached_countries", ",".join(codes))],
            [("ad_reached_countries[]", c) for c in codes],
        ]
        answers = []
        for pairs in spellings:
            r = _archive(search_api, pairs)
            assert r.status_code == 200, (pairs, r.text)
            answers.append(sorted(ad["id"] for ad in r.json()["data"]))
        assert answers[0] == answers[1] == answers[2], (codes, answers)
        want = len(library) if "US" in codes else 0
        assert len(answers[0]) == want

    check()


HOSTILE_ARRAYS = [
    '["US"',
    "['US]",
    '[{"a": 1}]',
    '[["US"]]',
    '["US" "DE"]',
    "[",
    "]",
    '{"US": 1}',
    '"US',
    "x" * 5000,
    "\x00",
    "\ud800",
    "US,,DE[",
    "[null]",
    "['US' 'GB']",
]


def test_archive_hostile_arrays_are_graph_400s(search_api: TestClient) -> None:
    @SLOW
    @given(
        value=st.sampled_from(HOSTILE_ARRAYS) | st.text(max_size=20),
        name=st.sampled_from(
            ["ad_reached_countries", "search_page_ids", "languages", "publisher_platforms"]
        ),
    )
    def check(value: str, name: str) -> None:
        params = {"ad_reached_countries": "US", "fields": "id", name: value}
        r = _raw_get(search_api, "/v19.0/ads_archive", **params)
        assert r.status_code in (200, 400), (name, value, r.status_code, r.text)
        if r.status_code == 400:
            error = r.json()["error"]
            assert error["type"] == "OAuthException" and error["code"] == 100, error
            assert error["message"].startswith("(#100) "), error
            assert "fbtrace_id" in error

    check()
    for value in ('["US"', "['US]", '[{"a": 1}]', '["US" "DE"]'):
        r = _archive(search_api, [("ad_reached_countries", value)])
        assert r.status_code == 400 and r.json()["error"]["code"] == 100, value


# --- the query-string parser with hostile text -------------------------------------------


@FAST
@given(q=hostile_query)
def test_library_query_parse_gives_a_query_or_a_q_error(q: str) -> None:
    try:
        query = LibraryQuery.parse([("q", q)])
    except LibraryQueryError as exc:
        assert exc.param == "q" and exc.message
        assert len(q.strip()) > 200 or not search_words(q)
    else:
        assert query.q == q.strip() and (search_words(query.q) or not query.q)
