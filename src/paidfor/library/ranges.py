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


def bucket(value: int | float | Decimal | None, edges: Sequence[int]) -> Range | None:
    """The bucket of ``edges`` that ``value`` falls in (a negative value falls in the first)."""
    if value is None:
        return None
    index = max(bisect_right(edges, value) - 1, 0)
    upper = edges[index + 1] - 1 if index + 1 < len(edges) else None
    return Range(edges[index], upper)


def spend_range(delivery: Delivery) -> Range | None:
    """The published spend range: the source's own range if it gave one, else the bucket of
    the exact spend."""
    return delivery.spend_range or bucket(delivery.spend, SPEND_EDGES)


def impressions_range(delivery: Delivery) -> Range | None:
    return delivery.impressions_range or bucket(delivery.impressions, IMPRESSION_EDGES)
