"""Cases: every network found becomes a case that investigators open, read and take down.

``CaseService.open_case`` names the case after the network (its size, what ties it together,
its strongest evidence) and stores it (``integrity.case_store``). ``take_down`` disables every
member advertiser and page that is not disabled yet through ``EnforcementRepository.apply``
(which stops their active ads and writes an action row, carrying the case's id, and an audit
event for each), then marks the case ``taken_down`` with a ``case_takedown`` audit event that
counts what was done.

The disabling and the status change are separate transactions: if the second fails, the
members stay disabled (each audited) and taking the case down again finishes the job.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine

from paidfor.domain import ActionKind
from paidfor.errors import Invalid
from paidfor.integrity.case_store import (
    STATUSES,
    TAKEN_DOWN,
    CaseConflict,
    CaseRepository,
    CaseSummary,
    CaseView,
)
from paidfor.integrity.enforcement_store import ActionResult, EnforcementRepository
from paidfor.integrity.mark_store import Mark, MarkRepository
from paidfor.integrity.model import ATTRIBUTE_KINDS, EntityKey, Network
from paidfor.review.intake_store import NotFound

__all__ = [
    "STATUSES",
    "CaseConflict",
    "CaseService",
    "CaseView",
    "NotFound",
    "TakedownResult",
    "case_title",
]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# How a title names what ties a network (ATTRIBUTE_KINDS says it at length).
TIES = {
    "payment": "a shared payment card",
    "admin": "a shared admin",
    "device": "a shared admin device",
    "ip": "a shared sign-in IP address",
    "domain": "a shared landing domain",
    "creative": "near-duplicate ad text",
    "burst": "creation in one burst",
    "owner": "accounts running ads for pages",
    "targeting": "the same unusual targeting",
}


def case_title(network: Network) -> str:
    """A case's title from its network: its size, what ties it (an account running ads for a
    page only when nothing else does), and its strongest evidence."""
    types = Counter(m.key.type for m in network.members)
    size = " and ".join(_plural(types[t], t) for t in ("advertiser", "page") if types[t])
    lead = "Expansion" if network.kind == "expansion" else "Network"
    title = f"{lead} of {size or 'no members'}"
    weight: dict[str, float] = defaultdict(float)
    for link in network.links:
        for e in link.evidence:
            weight[e.kind] += e.weight
    kinds = sorted(weight, key=lambda k: (-weight[k], k))
    kinds = [k for k in kinds if k != "owner"][:3] or kinds
    if kinds:
        ties = [TIES.get(k, ATTRIBUTE_KINDS.get(k, k)) for k in kinds]
        title += " tied by " + (", ".join(ties[:-1]) + " and " if len(ties) > 1 else "") + ties[-1]
    evidence = [e for link in network.links for e in link.evidence if e.kind != "owner"]
    findings = [f for m in network.members for f in m.findings]
    if evidence:
        top = max(evidence, key=lambda e: (e.weight, -e.shared_by, e.kind, e.value))
        title += f"; strongest: {top.kind} {top.value!r} shared by {top.shared_by}"
    elif findings:
        title += f"; strongest: {max(findings, key=lambda f: f.score).evidence}"
    return title if len(title) <= 500 else title[:499] + "…"


@dataclass(frozen=True)
class TakedownResult:
    case: CaseSummary
    advertisers_disabled: list[int]
    pages_disabled: list[int]
    already_disabled: int  # members that were disabled before
    missing: int  # members that no longer exist
    ads_stopped: list[int]
    actions: list[ActionResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "advertisers_disabled": len(self.advertisers_disabled),
            "pages_disabled": len(self.pages_disabled),
            "already_disabled": self.already_disabled,
            "missing": self.missing,
            "ads_stopped": len(self.ads_stopped),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case.as_json(),
            **self.counts(),
            "advertiser_ids": self.advertisers_disabled,
            "page_ids": self.pages_disabled,
            "stopped_ad_ids": self.ads_stopped,
            "actions": [a.as_json() for a in self.actions],
        }


class CaseService:
    def __init__(self, engine: Engine) -> None:
        self.repo = CaseRepository(engine)
        self.enforcement = EnforcementRepository(engine)
        self.marks = MarkRepository(engine)

    def mark(
        self,
        case_id: int,
        entity: EntityKey,
        *,
        verdict: str,
        reason: str,
        actor: str,
        relationship_id: int | None = None,
    ) -> Mark:
        """An investigator's verdict on a member of the case (``integrity.marks``)."""
        reason = reason.strip()
        if len(reason) < 3:
            raise Invalid("a verdict needs a reason")
        return self.marks.mark(
            case_id,
            entity.type,
            entity.id,
            verdict=verdict,
            reason=reason,
            actor=actor,
            relationship_id=relationship_id,
        )

    def marks_of(self, case_id: int) -> list[Mark]:
        return self.marks.marks(case_id=case_id)

    def precision(self) -> list[dict[str, Any]]:
        """Precision on reviewed findings, week by week."""
        return self.marks.precision_by_week()

    def open_case(self, network: Network, actor: str) -> int:
        """Store ``network`` as a new open case; its id."""
        return self.repo.open(network, title=case_title(network), actor=actor)

    def cases(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[CaseSummary]:
        return self.repo.list(status, limit, offset)

    def count(self, status: str | None = None) -> int:
        return self.repo.count(status)

    def find(self, case_id: int) -> CaseView | None:
        """Everything about a case, or None if there is none."""
        return self.repo.get(case_id)

    def case(self, case_id: int) -> CaseView:
        """Everything about a case; NotFound if there is none."""
        view = self.find(case_id)
        if view is None:
            raise NotFound(f"no case {case_id}")
        return view

    def cases_of(self, entity: EntityKey) -> list[int]:
        return self.repo.cases_of(entity)

    def set_status(self, case_id: int, status: str, *, actor: str, reason: str) -> CaseSummary:
        """Close a case or open it again (a takedown is ``take_down``)."""
        return self.repo.set_status(case_id, status, actor=actor, reason=reason)

    def take_down(self, case_id: int, *, actor: str, reason: str) -> TakedownResult:
        """Disable every member not disabled yet, stopping their active ads; then the case is
        ``taken_down``. NotFound for no such case; CaseConflict if it is already taken down or
        none of its members exists any more."""
        reason = reason.strip()
        if not reason:
            raise Invalid("a takedown needs a reason")
        view = self.case(case_id)
        if view.case.status == TAKEN_DOWN:
            when = view.case.updated_at.strftime(" on %Y-%m-%d") if view.case.updated_at else ""
            raise CaseConflict(f"case {case_id} was already taken down{when}")
        present = [m for m in view.members if m.exists]
        if not present:
            raise CaseConflict(
                f"none of the {_plural(len(view.members), 'member')} of case {case_id} exists "
                "any more: there is nothing to take down"
            )
        targets = {
            kind: [m.entity_id for m in present if m.entity_type == kind and not m.disabled]
            for kind in ("advertiser", "page")
        }
        actions: list[ActionResult] = []
        try:
            for kind, action in (
                ("advertiser", ActionKind.DISABLE_ADVERTISER),
                ("page", ActionKind.DISABLE_PAGE),
            ):
                if targets[kind]:
                    actions += self.enforcement.apply(
                        action, targets[kind], reason=reason, actor=actor, case_id=case_id
                    )
        except NotFound as exc:
            raise CaseConflict(
                f"a member of case {case_id} went away during the takedown ({exc}); "
                "take the case down again to finish"
            ) from exc
        stopped = sorted({ad for a in actions for ad in a.after.get("stopped_ads", [])})
        result = TakedownResult(
            case=view.case,
            advertisers_disabled=targets["advertiser"],
            pages_disabled=targets["page"],
            already_disabled=sum(1 for m in present if m.disabled),
            missing=len(view.members) - len(present),
            ads_stopped=stopped,
            actions=actions,
        )
        summary = self.repo.mark_taken_down(
            case_id, actor=actor, reason=reason, done=result.counts()
        )
        return replace(result, case=summary)
