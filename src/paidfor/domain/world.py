"""The records of a world file besides ads (docs/formats.md, "Worlds"): admins, advertiser
accounts and pages described in full, declared relationships between accounts, ground truth
and population labels. References between them are ``external_id`` strings of the same
source, resolved when they are written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from paidfor.domain.models import PaymentInstrument


@dataclass
class AdminRecord:
    source: str
    external_id: str
    name: str
    language: str | None = None
    login_countries: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)


@dataclass
class AccountRecord:
    source: str
    external_id: str
    name: str
    country: str | None = None
    created_at: datetime | None = None
    language: str | None = None
    payment_instruments: list[PaymentInstrument] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)


@dataclass
class PageRecord:
    source: str
    external_id: str
    name: str
    country: str | None = None
    created_at: datetime | None = None
    category: str | None = None
    language: str | None = None
    url: str | None = None
    admins: list[str] = field(default_factory=list)
    owner: str | None = None  # the account that runs the page


@dataclass(frozen=True)
class TruthRecord:
    """One entity of a planted network (read by evaluation; never stored)."""

    source: str
    entity: str  # advertiser, page, ad
    external_id: str
    network: str
    style: str | None = None


# A declared tie between two advertiser accounts (DESIGN.md, "Relationship"):
#   managed_by  the related account is the agency or consultant that manages this one;
#   member_of   this account is a chapter, committee or coalition member of the related one.
RELATIONS = ("managed_by", "member_of")
# declared: only the declaring side said so; confirmed: the related side agreed; verified: a
# staff member checked it; refused: the related side or staff said no. Only confirmed and
# verified ties explain coordination (integrity.relations).
RELATIONSHIP_STATUSES = ("declared", "confirmed", "verified", "refused")
EXPLAINING_STATUSES = frozenset({"confirmed", "verified"})


@dataclass
class RelationshipRecord:
    source: str
    external_id: str
    advertiser: str  # the declaring account's external_id (same source)
    relation: str  # one of RELATIONS
    related: str  # the other account's external_id (same source)
    status: str = "declared"
    declared_at: datetime | None = None


@dataclass(frozen=True)
class PopulationRecord:
    """Which legitimate group an entity of a world belongs to (read by evaluation, to break
    false positives down; never stored)."""

    source: str
    entity: str  # advertiser, page
    external_id: str
    group: str


EntityRecord = AdminRecord | AccountRecord | PageRecord | RelationshipRecord
