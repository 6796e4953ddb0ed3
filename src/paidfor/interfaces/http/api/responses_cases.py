"""The models of the answers of the investigators' and the partners' routes (cases, the
threat exchange, disclosures), for the OpenAPI schema; see ``responses`` for how they are
used (they document, they never filter an answer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from paidfor.interfaces.http.api.responses import Json, example

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
