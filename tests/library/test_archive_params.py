"""The ads_archive array-parameter parser and cursors, by property."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidfor.library.archive_params import (
    ArchiveParamError,
    decode_cursor,
    encode_cursor,
    parse_array,
)

# Items any spelling can carry: no quotes, commas, brackets or backslashes.
plain = st.text(
    alphabet=st.characters(exclude_characters="'\",[]\\", exclude_categories=["Cs"]),
    max_size=12,
)


def expected(items: list[str]) -> list[str]:
    return [s.strip() for s in items if s.strip()]


def quoted(s: str, q: str) -> str:
    return q + s.replace("\\", "\\\\").replace(q, "\\" + q) + q


@given(st.lists(plain, max_size=6))
def test_every_spelling_of_plain_items_agrees(items: list[str]) -> None:
    want = expected(items)
    spellings = [
        [json.dumps(items)],  # what the facebook_business SDK sends
        ["[" + ", ".join(quoted(s, "'") for s in items) + "]"],  # Meta's own examples
        ["[" + ",".join(quoted(s, '"') for s in items) + "]"],
        ["[" + ",".join(items) + "]"],
        [",".join(items)],
        list(items),  # the parameter repeated
    ]
    for spelling in spellings:
        assert parse_array(spelling) == want, spelling


@given(st.lists(st.text(max_size=12), max_size=6))
def test_quoted_spellings_carry_any_text(items: list[str]) -> None:
    want = expected(items)
    assert parse_array([json.dumps(items)]) == want
    assert parse_array([json.dumps(items, ensure_ascii=False)]) == want
    assert parse_array(["[" + ", ".join(quoted(s, "'") for s in items) + "]"]) == want


@given(st.lists(st.text(max_size=30), max_size=4))
def test_anything_either_parses_or_is_a_param_error(values: list[str]) -> None:
    try:
        out = parse_array(values)
    except ArchiveParamError as exc:
        assert str(exc).startswith("(#100) ")
    else:
        assert all(isinstance(v, str) and v and v == v.strip() for v in out)


def test_examples() -> None:
    assert parse_array(["['US']"]) == ["US"]
    assert parse_array(["US,GB"]) == ["US", "GB"]
    assert parse_array(['["US"]']) == ["US"]
    assert parse_array(["['Friends of X, Inc.', 'B']"]) == ["Friends of X, Inc.", "B"]
    assert parse_array(["[123, 456]"]) == ["123", "456"]
    assert parse_array(["[]", "", " , "]) == []
    with pytest.raises(ArchiveParamError):
        parse_array(["['US]"])  # unterminated quote
    with pytest.raises(ArchiveParamError):
        parse_array(['[{"a": 1}]'])
    with pytest.raises(ArchiveParamError):
        parse_array(["['US' 'GB']"])


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_cursors_round_trip(n: int) -> None:
    cursor = encode_cursor(n)
    assert "=" not in cursor and decode_cursor(cursor) == n


@given(st.integers(min_value=2**63, max_value=2**200))
def test_a_cursor_past_the_largest_id_is_refused(n: int) -> None:
    with pytest.raises(ArchiveParamError, match="Invalid cursor"):
        decode_cursor(encode_cursor(n))


@pytest.mark.parametrize("bad", ["", "!!!", "MTIz", encode_cursor(5)[:-2] + "$$"])
def test_foreign_cursors_are_refused(bad: str) -> None:
    with pytest.raises(ArchiveParamError):
        decode_cursor(bad)
