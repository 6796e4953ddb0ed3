"""One account or page as an investigator reads it: what it claims, who runs it, its risk with
every finding in words (scored now against what the platform knows, as the inline screen
does), the cases it is in and the investigators' verdicts on it, and its declared
relationships. Private to staff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from paidfor.integrity.case_store import CaseRepository
from paidfor.integrity.mark_store import Mark, MarkRepository
from paidfor.integrity.model import EntityKey, Profile, SignalResult
from paidfor.integrity.relationship_store import RelationshipRecord, RelationshipRepository
from paidfor.integrity.risk import assess
from paidfor.integrity.screen import screening_context
from paidfor.integrity.store import load_world
from paidfor.review.intake_store import NotFound


@dataclass
class EntityReport:
    key: EntityKey
    profile: Profile
    risk: float
    findings: list[SignalResult]
    cases: list[int] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    relationships: list[RelationshipRecord] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        p = self.profile
        return {
            "entity": str(self.key),
            "name": p.name,
            "country": p.country,
            "created_at": p.created_at.isoformat() if p.created_at else None,
            "first_political_at": p.first_political_at.isoformat()
            if p.first_political_at
            else None,
            "ads": p.ads,
            "political_ads": p.political_ads,
            "flagged": p.flagged,
            "risk": round(self.risk, 4),
            "findings": [f.as_json() for f in self.findings],
            "owned": sorted(str(k) for k in p.owned),
            "cases": self.cases,
            "marks": [m.as_json() for m in self.marks],
            "relationships": [r.as_json() for r in self.relationships],
        }


def entity_report(engine: Engine, key: EntityKey) -> EntityReport:
    """NotFound when there is no such account or page."""
    ids = {"advertisers": [key.id]} if key.type == "advertiser" else {"pages": [key.id]}
    world = load_world(engine, **ids)
    p = world.profiles.get(key)
    if p is None:
        raise NotFound(f"no {key.type} {key.id}")
    risk, findings = assess(p, screening_context(engine))
    marks = MarkRepository(engine).marks(entities=[(key.type, key.id)])
    rels = RelationshipRepository(engine).list(involving=key.id) if key.type == "advertiser" else []
    return EntityReport(key, p, risk, findings, CaseRepository(engine).cases_of(key), marks, rels)
