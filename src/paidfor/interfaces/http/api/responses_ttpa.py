"""The models of the answers of the EU political-advertising routes beyond the notice itself
(Regulation (EU) 2024/900): the repository feed (art. 13) and the notifications of ads
(art. 15), for the OpenAPI schema; see ``responses`` for how they are used (they document,
they never filter an answer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from paidfor.interfaces.http.api.responses import Json, example

NOTIFICATION: Json = {
    "receipt": "N-7KQ2M4",
    "ad_id": 7,
    "ground": "missing_label",
    "status": "received",
    "received_at": "2026-11-02T10:00:00+00:00",
    "due_at": "2026-11-04T10:00:00+00:00",
    "deadline_rule": "48 hours: a vote in the ad's Member State within a month (art. 15)",
    "decided_at": None,
    "outcome": None,
}
STAFF_NOTIFICATION: Json = NOTIFICATION | {
    "id": 1,
    "explanation": "The ad names no sponsor.",
    "notifier_name": "A. Citizen",
    "notifier_email": "citizen@example.org",
    "decided_by": None,
}


class RepositoryFeed(BaseModel):
    """A page of the feed: each item a transparency notice (its JSON Schema:
    ``GET /api/ttpa/notice.schema.json``), in the order of the ads' changes."""

    model_config = example(
        {
            "format": "paidfor transparency notices (Regulation (EU) 2024/900, art. 13)",
            "schema": "/api/ttpa/notice.schema.json",
            "data": [],
            "cursor": "0.0",
            "paging": {"next": "/api/ttpa/repository?after=0.0&limit=100"},
        }
    )
    format: str
    schema_url: str = Field(alias="schema")
    data: list[dict[str, Any]]
    cursor: str
    paging: Json


class NotificationStatus(BaseModel):
    """What the notifier reads with the receipt and the secret: the outcome, not who
    decided."""

    model_config = example(NOTIFICATION)
    receipt: str
    ad_id: int
    ground: str
    status: str
    received_at: str
    due_at: str | None
    deadline_rule: str | None
    decided_at: str | None
    outcome: str | None


class NotificationReceipt(NotificationStatus):
    """The notifier's receipt, with the secret that reads the outcome (shown once)."""

    model_config = example(
        NOTIFICATION | {"secret": "s3cr3t…", "status_url": "/api/ttpa/notifications/status"}
    )
    secret: str
    status_url: str


class StaffNotification(NotificationStatus):
    """A notification as a reviewer reads it, with the notifier's contact (private)."""

    model_config = example(STAFF_NOTIFICATION)
    id: int
    explanation: str | None
    notifier_name: str | None
    notifier_email: str | None
    decided_by: str | None


class StaffNotifications(BaseModel):
    model_config = example({"notifications": [STAFF_NOTIFICATION]})
    notifications: list[StaffNotification]
