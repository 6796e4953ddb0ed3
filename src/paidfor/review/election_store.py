"""Elections in the database: add or update by (country, name), list, get.

Every change writes an audit event in the same transaction (``storage.audit``), so the
election table and the audit chain can never disagree.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from paidfor.domain import Election
from paidfor.review.ttpa_models import SponsorDeclarationRow
from paidfor.storage.audit import append_event_conn
from paidfor.storage.changes import touch_ads
from paidfor.storage.models import ElectionRow

Outcome = Literal["added", "updated", "unchanged"]
_FIELDS = (
    "country",
    "name",
    "date",
    "authorization_required",
    "blackout_days",
    "level",
    "source_url",
)
_COLUMNS = (
    ElectionRow.id,
    ElectionRow.country,
    ElectionRow.name,
    ElectionRow.date,
    ElectionRow.authorization_required,
    ElectionRow.blackout_days,
    ElectionRow.level,
    ElectionRow.source_url,
)


def _to_domain(row: Any) -> Election:
    return Election(
        id=int(row.id),
        country=row.country,
        name=row.name,
        date=row.date,
        authorization_required=bool(row.authorization_required),
        blackout_days=int(row.blackout_days),
        level=row.level,
        source_url=row.source_url,
    )


class ElectionRepository:
    """Reads and audited writes of elections; returns domain :class:`Election` objects."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, election: Election, *, actor: str, reason: str | None = None) -> Election:
        """Insert ``election``, or update the one stored under its (country, name); the
        stored election. Writes ``election.add`` or ``election.update`` (with before and
        after) in the same transaction; an unchanged election writes nothing."""
        return self.save(election, actor=actor, reason=reason)[0]

    def save(
        self, election: Election, *, actor: str, reason: str | None = None
    ) -> tuple[Election, Outcome]:
        """Like :meth:`add`, and says whether the election was added, updated or unchanged."""
        for attempt in range(2):
            try:
                with self.engine.begin() as conn:
                    return self._save(conn, election, actor=actor, reason=reason)
            except IntegrityError:
                # Another writer inserted the same (country, name) between our look-up and
                # our insert; the second attempt finds its row and updates it.
                if attempt:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _save(
        self, conn: Connection, election: Election, *, actor: str, reason: str | None
    ) -> tuple[Election, Outcome]:
        country = election.country.upper()
        wanted = replace(election, country=country, id=None)
        values: dict[str, Any] = {f: getattr(wanted, f) for f in _FIELDS}
        row = conn.execute(
            select(*_COLUMNS).where(
                ElectionRow.country == country, ElectionRow.name == election.name
            )
        ).first()
        if row is None:
            new_id = conn.execute(
                insert(ElectionRow).returning(ElectionRow.id), values
            ).scalar_one()
            stored = replace(wanted, id=int(new_id))
            append_event_conn(
                conn,
                actor=actor,
                action="election.add",
                target_type="election",
                target_id=str(new_id),
                reason=reason,
                after=stored.as_json(),
            )
            return stored, "added"
        before = _to_domain(row)
        stored = replace(wanted, id=before.id)
        if all(getattr(before, f) == getattr(stored, f) for f in _FIELDS):
            return before, "unchanged"
        conn.execute(update(ElectionRow).where(ElectionRow.id == before.id).values(values))
        append_event_conn(
            conn,
            actor=actor,
            action="election.update",
            target_type="election",
            target_id=str(before.id),
            reason=reason,
            before=before.as_json(),
            after=stored.as_json(),
        )
        # the notices of the ads linked to it name it: the repository feed (art. 13) sends
        # them again
        linked = conn.execute(
            select(SponsorDeclarationRow.ad_id).where(
                SponsorDeclarationRow.linked_election_id == before.id
            )
        ).scalars()
        if ads := [int(a) for a in linked]:
            touch_ads(conn, ads)
        return stored, "updated"

    def list(self, country: str | None = None) -> builtins.list[Election]:
        """Stored elections (of ``country`` only, if given), by vote date, country, name."""
        query = select(*_COLUMNS).order_by(ElectionRow.date, ElectionRow.country, ElectionRow.name)
        if country is not None:
            query = query.where(ElectionRow.country == country.strip().upper())
        with self.engine.connect() as conn:
            return [_to_domain(r) for r in conn.execute(query)]

    def get(self, id: int) -> Election | None:
        """The election with this id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(ElectionRow.id == id)).first()
        return _to_domain(row) if row is not None else None

    def get_many(self, ids: Iterable[int]) -> dict[int, Election]:
        """The elections of ``ids`` that exist, by id, in one query."""
        wanted = set(ids)
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).where(ElectionRow.id.in_(wanted))).all()
        return {int(r.id): _to_domain(r) for r in rows}
