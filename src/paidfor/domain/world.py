"""The records of a world file besides ads (docs/formats.md, "Worlds"): admins, advertiser
accounts and pages described in full, and ground truth. References between them are
``external_id`` strings of the same source, resolved when they are written."""

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


EntityRecord = AdminRecord | AccountRecord | PageRecord
