"""The append-only, hash-chained audit log.

Each event's hash is SHA-256 over the previous event's hash and the event's canonical JSON, so
altering, removing or reordering any event breaks every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from paidfor.domain import AuditEvent
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import AuditEventRow

GENESIS = "0" * 64


def event_hash(prev_hash: str, event: dict[str, Any]) -> str:
    body = json.dumps(event, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _payload(row: Any) -> dict[str, Any]:
    return {
        "actor": row.actor,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "reason": row.reason,
        "before": row.before,
        "after": row.after,
        "at": row.at.isoformat(),
    }


def append_event_conn(
    conn: Connection,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append inside the caller's transaction (so the event lands with the change)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7263001)"))  # one writer of the chain
    last = conn.execute(
        select(AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1)
    ).scalar()
    prev = last or GENESIS
    row = AuditEventRow(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        reason=reason,
        before=before,
        after=after,
        at=stored_now(),
        prev_hash=prev,
    )
    row.hash = event_hash(prev, _payload(row))
    values = {
        c.name: getattr(row, c.name) for c in AuditEventRow.__table__.columns if c.name != "id"
    }
    new_id = conn.execute(insert(AuditEventRow).returning(AuditEventRow.id), values).scalar_one()
    return AuditEvent(id=new_id, **{k: v for k, v in values.items() if k != "at"}, at=aware(row.at))


def append_event(engine: Engine, **kwargs: Any) -> AuditEvent:
    with engine.begin() as conn:
        return append_event_conn(conn, **kwargs)


def verify_chain(engine: Engine) -> int | None:
    """The id of the first event whose hash does not check out, or None if all do."""
    prev = GENESIS
    with engine.connect() as conn:
        for row in conn.execute(select(AuditEventRow).order_by(AuditEventRow.id)):
            if row.prev_hash != prev or event_hash(prev, _payload(row)) != row.hash:
                return int(row.id)
            prev = row.hash
    return None
