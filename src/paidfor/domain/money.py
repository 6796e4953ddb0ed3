"""Money: exact amounts in their own currency, and a USD figure at the rate of a date.

Rates tables (units of the currency per 1 USD), shipped in ``paidfor/data``:

* ``rub_usd_rates.csv`` — daily RUB/USD rates 2015-01-02 .. 2018-05-11, the table used for the
  HPSCI IRA release (``shared/data/hpsci_ira_ads/rub_usd_rates.csv``). A date without a quote
  (weekend, holiday) takes the last quote before it.
* ``fx_annual.csv`` — annual average rates for EUR, GBP, CAD, AUD and RUB (approximate
  Federal Reserve G.5A annual averages, 2014-2024), used when no daily quote covers the date;
  a year outside the table takes the nearest year.

USD converts at 1. A currency in neither table has no USD figure (``None``), never a guess.
"""

from __future__ import annotations

import bisect
import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_cents(cents: int | None) -> Decimal | None:
    return None if cents is None else (Decimal(cents) * CENT).quantize(CENT)


def parse_decimal(text: str) -> Decimal:
    """A plain decimal number ("10085.77", "1e3"); raises ValueError otherwise."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    return value


@dataclass
class FxRates:
    daily: dict[str, tuple[list[date], list[Decimal]]] = field(default_factory=dict)
    annual: dict[str, dict[int, Decimal]] = field(default_factory=dict)

    def rate(self, currency: str, on: date | None) -> Decimal | None:
        """Units of ``currency`` per USD on ``on`` (None if unknown)."""
        currency = currency.upper()
        if currency == "USD":
            return Decimal(1)
        if on is None:
            return None
        series = self.daily.get(currency)
        if series and series[0][0] <= on <= series[0][-1]:
            days, values = series
            return values[bisect.bisect_right(days, on) - 1]
        years = self.annual.get(currency)
        if years:
            nearest = min(years, key=lambda y: (abs(y - on.year), y))
            return years[nearest]
        if series:  # outside the daily range and no annual table: the nearest quote
            days, values = series
            return values[0] if on < days[0] else values[-1]
        return None

    def to_usd(self, amount: Decimal, currency: str, on: date | None) -> Decimal | None:
        rate = self.rate(currency, on)
        return None if rate is None else amount / rate


@lru_cache(maxsize=1)
def default_rates() -> FxRates:
    fx = FxRates()
    days: list[date] = []
    values: list[Decimal] = []
    with open(DATA / "rub_usd_rates.csv", newline="") as f:
        for row in csv.DictReader(f):
            days.append(date.fromisoformat(row["YYYY/MM/DD"].replace("/", "-")))
            values.append(Decimal(row["RUB/USD"]))
    fx.daily["RUB"] = (days, values)
    with open(DATA / "fx_annual.csv", newline="") as f:
        for row in csv.DictReader(f):
            fx.annual.setdefault(row["currency"], {})[int(row["year"])] = Decimal(
                row["units_per_usd"]
            )
    return fx
