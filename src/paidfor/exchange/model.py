"""The exchange's vocabulary: indicator types and how their values are checked, statuses,
reactions, and the dataclasses the service hands out.

Values are checked and put in one canonical form before they are stored, so that the
(type, value) key a ThreatExchange client mirrors by is the same for every member:
``pdq`` 64 hex digits lowercased, ``domain`` a hostname lowercased, ``url`` an absolute
http(s) URL (kept as given: the library matches URLs by exact string), ``raw_text`` 1 to
10,000 characters.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from paidfor import errors

MAX_TEXT = 10_000
MAX_ID = 200
MAX_DESCRIPTION = 10_000
MAX_TAGS = 50
PAIDFOR = "paidfor"  # the member name of this server's own staff


class IndicatorType(enum.StrEnum):
    URL = "url"
    DOMAIN = "domain"
    RAW_TEXT = "raw_text"
    PDQ = "pdq"
    PAYMENT_FINGERPRINT = "payment_fingerprint"
    PAGE_ID = "page_id"
    ACCOUNT_ID = "account_id"


class Status(enum.StrEnum):
    MALICIOUS = "MALICIOUS"
    SUSPICIOUS = "SUSPICIOUS"
    NON_MALICIOUS = "NON_MALICIOUS"
    UNKNOWN = "UNKNOWN"


class Reaction(enum.StrEnum):
    HELPFUL = "HELPFUL"
    SAW_THIS_TOO = "SAW_THIS_TOO"
    NOT_HELPFUL = "NOT_HELPFUL"
    DISAGREE_WITH_TAGS = "DISAGREE_WITH_TAGS"


class ExchangeError(Exception):
    """Base of the exchange's refusals."""


class Invalid(ExchangeError, errors.Invalid):
    """A bad value, tag, status...: the message says which and why (HTTP 422)."""


class NotFound(ExchangeError, errors.NotFound):
    """No such group or indicator, or one the member may not see (HTTP 404)."""


class NotOwner(ExchangeError, errors.Forbidden):
    """Only an indicator's owner may change or delete it (HTTP 403)."""


class Conflict(ExchangeError, errors.Conflict):
    """The group name is taken, or the group already has that live indicator (HTTP 409)."""


_PDQ = re.compile(r"[0-9a-f]{64}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TAG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _choice(kind: type[enum.StrEnum], value: object, what: str) -> Any:
    try:
        return kind(str(value).strip().upper() if kind is not IndicatorType else str(value))
    except ValueError:
        names = ", ".join(k.value for k in kind)
        raise Invalid(f"unknown {what} {value!r}; choose one of: {names}") from None


def parse_type(value: object) -> IndicatorType:
    return _choice(IndicatorType, str(value).strip().lower(), "indicator type")


def parse_status(value: object) -> Status:
    return _choice(Status, value, "status")


def parse_reaction(value: object) -> Reaction:
    return _choice(Reaction, value, "reaction")


def hostname(value: str) -> str:
    """``value`` as a lowercased hostname, or Invalid."""
    host = value.strip().lower().rstrip(".")
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise Invalid(f"a domain must be a hostname such as example.com, not {value[:100]!r}")
    return host


def normalize_value(kind: IndicatorType, value: object) -> str:
    """The canonical form of ``value`` for an indicator of type ``kind``, or Invalid."""
    if not isinstance(value, str):
        raise Invalid(f"a {kind.value} value must be a string")
    if kind is IndicatorType.RAW_TEXT:
        if not value.strip():
            raise Invalid("a raw_text value must not be empty")
        if len(value) > MAX_TEXT:
            raise Invalid(f"a raw_text value has at most {MAX_TEXT:,} characters")
        return value
    value = value.strip()
    if kind is IndicatorType.PDQ:
        if not _PDQ.fullmatch(value.lower()):
            raise Invalid("a pdq value must be 64 hexadecimal digits (a 256-bit PDQ hash)")
        return value.lower()
    if kind is IndicatorType.URL:
        parts = urlsplit(value) if len(value) <= MAX_TEXT else None
        if (
            parts is None
            or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or any(c.isspace() for c in value)
        ):
            raise Invalid(f"a url must be an absolute http(s) URL, not {value[:100]!r}")
        hostname(parts.hostname)
        return value
    if kind is IndicatorType.DOMAIN:
        return hostname(value)
    # payment_fingerprint, page_id, account_id: an opaque identifier
    if not value or len(value) > MAX_ID or any(c.isspace() for c in value):
        raise Invalid(f"a {kind.value} must be 1 to {MAX_ID} characters without spaces")
    return value


def normalize_tags(tags: object) -> list[str]:
    """Tags lowercased, deduplicated and sorted; each a slug such as ``election_interference``."""
    if isinstance(tags, str) or not isinstance(tags, list | tuple):
        raise Invalid("tags must be a list of strings")
    out: set[str] = set()
    for tag in tags:
        slug = tag.strip().lower() if isinstance(tag, str) else ""
        if not _TAG.fullmatch(slug):
            raise Invalid(
                f"tag {tag!r} is not a slug: lowercase letters, digits, '_' or '-', 1-64 long"
            )
        out.add(slug)
    if len(out) > MAX_TAGS:
        raise Invalid(f"at most {MAX_TAGS} tags")
    return sorted(out)


def check_confidence(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise Invalid("confidence must be a whole number from 0 to 100")
    return value


def check_description(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise Invalid(f"a description is a string of at most {MAX_DESCRIPTION:,} characters")
    return value.strip() or None


def check_group_name(value: object) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not _GROUP.fullmatch(name):
        raise Invalid(
            "a group name is 1-100 letters, digits, '_', '.' or '-', starting with a letter "
            "or digit"
        )
    return name


def check_expiry(value: datetime | None) -> datetime | None:
    """An expiry as an aware UTC time (a naive one is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_time(text: str | None, what: str = "expires_at") -> datetime | None:
    """An ISO 8601 time (``2026-11-03``, ``2026-11-03T12:00:00+01:00``) as an aware UTC time
    (a naive one is taken as UTC), None for none, or Invalid naming ``what``."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{what} is not an ISO 8601 time: {text!r}") from None
    return check_expiry(moment)


@dataclass(frozen=True)
class Member:
    """Who acts in the exchange: a partner token (only its groups) or paidfor's own staff
    (``token_id`` None, every group)."""

    name: str
    actor: str  # the audit log's name
    token_id: int | None = None
    group_ids: frozenset[int] | None = None  # None: every group

    @property
    def is_partner(self) -> bool:
        return self.token_id is not None

    def may_see(self, group_id: int) -> bool:
        return self.group_ids is None or group_id in self.group_ids


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    description: str | None
    created_by: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class IndicatorView:
    """An indicator with every field the feed carries."""

    id: int
    type: str
    value: str
    status: str
    tags: list[str]
    confidence: int
    description: str | None
    owner: str
    group: str
    seq: int
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None
    deleted: bool
    reactions: dict[str, int] = field(default_factory=dict)
    owner_token_id: int | None = None

    def should_delete(self, now: datetime) -> bool:
        return self.deleted or (self.expires_at is not None and self.expires_at <= now)

    def as_json(self, now: datetime) -> dict[str, Any]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment is not None else None

        return {
            "id": self.id,
            "type": self.type,
            "value": self.value,
            "status": self.status,
            "tags": list(self.tags),
            "confidence": self.confidence,
            "description": self.description,
            "owner": self.owner,
            "group": self.group,
            "seq": self.seq,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "expires_at": iso(self.expires_at),
            "reactions": dict(self.reactions),
            "should_delete": self.should_delete(now),
        }


@dataclass(frozen=True)
class UpdatesPage:
    """One page of a group's feed: the items after the cursor in seq order."""

    items: list[IndicatorView]
    cursor: str
    has_more: bool
