"""Review's table of notifications of possibly non-compliant political ads (art. 15 of
Regulation (EU) 2024/900; migration 0016), beside its store (``review.notification_store``).

``ttpa_notifications``: one notification by anyone of one ad in the library. ``receipt`` is the
acknowledgement the notifier is given (public to them, random); ``secret_sha256`` the SHA-256
of the secret that, with the receipt, opens the notification's status (the secret itself is
shown once and never stored). The notifier's name and email are personal (category
``notifier_contact``): never public, never in a disclosure package; staff read them to tell the
notifier the outcome. ``explanation`` is the notifier's own words, read by staff only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from paidfor.storage.models import Base, BigId

NOTIFIER = {"personal": "notifier_contact"}


class NotificationRow(Base):
    __tablename__ = "ttpa_notifications"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(40), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    ad_id: Mapped[int] = mapped_column(ForeignKey("ads.id", ondelete="CASCADE"), index=True)
    ground: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[str] = mapped_column(Text)
    notifier_name: Mapped[str | None] = mapped_column(String(200), info=NOTIFIER)
    notifier_email: Mapped[str | None] = mapped_column(String(320), info=NOTIFIER)
    # received -> upheld | dismissed
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    deadline_rule: Mapped[str] = mapped_column(String(300))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)


__all__ = ["NotificationRow"]
