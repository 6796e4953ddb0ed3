"""What staff and advertisers do to accounts and pages outside a case, as one service the
API, the staff pages and the CLI call (cases themselves: ``integrity.cases.CaseService``):

- ``entity``: one account or page scored now, with its cases, verdicts and relationships;
- ``enforce``: disable or re-enable accounts and pages, stop or restore ads (audited, all
  or none);
- ``latest_marks``: each marked entity's newest verdict;
- ``world``, ``detect`` and ``rescore``: what ``paidfor networks`` and ``paidfor integrity``
  read and write (every account and page; the networks found in them; every risk score
  stored again, audited);
- declared relationships (an agency and its client, a campaign and its party): an
  advertiser declares one, the related account confirms or refuses it (and only that
  account), staff verify or refuse any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from paidfor.errors import NotFound
from paidfor.integrity.detection import Detection, detect, open_seeded_case
from paidfor.integrity.enforcement_store import ActionKind, ActionResult, EnforcementRepository
from paidfor.integrity.entity import EntityReport, entity_report
from paidfor.integrity.mark_store import Mark, MarkRepository
from paidfor.integrity.model import EntityKey
from paidfor.integrity.relationship_store import RelationshipRecord, RelationshipRepository
from paidfor.integrity.risk import HOLD_AT
from paidfor.integrity.store import World, load_world, save_risk
from paidfor.storage.audit import append_event

if TYPE_CHECKING:  # the analysis imports NumPy and igraph when it runs
    from paidfor.integrity.networks import Analysis


class IntegrityService:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._enforcement = EnforcementRepository(engine)
        self._marks = MarkRepository(engine)
        self._relationships = RelationshipRepository(engine)

    def entity(self, key: EntityKey) -> EntityReport:
        """NotFound when there is no such account or page."""
        return entity_report(self._engine, key)

    def enforce(
        self, kind: ActionKind, targets: Sequence[int], *, reason: str, actor: str
    ) -> list[ActionResult]:
        """Apply ``kind`` to every target, or to none if one of them does not exist."""
        return self._enforcement.apply(kind, targets, reason=reason, actor=actor)

    def latest_marks(self) -> dict[str, Mark]:
        return self._marks.latest()

    # -- the whole population -------------------------------------------------------------

    def world(self) -> World:
        """Every account and page with what the signals read of them."""
        return load_world(self._engine)

    def detect(self, analysis: Analysis) -> Detection:
        """The networks of ``analysis`` (members marked legitimate before, with no new
        evidence, held back)."""
        return detect(self._engine, analysis)

    def open_seeded_case(
        self, names: tuple[str, ...], *, min_weight: float, actor: str
    ) -> int | None:
        """Grow a network from the pages or accounts named exactly ``names`` and open it as a
        case; None when a name is not there or nothing is tied to the seeds."""
        return open_seeded_case(self._engine, names, min_weight=min_weight, actor=actor)

    def rescore(self, analysis: Analysis, *, actor: str) -> tuple[int, int]:
        """Store every entity's risk and its explanations again (audited); how many were
        scored, and how many at or above the hold threshold."""
        rows = [
            (key, score, [f.as_json() for f in findings])
            for key, (score, findings) in analysis.risk.items()
        ]
        written = save_risk(self._engine, rows)
        high = sum(score >= HOLD_AT for _, score, _ in rows)
        append_event(
            self._engine,
            actor=actor,
            action="integrity_rescore",
            target_type="integrity",
            target_id="all",
            after={"scored": written, "at_or_above_hold": high},
        )
        return written, high

    # -- declared relationships -----------------------------------------------------------

    def declare(
        self, advertiser_id: int, related_id: int, relation: str, *, actor: str
    ) -> RelationshipRecord:
        return self._relationships.declare(advertiser_id, related_id, relation, actor=actor)

    def relationships(
        self, *, involving: int | None = None, status: str | None = None
    ) -> list[RelationshipRecord]:
        return self._relationships.list(involving=involving, status=status)

    def answer(
        self, rel_id: int, advertiser_id: int, status: str, *, actor: str
    ) -> RelationshipRecord:
        """The related account confirms or refuses a declaration naming it; NotFound for one
        that does not name ``advertiser_id`` as the related side (only that side answers)."""
        if self._relationships.get(rel_id).related_id != advertiser_id:
            raise NotFound(f"no relationship {rel_id} naming this account as related")
        return self._relationships.decide(rel_id, status, actor=actor, by_staff=False)

    def staff_decide(
        self, rel_id: int, status: str, *, actor: str, note: str | None
    ) -> RelationshipRecord:
        """Staff verify or refuse any relationship."""
        return self._relationships.decide(rel_id, status, actor=actor, by_staff=True, note=note)
