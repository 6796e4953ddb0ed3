"""The cases API and staff pages through the app, on SQLite and PostgreSQL: only investigators
(and admins) reach them, a missing case is a 404 and a bad body a 422, a takedown works once,
the pages draw the graph and take CSRF-protected takedowns, and no public route ever shows a
case."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from integrity.test_cases import ACTOR, World, build_world, network_of
from sqlalchemy import Engine, select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.integrity.case_store import CaseMember, CaseSummary, CaseView
from paidfor.integrity.cases import CaseService
from paidfor.interfaces.http.web.case_pages import MAX_EDGES, MAX_NODES, draw_graph
from paidfor.storage.models import ActionRow, PageRow

SECRET = "test-secret-key-123"
# Words that exist only in the case: no public answer may contain any of them.
CASE_WORDS = ("Network of 2 advertisers", "five entities tied", "pays in RUB", "fp-9a1c",
              "dev-77", "signs in from Russia", "taken_down", "/staff/cases")  # fmt: skip
FORBIDDEN = ("advertiser", "reviewer", "partner")
ALLOWED = ("investigator", "admin")


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


@pytest.fixture
def case_id(engine: Engine, world: World) -> int:
    return CaseService(engine).open_case(network_of(world), ACTOR)


@pytest.fixture
def api(case_id: int, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    """The app (with ``SECRET``), started once the case is open."""
    with make_api(secret_key=SECRET) as client:
        yield client


@pytest.fixture
def auth(engine: Engine, world: World) -> dict[str, dict[str, str]]:
    tokens = TokenService(engine)
    out = {}
    for role in Role:
        account = world.advertisers["Bakery Inc"] if role is Role.ADVERTISER else None
        token, _ = tokens.create(role, f"test-{role}", advertiser_id=account)
        out[str(role)] = {"Authorization": f"Bearer {token}"}
    return out


def call(api: TestClient, method: str, path: str, headers: dict[str, str], **kw: Any) -> Any:
    return api.request(method, path, headers=headers, **kw)


def test_only_investigators_and_admins_reach_cases(
    api: TestClient, auth: dict[str, dict[str, str]], case_id: int, engine: Engine
) -> None:
    reason = {"reason": "coordinated inauthentic behaviour"}
    routes = [
        ("GET", "/api/cases", None),
        ("GET", f"/api/cases/{case_id}", None),
        ("POST", f"/api/cases/{case_id}/takedown", reason),
        ("POST", f"/api/cases/{case_id}/status", {"status": "closed", **reason}),
    ]
    for method, path, body in routes:
        r = call(api, method, path, {}, json=body)
        assert r.status_code == 401, (path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["status"] == 401
        r = call(api, method, path, {"Authorization": "Bearer pf_not_a_token"}, json=body)
        assert r.status_code == 401, path
        for role in FORBIDDEN:
            r = call(api, method, path, auth[role], json=body)
            assert r.status_code == 403, (role, path, r.text)
            assert "investigator" in r.json()["error"]["message"]
            assert not any(w in r.text for w in CASE_WORDS)
    # Nothing the refused calls asked for happened.
    assert CaseService(engine).case(case_id).case.status == "open"
    with engine.connect() as conn:
        assert list(conn.execute(select(ActionRow.id))) == []

    for role in ALLOWED:
        for path in ("/api/cases", f"/api/cases/{case_id}"):
            r = api.get(path, headers=auth[role])
            assert r.status_code == 200, (role, path, r.text)
            assert r.headers["cache-control"] == "no-store"
    r = api.post(f"/api/cases/{case_id}/status", headers=auth["investigator"],
                 json={"status": "closed", "reason": "looks domestic"})  # fmt: skip
    assert r.status_code == 200 and r.json()["case"]["status"] == "closed"
    assert r.headers["cache-control"] == "no-store"
    r = api.post(f"/api/cases/{case_id}/status", headers=auth["admin"],
                 json={"status": "open", "reason": "new evidence"})  # fmt: skip
    assert r.status_code == 200 and r.json()["case"]["status"] == "open"
    r = api.post(f"/api/cases/{case_id}/takedown", headers=auth["investigator"], json=reason)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    done = r.json()
    assert done["case"]["status"] == "taken_down"
    assert (done["advertisers_disabled"], done["pages_disabled"], done["ads_stopped"]) == (2, 3, 4)
    assert len(done["actions"]) == 5
    again = api.post(f"/api/cases/{case_id}/takedown", headers=auth["admin"], json=reason)
    assert again.status_code == 409 and "already taken down" in again.json()["error"]["message"]


def test_a_case_as_json(api: TestClient, auth: dict[str, dict[str, str]], case_id: int,
                        world: World) -> None:  # fmt: skip
    listed = api.get("/api/cases?status=open", headers=auth["investigator"]).json()
    assert listed["total"] == 1 and [c["id"] for c in listed["cases"]] == [case_id]
    assert listed["cases"][0]["members"] == 5
    assert api.get("/api/cases?status=closed", headers=auth["investigator"]).json()["cases"] == []
    body = api.get(f"/api/cases/{case_id}", headers=auth["investigator"]).json()
    assert body["id"] == case_id and body["status"] == "open" and body["score"] == 0.87
    assert {m["entity"] for m in body["members"]} == {
        str(world.key(n))
        for n in ("Kiev Media LLC", "Glavset", "Blacktivist", "Heart of Texas", "Being Patriotic")
    }
    assert len(body["links"]) == 5 and body["links"][0]["evidence"][0]["value"] == "fp-9a1c"
    assert body["evidence"][0]["evidence"] == "pays in RUB for ads aimed at US"
    whats = {e["what"] for e in body["timeline"]}
    assert {"created", "first_ad", "last_ad", "first_political", "case_opened"} <= whats
    assert body["timeline"] == sorted(body["timeline"], key=lambda e: e["at"])
    assert body["actions"] == []


def test_missing_cases_and_bad_bodies(
    api: TestClient, auth: dict[str, dict[str, str]], case_id: int
) -> None:
    inv = auth["investigator"]
    for method, path, body in (
        ("GET", "/api/cases/999999", None),
        ("POST", "/api/cases/999999/takedown", {"reason": "fake accounts"}),
        ("POST", "/api/cases/999999/status", {"status": "closed", "reason": "fake accounts"}),
    ):
        r = call(api, method, path, inv, json=body)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["message"] == "no case 999999"
    bad: list[tuple[str, Any]] = [
        ("takedown", {}),
        ("takedown", {"reason": "  x "}),
        ("takedown", {"reason": "fine reason", "extra": 1}),
        ("takedown", {"reason": 12}),
        ("status", {"status": "taken_down", "reason": "shortcut"}),
        ("status", {"status": "closed"}),
        ("status", ["closed"]),
    ]
    for action, body in bad:
        r = api.post(f"/api/cases/{case_id}/{action}", headers=inv, json=body)
        assert r.status_code == 422, (action, body, r.text)
        assert r.json()["error"]["status"] == 422
    r = api.post(f"/api/cases/{case_id}/takedown", headers=inv, content=b"not json")
    assert r.status_code == 422
    for query in ("status=bogus", "limit=0", "limit=201", "offset=-1"):
        assert api.get(f"/api/cases?{query}", headers=inv).status_code == 422, query
    assert api.get("/api/cases/abc", headers=inv).status_code == 422
    # The case is untouched by all of it.
    assert api.get(f"/api/cases/{case_id}", headers=inv).json()["status"] == "open"


def _public_pages(api: TestClient, world: World, engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        external = conn.execute(
            select(PageRow.external_id).where(PageRow.id == world.pages["Blacktivist"])
        ).scalar_one()
    page = world.pages["Blacktivist"]
    out = {}
    for path, params in (
        (f"/ads/{world.ads['a1']}", None),
        (f"/api/ads/{world.ads['a1']}", None),
        (f"/pages/{page}", None),
        (f"/api/pages/{page}", None),
        ("/search", {"q": "community"}),
        ("/api/search", {"q": "community"}),
        ("/v19.0/ads_archive", {"ad_reached_countries": "ALL", "ad_active_status": "ALL",
                                "search_page_ids": external,
                                "fields": "id,page_id,page_name,ad_creative_bodies"}),
    ):  # fmt: skip
        r = api.get(path, params=params)
        assert r.status_code == 200, (path, r.text[:300])
        out[path] = r.text
    return out


def test_no_case_data_on_any_public_route(
    api: TestClient, auth: dict[str, dict[str, str]], case_id: int, world: World, engine: Engine
) -> None:
    def check() -> None:
        pages = _public_pages(api, world, engine)
        # The member page and its ads are there (so the check below means something) ...
        assert "Blacktivist" in pages[f"/pages/{world.pages['Blacktivist']}"]
        assert pages["/v19.0/ads_archive"].count('"page_name":"Blacktivist"') == 2
        assert "Stand up for your community (a1)" in pages[f"/ads/{world.ads['a1']}"]
        # ... and nothing of the case is.
        for path, text in pages.items():
            found = [w for w in CASE_WORDS if w in text]
            assert not found, (path, found)
            assert not re.search(rf"\bcase[ #]*{case_id}\b", text, re.I), path

    check()
    r = api.post(f"/api/cases/{case_id}/takedown", headers=auth["admin"],
                 json={"reason": "coordinated inauthentic behaviour"})  # fmt: skip
    assert r.status_code == 200
    check()  # taken down: still no word of the case in public
    for path in ("/staff/cases", f"/staff/cases/{case_id}"):
        r = api.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(api: TestClient, token: str) -> None:
    form = api.get("/staff/login")
    r = api.post("/staff/login", data={"csrf": csrf_of(form.text), "token": token,
                                       "next": "/staff"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text


def test_the_staff_pages(
    api: TestClient, auth: dict[str, dict[str, str]], case_id: int, engine: Engine, world: World
) -> None:
    inv = auth["investigator"]
    home = api.get("/staff", headers=inv)
    assert 'href="/staff/cases"' in home.text
    assert 'href="/staff/cases"' not in api.get("/staff", headers=auth["reviewer"]).text
    assert api.get("/staff/cases", headers=auth["reviewer"]).status_code == 403
    listing = api.get("/staff/cases", headers=inv)
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-store"
    assert f'href="/staff/cases/{case_id}"' in listing.text and "Network of 2 advertisers" in (
        listing.text
    )
    page = api.get(f"/staff/cases/{case_id}", headers=inv)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    svg = page.text[page.text.index('<svg class="graph"') : page.text.index("</svg>")]
    assert svg.count('<g class="node ') == 5 and svg.count('<g class="edge">') == 5
    assert svg.count('class="node advertiser') == 2 and svg.count('class="node page') == 3
    assert "the same payment card (fingerprint): fp-9a1c (shared by 2, +2.00)" in svg
    blacktivist = world.pages["Blacktivist"]
    assert f'<a href="/staff/entities/page/{blacktivist}">Blacktivist</a>' in page.text
    assert f'href="/pages/{blacktivist}">public page</a>' in page.text
    rows = dict(re.findall(r'<tr data-entity="([a-z]+:\d+)">(.*?)</tr>', page.text, re.S))
    assert len(rows) == 5
    assert 'href="/pages/' not in rows[str(world.key("Kiev Media LLC"))]  # advertisers: none
    assert (
        f'href="/pages/{world.pages["Heart of Texas"]}">public page'
        in rows[str(world.key("Heart of Texas"))]
    )
    assert "pays in RUB for ads aimed at US" in page.text and "Take down this network" in page.text
    assert api.get("/staff/cases/999999", headers=inv).status_code == 404

    token = inv["Authorization"].removeprefix("Bearer ")
    sign_in(api, token)
    # A form post without the session's CSRF token changes nothing.
    r = api.post(f"/staff/cases/{case_id}/takedown", data={"reason": "no csrf here"},
                 headers={"Accept": "text/html"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert CaseService(engine).case(case_id).case.status == "open"
    form = api.get(f"/staff/cases/{case_id}")
    r = api.post(
        f"/staff/cases/{case_id}/takedown",
        data={"csrf": csrf_of(form.text), "reason": "coordinated inauthentic behaviour"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/staff/cases/{case_id}"
    after = api.get(r.headers["location"])
    assert "Network taken down: 2 advertisers and 3 pages disabled, 4 ads stopped." in after.text
    assert 'id="taken-down"' in after.text and "Take down this network" not in after.text
    assert after.text.count("<td>disable page</td>") == 3  # the actions table
    assert CaseService(engine).case(case_id).case.status == "taken_down"
    again = api.post(
        f"/staff/cases/{case_id}/takedown",
        data={"csrf": csrf_of(form.text), "reason": "again"},
        follow_redirects=True,
    )
    assert "already taken down" in again.text


def _big_case(members: int, links: int) -> CaseView:
    """A synthetic case: ``members`` pages in a ring plus chords, link ``i`` weighing ``i``."""
    summary = CaseSummary(1, "big", "open", "network", 0.9, None, members, None, None, None)
    people = [
        CaseMember("page", i, "member", 0.5, f"page {i}", True, False, "page", [], None, 0.0,
                   None, None, 0, 0, None, None)
        for i in range(members)
    ]  # fmt: skip
    edges = [
        {"a": f"page:{i % members}", "b": f"page:{(i * 7 + 1) % members}", "weight": float(i),
         "evidence": [{"kind": "ip", "value": f"10.0.0.{i % 250}", "weight": float(i),
                       "shared_by": 2}]}
        for i in range(links)
    ]  # fmt: skip
    return CaseView(summary, [], edges, people, [], [])


def test_the_graph_is_drawn_the_same_every_time_and_cut_to_the_strongest_links() -> None:
    small = _big_case(30, 45)
    first, again = draw_graph(small), draw_graph(small)
    assert first == again and first.note is None
    assert len(first.nodes) == 30 and len(first.edges) == 45
    assert all(n.label for n in first.nodes)  # few nodes: named on the picture
    for n in first.nodes:
        assert 0 <= n.x <= first.width and 0 <= n.y <= first.height
    widths = [e.width for e in first.edges]
    assert min(widths) == 1.0 and max(widths) == 6.0  # width follows the weight
    assert "• an admin signing in from the same IP address: 10.0.0.44" in first.edges[44].title

    big = draw_graph(_big_case(500, 1500))
    assert len(big.nodes) <= MAX_NODES and len(big.edges) <= MAX_EDGES
    assert big.note is not None and "strongest" in big.note and "of 1500 links" in big.note
    kept = {float(e.title.split("(weight ")[1].split(")")[0]) for e in big.edges}
    assert kept == {float(w) for w in range(1500 - len(big.edges), 1500)}  # the strongest
    assert len(big.nodes) >= MAX_NODES - 1  # the budget is used up
    assert not any(n.label for n in big.nodes)  # many nodes: names in the tooltips only
