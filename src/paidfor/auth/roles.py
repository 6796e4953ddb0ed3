"""Roles and the principal a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from paidfor.errors import Invalid


class Role(StrEnum):
    """What a token may do. ADMIN passes every role check."""

    ADVERTISER = "advertiser"
    REVIEWER = "reviewer"
    INVESTIGATOR = "investigator"
    PARTNER = "partner"
    ADMIN = "admin"

    @classmethod
    def parse(cls, value: str) -> Role:
        """The role named ``value`` (any case); ``Invalid`` naming the valid roles if none."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise Invalid(f"unknown role {value!r}; choose one of: {names}") from None


#: The integrity team: the roles that may sign in to the staff web pages.
STAFF_ROLES: frozenset[Role] = frozenset({Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: one API token (and, for an advertiser, its account)."""

    token_id: int
    name: str
    role: Role
    advertiser_id: int | None = None

    @property
    def actor(self) -> str:
        """The audit log's name for this principal, e.g. ``reviewer:alice#3``."""
        return f"{self.role.value}:{self.name}#{self.token_id}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def has_role(self, *roles: Role) -> bool:
        """True if this principal is one of ``roles`` (any role if none given) or an admin."""
        return not roles or self.role is Role.ADMIN or self.role in roles
