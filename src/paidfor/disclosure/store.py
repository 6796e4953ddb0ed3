"""What the disclosure context reads and writes: disclosure requests (each change writes its
audit event in the same transaction), the ads a request's scope selects, and every row a
package holds (``read_package``; ``disclosure.export`` redacts and shapes them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, func, insert, or_, select, update

from paidfor import errors
from paidfor.disclosure.request_models import DisclosureRequestRow as R
from paidfor.review.intake_models import ReviewDecisionRow
from paidfor.review.ttpa_models import SponsorDeclarationRow
from paidfor.storage.audit import append_event_conn
from paidfor.storage.mapping import utc_naive
from paidfor.storage.models import (
    ActionRow,
    AdImageRow,
    AdminRow,
    AdRow,
    AdvertiserRow,
    AuthorizationRow,
    CaseMemberRow,
    CaseRow,
    FunderRow,
    PageRow,
    PaymentInstrumentRow,
    advertiser_admins,
    page_admins,
)
from paidfor.storage.rules import started
from paidfor.storage.tables import chunks

CHUNK = 500


class NoSuchRequest(errors.NotFound):
    """No disclosure request with that id (or none the caller may see)."""


@dataclass(frozen=True)
class DisclosureRequest:
    id: int
    case_id: int | None
    filters: dict[str, Any]
    recipient: str
    legal_basis: str
    purpose: str
    status: str
    requested_by: str
    requester_token_id: int | None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    built_by: str | None
    built_at: datetime | None
    package: str | None
    manifest_sha256: str | None
    ads: int | None
    requester_kind: str | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    deadline_rule: str | None = None
    refusal_ground: str | None = None

    def scope(self) -> str:
        if self.case_id is not None:
            return f"case {self.case_id}"
        return ", ".join(f"{k}={v}" for k, v in sorted(self.filters.items())) or "every ad"

    def as_json(self) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "case_id": self.case_id,
            "filters": dict(self.filters),
            "scope": self.scope(),
            "recipient": self.recipient,
            "legal_basis": self.legal_basis,
            "purpose": self.purpose,
            "status": self.status,
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at),
            "decision_reason": self.decision_reason,
            "built_by": self.built_by,
            "built_at": iso(self.built_at),
            "manifest_sha256": self.manifest_sha256,
            "ads": self.ads,
            "requester_kind": self.requester_kind,
            "received_at": iso(self.received_at),
            "due_at": iso(self.due_at),
            "deadline_rule": self.deadline_rule,
            "refusal_ground": self.refusal_ground,
        }


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None else None


def _request(r: Any) -> DisclosureRequest:
    return DisclosureRequest(
        id=int(r.id), case_id=r.case_id, filters=dict(r.filters or {}), recipient=r.recipient,
        legal_basis=r.legal_basis, purpose=r.purpose, status=r.status,
        requested_by=r.requested_by, requester_token_id=r.requester_token_id,
        requested_at=r.requested_at.replace(tzinfo=UTC), decided_by=r.decided_by,
        decided_at=_aware(r.decided_at), decision_reason=r.decision_reason,
        built_by=r.built_by, built_at=_aware(r.built_at), package=r.package,
        manifest_sha256=r.manifest_sha256, ads=r.ads, requester_kind=r.requester_kind,
        received_at=_aware(r.received_at), due_at=_aware(r.due_at),
        deadline_rule=r.deadline_rule, refusal_ground=r.refusal_ground,
    )  # fmt: skip


class DisclosureRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def case_exists(self, case_id: int) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(CaseRow.id).where(CaseRow.id == case_id)).first() is not None

    def create(self, values: dict[str, Any], now: datetime) -> DisclosureRequest:
        stored = {k: utc_naive(v) if isinstance(v, datetime) else v for k, v in values.items()}
        with self.engine.begin() as conn:
            key = conn.execute(
                insert(R).values(**stored, status="requested", requested_at=utc_naive(now))
            ).inserted_primary_key
            assert key is not None
            append_event_conn(
                conn,
                actor=values["requested_by"],
                action="disclosure_request",
                target_type="disclosure",
                target_id=str(key[0]),
                reason=values["purpose"],
                after={
                    k: v.isoformat() if isinstance(v, datetime) else v
                    for k, v in values.items()
                    if k != "requester_token_id"
                },
            )
        return self.get(int(key[0]))

    def get(self, request_id: int) -> DisclosureRequest:
        with self.engine.connect() as conn:
            row = conn.execute(select(R).where(R.id == request_id)).one_or_none()
        if row is None:
            raise NoSuchRequest(f"no disclosure request {request_id}")
        return _request(row)

    def requests(self, requested_by: str | None = None) -> list[DisclosureRequest]:
        q = select(R).order_by(R.id.desc())
        if requested_by is not None:
            q = q.where(R.requested_by == requested_by)
        with self.engine.connect() as conn:
            return [_request(r) for r in conn.execute(q)]

    def decide(
        self,
        request_id: int,
        *,
        approve: bool,
        actor: str,
        reason: str,
        now: datetime,
        ground: str | None = None,
    ) -> DisclosureRequest:
        status = "approved" if approve else "rejected"
        with self.engine.begin() as conn:
            done = conn.execute(
                update(R)
                .where(R.id == request_id, R.status == "requested")
                .values(status=status, decided_by=actor, decided_at=utc_naive(now),
                        decision_reason=reason, refusal_ground=ground)
            ).rowcount  # fmt: skip
            if done:
                after = {"status": status} | ({"refusal_ground": ground} if ground else {})
                append_event_conn(
                    conn, actor=actor, action=f"disclosure_{'approve' if approve else 'reject'}",
                    target_type="disclosure", target_id=str(request_id), reason=reason,
                    before={"status": "requested"}, after=after,
                )  # fmt: skip
        return self.get(request_id)

    def record_build(
        self,
        request_id: int,
        *,
        actor: str,
        now: datetime,
        package: str,
        digest: str,
        ads: int,
        left_out: list[str],
    ) -> DisclosureRequest:
        with self.engine.begin() as conn:
            conn.execute(
                update(R)
                .where(R.id == request_id)
                .values(status="built", built_by=actor, built_at=utc_naive(now),
                        package=package, manifest_sha256=digest, ads=ads)
            )  # fmt: skip
            append_event_conn(
                conn, actor=actor, action="disclosure_build", target_type="disclosure",
                target_id=str(request_id),
                after={"package": package, "manifest_sha256": digest, "ads": ads,
                       "left_out": left_out},
            )  # fmt: skip
        return self.get(request_id)

    def record_refusal(self, request_id: int | None, *, actor: str, what: str, why: str) -> None:
        """A refused attempt (to build or download a package) is audited too."""
        with self.engine.begin() as conn:
            append_event_conn(
                conn, actor=actor, action=f"disclosure_{what}_refused",
                target_type="disclosure", target_id=str(request_id or ""), reason=why,
            )  # fmt: skip

    def record_download(self, request_id: int, *, actor: str) -> None:
        with self.engine.begin() as conn:
            append_event_conn(
                conn, actor=actor, action="disclosure_download", target_type="disclosure",
                target_id=str(request_id),
            )  # fmt: skip


__all__ = ["DisclosureRepository", "DisclosureRequest", "NoSuchRequest"]


def ads_in_scope(engine: Engine, case_id: int | None, f: dict[str, Any]) -> list[Any]:
    """(id, targeting, reached_countries) of the ads a case's members ran, or that the checked
    filters ``f`` select (all but ``country``, which the caller applies), oldest first."""
    q = select(AdRow.id, AdRow.targeting, AdRow.reached_countries)
    conds: list[Any] = []
    with engine.connect() as conn:
        if case_id is not None:
            members = conn.execute(
                select(CaseMemberRow.entity_type, CaseMemberRow.entity_id).where(
                    CaseMemberRow.case_id == case_id
                )
            ).all()
            advertisers = [m.entity_id for m in members if m.entity_type == "advertiser"]
            pages = [m.entity_id for m in members if m.entity_type == "page"]
            conds.append(or_(AdRow.advertiser_id.in_(advertisers), AdRow.page_id.in_(pages)))
        if "currency" in f:
            conds.append(AdRow.currency == f["currency"])
        when = started()
        if "date_min" in f:
            conds.append(when >= datetime.combine(date.fromisoformat(f["date_min"]), time.min))
        if "date_max" in f:
            conds.append(when <= datetime.combine(date.fromisoformat(f["date_max"]), time.max))
        if "page_id" in f:
            conds.append(AdRow.page_id.in_(f["page_id"]))
        if "source" in f:
            conds.append(AdRow.source == f["source"])
        if "status" in f:
            conds.append(AdRow.status == f["status"])
        if "funder" in f:
            conds.append(
                AdRow.funder_id.in_(
                    select(FunderRow.id).where(func.lower(FunderRow.name) == f["funder"].lower())
                )
            )
        return list(conn.execute(q.where(*conds).order_by(AdRow.id)).all())


@dataclass
class PackageRows:
    """Every row a package of some ads holds, unredacted, keyed for ``disclosure.export``."""

    ads: list[Any] = field(default_factory=list)  # oldest first
    pages: dict[int, Any] = field(default_factory=dict)
    advertisers: dict[int, Any] = field(default_factory=dict)
    funders: dict[int, Any] = field(default_factory=dict)
    admins_of: dict[tuple[str, int], list[Any]] = field(default_factory=dict)  # (kind, owner)
    payments: dict[int, list[Any]] = field(default_factory=dict)  # by advertiser
    authorizations: dict[int, list[Any]] = field(default_factory=dict)  # by advertiser
    decisions: dict[int, list[Any]] = field(default_factory=dict)  # by ad
    actions: dict[int, list[Any]] = field(default_factory=dict)  # by ad
    images: dict[tuple[int | None, str], Any] = field(default_factory=dict)  # (owner, hash)
    declarations: dict[int, Any] = field(default_factory=dict)  # by ad (art. 7 of 2024/900)


def read_package(
    engine: Engine,
    ad_ids: Sequence[int],
    *,
    pages: Sequence[int] = (),
    advertisers: Sequence[int] = (),
) -> PackageRows:
    """The ads ``ad_ids``, the pages and accounts that ran them (and ``pages`` and
    ``advertisers`` besides: a case's members without ads in scope), their funders, admins,
    payment instruments, authorizations, review decisions, enforcement actions, images and
    sponsors' declarations (Regulation (EU) 2024/900, art. 7)."""
    out = PackageRows()
    with engine.connect() as conn:
        rows: list[Any] = []
        for chunk in chunks(ad_ids, CHUNK):
            rows += conn.execute(select(AdRow).where(AdRow.id.in_(chunk))).all()
        rows.sort(key=lambda r: r.id)
        out.ads = rows
        page_ids = sorted({r.page_id for r in rows if r.page_id is not None} | set(pages))
        adv_ids = sorted(
            {r.advertiser_id for r in rows if r.advertiser_id is not None} | set(advertisers)
        )
        out.pages = {
            p.id: p
            for c in chunks(page_ids, CHUNK)
            for p in conn.execute(select(PageRow).where(PageRow.id.in_(c)))
        }
        out.advertisers = {
            a.id: a
            for c in chunks(adv_ids, CHUNK)
            for a in conn.execute(select(AdvertiserRow).where(AdvertiserRow.id.in_(c)))
        }
        out.funders = {
            f.id: f
            for f in conn.execute(
                select(FunderRow).where(
                    FunderRow.id.in_({r.funder_id for r in rows if r.funder_id is not None})
                )
            )
        }
        for table, col, kind, ids in (
            (page_admins, page_admins.c.page_id, "page", page_ids),
            (advertiser_admins, advertiser_admins.c.advertiser_id, "advertiser", adv_ids),
        ):
            for c in chunks(ids, CHUNK):
                stmt = (
                    select(col.label("owner"), AdminRow)
                    .join(AdminRow, AdminRow.id == table.c.admin_id)
                    .where(col.in_(c))
                )
                for r in conn.execute(stmt):
                    out.admins_of.setdefault((kind, r.owner), []).append(r)
        for c in chunks(adv_ids, CHUNK):
            for r in conn.execute(
                select(PaymentInstrumentRow).where(PaymentInstrumentRow.advertiser_id.in_(c))
            ):
                out.payments.setdefault(r.advertiser_id, []).append(r)
            for r in conn.execute(
                select(AuthorizationRow, FunderRow.name.label("funder"))
                .outerjoin(FunderRow, FunderRow.id == AuthorizationRow.funder_id)
                .where(AuthorizationRow.advertiser_id.in_(c))
            ):
                out.authorizations.setdefault(r.advertiser_id, []).append(r)
        for c in chunks(ad_ids, CHUNK):
            for r in conn.execute(
                select(ReviewDecisionRow)
                .where(ReviewDecisionRow.ad_id.in_(c))
                .order_by(ReviewDecisionRow.id)
            ):
                out.decisions.setdefault(r.ad_id, []).append(r)
            for r in conn.execute(
                select(ActionRow)
                .where(ActionRow.target_type == "ad", ActionRow.target_id.in_(c))
                .order_by(ActionRow.id)
            ):
                out.actions.setdefault(r.target_id, []).append(r)
        for c in chunks(ad_ids, CHUNK):
            for r in conn.execute(
                select(SponsorDeclarationRow).where(SponsorDeclarationRow.ad_id.in_(c))
            ):
                out.declarations[r.ad_id] = r
        image_keys = {
            (r.advertiser_id, h) for r in rows for h in (r.creative or {}).get("image_hashes") or []
        }
        for owner in {a for a, _ in image_keys}:
            hashes = [h for a, h in image_keys if a == owner]
            cond = (
                AdImageRow.advertiser_id.is_(None)
                if owner is None
                else AdImageRow.advertiser_id == owner
            )
            for r in conn.execute(
                select(AdImageRow.advertiser_id, AdImageRow.hash, AdImageRow.content_type,
                       AdImageRow.data).where(cond, AdImageRow.hash.in_(hashes))
            ):  # fmt: skip
                out.images[r.advertiser_id, r.hash] = r
    return out
