"""What the integrity layer reads from the database (private data: admins, payments,
targeting) and what it writes back (risk on accounts and pages).

``load_world`` reads every advertiser account and page with the attributes the signals and
the network detection use, and every ad's text for the near-duplicate clusters; one pass per
table, so a world of a few hundred thousand ads loads in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, Table, bindparam, select, update

from paidfor.integrity.model import AdminProfile, EntityKey, PaymentProfile, Profile
from paidfor.storage.exchange_models import AdImageRow
from paidfor.storage.mapping import stored_now
from paidfor.storage.models import (
    AdminRow,
    AdRow,
    AdvertiserRow,
    CaseMemberRow,
    CaseRow,
    PageRow,
    PaymentInstrumentRow,
    advertiser_admins,
    page_admins,
)
from paidfor.storage.review_models import PageOwnerRow


@dataclass(slots=True)
class AdText:
    """One ad as the creative clustering and per-ad evaluation see it."""

    id: int
    source: str
    external_id: str
    text: str
    owners: tuple[EntityKey, ...]  # its advertiser account and page
    removed: bool
    created_at: datetime | None


@dataclass
class World:
    profiles: dict[EntityKey, Profile] = field(default_factory=dict)
    ads: list[AdText] = field(default_factory=list)
    external: dict[EntityKey, tuple[str | None, str | None]] = field(default_factory=dict)


def domain_of(url: str | None) -> str | None:
    """The registrable-looking host of a landing URL, without ``www.``; None for none."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def _interests(targeting: dict[str, Any]) -> Iterable[str]:
    for key in ("interests", "behaviors", "people_who_match"):
        for value in targeting.get(key) or []:
            if isinstance(value, str) and value.strip():
                yield value.strip().casefold()


def load_world(
    engine: Engine, *, advertisers: Sequence[int] | None = None, pages: Sequence[int] | None = None
) -> World:
    """Every account and page, or (for screening one submission) only the ones named."""
    world = World()
    profiles = world.profiles
    some = advertisers is not None or pages is not None
    adv_ids = list(advertisers or [])
    page_ids = list(pages or [])
    with engine.connect() as conn:
        for kind, row, ids, ext in (
            ("advertiser", AdvertiserRow, adv_ids, AdvertiserRow.source),
            ("page", PageRow, page_ids, PageRow.kind),
        ):
            entity_q = select(
                row.id, row.name, row.country, row.created_at, row.language, row.disabled,
                ext.label("scope"), row.external_id,
            )  # fmt: skip
            if some:
                entity_q = entity_q.where(row.id.in_(ids))
            for r in conn.execute(entity_q):
                key = EntityKey(kind, r.id)
                profiles[key] = Profile(key, r.name, r.country, r.created_at, r.language)
                world.external[key] = (r.scope, r.external_id)  # (source or page kind, id)
                if r.disabled:
                    profiles[key].flagged = "disabled"
        pay_q = select(
            PaymentInstrumentRow.advertiser_id,
            PaymentInstrumentRow.currency,
            PaymentInstrumentRow.billing_country,
            PaymentInstrumentRow.card_fingerprint,
        )
        if some:
            pay_q = pay_q.where(PaymentInstrumentRow.advertiser_id.in_(adv_ids))
        for pay in conn.execute(pay_q):
            p = profiles.get(EntityKey("advertiser", pay.advertiser_id))
            if p is not None:
                p.payments.append(
                    PaymentProfile(pay.currency, pay.billing_country, pay.card_fingerprint)
                )
        links: list[tuple[str, int, int]] = []
        for table, col, kind, ids in (
            (advertiser_admins, advertiser_admins.c.advertiser_id, "advertiser", adv_ids),
            (page_admins, page_admins.c.page_id, "page", page_ids),
        ):
            q = select(col, table.c.admin_id)
            if some:
                q = q.where(col.in_(ids))
            links.extend((kind, owner, admin) for owner, admin in conn.execute(q))
        admin_q = select(AdminRow)
        if some:
            admin_q = admin_q.where(AdminRow.id.in_({admin for _, _, admin in links}))
        admins = {
            r.id: AdminProfile(
                r.id,
                r.name,
                r.language,
                list(r.login_countries or []),
                list(r.devices or []),
                list(r.ips or []),
            )
            for r in conn.execute(admin_q)
        }
        for kind, owner, admin_id in links:
            p = profiles.get(EntityKey(kind, owner))
            if p is not None and admin_id in admins:
                p.admins.append(admins[admin_id])
        owner_q = select(PageOwnerRow.page_id, PageOwnerRow.advertiser_id)
        if some:
            owner_q = owner_q.where(
                PageOwnerRow.page_id.in_(page_ids) | PageOwnerRow.advertiser_id.in_(adv_ids)
            )
        for page_id, advertiser_id in conn.execute(owner_q):
            _tie(profiles, EntityKey("advertiser", advertiser_id), EntityKey("page", page_id))
        case_q = (
            select(CaseMemberRow.entity_type, CaseMemberRow.entity_id, CaseRow.id, CaseRow.status)
            .join(CaseRow, CaseRow.id == CaseMemberRow.case_id)
            .where(CaseRow.status != "closed")
        )
        if some:
            case_q = case_q.where(
                ((CaseMemberRow.entity_type == "advertiser") & CaseMemberRow.entity_id.in_(adv_ids))
                | ((CaseMemberRow.entity_type == "page") & CaseMemberRow.entity_id.in_(page_ids))
            )
        for m in conn.execute(case_q):
            p = profiles.get(EntityKey(m.entity_type, m.entity_id))
            if p is not None and p.flagged is None:
                p.flagged = f"in case {m.id} ({m.status})"
        _load_ads(conn, world, adv_ids if some else None, page_ids if some else None)
        _load_images(conn, world, adv_ids if some else None)
    return world


def _load_images(conn: Any, world: World, advertisers: list[int] | None) -> None:
    """The PDQ hashes of the images the ads use (uploaded images; ``integrity.images``)."""
    q = select(AdImageRow.advertiser_id, AdImageRow.hash, AdImageRow.pdq).where(
        AdImageRow.pdq.is_not(None)
    )
    if advertisers is not None:
        q = q.where(AdImageRow.advertiser_id.in_(advertisers))
    pdqs = {(r.advertiser_id, r.hash): r.pdq for r in conn.execute(q)}
    owners = sorted({a for a, _ in pdqs if a is not None})
    for i in range(0, len(owners), 500):
        ads = select(AdRow.advertiser_id, AdRow.page_id, AdRow.creative).where(
            AdRow.advertiser_id.in_(owners[i : i + 500])
        )
        for r in conn.execute(ads):
            found = {
                pdq
                for h in (r.creative or {}).get("image_hashes") or []
                if (pdq := pdqs.get((r.advertiser_id, h)))
            }
            for key in (EntityKey("advertiser", r.advertiser_id), EntityKey("page", r.page_id)):
                if found and key in world.profiles:
                    world.profiles[key].image_pdqs |= found


def _tie(profiles: dict[EntityKey, Profile], a: EntityKey, b: EntityKey) -> None:
    if a in profiles and b in profiles:
        profiles[a].linked.add(b)
        profiles[b].linked.add(a)


def _load_ads(
    conn: Any, world: World, advertisers: list[int] | None, pages: list[int] | None
) -> None:
    profiles = world.profiles
    stmt = select(
        AdRow.id,
        AdRow.source,
        AdRow.external_id,
        AdRow.advertiser_id,
        AdRow.page_id,
        AdRow.search_text,
        AdRow.landing_url,
        AdRow.targeting,
        AdRow.languages,
        AdRow.currency,
        AdRow.status,
        AdRow.is_political,
        AdRow.created_at,
        AdRow.start_at,
    ).execution_options(yield_per=5000)
    if advertisers is not None and pages is not None:
        stmt = stmt.where(AdRow.advertiser_id.in_(advertisers) | AdRow.page_id.in_(pages))
    for r in conn.execute(stmt):
        owners: list[EntityKey] = []
        if r.advertiser_id is not None:
            owners.append(EntityKey("advertiser", r.advertiser_id))
        if r.page_id is not None:
            owners.append(EntityKey("page", r.page_id))
        if len(owners) == 2:
            _tie(profiles, owners[0], owners[1])
        targeting = r.targeting or {}
        countries = {
            str(loc.get("country")).upper()
            for loc in targeting.get("locations") or []
            if isinstance(loc, dict) and loc.get("country")
        }
        interests = set(_interests(targeting))
        languages = {str(x).casefold()[:2] for x in [*(r.languages or [])] if x}
        domain = domain_of(r.landing_url)
        when = r.created_at or r.start_at
        removed = r.status == "removed"
        for key in owners:
            p = profiles.get(key)
            if p is None:
                continue
            p.ads += 1
            p.ad_ids.append(r.id)
            p.targeted_countries |= countries
            p.interests |= interests
            if len(interests) >= 2:
                p.targeting_signatures.add("|".join(sorted(interests))[:300])
            p.audience_languages |= languages
            if r.currency:
                p.ad_currencies.add(r.currency)
            if domain and not (key.type == "page" and _same_site(domain, p)):
                p.landing_domains.add(domain)
            if r.landing_url:
                p.landing_urls.add(r.landing_url)
            if when is not None:
                p.ad_created.append(when)
                if r.is_political and (p.first_political_at is None or when < p.first_political_at):
                    p.first_political_at = when
            if r.is_political:
                p.political_ads += 1
            if removed and p.flagged is None:
                p.flagged = "ads removed"
                p.flagged_at = when
        world.ads.append(
            AdText(
                r.id,
                r.source,
                r.external_id,
                r.search_text or "",
                tuple(owners),
                removed,
                when,
            )
        )


def _same_site(domain: str, page: Profile) -> bool:
    """A page's own platform (an ad landing on the page itself is no outside domain)."""
    return domain.endswith(("facebook.com", "instagram.com", "fb.com"))


def save_risk(engine: Engine, scores: Sequence[tuple[EntityKey, float, list[Any]]]) -> int:
    """Store each entity's risk score and its explanations; how many were written."""
    now = stored_now()
    by_type: dict[str, list[dict[str, Any]]] = {"advertiser": [], "page": []}
    for key, score, explanations in scores:
        by_type[key.type].append({"k": key.id, "s": score, "e": explanations, "t": now})
    with engine.begin() as conn:
        for kind, row in (("advertiser", AdvertiserRow), ("page", PageRow)):
            table: Table = row.__table__  # type: ignore[assignment]
            rows = by_type[kind]
            if rows:
                conn.execute(
                    update(table)
                    .where(table.c.id == bindparam("k"))
                    .values(
                        risk_score=bindparam("s"),
                        risk_explanations=bindparam("e"),
                        risk_at=bindparam("t"),
                    ),
                    rows,
                )
    return sum(len(v) for v in by_type.values())
