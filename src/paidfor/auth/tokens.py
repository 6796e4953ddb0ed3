"""API tokens: create (shown once), authenticate, revoke, list.

A token is ``pf_`` followed by ``secrets.token_urlsafe(32)`` (32 random bytes). The database
keeps only its SHA-256 hex digest and its first ten characters for display; a token is found
by the digest of what the client sends, so nothing secret is ever compared byte by byte.
"""

from __future__ import annotations

import builtins
import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from paidfor.auth.roles import Principal, Role
from paidfor.auth.store import ApiToken, TokenRepository
from paidfor.errors import Invalid
from paidfor.storage.audit import append_event

TOKEN_PREFIX = "pf_"
PREFIX_CHARS = 10
TOKEN_BYTES = 32
#: Longest string worth hashing: a real token is 46 characters.
MAX_TOKEN_CHARS = 200
#: A token's ``last_used_at`` is written at most this often.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest the database stores for ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def principal_of(token: ApiToken) -> Principal:
    return Principal(
        token_id=token.id,
        name=token.name,
        role=Role(token.role),
        advertiser_id=token.advertiser_id,
    )


def _now() -> datetime:
    return datetime.now(UTC)


class TokenService:
    """Everything about API tokens; every change writes an audit event."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.repo = TokenRepository(engine)
        self.clock = clock

    def create(
        self,
        role: Role | str,
        name: str,
        *,
        advertiser_id: int | None = None,
        actor: str = "cli",
        groups: builtins.list[str] | None = None,
        conn: Connection | None = None,
    ) -> tuple[str, Principal]:
        """A new token and who it acts as. The token is returned here and never again.

        ``Invalid`` (a ValueError) for an unknown role, an empty or over-long name, an
        advertiser token without an existing advertiser account, or an account given for
        another role; a partner token's exchange ``groups`` (by name) must exist, and only
        partners have any. With ``conn``, the token is written in the caller's transaction
        (``review.accounts``: an account and its first token, both or neither)."""
        role = Role.parse(role) if isinstance(role, str) else role
        name = name.strip()
        if not name or len(name) > 200:
            raise Invalid("a token needs a name of 1 to 200 characters")
        if role is Role.ADVERTISER:
            if advertiser_id is None:
                raise Invalid("an advertiser token needs the advertiser account id")
            if not self.repo.advertiser_exists(advertiser_id, conn):
                raise Invalid(f"there is no advertiser with id {advertiser_id}")
        elif advertiser_id is not None:
            raise Invalid(f"only advertiser tokens act for an advertiser, not {role.value}")
        group_ids: dict[str, int] | None = None
        if groups:
            if role is not Role.PARTNER:
                raise Invalid(f"only partner tokens belong to privacy groups, not {role.value}")
            names = sorted({g.strip() for g in groups})
            group_ids = self.repo.group_ids(names)
            missing = [n for n in names if n not in group_ids]
            if missing:
                raise Invalid(f"there is no privacy group named {', '.join(missing)}")
        token = new_token()
        stored = self.repo.create(
            name=name,
            role=role.value,
            token_hash=hash_token(token),
            prefix=token[:PREFIX_CHARS],
            advertiser_id=advertiser_id,
            created_at=self.clock(),
            actor=actor,
            group_ids=group_ids,
            conn=conn,
        )
        return token, principal_of(stored)

    def authenticate(self, token: str) -> Principal | None:
        """Who ``token`` acts as, or None if it is not a live token. Never raises for any
        string. Records the use (at most once a minute per token)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            return None
        if len(token) > MAX_TOKEN_CHARS:
            return None
        found = self.repo.find_by_hash(hash_token(token))
        if found is None or not found.active:
            return None
        now = self.clock()
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_INTERVAL:
            self.repo.touch(found.id, now, min_interval=TOUCH_INTERVAL)
        return principal_of(found)

    def get(self, token_id: int) -> Principal | None:
        """The principal of a live (unrevoked) token by id (a staff session keeps the id)."""
        found = self.repo.get(token_id)
        return principal_of(found) if found is not None and found.active else None

    def find(self, token_id: int) -> ApiToken | None:
        """The stored token (live or revoked) with this id, or None."""
        return self.repo.get(token_id)

    def revoke(self, token_id: int, actor: str, reason: str | None = None) -> ApiToken | None:
        """Revoke a token at once (audited); None if there is no such token."""
        return self.repo.revoke(token_id, at=self.clock(), actor=actor, reason=reason)

    def list(self) -> builtins.list[ApiToken]:
        """Every token, without hashes: id, name, role, prefix and times."""
        return self.repo.list()

    def record(
        self,
        principal: Principal,
        action: str,
        *,
        reason: str | None = None,
        after: dict[str, object] | None = None,
    ) -> None:
        """An audit event about ``principal``'s own token, e.g. ``staff.login``."""
        append_event(
            self.engine,
            actor=principal.actor,
            action=action,
            target_type="api_token",
            target_id=str(principal.token_id),
            reason=reason,
            after=after,
        )
