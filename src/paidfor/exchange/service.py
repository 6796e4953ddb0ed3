"""The exchange's operations: check what a member sends, then store it (``exchange.store``).

A member is a partner token (it acts only in its groups; any other group is treated as
absent) or paidfor's own staff (every group, acting as ``paidfor``). Only an indicator's owner
updates or deletes it; a delete, and an expiry, leave a tombstone in the feed. Every call,
reads included, is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from paidfor.exchange.model import (
    PAIDFOR,
    Group,
    IndicatorView,
    Invalid,
    Member,
    UpdatesPage,
    check_confidence,
    check_description,
    check_expiry,
    check_group_name,
    normalize_tags,
    normalize_value,
    parse_reaction,
    parse_status,
    parse_type,
)
from paidfor.exchange.store import ExchangeRepository

MAX_PAGE = 1000
DEFAULT_PAGE = 100
UPDATABLE = ("status", "tags", "confidence", "description", "expires_at")


def _now() -> datetime:
    return datetime.now(UTC)


def parse_cursor(cursor: str | None) -> int:
    """The stamp a cursor stands for: empty or None is the start of the feed."""
    if cursor is None or cursor.strip() == "":
        return 0
    text = cursor.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise Invalid(f"not a cursor of this feed: {cursor[:40]!r}")
    return int(text)


class ExchangeService:
    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _now) -> None:
        self.repo = ExchangeRepository(engine)
        self.clock = clock

    # -- who ------------------------------------------------------------------------------

    def staff(self, actor: str) -> Member:
        """paidfor's own staff (CLI, investigators, admins): every group."""
        return Member(name=PAIDFOR, actor=actor)

    def partner(self, token_id: int, name: str, actor: str) -> Member:
        """A partner token: only the groups it belongs to."""
        return Member(
            name=name, actor=actor, token_id=token_id, group_ids=self.repo.token_groups(token_id)
        )

    # -- groups ---------------------------------------------------------------------------

    def create_group(self, name: str, description: str | None, actor: str) -> Group:
        return self.repo.create_group(
            check_group_name(name), check_description(description), actor, self.clock()
        )

    def groups(self, member: Member) -> list[Group]:
        return self.repo.groups(member)

    def group_ids(self, names: list[str]) -> list[int]:
        """Ids of the named groups (for a partner token); NotFound for an unknown name."""
        found = self.repo.group_ids(check_group_name(n) for n in names)
        return sorted(found.values())

    # -- indicators -----------------------------------------------------------------------

    def _future(self, expires_at: datetime | None) -> datetime | None:
        moment = check_expiry(expires_at)
        if moment is not None and moment <= self.clock():
            raise Invalid("expires_at must be in the future")
        return moment

    def add(
        self,
        member: Member,
        *,
        type: str,
        value: object,
        group: str,
        status: str = "UNKNOWN",
        tags: object = (),
        confidence: object = 50,
        description: object = None,
        expires_at: datetime | None = None,
    ) -> IndicatorView:
        kind = parse_type(type)
        fields = {
            "type": kind.value,
            "value": normalize_value(kind, value),
            "status": parse_status(status).value,
            "tags": normalize_tags(list(tags) if isinstance(tags, tuple) else tags),
            "confidence": check_confidence(confidence),
            "description": check_description(description),
            "expires_at": self._future(expires_at),
        }
        return self.repo.add(member, check_group_name(group), fields, self.clock())

    def update(self, member: Member, indicator_id: int, changes: dict[str, Any]) -> IndicatorView:
        """Change ``UPDATABLE`` fields of an own indicator (type, value and group are its key:
        delete it and add another instead)."""
        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise Invalid(
                f"cannot change {', '.join(unknown)}; an update may change {', '.join(UPDATABLE)}"
            )
        if not changes:
            raise Invalid(f"nothing to change: send one of {', '.join(UPDATABLE)}")
        checks: dict[str, Callable[[Any], Any]] = {
            "status": lambda v: parse_status(v).value,
            "tags": normalize_tags,
            "confidence": check_confidence,
            "description": check_description,
            "expires_at": self._future,
        }
        values = {name: checks[name](v) for name, v in changes.items()}
        return self.repo.update(member, indicator_id, values, self.clock())

    def delete(self, member: Member, indicator_id: int) -> IndicatorView:
        return self.repo.delete(member, indicator_id, self.clock())

    def react(self, member: Member, indicator_id: int, reaction: str) -> IndicatorView:
        return self.repo.react(member, indicator_id, parse_reaction(reaction).value, self.clock())

    def expire(self) -> list[int]:
        """Turn indicators past their expiry into tombstones now (every read and write does
        this first anyway); their ids."""
        with self.repo.engine.begin() as conn:
            return self.repo.expire_conn(conn, self.clock())

    def indicators(self, member: Member, group: str) -> list[IndicatorView]:
        """The group's live indicators."""
        return self.repo.live(member, check_group_name(group), self.clock())

    def updates(
        self, member: Member, group: str, cursor: str | None = None, limit: int = DEFAULT_PAGE
    ) -> UpdatesPage:
        """The group's feed after ``cursor``: up to ``limit`` indicators in stamp order, each
        with ``should_delete``; the cursor to ask from next, and whether more follow."""
        if isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
            raise Invalid(f"limit must be from 1 to {MAX_PAGE}")
        after = parse_cursor(cursor)
        items, more = self.repo.updates(member, check_group_name(group), after, limit, self.clock())
        return UpdatesPage(items, str(items[-1].seq if items else after), more)
