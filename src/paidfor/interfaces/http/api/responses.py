"""What the OpenAPI schema says a route answers: ``ok(Model)`` for a route's ``responses=``, and
the models of the public library's JSON answers (the staff routes' are in
``responses_review`` and ``responses_cases``).

The models document; they do not filter. A route still builds its own body (``as_json``) and
returns it, and ``responses={status: {"model": M}}`` only puts ``M``'s JSON Schema (with its
example) in the OpenAPI document, so adding a model never changes an answer, and the
``ads_archive`` answers stay exactly Graph's. Whether the bodies keep to their models is
checked by schemathesis's response-schema conformance in ``tests/security/test_fuzz_api.py``
and by ``tests/api/test_openapi.py``, which also requires a model, an example and a security
requirement of every operation.

Every model allows keys it does not name (JSON Schema's default), so a new key in an answer
is not a break; the keys it names are required unless they are sometimes absent.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from paidfor.domain.models import AdType
from paidfor.library.views import PublicAd
from paidfor.review.notice import NOTICE_VERSION

Json = dict[str, Any]


def example(value: Json) -> ConfigDict:
    """A model's configuration with ``value`` as the example of its schema."""
    return ConfigDict(json_schema_extra={"examples": [value]})


def examples_of(*modules: ModuleType) -> dict[str, list[Json]]:
    """The examples of the models in ``modules``, by model name (the schema's component)."""
    out: dict[str, list[Json]] = dict(LIBRARY_EXAMPLES)
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                extra = value.model_config.get("json_schema_extra")
                found = extra.get("examples") if isinstance(extra, dict) else None
                if isinstance(found, list):
                    out[value.__name__] = [v for v in found if isinstance(v, dict)]
    return out


def keep_examples(schema: Json, found: dict[str, list[Json]]) -> None:
    """Put the models' examples back in ``schema``'s components whole: FastAPI writes the
    document without its ``None`` values (``exclude_none``), which would take the ``null``s
    out of the examples, and make them invalid against their own schemas."""
    components = schema.get("components", {}).get("schemas", {})
    for name, values in found.items():
        if name in components:
            components[name]["examples"] = values


def ok(model: type[Any], status: int = 200, description: str = "") -> dict[int | str, Any]:
    """A route's ``responses=`` documenting ``model`` (a pydantic model or a dataclass) and
    its example for ``status``."""
    return {status: {"model": model, "description": description or "Successful Response"}}


# -- the Graph-compatible ads_archive --------------------------------------------------------


class GraphRange(BaseModel):
    """A bucket, as Graph writes it: strings; no ``upper_bound`` for an open-ended top one."""

    lower_bound: str | None = None
    upper_bound: str | None = None


class ArchivedAd(BaseModel):
    """One ``ArchivedAd`` record: only the fields asked for (``fields=``) that have a value,
    each cut to the sub-fields asked for (``spend{lower_bound}``)."""

    id: str | None = Field(None, description="The Library ID (Meta's, for an imported ad)")
    ad_creation_time: str | None = None
    ad_creative_bodies: list[str] | None = None
    ad_creative_link_captions: list[str] | None = None
    ad_creative_link_descriptions: list[str] | None = None
    ad_creative_link_titles: list[str] | None = None
    ad_delivery_start_time: str | None = None
    ad_delivery_stop_time: str | None = None
    ad_snapshot_url: str | None = None
    bylines: str | None = None
    currency: str | None = None
    delivery_by_region: list[dict[str, str]] | None = None
    demographic_distribution: list[dict[str, str]] | None = None
    estimated_audience_size: GraphRange | None = None
    impressions: GraphRange | None = None
    languages: list[str] | None = None
    page_id: str | None = None
    page_name: str | None = None
    publisher_platforms: list[str] | None = None
    spend: GraphRange | None = None


class GraphCursors(BaseModel):
    before: str
    after: str


class GraphPaging(BaseModel):
    cursors: GraphCursors
    next: str
    previous: str | None = None


class ArchiveAnswer(BaseModel):
    """A page of ``ads_archive``: ``paging`` on every page with records; past the last one,
    ``{"data": []}`` alone."""

    model_config = example(
        {
            "data": [
                {
                    "id": "23842560286820614",
                    "page_id": "1618336845070409",
                    "page_name": "Black Matters",
                    "ad_creative_bodies": ["Join us because we care. Black matters!"],
                    "ad_delivery_start_time": "2016-06-14",
                    "spend": {"lower_bound": "0", "upper_bound": "99"},
                    "currency": "RUB",
                }
            ],
            "paging": {
                "cursors": {"before": "cGFpZGZvcjox", "after": "cGFpZGZvcjox"},
                "next": "http://127.0.0.1:8000/v19.0/ads_archive?fields=id&after=cGFpZGZvcjox",
            },
        }
    )
    data: list[ArchivedAd]
    paging: GraphPaging | None = None


# -- the library: search, ads, home, stats ---------------------------------------------------

AD_EXAMPLE: Json = {
    "id": 1,
    "page_name": "Black Matters",
    "page_id": 3,
    "page_url": "https://www.facebook.com/blackmattersus",
    "paid_for_by": None,
    "text": "Join us because we care. Black matters!",
    "landing_url": "https://blackmattersus.com/",
    "created": "2016-06-14",
    "stopped": "2016-06-15",
    "status": "removed",
    "removal_reason": "coordinated inauthentic behaviour",
    "currency": "RUB",
    "spend": "0–99 RUB",
    "impressions": "1K–5K",
    "platforms": ["facebook"],
    "source": "hpsci-ira",
    "source_ad_id": "P(1)0001234",
    "page_platform_id": "blackmattersus",
    "funder_id": None,
    "started": "2016-06-14",
    "ad_type": AdType.POLITICAL_AND_ISSUE_ADS.value,
    "political": True,
    "bodies": ["Join us because we care. Black matters!"],
    "images": [],
}


AD_DETAIL_EXAMPLE: Json = {
    **AD_EXAMPLE,
    "provenance": {
        "origin": "import",
        "source": "hpsci-ira",
        "source_id": "P(1)0001234",
        "file": "ira_ads_clean.csv",
        "file_sha256": "9f1c2b8e6d0a4f3e8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
        "imported_at": "2026-12-07T13:40:12Z",
        "import_finished": True,
    },
}


class AdvertiserFound(BaseModel):
    """A page or funder whose name holds a search's words, with its number of public ads."""

    kind: str
    id: int
    name: str
    ads: int
    url: str


class SearchLinks(BaseModel):
    next: str | None
    prev: str | None
    csv: str
    parquet: str


class SearchAnswer(BaseModel):
    model_config = example(
        {
            "query": {"q": "black matters"},
            "total": 1,
            "page": 1,
            "per_page": 20,
            "pages": 1,
            "sort": "newest",
            "ads": [AD_EXAMPLE],
            "advertisers": [
                {"kind": "page", "id": 3, "name": "Black Matters", "ads": 87, "url": "/pages/3"}
            ],
            "links": {
                "next": None,
                "prev": None,
                "csv": "/search.csv?q=black+matters",
                "parquet": "/search.parquet?q=black+matters",
            },
        }
    )
    query: Json = Field(description="The query's parameters as given (lists for repeatable ones)")
    total: int
    page: int
    per_page: int
    pages: int
    sort: str
    ads: list[PublicAd]
    advertisers: list[AdvertiserFound]
    links: SearchLinks


class HomeAnswer(BaseModel):
    model_config = example(
        {
            "total_ads": 3517,
            "newest_ad_day": "2017-08-30",
            "historical": True,
            "top_funders": [
                {
                    "days": 7,
                    "start": "2017-08-24",
                    "end": "2017-08-30",
                    "funders": [],
                    "without_disclaimer": {"ads": 12, "spend_usd": "204.51"},
                }
            ],
            "recent_political_ads": [AD_EXAMPLE],
        }
    )
    total_ads: int
    newest_ad_day: str | None
    historical: bool
    top_funders: list[Json]
    recent_political_ads: list[PublicAd]


class StatsAnswer(BaseModel):
    model_config = example(
        {
            "ads": 3517,
            "spend": {"RUB": 4563826.0, "USD": 2914.6},
            "spend_usd": 95324.17,
            "impressions": 39951224,
            "clicks": 3629838,
            "pages": 228,
            "funders": 0,
            "report_rows": 0,
        }
    )
    ads: int
    spend: dict[str, float] = Field(description="Exact spend summed in each currency")
    spend_usd: float
    impressions: int
    clicks: int
    pages: int
    funders: int
    report_rows: int


# -- the hub: pages and funders --------------------------------------------------------------


PAGE_INFO: Json = {
    "id": 3,
    "name": "Black Matters",
    "kind": "page",
    "url": "https://www.facebook.com/blackmattersus",
    "created": "2016-06-14",
    "country": None,
    "category": None,
    "disabled": True,
}
NO_FUNDER: Json = {
    "id": None,
    "name": "No “Paid for by” disclaimer",
    "verified": False,
    "ads": 1,
    "spend_usd": "1.52",
    "priced_ads": 1,
    "reported": {},
}


PAGE_VIEW_EXAMPLE: Json = {
    "page": PAGE_INFO,
    "admin_countries": [],
    "running": [],
    "running_total": 0,
    "running_page": 1,
    "running_pages": 1,
    "past": [AD_EXAMPLE],
    "past_total": 1,
    "past_page": 1,
    "past_pages": 1,
    "political_ads": 1,
    "political_spend_usd": "1.52",
    "political_priced_ads": 1,
    "political_spend_by_currency": {"RUB": "100.00"},
    "reported": {},
    "reports": [],
    "funders": [NO_FUNDER],
}


FUNDERS_HUB_EXAMPLE: Json = (
    {
        "filters": {"window": "all", "country": None, "election": None,
                    "reference": "2017-08-30", "start": None, "end": None},
        "ads": 1,
        "spend_usd": "1.52",
        "priced_ads": 1,
        "reported": {},
        "funders_count": 0,
        "funders": [],
        "no_disclaimer": NO_FUNDER,
        "weekly": [{"week": "2016-06-13", "label": "2016-W24", "ads": 1,
                    "spend_usd": "1.52", "reported_usd": "0.00"}],
        "undated_ads": 0,
        "undated_spend_usd": "0.00",
        "regions": [],
        "countries": [],
        "elections": [],
    }
)  # fmt: skip


FUNDER_VIEW_EXAMPLE: Json = (
    {
        "funder": {**NO_FUNDER, "id": 1, "name": "Citizens for Jane", "verified": True},
        "pages": [{"id": 5, "name": "Jane Smith", "kind": "page", "ads": 1,
                   "spend_usd": "1.52", "reported": {}}],
        "ads": [AD_EXAMPLE],
        "ads_page": 1,
        "ads_pages": 1,
        "weekly": [],
    }
)  # fmt: skip


class NoticeAnswer(BaseModel):
    """The transparency notice; its full JSON Schema is ``GET /api/ttpa/notice.schema.json``."""

    model_config = example(
        {
            "notice_version": NOTICE_VERSION,
            "regulation": "Regulation (EU) 2024/900",
            "template": "Implementing Regulation (EU) 2025/1410, Annex",
            "ad_id": 7,
            "url": "/api/ads/7/notice",
            "label": {
                "statement": "Political advertisement",
                "sponsor": "Citizens for Jane",
                "controller": None,
                "linked_to": None,
                "targeting_used": False,
                "notice_url": "/ads/7/notice",
            },
            "sections": [],
        }
    )
    notice_version: int
    regulation: str
    template: str
    ad_id: int
    url: str
    label: Json
    sections: list[Any]


#: The examples of the library's own result types, which the routes document as they are
#: (``ok(PublicAd)``: a dataclass's schema is its fields').
LIBRARY_EXAMPLES: dict[str, list[Json]] = {
    "PublicAd": [AD_EXAMPLE],
    "PublicAdDetail": [AD_DETAIL_EXAMPLE],
    "PageView": [PAGE_VIEW_EXAMPLE],
    "FundersHub": [FUNDERS_HUB_EXAMPLE],
    "FunderView": [FUNDER_VIEW_EXAMPLE],
}


__all__ = [
    "LIBRARY_EXAMPLES",
    "ArchiveAnswer",
    "HomeAnswer",
    "NoticeAnswer",
    "SearchAnswer",
    "StatsAnswer",
    "example",
    "examples_of",
    "keep_examples",
    "ok",
]
