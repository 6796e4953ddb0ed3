"""The native importer's short way (a line straight into its row, ``ingest.native_rows``)
gives exactly the row of the long way (``ad_from_json`` then ``prepare_ad``) or refuses
exactly what it refuses; unchanged lines are skipped unread and still counted; rows stored
by the value hash of an older version are recognised."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.domain import Ad, Funder, Page
from paidfor.domain.money import default_rates
from paidfor.domain.serialize import ad_from_json
from paidfor.ingest import pipeline
from paidfor.ingest.base import Parsed, RowError, Same
from paidfor.ingest.native import Native
from paidfor.ingest.native_rows import ad_row, line_hash, line_key
from paidfor.ingest.pipeline import run_import, unlinked
from paidfor.storage.prepare import STATIC_COLUMNS, params_hash, prepare_ad
from paidfor.storage.repo import AdRepository

UNREADABLE = (ValueError, KeyError, TypeError, AttributeError)

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_ANY = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), _TEXT, st.lists(_TEXT, max_size=2)
)
_TIME = st.one_of(
    st.none(),
    st.just(""),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),  # no offset: refused
    _ANY,
)
_STRINGS = st.one_of(st.lists(st.one_of(_TEXT, st.integers(0, 99)), max_size=3), _ANY)
_URL = st.one_of(
    st.none(),
    st.sampled_from(["https://a.example/x?y=1", "http://b.example", "javascript:alert(1)", "x"]),
    _ANY,
)
_RANGE = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"lower": st.integers(0, 9999), "upper": st.one_of(st.none(), st.integers(0, 99999))}
    ),
    _ANY,
)  # fmt: skip
_LOCATION = st.fixed_dictionaries(
    {"country": st.sampled_from(["US", "GB"])},
    optional={"region": st.one_of(st.none(), _TEXT), "city": st.none(), "radius_km": st.none(),
              "raw": st.none(), "zip": _TEXT},
)  # fmt: skip
_TARGETING = st.one_of(
    st.none(),
    st.just({}),
    st.fixed_dictionaries(
        {"locations": st.lists(_LOCATION, max_size=2), "excluded_locations": st.just([]),
         "age_min": st.one_of(st.none(), st.integers(13, 65)), "age_max": st.none(),
         "genders": st.just([]), "languages": st.just(["en"]), "placements": st.just([]),
         "interests": st.lists(_TEXT, max_size=2), "behaviors": st.just([]),
         "people_who_match": st.just([]), "custom_audiences": st.just([]),
         "excluded_connections": st.just([]), "connections": st.just([]),
         "friends_of_connections": st.just([]), "raw": st.just({}),
         "excluded_behaviors": st.just([])},
        optional={"unknown": _TEXT},
    ),
    st.dictionaries(st.sampled_from(["locations", "age_min", "interests"]), _ANY, max_size=2),
)  # fmt: skip
_MONEY = st.one_of(
    st.none(),
    st.sampled_from(["9.98", "0", "-1", "NaN", "1e3", "x", "12345678.123"]),
    st.integers(-3, 10**6),
    st.floats(allow_nan=True),
)


def _records() -> st.SearchStrategy[dict[str, Any]]:
    """Readable ad records, and the same with one field given any value at all."""
    creative = st.fixed_dictionaries(
        {},
        optional={"bodies": st.lists(_TEXT, max_size=3), "link_titles": st.lists(_TEXT, max_size=2),
                  "link_captions": st.lists(st.one_of(_TEXT, st.integers(0, 9)), max_size=2),
                  "link_descriptions": st.lists(_TEXT, max_size=2), "landing_url": _URL,
                  "image_hashes": st.lists(_TEXT, max_size=2)},
    )  # fmt: skip
    page = st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {"name": _TEXT},
            optional={"kind": st.sampled_from(["page", "domain", ""]),
                      "external_id": st.one_of(st.none(), _TEXT, st.integers(0, 99)),
                      "url": _URL, "country": st.sampled_from(["US", None]),
                      "created_at": _TIME},
        ),
    )  # fmt: skip
    delivery = st.fixed_dictionaries(
        {},
        optional={"currency": st.sampled_from(["USD", "RUB", "GBP", "XXX", "", None]),
                  "spend": _MONEY, "spend_usd": _MONEY, "spend_range": _RANGE,
                  "impressions": st.one_of(st.none(), st.integers(0, 10**6)),
                  "impressions_range": _RANGE, "clicks": st.one_of(st.none(), st.integers(0, 99)),
                  "demographic_distribution": st.just([{"age": "18-24", "percentage": "0.5"}]),
                  "delivery_by_region": st.just([{"region": "Texas", "percentage": "1"}]),
                  "reached_countries": st.just(["US"])},
    )  # fmt: skip
    good = st.fixed_dictionaries(
        {"source": st.sampled_from(["t", "meta"]),
         "external_id": st.one_of(_TEXT, st.integers(1, 99))},
        optional={
            "kind": st.just("ad"),
            "creative": creative,
            "page": page,
            "funder": st.one_of(st.none(), st.fixed_dictionaries({"name": _TEXT})),
            "advertiser": st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"name": _TEXT},
                    optional={"external_id": _TEXT, "source": _TEXT,
                              "payment_instruments": st.just([{"currency": "RUB"}])},
                ),
            ),
            "targeting": _TARGETING,
            "delivery": delivery,
            "created_at": _TIME,
            "start_at": _TIME,
            "stop_at": _TIME,
            "status": st.sampled_from(["approved", "running", "stopped", "APPROVED", "", None]),
            "removal_reason": st.one_of(st.none(), _TEXT),
            "is_political": st.one_of(st.none(), st.booleans()),
            "political_score": st.one_of(st.none(), st.floats(0, 1)),
            "platforms": st.lists(_TEXT, max_size=2),
            "languages": st.lists(_TEXT, max_size=2),
            "ad_type": st.one_of(st.none(), _TEXT),
        },
    )  # fmt: skip
    fields = ["source", "external_id", "creative", "page", "funder", "advertiser", "targeting",
              "delivery", "created_at", "status", "platforms", "ad_type"]  # fmt: skip

    def spoil(record: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.tuples(st.sampled_from(fields), _ANY).map(lambda kv: {**record, kv[0]: kv[1]})

    return st.one_of(good, good.flatmap(spoil))


def _long_way(obj: dict[str, Any], dialect: str) -> tuple[Any, list[str]]:
    ad = ad_from_json(obj)
    d = ad.delivery
    rates = default_rates()
    if d.spend is not None and d.spend_usd is None and d.currency:  # as Native.read
        day = ad.started_at
        d.spend_usd = rates.to_usd(d.spend, d.currency, day.date() if day else None)
    return prepare_ad(ad, dialect, digest="h" * 32), unlinked(ad)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj=_records())
def test_the_short_way_gives_the_row_of_the_long_way(obj: dict[str, Any], dialect: str) -> None:
    try:
        expected, notes = _long_way(obj, dialect)
    except UNREADABLE:
        with pytest.raises(Exception):  # noqa: B017 (the importer then asks the long way)
            ad_row(obj, "h" * 32, default_rates(), sqlite=dialect == "sqlite")
        return
    got, got_notes = ad_row(obj, "h" * 32, default_rates(), sqlite=dialect == "sqlite")
    assert dict(zip(STATIC_COLUMNS, got.params, strict=True)) == dict(
        zip(STATIC_COLUMNS, expected.params, strict=True)
    )
    assert (got.key, got.page, got.funder, got.advertiser) == (
        expected.key, expected.page, expected.funder, expected.advertiser,
    )  # fmt: skip
    assert got_notes == notes
    # a parsing process pickles its rows to the writer (PreparedAd.__reduce__): nothing lost
    assert pickle.loads(pickle.dumps(got)) == got
    assert pickle.loads(pickle.dumps(expected)) == expected


def test_a_row_pickles_a_verified_funder_whole() -> None:
    ad = Ad(source="t", external_id="v", funder=Funder(name="F", verified=True, id=7),
            page=Page(name="P", url="https://www.facebook.com/p"))  # fmt: skip
    row = prepare_ad(ad)
    again = pickle.loads(pickle.dumps(row))
    assert again == row and again.funder == Funder(name="F", verified=True, id=7)


def _ad_line(n: int, **extra: Any) -> str:
    record = {"kind": "ad", "source": "t", "external_id": f"a{n}",
              "creative": {"bodies": [f"vote {n}"], "landing_url": "https://a.example/x"},
              "page": {"name": f"P{n % 3}", "url": "https://www.facebook.com/p"},
              "funder": {"name": "F"}, "status": "approved", **extra}  # fmt: skip
    return json.dumps(record)


def test_a_line_key_is_read_from_its_first_bytes_or_not_at_all() -> None:
    assert line_key(_ad_line(7).encode()) == ("t", "a7")
    assert line_key(b'{"source": "t", "external_id": "x\\"y"}') is None  # escapes: read in full
    assert line_key(b'{"creative": {}, "source": "t", "external_id": "1"}') is None
    assert line_hash(b"{}\n") == line_hash(b"{}") != line_hash(b"{ }")


def test_unchanged_lines_are_same_and_a_changed_or_repeated_key_is_a_row(tmp_path: Path) -> None:
    lines = [_ad_line(1), _ad_line(2), _ad_line(3), _ad_line(1, status="removed")]
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join(lines) + "\n")
    stored = {("t", "a1"): line_hash(lines[0].encode()), ("t", "a2"): line_hash(b"other")}
    items = list(
        Native().rows(path, known=lambda keys: {k: stored[k] for k in keys if k in stored})
    )
    kinds = [(type(i).__name__, i.line) for i in items]
    # a1 unchanged; a2 changed; a3 new; a1 again differently: a row, after which the last wins
    assert kinds == [("Same", 1), ("Parsed", 2), ("Parsed", 3), ("Parsed", 4)]
    assert isinstance(items[0], Same) and items[0].key == ("t", "a1")


def test_a_reimport_skips_what_it_stored_and_writes_what_changed(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join(_ad_line(n) for n in range(50)) + "\nnot json\n")
    first = run_import(engine, Native(), [path])
    assert (first.counts.inserted, [e.line for e in first.errors]) == (50, [51])
    again = run_import(engine, Native(), [path])
    assert (again.counts.inserted, again.counts.updated, again.counts.unchanged) == (0, 0, 50)
    assert [e.line for e in again.errors] == [51]  # a bad row is named every time
    lines = path.read_text().splitlines()
    lines[3] = _ad_line(3, status="removed")
    lines.append(_ad_line(99))
    path.write_text("\n".join(lines) + "\n")
    third = run_import(engine, Native(), [path])
    assert (third.counts.inserted, third.counts.updated, third.counts.unchanged) == (1, 1, 49)
    assert AdRepository(engine).stats().ads == 51
    with engine.connect() as conn:
        status = conn.exec_driver_sql("SELECT status FROM ads WHERE external_id = 'a3'").scalar()
    assert status == "removed"


def test_a_reimport_of_a_stored_file_is_read_by_the_writer_alone(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-import whose first lines are stored unchanged starts no parsing process (it
    would have nothing to parse); a first load and a file of changed ads do (what the
    default chooses, every file large enough here)."""
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "SAMPLE_LINES", 20)
    path = tmp_path / "ads.jsonl"
    lines = [_ad_line(n) for n in range(40)]
    path.write_text("\n".join(lines) + "\n")
    first = run_import(engine, Native(), [path])
    assert first.parsers >= 2 and first.counts.inserted == 40  # a first load: shared out
    assert pipeline.mostly_stored(Native(), path, engine.dialect.name, pipeline.lookup(engine))
    again = run_import(engine, Native(), [path])
    assert again.parsers == 0 and again.counts.unchanged == 40
    lines[:3] = [_ad_line(n, status="removed") for n in range(3)]  # 3 of the 20 first
    path.write_text("\n".join(lines) + "\n")
    changed = run_import(engine, Native(), [path])
    assert changed.parsers == 1 and (changed.counts.updated, changed.counts.unchanged) == (3, 37)
    assert run_import(engine, Native(), [path], parallel=True).parsers == 1  # as asked


def test_rows_stored_by_the_value_hash_are_unchanged_and_restamped(
    engine: Engine, tmp_path: Path
) -> None:
    """What an older version stored (its hash of the values) is recognised, not rewritten."""
    from paidfor.storage.writer import BatchWriter, stored_hashes

    lines = [_ad_line(n) for n in range(5)]
    BatchWriter(engine).write([ad_from_json(orjson.loads(line)) for line in lines])
    path = tmp_path / "ads.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = run_import(engine, Native(), [path])
    assert (report.counts.inserted, report.counts.updated, report.counts.unchanged) == (0, 0, 5)
    with engine.connect() as conn:
        hashes = stored_hashes(conn, [("t", f"a{n}") for n in range(5)])
    assert hashes == {("t", f"a{n}"): line_hash(lines[n].encode()) for n in range(5)}


def test_a_row_read_the_short_way_keeps_its_unlinked_notes(tmp_path: Path) -> None:
    path = tmp_path / "ads.jsonl"
    path.write_text(_ad_line(1, page={"name": "P", "url": "javascript:alert(1)"}) + "\n")
    (item,) = list(Native().rows(path))
    assert isinstance(item, Parsed) and not isinstance(item, RowError)
    assert item.notes and "the page's url" in item.notes[0]
    assert isinstance(ad_from_json(orjson.loads(path.read_bytes())), Ad)
    assert params_hash(item.item.params, None, None, None)  # type: ignore[union-attr]


def test_an_amount_that_is_not_a_number_is_a_bad_row(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "ads.jsonl"
    path.write_text(_ad_line(1, delivery={"spend": "x"}) + "\n" + _ad_line(2) + "\n")
    report = run_import(engine, Native(), [path])
    assert report.counts.inserted == 1
    assert [(e.line, "not an amount" in e.reason) for e in report.errors] == [(1, True)]
