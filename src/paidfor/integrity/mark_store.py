"""Investigators' verdicts on the members of cases (``models.FindingMarkRow``), private to
investigators: ``confirmed`` or ``legitimate`` coordination, with the reason, the declared
relationship that explains it if any, and the member's evidence when it was marked (the
shared attributes on its links in the case). Every mark is an audit event in the same
transaction; the newest mark of an entity is its verdict.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from paidfor.errors import Invalid
from paidfor.review.intake_store import NotFound
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import CaseMemberRow, CaseRow, FindingMarkRow, RelationshipRow

VERDICTS = ("confirmed", "legitimate")


@dataclass(frozen=True)
class Mark:
    id: int
    case_id: int
    entity_type: str
    entity_id: int
    verdict: str
    reason: str
    relationship_id: int | None
    evidence: frozenset[str]  # "kind|value" of each shared attribute when marked
    actor: str
    marked_at: datetime

    @property
    def entity(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "entity": self.entity,
            "verdict": self.verdict,
            "reason": self.reason,
            "relationship_id": self.relationship_id,
            "evidence": sorted(self.evidence),
            "actor": self.actor,
            "marked_at": self.marked_at.isoformat(),
        }


def evidence_of(links: list[dict[str, Any]], entity: str) -> frozenset[str]:
    """The shared attributes on ``entity``'s links (as stored with a case)."""
    return frozenset(
        f"{e['kind']}|{e['value']}"
        for link in links
        if entity in (link.get("a"), link.get("b"))
        for e in link.get("evidence", ())
    )


class MarkRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def mark(
        self,
        case_id: int,
        entity_type: str,
        entity_id: int,
        *,
        verdict: str,
        reason: str,
        actor: str,
        relationship_id: int | None = None,
    ) -> Mark:
        """Record a verdict on a member of a case; NotFound when the case, the member or the
        relationship named is not there."""
        if verdict not in VERDICTS:
            raise Invalid(f"verdict is one of {', '.join(VERDICTS)}")
        entity = f"{entity_type}:{entity_id}"
        with self.engine.begin() as conn:
            links = conn.execute(select(CaseRow.links).where(CaseRow.id == case_id)).one_or_none()
            if links is None:
                raise NotFound(f"no case {case_id}")
            member = conn.execute(
                select(CaseMemberRow.role).where(
                    CaseMemberRow.case_id == case_id,
                    CaseMemberRow.entity_type == entity_type,
                    CaseMemberRow.entity_id == entity_id,
                )
            ).one_or_none()
            if member is None:
                raise NotFound(f"{entity} is not a member of case {case_id}")
            if relationship_id is not None:
                found = conn.execute(
                    select(RelationshipRow.id).where(RelationshipRow.id == relationship_id)
                ).one_or_none()
                if found is None:
                    raise NotFound(f"no relationship {relationship_id}")
            evidence = sorted(evidence_of(list(links[0] or []), entity))
            now = stored_now()
            mark_id = conn.execute(
                insert(FindingMarkRow).returning(FindingMarkRow.id),
                {
                    "case_id": case_id,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "verdict": verdict,
                    "reason": reason,
                    "relationship_id": relationship_id,
                    "evidence": evidence,
                    "actor": actor,
                    "marked_at": now,
                },
            ).scalar_one()
            append_event_conn(
                conn,
                actor=actor,
                action=f"finding_{verdict}",
                target_type="case",
                target_id=str(case_id),
                reason=reason,
                after={
                    "entity": entity,
                    "verdict": verdict,
                    "relationship_id": relationship_id,
                    "mark": int(mark_id),
                },
            )
        return self.marks(mark_id=int(mark_id))[0]

    def marks(
        self,
        *,
        case_id: int | None = None,
        mark_id: int | None = None,
        entities: list[tuple[str, int]] | None = None,
    ) -> list[Mark]:
        """Marks, oldest first: of a case, one, or of some entities."""
        stmt = select(FindingMarkRow.__table__).order_by(FindingMarkRow.id)
        if case_id is not None:
            stmt = stmt.where(FindingMarkRow.case_id == case_id)
        if mark_id is not None:
            stmt = stmt.where(FindingMarkRow.id == mark_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        wanted = set(entities) if entities is not None else None
        out = []
        for r in rows:
            if wanted is not None and (r.entity_type, r.entity_id) not in wanted:
                continue
            marked = aware(r.marked_at)
            assert marked is not None
            out.append(
                Mark(
                    int(r.id),
                    int(r.case_id),
                    r.entity_type,
                    int(r.entity_id),
                    r.verdict,
                    r.reason,
                    r.relationship_id,
                    frozenset(r.evidence or ()),
                    r.actor,
                    marked,
                )
            )
        return out

    def latest(self) -> dict[str, Mark]:
        """Each marked entity's newest mark, by ``type:id``."""
        return {m.entity: m for m in self.marks()}

    def precision_by_week(self) -> list[dict[str, Any]]:
        """Per ISO week of marking: how many reviewed findings were confirmed and how many
        legitimate, and the precision (confirmed over reviewed), oldest week first."""
        weeks: dict[str, dict[str, int]] = defaultdict(lambda: {"confirmed": 0, "legitimate": 0})
        for m in self.latest().values():
            year, week, _ = m.marked_at.isocalendar()
            weeks[f"{year}-W{week:02d}"][m.verdict] += 1
        return [
            {
                "week": week,
                **counts,
                "precision": round(counts["confirmed"] / sum(counts.values()), 4),
            }
            for week, counts in sorted(weeks.items())
        ]
