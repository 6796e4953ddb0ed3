"""What the integrity layer reasons about, as plain values: entities (advertiser accounts and
pages) with the attributes that can tie them together, the signals' findings, and networks.

Entities are named by ``EntityKey`` ("advertiser:12", "page:7"). Attributes are
``(kind, value)`` pairs such as ``("device", "d-1f3a")``; ``ATTRIBUTE_KINDS`` lists the kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from paidfor.errors import Invalid

EntityType = Literal["advertiser", "page"]

# What can tie two entities together, with what it means in words.
ATTRIBUTE_KINDS: dict[str, str] = {
    "payment": "the same payment card (fingerprint)",
    "admin": "the same admin",
    "device": "an admin signing in from the same device",
    "ip": "an admin signing in from the same IP address",
    "domain": "ads landing on the same web domain",
    "creative": "near-duplicate ad text",
    "burst": "created in the same short burst",
    "owner": "one runs ads for the other",
    "targeting": "the same unusual targeting",
    "ad_minute": "ads created in the same minute",
}


# What only an operator shares: a payment card, an admin, a device.
CONTROL_KINDS = frozenset({"payment", "admin", "device"})


@dataclass(frozen=True, slots=True, order=True)
class EntityKey:
    type: str  # EntityType
    id: int

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> EntityKey:
        """``advertiser:12`` or ``page:7``; ``Invalid`` (a ValueError) otherwise."""
        kind, sep, ident = text.strip().partition(":")
        if not sep or kind not in ("advertiser", "page") or not ident.strip().isdigit():
            raise Invalid(f"an entity is advertiser:ID or page:ID, got {text!r}")
        return cls(kind, int(ident))


@dataclass(slots=True)
class AdminProfile:
    id: int
    name: str
    language: str | None = None
    login_countries: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    ips: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PaymentProfile:
    currency: str
    billing_country: str | None = None
    fingerprint: str | None = None


@dataclass(slots=True)
class Profile:
    """An advertiser account or a page with everything the signals read (private data)."""

    key: EntityKey
    name: str
    country: str | None = None  # the claimed country
    created_at: datetime | None = None
    language: str | None = None  # the account's language setting (advertisers)
    payments: list[PaymentProfile] = field(default_factory=list)
    ad_currencies: set[str] = field(default_factory=set)  # what its ads were billed in
    admins: list[AdminProfile] = field(default_factory=list)
    landing_domains: set[str] = field(default_factory=set)
    landing_urls: set[str] = field(default_factory=set)  # its ads' landing URLs, as given
    image_pdqs: set[str] = field(default_factory=set)  # its ads' images' PDQ hashes (64 hex)
    targeted_countries: set[str] = field(default_factory=set)
    audience_languages: set[str] = field(default_factory=set)
    interests: set[str] = field(default_factory=set)
    targeting_signatures: set[str] = field(default_factory=set)  # an ad's whole interest set
    first_political_at: datetime | None = None
    political_ads: int = 0
    ads: int = 0
    ad_ids: list[int] = field(default_factory=list)
    linked: set[EntityKey] = field(default_factory=set)  # the pages an account runs ads for
    # the pages an account owns (page_owners), or for a page the account that owns it; a page
    # nobody is recorded to own belongs to the one account that runs ads on it, if only one
    owned: set[EntityKey] = field(default_factory=set)
    verified_funders: set[int] = field(default_factory=set)  # "Paid for by" a verified funder
    flagged: str | None = None  # why it is flagged (disabled, removed ads, in a case), or None
    flagged_at: datetime | None = None
    ad_created: list[datetime] = field(default_factory=list)  # its ads' creation times


@dataclass(frozen=True, slots=True)
class Relationship:
    """A declared tie between two advertiser accounts (``domain.world.RELATIONS``)."""

    id: int
    advertiser: EntityKey  # the account that declared it
    related: EntityKey  # the agency that manages it, or the organisation it belongs to
    relation: str  # managed_by, member_of
    status: str  # declared, confirmed, verified, refused

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "advertiser": str(self.advertiser),
            "related": str(self.related),
            "relation": self.relation,
            "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    """One shared attribute behind a link, in words and in data."""

    kind: str  # an ATTRIBUTE_KINDS key
    value: str
    weight: float  # what it adds to the link (see integrity.graph)
    shared_by: int  # how many entities have it (the null model's input)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "weight": round(self.weight, 4),
            "shared_by": self.shared_by,
            "meaning": ATTRIBUTE_KINDS.get(self.kind, self.kind),
        }


@dataclass(frozen=True, slots=True)
class Link:
    a: EntityKey
    b: EntityKey
    weight: float
    evidence: tuple[Evidence, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "a": str(self.a),
            "b": str(self.b),
            "weight": round(self.weight, 4),
            "evidence": [e.as_json() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class SignalResult:
    """What one signal found about one entity: a score in [0, 1] and evidence in words."""

    signal: str
    score: float
    evidence: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "data": self.data,
        }


@dataclass(slots=True)
class Member:
    key: EntityKey
    name: str
    risk: float  # the entity's own risk score
    role: str = "member"  # "seed" for a seed of an expansion
    rank: float = 0.0  # for an expansion: how strongly it ties to the seeds
    findings: list[SignalResult] = field(default_factory=list)
    created_at: datetime | None = None
    first_political_at: datetime | None = None
    flagged: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": str(self.key),
            "name": self.name,
            "risk": round(self.risk, 4),
            "role": self.role,
            "rank": round(self.rank, 6),
            "findings": [f.as_json() for f in self.findings],
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "first_political_at": self.first_political_at.isoformat()
            if self.first_political_at
            else None,
            "flagged": self.flagged,
        }


@dataclass(slots=True)
class Network:
    """A cluster of entities tied by shared attributes beyond chance, with the evidence."""

    members: list[Member]
    links: list[Link]
    score: float  # how likely this is a foreign network (see integrity.networks)
    summary: str
    kind: str = "network"  # "network" (found) or "expansion" (grown from seeds)
    features: dict[str, float] = field(default_factory=dict)  # integrity.network_score
    # links between members that a declared relationship explains (not evidence), and the
    # relationships themselves
    explained: list[Link] = field(default_factory=list)
    declared: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "score": round(self.score, 4),
            "summary": self.summary,
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "members": [m.as_json() for m in self.members],
            "links": [link.as_json() for link in self.links],
            "explained_links": [link.as_json() for link in self.explained],
            "declared_relationships": self.declared,
        }


def _moment(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def network_from_json(d: dict[str, Any]) -> Network:
    """A network as ``Network.as_json`` wrote it (a stored detection run), to open a case."""

    def evidence(e: dict[str, Any]) -> Evidence:
        return Evidence(e["kind"], e["value"], float(e["weight"]), int(e["shared_by"]))

    def link(x: dict[str, Any]) -> Link:
        ev = tuple(evidence(e) for e in x["evidence"])
        return Link(EntityKey.parse(x["a"]), EntityKey.parse(x["b"]), float(x["weight"]), ev)

    members = [
        Member(
            EntityKey.parse(m["entity"]),
            m["name"],
            float(m["risk"]),
            m.get("role", "member"),
            float(m.get("rank", 0.0)),
            [
                SignalResult(f["signal"], float(f["score"]), f["evidence"], f.get("data") or {})
                for f in m.get("findings", [])
            ],
            _moment(m.get("created_at")),
            _moment(m.get("first_political_at")),
            m.get("flagged"),
        )
        for m in d["members"]
    ]
    return Network(
        members,
        [link(x) for x in d["links"]],
        float(d["score"]),
        d["summary"],
        d.get("kind", "network"),
        dict(d.get("features", {})),
        [link(x) for x in d.get("explained_links", [])],
        list(d.get("declared_relationships", [])),
    )
