"""Cases in the database (private to investigators): a network's members, the evidence graph's
links, the signals' findings in words, the actions taken for it and its timeline.

``open`` writes the case, its ``case_members`` rows and the ``case_open`` audit event in one
transaction; every change of status is audited too (``case_status``, ``case_takedown``). The
members' current names and disabled state are read from ``advertisers`` and ``pages`` when a
case is shown, so a case always tells what is true now, beside what was found then.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, case, func, insert, select, update

from paidfor import errors
from paidfor.review.intake_store import NotFound
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import (
    ActionRow,
    AdRow,
    AdvertiserRow,
    AuditEventRow,
    CaseMemberRow,
    CaseRow,
    PageRow,
)
from paidfor.storage.rules import active_condition
from paidfor.storage.tables import chunks

if TYPE_CHECKING:  # the integrity layer's plain values; storage only reads their fields
    from paidfor.integrity.model import EntityKey, Network

__all__ = ["CaseConflict", "CaseRepository", "NotFound"]

OPEN, TAKEN_DOWN, CLOSED = "open", "taken_down", "closed"
STATUSES = (OPEN, TAKEN_DOWN, CLOSED)
SETTABLE = (OPEN, CLOSED)  # taken_down only through a takedown (``mark_taken_down``)
_CHUNK = 5000


class CaseConflict(errors.Conflict):
    """The case is not in a state that allows the change (e.g. already taken down)."""


def _plain(obj: Any) -> dict[str, Any]:
    """A view's fields as JSON values (times in ISO 8601)."""
    out = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return aware(moment) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class CaseSummary:
    id: int
    title: str
    status: str
    kind: str
    score: float | None
    summary: str | None
    members: int
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class CaseMember:
    """A member as found (role, risk, findings) and as it is now (name, disabled, ads)."""

    entity_type: str
    entity_id: int
    role: str
    risk: float | None
    name: str
    exists: bool
    disabled: bool | None
    page_kind: str | None  # "page" or "domain" for pages; None for advertisers
    findings: list[dict[str, Any]]
    flagged: str | None  # why it was already flagged when the case was opened
    rank: float
    created_at: datetime | None
    first_political_at: datetime | None
    ads: int
    active_ads: int
    first_ad_at: datetime | None
    last_ad_at: datetime | None

    @property
    def key(self) -> str:
        return f"{self.entity_type}:{self.entity_id}"

    def as_json(self) -> dict[str, Any]:
        return {"entity": self.key, **_plain(self)}


@dataclass(frozen=True)
class CaseAction:
    id: int
    kind: str
    target_type: str
    target_id: int
    reason: str
    actor: str
    at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class TimelineEvent:
    """``what``: created, first_political, first_ad, last_ad, case_opened, action, status."""

    at: datetime
    what: str
    label: str
    entity: str | None = None

    def as_json(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class CaseView:
    case: CaseSummary
    evidence: list[dict[str, Any]]
    links: list[dict[str, Any]]
    members: list[CaseMember]
    actions: list[CaseAction]
    timeline: list[TimelineEvent]

    def as_json(self) -> dict[str, Any]:
        return {
            **self.case.as_json(),
            "evidence": self.evidence,
            "links": self.links,
            "members": [m.as_json() for m in self.members],
            "actions": [a.as_json() for a in self.actions],
            "timeline": [t.as_json() for t in self.timeline],
        }


def network_evidence(network: Network) -> list[dict[str, Any]]:
    """The members' findings in words, strongest first."""
    found = [
        {
            "entity": str(m.key),
            "name": m.name,
            "signal": f.signal,
            "score": round(f.score, 4),
            "evidence": f.evidence,
        }
        for m in network.members
        for f in m.findings
    ]
    return sorted(found, key=lambda f: (-f["score"], f["entity"], f["signal"]))


class CaseRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- writes --------------------------------------------------------------------------------

    def open(self, network: Network, *, title: str, actor: str) -> int:
        """Write the case with its members and links, and its ``case_open`` event."""
        members = {m.key: m for m in network.members}
        if not members:
            raise errors.Invalid("a case needs at least one member")
        bad = [str(k) for k in members if k.type not in ("advertiser", "page")]
        if bad:
            raise errors.Invalid(f"members are advertisers or pages, not {', '.join(bad)}")
        now = stored_now()
        with self.engine.begin() as conn:
            case_id = conn.execute(
                insert(CaseRow).returning(CaseRow.id),
                {
                    "title": title[:500],
                    "status": OPEN,
                    "kind": network.kind,
                    "summary": network.summary,
                    "score": round(network.score, 4),
                    "evidence": network_evidence(network),
                    "links": [link.as_json() for link in network.links],
                    "created_by": actor,
                    "created_at": now,
                    "updated_at": now,
                },
            ).scalar_one()
            conn.execute(
                insert(CaseMemberRow),
                [
                    {
                        "case_id": case_id,
                        "entity_type": key.type,
                        "entity_id": key.id,
                        "role": m.role,
                        "score": round(m.risk, 4),
                        "details": m.as_json(),
                    }
                    for key, m in sorted(members.items())
                ],
            )
            append_event_conn(
                conn,
                actor=actor,
                action="case_open",
                target_type="case",
                target_id=str(case_id),
                reason=network.summary,
                after={
                    "title": title[:500],
                    "kind": network.kind,
                    "score": round(network.score, 4),
                    "members": len(members),
                    "links": len(network.links),
                },
            )
        return int(case_id)

    def set_status(self, case_id: int, status: str, *, actor: str, reason: str) -> CaseSummary:
        """Open again or close a case (audited ``case_status``); NotFound, CaseConflict."""
        if status not in SETTABLE:
            raise errors.Invalid(
                f"status must be one of {', '.join(SETTABLE)} (a takedown sets {TAKEN_DOWN})"
            )
        return self._change(case_id, status, "case_status", actor=actor, reason=reason)

    def mark_taken_down(
        self, case_id: int, *, actor: str, reason: str, done: dict[str, Any]
    ) -> CaseSummary:
        """Set ``taken_down`` with the ``case_takedown`` event (``done``: what was done)."""
        return self._change(case_id, TAKEN_DOWN, "case_takedown", actor, reason, done)

    def _change(
        self,
        case_id: int,
        status: str,
        action: str,
        actor: str,
        reason: str,
        done: dict[str, Any] | None = None,
    ) -> CaseSummary:
        with self.engine.begin() as conn:
            before = conn.execute(
                select(CaseRow.status).where(CaseRow.id == case_id).with_for_update()
            ).scalar_one_or_none()
            if before is None:
                raise NotFound(f"no case {case_id}")
            if before == status:
                raise CaseConflict(f"case {case_id} is already {status.replace('_', ' ')}")
            conn.execute(
                update(CaseRow)
                .where(CaseRow.id == case_id)
                .values(status=status, updated_at=stored_now())
            )
            append_event_conn(
                conn,
                actor=actor,
                action=action,
                target_type="case",
                target_id=str(case_id),
                reason=reason,
                before={"status": before},
                after={"status": status, **(done or {})},
            )
        summary = self._summary(case_id)
        assert summary is not None
        return summary

    # -- reads ---------------------------------------------------------------------------------

    def list(
        self, status: str | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[CaseSummary]:
        """Cases, newest first (``status``: only those)."""
        if status is not None and status not in STATUSES:
            raise errors.Invalid(f"status must be one of {', '.join(STATUSES)}")
        query = self._summaries().order_by(CaseRow.id.desc()).limit(limit).offset(offset)
        if status is not None:
            query = query.where(CaseRow.status == status)
        with self.engine.connect() as conn:
            return [_summary(r) for r in conn.execute(query)]

    def count(self, status: str | None = None) -> int:
        query = select(func.count()).select_from(CaseRow)
        if status is not None:
            query = query.where(CaseRow.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def cases_of(self, entity: EntityKey) -> builtins.list[int]:
        """The ids of the cases ``entity`` is a member of, oldest first."""
        with self.engine.connect() as conn:
            return [
                int(i)
                for i in conn.execute(
                    select(CaseMemberRow.case_id)
                    .where(
                        CaseMemberRow.entity_type == entity.type,
                        CaseMemberRow.entity_id == entity.id,
                    )
                    .order_by(CaseMemberRow.case_id)
                ).scalars()
            ]

    def get(self, case_id: int) -> CaseView | None:
        """Everything about a case, or None if there is no such case."""
        with self.engine.connect() as conn:
            found = conn.execute(self._summaries().where(CaseRow.id == case_id)).one_or_none()
            if found is None:
                return None
            row = conn.execute(
                select(CaseRow.evidence, CaseRow.links).where(CaseRow.id == case_id)
            ).one()
            members = self._members(conn, case_id)
            actions = [
                CaseAction(
                    int(a.id),
                    a.kind,
                    a.target_type,
                    int(a.target_id),
                    a.reason,
                    a.actor,
                    aware(a.at),
                )
                for a in conn.execute(
                    select(ActionRow).where(ActionRow.case_id == case_id).order_by(ActionRow.id)
                )
            ]
            changes = list(
                conn.execute(
                    select(
                        AuditEventRow.at,
                        AuditEventRow.action,
                        AuditEventRow.actor,
                        AuditEventRow.reason,
                        AuditEventRow.after,
                    )
                    .where(
                        AuditEventRow.target_type == "case",
                        AuditEventRow.target_id == str(case_id),
                        AuditEventRow.action.in_(("case_status", "case_takedown")),
                    )
                    .order_by(AuditEventRow.id)
                )
            )
        summary = _summary(found)
        timeline = _timeline(summary, members, actions, changes)
        return CaseView(
            summary, list(row.evidence or []), list(row.links or []), members, actions, timeline
        )

    def _summary(self, case_id: int) -> CaseSummary | None:
        with self.engine.connect() as conn:
            row = conn.execute(self._summaries().where(CaseRow.id == case_id)).one_or_none()
        return _summary(row) if row is not None else None

    @staticmethod
    def _summaries() -> Any:
        counts = (
            select(CaseMemberRow.case_id, func.count().label("n"))
            .group_by(CaseMemberRow.case_id)
            .subquery()
        )
        return select(
            CaseRow.id,
            CaseRow.title,
            CaseRow.status,
            CaseRow.kind,
            CaseRow.score,
            CaseRow.summary,
            func.coalesce(counts.c.n, 0).label("members"),
            CaseRow.created_by,
            CaseRow.created_at,
            CaseRow.updated_at,
        ).outerjoin(counts, counts.c.case_id == CaseRow.id)

    @staticmethod
    def _members(conn: Connection, case_id: int) -> builtins.list[CaseMember]:
        rows = list(
            conn.execute(
                select(CaseMemberRow)
                .where(CaseMemberRow.case_id == case_id)
                .order_by(
                    CaseMemberRow.score.desc(), CaseMemberRow.entity_type, CaseMemberRow.entity_id
                )
            )
        )
        now: dict[tuple[str, int], Any] = {}
        ads: dict[tuple[str, int], Any] = {}
        for kind, table, column in (
            ("advertiser", AdvertiserRow, AdRow.advertiser_id),
            ("page", PageRow, AdRow.page_id),
        ):
            ids = sorted({int(r.entity_id) for r in rows if r.entity_type == kind})
            cols: builtins.list[Any] = [table.id, table.name, table.disabled, table.created_at]
            if table is PageRow:
                cols.append(PageRow.kind)
            for chunk in chunks(ids, _CHUNK):
                for r in conn.execute(select(*cols).where(table.id.in_(chunk))):
                    now[(kind, int(r.id))] = r
                for r in conn.execute(_ad_counts(column, chunk)):
                    ads[(kind, int(r.owner))] = r
        return [_member(r, now.get(_key(r)), ads.get(_key(r))) for r in rows]


def _key(r: Any) -> tuple[str, int]:
    return (r.entity_type, int(r.entity_id))


def _ad_counts(column: Any, ids: Sequence[int]) -> Any:
    """Per advertiser or page: its ads, the active ones, the first and last creation times and
    the first political ad's."""
    return (
        select(
            column.label("owner"),
            func.count().label("n"),
            func.sum(case((active_condition(), 1), else_=0)).label("active"),
            func.min(AdRow.created_at).label("first"),
            func.max(AdRow.created_at).label("last"),
            func.min(case((AdRow.is_political.is_(True), AdRow.created_at))).label("political"),
        )
        .where(column.in_(ids))
        .group_by(column)
    )


def _member(r: Any, current: Any, counted: Any) -> CaseMember:
    details: dict[str, Any] = r.details or {}
    created = aware(current.created_at) if current is not None else None
    political = _parse(details.get("first_political_at"))
    if political is None and counted is not None:
        political = aware(counted.political)
    return CaseMember(
        entity_type=r.entity_type,
        entity_id=int(r.entity_id),
        role=r.role,
        risk=r.score,
        name=current.name if current is not None else str(details.get("name", "")),
        exists=current is not None,
        disabled=bool(current.disabled) if current is not None else None,
        page_kind=getattr(current, "kind", None) if r.entity_type == "page" else None,
        findings=list(details.get("findings") or []),
        flagged=details.get("flagged"),
        rank=float(details.get("rank") or 0.0),
        created_at=created or _parse(details.get("created_at")),
        first_political_at=political,
        ads=int(counted.n) if counted is not None else 0,
        active_ads=int(counted.active or 0) if counted is not None else 0,
        first_ad_at=aware(counted.first) if counted is not None else None,
        last_ad_at=aware(counted.last) if counted is not None else None,
    )


def _summary(r: Any) -> CaseSummary:
    return CaseSummary(
        id=int(r.id),
        title=r.title,
        status=r.status,
        kind=r.kind,
        score=r.score,
        summary=r.summary,
        members=int(r.members),
        created_by=r.created_by,
        created_at=aware(r.created_at),
        updated_at=aware(r.updated_at),
    )


def _timeline(
    case: CaseSummary, members: list[CaseMember], actions: list[CaseAction], changes: list[Any]
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for m in members:
        who = f"{m.entity_type} {m.name}"
        for at, what, label in (
            (m.created_at, "created", f"{who} created"),
            (m.first_political_at, "first_political", f"{who}: first political ad"),
            (m.first_ad_at, "first_ad", f"{who}: first ad ({m.ads} in all)"),
            (m.last_ad_at, "last_ad", f"{who}: last ad"),
        ):
            if at is not None and not (what == "last_ad" and at == m.first_ad_at):
                events.append(TimelineEvent(at, what, label, m.key))
    if case.created_at is not None:
        by = f" by {case.created_by}" if case.created_by else ""
        events.append(TimelineEvent(case.created_at, "case_opened", f"case opened{by}"))
    for a in actions:
        if a.at is not None:
            label = f"{a.kind.replace('_', ' ')} #{a.target_id} by {a.actor}: {a.reason}"
            events.append(TimelineEvent(a.at, "action", label, f"{a.target_type}:{a.target_id}"))
    for c in changes:
        after = c.after or {}
        if c.action == "case_takedown":
            label = (
                f"case taken down by {c.actor}: {after.get('advertisers_disabled', 0)} "
                f"advertisers and {after.get('pages_disabled', 0)} pages disabled, "
                f"{after.get('ads_stopped', 0)} ads stopped"
            )
        else:
            status = str(after.get("status", "?"))
            verb = "reopened" if status == OPEN else status
            label = f"case {verb} by {c.actor}: {c.reason or ''}".rstrip(": ")
        at = aware(c.at)
        assert at is not None
        events.append(TimelineEvent(at, "status", label))
    order = {
        "created": 0,
        "first_political": 2,
        "first_ad": 1,
        "last_ad": 3,
        "case_opened": 4,
        "action": 5,
        "status": 6,
    }
    return sorted(events, key=lambda e: (e.at, order.get(e.what, 9), e.entity or ""))
