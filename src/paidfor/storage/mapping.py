"""Domain objects <-> table rows. The only place that knows both shapes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from paidfor.domain import (
    Ad,
    AdStatus,
    Creative,
    Delivery,
    Funder,
    Page,
    Range,
    Risk,
    SpendReport,
    Targeting,
)
from paidfor.domain.models import SourceFile
from paidfor.domain.money import from_cents, to_cents
from paidfor.domain.urls import site_of


def stored_now() -> datetime:
    """Now, as times are stored: naive UTC, to the second."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def utc_naive(moment: datetime | None) -> datetime | None:
    """Stored form of a time: UTC without tzinfo (SQLite has no time zones)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def dumps(value: Any) -> str:
    """Compact JSON for storage (orjson: an import serializes several columns per row)."""
    return orjson.dumps(value, default=str).decode()


def content_hash(values: dict[str, Any] | list[Any]) -> str:
    blob = orjson.dumps(values, default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.md5(blob, usedforsecurity=False).hexdigest()


def stored_range(lower: int | None, upper: int | None) -> Range | None:
    return None if lower is None else Range(lower, upper)


def creative_dict(c: Creative) -> dict[str, Any]:
    return {
        "bodies": c.bodies,
        "link_titles": c.link_titles,
        "link_captions": c.link_captions,
        "link_descriptions": c.link_descriptions,
        "image_hashes": c.image_hashes,
    }


def ad_values(ad: Ad) -> dict[str, Any]:
    """The ``ads`` columns of an ad, without its ids (page and funder are resolved later)."""
    d = ad.delivery
    values: dict[str, Any] = {
        "source": ad.source,
        "external_id": ad.external_id,
        "creative": creative_dict(ad.creative),
        "landing_url": ad.creative.landing_url,
        "landing_domain": site_of(ad.creative.landing_url),
        "search_text": ad.creative.text(),
        "targeting": ad.targeting.to_dict(),
        "created_at": utc_naive(ad.created_at),
        "start_at": utc_naive(ad.start_at),
        "stop_at": utc_naive(ad.stop_at),
        "status": str(ad.status),
        "removal_reason": ad.removal_reason,
        "is_political": ad.is_political,
        "political_score": ad.political_score,
        "ad_type": ad.ad_type,
        "currency": d.currency,
        "spend_cents": to_cents(d.spend) if d.spend is not None else None,
        "spend_usd_cents": to_cents(d.spend_usd) if d.spend_usd is not None else None,
        "spend_lower": d.spend_range.lower if d.spend_range else None,
        "spend_upper": d.spend_range.upper if d.spend_range else None,
        "impressions": d.impressions,
        "impressions_lower": d.impressions_range.lower if d.impressions_range else None,
        "impressions_upper": d.impressions_range.upper if d.impressions_range else None,
        "clicks": d.clicks,
        "audience_lower": d.estimated_audience_size.lower if d.estimated_audience_size else None,
        "audience_upper": d.estimated_audience_size.upper if d.estimated_audience_size else None,
        "demographic_distribution": d.demographic_distribution,
        "delivery_by_region": d.delivery_by_region,
        "reached_countries": d.reached_countries,
        "platforms": ad.platforms,
        "languages": ad.languages,
        "snapshot_url": ad.snapshot_url,
        "risk_score": ad.risk.score,
        "risk_explanations": ad.risk.explanations,
    }
    return values


def row_to_page(row: Any) -> Page:
    return Page(
        id=row.id,
        name=row.name,
        kind=row.kind,
        external_id=row.external_id,
        url=row.url,
        created_at=aware(row.created_at),
        language=row.language,
        country=row.country,
        category=row.category,
        disabled=bool(row.disabled),
    )


def row_to_ad(
    row: Any,
    page: Page | None = None,
    funder: Funder | None = None,
    *,
    public: bool = False,
    source_file: SourceFile | None = None,
) -> Ad:
    """The ad of an ``ads`` row; ``public``: a row read without the private columns
    (targeting, risk explanations), which stay empty, nor the bookkeeping ones (when it was
    imported, and from which file: ``source_file``, the row's import run's)."""
    c = row.creative or {}
    return Ad(
        id=row.id,
        source=row.source,
        external_id=row.external_id,
        creative=Creative(
            bodies=list(c.get("bodies", [])),
            link_titles=list(c.get("link_titles", [])),
            link_captions=list(c.get("link_captions", [])),
            link_descriptions=list(c.get("link_descriptions", [])),
            landing_url=row.landing_url,
            image_hashes=list(c.get("image_hashes", [])),
        ),
        page=page,
        funder=funder,
        targeting=Targeting() if public else Targeting.from_dict(row.targeting),
        delivery=Delivery(
            currency=row.currency,
            spend=from_cents(row.spend_cents),
            spend_usd=from_cents(row.spend_usd_cents),
            spend_range=stored_range(row.spend_lower, row.spend_upper),
            impressions=row.impressions,
            impressions_range=stored_range(row.impressions_lower, row.impressions_upper),
            clicks=row.clicks,
            demographic_distribution=list(row.demographic_distribution or []),
            delivery_by_region=list(row.delivery_by_region or []),
            reached_countries=list(row.reached_countries or []),
            estimated_audience_size=stored_range(row.audience_lower, row.audience_upper),
        ),
        created_at=aware(row.created_at),
        start_at=aware(row.start_at),
        stop_at=aware(row.stop_at),
        status=AdStatus(row.status),
        removal_reason=row.removal_reason,
        is_political=row.is_political,
        political_score=row.political_score,
        platforms=list(row.platforms or []),
        languages=list(row.languages or []),
        ad_type=row.ad_type,
        risk=Risk(
            score=row.risk_score or 0.0,
            explanations=[] if public else list(row.risk_explanations or []),
        ),
        snapshot_url=row.snapshot_url,
        imported_at=None if public else aware(row.imported_at),
        source_file=source_file,
    )


def report_values(r: SpendReport) -> dict[str, Any]:
    return {
        "source": r.source,
        "period": r.period,
        "country": r.country,
        "currency": r.currency,
        "amount_cents": to_cents(r.amount),
        "amount_is_upper_bound": r.amount_is_upper_bound,
        "ads_count": r.ads_count,
        "extra": r.extra,
    }
