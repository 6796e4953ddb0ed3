"""The domain's rules about ads (``domain.models``) as SQL conditions on ``ads``: written here
once, for every query that needs them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, null, or_

from paidfor.domain.models import ACTIVE_STATUSES, PUBLIC_STATUSES, AdType
from paidfor.storage.models import AdRow

PUBLIC = sorted(str(s) for s in PUBLIC_STATUSES)
ACTIVE = sorted(str(s) for s in ACTIVE_STATUSES)


def political_condition() -> ColumnElement[bool]:
    """``domain.models.political``: classified political, or unclassified and filed as a
    political or issue ad."""
    return or_(
        AdRow.is_political.is_(True),
        and_(AdRow.is_political.is_(None), AdRow.ad_type == AdType.POLITICAL_AND_ISSUE_ADS.value),
    )


def public_condition() -> ColumnElement[bool]:
    """The ads the public library shows (``domain.models.PUBLIC_STATUSES``)."""
    return AdRow.status.in_(PUBLIC)


def active_condition() -> ColumnElement[bool]:
    """The ads delivering now, or approved to (``domain.models.ACTIVE_STATUSES``)."""
    return AdRow.status.in_(ACTIVE)


def delivered_until() -> ColumnElement[datetime | None]:
    """When an ad stopped delivering, NULL while it may still (``domain.models.Ad.
    delivered_until``): its stop time; else open-ended for an active ad; else its start."""
    return case(
        (AdRow.stop_at.is_not(None), AdRow.stop_at),
        (active_condition(), null()),
        else_=started(),
    )


def delivered_since(day: datetime) -> ColumnElement[bool]:
    """Delivered at ``day`` or later: an active ad without a stop time (open-ended), or one
    that stopped at ``day`` or after (an inactive ad with no date at all matches no day)."""
    end = delivered_until()
    return or_(and_(end.is_(None), active_condition()), end >= day)


def started() -> ColumnElement[datetime]:
    """When an ad started (``domain.models.Ad.started_at``): its delivery start, else when it
    was created."""
    return func.coalesce(AdRow.start_at, AdRow.created_at)
