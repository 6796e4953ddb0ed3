"""Enforcement in the database: remove and restore ads, disable and restore advertisers and
pages, one target or a list of them in one transaction (all or nothing).

A removed ad stops and stays in the library marked as removed, with the reason. Disabling an
advertiser or a page stops its active ads (approved or running), which stay stopped when it is
restored. Every action is an ``actions`` row and an audit event with the state before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, insert, select, update

from paidfor.domain import ActionKind, AdStatus
from paidfor.errors import Conflict
from paidfor.review.intake_store import NotFound
from paidfor.storage.audit import append_event_conn
from paidfor.storage.changes import touch_ads
from paidfor.storage.mapping import stored_now
from paidfor.storage.models import ActionRow, AdRow, AdvertiserRow, AuditEventRow, PageRow
from paidfor.storage.rules import ACTIVE

TARGET_TYPE = {
    ActionKind.REMOVE_AD: "ad",
    ActionKind.RESTORE_AD: "ad",
    ActionKind.DISABLE_ADVERTISER: "advertiser",
    ActionKind.RESTORE_ADVERTISER: "advertiser",
    ActionKind.DISABLE_PAGE: "page",
    ActionKind.RESTORE_PAGE: "page",
}


@dataclass(frozen=True)
class ActionResult:
    kind: ActionKind
    target_type: str
    target_id: int
    before: dict[str, Any]
    after: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "action": str(self.kind),
            "target_type": self.target_type,
            "target_id": self.target_id,
            "before": self.before,
            "after": self.after,
        }


class EnforcementRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def apply(
        self,
        kind: ActionKind,
        targets: Sequence[int],
        *,
        reason: str,
        actor: str,
        case_id: int | None = None,
    ) -> list[ActionResult]:
        """Apply ``kind`` to every target, or to none if one of them does not exist
        (``case_id``: the case the actions are taken for, kept on each action row)."""
        out: list[ActionResult] = []
        now = stored_now()
        with self.engine.begin() as conn:
            for target in dict.fromkeys(targets):
                before, after = self._do(conn, kind, target, reason)
                out.append(ActionResult(kind, TARGET_TYPE[kind], target, before, after))
                conn.execute(
                    insert(ActionRow),
                    {
                        "kind": str(kind),
                        "target_type": TARGET_TYPE[kind],
                        "target_id": target,
                        "reason": reason,
                        "actor": actor,
                        "at": now,
                        "case_id": case_id,
                    },
                )
                append_event_conn(
                    conn,
                    actor=actor,
                    action=f"enforcement.{kind}",
                    target_type=TARGET_TYPE[kind],
                    target_id=str(target),
                    reason=reason,
                    before=before,
                    after=after,
                )
        return out

    def _do(
        self, conn: Connection, kind: ActionKind, target: int, reason: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if kind in (ActionKind.REMOVE_AD, ActionKind.RESTORE_AD):
            row = conn.execute(
                select(AdRow.status, AdRow.removal_reason, AdRow.stop_at).where(AdRow.id == target)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no ad {target}")
            before = {"status": row.status, "removal_reason": row.removal_reason,
                      "stop_at": row.stop_at.isoformat() if row.stop_at else None}  # fmt: skip
            values: dict[str, Any]
            if kind == ActionKind.REMOVE_AD:
                values = {"status": str(AdStatus.REMOVED), "removal_reason": reason}
                now = stored_now()
                if row.status in ACTIVE and (row.stop_at is None or row.stop_at > now):
                    # it stops delivering now: its removal is its end (domain Ad.delivered_until)
                    values["stop_at"] = now
            else:
                if row.status != str(AdStatus.REMOVED):
                    raise Conflict(f"ad {target} is not removed (it is {row.status})")
                status, stop_at = self._before_removal(conn, target, row.stop_at)
                values = {"status": status, "removal_reason": None, "stop_at": stop_at}
            conn.execute(update(AdRow).where(AdRow.id == target).values(values))
            touch_ads(conn, [target])
            shown = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
            return before, shown
        table: Any = AdvertiserRow if "advertiser" in str(kind) else PageRow
        column = AdRow.advertiser_id if table is AdvertiserRow else AdRow.page_id
        disabled = conn.execute(
            select(table.disabled).where(table.id == target)
        ).scalar_one_or_none()
        if disabled is None:
            raise NotFound(f"no {TARGET_TYPE[kind]} {target}")
        disable = str(kind).startswith("disable")
        conn.execute(update(table).where(table.id == target).values(disabled=disable))
        stopped: list[int] = []
        if disable:
            stopped = list(
                conn.execute(
                    select(AdRow.id).where(column == target, AdRow.status.in_(ACTIVE))
                ).scalars()
            )
            if stopped:
                now = stored_now()
                conn.execute(
                    update(AdRow)
                    .where(AdRow.id.in_(stopped))
                    .values(
                        status=str(AdStatus.STOPPED),
                        # stopped now, unless it was to stop earlier anyway
                        stop_at=case(
                            (and_(AdRow.stop_at.is_not(None), AdRow.stop_at <= now),
                             AdRow.stop_at),
                            else_=now,
                        ),
                    )
                )  # fmt: skip
                touch_ads(conn, stopped)
        return {"disabled": bool(disabled)}, {"disabled": disable, "stopped_ads": stopped}

    @staticmethod
    def _before_removal(
        conn: Connection, ad_id: int, stop_at: datetime | None
    ) -> tuple[str, datetime | None]:
        """The status and stop time an ad had before its last removal (the removal's audit
        event keeps them): a restored ad delivers as it did. An ad removed before this
        system recorded why (an import) comes back as stopped, its stop time unchanged."""
        before = conn.execute(
            select(AuditEventRow.before)
            .where(
                AuditEventRow.action == f"enforcement.{ActionKind.REMOVE_AD}",
                AuditEventRow.target_type == "ad",
                AuditEventRow.target_id == str(ad_id),
            )
            .order_by(AuditEventRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        status = (before or {}).get("status")
        if status in (None, str(AdStatus.REMOVED)):
            return str(AdStatus.STOPPED), stop_at
        if "stop_at" not in (before or {}):  # removed before stop times were kept
            return str(status), stop_at
        kept = (before or {}).get("stop_at")
        return str(status), datetime.fromisoformat(kept) if kept else None
