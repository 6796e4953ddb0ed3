"""Broken rows are skipped and named by file and line; every other row is imported."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.ingest.base import RowError, read_csv
from paidfor.ingest.hpsci_ira import HpsciIra, parse_count, parse_label_date, parse_money
from paidfor.ingest.pipeline import ImportAborted, run_import
from paidfor.storage.repo import AdRepository

from conftest import IRA_CLEAN, IRA_RAW


def _real_rows(path: Path, n: int) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [row for _, row in zip(range(n), reader, strict=False)]
        return list(reader.fieldnames or []), rows


def _write(path: Path, header: list[str], rows: list[list[str] | dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_clean_layout_broken_rows_are_named_by_line(engine: Engine, tmp_path: Path) -> None:
    header, good = _real_rows(IRA_CLEAN, 6)
    bad_id = {**good[0], "Ad_ID": " "}
    bad_count = {**good[1], "Impressions": "12x4"}
    bad_date = {**good[2], "Create_Date": "2016-02-30"}
    bad_spend = {**good[3], "Spend_RUB": "-15.00"}
    short = list(good[4].values())[:5]
    rows: list[list[str] | dict[str, str]] = [
        good[5],
        bad_id,
        good[0],
        bad_count,
        bad_date,
        good[1],
        bad_spend,
        short,
        good[2],
    ]
    f = tmp_path / "broken.csv"
    _write(f, header, rows)

    report = run_import(engine, HpsciIra(), [f])
    by_line = {e.line: e.reason for e in report.errors}
    assert sorted(by_line) == [3, 5, 6, 8, 9]
    assert "empty Ad ID" in by_line[3]
    assert "Impressions" in by_line[5] and "12x4" in by_line[5]
    assert "2016-02-30" in by_line[6]
    assert "negative" in by_line[8]
    assert "5 cells" in by_line[9]
    assert all(e.file == str(f) for e in report.errors)
    assert report.counts.inserted == 4  # good[5], good[0], good[1], good[2]
    assert AdRepository(engine).stats().ads == 4


def test_raw_layout_broken_rows_with_multiline_cells(engine: Engine, tmp_path: Path) -> None:
    header, good = _real_rows(IRA_RAW, 4)
    assert any("\n" in v for v in good[0].values())  # the real rows span several lines
    bad_date = {**good[1], "Ad Creation Date": "13/45/16 01:02:03 AM PDT"}
    bad_clicks = {**good[2], "Ad Clicks": "many"}
    f = tmp_path / "raw.csv"
    _write(f, header, [good[0], bad_date, bad_clicks, good[3]])
    text = f.read_text(encoding="utf-8")
    # the line each record starts on, counted in the file as written
    starts, line = [], 2
    for row in [good[0], bad_date, bad_clicks, good[3]]:
        starts.append(line)
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([row[h] for h in header])
        line += buf.getvalue().count("\n")
    assert text.count("\n") == line - 1

    report = run_import(engine, HpsciIra(), [f])
    first = report.errors[0]
    assert first.line == starts[1]
    assert "impossible" in first.reason or "unreadable" in first.reason
    assert report.errors[1].line == starts[2] and "Ad Clicks" in report.errors[1].reason
    assert report.counts.inserted == 2


def test_strict_stops_at_the_first_bad_row(engine: Engine, tmp_path: Path) -> None:
    header, good = _real_rows(IRA_CLEAN, 5)
    f = tmp_path / "strict.csv"
    _write(f, header, [good[0], good[1], {**good[2], "Clicks": "x"}, good[3]])
    with pytest.raises(ImportAborted) as info:
        run_import(engine, HpsciIra(), [f], strict=True)
    assert info.value.error.line == 4
    assert AdRepository(engine).stats().ads == 2  # rows before the bad one are kept


def test_dry_run_writes_nothing(engine: Engine) -> None:
    report = run_import(engine, HpsciIra(), [IRA_CLEAN], dry_run=True)
    assert report.counts.inserted == 3517
    assert AdRepository(engine).stats().ads == 0


def test_missing_file_is_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        run_import(engine, HpsciIra(), [tmp_path / "nope.csv"])


# -- parsers, as properties ---------------------------------------------------------------


@given(st.text(max_size=60))
@example("²")  # str.isdigit() says yes, Decimal() says no
@example("1²,00 RUB")
def test_parse_money_raises_only_value_errors(text: str) -> None:
    try:
        value = parse_money(text)
    except ValueError:
        return
    assert value >= 0


@given(st.text(max_size=30))
@example("²")
def test_parse_count_raises_only_value_errors(text: str) -> None:
    try:
        value = parse_count(text, "Impressions")
    except ValueError:
        return
    assert value is None or value >= 0


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_parse_money_reads_every_ocr_thousands_separator(whole: int, cents: int) -> None:
    plain = f"{whole:,}".replace(",", "{}")
    for sep in (",", ".", ";"):
        text = plain.format(*([sep] * plain.count("{}"))) + f".{cents:02d} RUB"
        assert str(parse_money(text)) == f"{whole}.{cents:02d}"


@given(st.text(max_size=40))
def test_parse_label_date_raises_only_value_errors(text: str) -> None:
    try:
        moment = parse_label_date(text)
    except ValueError:
        return
    assert moment.tzinfo is not None


@given(
    st.datetimes(
        min_value=__import__("datetime").datetime(2000, 1, 1),
        max_value=__import__("datetime").datetime(2099, 12, 31),
    ),
    st.sampled_from(["PDT", "PST"]),
)
def test_parse_label_date_round_trips(moment, zone: str) -> None:  # type: ignore[no-untyped-def]
    moment = moment.replace(microsecond=0)
    text = moment.strftime("%m/%d/%y %I:%M:%S %p ") + zone
    parsed = parse_label_date(text)
    assert parsed.replace(tzinfo=None) == moment
    assert parsed.utcoffset().total_seconds() == (-7 if zone == "PDT" else -8) * 3600  # type: ignore[union-attr]


@settings(max_examples=60)
@given(st.lists(st.lists(st.text(max_size=8), max_size=6), max_size=8), st.integers(1, 6))
def test_read_csv_never_crashes_and_counts_lines(tmp_path_factory, rows, width) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    _write(path, [f"c{i}" for i in range(width)], rows)
    items = list(read_csv(path))
    for item in items:
        if isinstance(item, RowError):
            assert item.line >= 2
        else:
            line, row = item
            assert line >= 2 and len(row) == width
