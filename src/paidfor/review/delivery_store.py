"""Delivery of a submitted ad (impressions, spend, who saw it, where), which the library shows.

Recording delivery replaces the previous figures (they are running totals), converts the spend
to US dollars at the ad's start date, and marks an approved ad as running.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from paidfor.domain import AdStatus, Delivery
from paidfor.domain.models import RECORDS_DELIVERY
from paidfor.domain.money import default_rates, to_cents
from paidfor.errors import Conflict
from paidfor.review.intake_store import NotFound
from paidfor.storage.audit import append_event_conn
from paidfor.storage.changes import touch_ads
from paidfor.storage.models import AdRow
from paidfor.storage.rules import started

DELIVERS = frozenset(str(s) for s in RECORDS_DELIVERY)


class DeliveryError(Conflict):
    """The ad cannot deliver (not approved, or removed)."""


def record_delivery(
    engine: Engine,
    ad_id: int,
    delivery: Delivery,
    *,
    actor: str,
) -> dict[str, Any]:
    """Replace the ad's figures by ``delivery``'s (its impressions, spend and currency are
    required; the shares and countries may be empty)."""
    impressions, spend, currency = delivery.impressions, delivery.spend, delivery.currency
    if impressions is None or spend is None or currency is None:
        raise ValueError("a delivery names its impressions, spend and currency")
    with engine.begin() as conn:
        row = conn.execute(
            select(AdRow.status, started().label("started"), AdRow.impressions,
                   AdRow.spend_cents, AdRow.currency).where(AdRow.id == ad_id)
        ).one_or_none()  # fmt: skip
        if row is None:
            raise NotFound(f"no ad {ad_id}")
        if row.status not in DELIVERS:
            raise DeliveryError(f"ad {ad_id} is {row.status}: only approved ads deliver")
        day = (row.started or datetime.now(UTC)).date()
        usd = default_rates().to_usd(spend, currency, day)
        status = str(AdStatus.RUNNING) if row.status == str(AdStatus.APPROVED) else row.status
        values = {
            "impressions": impressions,
            "currency": currency,
            "spend_cents": to_cents(spend),
            "spend_usd_cents": to_cents(usd) if usd is not None else None,
            "reached_countries": delivery.reached_countries,
            "demographic_distribution": delivery.demographic_distribution,
            "delivery_by_region": delivery.delivery_by_region,
            "status": status,
        }
        conn.execute(update(AdRow).where(AdRow.id == ad_id).values(values))
        touch_ads(conn, [ad_id])
        after = {"impressions": impressions, "spend": str(spend), "currency": currency,
                 "status": status}  # fmt: skip
        append_event_conn(
            conn,
            actor=actor,
            action="ad.delivery",
            target_type="ad",
            target_id=str(ad_id),
            before={"impressions": row.impressions, "spend_cents": row.spend_cents,
                    "currency": row.currency, "status": row.status},
            after=after,
        )  # fmt: skip
    return after
