"""What publishing a case's indicators reads (``exchange.publish``): the ads of the case's
members, whether the case was taken down, the privacy groups, a group's live indicators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, false, or_, select

from paidfor.exchange.feed_models import INDICATORS
from paidfor.storage.mapping import utc_naive
from paidfor.storage.models import AdRow, AuditEventRow, PrivacyGroupRow
from paidfor.storage.tables import chunks

CHUNK = 500


def member_ads(engine: Engine, advertisers: list[int], pages: list[int]) -> list[Any]:
    """(id, advertiser_id, landing_url, creative) of every ad whose advertiser account or page
    is one of those given, once each, oldest first."""
    columns = (AdRow.id, AdRow.advertiser_id, AdRow.landing_url, AdRow.creative)
    seen: dict[int, Any] = {}
    with engine.connect() as conn:
        for column, ids in ((AdRow.advertiser_id, advertisers), (AdRow.page_id, pages)):
            for some in chunks(ids, CHUNK):
                for r in conn.execute(select(*columns).where(column.in_(some)).order_by(AdRow.id)):
                    seen.setdefault(int(r.id), r)
    return [seen[k] for k in sorted(seen)]


def was_taken_down(engine: Engine, case_id: int) -> bool:
    """Whether the case was ever taken down (it may have been closed or reopened since)."""
    with engine.connect() as conn:
        return (
            conn.execute(
                select(AuditEventRow.id)
                .where(
                    AuditEventRow.target_type == "case",
                    AuditEventRow.target_id == str(case_id),
                    AuditEventRow.action == "case_takedown",
                )
                .limit(1)
            ).first()
            is not None
        )


def group_names(engine: Engine) -> list[str]:
    """Every privacy group's name (paidfor's staff reach them all), by name."""
    with engine.connect() as conn:
        return list(
            conn.execute(select(PrivacyGroupRow.name).order_by(PrivacyGroupRow.name)).scalars()
        )


def live_keys(engine: Engine, group_id: int, now: datetime) -> set[tuple[str, str]]:
    """(type, value hash) of the group's live indicators."""
    c = INDICATORS.c
    stamp = utc_naive(now)
    with engine.connect() as conn:
        rows = conn.execute(
            select(c.type, c.value_hash).where(
                c.group_id == group_id,
                c.deleted == false(),
                or_(c.expires_at.is_(None), c.expires_at > stamp),
            )
        )
        return {(r.type, r.value_hash) for r in rows}
