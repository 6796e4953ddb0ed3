"""Political-ad authorizations in the database: an advertiser asks in a country, naming the
funder its "Paid for by" will carry; a reviewer approves (verifying that funder) or refuses.
Every change writes its audit event in the same transaction."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from paidfor import errors
from paidfor.domain import AuthorizationRequest, AuthorizationStatus
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import AdvertiserRow, AuthorizationRow, FunderRow
from paidfor.storage.tables import FUNDERS, dialect_insert


class NotFound(errors.NotFound):
    """No such record (or not the caller's)."""


@dataclass(frozen=True)
class AuthorizationRecord:
    id: int
    advertiser_id: int
    advertiser_name: str
    country: str
    status: AuthorizationStatus
    legal_name: str | None
    residence_country: str | None
    id_document_ref: str | None
    funder_id: int | None
    funder_name: str | None
    funder_verified: bool
    decided_at: datetime | None

    def public_json(self) -> dict[str, Any]:
        """What the advertiser and reviewers see (the document reference is staff-only)."""
        return {
            "id": self.id,
            "advertiser_id": self.advertiser_id,
            "country": self.country,
            "status": str(self.status),
            "legal_name": self.legal_name,
            "residence_country": self.residence_country,
            "funder": self.funder_name,
            "funder_verified": self.funder_verified,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


def require_row(conn: Connection, table: Any, row_id: int) -> None:
    if conn.execute(select(table.id).where(table.id == row_id)).scalar_one_or_none() is None:
        raise NotFound(f"no {table.__tablename__[:-1]} {row_id}")


def funder_id(conn: Connection, name: str) -> int:
    """The id of the funder ``name``, stored (unverified) when new. Two submissions naming
    a new funder at once both get its one row (the insert yields to the other's)."""
    found = conn.execute(select(FunderRow.id).where(FunderRow.name == name)).scalar()
    if found is not None:
        return int(found)
    conn.execute(
        dialect_insert(conn, FUNDERS).on_conflict_do_nothing(index_elements=["name"]),
        {"name": name, "verified": False},
    )
    return int(conn.execute(select(FunderRow.id).where(FunderRow.name == name)).scalar_one())


class AuthorizationRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def request_authorization(
        self,
        advertiser_id: int,
        request: AuthorizationRequest,
        *,
        actor: str,
    ) -> AuthorizationRecord:
        """Ask (or ask again) for authorization in the request's country; pending until
        decided."""
        country, funder_name = request.country, request.funder_name
        with self.engine.begin() as conn:
            require_row(conn, AdvertiserRow, advertiser_id)
            funder = funder_id(conn, funder_name)
            values = {
                "status": str(AuthorizationStatus.PENDING),
                "legal_name": request.legal_name,
                "residence_country": request.residence_country,
                "id_document_ref": request.id_document_ref,
                "funder_id": funder,
                "decided_at": None,
            }
            existing = conn.execute(
                select(AuthorizationRow.id, AuthorizationRow.status).where(
                    AuthorizationRow.advertiser_id == advertiser_id,
                    AuthorizationRow.country == country,
                )
            ).one_or_none()
            if existing is None:
                auth_id = conn.execute(
                    insert(AuthorizationRow).returning(AuthorizationRow.id),
                    {"advertiser_id": advertiser_id, "country": country, **values},
                ).scalar_one()
            else:
                auth_id = existing.id
                conn.execute(
                    update(AuthorizationRow).where(AuthorizationRow.id == auth_id).values(values)
                )
            append_event_conn(
                conn,
                actor=actor,
                action="authorization.request",
                target_type="authorization",
                target_id=str(auth_id),
                before=None if existing is None else {"status": existing.status},
                after={"country": country, "funder": funder_name, "status": "pending"},
            )
        found = self.authorizations(auth_id=int(auth_id))
        return found[0]

    def decide_authorization(
        self, auth_id: int, *, approve: bool, reason: str, actor: str
    ) -> AuthorizationRecord:
        """Approve (verifying the named funder) or refuse a pending authorization."""
        status = AuthorizationStatus.APPROVED if approve else AuthorizationStatus.REFUSED
        with self.engine.begin() as conn:
            row = conn.execute(
                select(AuthorizationRow).where(AuthorizationRow.id == auth_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no authorization {auth_id}")
            conn.execute(
                update(AuthorizationRow)
                .where(AuthorizationRow.id == auth_id)
                .values(status=str(status), decided_at=stored_now())
            )
            if approve and row.funder_id is not None:
                conn.execute(
                    update(FunderRow).where(FunderRow.id == row.funder_id).values(verified=True)
                )
            append_event_conn(
                conn,
                actor=actor,
                action=f"authorization.{'approve' if approve else 'refuse'}",
                target_type="authorization",
                target_id=str(auth_id),
                reason=reason,
                before={"status": row.status},
                after={"status": str(status), "funder_id": row.funder_id},
            )
        return self.authorizations(auth_id=auth_id)[0]

    def authorizations(
        self,
        *,
        advertiser_id: int | None = None,
        status: AuthorizationStatus | None = None,
        auth_id: int | None = None,
    ) -> builtins.list[AuthorizationRecord]:
        stmt = (
            select(
                AuthorizationRow.__table__,
                AdvertiserRow.name.label("advertiser_name"),
                FunderRow.name.label("funder_name"),
                FunderRow.verified.label("funder_verified"),
            )
            .join(AdvertiserRow, AdvertiserRow.id == AuthorizationRow.advertiser_id)
            .outerjoin(FunderRow, FunderRow.id == AuthorizationRow.funder_id)
            .order_by(AuthorizationRow.id)
        )
        if advertiser_id is not None:
            stmt = stmt.where(AuthorizationRow.advertiser_id == advertiser_id)
        if status is not None:
            stmt = stmt.where(AuthorizationRow.status == str(status))
        if auth_id is not None:
            stmt = stmt.where(AuthorizationRow.id == auth_id)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return [
            AuthorizationRecord(
                id=int(a.id),
                advertiser_id=int(a.advertiser_id),
                advertiser_name=a.advertiser_name,
                country=a.country,
                status=AuthorizationStatus(a.status),
                legal_name=a.legal_name,
                residence_country=a.residence_country,
                id_document_ref=a.id_document_ref,
                funder_id=a.funder_id,
                funder_name=a.funder_name,
                funder_verified=bool(a.funder_verified),
                decided_at=aware(a.decided_at),
            )
            for a in rows
        ]
