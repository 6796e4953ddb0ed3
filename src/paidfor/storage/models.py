"""SQLAlchemy 2 models: the core tables, and the tables more than one context reads. These
never leave ``paidfor.storage`` and the contexts' store modules, which map them to
``paidfor.domain`` dataclasses. A context's own tables are beside its stores
(``review.intake_models``, ``exchange.feed_models``, ``disclosure.request_models``) on the
same ``Base``: they join ``Base.metadata`` when their module is imported, which every store
using them does (nothing here refers to them).

Money is stored exactly as integer hundredths of its currency (``*_cents``), so sums agree to
the kopeck on SQLite and PostgreSQL alike. Times are stored in UTC.

A column holding personal data says so in its ``info``: ``{"personal": CATEGORY}``.
Disclosure packages leave such columns out unless the request's legal basis allows their
category (``paidfor.disclosure.policy``), and a test holds every such column to that rule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from paidfor.domain.models import AdType

JSONType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY = rowid on SQLite

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSONType, list[Any]: JSONType}


page_admins = Table(
    "page_admins",
    Base.metadata,
    Column("page_id", ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True),
)

advertiser_admins = Table(
    "advertiser_admins",
    Base.metadata,
    Column("advertiser_id", ForeignKey("advertisers.id", ondelete="CASCADE"), primary_key=True),
    Column("admin_id", ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True),
)


class AdvertiserRow(Base):
    __tablename__ = "advertisers"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(20))  # the account's language setting
    risk_score: Mapped[float | None] = mapped_column(Float)
    risk_explanations: Mapped[list[Any] | None] = mapped_column(JSONType)  # private
    risk_at: Mapped[datetime | None] = mapped_column(DateTime)


class PaymentInstrumentRow(Base):
    __tablename__ = "payment_instruments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    advertiser_id: Mapped[int] = mapped_column(
        ForeignKey("advertisers.id", ondelete="CASCADE"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    card_fingerprint: Mapped[str | None] = mapped_column(
        String(128), index=True, info={"personal": "payment_card"}
    )


class AdminRow(Base):
    """A person who manages pages or accounts (private): where and from what they sign in."""

    __tablename__ = "admins"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(
        String(200), info={"personal": "admin_identity"}
    )
    name: Mapped[str] = mapped_column(String(300), info={"personal": "admin_identity"})
    login_countries: Mapped[list[Any]] = mapped_column(
        default=list, info={"personal": "admin_identity"}
    )
    language: Mapped[str | None] = mapped_column(String(20), info={"personal": "admin_identity"})
    devices: Mapped[list[Any]] = mapped_column(default=list, info={"personal": "admin_network"})
    ips: Mapped[list[Any]] = mapped_column(default=list, info={"personal": "admin_network"})


class AuthorizationRow(Base):
    __tablename__ = "authorizations"
    __table_args__ = (UniqueConstraint("advertiser_id", "country"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id", ondelete="CASCADE"))
    country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    legal_name: Mapped[str | None] = mapped_column(
        String(300), info={"personal": "authorization_identity"}
    )
    residence_country: Mapped[str | None] = mapped_column(
        String(2), info={"personal": "authorization_identity"}
    )
    id_document_ref: Mapped[str | None] = mapped_column(
        String(200), info={"personal": "identity_document"}
    )
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


class PageRow(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="page")
    external_id: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(500), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    language: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    category: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_score: Mapped[float | None] = mapped_column(Float)
    risk_explanations: Mapped[list[Any] | None] = mapped_column(JSONType)  # private
    risk_at: Mapped[datetime | None] = mapped_column(DateTime)


class FunderRow(Base):
    __tablename__ = "funders"
    # "Paid for by" filters compare names ignoring case (migration 0006).
    __table_args__ = (Index("ix_funders_name_lower", func.lower(text("name"))),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)


class AdRow(Base):
    __tablename__ = "ads"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_ads_page_created", "page_id", "created_at"),
        Index("ix_ads_funder_created", "funder_id", "created_at"),
        Index("ix_ads_created", "created_at"),
        Index("ix_ads_spend", "spend_usd_cents"),
        Index("ix_ads_search_seq", "search_seq"),
        Index("ix_ads_landing_domain", "landing_domain"),
        Index("ix_ads_status", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(32))
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id"))
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"))
    creative: Mapped[dict[str, Any]] = mapped_column(default=dict)
    landing_url: Mapped[str | None] = mapped_column(Text)
    # The site of ``landing_url`` (``domain.urls.site_of``, migration 0014): who shares a domain.
    landing_domain: Mapped[str | None] = mapped_column(String(253))
    search_text: Mapped[str] = mapped_column(Text, default="")
    targeting: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    start_at: Mapped[datetime | None] = mapped_column(DateTime)
    stop_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    removal_reason: Mapped[str | None] = mapped_column(Text)
    is_political: Mapped[bool | None] = mapped_column(Boolean)
    political_score: Mapped[float | None] = mapped_column(Float)
    ad_type: Mapped[str] = mapped_column(String(40), default=AdType.POLITICAL_AND_ISSUE_ADS.value)
    currency: Mapped[str | None] = mapped_column(String(3))
    spend_cents: Mapped[int | None] = mapped_column(BigInteger)
    spend_usd_cents: Mapped[int | None] = mapped_column(BigInteger)
    spend_lower: Mapped[int | None] = mapped_column(BigInteger)
    spend_upper: Mapped[int | None] = mapped_column(BigInteger)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    impressions_lower: Mapped[int | None] = mapped_column(BigInteger)
    impressions_upper: Mapped[int | None] = mapped_column(BigInteger)
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    audience_lower: Mapped[int | None] = mapped_column(BigInteger)
    audience_upper: Mapped[int | None] = mapped_column(BigInteger)
    demographic_distribution: Mapped[list[Any]] = mapped_column(default=list)
    delivery_by_region: Mapped[list[Any]] = mapped_column(default=list)
    reached_countries: Mapped[list[Any]] = mapped_column(default=list)
    platforms: Mapped[list[Any]] = mapped_column(default=list)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    snapshot_url: Mapped[str | None] = mapped_column(Text)
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    risk_explanations: Mapped[list[Any]] = mapped_column(default=list)
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The value of ``search_state.seq`` when the row last changed (``library.index_store``).
    search_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The import run that last wrote the row (migration 0018); None for a submitted ad and for
    # one imported before runs were recorded. Not indexed: nothing looks ads up by run.
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))


class ImportRunRow(Base):
    """One run of ``paidfor import`` over one file (migration 0018; ``storage.import_runs``):
    the importer, the file's name as given (its last part only, never a path of the importing
    machine: ``domain.models.source_file_name``) and SHA-256, when it started and finished
    (never, for a run killed half-way), and what it did with the file's records."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))  # the importer: hpsci-ira, native, ...
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    added: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, default=0)
    unchanged: Mapped[int] = mapped_column(BigInteger, default=0)
    refused: Mapped[int] = mapped_column(BigInteger, default=0)


class SearchStateRow(Base):
    """One row: the change counter every write of ``ads`` takes its ``search_seq`` from, and
    the random name of this database."""

    __tablename__ = "search_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    epoch: Mapped[str] = mapped_column(String(32))


class SpendReportRow(Base):
    __tablename__ = "spend_reports"
    __table_args__ = (UniqueConstraint("source", "period", "country", "row_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(60))
    country: Mapped[str] = mapped_column(String(2))
    row_key: Mapped[str] = mapped_column(String(300))
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), index=True)
    funder_id: Mapped[int | None] = mapped_column(ForeignKey("funders.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    amount_is_upper_bound: Mapped[bool] = mapped_column(Boolean, default=False)
    ads_count: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(String(32))


class ElectionRow(Base):
    __tablename__ = "elections"
    __table_args__ = (UniqueConstraint("country", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(300))
    date: Mapped[date] = mapped_column(Date)
    authorization_required: Mapped[bool] = mapped_column(Boolean, default=True)
    blackout_days: Mapped[int] = mapped_column(Integer, default=0)
    # eu, national, regional or local (migration 0015); the public page its date comes from
    level: Mapped[str] = mapped_column(String(10), default="national", server_default="national")
    source_url: Mapped[str | None] = mapped_column(String(500))


class IndicatorRow(Base):
    """A threat indicator shared in a privacy group (the exchange; migration 0008)."""

    __tablename__ = "indicators"
    __table_args__ = (
        # unique where set (rows from before 0008 have no stamp)
        Index(
            "uq_indicators_seq",
            "seq",
            unique=True,
            sqlite_where=text("seq IS NOT NULL"),
            postgresql_where=text("seq IS NOT NULL"),
        ),
        Index("ix_indicators_group_seq", "group_id", "seq"),  # the feed's order
        # the expiry sweep before every feed read and write looks only at live rows that expire
        Index(
            "ix_indicators_expiry",
            "expires_at",
            sqlite_where=text("deleted = 0 AND expires_at IS NOT NULL"),
            postgresql_where=text("deleted = false AND expires_at IS NOT NULL"),
        ),
        # one live indicator per (group, type, value): the key a ThreatExchange client mirrors
        Index(
            "uq_indicators_live_key",
            "group_id",
            "type",
            "value_hash",
            unique=True,
            sqlite_where=text("deleted = 0 AND group_id IS NOT NULL"),
            postgresql_where=text("deleted = false AND group_id IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="UNKNOWN")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[int] = mapped_column(Integer, default=50)
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    privacy_group: Mapped[str | None] = mapped_column(String(200), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    reactions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int | None] = mapped_column(BigInteger)  # the feed order: fresh on every write
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_groups.id"))
    owner_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))  # None: us
    # SHA-256 hex of ``value``: the unique key indexes this, not the (up to 10,000 character)
    # value, which a PostgreSQL btree entry cannot hold. ``privacy_group`` (0001) is unused.
    value_hash: Mapped[str | None] = mapped_column(String(64))


class CaseRow(Base):
    """An investigation (private): a network found or grown from seeds, its evidence."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, taken_down, closed
    kind: Mapped[str] = mapped_column(String(20), default="network")  # network, expansion
    summary: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # the signals, in words
    links: Mapped[list[Any]] = mapped_column(default=list)  # the evidence graph's edges
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class CaseMemberRow(Base):
    __tablename__ = "case_members"
    __table_args__ = (Index("ix_case_members_entity", "entity_type", "entity_id"),)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    entity_type: Mapped[str] = mapped_column(String(20), primary_key=True)  # advertiser, page
    entity_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # seed, member
    score: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FindingMarkRow(Base):
    """An investigator's verdict on one member of a case (migration 0013): ``confirmed`` (part
    of the operation) or ``legitimate`` (coordination a relationship or a reason explains),
    with the evidence the member had when it was marked, so that detection does not raise it
    again without new evidence (``integrity.marks``)."""

    __tablename__ = "finding_marks"
    __table_args__ = (Index("ix_finding_marks_entity", "entity_type", "entity_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str] = mapped_column(String(20))  # confirmed, legitimate
    reason: Mapped[str] = mapped_column(Text)
    relationship_id: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # ["kind|value", ...]
    actor: Mapped[str] = mapped_column(String(200))
    marked_at: Mapped[datetime] = mapped_column(DateTime)


class DetectionRunRow(Base):
    """One run of network detection started from the staff pages (migration 0013): who
    started it, when, and what it found (``integrity.detection.Detection.as_json``)."""

    __tablename__ = "detection_runs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # running, done, failed
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)


class ActionRow(Base):
    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime)


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    at: Mapped[datetime] = mapped_column(DateTime)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ApiTokenRow(Base):
    """An API token: only its SHA-256 hex digest is stored, never the token itself."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(10))
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


# Tables more than one context uses, or that a core table refers to: which advertiser created
# a page and the declared relationships (the import writer fills them; review and integrity
# read them), privacy groups (``indicators.group_id``) and the partner tokens in them (auth's
# token store), advertisers' uploaded images (integrity's image store; exchange and disclosure
# read them).


class PageOwnerRow(Base):
    __tablename__ = "page_owners"
    page_id: Mapped[int] = mapped_column(
        ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True
    )
    advertiser_id: Mapped[int] = mapped_column(
        ForeignKey("advertisers.id", ondelete="CASCADE"), index=True
    )


class RelationshipRow(Base):
    """A declared tie between two advertiser accounts (migration 0013; DESIGN.md
    "Relationship"): ``advertiser_id`` says it is ``managed_by`` the agency ``related_id``, or
    a ``member_of`` the organisation ``related_id``; the related side confirms or refuses it,
    or staff verify it (``domain.world.RELATIONSHIP_STATUSES``)."""

    __tablename__ = "relationships"
    __table_args__ = (Index("uq_relationships_external", "source", "external_id", unique=True),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    advertiser_id: Mapped[int] = mapped_column(
        ForeignKey("advertisers.id", ondelete="CASCADE"), index=True
    )
    related_id: Mapped[int] = mapped_column(
        ForeignKey("advertisers.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="declared")
    source: Mapped[str | None] = mapped_column(String(40))  # an import's, or None (intake)
    external_id: Mapped[str | None] = mapped_column(String(200))
    declared_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(500))  # why it was verified or refused


class PrivacyGroupRow(Base):
    __tablename__ = "privacy_groups"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class TokenGroupRow(Base):
    """A partner token's membership of a privacy group."""

    __tablename__ = "token_groups"
    token_id: Mapped[int] = mapped_column(
        ForeignKey(ApiTokenRow.id, ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey(PrivacyGroupRow.id, ondelete="CASCADE"), primary_key=True
    )


class AdImageRow(Base):
    """An image an advertiser uploaded for its ads. ``hash`` (the MD5 of the bytes, as Meta's
    ad images have) is what a creative's ``image_hashes`` name; ``pdq`` is its PDQ hash from
    the ``threatexchange`` library's PDQ signal type (None when the image's quality is too
    low for PDQ to mean anything)."""

    __tablename__ = "ad_images"
    __table_args__ = (UniqueConstraint("advertiser_id", "hash"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"))
    hash: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    pdq: Mapped[str | None] = mapped_column(String(64))
    pdq_quality: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
