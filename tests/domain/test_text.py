"""The name rule (``domain.text.clean_name``), by example and by property."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paidfor.domain.text import BIDI_CONTROLS, clean_name


@pytest.mark.parametrize(
    "name",
    [
        "\u200b\u200b",  # zero-width spaces only
        "\u2060\ufeff",
        "\u200d",
        "   ",
        "\u3000",  # an ideographic space
        "\u00ad",  # a soft hyphen (Cf): nothing visible
        "\u200c \u200d",
    ],
)
def test_a_name_with_nothing_visible_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="no visible character"):
        clean_name(name)


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_refused(control: str) -> None:
    with pytest.raises(ValueError, match="bidirectional"):
        clean_name(f"Official {control}VOG\u202c Page")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Citizens\u200b for Jane", "Citizens for Jane"),
        ("\ufeffFriends  of\tParks ", "Friends of Parks"),
        ("\uff2a\uff41\uff4e\uff45", "Jane"),  # full-width letters
        ("ﬁnance watch", "finance watch"),  # a ligature
        ("می\u200cخواهم", "می\u200cخواهم"),  # Persian needs its zero-width non-joiner
        ("👩\u200d💻 Coders", "👩\u200d💻 Coders"),  # an emoji sequence keeps its joiner
        ("a\u200d b", "a b"),  # a joiner next to a space joins nothing
    ],
)
def test_names_are_stored_in_one_form(typed: str, stored: str) -> None:
    assert clean_name(typed) == stored


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=30))
def test_a_kept_name_is_visible_normalised_and_stable(name: str) -> None:
    try:
        out = clean_name(name)
    except ValueError:
        return
    assert out == out.strip() and "  " not in out
    assert unicodedata.normalize("NFKC", out) == out or any(c in out for c in "\u200c\u200d")
    assert not set(out) & BIDI_CONTROLS
    assert not {"\u200b", "\u2060", "\ufeff"} & set(out)
    assert any(unicodedata.category(c)[0] in "LNMPS" for c in out)
    assert clean_name(out) == out  # idempotent
