"""Public ranges for private numbers: the Ad Library's spend and impression buckets.

The library never shows an ad's exact spend or impressions; it shows the bucket the number
falls in, the way Meta's Ad Library does. The edges are Meta's published Ad Library ranges
(docs/ranges.md says where they come from): impressions ``<1K, 1K-5K, 5K-10K, 10K-50K,
50K-100K, 100K-200K, 200K-500K, 500K-1M, >1M``; spend, in the ad's own currency, ``<100,
100-499, 500-999, 1K-5K, 5K-10K, 10K-50K, 50K-100K, 100K-200K, 200K-500K, 500K-1M, >1M``.

A bucket is a ``Range(lower, upper)`` with an inclusive upper bound one below the next edge
(``1000-4999``); the last one is open-ended (``upper=None``). The HTML pages and the
``ads_archive`` API both use this module, so the two always agree.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from decimal import Decimal

from paidfor.domain import Delivery, Range

IMPRESSION_EDGES: tuple[int, ...] = (
    0,
    1_000,
    5_000,
    10_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
)
SPEND_EDGES: tuple[int, ...] = (
    0,
    100,
    500,
    1_000,
    5_000,
    10_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
)


#: Dollars of exact spend told apart inside one published range by the spend order (about a
#: million: beyond it, ads in the same range tie, and the newest id comes first).
ORDER_DOLLARS = 2**20 - 1


def lower_code(lower: int) -> int:
    """A published range's lower bound as a small number in the same order, exact for bounds
    of up to two significant digits (every bucket edge, Meta's ``100``, ``1500``, ``20000``...):
    ``1 + lower`` below 10, else ``100 + 90 * e + (m - 10)`` for ``lower = m * 10**e``
    with ``10 <= m < 100`` (further digits are dropped, never reordered)."""
    if lower < 10:
        return 1 + max(lower, 0)
    e = len(str(lower)) - 2
    return 100 + 90 * e + (lower // 10**e - 10)


def spend_order(lower: int | None, usd_cents: int | None) -> int | None:
    """Where an ad goes when the library sorts by spend: by its published range first (the
    range's lower bound, ``lower_code``), then by its exact spend in dollars inside the range
    (up to ``ORDER_DOLLARS``); None without any spend (last). The SQL twin is
    ``library.store.spend_order_sql``; the tantivy index's ``k_spend`` holds this value."""
    if lower is None:
        return None
    dollars = min(max(usd_cents or 0, 0) // 100, ORDER_DOLLARS)
    return lower_code(lower) << 20 | dollars


def published_spend_lower(source_lower: int | None, spend_cents: int | None) -> int | None:
    """The lower bound of the published spend range: the source's own, else the bucket of
    the exact spend (``spend_range``, from stored values)."""
    if source_lower is not None:
        return source_lower
    if spend_cents is None:
        return None
    found = bucket(Decimal(spend_cents) / 100, SPEND_EDGES)
    return found.lower if found else None


def bucket(value: int | float | Decimal | None, edges: Sequence[int]) -> Range | None:
    """The bucket of ``edges`` that ``value`` falls in (a negative value falls in the first)."""
    if value is None:
        return None
    index = max(bisect_right(edges, value) - 1, 0)
    upper = edges[index + 1] - 1 if index + 1 < len(edges) else None
    return Range(edges[index], upper)


def published(
    given: Range | None, exact: int | float | Decimal | None, edges: Sequence[int]
) -> Range | None:
    """The published range: the source's own range if it gave one, else the bucket of the
    exact number (of a ``Delivery``, or of a stored row: the library's search)."""
    return given or bucket(exact, edges)


def spend_range(delivery: Delivery) -> Range | None:
    """The published spend range (``published``)."""
    return published(delivery.spend_range, delivery.spend, SPEND_EDGES)


def impressions_range(delivery: Delivery) -> Range | None:
    return published(delivery.impressions_range, delivery.impressions, IMPRESSION_EDGES)
