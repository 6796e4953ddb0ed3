"""Cases on SQLite and PostgreSQL: a hand-built network over real advertisers, pages and ads
becomes a case (members, links, findings in words, timeline); taking it down disables every
member through enforcement, stops their running ads, keeps the case's id on each action, audits
it all (the chain still verifies) and refuses to run twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select, update

from paidfor.domain import ActionKind, Ad, AdStatus, Advertiser, Creative, Page
from paidfor.integrity.cases import CaseConflict, CaseService, NotFound, case_title
from paidfor.integrity.enforcement_store import EnforcementRepository
from paidfor.integrity.model import EntityKey, Evidence, Link, Member, Network, SignalResult
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import ActionRow, AdRow, AdvertiserRow, AuditEventRow, PageRow
from paidfor.storage.writer import BatchWriter

SOURCE = "case-test"
ACTOR = "investigator:test#1"


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@dataclass
class World:
    """Ids of what ``build_world`` wrote: two accounts and three pages in the network, and an
    outsider page whose running ad must survive the takedown."""

    advertisers: dict[str, int]
    pages: dict[str, int]
    ads: dict[str, int]

    def key(self, name: str) -> EntityKey:
        if name in self.advertisers:
            return EntityKey("advertiser", self.advertisers[name])
        return EntityKey("page", self.pages[name])


# ad name -> (page, advertiser, created, status)
ADS = {
    "a1": ("Blacktivist", "Kiev Media LLC", "2016-03-01", AdStatus.RUNNING),
    "a2": ("Blacktivist", "Kiev Media LLC", "2016-05-20", AdStatus.APPROVED),
    "a3": ("Heart of Texas", "Kiev Media LLC", "2016-04-02", AdStatus.RUNNING),
    "a4": ("Being Patriotic", "Glavset", "2016-06-10", AdStatus.STOPPED),
    "a5": ("Being Patriotic", "Glavset", "2016-07-01", AdStatus.RUNNING),
    "out": ("Local Bakery", "Bakery Inc", "2016-05-05", AdStatus.RUNNING),
}
PAGES = {
    "Blacktivist": t("2015-11-02"),
    "Heart of Texas": t("2015-12-10"),
    "Being Patriotic": t("2016-01-15"),
    "Local Bakery": t("2010-01-01"),
}
ADVERTISERS = {"Kiev Media LLC": t("2015-10-01"), "Glavset": t("2015-10-03"), "Bakery Inc": None}


def build_world(engine: Engine) -> World:
    """Write the pages, accounts and ads through the import writer; their ids."""
    pages = {n: Page(name=n, external_id=f"9{i}00", created_at=c) for i, (n, c) in
             enumerate(PAGES.items())}  # fmt: skip
    advertisers = {
        n: Advertiser(name=n, country="US", created_at=c, source=SOURCE, external_id=n)
        for n, c in ADVERTISERS.items()
    }
    ads = [
        Ad(
            source=SOURCE,
            external_id=name,
            creative=Creative(bodies=[f"Stand up for your community ({name})"]),
            page=pages[page],
            advertiser=advertisers[adv],
            created_at=t(day),
            start_at=t(day),
            status=status,
            is_political=name != "out",
        )
        for name, (page, adv, day, status) in ADS.items()
    ]
    BatchWriter(engine).write(ads)
    with engine.connect() as conn:
        page_ids = {r.name: int(r.id) for r in conn.execute(select(PageRow.id, PageRow.name))}
        adv_ids = {
            r.name: int(r.id) for r in conn.execute(select(AdvertiserRow.id, AdvertiserRow.name))
        }
        ad_ids = {
            r.external_id: int(r.id)
            for r in conn.execute(select(AdRow.id, AdRow.external_id).where(AdRow.source == SOURCE))
        }
    assert set(ad_ids) == set(ADS)
    return World(adv_ids, page_ids, ad_ids)


def ev(kind: str, value: str, weight: float, shared_by: int = 2) -> Evidence:
    return Evidence(kind, value, weight, shared_by)


def network_of(world: World) -> Network:
    """The IRA-like network: both accounts pay with one card and share an admin device; the
    pages run each other's creatives."""
    k = world.key
    members = [
        Member(k("Kiev Media LLC"), "Kiev Media LLC", 0.92, role="seed",
               findings=[SignalResult("payment_currency", 0.9, "pays in RUB for ads aimed at US")],
               created_at=ADVERTISERS["Kiev Media LLC"], first_political_at=t("2016-03-01")),
        Member(k("Glavset"), "Glavset", 0.81,
               findings=[SignalResult("admin_country", 0.8, "its admin signs in from Russia")]),
        Member(k("Blacktivist"), "Blacktivist", 0.77),
        Member(k("Heart of Texas"), "Heart of Texas", 0.64,
               findings=[SignalResult("young_page", 0.5, "created 4 months before its first "
                                                          "political ad")]),
        Member(k("Being Patriotic"), "Being Patriotic", 0.55),
    ]  # fmt: skip
    links = [
        Link(k("Kiev Media LLC"), k("Glavset"), 2.5,
             (ev("payment", "fp-9a1c", 2.0), ev("device", "dev-77", 0.5, 3))),
        Link(k("Kiev Media LLC"), k("Blacktivist"), 1.0, (ev("owner", "runs ads for", 1.0),)),
        Link(k("Kiev Media LLC"), k("Heart of Texas"), 1.0, (ev("owner", "runs ads for", 1.0),)),
        Link(k("Glavset"), k("Being Patriotic"), 1.0, (ev("owner", "runs ads for", 1.0),)),
        Link(k("Blacktivist"), k("Being Patriotic"), 0.7, (ev("creative", "c-5512", 0.7, 2),)),
    ]  # fmt: skip
    return Network(members, links, 0.87, "five entities tied by one card and one device")


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


def test_title_says_size_ties_and_strongest_evidence(world: World) -> None:
    title = case_title(network_of(world))
    assert title == (
        "Network of 2 advertisers and 3 pages tied by a shared payment card, near-duplicate ad "
        "text and a shared admin device; strongest: payment 'fp-9a1c' shared by 2"
    )
    owned = Network(network_of(world).members, network_of(world).links[1:2], 0.5, "")
    assert case_title(owned).endswith("tied by accounts running ads for pages; strongest: "
                                      "pays in RUB for ads aimed at US")  # fmt: skip
    lone = Network(
        [
            Member(
                EntityKey("page", 1), "x", 0.5, findings=[SignalResult("s", 0.7, "pays in rubles")]
            )
        ],
        [],
        0.5,
        "",
    )
    assert case_title(lone) == "Network of 1 page; strongest: pays in rubles"  # fmt: skip


def test_open_a_case_and_read_it_back(engine: Engine, world: World) -> None:
    service = CaseService(engine)
    network = network_of(world)
    case_id = service.open_case(network, ACTOR)
    with engine.begin() as conn:  # renamed since: the case shows today's name
        conn.execute(
            update(PageRow)
            .where(PageRow.id == world.pages["Heart of Texas"])
            .values(name="Heart of Texas (renamed)")
        )

    view = service.case(case_id)
    assert view.case.status == "open" and view.case.kind == "network"
    assert view.case.score == 0.87 and view.case.created_by == ACTOR
    assert view.case.title == case_title(network) and view.case.members == 5
    assert view.links == [link.as_json() for link in network.links]
    assert view.evidence[0] == {
        "entity": str(world.key("Kiev Media LLC")),
        "name": "Kiev Media LLC",
        "signal": "payment_currency",
        "score": 0.9,
        "evidence": "pays in RUB for ads aimed at US",
    }
    assert len(view.evidence) == 3
    members = {m.key: m for m in view.members}
    assert view.members[0].name == "Kiev Media LLC"  # strongest risk first
    texas = members[str(world.key("Heart of Texas"))]
    assert texas.name == "Heart of Texas (renamed)" and texas.exists and texas.disabled is False
    assert texas.findings[0]["signal"] == "young_page" and texas.page_kind == "page"
    kiev = members[str(world.key("Kiev Media LLC"))]
    assert kiev.role == "seed" and kiev.risk == 0.92
    assert (kiev.ads, kiev.active_ads) == (3, 3)
    assert kiev.first_ad_at == t("2016-03-01") and kiev.last_ad_at == t("2016-05-20")
    patriotic = members[str(world.key("Being Patriotic"))]
    assert (patriotic.ads, patriotic.active_ads) == (2, 1)
    assert patriotic.created_at == PAGES["Being Patriotic"]
    assert patriotic.first_political_at == t("2016-06-10")  # from its ads: none was given

    timeline = view.timeline
    assert [e.at for e in timeline] == sorted(e.at for e in timeline)
    seen = {(e.what, e.entity) for e in timeline}
    for name in ("Kiev Media LLC", "Glavset", "Blacktivist", "Heart of Texas", "Being Patriotic"):
        assert ("first_ad", str(world.key(name))) in seen
    assert ("created", str(world.key("Blacktivist"))) in seen
    assert ("last_ad", str(world.key("Blacktivist"))) in seen
    assert ("last_ad", str(world.key("Heart of Texas"))) not in seen  # one ad: first = last
    assert ("first_political", str(world.key("Kiev Media LLC"))) in seen
    assert timeline[0].what == "created" and timeline[0].entity == str(world.key("Kiev Media LLC"))
    assert timeline[-1].what == "case_opened"

    assert service.cases_of(world.key("Blacktivist")) == [case_id]
    assert service.cases_of(world.key("Local Bakery")) == []
    listed = service.cases()
    assert [(c.id, c.members) for c in listed] == [(case_id, 5)]
    assert service.cases(status="closed") == [] and service.count("open") == 1
    with engine.connect() as conn:
        opened = conn.execute(
            select(AuditEventRow).where(AuditEventRow.action == "case_open")
        ).one()
    assert opened.target_id == str(case_id) and opened.after["members"] == 5
    assert view.as_json()["members"][0]["entity"] == str(world.key("Kiev Media LLC"))


def test_take_down_disables_members_stops_ads_and_is_audited(engine: Engine, world: World) -> None:
    service = CaseService(engine)
    case_id = service.open_case(network_of(world), ACTOR)
    # One member was disabled before, outside the case: it is not disabled again.
    EnforcementRepository(engine).apply(
        ActionKind.DISABLE_PAGE, [world.pages["Being Patriotic"]], reason="spam", actor="r:x#2"
    )

    done = service.take_down(case_id, actor=ACTOR, reason="coordinated inauthentic behaviour")
    assert done.case.status == "taken_down"
    assert sorted(done.advertisers_disabled) == sorted(
        world.advertisers[n] for n in ("Kiev Media LLC", "Glavset")
    )
    assert sorted(done.pages_disabled) == sorted(
        world.pages[n] for n in ("Blacktivist", "Heart of Texas")
    )
    assert done.already_disabled == 1 and done.missing == 0
    assert done.ads_stopped == sorted(world.ads[a] for a in ("a1", "a2", "a3"))

    with engine.connect() as conn:
        status = dict(conn.execute(select(AdRow.external_id, AdRow.status)).all())
        disabled = dict(conn.execute(select(PageRow.name, PageRow.disabled)).all())
        disabled |= dict(conn.execute(select(AdvertiserRow.name, AdvertiserRow.disabled)).all())
        actions = list(conn.execute(select(ActionRow).order_by(ActionRow.id)))
        events = [r.action for r in conn.execute(select(AuditEventRow.action))]
        takedown = conn.execute(
            select(AuditEventRow).where(AuditEventRow.action == "case_takedown")
        ).one()
    assert {a: status[a] for a in ("a1", "a2", "a3", "a4", "a5")} == {
        "a1": "stopped", "a2": "stopped", "a3": "stopped", "a4": "stopped", "a5": "stopped"
    }  # fmt: skip
    assert status["out"] == "running"  # not in the network: untouched
    assert disabled == {"Blacktivist": True, "Heart of Texas": True, "Being Patriotic": True,
                        "Local Bakery": False, "Kiev Media LLC": True, "Glavset": True,
                        "Bakery Inc": False}  # fmt: skip
    mine = [a for a in actions if a.case_id == case_id]
    assert len(mine) == 4 and len(actions) == 5  # the earlier page disable has no case
    assert {(a.kind, a.reason, a.actor) for a in mine} == {
        ("disable_advertiser", "coordinated inauthentic behaviour", ACTOR),
        ("disable_page", "coordinated inauthentic behaviour", ACTOR),
    }
    assert events.count("enforcement.disable_advertiser") == 2
    assert events.count("enforcement.disable_page") == 3
    assert takedown.target_id == str(case_id) and takedown.actor == ACTOR
    assert takedown.after == {"status": "taken_down", "advertisers_disabled": 2,
                              "pages_disabled": 2, "already_disabled": 1, "missing": 0,
                              "ads_stopped": 3}  # fmt: skip
    assert verify_chain(engine) is None

    view = service.case(case_id)
    assert view.case.status == "taken_down" and len(view.actions) == 4
    assert all(m.disabled for m in view.members)
    assert sum(m.active_ads for m in view.members) == 0
    kinds = [e.what for e in view.timeline]
    assert kinds.count("action") == 4 and kinds[-1] == "status"
    assert "2 advertisers and 2 pages disabled, 3 ads stopped" in view.timeline[-1].label

    # A member restored since: a second takedown is refused before it touches anything.
    restored = world.pages["Blacktivist"]
    EnforcementRepository(engine).apply(
        ActionKind.RESTORE_PAGE, [restored], reason="appeal granted", actor="r:x#2"
    )
    with pytest.raises(CaseConflict, match="already taken down"):
        service.take_down(case_id, actor=ACTOR, reason="again")
    with engine.connect() as conn:
        assert len(list(conn.execute(select(ActionRow.id)))) == 6  # nothing more was done
        assert (
            conn.execute(select(PageRow.disabled).where(PageRow.id == restored)).scalar() is False
        )


def test_a_case_whose_members_are_gone_is_a_clear_error(engine: Engine, world: World) -> None:
    service = CaseService(engine)
    ghosts = Network(
        [Member(EntityKey("advertiser", 999_001), "Gone LLC", 0.9),
         Member(EntityKey("page", 999_002), "Gone page", 0.8)],
        [], 0.9, "deleted since",
    )  # fmt: skip
    case_id = service.open_case(ghosts, ACTOR)
    view = service.case(case_id)
    assert [(m.name, m.exists, m.disabled) for m in view.members] == [
        ("Gone LLC", False, None), ("Gone page", False, None)
    ]  # fmt: skip
    with pytest.raises(CaseConflict, match=r"none of the 2 members of case \d+ exists any more"):
        service.take_down(case_id, actor=ACTOR, reason="fake accounts")
    assert service.case(case_id).case.status == "open"
    with engine.connect() as conn:
        assert list(conn.execute(select(ActionRow.id))) == []


def test_missing_cases_and_status_changes(engine: Engine, world: World) -> None:
    service = CaseService(engine)
    assert service.repo.get(424242) is None
    with pytest.raises(NotFound):
        service.case(424242)
    with pytest.raises(NotFound):
        service.take_down(424242, actor=ACTOR, reason="x")
    with pytest.raises(NotFound):
        service.set_status(424242, "closed", actor=ACTOR, reason="x")
    with pytest.raises(ValueError):
        service.open_case(Network([], [], 0.0, "empty"), ACTOR)

    case_id = service.open_case(network_of(world), ACTOR)
    with pytest.raises(ValueError, match="status must be one of open, closed"):
        service.set_status(case_id, "taken_down", actor=ACTOR, reason="shortcut")
    closed = service.set_status(case_id, "closed", actor=ACTOR, reason="not foreign after all")
    assert closed.status == "closed"
    with pytest.raises(CaseConflict, match="already closed"):
        service.set_status(case_id, "closed", actor=ACTOR, reason="twice")
    assert [c.id for c in service.cases(status="closed")] == [case_id]
    assert service.set_status(case_id, "open", actor=ACTOR, reason="new evidence").status == "open"
    with engine.connect() as conn:
        changes = [
            (r.before, r.after, r.reason)
            for r in conn.execute(
                select(AuditEventRow)
                .where(AuditEventRow.action == "case_status")
                .order_by(AuditEventRow.id)
            )
        ]
    assert changes == [
        ({"status": "open"}, {"status": "closed"}, "not foreign after all"),
        ({"status": "closed"}, {"status": "open"}, "new evidence"),
    ]
    labels = [e.label for e in service.case(case_id).timeline if e.what == "status"]
    assert labels == [f"case closed by {ACTOR}: not foreign after all",
                      f"case reopened by {ACTOR}: new evidence"]  # fmt: skip
    assert verify_chain(engine) is None
