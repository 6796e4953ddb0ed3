"""What the notifications of possibly non-compliant political ads (art. 15 of Regulation (EU)
2024/900) read and write: ``ttpa_notifications`` (``review.notification_models``). Receiving
and deciding each append their audit event in the same transaction; the events carry neither
the notifier's contact nor their words (the audit log is read more widely)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from paidfor import errors
from paidfor.review.notification_models import NotificationRow as N
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, utc_naive


class NoSuchNotification(errors.NotFound):
    """No notification with that receipt and secret (or that id)."""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class Notification:
    id: int
    receipt: str
    secret_sha256: str
    ad_id: int
    ground: str
    explanation: str
    notifier_name: str | None
    notifier_email: str | None
    status: str
    received_at: datetime
    due_at: datetime | None
    deadline_rule: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None

    def for_notifier(self) -> dict[str, Any]:
        """What the notifier reads with the receipt and secret: the outcome, not who decided."""
        return {
            "receipt": self.receipt,
            "ad_id": self.ad_id,
            "ground": self.ground,
            "status": self.status,
            "received_at": _iso(self.received_at),
            "due_at": _iso(self.due_at),
            "deadline_rule": self.deadline_rule,
            "decided_at": _iso(self.decided_at),
            "outcome": self.decision_reason,
        }

    def for_staff(self) -> dict[str, Any]:
        return self.for_notifier() | {
            "id": self.id,
            "explanation": self.explanation,
            "notifier_name": self.notifier_name,
            "notifier_email": self.notifier_email,
            "decided_by": self.decided_by,
        }


def _notification(r: Any) -> Notification:
    return Notification(
        id=int(r.id), receipt=r.receipt, secret_sha256=r.secret_sha256, ad_id=int(r.ad_id),
        ground=r.ground, explanation=r.explanation, notifier_name=r.notifier_name,
        notifier_email=r.notifier_email, status=r.status,
        received_at=r.received_at.replace(tzinfo=UTC), due_at=aware(r.due_at),
        deadline_rule=r.deadline_rule,
        decided_by=r.decided_by, decided_at=aware(r.decided_at),
        decision_reason=r.decision_reason,
    )  # fmt: skip


class NotificationRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, values: dict[str, Any], *, actor: str) -> Notification:
        """Store a notification (``values``: the table's columns but id and the decision's),
        audited as ``ttpa.notification``."""
        row = dict(values)
        for moment in ("received_at", "due_at"):
            row[moment] = utc_naive(row.get(moment))
        with self.engine.begin() as conn:
            new_id = conn.execute(insert(N).returning(N.id), row | {"status": "received"})
            key = int(new_id.scalar_one())
            append_event_conn(
                conn, actor=actor, action="ttpa.notification", target_type="ad",
                target_id=str(values["ad_id"]),
                reason="a notification of a possibly non-compliant political ad (art. 15 of "
                "Regulation (EU) 2024/900)",
                after={"notification": key, "receipt": values["receipt"],
                       "ground": values["ground"], "due_at": _iso(values.get("due_at")),
                       "contact_given": bool(values.get("notifier_email"))},
            )  # fmt: skip
        return self.get(key)

    def get(self, notification_id: int) -> Notification:
        with self.engine.connect() as conn:
            row = conn.execute(select(N).where(N.id == notification_id)).one_or_none()
        if row is None:
            raise NoSuchNotification(f"no notification {notification_id}")
        return _notification(row)

    def by_receipt(self, receipt: str) -> Notification | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(N).where(N.receipt == receipt)).one_or_none()
        return None if row is None else _notification(row)

    def list(self, status: str | None = None, limit: int = 500) -> list[Notification]:
        """Oldest first (the order they are due in), ``status`` only if given."""
        q = select(N).order_by(N.id).limit(limit)
        if status is not None:
            q = q.where(N.status == status)
        with self.engine.connect() as conn:
            return [_notification(r) for r in conn.execute(q)]

    def recently_decided(self, limit: int = 100) -> builtins.list[Notification]:
        """The notifications decided (upheld or dismissed), the latest decision first."""
        q = (
            select(N)
            .where(N.status != "received")
            .order_by(N.decided_at.desc(), N.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_notification(r) for r in conn.execute(q)]

    def decide(
        self, notification_id: int, *, status: str, actor: str, reason: str, now: datetime
    ) -> bool:
        """Record staff's decision on a notification still ``received``, audited as
        ``ttpa.notification_decision``; False if it was decided already."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(N)
                .where(N.id == notification_id, N.status == "received")
                .values(status=status, decided_by=actor, decided_at=utc_naive(now),
                        decision_reason=reason)
            ).rowcount  # fmt: skip
            if done:
                append_event_conn(
                    conn, actor=actor, action="ttpa.notification_decision",
                    target_type="notification", target_id=str(notification_id), reason=reason,
                    before={"status": "received"}, after={"status": status},
                )  # fmt: skip
        return bool(done)


__all__ = ["NoSuchNotification", "Notification", "NotificationRepository"]
