"""The exchange's consuming side in the database: the sources indicators are fetched from, and
the mirror of what each source holds (``fetched_indicators``, one row per source, type and
value).

A batch from a source (a page of its feed, or a whole CSV snapshot) is applied in one
transaction together with the source's new cursor, the fetch counter and the audit event, so a
fetch cut off at any moment resumes from the last batch that landed and never applies a batch
twice or half.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paidfor.exchange.feed_models import ExchangeSourceRow, ExchangeStateRow, FetchedIndicatorRow
from paidfor.exchange.model import Conflict, NotFound
from paidfor.exchange.store import value_hash
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, utc_naive

F = FetchedIndicatorRow


@dataclass(frozen=True)
class Source:
    id: int
    name: str
    kind: str  # "paidfor" or "csv"
    url: str
    remote_group: str | None
    token: str | None = field(repr=False)
    cursor: str | None
    enabled: bool
    created_at: datetime
    last_fetch_at: datetime | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        """Everything but the token (only whether one is set)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "url": self.url,
            "group": self.remote_group,
            "token": "set" if self.token else None,
            "cursor": self.cursor,
            "enabled": self.enabled,
            "created_at": self.created_at.isoformat(),
            "last_fetch_at": self.last_fetch_at.isoformat() if self.last_fetch_at else None,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class Fetched:
    """One indicator as a source says it (``deleted``: the source's tombstone)."""

    type: str
    value: str
    status: str = "UNKNOWN"
    tags: Sequence[str] = ()
    confidence: int = 50
    description: str | None = None
    owner: str | None = None
    remote_id: str | None = None
    expires_at: datetime | None = None
    deleted: bool = False


@dataclass
class Applied:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deleted

    def __iadd__(self, other: Applied) -> Applied:
        self.added += other.added
        self.updated += other.updated
        self.deleted += other.deleted
        self.unchanged += other.unchanged
        return self

    def as_json(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
        }


def _source(r: Any) -> Source:
    return Source(
        id=int(r.id),
        name=r.name,
        kind=r.kind,
        url=r.url,
        remote_group=r.remote_group,
        token=r.token,
        cursor=r.cursor,
        enabled=bool(r.enabled),
        created_at=r.created_at.replace(tzinfo=UTC),
        last_fetch_at=aware(r.last_fetch_at) if r.last_fetch_at else None,
        last_error=r.last_error,
    )


def _row_values(item: Fetched) -> dict[str, Any]:
    return {
        "remote_id": item.remote_id,
        "status": item.status,
        "tags": sorted(item.tags),
        "confidence": item.confidence,
        "description": item.description,
        "owner": item.owner,
        "expires_at": utc_naive(item.expires_at) if item.expires_at else None,
    }


class FetchRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- sources --------------------------------------------------------------------------

    def add_source(self, values: dict[str, Any], actor: str, now: datetime) -> Source:
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(ExchangeSourceRow).values(
                        **values, enabled=True, created_at=utc_naive(now)
                    )
                ).inserted_primary_key
                assert new_id is not None
                append_event_conn(
                    conn,
                    actor=actor,
                    action="exchange_source_add",
                    target_type="exchange_source",
                    target_id=str(new_id[0]),
                    after={k: v for k, v in values.items() if k != "token"}
                    | {"token": bool(values.get("token"))},
                )
        except IntegrityError as exc:
            raise Conflict(f"there is already a source named {values['name']!r}") from exc
        return self.source(values["name"])

    def source(self, name: str) -> Source:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ExchangeSourceRow).where(ExchangeSourceRow.name == name)
            ).one_or_none()
        if row is None:
            raise NotFound(f"no exchange source named {name!r}")
        return _source(row)

    def sources(self) -> list[Source]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(ExchangeSourceRow).order_by(ExchangeSourceRow.name))
            return [_source(r) for r in rows]

    def remove_source(self, name: str, actor: str) -> int:
        """Forget a source and everything fetched from it; how many indicators went."""
        source = self.source(name)
        with self.engine.begin() as conn:
            gone = conn.execute(delete(F).where(F.source_id == source.id)).rowcount
            conn.execute(delete(ExchangeSourceRow).where(ExchangeSourceRow.id == source.id))
            if gone:
                _bump(conn)
            append_event_conn(
                conn,
                actor=actor,
                action="exchange_source_remove",
                target_type="exchange_source",
                target_id=str(source.id),
                before={"name": name, "indicators_removed": gone},
            )
        return int(gone)

    def set_error(self, source: Source, error: str | None, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(ExchangeSourceRow)
                .where(ExchangeSourceRow.id == source.id)
                .values(last_error=error, last_fetch_at=utc_naive(now))
            )

    # -- fetched indicators ---------------------------------------------------------------

    def apply(
        self,
        source: Source,
        items: Iterable[Fetched],
        *,
        cursor: str | None,
        actor: str,
        now: datetime,
        snapshot: bool = False,
    ) -> Applied:
        """Apply one batch from ``source`` and move its cursor, in one transaction. Later
        items win over earlier ones for the same key. With ``snapshot`` the batch is the
        source's whole live set: whatever is stored and not in it is deleted."""
        latest: dict[tuple[str, str], Fetched] = {}
        for item in items:
            latest[item.type, value_hash(item.value)] = item
        result = Applied()
        stamp = utc_naive(now)
        with self.engine.begin() as conn:
            stored = _stored(conn, source.id, None if snapshot else list(latest))
            fresh: list[dict[str, Any]] = []
            gone: list[int] = []
            for key, item in latest.items():
                old = stored.pop(key, None)
                if item.deleted:
                    if old is not None:
                        gone.append(old["id"])
                    continue
                values = _row_values(item)
                if old is None:
                    fresh.append({"source_id": source.id, "type": item.type, "value": item.value,
                                  "value_hash": key[1], "fetched_at": stamp, **values})  # fmt: skip
                elif any(old[k] != v for k, v in values.items()):
                    conn.execute(
                        update(F).where(F.id == old["id"]).values(fetched_at=stamp, **values)
                    )
                    result.updated += 1
                else:
                    result.unchanged += 1
            if snapshot:
                gone += [old["id"] for old in stored.values()]
            for i in range(0, len(gone), 500):
                conn.execute(delete(F).where(F.id.in_(gone[i : i + 500])))
            if fresh:
                conn.execute(insert(F), fresh)
            result.added, result.deleted = len(fresh), len(gone)
            conn.execute(
                update(ExchangeSourceRow)
                .where(ExchangeSourceRow.id == source.id)
                .values(cursor=cursor, last_fetch_at=stamp, last_error=None)
            )
            if result.changed:
                _bump(conn)
                append_event_conn(
                    conn,
                    actor=actor,
                    action="exchange_fetch",
                    target_type="exchange_source",
                    target_id=str(source.id),
                    after={"source": source.name, "cursor": cursor, **result.as_json()},
                )
        return result

    def count(self, source: Source | None = None) -> int:
        q = select(func.count()).select_from(F)
        if source is not None:
            q = q.where(F.source_id == source.id)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())


def _bump(conn: Connection) -> None:
    conn.execute(
        update(ExchangeStateRow)
        .where(ExchangeStateRow.id == 1)
        .values(fetched_seq=ExchangeStateRow.fetched_seq + 1)
    )


_COMPARED = (F.id, F.type, F.value_hash, *(getattr(F, k) for k in _row_values(Fetched("", ""))))


def _stored(
    conn: Connection, source_id: int, keys: list[tuple[str, str]] | None
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored rows of a source (only those with ``keys``, when given), by key."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    q = select(*_COMPARED).where(F.source_id == source_id)
    if keys is None:
        statements = [q]
    else:  # by type, so that every lookup is on the whole unique index (source, type, hash)
        by_type: dict[str, list[str]] = {}
        for kind, digest in keys:
            by_type.setdefault(kind, []).append(digest)
        statements = [
            q.where(F.type == kind, F.value_hash.in_(digests[i : i + 400]))
            for kind, digests in by_type.items()
            for i in range(0, len(digests), 400)
        ]
    for stmt in statements:
        for r in conn.execute(stmt):
            row = dict(r._mapping)
            row["tags"] = list(row["tags"] or [])
            found[r.type, r.value_hash] = row
    return found


__all__ = ["Applied", "FetchRepository", "Fetched", "Source"]
