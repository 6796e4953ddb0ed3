"""``views.share`` reads a distribution's percentage exactly as a Decimal reading would."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from paidfor.library.views import share


def reference(value: Any) -> float | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return float(number) if number.is_finite() and 0 <= number <= 1 else None


numbers = st.floats(allow_nan=True, allow_infinity=True) | st.decimals(allow_nan=False).map(str)


@given(numbers | st.text(max_size=12) | st.integers(-3, 3) | st.none())
def test_share_agrees_with_a_decimal_reading(value: Any) -> None:
    assert share(value) == reference(value)


def test_examples() -> None:
    assert share("0.25") == 0.25 and share(1) == 1.0 and share(0) == 0.0
    assert share("1.5") is None and share("-0.1") is None and share(True) is None
    assert share("NaN") is None and share({"x": 1}) is None and share("") is None


def reference_distribution(items: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        pct = reference(item.get("percentage"))
        if pct is not None:
            row: dict[str, Any] = {k: str(item.get(k) or "unknown") for k in keys}
            row["percentage"] = pct
            out.append(row)
    return out


values = numbers | st.text(max_size=6) | st.none() | st.booleans() | st.integers(-2, 2)
items = st.lists(
    st.dictionaries(st.sampled_from(["age", "gender", "region", "percentage"]), values),
    max_size=8,
)


@given(items, st.sampled_from([["region"], ["age", "gender"], ["a", "b", "c"], []]))
def test_distribution_agrees_with_the_plain_reading(
    rows: list[dict[str, Any]], keys: list[str]
) -> None:
    from paidfor.library.views import distribution

    assert distribution(rows, keys) == reference_distribution(rows, keys)
