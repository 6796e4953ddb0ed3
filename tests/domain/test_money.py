"""Exact money and USD conversion at the rate of a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from paidfor.domain.money import default_rates, from_cents, to_cents


def test_daily_rub_rate_and_weekend_fallback() -> None:
    fx = default_rates()
    assert fx.rate("RUB", date(2015, 1, 2)) == Decimal("58.787")
    # 2015-01-03/04 is a weekend: the Friday quote stands
    assert fx.rate("RUB", date(2015, 1, 4)) == Decimal("58.787")
    assert fx.rate("RUB", date(2015, 1, 5)) == Decimal("60.169")
    assert fx.to_usd(Decimal("58.787"), "RUB", date(2015, 1, 3)) == Decimal(1)


def test_other_currencies_use_the_annual_table_and_unknown_is_none() -> None:
    fx = default_rates()
    assert fx.rate("USD", None) == 1
    assert fx.rate("EUR", date(2019, 6, 1)) == Decimal("0.8933")
    assert fx.rate("EUR", date(2031, 1, 1)) == Decimal("0.9239")  # nearest year
    assert fx.rate("RUB", date(2021, 3, 1)) == Decimal("73.65")  # past the daily table
    assert fx.rate("XYZ", date(2019, 1, 1)) is None
    assert fx.rate("EUR", None) is None


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_cents_round_trip(amount: Decimal) -> None:
    assert from_cents(to_cents(amount)) == amount
