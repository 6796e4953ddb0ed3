"""What the integrity layer reads from the database (private data: admins, payments,
targeting) and what it writes back (risk on accounts and pages).

``load_world`` reads every advertiser account and page with the attributes the signals and
the network detection use, and every ad's text for the near-duplicate clusters; one pass per
table, so a world of a few hundred thousand ads loads in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Engine,
    Select,
    Table,
    bindparam,
    false,
    func,
    select,
    true,
    update,
)

from paidfor.integrity.model import (
    AdminProfile,
    EntityKey,
    PaymentProfile,
    Profile,
    Relationship,
)
from paidfor.storage.mapping import stored_now
from paidfor.storage.models import (
    ActionRow,
    AdImageRow,
    AdminRow,
    AdRow,
    AdvertiserRow,
    CaseMemberRow,
    CaseRow,
    FunderRow,
    PageOwnerRow,
    PageRow,
    PaymentInstrumentRow,
    RelationshipRow,
    advertiser_admins,
    page_admins,
)
from paidfor.storage.tables import chunks


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
    relationships: list[Relationship] = field(default_factory=list)


def _interests(targeting: dict[str, Any]) -> Iterable[str]:
    for key in ("interests", "behaviors", "people_who_match"):
        for value in targeting.get(key) or []:
            if isinstance(value, str) and value.strip():
                yield value.strip().casefold()


Ids = Sequence[int] | Select[Any] | CompoundSelect[Any]
_QUERY = (Select, CompoundSelect)
_Which = BindParameter[Any] | Select[Any] | CompoundSelect[Any]


@dataclass(frozen=True)
class _Reads:
    """The statements ``load_world`` runs, for every entity (``None``), for the ids a query
    names, or for ids bound at execution (``"adv"`` and ``"pages"``: built once, so that
    screening a submission does not pay for building and caching ten statements)."""

    entities: tuple[Select[Any], Select[Any]]  # advertisers, pages
    payments: Select[Any]
    admin_links: tuple[Select[Any], Select[Any]]  # (account, admin), (page, admin)
    admins: Select[Any]
    owners: Select[Any]
    cases: Select[Any]
    ads: Select[Any]
    images: Select[Any]
    image_ads: Select[Any]  # the ads of the accounts bound as "owners"


def _reads(ids: tuple[_Which, _Which] | None) -> _Reads:
    """``ids``: the accounts' and the pages' (``None``: every one)."""

    def only(stmt: Any, clause: Callable[[Any, Any], Any]) -> Select[Any]:
        return stmt if ids is None else stmt.where(clause(*ids))

    def entity(row: type[AdvertiserRow] | type[PageRow], ext: Any) -> Select[Any]:
        return select(
            row.id, row.name, row.country, row.created_at, row.language, row.disabled,
            ext.label("scope"), row.external_id,
        )  # fmt: skip

    entities = (
        only(entity(AdvertiserRow, AdvertiserRow.source), lambda adv, _: AdvertiserRow.id.in_(adv)),
        only(entity(PageRow, PageRow.kind), lambda _, pages: PageRow.id.in_(pages)),
    )
    payments = only(
        select(
            PaymentInstrumentRow.advertiser_id,
            PaymentInstrumentRow.currency,
            PaymentInstrumentRow.billing_country,
            PaymentInstrumentRow.card_fingerprint,
        ),
        lambda adv, _: PaymentInstrumentRow.advertiser_id.in_(adv),
    )
    admin_links = (
        only(
            select(advertiser_admins.c.advertiser_id, advertiser_admins.c.admin_id),
            lambda adv, _: advertiser_admins.c.advertiser_id.in_(adv),
        ),
        only(
            select(page_admins.c.page_id, page_admins.c.admin_id),
            lambda _, pages: page_admins.c.page_id.in_(pages),
        ),
    )
    admins = only(
        select(AdminRow),
        lambda adv, pages: AdminRow.id.in_(
            select(advertiser_admins.c.admin_id)
            .where(advertiser_admins.c.advertiser_id.in_(adv))
            .union(select(page_admins.c.admin_id).where(page_admins.c.page_id.in_(pages)))
        ),
    )
    owners = only(
        select(PageOwnerRow.page_id, PageOwnerRow.advertiser_id),
        lambda adv, pages: PageOwnerRow.page_id.in_(pages) | PageOwnerRow.advertiser_id.in_(adv),
    )
    cases = only(
        select(CaseMemberRow.entity_type, CaseMemberRow.entity_id, CaseRow.id, CaseRow.status)
        .join(CaseRow, CaseRow.id == CaseMemberRow.case_id)
        .where(CaseRow.status != "closed"),
        lambda adv, pages: (
            ((CaseMemberRow.entity_type == "advertiser") & CaseMemberRow.entity_id.in_(adv))
            | ((CaseMemberRow.entity_type == "page") & CaseMemberRow.entity_id.in_(pages))
        ),
    )
    ad_columns = select(
        AdRow.id, AdRow.source, AdRow.external_id, AdRow.advertiser_id, AdRow.page_id,
        AdRow.search_text, AdRow.landing_url, AdRow.landing_domain, AdRow.targeting,
        AdRow.languages, AdRow.currency, AdRow.status, AdRow.is_political,
        AdRow.created_at, AdRow.start_at, AdRow.funder_id,
    )  # fmt: skip
    ads = only(
        ad_columns.execution_options(yield_per=5000),
        # each side through its own index (an OR of two INs can make PostgreSQL read every ad)
        lambda adv, pages: AdRow.id.in_(
            select(AdRow.id)
            .where(AdRow.advertiser_id.in_(adv))
            .union(select(AdRow.id).where(AdRow.page_id.in_(pages)))
        ),
    )
    images = only(
        select(AdImageRow.advertiser_id, AdImageRow.hash, AdImageRow.pdq).where(
            AdImageRow.pdq.is_not(None)
        ),
        lambda adv, _: AdImageRow.advertiser_id.in_(adv),
    )
    image_ads = select(AdRow.advertiser_id, AdRow.page_id, AdRow.creative).where(
        AdRow.advertiser_id.in_(bindparam("owners", expanding=True))
    )
    return _Reads(
        entities,
        payments,
        admin_links,
        admins,
        owners,
        cases,
        ads,
        images,
        image_ads,
    )


@cache
def _reads_by_ids() -> _Reads:
    return _reads((bindparam("adv", expanding=True), bindparam("pages", expanding=True)))


@cache
def _reads_all() -> _Reads:
    return _reads(None)


def load_world(
    engine: Engine, *, advertisers: Ids | None = None, pages: Ids | None = None
) -> World:
    """Every account and page, or only the ones named: by their ids (screening one
    submission), or by a query of their ids (``flagged_entities``: screening knowledge)."""
    world = World()
    profiles = world.profiles
    some = advertisers is not None or pages is not None
    params: dict[str, Any] = {}
    if not some:
        reads = _reads_all()
    elif isinstance(advertisers, _QUERY) or isinstance(pages, _QUERY):
        none = select(AdvertiserRow.id).where(false())
        reads = _reads(
            (
                advertisers if isinstance(advertisers, _QUERY) else none,
                pages if isinstance(pages, _QUERY) else none,
            )
        )
    else:
        reads = _reads_by_ids()
        params = {"adv": list(advertisers or []), "pages": list(pages or [])}
    with engine.connect() as conn:
        for kind, stmt in zip(("advertiser", "page"), reads.entities, strict=True):
            for r in conn.execute(stmt, params):
                key = EntityKey(kind, r.id)
                profiles[key] = Profile(key, r.name, r.country, r.created_at, r.language)
                world.external[key] = (r.scope, r.external_id)  # (source or page kind, id)
                if r.disabled:
                    profiles[key].flagged = "disabled"
        for pay in conn.execute(reads.payments, params):
            p = profiles.get(EntityKey("advertiser", pay.advertiser_id))
            if p is not None:
                p.payments.append(
                    PaymentProfile(pay.currency, pay.billing_country, pay.card_fingerprint)
                )
        links: list[tuple[str, int, int]] = []
        for kind, stmt in zip(("advertiser", "page"), reads.admin_links, strict=True):
            links.extend((kind, owner, admin) for owner, admin in conn.execute(stmt, params))
        admins = {
            r.id: AdminProfile(
                r.id,
                r.name,
                r.language,
                list(r.login_countries or []),
                list(r.devices or []),
                list(r.ips or []),
            )
            for r in conn.execute(reads.admins, params)
        }
        for kind, owner, admin_id in links:
            p = profiles.get(EntityKey(kind, owner))
            if p is not None and admin_id in admins:
                p.admins.append(admins[admin_id])
        for page_id, advertiser_id in conn.execute(reads.owners, params):
            account, page = EntityKey("advertiser", advertiser_id), EntityKey("page", page_id)
            _tie(profiles, account, page)
            if account in profiles and page in profiles:
                profiles[account].owned.add(page)
                profiles[page].owned.add(account)
        if not some:  # only the whole-world analysis reads declared relationships
            world.relationships = _relationships(conn)
        for m in conn.execute(reads.cases, params):
            p = profiles.get(EntityKey(m.entity_type, m.entity_id))
            if p is not None and p.flagged is None:
                p.flagged = f"in case {m.id} ({m.status})"
        _load_ads(conn, world, conn.execute(reads.ads, params), everything=not some)
        _load_images(conn, world, reads, params)
    _adopt_unowned_pages(world)
    return world


def _relationships(conn: Any) -> list[Relationship]:
    rel_q = select(
        RelationshipRow.id,
        RelationshipRow.advertiser_id,
        RelationshipRow.related_id,
        RelationshipRow.relation,
        RelationshipRow.status,
    )
    return [
        Relationship(
            r.id,
            EntityKey("advertiser", r.advertiser_id),
            EntityKey("advertiser", r.related_id),
            r.relation,
            r.status,
        )
        for r in conn.execute(rel_q)
    ]


def _adopt_unowned_pages(world: World) -> None:
    """A page no account is recorded to own belongs to the one account that runs ads on it
    (the IRA release and ad archives name no owners); with several, to none."""
    for key, p in world.profiles.items():
        if key.type != "page" or p.owned:
            continue
        runners = [k for k in p.linked if k.type == "advertiser"]
        if len(runners) == 1 and runners[0] in world.profiles:
            p.owned.add(runners[0])
            world.profiles[runners[0]].owned.add(key)


def _load_images(conn: Any, world: World, reads: _Reads, params: dict[str, Any]) -> None:
    """The PDQ hashes of the images the ads use (uploaded images; ``review.images``)."""
    pdqs = {(r.advertiser_id, r.hash): r.pdq for r in conn.execute(reads.images, params)}
    owners = sorted({a for a, _ in pdqs if a is not None})
    for some in chunks(owners, 500):
        for r in conn.execute(reads.image_ads, {"owners": list(some)}):
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


def _load_ads(conn: Any, world: World, rows: Iterable[Any], *, everything: bool) -> None:
    profiles = world.profiles
    # who is "Paid for by" a verified funder: the whole-world analysis's declared families
    verified: set[int] = set()
    if everything:
        verified = set(conn.scalars(select(FunderRow.id).where(FunderRow.verified == true())))
    for r in rows:
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
        domain = r.landing_domain
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
            if domain and not (key.type == "page" and _same_site(domain)):
                p.landing_domains.add(domain)
            if r.landing_url:
                p.landing_urls.add(r.landing_url)
            if when is not None:
                p.ad_created.append(when)
                if r.is_political and (p.first_political_at is None or when < p.first_political_at):
                    p.first_political_at = when
            if r.is_political:
                p.political_ads += 1
                if r.funder_id in verified:
                    p.verified_funders.add(r.funder_id)
            if removed and p.flagged is None:
                p.flagged = "ads removed"
            if removed and p.flagged == "ads removed" and when is not None:
                p.flagged_at = when if p.flagged_at is None else min(p.flagged_at, when)
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


def _same_site(domain: str) -> bool:
    """A page's own platform (an ad landing on the page itself is no outside domain)."""
    return domain.endswith(("facebook.com", "instagram.com", "fb.com"))


def flagged_entities(kind: str) -> CompoundSelect[Any]:
    """The ids of the accounts (``kind="advertiser"``) or pages that are flagged: disabled,
    in a case that is not closed, or with a removed ad, as one query (for ``load_world``)."""
    row: type[AdvertiserRow] | type[PageRow] = AdvertiserRow if kind == "advertiser" else PageRow
    owner = AdRow.advertiser_id if kind == "advertiser" else AdRow.page_id
    return (
        select(row.id)
        .where(row.disabled == true())
        .union(
            select(CaseMemberRow.entity_id)
            .join(CaseRow, CaseRow.id == CaseMemberRow.case_id)
            .where(CaseMemberRow.entity_type == kind, CaseRow.status != "closed"),
            select(owner).where(AdRow.status == "removed", owner.is_not(None)),
        )
    )


def removed_ads(engine: Engine) -> list[AdText]:
    """Every removed ad: its text and owners (through the index on ``ads.status``)."""
    q = select(
        AdRow.id, AdRow.source, AdRow.external_id, AdRow.search_text, AdRow.advertiser_id,
        AdRow.page_id, AdRow.created_at, AdRow.start_at,
    ).where(AdRow.status == "removed").order_by(AdRow.id)  # fmt: skip
    with engine.connect() as conn:
        return [
            AdText(
                r.id,
                r.source,
                r.external_id,
                r.search_text or "",
                tuple(
                    EntityKey(kind, owner)
                    for kind, owner in (("advertiser", r.advertiser_id), ("page", r.page_id))
                    if owner is not None
                ),
                True,
                r.created_at or r.start_at,
            )
            for r in conn.execute(q)
        ]


_MARKER = select(
    select(func.coalesce(func.max(ActionRow.id), 0)).scalar_subquery(),
    select(func.coalesce(func.max(CaseRow.id), 0)).scalar_subquery(),
)


def enforcement_marker(engine: Engine) -> tuple[int, int]:
    """Changes when an ad, account or page is acted on or a case is opened (the screening
    knowledge is rebuilt then)."""
    with engine.connect() as conn:
        row = conn.execute(_MARKER).one()
    return int(row[0]), int(row[1])


def count_entities(engine: Engine) -> int:
    """How many accounts and pages there are."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(
                    select(func.count()).select_from(AdvertiserRow).scalar_subquery()
                    + select(func.count()).select_from(PageRow).scalar_subquery()
                )
            ).scalar_one()
        )


@dataclass
class Carriers:
    """How many accounts and pages carry each of some attribute values (``attribute_carriers``);
    what the full world's profiles would say, counted by the database."""

    payment: dict[str, int] = field(default_factory=dict)  # card fingerprint
    admin: dict[int, int] = field(default_factory=dict)  # admin id
    device: dict[str, int] = field(default_factory=dict)
    ip: dict[str, int] = field(default_factory=dict)
    domain: dict[str, int] = field(default_factory=dict)  # landing domain of their ads


def attribute_carriers(
    engine: Engine,
    *,
    payments: Iterable[str] = (),
    admins: Iterable[int] = (),
    devices: Iterable[str] = (),
    ips: Iterable[str] = (),
    domains: Iterable[str] = (),
) -> Carriers:
    """Counts by index lookups, but for devices and IPs (JSON lists on the admins: one pass
    over the admins' two columns), so the cost follows the values asked about, not the ads."""
    out = Carriers()
    with engine.connect() as conn:
        for chunk in chunks(sorted(set(payments))):
            pay_q = (
                select(
                    PaymentInstrumentRow.card_fingerprint,
                    func.count(PaymentInstrumentRow.advertiser_id.distinct()),
                )
                .where(PaymentInstrumentRow.card_fingerprint.in_(chunk))
                .group_by(PaymentInstrumentRow.card_fingerprint)
            )
            out.payment.update((str(fp), int(n)) for fp, n in conn.execute(pay_q))
        wanted = {"device": set(devices), "ip": set(ips)}
        holders: dict[tuple[str, str], set[int]] = {}  # (kind, value) -> admins with it
        if wanted["device"] or wanted["ip"]:
            admin_q = select(AdminRow.id, AdminRow.devices, AdminRow.ips).execution_options(
                yield_per=5000
            )
            for r in conn.execute(admin_q):
                for kind, values in (("device", r.devices), ("ip", r.ips)):
                    for v in set(values or ()) & wanted[kind]:
                        holders.setdefault((kind, v), set()).add(r.id)
        asked = set(admins) | {a for ids in holders.values() for a in ids}
        managed: dict[int, set[EntityKey]] = {}  # admin -> the accounts and pages it manages
        for chunk in chunks(sorted(asked)):
            for kind, table, col in (
                ("advertiser", advertiser_admins, advertiser_admins.c.advertiser_id),
                ("page", page_admins, page_admins.c.page_id),
            ):
                link_q = select(table.c.admin_id, col).where(table.c.admin_id.in_(chunk))
                for admin_id, owner in conn.execute(link_q):
                    managed.setdefault(admin_id, set()).add(EntityKey(kind, owner))
        out.admin = {a: len(managed.get(a, ())) for a in set(admins)}
        for (kind, value), ids in holders.items():
            found = set().union(*(managed.get(a, set()) for a in ids))
            getattr(out, kind)[value] = len(found)
        for chunk in chunks(sorted(set(domains))):
            domain_q = (
                select(
                    AdRow.landing_domain,
                    func.count(AdRow.advertiser_id.distinct()),
                    func.count(AdRow.page_id.distinct()),
                )
                .where(AdRow.landing_domain.in_(chunk))
                .group_by(AdRow.landing_domain)
            )
            for domain, accounts, pages in conn.execute(domain_q):
                # a page's own platform is no outside domain for it (as in ``_load_ads``)
                on_site = _same_site(str(domain))
                out.domain[str(domain)] = int(accounts) + (0 if on_site else int(pages))
    return out


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
