"""The public view of an ad: what Meta's Ad Library shows, nothing private.

Targeting, exact payment data, admins and risk explanations never appear here; exact spend
and impressions are shown as ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paidfor.domain import Ad, Range

# Buckets (lower bounds) for showing exact private numbers as public ranges on the interim
# ad list. They are not yet Meta's published Ad Library buckets: the library issue (#3)
# replaces them with those and documents them.
_BUCKETS = [
    0,
    1000,
    5000,
    10000,
    15000,
    20000,
    25000,
    30000,
    35000,
    40000,
    45000,
    50000,
    60000,
    70000,
    80000,
    90000,
    100000,
    125000,
    150000,
    175000,
    200000,
    225000,
    250000,
    300000,
    350000,
    400000,
    450000,
    500000,
    600000,
    700000,
    800000,
    900000,
    1000000,
]
_SPEND = [
    0,
    100,
    200,
    300,
    400,
    500,
    600,
    700,
    800,
    900,
    1000,
    1500,
    2000,
    2500,
    3000,
    3500,
    4000,
    4500,
    5000,
    6000,
    7000,
    8000,
    9000,
    10000,
    15000,
    20000,
    25000,
    30000,
    35000,
    40000,
    45000,
    50000,
    60000,
    70000,
    80000,
    90000,
    100000,
    125000,
    150000,
    175000,
    200000,
    225000,
    250000,
    300000,
    350000,
    400000,
    450000,
    500000,
    1000000,
]


def bucket(value: int | float | None, edges: list[int]) -> Range | None:
    if value is None:
        return None
    lower = edges[0]
    for i, edge in enumerate(edges):
        if value >= edge:
            lower = edge
            upper = edges[i + 1] - 1 if i + 1 < len(edges) else None
    return Range(lower, upper)


def fmt_range(r: Range | None, prefix: str = "") -> str:
    if r is None:
        return "—"
    if r.upper is None:
        return f"> {prefix}{r.lower:,}"
    if r.lower == 0:
        return f"< {prefix}{r.upper + 1:,}"
    return f"{prefix}{r.lower:,} – {prefix}{r.upper:,}"


@dataclass(frozen=True)
class PublicAd:
    id: int
    page_name: str | None
    page_id: int | None
    page_url: str | None
    paid_for_by: str | None
    text: str
    landing_url: str | None
    created: str | None
    stopped: str | None
    status: str
    removal_reason: str | None
    currency: str | None
    spend: str
    impressions: str
    platforms: list[str]

    @classmethod
    def of(cls, ad: Ad) -> PublicAd:
        d = ad.delivery
        spend_range = d.spend_range or bucket(
            float(d.spend) if d.spend is not None else None, _SPEND
        )
        imp_range = d.impressions_range or bucket(d.impressions, _BUCKETS)
        cur = d.currency or ""
        return cls(
            id=ad.id or 0,
            page_name=ad.page.name if ad.page else None,
            page_id=ad.page.id if ad.page else None,
            page_url=ad.page.url if ad.page else None,
            paid_for_by=ad.funder.name if ad.funder else None,
            text=ad.creative.text(),
            landing_url=ad.creative.landing_url,
            created=ad.created_at.date().isoformat() if ad.created_at else None,
            stopped=ad.stop_at.date().isoformat() if ad.stop_at else None,
            status=str(ad.status),
            removal_reason=ad.removal_reason,
            currency=d.currency,
            spend=fmt_range(spend_range, "") + (f" {cur}" if spend_range else ""),
            impressions=fmt_range(imp_range),
            platforms=ad.platforms,
        )

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()
