"""Self-service intake in the database: advertiser accounts, payment instruments, pages,
political-ad authorizations, submitted ads and their review decisions.

Every change writes its audit event in the same transaction (``storage.audit``), and every
change of an ad stamps it for the search index (``storage.changes``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from paidfor import errors
from paidfor.domain import Ad, Admin, Advertiser, Page, PaymentInstrument
from paidfor.domain.models import SUBMITTED_SOURCE, AdType
from paidfor.domain.ttpa import SponsorDeclaration
from paidfor.review.authorization_store import (
    AuthorizationRecord,
    AuthorizationRepository,
    NotFound,
    funder_id,
    require_row,
)
from paidfor.review.declaration_store import insert_declaration_conn
from paidfor.review.intake_models import AdSubmissionRow, ReviewDecisionRow
from paidfor.storage.audit import append_event_conn
from paidfor.storage.changes import next_search_seq, touch_ads
from paidfor.storage.db import begun
from paidfor.storage.mapping import ad_values, aware, row_to_page, stored_now
from paidfor.storage.models import (
    AdminRow,
    AdRow,
    AdvertiserRow,
    PageOwnerRow,
    PageRow,
    PaymentInstrumentRow,
    page_admins,
)

__all__ = ["AuthorizationRecord", "Conflict", "DecisionRecord", "IntakeRepository", "NotFound"]

SOURCE = SUBMITTED_SOURCE  # the source of ads submitted here (imports keep their own)


@dataclass(frozen=True)
class DecisionRecord:
    ad_id: int
    decision: str
    political: bool
    political_score: float | None
    reasons: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    by_person: bool
    actor: str
    at: datetime
    id: int | None = None  # review_decisions.id
    answers: int | None = None  # the decision a person's decision answers

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ad_id": self.ad_id,
            "decision": self.decision,
            "political": self.political,
            "political_score": self.political_score,
            "reasons": self.reasons,
            "by_person": self.by_person,
            "answers": self.answers,
            "at": self.at.isoformat(),
        }


class Conflict(errors.Conflict):
    """The decision named is not the ad's latest any more: someone decided first."""

    def __init__(self, ad_id: int, answers: int | None, latest: DecisionRecord | None) -> None:
        self.ad_id, self.answers, self.latest = ad_id, answers, latest
        if latest is None:
            message = f"ad {ad_id} has no decision to answer"
        else:
            who = "the automatic review" if not latest.by_person else latest.actor
            message = (
                f"ad {ad_id} was {latest.decision} by {who} at "
                f"{latest.at.isoformat(sep=' ', timespec='seconds')} (decision {latest.id})"
            )
            if answers is not None:
                message = f"decision {answers} is not ad {ad_id}'s latest: {message}"
            message += f'; to decide again, look at that decision and send "answers": {latest.id}'
        super().__init__(message)


class IntakeRepository(AuthorizationRepository):
    """Accounts, pages, submitted ads and their decisions; authorizations from
    ``AuthorizationRepository``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- accounts ------------------------------------------------------------------------------

    def create_advertiser(
        self, name: str, country: str | None, *, actor: str, conn: Connection | None = None
    ) -> Advertiser:
        """A new advertiser account (audited); in the caller's transaction ``conn`` if given."""
        now = stored_now()
        with begun(self.engine, conn) as conn:
            new_id = conn.execute(
                insert(AdvertiserRow).returning(AdvertiserRow.id),
                {
                    "source": SOURCE,
                    "external_id": uuid.uuid4().hex,
                    "name": name,
                    "country": country,
                    "created_at": now,
                    "disabled": False,
                },
            ).scalar_one()
            append_event_conn(
                conn,
                actor=actor,
                action="advertiser.create",
                target_type="advertiser",
                target_id=str(new_id),
                after={"name": name, "country": country},
            )
        return Advertiser(name=name, country=country, created_at=aware(now), id=int(new_id))

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for several writes that stand or fall together."""
        with self.engine.begin() as conn:
            yield conn

    def advertiser(self, advertiser_id: int) -> Advertiser | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(AdvertiserRow).where(AdvertiserRow.id == advertiser_id)
            ).one_or_none()
            if row is None:
                return None
            payments = [
                PaymentInstrument(
                    currency=p.currency,
                    billing_country=p.billing_country,
                    card_fingerprint=p.card_fingerprint,
                    id=p.id,
                )
                for p in conn.execute(
                    select(PaymentInstrumentRow).where(
                        PaymentInstrumentRow.advertiser_id == advertiser_id
                    )
                )
            ]
        return Advertiser(
            name=row.name,
            country=row.country,
            created_at=aware(row.created_at),
            payment_instruments=payments,
            disabled=bool(row.disabled),
            source=row.source,
            external_id=row.external_id,
            id=int(row.id),
        )

    def add_payment_instrument(
        self, advertiser_id: int, instrument: PaymentInstrument, *, actor: str
    ) -> PaymentInstrument:
        with self.engine.begin() as conn:
            require_row(conn, AdvertiserRow, advertiser_id)
            new_id = conn.execute(
                insert(PaymentInstrumentRow).returning(PaymentInstrumentRow.id),
                {
                    "advertiser_id": advertiser_id,
                    "currency": instrument.currency,
                    "billing_country": instrument.billing_country,
                    "card_fingerprint": instrument.card_fingerprint,
                },
            ).scalar_one()
            append_event_conn(
                conn,
                actor=actor,
                action="payment_instrument.add",
                target_type="advertiser",
                target_id=str(advertiser_id),
                after={"id": new_id, "currency": instrument.currency,
                       "billing_country": instrument.billing_country},
            )  # fmt: skip
        return PaymentInstrument(
            currency=instrument.currency,
            billing_country=instrument.billing_country,
            card_fingerprint=instrument.card_fingerprint,
            id=int(new_id),
        )

    def create_page(self, advertiser_id: int, page: Page, *, actor: str) -> Page:
        now = stored_now()
        external_id = str(10**14 + secrets.randbelow(9 * 10**14))  # a page id like Meta's
        with self.engine.begin() as conn:
            require_row(conn, AdvertiserRow, advertiser_id)
            page_id = conn.execute(
                insert(PageRow).returning(PageRow.id),
                {
                    "kind": "page",
                    "external_id": external_id,
                    "name": page.name,
                    "url": page.url,
                    "created_at": now,
                    "language": page.language,
                    "country": page.country,
                    "category": page.category,
                    "disabled": False,
                },
            ).scalar_one()
            conn.execute(insert(PageOwnerRow), {"page_id": page_id, "advertiser_id": advertiser_id})
            for admin in page.admins:
                admin_id = conn.execute(
                    insert(AdminRow).returning(AdminRow.id),
                    {
                        "name": admin.name,
                        "login_countries": list(admin.login_countries),
                        "language": admin.language,
                    },
                ).scalar_one()
                conn.execute(insert(page_admins), {"page_id": page_id, "admin_id": admin_id})
            append_event_conn(
                conn,
                actor=actor,
                action="page.create",
                target_type="page",
                target_id=str(page_id),
                after={"name": page.name, "country": page.country, "advertiser": advertiser_id,
                       "admins": len(page.admins)},
            )  # fmt: skip
        return Page(
            name=page.name,
            external_id=external_id,
            url=page.url,
            created_at=aware(now),
            language=page.language,
            country=page.country,
            category=page.category,
            admins=[Admin(a.name, list(a.login_countries), a.language) for a in page.admins],
            id=int(page_id),
        )

    def admin_login_countries(self, page_id: int) -> list[tuple[str, ...]]:
        """The sign-in countries of each of the page's admins (the contradiction check of
        ``review.ttpa``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(AdminRow.login_countries)
                .join(page_admins, page_admins.c.admin_id == AdminRow.id)
                .where(page_admins.c.page_id == page_id)
                .order_by(AdminRow.id)
            ).all()
        return [tuple(str(c) for c in (r[0] or [])) for r in rows]

    def page_owner(self, page_id: int) -> tuple[int, bool] | None:
        """The advertiser that owns page ``page_id`` and whether the page is disabled."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(PageOwnerRow.advertiser_id, PageRow.disabled)
                .join(PageRow, PageRow.id == PageOwnerRow.page_id)
                .where(PageOwnerRow.page_id == page_id)
            ).one_or_none()
        return None if row is None else (int(row[0]), bool(row[1]))

    # -- ads -----------------------------------------------------------------------------------

    def insert_ad(
        self,
        ad: Ad,
        *,
        advertiser_id: int,
        page_id: int,
        funder_name: str | None,
        budget_cents: int | None,
        budget_currency: str | None,
        actor: str,
        declaration: SponsorDeclaration | None = None,
    ) -> int:
        """Store a submitted ad (pending review) with its sponsor's declaration, if any; its
        id."""
        values = ad_values(ad)
        now = stored_now()
        with self.engine.begin() as conn:
            values.update(
                source=SOURCE,
                external_id=uuid.uuid4().hex,
                content_hash=uuid.uuid4().hex,
                page_id=page_id,
                advertiser_id=advertiser_id,
                funder_id=funder_id(conn, funder_name) if funder_name else None,
                created_at=now,
                imported_at=now,
                search_seq=next_search_seq(conn),
            )
            ad_id = int(conn.execute(insert(AdRow).returning(AdRow.id), values).scalar_one())
            conn.execute(
                insert(AdSubmissionRow),
                {
                    "ad_id": ad_id,
                    "advertiser_id": advertiser_id,
                    "budget_cents": budget_cents,
                    "budget_currency": budget_currency,
                    "submitted_by": actor,
                    "submitted_at": now,
                },
            )
            append_event_conn(
                conn,
                actor=actor,
                action="ad.submit",
                target_type="ad",
                target_id=str(ad_id),
                after={"page_id": page_id, "funder": funder_name, "ad_type": ad.ad_type},
            )
            if declaration is not None:
                insert_declaration_conn(conn, ad_id, advertiser_id, declaration, actor=actor)
        return ad_id

    def record_decision(
        self,
        ad_id: int,
        *,
        decision: str,
        political: bool,
        political_score: float | None,
        reasons: Sequence[dict[str, Any]],
        findings: Sequence[dict[str, Any]],
        actor: str,
        by_person: bool,
        reason: str | None = None,
        answers: int | None = None,
        first: bool = False,
    ) -> DecisionRecord:
        """Store a decision and set the ad's status (held ads stay pending).

        ``answers``: the id of the decision this one answers, which must still be the ad's
        latest (a person's decision; ``Conflict`` otherwise). ``first``: the ad must have no
        decision yet (``Conflict`` otherwise). Both are checked inside the transaction after
        its first statement has locked the ad's row (PostgreSQL) or taken the database's write
        lock (SQLite), so decisions on one ad are made one after another and each sees the one
        before; the unique index on ``review_decisions.answers`` refuses a second answer to
        the same decision whatever happens."""
        status = {"approved": "approved", "rejected": "rejected", "held": "pending"}[decision]
        now = stored_now()
        try:
            with self.engine.begin() as conn:
                before = conn.execute(
                    update(AdRow)
                    .where(AdRow.id == ad_id)
                    .values(status=AdRow.status)  # changes nothing: the lock
                    .returning(AdRow.status, AdRow.is_political)
                ).one_or_none()
                if before is None:
                    raise NotFound(f"no ad {ad_id}")
                if answers is not None or first:
                    latest = conn.execute(
                        select(ReviewDecisionRow)
                        .where(ReviewDecisionRow.ad_id == ad_id)
                        .order_by(ReviewDecisionRow.id.desc())
                        .limit(1)
                    ).one_or_none()
                    found = None if latest is None else _decision(latest)
                    if (first and found is not None) or (
                        answers is not None and (found is None or found.id != answers)
                    ):
                        raise Conflict(ad_id, answers, found)
                conn.execute(
                    update(AdRow)
                    .where(AdRow.id == ad_id)
                    .values(
                        status=status,
                        is_political=political,
                        political_score=political_score,
                        ad_type=AdType.POLITICAL_AND_ISSUE_ADS.value
                        if political
                        else AdType.ALL.value,
                        risk_score=max([float(f.get("score", 0)) for f in findings] or [0.0]),
                        risk_explanations=list(findings),
                    )
                )
                touch_ads(conn, [ad_id])
                decision_id = conn.execute(
                    insert(ReviewDecisionRow).returning(ReviewDecisionRow.id),
                    {
                        "ad_id": ad_id,
                        "decision": decision,
                        "political": political,
                        "political_score": political_score,
                        "reasons": list(reasons),
                        "findings": list(findings),
                        "by_person": by_person,
                        "actor": actor,
                        "at": now,
                        "answers": answers,
                    },
                ).scalar_one()
                append_event_conn(
                    conn,
                    actor=actor,
                    action="ad.override" if by_person else "ad.review",
                    target_type="ad",
                    target_id=str(ad_id),
                    reason=reason or "; ".join(str(r.get("message")) for r in reasons)[:2000],
                    before={"status": before.status, "political": before.is_political},
                    after={"status": status, "decision": decision, "political": political},
                )
        except IntegrityError as exc:
            if answers is None:
                raise
            # Another decision answering the same one was stored first (the unique index).
            latest_now = self.decisions(ad_id)
            raise Conflict(ad_id, answers, latest_now[-1] if latest_now else None) from exc
        return DecisionRecord(
            ad_id, decision, political, political_score, list(reasons), list(findings),
            by_person, actor, now, int(decision_id), answers,
        )  # fmt: skip

    def decisions(self, ad_id: int) -> list[DecisionRecord]:
        """Every decision on the ad, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ReviewDecisionRow)
                .where(ReviewDecisionRow.ad_id == ad_id)
                .order_by(ReviewDecisionRow.id)
            ).all()
        return [_decision(r) for r in rows]

    def undecided(self, before: datetime) -> list[tuple[int, int, int]]:
        """Submissions stored before ``before`` without any decision, oldest first:
        (ad id, advertiser id, page id)."""
        # From the submissions (every worker asks every minute): ordered by ``ads.id`` the
        # planner read all of a million imported ads to find the few submitted ones.
        sub = AdSubmissionRow
        decided = select(ReviewDecisionRow.id).where(ReviewDecisionRow.ad_id == sub.ad_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(sub.ad_id, sub.advertiser_id, AdRow.page_id)
                .select_from(sub)
                .join(AdRow, AdRow.id == sub.ad_id)
                .where(sub.submitted_at < before, ~decided.exists())
                .order_by(sub.ad_id)
            ).all()
        return [(int(r[0]), int(r[1]), int(r[2] or 0)) for r in rows]

    def held(self, limit: int = 200) -> list[tuple[int, DecisionRecord]]:
        """Ads waiting for a person (pending, their newest decision "held"), oldest first."""
        latest = (
            select(func.max(ReviewDecisionRow.id).label("id"))
            .group_by(ReviewDecisionRow.ad_id)
            .subquery()
        )
        stmt = (
            select(ReviewDecisionRow)
            .join(latest, latest.c.id == ReviewDecisionRow.id)
            .join(AdRow, AdRow.id == ReviewDecisionRow.ad_id)
            .where(ReviewDecisionRow.decision == "held", AdRow.status == "pending")
            .order_by(ReviewDecisionRow.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(int(r.ad_id), _decision(r)) for r in conn.execute(stmt)]

    def pages_of(self, advertiser_id: int) -> list[Page]:
        """The advertiser's pages, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(PageRow)
                .join(PageOwnerRow, PageOwnerRow.page_id == PageRow.id)
                .where(PageOwnerRow.advertiser_id == advertiser_id)
                .order_by(PageRow.id.desc())
            ).all()
        return [row_to_page(r) for r in rows]

    def ads_of(self, advertiser_id: int, limit: int = 100) -> list[tuple[int, str, str, str]]:
        """The advertiser's submitted ads, newest first: (id, status, text, submitted at)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(AdRow.id, AdRow.status, AdRow.search_text, AdSubmissionRow.submitted_at)
                .join(AdSubmissionRow, AdSubmissionRow.ad_id == AdRow.id)
                .where(AdSubmissionRow.advertiser_id == advertiser_id)
                .order_by(AdRow.id.desc())
                .limit(limit)
            ).all()
        return [(int(r[0]), r[1], r[2], r[3].isoformat(sep=" ")) for r in rows]

    def submission_owner(self, ad_id: int) -> int | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(AdSubmissionRow.advertiser_id).where(AdSubmissionRow.ad_id == ad_id)
            ).scalar_one_or_none()
        return None if value is None else int(value)


def _decision(r: Any) -> DecisionRecord:
    return DecisionRecord(
        ad_id=int(r.ad_id),
        decision=r.decision,
        political=bool(r.political),
        political_score=r.political_score,
        reasons=list(r.reasons or []),
        findings=list(r.findings or []),
        by_person=bool(r.by_person),
        actor=r.actor,
        at=r.at,
        id=int(r.id),
        answers=None if r.answers is None else int(r.answers),
    )
