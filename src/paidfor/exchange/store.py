"""The exchange in the database: groups, indicators, reactions and the updates feed.

Every write of an indicator stamps it with the next value of ``exchange_state.seq`` inside
its own transaction (the idea of ``storage.changes``): the counter's row stays locked until
the transaction commits, so stamps become visible in commit order and a reader that has seen
stamp N has missed nothing below it. A deleted or expired indicator keeps its row as a
tombstone with the stamp of its deletion. Every call, reads included, writes its audit event
in the same transaction, and first turns indicators past their expiry into tombstones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, false, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paidfor.exchange.feed_models import INDICATORS, ExchangeStateRow, IndicatorReactionRow
from paidfor.exchange.model import (
    Conflict,
    Group,
    IndicatorView,
    Member,
    NotFound,
    NotOwner,
)
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, utc_naive
from paidfor.storage.models import PrivacyGroupRow, TokenGroupRow

EXPIRY_ACTOR = "paidfor:expiry"
I = INDICATORS.c  # noqa: E741


def value_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def next_seq(conn: Connection) -> int:
    """Take the next feed stamp (in the caller's transaction)."""
    stmt = (
        update(ExchangeStateRow)
        .where(ExchangeStateRow.id == 1)
        .values(seq=ExchangeStateRow.seq + 1)
        .returning(ExchangeStateRow.seq)
    )
    return int(conn.execute(stmt).scalar_one())


def _group(r: Any) -> Group:
    return Group(
        id=int(r.id),
        name=r.name,
        description=r.description,
        created_by=r.created_by,
        created_at=r.created_at.replace(tzinfo=UTC),
    )


_VIEW_COLUMNS = (*INDICATORS.c, PrivacyGroupRow.name.label("group_name"))


def _views(conn: Connection, rows: Sequence[Any]) -> list[IndicatorView]:
    counts: dict[int, dict[str, int]] = {}
    ids = [int(r.id) for r in rows]
    if ids:
        found = conn.execute(
            select(IndicatorReactionRow.indicator_id, IndicatorReactionRow.reaction, func.count())
            .where(IndicatorReactionRow.indicator_id.in_(ids))
            .group_by(IndicatorReactionRow.indicator_id, IndicatorReactionRow.reaction)
        ).all()
        for indicator_id, reaction, n in found:
            counts.setdefault(int(indicator_id), {})[reaction] = int(n)
    return [
        IndicatorView(
            id=int(r.id),
            type=r.type,
            value=r.value,
            status=r.status,
            tags=list(r.tags or []),
            confidence=int(r.confidence),
            description=r.description,
            owner=r.owner or "",
            group=r.group_name,
            seq=int(r.seq),
            created_at=aware(r.created_at),
            updated_at=aware(r.updated_at),
            expires_at=aware(r.expires_at),
            deleted=bool(r.deleted),
            reactions=dict(sorted(counts.get(int(r.id), {}).items())),
            owner_token_id=r.owner_token_id,
        )
        for r in rows
    ]


def _select_views() -> Any:
    return select(*_VIEW_COLUMNS).join(PrivacyGroupRow, PrivacyGroupRow.id == I.group_id)


def _snapshot(view: IndicatorView) -> dict[str, Any]:
    return {
        "type": view.type,
        "value": view.value if len(view.value) <= 500 else view.value[:500] + "…",
        "status": view.status,
        "tags": view.tags,
        "confidence": view.confidence,
        "group": view.group,
        "owner": view.owner,
        "seq": view.seq,
        "deleted": view.deleted,
        "expires_at": view.expires_at.isoformat() if view.expires_at else None,
    }


class ExchangeRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- expiry ---------------------------------------------------------------------------

    def expire_conn(self, conn: Connection, now: datetime) -> list[int]:
        """Turn live indicators past their expiry into tombstones; their ids."""
        stamp = utc_naive(now)
        due = conn.execute(
            select(I.id).where(
                I.deleted == false(),  # "= 0", as the partial index ix_indicators_expiry says
                I.expires_at.is_not(None),
                I.expires_at <= stamp,
                I.group_id.is_not(None),
            )
        ).scalars()
        done = []
        for indicator_id in list(due):
            seq = next_seq(conn)
            changed = conn.execute(
                update(INDICATORS)
                .where(I.id == indicator_id, I.deleted == false())
                .values(deleted=True, seq=seq, updated_at=stamp)
            ).rowcount
            if changed:
                done.append(int(indicator_id))
                append_event_conn(
                    conn,
                    actor=EXPIRY_ACTOR,
                    action="indicator_expire",
                    target_type="indicator",
                    target_id=str(indicator_id),
                    after={"deleted": True, "seq": seq},
                )
        return done

    # -- groups ---------------------------------------------------------------------------

    def create_group(self, name: str, description: str | None, actor: str, now: datetime) -> Group:
        try:
            with self.engine.begin() as conn:
                if conn.execute(
                    select(PrivacyGroupRow.id).where(PrivacyGroupRow.name == name)
                ).first():
                    raise Conflict(f"there is already a privacy group named {name!r}")
                new_id = conn.execute(
                    insert(PrivacyGroupRow).returning(PrivacyGroupRow.id),
                    {
                        "name": name,
                        "description": description,
                        "created_by": actor,
                        "created_at": utc_naive(now),
                    },
                ).scalar_one()
                group = self._group_conn(conn, int(new_id))
                append_event_conn(
                    conn,
                    actor=actor,
                    action="exchange_group_create",
                    target_type="privacy_group",
                    target_id=str(new_id),
                    after={"name": name, "description": description},
                )
        except IntegrityError as exc:
            raise Conflict(f"there is already a privacy group named {name!r}") from exc
        return group

    def _group_conn(self, conn: Connection, group_id: int) -> Group:
        return _group(
            conn.execute(select(PrivacyGroupRow).where(PrivacyGroupRow.id == group_id)).one()
        )

    def group_named(self, conn: Connection, member: Member, name: str) -> Group:
        """The group ``name`` if ``member`` may see it; NotFound (as if absent) otherwise."""
        row = conn.execute(select(PrivacyGroupRow).where(PrivacyGroupRow.name == name)).first()
        if row is None or not member.may_see(int(row.id)):
            raise NotFound(f"there is no privacy group named {name!r}")
        return _group(row)

    def group_ids(self, names: Iterable[str]) -> dict[str, int]:
        """The ids of the groups named ``names``; NotFound naming any that does not exist."""
        wanted = sorted(set(names))
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(PrivacyGroupRow.name, PrivacyGroupRow.id).where(
                    PrivacyGroupRow.name.in_(wanted)
                )
            ).all()
        found = {r.name: int(r.id) for r in rows}
        missing = [n for n in wanted if n not in found]
        if missing:
            raise NotFound(f"there is no privacy group named {', '.join(map(repr, missing))}")
        return found

    def token_groups(self, token_id: int) -> frozenset[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(TokenGroupRow.group_id).where(TokenGroupRow.token_id == token_id)
            ).scalars()
            return frozenset(int(g) for g in rows)

    def groups(self, member: Member) -> list[Group]:
        """The groups ``member`` belongs to (every group for paidfor), by name; audited."""
        with self.engine.begin() as conn:
            stmt = select(PrivacyGroupRow).order_by(PrivacyGroupRow.name)
            if member.group_ids is not None:
                stmt = stmt.where(PrivacyGroupRow.id.in_(sorted(member.group_ids)))
            found = [_group(r) for r in conn.execute(stmt).all()]
            append_event_conn(
                conn,
                actor=member.actor,
                action="exchange_group_list",
                target_type="privacy_group",
                target_id="*",
                after={"count": len(found)},
            )
        return found

    # -- indicators -----------------------------------------------------------------------

    def _view(self, conn: Connection, indicator_id: int) -> IndicatorView | None:
        rows = conn.execute(_select_views().where(I.id == indicator_id)).all()
        views = _views(conn, rows)
        return views[0] if views else None

    def add(
        self, member: Member, group_name: str, fields: dict[str, Any], now: datetime
    ) -> IndicatorView:
        """A new indicator in ``group_name`` owned by ``member``; Conflict if the group
        already has a live indicator of that type and value."""
        stamp = utc_naive(now)
        key = value_hash(fields["value"])
        try:
            with self.engine.begin() as conn:
                self.expire_conn(conn, now)
                group = self.group_named(conn, member, group_name)
                existing = conn.execute(
                    select(I.id, I.owner).where(
                        I.group_id == group.id,
                        I.type == fields["type"],
                        I.value_hash == key,
                        I.deleted == false(),  # "= 0": the partial unique index answers
                    )
                ).first()
                if existing is not None:
                    raise Conflict(
                        f"group {group.name!r} already has this {fields['type']} as indicator "
                        f"#{existing.id} (owner {existing.owner}); react to it instead"
                    )
                new_id = conn.execute(
                    insert(INDICATORS).returning(I.id),
                    {
                        **fields,
                        "expires_at": utc_naive(fields.get("expires_at")),
                        "value_hash": key,
                        "owner": member.name,
                        "owner_token_id": member.token_id,
                        "group_id": group.id,
                        "privacy_group": None,
                        "reactions": {},
                        "deleted": False,
                        "created_at": stamp,
                        "updated_at": stamp,
                        "seq": next_seq(conn),
                    },
                ).scalar_one()
                view = self._view(conn, int(new_id))
                assert view is not None
                append_event_conn(
                    conn,
                    actor=member.actor,
                    action="indicator_add",
                    target_type="indicator",
                    target_id=str(new_id),
                    after=_snapshot(view),
                )
        except IntegrityError as exc:  # a concurrent add of the same key won the race
            raise Conflict(
                f"group {group_name!r} already has this {fields['type']}; react to it instead"
            ) from exc
        return view

    def _owned(self, conn: Connection, member: Member, indicator_id: int) -> IndicatorView:
        view = self._view(conn, indicator_id)
        if view is None or view.deleted or not self._visible(conn, member, indicator_id):
            raise NotFound(f"there is no live indicator #{indicator_id}")
        if view.owner_token_id != member.token_id:
            raise NotOwner(
                f"indicator #{indicator_id} belongs to {view.owner}: only its owner may "
                "change or delete it (react to it instead)"
            )
        return view

    def _visible(self, conn: Connection, member: Member, indicator_id: int) -> bool:
        group_id = conn.execute(select(I.group_id).where(I.id == indicator_id)).scalar()
        return group_id is not None and member.may_see(int(group_id))

    def update(
        self, member: Member, indicator_id: int, changes: dict[str, Any], now: datetime
    ) -> IndicatorView:
        """Change an own live indicator's status, tags, confidence, description or expiry."""
        values = dict(changes)
        if "expires_at" in values:
            values["expires_at"] = utc_naive(values["expires_at"])
        return self._change_owned(member, indicator_id, now, "indicator_update", values)

    def delete(self, member: Member, indicator_id: int, now: datetime) -> IndicatorView:
        """Make an own live indicator a tombstone."""
        return self._change_owned(member, indicator_id, now, "indicator_delete", {"deleted": True})

    def _change_owned(
        self,
        member: Member,
        indicator_id: int,
        now: datetime,
        action: str,
        values: dict[str, Any],
    ) -> IndicatorView:
        """One audited change of an own live indicator, with a fresh feed stamp."""
        with self.engine.begin() as conn:
            self.expire_conn(conn, now)
            before = self._owned(conn, member, indicator_id)
            conn.execute(
                update(INDICATORS)
                .where(I.id == indicator_id)
                .values(**values, updated_at=utc_naive(now), seq=next_seq(conn))
            )
            after = self._view(conn, indicator_id)
            assert after is not None
            append_event_conn(
                conn,
                actor=member.actor,
                action=action,
                target_type="indicator",
                target_id=str(indicator_id),
                before=_snapshot(before),
                after=_snapshot(after),
            )
        return after

    def react(
        self, member: Member, indicator_id: int, reaction: str, now: datetime
    ) -> IndicatorView:
        """Add ``member``'s ``reaction`` (once; again changes nothing but is audited)."""
        with self.engine.begin() as conn:
            self.expire_conn(conn, now)
            view = self._view(conn, indicator_id)
            if view is None or view.deleted or not self._visible(conn, member, indicator_id):
                raise NotFound(f"there is no live indicator #{indicator_id}")
            key = {"indicator_id": indicator_id, "member": member.name, "reaction": reaction}
            had = conn.execute(select(IndicatorReactionRow.reaction).filter_by(**key)).first()
            if had is None:
                conn.execute(insert(IndicatorReactionRow), key)
                conn.execute(
                    update(INDICATORS)
                    .where(I.id == indicator_id)
                    .values(updated_at=utc_naive(now), seq=next_seq(conn))
                )
            after = self._view(conn, indicator_id)
            assert after is not None
            append_event_conn(
                conn,
                actor=member.actor,
                action="indicator_react",
                target_type="indicator",
                target_id=str(indicator_id),
                after={"reaction": reaction, "added": had is None, "reactions": after.reactions},
            )
        return after

    def live(self, member: Member, group_name: str, now: datetime) -> list[IndicatorView]:
        """A group's live indicators, oldest first; audited."""
        with self.engine.begin() as conn:
            self.expire_conn(conn, now)
            group = self.group_named(conn, member, group_name)
            rows = conn.execute(
                _select_views().where(I.group_id == group.id, I.deleted == false()).order_by(I.id)
            ).all()
            found = _views(conn, rows)
            append_event_conn(
                conn,
                actor=member.actor,
                action="exchange_indicator_list",
                target_type="privacy_group",
                target_id=str(group.id),
                after={"count": len(found)},
            )
        return found

    def updates(
        self, member: Member, group_name: str, after_seq: int, limit: int, now: datetime
    ) -> tuple[list[IndicatorView], bool]:
        """Up to ``limit`` of the group's indicators stamped after ``after_seq``, in stamp
        order, tombstones included, and whether more follow; audited."""
        with self.engine.begin() as conn:
            self.expire_conn(conn, now)
            group = self.group_named(conn, member, group_name)
            rows = conn.execute(
                _select_views()
                .where(I.group_id == group.id, I.seq > after_seq)
                .order_by(I.seq)
                .limit(limit + 1)
            ).all()
            items = _views(conn, rows[:limit])
            append_event_conn(
                conn,
                actor=member.actor,
                action="exchange_feed_read",
                target_type="privacy_group",
                target_id=str(group.id),
                after={
                    "cursor": after_seq,
                    "count": len(items),
                    "next": items[-1].seq if items else after_seq,
                },
            )
        return items, len(rows) > limit
