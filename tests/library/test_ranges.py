"""The published spend and impression buckets (docs/ranges.md), pinned down edge by edge."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paidfor.domain import Delivery, Range
from paidfor.library.ranges import (
    IMPRESSION_EDGES,
    SPEND_EDGES,
    bucket,
    impressions_range,
    spend_range,
)
from paidfor.library.views import fmt_range

IMPRESSIONS = [
    (0, 999),
    (1_000, 4_999),
    (5_000, 9_999),
    (10_000, 49_999),
    (50_000, 99_999),
    (100_000, 199_999),
    (200_000, 499_999),
    (500_000, 999_999),
    (1_000_000, None),
]
SPEND = [
    (0, 99),
    (100, 499),
    (500, 999),
    (1_000, 4_999),
    (5_000, 9_999),
    (10_000, 49_999),
    (50_000, 99_999),
    (100_000, 199_999),
    (200_000, 499_999),
    (500_000, 999_999),
    (1_000_000, None),
]


@pytest.mark.parametrize(
    ("edges", "table"), [(IMPRESSION_EDGES, IMPRESSIONS), (SPEND_EDGES, SPEND)]
)
def test_every_bucket_and_its_edges(
    edges: tuple[int, ...], table: list[tuple[int, int | None]]
) -> None:
    assert [bucket(lower, edges) for lower, _ in table] == [Range(lo, up) for lo, up in table]
    for lower, upper in table:
        if upper is not None:
            assert bucket(upper, edges) == Range(lower, upper)
            assert bucket(Decimal(upper) + Decimal("0.99"), edges) == Range(lower, upper)
    assert bucket(10**12, edges) == Range(1_000_000, None)
    assert bucket(-5, edges) == Range(0, table[0][1])
    assert bucket(None, edges) is None


def test_a_sources_own_range_wins_over_the_exact_number() -> None:
    d = Delivery(spend=Decimal("42.50"), impressions=7, spend_range=Range(100, 199))
    assert spend_range(d) == Range(100, 199)  # as the source published it
    assert impressions_range(d) == Range(0, 999)
    assert spend_range(Delivery()) is None and impressions_range(Delivery()) is None


def test_html_labels() -> None:
    assert fmt_range(Range(0, 999)) == "< 1,000"
    assert fmt_range(Range(1_000, 4_999)) == "1,000 – 4,999"
    assert fmt_range(Range(1_000_000, None)) == "> 1,000,000"
