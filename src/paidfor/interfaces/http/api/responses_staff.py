"""The models of the answers of the routes behind a token (advertisers, review, cases, the
exchange, images, disclosures), for the OpenAPI schema; see ``responses`` for how they are
used (they document, they never filter an answer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from paidfor.interfaces.http.api.responses import AD_EXAMPLE, Json, example
from paidfor.library.views import PublicAd

# -- advertisers -----------------------------------------------------------------------------

AUTHORIZATION: Json = {
    "id": 1,
    "advertiser_id": 1,
    "country": "US",
    "status": "approved",
    "legal_name": "Jane Smith",
    "residence_country": "US",
    "funder": "Citizens for Jane",
    "funder_verified": True,
    "decided_at": "2026-11-02T10:00:00+00:00",
}
REASON: Json = {
    "step": "political",
    "code": "not_authorized",
    "message": "the advertiser is not authorized to run political ads in US",
    "effect": "reject",
}


class AdvertiserCreated(BaseModel):
    model_config = example(
        {
            "advertiser": {"id": 1, "name": "Citizens for Jane", "country": "US"},
            "token": "pf_3yZ…",
            "note": "keep the token: it is not shown again",
        }
    )
    advertiser: Json
    token: str
    note: str


class PaymentInstrument(BaseModel):
    model_config = example({"id": 1, "currency": "USD", "billing_country": "US"})
    id: int
    currency: str
    billing_country: str


class Authorization(BaseModel):
    model_config = example(AUTHORIZATION)
    id: int
    advertiser_id: int
    country: str
    status: str
    legal_name: str
    residence_country: str
    funder: str | None
    funder_verified: bool
    decided_at: str | None


class Account(BaseModel):
    model_config = example(
        {
            "id": 1,
            "name": "Citizens for Jane",
            "country": "US",
            "disabled": False,
            "payment_instruments": [{"id": 1, "currency": "USD", "billing_country": "US"}],
            "authorizations": [AUTHORIZATION],
        }
    )
    id: int
    name: str
    country: str
    disabled: bool
    payment_instruments: list[PaymentInstrument]
    authorizations: list[Authorization]


class PageCreated(BaseModel):
    model_config = example(
        {"id": 5, "page_id": "283812536035866", "name": "Jane Smith", "country": "US", "admins": 1}
    )
    id: int
    page_id: str
    name: str
    country: str | None
    admins: int


class Submitted(BaseModel):
    model_config = example(
        {
            "ad_id": 7,
            "decision": "rejected",
            "political": True,
            "political_score": 0.9947,
            "reasons": [REASON],
        }
    )
    ad_id: int
    decision: str
    political: bool
    political_score: float
    reasons: list[Json]


DECISION: Json = {
    "id": 1,
    "ad_id": 7,
    "decision": "rejected",
    "political": True,
    "political_score": 0.9947,
    "reasons": [REASON],
    "by_person": False,
    "answers": None,
    "at": "2026-12-07T10:33:55+00:00",
}


class Decision(BaseModel):
    model_config = example(DECISION)
    id: int
    ad_id: int
    decision: str
    political: bool
    political_score: float
    reasons: list[Json]
    by_person: bool
    answers: int | None
    at: str


class MyAd(BaseModel):
    model_config = example({"ad": AD_EXAMPLE, "decisions": [DECISION]})
    ad: PublicAd
    decisions: list[Decision]


class DeliveryRecorded(BaseModel):
    model_config = example(
        {"impressions": 1200, "spend": "25.00", "currency": "USD", "status": "running"}
    )
    impressions: int
    spend: str
    currency: str
    status: str


# -- review ----------------------------------------------------------------------------------


class Queue(BaseModel):
    model_config = example(
        {
            "held": [
                {
                    "ad_id": 7,
                    "decision_id": 1,
                    "text": "Vote for Jane Smith for Senate on November 6.",
                    "page": "Jane Smith",
                    "paid_for_by": "Citizens for Jane",
                    "political_score": 0.61,
                    "reasons": [{**REASON, "code": "classifier_unsure", "effect": "hold"}],
                    "integrity": [],
                    "held_since": "2026-12-07T10:33:55+00:00",
                }
            ]
        }
    )
    held: list[Json]


STAFF_AUTHORIZATION: Json = {
    **AUTHORIZATION,
    "advertiser": "Citizens for Jane",
    "id_document_ref": "passport-123",
}


class StaffAuthorization(Authorization):
    model_config = example(STAFF_AUTHORIZATION)
    advertiser: str
    id_document_ref: str


class Authorizations(BaseModel):
    model_config = example({"authorizations": [STAFF_AUTHORIZATION]})
    authorizations: list[StaffAuthorization]


ACTION: Json = {
    "action": "remove_ad",
    "target_type": "ad",
    "target_id": 1,
    "before": {"status": "stopped", "removal_reason": None},
    "after": {"status": "removed", "removal_reason": "a policy"},
}


class Enforced(BaseModel):
    model_config = example({"done": [ACTION]})
    done: list[Json]


RELATIONSHIP: Json = {
    "id": 1,
    "advertiser": {"id": 1, "name": "Citizens for Jane"},
    "relation": "managed_by",
    "related": {"id": 2, "name": "Smith Consulting"},
    "status": "declared",
    "declared_at": "2026-12-07T10:33:55+00:00",
    "decided_at": None,
    "note": None,
}


class Relationship(BaseModel):
    model_config = example(RELATIONSHIP)
    id: int
    advertiser: Json
    relation: str
    related: Json
    status: str
    declared_at: str | None
    decided_at: str | None
    note: str | None


class Relationships(BaseModel):
    model_config = example({"relationships": [RELATIONSHIP]})
    relationships: list[Relationship]


# -- cases -----------------------------------------------------------------------------------

CASE: Json = {
    "id": 1,
    "title": "Network of 2 advertisers and 3 pages tied by a shared payment card",
    "status": "open",
    "kind": "network",
    "score": 0.87,
    "summary": "five entities tied by one card and one device",
    "members": 5,
    "created_by": "investigator:ana#3",
    "created_at": "2026-12-07T10:33:55+00:00",
    "updated_at": "2026-12-07T10:33:55+00:00",
}


class CaseSummary(BaseModel):
    model_config = example(CASE)
    id: int
    title: str
    status: str
    kind: str
    score: float
    summary: str
    members: int
    created_by: str
    created_at: str
    updated_at: str


class Cases(BaseModel):
    model_config = example({"cases": [CASE], "total": 1, "limit": 50, "offset": 0})
    cases: list[CaseSummary]
    total: int
    limit: int
    offset: int


class CaseDetail(BaseModel):
    model_config = example(
        {**CASE, "members": [], "evidence": [], "links": [], "actions": [], "timeline": [],
         "marks": []}
    )  # fmt: skip
    id: int
    title: str
    status: str
    kind: str
    score: float
    summary: str
    members: list[Json]
    evidence: list[Json]
    links: list[Json]
    actions: list[Json]
    timeline: list[Json]
    marks: list[Json]


class Mark(BaseModel):
    model_config = example(
        {
            "id": 1,
            "case_id": 1,
            "entity": "page:1",
            "verdict": "legitimate",
            "reason": "checked by hand",
            "relationship_id": None,
            "evidence": ["admin_country"],
            "actor": "investigator:ana#3",
            "marked_at": "2026-12-07T10:34:00+00:00",
        }
    )
    id: int
    case_id: int
    entity: str
    verdict: str
    reason: str
    relationship_id: int | None
    evidence: list[str]
    actor: str
    marked_at: str


class Precision(BaseModel):
    model_config = example(
        {"weeks": [{"week": "2026-W49", "confirmed": 3, "legitimate": 1, "precision": 0.75}]}
    )
    weeks: list[Json]


class CaseChanged(BaseModel):
    model_config = example({"case": {**CASE, "status": "closed"}})
    case: CaseSummary


class TakenDown(BaseModel):
    model_config = example(
        {
            "case": {**CASE, "status": "taken_down"},
            "advertisers_disabled": 2,
            "pages_disabled": 3,
            "already_disabled": 0,
            "missing": 0,
            "ads_stopped": 4,
            "advertiser_ids": [1, 2],
            "page_ids": [1, 2, 3],
            "stopped_ad_ids": [1, 2, 3, 5],
            "actions": [],
        }
    )
    case: CaseSummary
    advertisers_disabled: int
    pages_disabled: int
    already_disabled: int
    missing: int
    ads_stopped: int
    advertiser_ids: list[int]
    page_ids: list[int]
    stopped_ad_ids: list[int]
    actions: list[Json]


COUNTS: Json = {"domain": 0, "url": 0, "raw_text": 5, "pdq": 0}


class CaseIndicators(BaseModel):
    model_config = example(
        {
            "case_id": 1,
            "taken_down": False,
            "counts": COUNTS,
            "indicators": [
                {"type": "raw_text", "value": "Stand up for your community", "ads": 1,
                 "status": "MALICIOUS", "tags": ["case-1"], "confidence": 87,
                 "description": "paidfor case #1"}
            ],
        }
    )  # fmt: skip
    case_id: int
    taken_down: bool
    counts: dict[str, int]
    indicators: list[Json]


class Published(BaseModel):
    model_config = example(
        {
            "case_id": 1,
            "types": ["domain", "url", "raw_text", "pdq"],
            "groups": {"shared": {"shared": COUNTS, "already_shared": {**COUNTS, "raw_text": 0}}},
            "shared": 5,
            "already_shared": 0,
            "dry_run": False,
        }
    )
    case_id: int
    types: list[str]
    groups: dict[str, Any]
    shared: int
    already_shared: int
    dry_run: bool


# -- the exchange ----------------------------------------------------------------------------

INDICATOR: Json = {
    "id": 1,
    "type": "url",
    "value": "https://bad.example/x",
    "status": "MALICIOUS",
    "tags": ["ira"],
    "confidence": 80,
    "description": None,
    "owner": "partner:acme",
    "group": "shared",
    "seq": 1,
    "created_at": "2026-12-07T10:33:55+00:00",
    "updated_at": "2026-12-07T10:33:55+00:00",
    "expires_at": None,
    "reactions": {"HELPFUL": 1},
    "should_delete": False,
}


class Indicator(BaseModel):
    model_config = example(INDICATOR)
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
    created_at: str | None
    updated_at: str | None
    expires_at: str | None
    reactions: dict[str, int]
    should_delete: bool


class Indicators(BaseModel):
    model_config = example({"data": [INDICATOR]})
    data: list[Indicator]


class Updates(BaseModel):
    model_config = example({"data": [INDICATOR], "cursor": "1", "has_more": False})
    data: list[Indicator]
    cursor: str | None
    has_more: bool


class Group(BaseModel):
    id: int
    name: str
    description: str | None
    created_by: str
    created_at: str


class Groups(BaseModel):
    model_config = example(
        {"data": [{"id": 1, "name": "shared", "description": "the shared group",
                   "created_by": "admin", "created_at": "2026-12-07T10:33:55+00:00"}]}
    )  # fmt: skip
    data: list[Group]


# -- images ----------------------------------------------------------------------------------

IMAGE: Json = {
    "hash": "0fc0f6808425e0685980d2196be02834",
    "pdq": None,
    "pdq_quality": 0,
    "width": 64,
    "height": 64,
    "size": 155,
    "content_type": "image/png",
    "created_at": "2026-12-07T10:33:55+00:00",
    "url": "/api/me/images/0fc0f6808425e0685980d2196be02834",
}


class Image(BaseModel):
    model_config = example(IMAGE)
    hash: str
    pdq: str | None
    pdq_quality: int
    width: int
    height: int
    size: int
    content_type: str
    created_at: str
    url: str


class Images(BaseModel):
    model_config = example({"data": [IMAGE], "total": 1, "limit": 100, "offset": 0})
    data: list[Image]
    total: int
    limit: int
    offset: int


# -- disclosures -----------------------------------------------------------------------------

DISCLOSURE: Json = {
    "id": 1,
    "case_id": 1,
    "filters": {},
    "scope": "case 1",
    "recipient": "House Intelligence Committee",
    "legal_basis": "subpoena",
    "purpose": "the committee's inquiry",
    "status": "requested",
    "requested_by": "investigator:ana#3",
    "requested_at": "2026-12-07T10:33:59+00:00",
    "decided_by": None,
    "decided_at": None,
    "decision_reason": None,
    "built_by": None,
    "built_at": None,
    "manifest_sha256": None,
    "ads": None,
}


class Disclosure(BaseModel):
    model_config = example(DISCLOSURE)
    id: int
    case_id: int | None
    filters: Json
    scope: str
    recipient: str
    legal_basis: str
    purpose: str
    status: str
    requested_by: str
    requested_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    built_by: str | None
    built_at: str | None
    manifest_sha256: str | None
    ads: int | None


class Disclosures(BaseModel):
    model_config = example({"data": [DISCLOSURE]})
    data: list[Disclosure]


class Built(BaseModel):
    model_config = example(
        {
            "manifest_sha256": "9f2c…",
            "ads": 12,
            "pdf_pages": 14,
            "files": 31,
            "left_out": [],
            "download": "/api/disclosures/1/package.zip",
            "request": {**DISCLOSURE, "status": "built"},
        }
    )
    manifest_sha256: str
    ads: int
    pdf_pages: int
    files: int
    left_out: list[Json]
    download: str
    request: Disclosure
