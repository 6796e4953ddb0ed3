"""API tokens in the database. Only hashes are stored; each change lands with its audit
event in one transaction."""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update

from paidfor.storage.audit import append_event_conn
from paidfor.storage.db import begun
from paidfor.storage.mapping import aware, utc_naive
from paidfor.storage.models import AdvertiserRow, ApiTokenRow, PrivacyGroupRow, TokenGroupRow


@dataclass(frozen=True)
class ApiToken:
    """A stored token as the layers above see it: never its hash, never the token."""

    id: int
    name: str
    role: str
    prefix: str
    advertiser_id: int | None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "prefix": self.prefix,
            "advertiser_id": self.advertiser_id,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }


_COLUMNS = (
    ApiTokenRow.id,
    ApiTokenRow.name,
    ApiTokenRow.role,
    ApiTokenRow.prefix,
    ApiTokenRow.advertiser_id,
    ApiTokenRow.created_at,
    ApiTokenRow.last_used_at,
    ApiTokenRow.revoked_at,
)


def _token(r: Any) -> ApiToken:
    """A row carrying the ``_COLUMNS`` as an ``ApiToken``."""
    return ApiToken(
        id=int(r.id),
        name=r.name,
        role=r.role,
        prefix=r.prefix,
        advertiser_id=r.advertiser_id,
        created_at=r.created_at.replace(tzinfo=UTC),
        last_used_at=aware(r.last_used_at),
        revoked_at=aware(r.revoked_at),
    )


class TokenRepository:
    """Create, find, list, revoke and touch API tokens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def advertiser_exists(self, advertiser_id: int, conn: Connection | None = None) -> bool:
        with begun(self.engine, conn) as conn:
            found = conn.execute(
                select(AdvertiserRow.id).where(AdvertiserRow.id == advertiser_id)
            ).first()
        return found is not None

    def group_ids(self, names: builtins.list[str]) -> dict[str, int]:
        """The ids of the exchange's privacy groups among ``names`` (unknown ones left out)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(PrivacyGroupRow.name, PrivacyGroupRow.id).where(
                    PrivacyGroupRow.name.in_(names)
                )
            ).all()
        return {r.name: int(r.id) for r in rows}

    def create(
        self,
        *,
        name: str,
        role: str,
        token_hash: str,
        prefix: str,
        advertiser_id: int | None,
        created_at: datetime,
        actor: str,
        group_ids: dict[str, int] | None = None,
        conn: Connection | None = None,
    ) -> ApiToken:
        """Store a new token's hash (and a partner's privacy groups, ``group_ids`` by name)
        and write the ``token.create`` audit event with it."""
        values = {
            "name": name,
            "role": role,
            "token_hash": token_hash,
            "prefix": prefix,
            "advertiser_id": advertiser_id,
            "created_at": utc_naive(created_at),
        }
        with begun(self.engine, conn) as conn:
            new_id = conn.execute(
                insert(ApiTokenRow).returning(ApiTokenRow.id), values
            ).scalar_one()
            token = _token(conn.execute(select(*_COLUMNS).where(ApiTokenRow.id == new_id)).one())
            after = {k: v for k, v in token.as_json().items() if v is not None}
            if group_ids:
                conn.execute(
                    insert(TokenGroupRow),
                    [{"token_id": new_id, "group_id": g} for g in group_ids.values()],
                )
                after["groups"] = sorted(group_ids)
            append_event_conn(
                conn,
                actor=actor,
                action="token.create",
                target_type="api_token",
                target_id=str(new_id),
                after=after,
            )
        return token

    def find_by_hash(self, token_hash: str) -> ApiToken | None:
        """The token whose hash is ``token_hash`` (revoked or not), or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ApiTokenRow.token_hash, *_COLUMNS).where(
                    ApiTokenRow.token_hash == token_hash
                )
            ).first()
        if row is None or not secrets.compare_digest(row.token_hash, token_hash):
            return None
        return _token(row)

    def get(self, token_id: int) -> ApiToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(ApiTokenRow.id == token_id)).first()
        return _token(row) if row is not None else None

    def list(self) -> builtins.list[ApiToken]:
        """Every token, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(ApiTokenRow.id)).all()
        return [_token(r) for r in rows]

    def revoke(
        self, token_id: int, *, at: datetime, actor: str, reason: str | None = None
    ) -> ApiToken | None:
        """Revoke a token (with a ``token.revoke`` audit event); None if there is no such
        token. Revoking a revoked token changes nothing and writes no event."""
        with self.engine.begin() as conn:
            row = conn.execute(select(*_COLUMNS).where(ApiTokenRow.id == token_id)).first()
            if row is None:
                return None
            before = _token(row)
            if not before.active:
                return before
            conn.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id)
                .values(revoked_at=utc_naive(at))
            )
            after = _token(conn.execute(select(*_COLUMNS).where(ApiTokenRow.id == token_id)).one())
            append_event_conn(
                conn,
                actor=actor,
                action="token.revoke",
                target_type="api_token",
                target_id=str(token_id),
                reason=reason,
                before={"revoked_at": None},
                after={"revoked_at": after.revoked_at.isoformat() if after.revoked_at else None},
            )
        return after

    def touch(self, token_id: int, at: datetime, *, min_interval: timedelta) -> bool:
        """Record a use at ``at`` unless one was recorded less than ``min_interval`` before
        (so a busy token costs one write a minute, not one a request). True if written."""
        now = utc_naive(at)
        assert now is not None
        with self.engine.begin() as conn:
            result = conn.execute(
                update(ApiTokenRow)
                .where(
                    ApiTokenRow.id == token_id,
                    or_(
                        ApiTokenRow.last_used_at.is_(None),
                        ApiTokenRow.last_used_at <= now - min_interval,
                    ),
                )
                .values(last_used_at=now)
            )
        return bool(result.rowcount)
