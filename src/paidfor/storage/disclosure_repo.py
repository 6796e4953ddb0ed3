"""Disclosure requests in the database; each change writes its audit event in the same
transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from paidfor.storage.audit import append_event_conn
from paidfor.storage.disclosure_models import DisclosureRequestRow as R
from paidfor.storage.mapping import utc_naive


class NoSuchRequest(LookupError):
    """No disclosure request with that id (or none the caller may see)."""


@dataclass(frozen=True)
class DisclosureRequest:
    id: int
    case_id: int | None
    filters: dict[str, Any]
    recipient: str
    legal_basis: str
    purpose: str
    status: str
    requested_by: str
    requester_token_id: int | None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    built_by: str | None
    built_at: datetime | None
    package: str | None
    manifest_sha256: str | None
    ads: int | None

    def scope(self) -> str:
        if self.case_id is not None:
            return f"case {self.case_id}"
        return ", ".join(f"{k}={v}" for k, v in sorted(self.filters.items())) or "every ad"

    def as_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "case_id": self.case_id,
            "filters": dict(self.filters),
            "scope": self.scope(),
            "recipient": self.recipient,
            "legal_basis": self.legal_basis,
            "purpose": self.purpose,
            "status": self.status,
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at),
            "decision_reason": self.decision_reason,
            "built_by": self.built_by,
            "built_at": iso(self.built_at),
            "manifest_sha256": self.manifest_sha256,
            "ads": self.ads,
        }


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _request(r: Any) -> DisclosureRequest:
    return DisclosureRequest(
        id=int(r.id), case_id=r.case_id, filters=dict(r.filters or {}), recipient=r.recipient,
        legal_basis=r.legal_basis, purpose=r.purpose, status=r.status,
        requested_by=r.requested_by, requester_token_id=r.requester_token_id,
        requested_at=r.requested_at.replace(tzinfo=UTC), decided_by=r.decided_by,
        decided_at=_aware(r.decided_at), decision_reason=r.decision_reason,
        built_by=r.built_by, built_at=_aware(r.built_at), package=r.package,
        manifest_sha256=r.manifest_sha256, ads=r.ads,
    )  # fmt: skip


class DisclosureRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, values: dict[str, Any], now: datetime) -> DisclosureRequest:
        with self.engine.begin() as conn:
            key = conn.execute(
                insert(R).values(**values, status="requested", requested_at=utc_naive(now))
            ).inserted_primary_key
            assert key is not None
            append_event_conn(
                conn,
                actor=values["requested_by"],
                action="disclosure_request",
                target_type="disclosure",
                target_id=str(key[0]),
                reason=values["purpose"],
                after={k: v for k, v in values.items() if k != "requester_token_id"},
            )
        return self.get(int(key[0]))

    def get(self, request_id: int) -> DisclosureRequest:
        with self.engine.connect() as conn:
            row = conn.execute(select(R).where(R.id == request_id)).one_or_none()
        if row is None:
            raise NoSuchRequest(f"no disclosure request {request_id}")
        return _request(row)

    def requests(self, requested_by: str | None = None) -> list[DisclosureRequest]:
        q = select(R).order_by(R.id.desc())
        if requested_by is not None:
            q = q.where(R.requested_by == requested_by)
        with self.engine.connect() as conn:
            return [_request(r) for r in conn.execute(q)]

    def decide(
        self, request_id: int, *, approve: bool, actor: str, reason: str, now: datetime
    ) -> DisclosureRequest:
        status = "approved" if approve else "rejected"
        with self.engine.begin() as conn:
            done = conn.execute(
                update(R)
                .where(R.id == request_id, R.status == "requested")
                .values(status=status, decided_by=actor, decided_at=utc_naive(now),
                        decision_reason=reason)
            ).rowcount  # fmt: skip
            if done:
                append_event_conn(
                    conn, actor=actor, action=f"disclosure_{'approve' if approve else 'reject'}",
                    target_type="disclosure", target_id=str(request_id), reason=reason,
                    before={"status": "requested"}, after={"status": status},
                )  # fmt: skip
        return self.get(request_id)

    def record_build(
        self,
        request_id: int,
        *,
        actor: str,
        now: datetime,
        package: str,
        digest: str,
        ads: int,
        left_out: list[str],
    ) -> DisclosureRequest:
        with self.engine.begin() as conn:
            conn.execute(
                update(R)
                .where(R.id == request_id)
                .values(status="built", built_by=actor, built_at=utc_naive(now),
                        package=package, manifest_sha256=digest, ads=ads)
            )  # fmt: skip
            append_event_conn(
                conn, actor=actor, action="disclosure_build", target_type="disclosure",
                target_id=str(request_id),
                after={"package": package, "manifest_sha256": digest, "ads": ads,
                       "left_out": left_out},
            )  # fmt: skip
        return self.get(request_id)

    def record_refusal(self, request_id: int | None, *, actor: str, what: str, why: str) -> None:
        """A refused attempt (to build or download a package) is audited too."""
        with self.engine.begin() as conn:
            append_event_conn(
                conn, actor=actor, action=f"disclosure_{what}_refused",
                target_type="disclosure", target_id=str(request_id or ""), reason=why,
            )  # fmt: skip

    def record_download(self, request_id: int, *, actor: str) -> None:
        with self.engine.begin() as conn:
            append_event_conn(
                conn, actor=actor, action="disclosure_download", target_type="disclosure",
                target_id=str(request_id),
            )  # fmt: skip


__all__ = ["DisclosureRepository", "DisclosureRequest", "NoSuchRequest"]
