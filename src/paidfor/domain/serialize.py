"""Domain objects as JSON-ready dicts and back: the native JSON-lines format
(docs/formats.md) and anything else that needs a plain shape."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from paidfor.domain.models import (
    Ad,
    AdStatus,
    AdType,
    Advertiser,
    Creative,
    Delivery,
    Funder,
    Page,
    PaymentInstrument,
    Range,
    Risk,
)
from paidfor.domain.targeting import Targeting
from paidfor.domain.world import (
    RELATIONS,
    RELATIONSHIP_STATUSES,
    AccountRecord,
    AdminRecord,
    PageRecord,
    PopulationRecord,
    RelationshipRecord,
    TruthRecord,
)

#: What a spreadsheet reads as the start of a formula (OWASP's list): a CSV cell of text that
#: begins with one of these is written with a ``'`` before it (docs/exports.md).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell for a CSV file the project writes, with a formula neutralised: ``'`` put
    before text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, so
    Excel, LibreOffice and Google Sheets show ``=HYPERLINK(...)`` as text instead of running
    it. Numbers are written as numbers and never pass through here."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _range_out(r: Range | None) -> dict[str, int | None] | None:
    return None if r is None else {"lower": r.lower, "upper": r.upper}


def _range_in(d: Any) -> Range | None:
    if d is None:
        return None
    if not isinstance(d, dict) or "lower" not in d:
        raise ValueError(f"a range is {{'lower': N, 'upper': N|null}}, got {d!r}")
    upper = d.get("upper")
    return Range(int(d["lower"]), None if upper is None else int(upper))


def _time_in(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    moment = datetime.fromisoformat(v if isinstance(v, str) else str(v))
    if moment.tzinfo is None:
        raise ValueError(f"a time needs a UTC offset: {v!r}")
    return moment


def _dec_in(v: Any) -> Decimal | None:
    if v is None:
        return None
    try:
        value = Decimal(str(v))
    except InvalidOperation:  # an ArithmeticError: a bad row, not a failed import
        raise ValueError(f"not an amount: {v!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {v!r}")
    return value


def ad_to_json(ad: Ad) -> dict[str, Any]:
    d = ad.delivery
    out: dict[str, Any] = {
        "kind": "ad",
        "source": ad.source,
        "external_id": ad.external_id,
        "creative": {
            "bodies": ad.creative.bodies,
            "link_titles": ad.creative.link_titles,
            "link_captions": ad.creative.link_captions,
            "link_descriptions": ad.creative.link_descriptions,
            "landing_url": ad.creative.landing_url,
            "image_hashes": ad.creative.image_hashes,
        },
        "page": None
        if ad.page is None
        else {
            "name": ad.page.name,
            "kind": ad.page.kind,
            "external_id": ad.page.external_id,
            "url": ad.page.url,
            "country": ad.page.country,
            "created_at": ad.page.created_at.isoformat() if ad.page.created_at else None,
        },
        "funder": None if ad.funder is None else {"name": ad.funder.name},
        "advertiser": None
        if ad.advertiser is None
        else {
            "name": ad.advertiser.name,
            "source": ad.advertiser.source,
            "external_id": ad.advertiser.external_id,
            "country": ad.advertiser.country,
            "payment_instruments": [
                {"currency": p.currency, "billing_country": p.billing_country}
                for p in ad.advertiser.payment_instruments
            ],
        },
        "targeting": ad.targeting.to_dict(),
        "delivery": {
            "currency": d.currency,
            "spend": None if d.spend is None else str(d.spend),
            "spend_usd": None if d.spend_usd is None else str(d.spend_usd),
            "spend_range": _range_out(d.spend_range),
            "impressions": d.impressions,
            "impressions_range": _range_out(d.impressions_range),
            "clicks": d.clicks,
            "demographic_distribution": d.demographic_distribution,
            "delivery_by_region": d.delivery_by_region,
            "reached_countries": d.reached_countries,
        },
        "created_at": ad.created_at.isoformat() if ad.created_at else None,
        "start_at": ad.start_at.isoformat() if ad.start_at else None,
        "stop_at": ad.stop_at.isoformat() if ad.stop_at else None,
        "status": str(ad.status),
        "removal_reason": ad.removal_reason,
        "is_political": ad.is_political,
        "political_score": ad.political_score,
        "platforms": ad.platforms,
        "languages": ad.languages,
        "ad_type": ad.ad_type,
    }
    return out


def ad_from_json(obj: dict[str, Any]) -> Ad:
    """The inverse of ``ad_to_json``; raises ValueError/KeyError/TypeError on a bad record."""
    if not str(obj.get("source") or "").strip() or not str(obj.get("external_id") or "").strip():
        raise ValueError("an ad needs a source and an external_id")
    c = obj.get("creative") or {}
    p = obj.get("page")
    f = obj.get("funder")
    a = obj.get("advertiser")
    d = obj.get("delivery") or {}
    spend = _dec_in(d.get("spend"))
    if spend is not None and spend < 0:
        raise ValueError(f"negative spend {spend}")
    for key in ("impressions", "clicks"):
        if d.get(key) is not None and (not isinstance(d[key], int) or d[key] < 0):
            raise ValueError(f"{key} must be a whole number >= 0, got {d[key]!r}")
    return Ad(
        source=str(obj["source"]),
        external_id=str(obj["external_id"]),
        creative=Creative(
            bodies=_strings(c, "bodies"),
            link_titles=_strings(c, "link_titles"),
            link_captions=_strings(c, "link_captions"),
            link_descriptions=_strings(c, "link_descriptions"),
            landing_url=_optional_str(c, "landing_url"),
            image_hashes=_strings(c, "image_hashes"),
        ),
        page=None if not p else page_from_json(p),
        funder=None if not f else Funder(name=str(f["name"])),
        advertiser=None if not a else advertiser_from_json(a, obj),
        targeting=Targeting.from_dict(obj.get("targeting")),
        delivery=Delivery(
            currency=d.get("currency"),
            spend=spend,
            spend_usd=_dec_in(d.get("spend_usd")),
            spend_range=_range_in(d.get("spend_range")),
            impressions=d.get("impressions"),
            impressions_range=_range_in(d.get("impressions_range")),
            clicks=d.get("clicks"),
            demographic_distribution=list(d.get("demographic_distribution") or []),
            delivery_by_region=list(d.get("delivery_by_region") or []),
            reached_countries=list(d.get("reached_countries") or []),
        ),
        created_at=_time_in(obj.get("created_at")),
        start_at=_time_in(obj.get("start_at")),
        stop_at=_time_in(obj.get("stop_at")),
        status=AdStatus(obj.get("status") or "pending"),
        removal_reason=obj.get("removal_reason"),
        is_political=obj.get("is_political"),
        political_score=obj.get("political_score"),
        platforms=list(obj.get("platforms") or []),
        languages=list(obj.get("languages") or []),
        ad_type=str(obj.get("ad_type") or AdType.POLITICAL_AND_ISSUE_ADS.value),
        risk=Risk(),
    )


def page_from_json(p: Any) -> Page:
    """An ad's ``page`` object (not empty)."""
    return Page(
        name=str(p["name"]),
        kind=str(p.get("kind") or "page"),
        external_id=str(p.get("external_id") or p["name"]),
        url=p.get("url"),
        country=p.get("country"),
        created_at=_time_in(p.get("created_at")),
    )


def advertiser_from_json(a: Any, ad: dict[str, Any]) -> Advertiser:
    """An ad's ``advertiser`` object (not empty); ``ad`` is the ad's record."""
    return Advertiser(
        name=str(a.get("name") or a["external_id"]),
        # An account named by id belongs to the ad's source unless it says otherwise.
        source=a.get("source") or (str(ad["source"]) if a.get("external_id") else None),
        external_id=None if a.get("external_id") is None else str(a["external_id"]),
        country=a.get("country"),
        payment_instruments=[
            PaymentInstrument(
                currency=str(pi["currency"]), billing_country=pi.get("billing_country")
            )
            for pi in a.get("payment_instruments") or []
        ],
    )


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    source = str(obj.get("source") or "").strip()
    ident = str(obj.get("external_id") or "").strip()
    if not source or not ident:
        raise ValueError(f"a {obj.get('kind')} record needs a source and an external_id")
    return source, ident


def _strings(obj: dict[str, Any], key: str) -> list[str]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ValueError(f"{key} must be a list of strings")
    return [str(v) for v in value]


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def _countries(obj: dict[str, Any], key: str) -> list[str]:
    out = [c.upper() for c in _strings(obj, key)]
    for c in out:
        if len(c) != 2 or not c.isalpha():
            raise ValueError(f"{key}: {c!r} is not a two-letter country code")
    return out


def _country(v: Any) -> str | None:
    if v in (None, ""):
        return None
    c = str(v).strip().upper()
    if len(c) != 2 or not c.isalpha():
        raise ValueError(f"{v!r} is not a two-letter country code")
    return c


WorldRecord = (
    AdminRecord | AccountRecord | PageRecord | RelationshipRecord | TruthRecord | PopulationRecord
)


def world_record_from_json(obj: dict[str, Any]) -> WorldRecord:
    """An ``admin``, ``advertiser``, ``page``, ``relationship``, ``truth`` or ``population``
    record (docs/formats.md, "Worlds")."""
    kind = obj.get("kind")
    source, ident = _key(obj)
    if kind == "admin":
        return AdminRecord(
            source,
            ident,
            name=str(obj.get("name") or ident),
            language=obj.get("language"),
            login_countries=_countries(obj, "login_countries"),
            devices=_strings(obj, "devices"),
            ips=_strings(obj, "ips"),
        )
    if kind == "advertiser":
        payments = []
        for pi in obj.get("payment_instruments") or []:
            if not isinstance(pi, dict) or not str(pi.get("currency") or "").strip():
                raise ValueError("a payment instrument needs a currency")
            payments.append(
                PaymentInstrument(
                    currency=str(pi["currency"]).upper(),
                    billing_country=_country(pi.get("billing_country")),
                    card_fingerprint=pi.get("card_fingerprint"),
                )
            )
        return AccountRecord(
            source,
            ident,
            name=str(obj.get("name") or ident),
            country=_country(obj.get("country")),
            created_at=_time_in(obj.get("created_at")),
            language=obj.get("language"),
            payment_instruments=payments,
            admins=_strings(obj, "admins"),
        )
    if kind == "page":
        return PageRecord(
            source,
            ident,
            name=str(obj.get("name") or ident),
            country=_country(obj.get("country")),
            created_at=_time_in(obj.get("created_at")),
            category=obj.get("category"),
            language=obj.get("language"),
            url=obj.get("url"),
            admins=_strings(obj, "admins"),
            owner=None if obj.get("owner") in (None, "") else str(obj["owner"]),
        )
    if kind == "truth":
        entity = obj.get("entity")
        if entity not in ("advertiser", "page", "ad"):
            raise ValueError(f"a truth record's entity is advertiser, page or ad, got {entity!r}")
        network = str(obj.get("network") or "").strip()
        if not network:
            raise ValueError("a truth record names its network")
        return TruthRecord(source, str(entity), ident, network, obj.get("style"))
    if kind == "relationship":
        return _relationship(obj, source, ident)
    if kind == "population":
        entity = obj.get("entity")
        if entity not in ("advertiser", "page"):
            raise ValueError(f"a population record's entity is advertiser or page, got {entity!r}")
        group = str(obj.get("group") or "").strip()
        if not group:
            raise ValueError("a population record names its group")
        return PopulationRecord(source, str(entity), ident, group)
    raise ValueError(f"unknown record kind {kind!r}")


def _relationship(obj: dict[str, Any], source: str, ident: str) -> RelationshipRecord:
    ends = []
    for key in ("advertiser", "related"):
        value = obj.get(key)
        if not isinstance(value, str | int) or not str(value).strip():
            raise ValueError(f"a relationship names its {key} (an advertiser's external_id)")
        ends.append(str(value).strip())
    if ends[0] == ends[1]:
        raise ValueError("a relationship ties two different accounts")
    relation = obj.get("relation")
    if relation not in RELATIONS:
        raise ValueError(
            f"a relationship's relation is one of {', '.join(RELATIONS)}, got {relation!r}"
        )
    status = obj.get("status") or "declared"
    if status not in RELATIONSHIP_STATUSES:
        raise ValueError(
            f"a relationship's status is one of {', '.join(RELATIONSHIP_STATUSES)}, got {status!r}"
        )
    return RelationshipRecord(
        source,
        ident,
        ends[0],
        str(relation),
        ends[1],
        str(status),
        _time_in(obj.get("declared_at")),
    )
