"""The models of the answers of the advertisers' and the reviewers' routes (accounts, pages,
authorizations, ads and their review, relationships, images), for the OpenAPI schema; see
``responses`` for how they are used (they document, they never filter an answer)."""

from __future__ import annotations

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
