"""Review's own tables (migration 0005), beside its stores; the tables several contexts share
are in ``storage.models`` (``page_owners`` among them, which the import writer fills too).

``ad_submissions``: what an advertiser submitted beyond the ad itself (budget, who, when).
``review_decisions``: every decision on an ad, automatic or by a person, with its reasons; the
newest is the ad's current one. A person's decision names the decision it answers
(``answers``, unique: two people cannot both answer the same one; migration 0011).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import Base, BigId, JSONType


class AdSubmissionRow(Base):
    __tablename__ = "ad_submissions"
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), primary_key=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(DateTime)


class ReviewDecisionRow(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (Index("uq_review_decisions_answers", "answers", unique=True),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # approved, rejected, held
    political: Mapped[bool] = mapped_column(Boolean)
    political_score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    findings: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    by_person: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)
    # The id of the decision a person's decision answers (the held one, or the one it
    # overrides); none for automatic decisions.
    answers: Mapped[int | None] = mapped_column(BigInteger)
