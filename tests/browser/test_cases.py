"""A case in a real browser: a network of IRA pages from the demo data and two accounts opened
over the API becomes a case; an investigator signs in with a token made by
``paidfor token create``, opens the case, sees its evidence graph drawn (one circle per member),
takes the network down, and the page shows it taken down with every member disabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from browser.conftest import cli_token
from paidfor.domain import ActionKind
from paidfor.integrity.cases import CaseService
from paidfor.integrity.enforcement_store import EnforcementRepository
from paidfor.integrity.model import EntityKey, Evidence, Link, Member, Network, SignalResult
from paidfor.storage.db import make_engine
from paidfor.storage.models import AdRow, AdvertiserRow, PageRow

REASON = "coordinated inauthentic behaviour on behalf of a foreign actor"


def ira_network(live_server: str, live_db: Path) -> tuple[Network, list[str]]:
    """Six of the demo's busiest IRA pages and two accounts opened over the API that pay with
    one card and run ads for them."""
    api = httpx.Client(base_url=live_server, timeout=30)
    accounts = []
    for name in ("Kiev Media LLC", "Glavset"):
        r = api.post("/api/advertisers", json={"name": name, "country": "US"})
        assert r.status_code == 201, r.text
        accounts.append((int(r.json()["advertiser"]["id"]), name))
    engine = make_engine(f"sqlite:///{live_db}")
    try:
        with engine.connect() as conn:
            pages = list(
                conn.execute(
                    select(PageRow.id, PageRow.name)
                    .join(AdRow, AdRow.page_id == PageRow.id)
                    .where(PageRow.kind == "page", PageRow.disabled.is_(False))
                    .group_by(PageRow.id, PageRow.name)
                    .order_by(func.count().desc(), PageRow.id)
                    .limit(6)
                )
            )
    finally:
        engine.dispose()
    assert len(pages) == 6
    adv = [EntityKey("advertiser", i) for i, _ in accounts]
    pg = [EntityKey("page", int(p.id)) for p in pages]
    rubles = SignalResult("payment_currency", 0.9, "pays in RUB for ads aimed at the US")
    members = [
        Member(adv[0], accounts[0][1], 0.93, role="seed", findings=[rubles]),
        Member(adv[1], accounts[1][1], 0.84, findings=[rubles]),
        *(
            Member(k, str(p.name), 0.8 - 0.07 * i)
            for i, (k, p) in enumerate(zip(pg, pages, strict=True))
        ),
    ]

    def ev(kind: str, value: str, weight: float, shared: int = 2) -> Evidence:
        return Evidence(kind, value, weight, shared)

    owner = ev("owner", "runs ads for", 1.0)
    links = [
        Link(adv[0], adv[1], 2.6, (ev("payment", "fp-9a1c", 2.0), ev("ip", "95.213.0.7", 0.6))),
        *(Link(adv[0], k, 1.0, (owner,)) for k in pg[:3]),
        *(Link(adv[1], k, 1.0, (owner,)) for k in pg[3:]),
        Link(pg[0], pg[3], 0.8, (ev("creative", "“Stop police brutality”", 0.8),)),
        Link(pg[1], pg[4], 0.5, (ev("domain", "donotshoot.us", 0.5, 3),)),
    ]
    network = Network(members, links, 0.91, "Two accounts paying with one card run six pages")
    return network, [str(p.name) for p in pages]


def test_an_investigator_takes_a_network_down(
    live_server: str, live_db: Path, browser: Any, screenshots: Path
) -> None:
    network, page_names = ira_network(live_server, live_db)
    engine = make_engine(f"sqlite:///{live_db}")
    try:
        case_id = CaseService(engine).open_case(network, "investigator:browser-test#0")
    finally:
        engine.dispose()
    token = cli_token(live_db, "investigator", "browser-investigator")

    url = f"{live_server}/staff/cases/{case_id}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(url)
        assert "/staff/login" in page.url  # not signed in: sent to sign in first
        page.fill("#staff-token", token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(url)
        assert page.locator("#case-status").inner_text() == "open"
        graph = page.locator("svg.graph")
        assert graph.is_visible()
        assert graph.locator("g.node").count() == 8
        assert graph.locator("g.node.advertiser").count() == 2
        assert graph.locator("g.node.page").count() == 6
        assert graph.locator("g.edge").count() == len(network.links)
        assert graph.locator("g.node.disabled").count() == 0
        box = graph.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 250
        members = page.locator("#members tbody tr")
        assert members.count() == 8
        for name in page_names:
            assert (
                page.locator("#members a", has_text=name)
                .first.get_attribute("href")
                .startswith("/staff/entities/page/")
            )
        page.fill("#takedown-reason", REASON)
        page.screenshot(path=str(screenshots / "case.png"), full_page=True)

        page.get_by_role("button", name="Take down this network").click()
        page.wait_for_selector("p.notice")
        assert (
            "Network taken down: 2 advertisers and 6 pages disabled"
            in page.locator("p.notice").inner_text()
        )
        assert page.locator("#case-status").inner_text() == "taken down"
        assert page.locator("#taken-down").is_visible()
        assert page.get_by_role("button", name="Take down this network").count() == 0
        assert page.locator("svg.graph g.node.disabled").count() == 8
        assert page.locator("#members .flag.off").count() == 8
        assert page.locator("#actions tbody tr").count() == 8
        assert REASON in page.locator("#actions").inner_text()
    finally:
        context.close()
        restore(live_db, network)


def restore(live_db: Path, network: Network) -> None:
    """Give the shared demo database back as it was: the other browser tests show these
    pages as the public sees them, not disabled."""
    engine = make_engine(f"sqlite:///{live_db}")
    try:
        repo = EnforcementRepository(engine)
        for kind, action in (
            ("advertiser", ActionKind.RESTORE_ADVERTISER),
            ("page", ActionKind.RESTORE_PAGE),
        ):
            ids = [m.key.id for m in network.members if m.key.type == kind]
            with engine.connect() as conn:
                table = AdvertiserRow if kind == "advertiser" else PageRow
                off = set(conn.scalars(select(table.id).where(table.id.in_(ids), table.disabled)))
            if off:
                repo.apply(action, sorted(off), reason="end of the browser test", actor="test")
    finally:
        engine.dispose()
