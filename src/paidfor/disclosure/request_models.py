"""Disclosure requests (migration 0010): an investigator asks for a package of ads, for a case
or for a query, naming the recipient and the legal basis; an administrator approves or rejects
it; the package built from an approved request is recorded with its manifest's digest. A
request under Regulation (EU) 2024/900 (arts. 16-17) also says who asks, when it arrived, its
deadline and, if refused, the ground (migration 0017). The disclosure context's own table,
beside its store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import Base, BigId


class DisclosureRequestRow(Base):
    __tablename__ = "disclosure_requests"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recipient: Mapped[str] = mapped_column(String(300))
    legal_basis: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text)
    # requested -> approved | rejected; approved -> built (built again: a new package)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by: Mapped[str] = mapped_column(String(200))
    requester_token_id: Mapped[int | None] = mapped_column(BigInteger)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    built_by: Mapped[str | None] = mapped_column(String(200))
    built_at: Mapped[datetime | None] = mapped_column(DateTime)
    package: Mapped[str | None] = mapped_column(Text)  # the zip's path
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    ads: Mapped[int | None] = mapped_column(BigInteger)
    # Regulation (EU) 2024/900, arts. 16-17 (migration 0017): who asks, when the request was
    # received, the answer's deadline and its rule, and a refusal's ground
    requester_kind: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    deadline_rule: Mapped[str | None] = mapped_column(String(300))
    refusal_ground: Mapped[str | None] = mapped_column(String(40))


__all__ = ["DisclosureRequestRow"]
