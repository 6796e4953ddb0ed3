"""The ``ads_archive`` service: an ``ArchiveQuery`` in, a page of Graph-shaped ``ArchivedAd``
records out (docs/ads_archive.md).

Field names and shapes are the Graph API's: lists of creative strings, dates as
``YYYY-MM-DD``, ranges as ``{"lower_bound": "1000", "upper_bound": "4999"}`` (strings; an
open-ended range has no ``upper_bound``), distributions as lists of objects with a string
``percentage``. A field with no value is left out of the record, as Graph leaves it out.
Only the requested ``fields`` come back (``id`` alone when none are asked for).

Targeting is private here (DESIGN.md): the EU-only transparency fields (``target_ages``,
``target_gender``, ``target_locations`` and the EU/Brazil reach breakdowns) are accepted, so
clients that ask for every field keep working, but never returned, just as Graph leaves them
out of ads that did not run in the EU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paidfor.domain import Ad, Range
from paidfor.domain.models import AdType
from paidfor.library.archive_params import ArchiveQuery, encode_cursor, parse_query
from paidfor.library.archive_store import ArchiveFilter, ArchiveRepository
from paidfor.library.ranges import impressions_range, spend_range
from paidfor.storage.repo import Stats, search_words


def graph_range(r: Range | None) -> dict[str, str] | None:
    if r is None:
        return None
    out = {"lower_bound": str(r.lower)}
    if r.upper is not None:
        out["upper_bound"] = str(r.upper)
    return out


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment is not None else None


def _distribution(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, str]]:
    out = []
    for item in items:
        row = {"percentage": str(item.get("percentage", "0"))}
        row.update({k: str(item[k]) for k in keys if item.get(k) is not None})
        out.append(row)
    return out


@dataclass(frozen=True)
class RenderContext:
    base_url: str  # this server, for ad_snapshot_url
    unmask: bool


Getter = Callable[[Ad, RenderContext], Any]

FIELDS: dict[str, Getter] = {
    "id": lambda ad, _: ad.library_id,
    "ad_creation_time": lambda ad, _: _day(ad.created_at),
    "ad_creative_bodies": lambda ad, _: ad.creative.bodies,
    "ad_creative_link_captions": lambda ad, _: ad.creative.link_captions,
    "ad_creative_link_descriptions": lambda ad, _: ad.creative.link_descriptions,
    "ad_creative_link_titles": lambda ad, _: ad.creative.link_titles,
    "ad_delivery_start_time": lambda ad, _: _day(ad.started_at),
    "ad_delivery_stop_time": lambda ad, _: _day(ad.stop_at),
    "ad_snapshot_url": lambda ad, ctx: ad.snapshot_url or f"{ctx.base_url}/ads/{ad.id}",
    "bylines": lambda ad, _: ad.funder.name if ad.funder else None,
    "currency": lambda ad, _: ad.delivery.currency,
    "delivery_by_region": lambda ad, _: _distribution(ad.delivery.delivery_by_region, ["region"]),
    "demographic_distribution": lambda ad, _: _distribution(
        ad.delivery.demographic_distribution, ["age", "gender"]
    ),
    "estimated_audience_size": lambda ad, _: graph_range(ad.delivery.estimated_audience_size),
    "impressions": lambda ad, _: graph_range(impressions_range(ad.delivery)),
    "languages": lambda ad, _: ad.languages,
    "page_id": lambda ad, _: ad.page.external_id if ad.page else None,
    "page_name": lambda ad, _: ad.page.name if ad.page else None,
    "publisher_platforms": lambda ad, _: [p.lower() for p in ad.platforms],
    "spend": lambda ad, _: graph_range(spend_range(ad.delivery)),
}
# Accepted, never returned (targeting and reach breakdowns are private; see module doc).
WITHHELD_FIELDS = frozenset(
    {
        "target_ages",
        "target_gender",
        "target_locations",
        "age_country_gender_reach_breakdown",
        "eu_total_reach",
        "br_total_reach",
        "beneficiary_payers",
        "total_reach_by_location",
    }
)
KNOWN_FIELDS = tuple(sorted({*FIELDS, *WITHHELD_FIELDS}))
# Withheld where ``Ad.content_withheld`` says (an ad removed for breaking the rules, unless
# ``unmask_removed_content=true``; never from a released public record such as the IRA's).
REMOVED_CONTENT = frozenset(
    {
        "ad_creative_bodies",
        "ad_creative_link_captions",
        "ad_creative_link_descriptions",
        "ad_creative_link_titles",
    }
)


def _only(value: Any, subs: Sequence[str]) -> Any:
    """``value`` with only the sub-fields ``subs`` (Graph's ``field{a,b}``): of an object, or
    of each object in a list; a value without sub-fields is returned whole."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in subs}
    if isinstance(value, list):
        return [_only(v, subs) for v in value]
    return value


def render(
    ad: Ad,
    fields: Sequence[str],
    ctx: RenderContext,
    subfields: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One ``ArchivedAd`` record with ``fields`` (those with a value), each cut to the
    sub-fields asked for in ``subfields``."""
    masked = ad.content_withheld(ctx.unmask)
    out: dict[str, Any] = {}
    for name in fields:
        getter = FIELDS.get(name)
        if getter is None or (masked and name in REMOVED_CONTENT):
            continue
        value = getter(ad, ctx)
        if value is None or value == []:
            continue
        if subfields and name in subfields:
            value = _only(value, subfields[name])
        out[name] = value
    return out


@dataclass(frozen=True)
class ArchivePage:
    """One page of an ``ads_archive`` answer. Every page with records names the cursors of
    its first and last record; ``has_previous`` when records come before it."""

    data: list[dict[str, Any]]
    after: str | None  # cursor of the last record (None when the page is empty)
    has_next: bool
    before: str | None = None  # cursor of the first record
    has_previous: bool = False


def to_filter(query: ArchiveQuery, now: datetime) -> ArchiveFilter:
    words: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    if query.search_terms:
        if query.search_type == "KEYWORD_EXACT_PHRASE":
            # Several phrases separated by commas: every one must match exactly.
            found = (tuple(search_words(p)) for p in query.search_terms.split(","))
            phrases = tuple(p for p in found if p)
        else:
            words = tuple(search_words(query.search_terms))
    active = {"ACTIVE": True, "INACTIVE": False}.get(query.active_status)
    return ArchiveFilter(
        now=now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now,
        reached_countries=query.reached_countries,
        ad_type=None if query.ad_type == AdType.ALL.value else query.ad_type,
        active=active,
        delivered_min=query.delivery_date_min,
        delivered_max=query.delivery_date_max,
        search_words=words,
        search_phrases=phrases,
        page_ids=query.page_ids,
        bylines=query.bylines,
        languages=query.languages,
        platforms=query.platforms,
        regions=query.regions,
        media_type=None if query.media_type == "ALL" else query.media_type,
        audience_min=query.audience_min,
        audience_max=query.audience_max,
    )


class ArchiveService:
    def __init__(self, repo: ArchiveRepository) -> None:
        self.repo = repo

    @staticmethod
    def parse(params: Mapping[str, Sequence[str]]) -> ArchiveQuery:
        return parse_query(params, KNOWN_FIELDS)

    def stats(self) -> Stats:
        """Totals for the whole library (``/api/stats``, ``paidfor stats``)."""
        return self.repo.stats()

    def search(
        self, query: ArchiveQuery, *, base_url: str, now: datetime | None = None
    ) -> ArchivePage:
        flt = to_filter(query, now or datetime.now(UTC))
        if query.before_id is not None:  # backwards: the page that ends before the cursor
            ads = self.repo.archive(
                flt, before_id=None, after_id=query.before_id, limit=query.limit + 1
            )
            has_previous = len(ads) > query.limit
            ads = list(reversed(ads[: query.limit]))
            has_next = True  # the page the cursor came from
        else:
            ads = self.repo.archive(flt, before_id=query.after_id, limit=query.limit + 1)
            has_next = len(ads) > query.limit
            ads = ads[: query.limit]
            has_previous = query.after_id is not None
        ctx = RenderContext(base_url=base_url.rstrip("/"), unmask=query.unmask_removed_content)
        subs = dict(query.subfields)
        return ArchivePage(
            data=[render(ad, query.fields, ctx, subs) for ad in ads],
            after=encode_cursor(ads[-1].id or 0) if ads else None,
            has_next=has_next,
            before=encode_cursor(ads[0].id or 0) if ads else None,
            has_previous=has_previous,
        )
