"""The public view of an ad: what Meta's Ad Library shows, nothing private.

Targeting, exact payment data, admins and risk explanations never appear here; exact spend
and impressions are shown as ranges (``paidfor.library.ranges``, docs/ranges.md). The HTML
pages, the JSON API and the bulk exports all start from a ``PublicAd``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, NamedTuple

from paidfor.domain import Ad, Range
from paidfor.domain.models import content_withheld, creative_text, political, source_file_name
from paidfor.library.ranges import impressions_range, spend_range


def fmt_range(r: Range | None, prefix: str = "") -> str:
    if r is None:
        return "—"
    if r.upper is None:
        return f"> {prefix}{r.lower:,}"
    if r.lower == 0:
        return f"< {prefix}{r.upper + 1:,}"
    return f"{prefix}{r.lower:,} – {prefix}{r.upper:,}"


def share(value: Any) -> float | None:
    """A distribution's ``percentage`` (a fraction, 0..1, often a string) as a float."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # what Decimal(str(value)) gave, at a fraction of the cost
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and 0 <= number <= 1 else None


def distribution(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """``[{key: str, ..., "percentage": float}]``: items with an unreadable share are left out.

    ``share`` inlined, and the one- and two-key cases spelled out: a page of 25 ads reads
    hundreds of these, and the calls were most of building its public view."""
    out: list[dict[str, Any]] = []
    append = out.append
    isfinite = math.isfinite
    one = keys[0] if len(keys) == 1 else None
    first, second = (keys[0], keys[1]) if len(keys) == 2 else (None, None)
    for item in items:
        value: Any = item.get("percentage")
        if isinstance(value, bool):
            continue
        try:
            pct = float(value)
        except (TypeError, ValueError):
            continue
        if not (isfinite(pct) and 0 <= pct <= 1):
            continue
        if one is not None:
            append({one: str(item.get(one) or "unknown"), "percentage": pct})
        elif first is not None and second is not None:
            append({first: str(item.get(first) or "unknown"),
                    second: str(item.get(second) or "unknown"), "percentage": pct})  # fmt: skip
        else:
            row: dict[str, Any] = {k: str(item.get(k) or "unknown") for k in keys}
            row["percentage"] = pct
            append(row)
    return out


def _bounds(r: Range | None) -> tuple[int | None, int | None]:
    return (r.lower, r.upper) if r is not None else (None, None)


class AdFacts(NamedTuple):
    """What a public view is made of, as plain values: no targeting, payment or risk, spend
    and impressions already as their published ranges (``library.ranges``), days as
    ``YYYY-MM-DD``. ``facts_of`` gives them of an ``Ad``; the library's search reads them
    straight from its rows (``archive_store``), without building an ``Ad`` first."""

    id: int
    source: str
    external_id: str
    status: str
    removal_reason: str | None
    page_id: int | None  # the page's fields are None when the ad has no page
    page_name: str | None
    page_url: str | None
    page_external_id: str | None
    funder_id: int | None  # None with funder_name: no "Paid for by" funder
    funder_name: str | None
    bodies: Sequence[str]
    link_titles: Sequence[str]
    link_captions: Sequence[str]
    link_descriptions: Sequence[str]
    image_hashes: Sequence[str]
    landing_url: str | None
    created: str | None
    stopped: str | None
    started: str | None  # ``Ad.started_at``'s day
    is_political: bool | None
    ad_type: str
    currency: str | None
    spend: Range | None  # published: ``ranges.spend_range``
    impressions: Range | None  # published: ``ranges.impressions_range``
    audience: Range | None
    reached_countries: Sequence[str]
    platforms: Sequence[str]
    languages: Sequence[str]
    demographic_distribution: Sequence[Mapping[str, Any]]
    delivery_by_region: Sequence[Mapping[str, Any]]


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def facts_of(ad: Ad) -> AdFacts:
    """The public facts of an ``Ad``."""
    d, c, page, funder = ad.delivery, ad.creative, ad.page, ad.funder
    return AdFacts(
        id=ad.id or 0,
        source=ad.source,
        external_id=ad.external_id,
        status=str(ad.status),
        removal_reason=ad.removal_reason,
        page_id=page.id if page else None,
        page_name=page.name if page else None,
        page_url=page.url if page else None,
        page_external_id=page.external_id if page else None,
        funder_id=funder.id if funder else None,
        funder_name=funder.name if funder else None,
        bodies=c.bodies,
        link_titles=c.link_titles,
        link_captions=c.link_captions,
        link_descriptions=c.link_descriptions,
        image_hashes=c.image_hashes,
        landing_url=c.landing_url,
        created=_day(ad.created_at),
        stopped=_day(ad.stop_at),
        started=_day(ad.started_at),
        is_political=ad.is_political,
        ad_type=ad.ad_type,
        currency=d.currency,
        spend=spend_range(d),
        impressions=impressions_range(d),
        audience=d.estimated_audience_size,
        reached_countries=d.reached_countries,
        platforms=ad.platforms,
        languages=ad.languages,
        demographic_distribution=d.demographic_distribution,
        delivery_by_region=d.delivery_by_region,
    )


@dataclass(frozen=True)
class PublicAd:
    id: int
    page_name: str | None
    page_id: int | None
    page_url: str | None
    paid_for_by: str | None
    text: str
    landing_url: str | None
    created: str | None
    stopped: str | None
    status: str
    removal_reason: str | None
    currency: str | None
    spend: str
    impressions: str
    platforms: list[str]
    source: str = ""
    source_ad_id: str = ""
    page_platform_id: str | None = None
    funder_id: int | None = None
    started: str | None = None
    ad_type: str = ""
    political: bool = False
    bodies: list[str] = field(default_factory=list)
    link_titles: list[str] = field(default_factory=list)
    link_captions: list[str] = field(default_factory=list)
    link_descriptions: list[str] = field(default_factory=list)
    spend_lower: int | None = None
    spend_upper: int | None = None  # None with a lower bound: open-ended
    impressions_lower: int | None = None
    impressions_upper: int | None = None
    audience: str = "—"
    audience_lower: int | None = None
    audience_upper: int | None = None
    reached_countries: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    demographic_distribution: list[dict[str, Any]] = field(default_factory=list)
    delivery_by_region: list[dict[str, Any]] = field(default_factory=list)
    # the ad's images, as the paths the library serves them at (/ads/{id}/images/{hash})
    images: list[str] = field(default_factory=list)
    # removed for breaking the rules: its texts, links and images are withheld unless asked
    # for (``Ad.content_withheld``, the one rule)
    content_withheld: bool = False

    @classmethod
    def of(cls, ad: Ad, unmask: bool = False) -> PublicAd:
        """The ad as the library shows it; ``unmask``: the reader asked for a removed ad's
        content (``unmask_removed_content=true``)."""
        return cls.of_facts(facts_of(ad), unmask)

    @classmethod
    def of_facts(cls, ad: AdFacts, unmask: bool = False) -> PublicAd:
        """The view of an ad's public facts (``facts_of`` an ``Ad``, or the library's store
        straight from a row): the one place that decides what the library shows."""
        withheld = content_withheld(ad.status, ad.source, unmask)
        if withheld:
            bodies: list[str] = []
            titles: list[str] = []
            captions: list[str] = []
            descriptions: list[str] = []
            hashes: list[str] = []
            landing_url = None
        else:
            bodies, titles = list(ad.bodies), list(ad.link_titles)
            captions, descriptions = list(ad.link_captions), list(ad.link_descriptions)
            hashes, landing_url = list(ad.image_hashes), ad.landing_url
        # the images of a removed ad shown because the reader asked: their links ask too
        asked = (
            "?unmask_removed_content=true"
            if not withheld and content_withheld(ad.status, ad.source)
            else ""
        )
        spend, impressions, audience = ad.spend, ad.impressions, ad.audience
        cur = ad.currency or ""
        spend_lower, spend_upper = _bounds(spend)
        imp_lower, imp_upper = _bounds(impressions)
        aud_lower, aud_upper = _bounds(audience)
        return cls(
            id=ad.id,
            page_name=ad.page_name,
            page_id=ad.page_id,
            page_url=ad.page_url,
            paid_for_by=ad.funder_name,
            text=creative_text(bodies, titles, captions, descriptions),
            landing_url=landing_url,
            created=ad.created,
            stopped=ad.stopped,
            status=ad.status,
            removal_reason=ad.removal_reason,
            currency=ad.currency,
            spend=fmt_range(spend, "") + (f" {cur}" if spend else ""),
            impressions=fmt_range(impressions),
            platforms=list(ad.platforms),
            source=ad.source,
            source_ad_id=ad.external_id,
            page_platform_id=ad.page_external_id,
            funder_id=ad.funder_id,
            started=ad.started,
            ad_type=ad.ad_type,
            political=political(ad.is_political, ad.ad_type),
            bodies=bodies,
            link_titles=titles,
            link_captions=captions,
            link_descriptions=descriptions,
            spend_lower=spend_lower,
            spend_upper=spend_upper,
            impressions_lower=imp_lower,
            impressions_upper=imp_upper,
            audience=fmt_range(audience),
            audience_lower=aud_lower,
            audience_upper=aud_upper,
            reached_countries=list(ad.reached_countries),
            languages=list(ad.languages),
            demographic_distribution=distribution(ad.demographic_distribution, ["age", "gender"]),
            delivery_by_region=distribution(ad.delivery_by_region, ["region"]),
            images=[f"/ads/{ad.id}/images/{h}{asked}" for h in hashes],
            content_withheld=withheld,
        )

    @property
    def removed(self) -> bool:
        return self.status == "removed"

    def as_json(self) -> dict[str, Any]:
        """Every field by name (the lists are the view's own: ``of`` makes them anew)."""
        return {name: getattr(self, name) for name in _PUBLIC_FIELDS}


_PUBLIC_FIELDS = tuple(f.name for f in fields(PublicAd))


def _utc(moment: Any) -> str | None:
    """A time as ISO 8601 in UTC to the second, ``Z`` for its zone."""
    if moment is None:
        return None
    return str(moment.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat()) + "Z"


@dataclass(frozen=True)
class Provenance:
    """Where an ad's record came from (issue 20): imported (the source, the record's id in
    it, the file and when the import that last wrote it ran) or submitted by its advertiser
    through paidfor. Public facts about a public source file only: its name as given (never a
    path, cut and cleaned by ``domain.models.source_file_name`` when it was recorded, and
    again here) and SHA-256; not who imported it, nor where."""

    origin: str  # "import", or "submitted" (by the advertiser, through paidfor)
    source: str
    source_id: str
    file: str | None = None  # None: submitted, or imported before files were recorded (0018)
    file_sha256: str | None = None
    imported_at: str | None = None  # ISO 8601, UTC; None for a submitted ad
    import_finished: bool | None = None  # False: the import writing it died or failed

    @classmethod
    def of(cls, ad: Ad) -> Provenance:
        if ad.submitted and ad.source_file is None:  # an import run says it was imported
            return cls(origin="submitted", source=ad.source, source_id=ad.external_id)
        f = ad.source_file
        return cls(
            origin="import",
            source=ad.source,
            source_id=ad.external_id,
            file=source_file_name(f.name) if f else None,
            file_sha256=f.sha256 if f else None,
            imported_at=_utc(ad.imported_at),
            import_finished=f.finished if f else None,
        )

    @property
    def line(self) -> str:
        """The sentence the ad's page shows (plain text: the page escapes it)."""
        if self.origin == "submitted":
            return "Submitted by the advertiser through this library, not imported"
        parts = [f"Source: {self.source}", f"id {self.source_id}"]
        parts.append(f"file {self.file}" if self.file else "file not recorded")
        if self.imported_at:
            when = self.imported_at.replace("T", " ").removesuffix("Z")
            parts.append(f"imported {when} UTC")
        text = ", ".join(parts)
        if self.import_finished is False:
            text += " (that import did not finish)"
        return text


@dataclass(frozen=True)
class PublicAdDetail(PublicAd):
    """One ad on its own (its page, ``/api/ads/{id}``): the ``PublicAd`` and where its record
    came from. Lists of ads (searches, the hub, the exports) carry no provenance."""

    provenance: Provenance | None = None

    @classmethod
    def of_ad(cls, ad: Ad, unmask: bool = False) -> PublicAdDetail:
        view = PublicAd.of(ad, unmask)
        return cls(**{name: getattr(view, name) for name in _PUBLIC_FIELDS},
                   provenance=Provenance.of(ad))  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        out = super().as_json()
        out["provenance"] = None if self.provenance is None else asdict(self.provenance)
        return out
