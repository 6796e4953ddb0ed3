"""The data model of DESIGN.md as plain dataclasses.

Storage maps these to and from SQLAlchemy rows; nothing above storage sees an ORM object.
Fields that the public never sees are listed in ``PRIVATE_FIELDS``.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from paidfor.domain.targeting import Targeting

#: The largest row id, and the largest integer any input may carry into the database: ids and
#: counts are signed 64-bit integers on both databases, so a value past it names no row and is
#: refused where it is parsed (a 422 or a Graph 400), never an overflow in a driver.
MAX_ID = 2**63 - 1


#: Sources that are themselves an ad library with public ids of their own (Meta's Ad Library,
#: ``paidfor import meta-archive``): their records keep that id as the one ``ads_archive``
#: publishes (``Ad.library_id``), so a researcher's citation of a Library ID still finds it.
LIBRARY_ID_SOURCES = frozenset({"meta"})

#: Sources that are a public record released whole by a legislature (the House Intelligence
#: Committee's release of the Internet Research Agency's ads, ``paidfor import hpsci-ira``):
#: their ads were removed for coordinated inauthentic behaviour and then published, text and
#: all, so their content is shown like any other ad's (``Ad.content_withheld``).
RELEASED_SOURCES = frozenset({"hpsci-ira"})

#: The source of the ads advertisers submit through paidfor itself (``POST /api/me/ads``, the
#: advertiser pages): not imported from any file (``Ad.submitted``).
SUBMITTED_SOURCE = "paidfor"

#: The longest file name an import run keeps (``source_file_name``).
FILE_NAME_MAX = 200
_PATH_SEPARATORS = re.compile(r"[/\\]")


def source_file_name(given: str) -> str:
    """The name an import run keeps of the file it read: the last part of the path as given
    (split at ``/`` and ``\\`` alike, so neither a POSIX nor a Windows path of the importing
    machine is kept), every control or format character (a newline, a bidirectional
    override) as ``?``, cut to ``FILE_NAME_MAX`` characters (its end kept with an ellipsis),
    and ``?`` for an empty name. A file name is untrusted input: the pages still escape it."""
    name = _PATH_SEPARATORS.split(given)[-1]
    name = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in name).strip()
    if len(name) > FILE_NAME_MAX:
        name = name[: FILE_NAME_MAX - 1] + "…"
    return name or "?"


class AdStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    STOPPED = "stopped"
    REMOVED = "removed"


# Ads the public library shows: every ad that was approved to deliver at some time (pending
# and rejected ads never ran).
PUBLIC_STATUSES: frozenset[AdStatus] = frozenset(
    {AdStatus.APPROVED, AdStatus.RUNNING, AdStatus.STOPPED, AdStatus.REMOVED}
)
# Ads delivering now, or approved to (Graph's ``ad_active_status=ACTIVE``; what a retro-hunt
# and a takedown act on).
ACTIVE_STATUSES: frozenset[AdStatus] = frozenset({AdStatus.APPROVED, AdStatus.RUNNING})
# Ads whose delivery can be recorded: those that deliver now or were approved to, and those
# stopped since, whose last figures may still arrive.
RECORDS_DELIVERY: frozenset[AdStatus] = ACTIVE_STATUSES | {AdStatus.STOPPED}


class AdType(enum.StrEnum):
    """The category an ad is filed in (Graph's ``ad_type``)."""

    POLITICAL_AND_ISSUE_ADS = "POLITICAL_AND_ISSUE_ADS"
    ALL = "ALL"


def political(is_political: bool | None, ad_type: str | None) -> bool:
    """Whether an ad counts as political: its explicit classification wins, else the category
    it was filed in (the library, the hub and the search index all ask this; storage writes
    the same rule in SQL as ``storage.rules.political_condition``)."""
    if is_political is not None:
        return is_political
    return ad_type == AdType.POLITICAL_AND_ISSUE_ADS


def content_withheld(status: str, source: str, unmask: bool = False) -> bool:
    """``Ad.content_withheld`` of an ad's stored status and source: the rule itself, for a
    view built from a row without an ``Ad`` (the library's search)."""
    return status == AdStatus.REMOVED and source not in RELEASED_SOURCES and not unmask


class AuthorizationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    REVOKED = "revoked"


@dataclass(frozen=True)
class AuthorizationRequest:
    """An advertiser's request to run political ads in ``country``: who it is (checked by a
    reviewer against the identity document), where it lives, and the "Paid for by" name the
    approval verifies."""

    country: str
    legal_name: str
    residence_country: str
    id_document_ref: str
    funder_name: str


class ActionKind(enum.StrEnum):
    REMOVE_AD = "remove_ad"
    RESTORE_AD = "restore_ad"
    DISABLE_ADVERTISER = "disable_advertiser"
    DISABLE_PAGE = "disable_page"
    RESTORE_ADVERTISER = "restore_advertiser"
    RESTORE_PAGE = "restore_page"


@dataclass(frozen=True)
class Range:
    """A public bucket for a private number, as the Ad Library shows it."""

    lower: int
    upper: int | None  # None: open-ended ("1M+")


@dataclass
class PaymentInstrument:
    currency: str
    billing_country: str | None = None
    card_fingerprint: str | None = None  # a hash, never the card number
    id: int | None = None


@dataclass
class Admin:
    """A person who manages a page or an advertiser account; private."""

    name: str
    login_countries: list[str] = field(default_factory=list)
    language: str | None = None
    id: int | None = None


@dataclass
class Advertiser:
    """The paying account."""

    name: str
    country: str | None = None
    created_at: datetime | None = None
    payment_instruments: list[PaymentInstrument] = field(default_factory=list)
    admins: list[Admin] = field(default_factory=list)
    disabled: bool = False
    source: str | None = None
    external_id: str | None = None
    id: int | None = None


@dataclass
class Page:
    """The public identity that runs ads (a Facebook page, or an outside landing domain)."""

    name: str
    kind: str = "page"  # "page" (a platform page) or "domain" (an outside landing site)
    external_id: str | None = None  # the platform's page id or path; the domain for "domain"
    url: str | None = None
    created_at: datetime | None = None
    language: str | None = None
    country: str | None = None
    category: str | None = None
    admins: list[Admin] = field(default_factory=list)
    disabled: bool = False
    id: int | None = None


@dataclass
class Funder:
    """The entity named in "Paid for by"."""

    name: str
    verified: bool = False
    id: int | None = None


@dataclass
class Creative:
    bodies: list[str] = field(default_factory=list)
    link_titles: list[str] = field(default_factory=list)
    link_captions: list[str] = field(default_factory=list)
    link_descriptions: list[str] = field(default_factory=list)
    landing_url: str | None = None
    image_hashes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """All creative text, for full-text search."""
        return creative_text(self.bodies, self.link_titles, self.link_captions,
                             self.link_descriptions)  # fmt: skip


def creative_text(
    bodies: list[str], titles: list[str], captions: list[str], descriptions: list[str]
) -> str:
    """All creative text, for full-text search: the non-empty texts, one a line (what
    ``Creative.text`` gives; the native importer calls it on the lists it read)."""
    return "\n".join(p for p in (*bodies, *titles, *captions, *descriptions) if p)


@dataclass
class Delivery:
    currency: str | None = None
    spend: Decimal | None = None  # exact, in ``currency``
    spend_usd: Decimal | None = None  # at the rate of the ad's date
    spend_range: Range | None = None
    impressions: int | None = None
    impressions_range: Range | None = None
    clicks: int | None = None
    demographic_distribution: list[dict[str, Any]] = field(default_factory=list)
    delivery_by_region: list[dict[str, Any]] = field(default_factory=list)
    reached_countries: list[str] = field(default_factory=list)
    estimated_audience_size: Range | None = None


@dataclass
class Risk:
    score: float = 0.0
    explanations: list[dict[str, Any]] = field(default_factory=list)  # private


@dataclass(frozen=True)
class SourceFile:
    """The file an imported ad was last written from: one run of ``paidfor import`` over one
    file (migration 0018). Public facts about a public source file: its name as given (no
    path: ``source_file_name``) and SHA-256, the importer, when the run started and whether it
    finished (a run killed half-way never does). Who ran it, and where, is not kept."""

    run_id: int
    name: str
    sha256: str | None
    importer: str
    started_at: datetime | None
    finished: bool


@dataclass
class Ad:
    source: str
    external_id: str
    creative: Creative = field(default_factory=Creative)
    page: Page | None = None
    advertiser: Advertiser | None = None
    funder: Funder | None = None
    targeting: Targeting = field(default_factory=Targeting)  # private
    delivery: Delivery = field(default_factory=Delivery)
    created_at: datetime | None = None
    start_at: datetime | None = None
    stop_at: datetime | None = None
    status: AdStatus = AdStatus.PENDING
    removal_reason: str | None = None
    is_political: bool | None = None
    political_score: float | None = None
    platforms: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    ad_type: str = AdType.POLITICAL_AND_ISSUE_ADS
    risk: Risk = field(default_factory=Risk)
    snapshot_url: str | None = None
    id: int | None = None
    # Where the stored record came from (issue 20, "provenance"): when it was last written by
    # an import (or stored when submitted), and the file of that import (None: submitted, or
    # imported before migration 0018 recorded files). A re-import that finds the record
    # unchanged does not write it, so both keep naming the import that wrote what is stored.
    imported_at: datetime | None = None
    source_file: SourceFile | None = None

    @property
    def submitted(self) -> bool:
        """Whether the ad was submitted by its advertiser through paidfor (review's intake)
        rather than imported from a file."""
        return self.source == SUBMITTED_SOURCE

    @property
    def started_at(self) -> datetime | None:
        """When the ad started: its delivery start, else (a source that gives none) when it
        was created. The one start rule (as SQL: ``storage.rules.started``)."""
        return self.start_at or self.created_at

    @property
    def library_id(self) -> str:
        """The id the library publishes for the ad: the source library's own id for a record
        imported from one (``LIBRARY_ID_SOURCES``), else ours."""
        if self.source in LIBRARY_ID_SOURCES and self.external_id:
            return self.external_id
        return str(self.id)

    def content_withheld(self, unmask: bool = False) -> bool:
        """Whether the library withholds the ad's content (its texts, links and images): the
        one rule for a removed ad, on every surface (the pages, the search's JSON, the
        exports, ``ads_archive``; docs/ads_archive.md). An ad removed for breaking the rules
        is shown without its content unless the reader asks for it
        (``unmask_removed_content=true``), as Meta's Ad Library does; an ad of a released
        public record (``RELEASED_SOURCES``: the IRA's ads, removed for coordinated
        inauthentic behaviour and published by a legislature) is shown whole, as published.
        Every other ad is shown whole."""
        return content_withheld(self.status, self.source, unmask)

    @property
    def delivered_until(self) -> datetime | None:
        """When the ad stopped delivering, None while it may still deliver: its stop time;
        else, for an ad delivering or approved to (``ACTIVE_STATUSES``), open-ended; else (a
        removed, stopped or rejected ad without a stop time) the last date known of it, its
        start. A removal or a stop by enforcement sets the stop time to when it happened.
        The one delivery-window rule: the archive's date filters, the library's search, the
        hub's weeks and the exports all ask it (as SQL: ``storage.rules.delivered_until``)."""
        if self.stop_at is not None:
            return self.stop_at
        if self.status in ACTIVE_STATUSES:
            return None
        return self.started_at


@dataclass
class Election:
    country: str
    name: str
    date: date
    authorization_required: bool = True
    blackout_days: int = 0
    id: int | None = None
    level: str = "national"  # eu, national, regional or local (the TTPA's scope, art. 3)
    # the public page the date comes from, and the official information on taking part in
    # the vote that a transparency notice links (art. 12(1)(h) of Regulation (EU) 2024/900)
    source_url: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON form of an election (as ``election list --json`` prints it and the audit
        events record it before and after a change)."""
        return {
            "id": self.id,
            "country": self.country,
            "name": self.name,
            "date": self.date.isoformat(),
            "authorization_required": self.authorization_required,
            "blackout_days": self.blackout_days,
            "level": self.level,
            "source_url": self.source_url,
        }


@dataclass
class AuditEvent:
    actor: str
    action: str
    target_type: str
    target_id: str
    reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime | None = None
    prev_hash: str | None = None
    hash: str | None = None
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The event as a JSON object (time in ISO 8601, UTC)."""
        return {
            "id": self.id,
            "at": self.at.isoformat() if self.at else None,
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "reason": self.reason,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass
class SpendReport:
    """One row of an advertiser spend report (Meta Ad Library Report, Google's stats)."""

    source: str
    period: str
    country: str
    page: Page
    funder: Funder | None
    amount: Decimal
    currency: str
    ads_count: int | None = None
    amount_is_upper_bound: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


# Fields the public library never shows (ad fields and advertiser/page fields).
PRIVATE_FIELDS: dict[str, frozenset[str]] = {
    "Ad": frozenset({"targeting", "risk", "advertiser"}),
    "Advertiser": frozenset({"payment_instruments", "admins"}),
    "Page": frozenset({"admins"}),
    "Delivery": frozenset({"spend", "impressions", "clicks"}),
}
