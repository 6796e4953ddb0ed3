"""Declared relationships between advertiser accounts (``storage.models.RelationshipRow``):
an advertiser declares the agency that manages it or the organisation it is a chapter or
committee of; the related account confirms or refuses it; a reviewer verifies or refuses it.
Every change is an audit event in the same transaction. Private: only staff and the two
accounts see a relationship.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import aliased

from paidfor import errors
from paidfor.domain.world import RELATIONS
from paidfor.review.intake_store import NotFound
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import AdvertiserRow, RelationshipRow
from paidfor.storage.tables import RELATIONSHIPS


class Conflict(errors.Conflict):
    """A declaration or a decision that the relationship's state does not allow (HTTP 409)."""


# who may move a relationship from which status to which
BY_RELATED = {"declared": ("confirmed", "refused")}
BY_STAFF = {
    "declared": ("verified", "refused"),
    "confirmed": ("verified", "refused"),
    "verified": ("refused",),
    "refused": ("verified",),
}


@dataclass(frozen=True)
class RelationshipRecord:
    id: int
    advertiser_id: int
    advertiser_name: str
    relation: str
    related_id: int
    related_name: str
    status: str
    declared_at: datetime | None
    decided_at: datetime | None
    note: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "advertiser": {"id": self.advertiser_id, "name": self.advertiser_name},
            "relation": self.relation,
            "related": {"id": self.related_id, "name": self.related_name},
            "status": self.status,
            "declared_at": self.declared_at.isoformat() if self.declared_at else None,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
        }


class RelationshipRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def declare(
        self, advertiser_id: int, related_id: int, relation: str, *, actor: str
    ) -> RelationshipRecord:
        """A new declaration (status ``declared``); Conflict when the same one exists and is
        not refused, or when an account names itself."""
        if relation not in RELATIONS:
            raise errors.Invalid(f"relation is one of {', '.join(RELATIONS)}")
        if advertiser_id == related_id:
            raise Conflict("an account cannot declare a relationship with itself")
        with self.engine.begin() as conn:
            found = conn.execute(
                select(AdvertiserRow.id).where(AdvertiserRow.id == related_id)
            ).one_or_none()
            if found is None:
                raise NotFound(f"no advertiser {related_id}")
            same = conn.execute(
                select(RelationshipRow.id, RelationshipRow.status).where(
                    RelationshipRow.advertiser_id == advertiser_id,
                    RelationshipRow.related_id == related_id,
                    RelationshipRow.relation == relation,
                )
            ).all()
            if any(r.status != "refused" for r in same):
                raise Conflict(f"this relationship is declared already (id {same[0].id})")
            new_id = conn.execute(
                RELATIONSHIPS.insert()
                .values(
                    advertiser_id=advertiser_id,
                    related_id=related_id,
                    relation=relation,
                    status="declared",
                    declared_at=stored_now(),
                )
                .returning(RelationshipRow.id)
            ).scalar_one()
            append_event_conn(
                conn,
                actor=actor,
                action="relationship.declare",
                target_type="relationship",
                target_id=str(new_id),
                after={
                    "advertiser_id": advertiser_id,
                    "related_id": related_id,
                    "relation": relation,
                    "status": "declared",
                },
            )
        return self.get(int(new_id))

    def decide(
        self, rel_id: int, status: str, *, actor: str, by_staff: bool, note: str | None = None
    ) -> RelationshipRecord:
        """Move a relationship to ``status``: the related account confirms or refuses a
        declared one; staff verify or refuse any. Conflict for a move not allowed."""
        allowed = BY_STAFF if by_staff else BY_RELATED
        with self.engine.begin() as conn:
            row = conn.execute(
                select(RELATIONSHIPS).where(RELATIONSHIPS.c.id == rel_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no relationship {rel_id}")
            if status not in allowed.get(row.status, ()):
                raise Conflict(f"a {row.status} relationship cannot become {status} here")
            before = row.status
            conn.execute(
                update(RelationshipRow)
                .where(RelationshipRow.id == rel_id, RelationshipRow.status == before)
                .values(status=status, decided_at=stored_now(), note=(note or None))
            )
            append_event_conn(
                conn,
                actor=actor,
                action=f"relationship.{status}",
                target_type="relationship",
                target_id=str(rel_id),
                reason=note,
                before={"status": before},
                after={"status": status},
            )
        return self.get(rel_id)

    def get(self, rel_id: int) -> RelationshipRecord:
        found = self.list(rel_id=rel_id)
        if not found:
            raise NotFound(f"no relationship {rel_id}")
        return found[0]

    def list(
        self,
        *,
        involving: int | None = None,
        status: str | None = None,
        rel_id: int | None = None,
        limit: int = 1000,
    ) -> list[RelationshipRecord]:
        """Relationships (newest first): those naming the account ``involving`` on either
        side, of a status, or one."""
        adv, rel = aliased(AdvertiserRow), aliased(AdvertiserRow)
        stmt = (
            select(
                RELATIONSHIPS,
                adv.name.label("advertiser_name"),
                rel.name.label("related_name"),
            )
            .join(adv, adv.id == RelationshipRow.advertiser_id)
            .join(rel, rel.id == RelationshipRow.related_id)
            .order_by(RelationshipRow.id.desc())
            .limit(limit)
        )
        if involving is not None:
            stmt = stmt.where(
                (RelationshipRow.advertiser_id == involving)
                | (RelationshipRow.related_id == involving)
            )
        if status is not None:
            stmt = stmt.where(RelationshipRow.status == status)
        if rel_id is not None:
            stmt = stmt.where(RelationshipRow.id == rel_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            RelationshipRecord(
                id=int(r.id),
                advertiser_id=int(r.advertiser_id),
                advertiser_name=r.advertiser_name,
                relation=r.relation,
                related_id=int(r.related_id),
                related_name=r.related_name,
                status=r.status,
                declared_at=aware(r.declared_at),
                decided_at=aware(r.decided_at),
                note=r.note,
            )
            for r in rows
        ]
