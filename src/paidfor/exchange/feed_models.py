"""The exchange's own tables (migrations 0008, 0009), beside its stores: members' reactions and
the feed's counter; the sources indicators are fetched from and the indicators fetched from
them. ``IndicatorRow`` itself (screening reads it), the privacy groups with the partner tokens
in them (auth's token store reads them) and advertisers' uploaded images (integrity's image
store) are in ``storage.models``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import Base, BigId, IndicatorRow


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
    # bumped by every fetch that changed ``fetched_indicators``: screening reloads on change
    fetched_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ExchangeSourceRow(Base):
    """Somewhere indicators are fetched from: another paidfor server's privacy group (``kind``
    ``paidfor``: ``url`` is its base URL, ``token`` a partner token there) or a CSV file in the
    layout of ``threatexchange dataset -P --csv`` (``kind`` ``csv``: ``url`` is its path)."""

    __tablename__ = "exchange_sources"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    remote_group: Mapped[str | None] = mapped_column(String(100))
    token: Mapped[str | None] = mapped_column(Text)  # never shown: the list says only "set"
    cursor: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class FetchedIndicatorRow(Base):
    """An indicator as a source last said it: the mirror of the source's live set, one row per
    (source, type, value); a tombstone from the source deletes the row."""

    __tablename__ = "fetched_indicators"
    __table_args__ = (UniqueConstraint("source_id", "type", "value_hash"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey(ExchangeSourceRow.id, ondelete="CASCADE"), index=True
    )
    remote_id: Mapped[str | None] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    value_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    tags: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[int] = mapped_column(Integer, default=50)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)


INDICATORS: Table = IndicatorRow.__table__  # type: ignore[assignment]

__all__ = [
    "INDICATORS",
    "ExchangeSourceRow",
    "ExchangeStateRow",
    "FetchedIndicatorRow",
    "IndicatorReactionRow",
]
