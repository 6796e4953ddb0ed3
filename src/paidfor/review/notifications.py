"""Notifications of possibly non-compliant political ads (art. 15 of Regulation (EU)
2024/900): anyone notifies an ad in the library, free of charge, with a ground and their words,
and may leave a name and an email; they get a receipt and a secret (the secret shown once,
only its hash kept) that open the notification's status, where they read the outcome; a
reviewer upholds or dismisses it with a reason, which is the outcome the notifier reads.

Sending the notifier an email is the deploying organisation's job: paidfor keeps the address
(private, ``notifier_contact``) for staff and shows the outcome on the status page. Each
notification gets its deadline (``domain.ttpa.response_deadline``: 48 hours in the month
before a vote in a Member State the ad is aimed at or linked to). Receiving and deciding are
audited; the public routes that call this are rate-limited (interfaces)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from paidfor import errors
from paidfor.domain import PUBLIC_STATUSES
from paidfor.domain.ttpa import EU_MEMBER_STATES, response_deadline
from paidfor.review.election_store import ElectionRepository
from paidfor.review.notification_store import (
    NoSuchNotification,
    Notification,
    NotificationRepository,
)
from paidfor.review.service import targeted_countries
from paidfor.storage.repo import AdRepository

#: Why someone thinks the ad breaks the regulation (the form's choices).
GROUNDS: dict[str, str] = {
    "not_labelled": "it is political advertising without the label or transparency notice "
    "(arts. 11-12)",
    "wrong_information": "its label or notice is wrong or incomplete (sponsor, amounts, "
    "linked election) (arts. 11-12)",
    "third_country_sponsor": "a sponsor from outside the Union in the three months before a "
    "vote (art. 5(2))",
    "prohibited_targeting": "targeting by special categories of data or of minors (art. 18)",
    "other": "another breach of Regulation (EU) 2024/900",
}
DECISIONS = {"uphold": "upheld", "dismiss": "dismissed"}
STATUSES = ("received", "upheld", "dismissed")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
NOT_FOUND = "no notification with that receipt and secret"


def _now() -> datetime:
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean(value: str | None, what: str, low: int, high: int) -> str | None:
    text = (value or "").strip()
    if not text and low == 0:
        return None
    if not low <= len(text) <= high:
        raise errors.Invalid(f"{what} must be {low or 1} to {high} characters")
    return text


@dataclass(frozen=True)
class NotificationQueue:
    """The reviewers' view of the notifications (``NotificationService.queue``)."""

    open: list[Notification]
    decided: list[Notification]
    overdue: frozenset[int]  # ids of open notifications past their deadline
    at: datetime  # when it was read


class NotificationService:
    def __init__(
        self,
        repo: NotificationRepository,
        ads: AdRepository,
        elections: ElectionRepository,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.repo = repo
        self.ads = ads
        self.elections = elections
        self.clock = clock

    def notify(
        self,
        ad_id: int,
        ground: str,
        explanation: str,
        name: str | None = None,
        email: str | None = None,
    ) -> tuple[Notification, str]:
        """Receive a notification of ad ``ad_id`` (one the library shows): the stored
        notification and its secret, which only the notifier is given."""
        ad = self.ads.get(ad_id)
        if ad is None or ad.status not in PUBLIC_STATUSES:
            raise errors.NotFound(f"no ad {ad_id} in the library")
        if ground not in GROUNDS:
            raise errors.Invalid(f"the ground must be one of {', '.join(GROUNDS)}")
        words = _clean(explanation, "the explanation", 10, 4000)
        email = _clean(email, "the email address", 0, 320)
        if email is not None and not EMAIL.match(email):
            raise errors.Invalid("the email address is not one")
        now = self.clock()
        countries = {c for c in targeted_countries(ad) if c in EU_MEMBER_STATES}
        votes = [e.date for e in self.elections.list() if e.country in countries]
        deadline = response_deadline("notification", now, votes)
        secret = secrets.token_urlsafe(24)
        receipt = f"N-{secrets.token_hex(6).upper()}"
        made = self.repo.create(
            {
                "receipt": receipt, "secret_sha256": digest(secret), "ad_id": ad_id,
                "ground": ground, "explanation": words,
                "notifier_name": _clean(name, "the name", 0, 200), "notifier_email": email,
                "received_at": now, "due_at": deadline.due, "deadline_rule": deadline.rule,
            },
            actor=f"notifier:{receipt}",
        )  # fmt: skip
        return made, secret

    def status(self, receipt: str, secret: str) -> Notification:
        """The notification the receipt names, if the secret is its own (one answer for a
        wrong receipt and a wrong secret)."""
        found = self.repo.by_receipt(receipt.strip().upper()[:40])
        if found is None or not hmac.compare_digest(found.secret_sha256, digest(secret)):
            raise NoSuchNotification(NOT_FOUND)
        return found

    def listing(self, status: str | None = None) -> list[Notification]:
        if status is not None and status not in STATUSES:
            raise errors.Invalid(f"status must be one of {', '.join(STATUSES)}")
        return self.repo.list(status)

    def queue(self, decided: int = 100) -> NotificationQueue:
        """What the reviewers' page shows (``/staff/notifications``): the open notifications,
        the one due first at the top (those with no fixed deadline after them, oldest
        first), which of them are overdue, and the ``decided`` latest decided."""
        now = self.clock()
        waiting = self.repo.list("received")
        waiting.sort(key=lambda n: (n.due_at is None, n.due_at or n.received_at, n.id))
        overdue = frozenset(n.id for n in waiting if n.due_at is not None and n.due_at < now)
        return NotificationQueue(waiting, self.repo.recently_decided(decided), overdue, now)

    def decide(self, actor: str, notification_id: int, decision: str, reason: str) -> Notification:
        """A reviewer upholds or dismisses a notification with a reason: the outcome the
        notifier reads. Upholding records the finding; removing or correcting the ad is the
        reviewer's next step (``POST /api/enforcement``), audited there."""
        if decision not in DECISIONS:
            raise errors.Invalid(f"the decision must be one of {', '.join(DECISIONS)}")
        why = _clean(reason, "the reason", 3, 2000)
        assert why is not None
        current = self.repo.get(notification_id)
        if not self.repo.decide(notification_id, status=DECISIONS[decision], actor=actor,
                                reason=why, now=self.clock()):  # fmt: skip
            raise errors.Conflict(f"notification {notification_id} is already {current.status}")
        return self.repo.get(notification_id)


__all__ = ["GROUNDS", "NotificationQueue", "NotificationService", "digest"]
