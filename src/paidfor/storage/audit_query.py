"""Reading the audit log: list events, and check the hash chain with a full report.

``storage.audit`` writes the chain; this module reads it. :func:`check_chain` applies the same
test as ``audit.verify_chain`` (the first event whose ``prev_hash`` is not the hash of the
event before it, or whose own hash does not match its contents) and also says which event,
why, how many events were checked and what the head hash is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from paidfor.domain import AuditEvent
from paidfor.storage.audit import GENESIS, _payload, event_hash
from paidfor.storage.mapping import aware
from paidfor.storage.models import AuditEventRow

ALTERED = "altered"  # the event's contents no longer match its own hash
UNLINKED = "unlinked"  # its prev_hash is not the hash of the event stored before it


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of checking the whole chain."""

    events: int  # events checked (all of them when intact; up to the broken one otherwise)
    head: str | None  # the hash of the last event checked, None for an empty log
    broken: AuditEvent | None = None  # the first event that fails
    problem: str | None = None  # ALTERED or UNLINKED
    detail: str | None = None  # one sentence for people

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_json(self) -> dict[str, Any]:
        """The check as a JSON object (``broken`` is None when the chain is intact)."""
        broken = None
        if self.broken is not None:
            broken = {**self.broken.as_json(), "problem": self.problem, "detail": self.detail}
        return {"intact": self.intact, "events": self.events, "head": self.head, "broken": broken}


def _to_domain(row: Any) -> AuditEvent:
    return AuditEvent(
        id=int(row.id),
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        reason=row.reason,
        before=row.before,
        after=row.after,
        at=aware(row.at),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def check_chain(engine: Engine) -> ChainCheck:
    """Walk the chain in id order and report the first event that fails, if any.

    An event is ALTERED when SHA-256 over the previous hash and its canonical JSON is not its
    stored hash (someone edited a field). It is UNLINKED when its ``prev_hash`` is not the
    stored hash of the event before it: an event between them was removed, events were
    reordered, or the one before was rewritten together with its hash. Removing the newest
    events leaves a shorter, intact chain: compare ``head`` with one recorded elsewhere.
    """
    prev, prev_id, count = GENESIS, None, 0
    query = select(AuditEventRow.__table__).order_by(AuditEventRow.id)
    with engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=2000).execute(query)
        for row in rows:
            problem = detail = None
            if row.prev_hash != prev:
                problem = UNLINKED
                before = f"event {prev_id}" if prev_id is not None else "the start of the log"
                detail = (
                    f"its prev_hash does not match the hash of {before}: an event before it "
                    "was removed, reordered or rewritten"
                )
            elif event_hash(prev, _payload(row)) != row.hash:
                problem = ALTERED
                detail = "its contents do not match its hash: the event was altered"
            if problem is not None:
                rows.close()
                return ChainCheck(count, prev if count else None, _to_domain(row), problem, detail)
            prev, prev_id, count = row.hash, int(row.id), count + 1
    return ChainCheck(count, prev if count else None)


def list_events(
    engine: Engine, *, limit: int = 50, action_prefix: str | None = None
) -> list[AuditEvent]:
    """The newest ``limit`` events (those whose action starts with ``action_prefix``, if
    given), newest first."""
    query = select(AuditEventRow.__table__).order_by(AuditEventRow.id.desc()).limit(limit)
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEventRow.action.like(escaped + "%", escape="\\"))
    with engine.connect() as conn:
        return [_to_domain(r) for r in conn.execute(query)]


def count_events(engine: Engine) -> int:
    """How many events the log holds."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditEventRow)).scalar_one())


class AuditLog:
    """The audit log as the staff pages and the ``audit`` commands read it: the newest
    events, how many there are, and whether the hash chain verifies."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def events(self, *, limit: int = 50, action_prefix: str | None = None) -> list[AuditEvent]:
        return list_events(self._engine, limit=limit, action_prefix=action_prefix)

    def count(self) -> int:
        return count_events(self._engine)

    def check(self) -> ChainCheck:
        return check_chain(self._engine)
