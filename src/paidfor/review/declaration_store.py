"""Sponsor declarations (art. 7 of Regulation (EU) 2024/900) stored with their ads, and
staff's changes to the interest-to-special-category mapping (art. 18); tables in
``review.ttpa_models``. Every write appends an audit event in the same transaction: a
declaration's records what was declared but not the contact details (the audit log is read
more widely than the declarations, and the table keeps them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select

from paidfor.domain import PUBLIC_STATUSES
from paidfor.domain.ttpa import (
    FundingOrigin,
    FundingSource,
    SponsorDeclaration,
    SponsorKind,
    SponsorStatus,
)
from paidfor.errors import Invalid
from paidfor.review.ttpa import (
    NO_CATEGORY,
    SPECIAL_CATEGORIES,
    normalize_interest,
    shipped_special_categories,
)
from paidfor.review.ttpa_models import InterestCategoryRow, SponsorDeclarationRow
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import aware, stored_now
from paidfor.storage.models import AdRow

_FIELDS = (
    "political_advertising", "sponsor_kind", "sponsor_name", "sponsor_email", "sponsor_address",
    "sponsor_country", "sponsor_registration", "funding_source", "funding_origin",
    "linked_election_id", "linked_process", "controller_name", "controller_email",
    "controller_address", "payer_name", "payer_email", "payer_address",
)  # fmt: skip


def insert_declaration_conn(
    conn: Connection,
    ad_id: int,
    advertiser_id: int,
    declaration: SponsorDeclaration,
    *,
    actor: str,
) -> None:
    """Store ``declaration`` as ad ``ad_id``'s, in the caller's transaction, audited."""
    values: dict[str, Any] = {f: getattr(declaration, f) for f in _FIELDS}
    values.update(
        ad_id=ad_id,
        advertiser_id=advertiser_id,
        status=declaration.status.value,
        sponsor_kind=declaration.sponsor_kind.value,
        funding_source=declaration.funding_source.value,
        funding_origin=declaration.funding_origin.value,
        declared_by=actor,
        declared_at=stored_now(),
    )
    conn.execute(insert(SponsorDeclarationRow), values)
    append_event_conn(
        conn,
        actor=actor,
        action="ad.declaration",
        target_type="ad",
        target_id=str(ad_id),
        reason="the sponsor's declaration (art. 7 of Regulation (EU) 2024/900)",
        after={
            "status": declaration.status.value,
            "political_advertising": declaration.political_advertising,
            "linked_election_id": declaration.linked_election_id,
            "linked_process": declaration.linked_process,
            "funding_source": declaration.funding_source.value,
            "funding_origin": declaration.funding_origin.value,
        },
    )


def _declaration(r: Any) -> SponsorDeclaration:
    return SponsorDeclaration(
        status=SponsorStatus(r.status),
        sponsor_kind=SponsorKind(r.sponsor_kind),
        sponsor_name=r.sponsor_name,
        sponsor_email=r.sponsor_email,
        sponsor_address=r.sponsor_address,
        sponsor_country=r.sponsor_country,
        funding_source=FundingSource(r.funding_source),
        funding_origin=FundingOrigin(r.funding_origin),
        political_advertising=bool(r.political_advertising),
        sponsor_registration=r.sponsor_registration,
        linked_election_id=None if r.linked_election_id is None else int(r.linked_election_id),
        linked_process=r.linked_process,
        controller_name=r.controller_name,
        controller_email=r.controller_email,
        controller_address=r.controller_address,
        payer_name=r.payer_name,
        payer_email=r.payer_email,
        payer_address=r.payer_address,
        declared_by=r.declared_by,
        declared_at=aware(r.declared_at),
        ad_id=int(r.ad_id),
    )


class DeclarationRepository:
    """Reads of declarations; the interest mapping's reads and audited changes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, ad_id: int) -> SponsorDeclaration | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(SponsorDeclarationRow).where(SponsorDeclarationRow.ad_id == ad_id)
            ).one_or_none()
        return None if row is None else _declaration(row)

    def get_many(self, ad_ids: Sequence[int]) -> dict[int, SponsorDeclaration]:
        """The declarations of those of ``ad_ids`` that have one."""
        if not ad_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(SponsorDeclarationRow).where(SponsorDeclarationRow.ad_id.in_(ad_ids))
            ).all()
        return {int(r.ad_id): _declaration(r) for r in rows}

    def changed_since(self, after: tuple[int, int], limit: int) -> list[tuple[int, int]]:
        """(stamp, ad id) of the next ``limit`` ads with a declaration, in the library's
        public statuses, changed after ``after`` (a (stamp, ad id) pair): the ads'
        ``search_seq`` (``storage.changes``) orders them, the id breaks ties within a batch.
        Stamps become visible in commit order, so a reader that saw stamp N misses nothing
        below it (the repository feed of art. 13)."""
        seq, last = after
        q = (
            select(AdRow.search_seq, AdRow.id)
            .join(SponsorDeclarationRow, SponsorDeclarationRow.ad_id == AdRow.id)
            .where(
                AdRow.search_seq.is_not(None),
                AdRow.status.in_([s.value for s in PUBLIC_STATUSES]),
                or_(AdRow.search_seq > seq, and_(AdRow.search_seq == seq, AdRow.id > last)),
            )
            .order_by(AdRow.search_seq, AdRow.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(int(s or 0), int(i)) for s, i in conn.execute(q)]

    # -- the interest mapping (art. 18(1)(c)) --------------------------------------------------

    def changes(self) -> dict[str, tuple[str, str | None]]:
        """Staff's changes: interest -> (category or ``none``, note)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(InterestCategoryRow)).all()
        return {r.interest: (r.category, r.note) for r in rows}

    def interest_categories(self) -> dict[str, str]:
        """The mapping review uses: the shipped one with staff's changes over it (an interest
        set to ``none`` is left out)."""
        merged = {k: c for k, (c, _) in shipped_special_categories().items()}
        merged.update({k: c for k, (c, _) in self.changes().items()})
        return {k: c for k, c in merged.items() if c != NO_CATEGORY}

    def set_interest(
        self, interest: str, category: str, *, actor: str, note: str | None = None
    ) -> tuple[str, str | None]:
        """Map ``interest`` to ``category`` (``none``: to no category, which takes a shipped
        interest out); the stored (interest, previous category). Audited
        (``ttpa.interest``)."""
        key = normalize_interest(interest)
        if not key or len(key) > 200:
            raise Invalid("the interest must have 1 to 200 characters")
        if category != NO_CATEGORY and category not in SPECIAL_CATEGORIES:
            names = ", ".join([*SPECIAL_CATEGORIES, NO_CATEGORY])
            raise Invalid(f"unknown category {category!r}; one of {names}")
        before = self.interest_categories().get(key)
        with self.engine.begin() as conn:
            conn.execute(delete(InterestCategoryRow).where(InterestCategoryRow.interest == key))
            conn.execute(
                insert(InterestCategoryRow),
                {"interest": key, "category": category, "note": (note or None) and note[:500],
                 "changed_by": actor, "changed_at": stored_now()},
            )  # fmt: skip
            append_event_conn(
                conn,
                actor=actor,
                action="ttpa.interest",
                target_type="interest",
                target_id=key,
                reason=note,
                before={"category": before},
                after={"category": None if category == NO_CATEGORY else category},
            )
        return key, before
