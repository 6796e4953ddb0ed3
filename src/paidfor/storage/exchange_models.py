"""The threat exchange's tables (migration 0008): privacy groups, which partner tokens belong
to which groups, members' reactions and the feed's counter. ``IndicatorRow`` itself, with the
exchange's columns, is in ``storage.models``, which imports this module so that these tables
are always in ``Base.metadata``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import ApiTokenRow, Base, BigId, IndicatorRow


class PrivacyGroupRow(Base):
    __tablename__ = "privacy_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class TokenGroupRow(Base):
    """A partner token's membership of a privacy group."""

    __tablename__ = "token_groups"
    token_id: Mapped[int] = mapped_column(
        ForeignKey(ApiTokenRow.id, ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey(PrivacyGroupRow.id, ondelete="CASCADE"), primary_key=True
    )


class IndicatorReactionRow(Base):
    """One member's reaction to an indicator; a member gives each reaction at most once."""

    __tablename__ = "indicator_reactions"
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True
    )
    member: Mapped[str] = mapped_column(String(200), primary_key=True)
    reaction: Mapped[str] = mapped_column(String(40), primary_key=True)


class ExchangeStateRow(Base):
    """One row: the counter every write of ``indicators`` takes its ``seq`` from. The row
    stays locked until the writing transaction commits, so stamps become visible in commit
    order and a feed reader that has seen stamp N has missed nothing below it."""

    __tablename__ = "exchange_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)


INDICATORS: Table = IndicatorRow.__table__  # type: ignore[assignment]

__all__ = [
    "INDICATORS",
    "ExchangeStateRow",
    "IndicatorReactionRow",
    "PrivacyGroupRow",
    "TokenGroupRow",
]
