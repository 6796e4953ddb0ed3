"""Publishing a case's indicators, on SQLite and PostgreSQL: the IRA-like network of
``integrity.test_cases`` with landing pages, texts and uploaded images on its ads offers exactly
the domains, URLs, texts and PDQ hashes its members' ads hold (not the outsider's, not a big
platform's domain, not short texts, not low-quality or other advertisers' images); only a
taken-down case is published; publishing puts them in the group's feed owned by paidfor, and
publishing again shares nothing new; only investigators and admins may, through the service,
the API, the case page's CSRF-protected form and ``paidfor cases publish``; all audited."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from integrity.test_cases import ACTOR, World, build_world, network_of
from PIL import Image
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from exchange.test_images import encode, picture
from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.feed_models import INDICATORS
from paidfor.exchange.model import Invalid, NotFound
from paidfor.exchange.publish import candidates, counts, publish
from paidfor.exchange.service import ExchangeService
from paidfor.integrity.cases import CaseConflict, CaseService
from paidfor.interfaces.cli.integrity import cases_app
from paidfor.review import image_store
from paidfor.review.images import hash_image
from paidfor.settings import get_settings
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AdRow, AuditEventRow

SECRET = "test-secret-key-123"
GROUP, OTHER = "acme-partners", "globex"
TEXT_A = "Stand up for your community and your history"
TEXT_B = "Black lives matter: stand up and be heard in 2016"
TEXT_C = "Texas is the best state in the whole nation"
TEXT_D = "Being Patriotic: support our police and our veterans"
OUT_TEXT = "Fresh bread every morning at the Local Bakery"
URLS = {
    "a1": "https://www.blacktivist.info/news/police?id=1",
    "a2": "https://blacktivist.info/join",
    "a3": "https://www.facebook.com/HeartOfTexas/",
    "a4": "http://news.patriot-news.co.uk/a",
    "out": "https://bakery.example/",
}


class Case:
    def __init__(self, case_id: int, world: World, pdqs: dict[str, str], out_pdq: str) -> None:
        self.id, self.world, self.pdqs, self.out_pdq = case_id, world, pdqs, out_pdq


@pytest.fixture
def case(engine: Engine) -> Case:
    """The network of ``integrity.test_cases`` (2 accounts, 3 pages, 5 ads) and an outsider,
    with landing pages, texts and uploaded images on their ads; the case opened (score 0.87)."""
    world = build_world(engine)
    kiev, glavset = world.advertisers["Kiev Media LLC"], world.advertisers["Glavset"]
    bakery = world.advertisers["Bakery Inc"]

    def stored(advertiser: int, data: bytes) -> str:
        return image_store.store(engine, advertiser, hash_image(data), actor="test").hash

    one, two = stored(kiev, picture(21)), stored(kiev, picture(22))
    flat = stored(kiev, encode(Image.new("RGB", (120, 120), (200, 10, 10))))  # no PDQ
    bread = stored(bakery, picture(23))  # the outsider's
    creatives = {
        "a1": ([TEXT_A], [one]),
        "a2": (["Join us!", TEXT_B], [one, flat]),  # "Join us!" is too short to share
        "a3": ([TEXT_C], [two]),
        "a4": ([TEXT_A], []),
        "a5": ([TEXT_D], [bread]),  # Glavset never uploaded it: not its picture
        "out": ([OUT_TEXT], [bread]),
    }
    with engine.begin() as conn:
        for name, (bodies, images) in creatives.items():
            conn.execute(
                update(AdRow)
                .where(AdRow.id == world.ads[name])
                .values(
                    landing_url=URLS.get(name),
                    creative={"bodies": bodies, "link_titles": [], "link_captions": [],
                              "link_descriptions": [], "image_hashes": images},
                )
            )  # fmt: skip
    pdqs = image_store.pdqs_for(engine, [one, two, flat, bread])
    assert set(pdqs) == {one, two, bread} and glavset not in (kiev, bakery)
    case_id = CaseService(engine).open_case(network_of(world), ACTOR)
    ExchangeService(engine).create_group(GROUP, "acme and friends", "test")
    ExchangeService(engine).create_group(OTHER, None, "test")
    return Case(case_id, world, {"one": pdqs[one], "two": pdqs[two]}, pdqs[bread])


def expected(case: Case) -> set[tuple[str, str, int]]:
    return {
        ("domain", "blacktivist.info", 2),
        ("domain", "patriot-news.co.uk", 1),
        ("url", URLS["a1"], 1),
        ("url", URLS["a2"], 1),
        ("url", URLS["a3"], 1),
        ("url", URLS["a4"], 1),
        ("raw_text", TEXT_A, 2),
        ("raw_text", TEXT_B, 1),
        ("raw_text", TEXT_C, 1),
        ("raw_text", TEXT_D, 1),
        ("pdq", case.pdqs["one"], 2),
        ("pdq", case.pdqs["two"], 1),
    }


def take_down(engine: Engine, case: Case) -> None:
    CaseService(engine).take_down(case.id, actor=ACTOR, reason="coordinated inauthentic behaviour")


def feed(engine: Engine, group: str) -> list[Any]:
    service = ExchangeService(engine)
    return service.updates(service.staff("test"), group, limit=1000).items


def test_candidates_are_what_the_members_ads_hold(engine: Engine, case: Case) -> None:
    found = candidates(engine, case.id)
    assert {(c.type, c.value, c.ads) for c in found} == expected(case)
    assert len(found) == len(expected(case))  # distinct
    assert counts(found) == {"domain": 2, "url": 4, "raw_text": 4, "pdq": 2}
    order = ["domain", "url", "raw_text", "pdq"]
    assert [c.type for c in found] == sorted((c.type for c in found), key=order.index)
    everything = json.dumps([c.as_json() for c in found])
    for outside in ("bakery", OUT_TEXT, case.out_pdq, 'facebook.com"', "Join us!"):
        assert outside not in everything, outside
    first = found[0]
    assert first.status == "MALICIOUS" and first.confidence == 87
    assert first.tags == [f"case-{case.id}", "election_interference"]
    assert f"paidfor case #{case.id}" in first.description
    assert "fp-9a1c" not in everything and "dev-77" not in everything  # no evidence leaks
    with pytest.raises(Exception, match="no case 999999"):
        candidates(engine, 999999)


def test_publish_puts_them_in_the_groups_feed_once(engine: Engine, case: Case) -> None:
    # Not before a takedown.
    with pytest.raises(CaseConflict, match="has not been taken down"):
        publish(engine, case.id, [GROUP], ACTOR)
    assert feed(engine, GROUP) == []
    take_down(engine, case)
    with pytest.raises(NotFound, match="no privacy group named 'nope'"):
        publish(engine, case.id, [GROUP, "nope"], ACTOR)
    with pytest.raises(Invalid, match="the types are domain, url, raw_text, pdq"):
        publish(engine, case.id, [GROUP], ACTOR, ["md5"])
    with pytest.raises(Invalid, match="at least one privacy group"):
        publish(engine, case.id, [], ACTOR)
    assert feed(engine, GROUP) == []

    # A partner already shared one of the domains in the group.
    service = ExchangeService(engine)
    _token, who = TokenService(engine).create(Role.PARTNER, "acme", groups=[GROUP])
    acme = service.partner(who.token_id, "acme", who.actor)
    service.add(acme, type="domain", value="Blacktivist.info", group=GROUP, status="SUSPICIOUS")

    dry = publish(engine, case.id, [GROUP], ACTOR, dry_run=True)
    assert dry.dry_run and dry.shared == 11 and dry.already_shared == 1
    assert len(feed(engine, GROUP)) == 1  # a dry run writes nothing

    done = publish(engine, case.id, [GROUP], ACTOR)
    assert done.as_json()["groups"] == {
        GROUP: {
            "shared": {"domain": 1, "url": 4, "raw_text": 4, "pdq": 2},
            "already_shared": {"domain": 1, "url": 0, "raw_text": 0, "pdq": 0},
        }
    }
    assert (done.shared, done.already_shared) == (11, 1)
    assert done.message().startswith(f"Shared 11 indicators with partners. {GROUP}: 1 landing")
    items = feed(engine, GROUP)
    ours = [i for i in items if i.owner == "paidfor"]
    assert {(i.type, i.value) for i in items} == {(t, v) for t, v, _ in expected(case)}
    assert len(ours) == 11 and all(i.owner_token_id is None for i in ours)
    for i in ours:
        assert i.status == "MALICIOUS" and i.confidence == 87 and not i.deleted
        assert i.tags == [f"case-{case.id}", "election_interference"]
        assert i.description and f"paidfor case #{case.id}" in i.description
    assert feed(engine, OTHER) == []

    again = publish(engine, case.id, [GROUP], ACTOR)
    assert (again.shared, again.already_shared) == (0, 12)
    assert again.message() == (
        f"Shared 0 indicators with partners. {GROUP}: nothing new (12 already shared)."
    )
    assert len(feed(engine, GROUP)) == 12

    only = publish(engine, case.id, [OTHER, GROUP], ACTOR, ["pdq"])
    assert only.as_json()["groups"][OTHER] == {"shared": {"pdq": 2}, "already_shared": {"pdq": 0}}
    assert only.as_json()["groups"][GROUP]["already_shared"] == {"pdq": 2}
    assert sorted(i.value for i in feed(engine, OTHER)) == sorted(case.pdqs.values())

    # A deleted indicator is shared again.
    gone = next(i for i in feed(engine, OTHER) if i.value == case.pdqs["one"])
    service.delete(service.staff(ACTOR), gone.id)
    assert publish(engine, case.id, [OTHER], ACTOR, ["pdq"]).shared == 1

    with engine.connect() as conn:
        events = list(
            conn.execute(
                select(AuditEventRow.actor, AuditEventRow.target_id, AuditEventRow.after)
                .where(AuditEventRow.action == "case_publish")
                .order_by(AuditEventRow.id)
            )
        )
        adds = conn.execute(
            select(func.count())
            .select_from(AuditEventRow)
            .where(AuditEventRow.action == "indicator_add", AuditEventRow.actor == ACTOR)
        ).scalar_one()
    assert [(e.actor, e.target_id) for e in events] == [(ACTOR, str(case.id))] * 4
    assert [(e.after["shared"], e.after["already_shared"]) for e in events] == [
        (11, 1), (0, 12), (2, 2), (1, 1)
    ]  # fmt: skip
    assert events[0].after["groups"][GROUP]["shared"]["url"] == 4
    assert adds == 11 + 2 + 1
    assert verify_chain(engine) is None


@pytest.fixture
def api(case: Case, make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    """The app (with ``SECRET``), started once the case is open."""
    with make_api(secret_key=SECRET) as client:
        yield client


@pytest.fixture
def auth(engine: Engine, case: Case) -> dict[str, dict[str, str]]:
    tokens = TokenService(engine)
    out = {}
    for role in Role:
        account = case.world.advertisers["Kiev Media LLC"] if role is Role.ADVERTISER else None
        groups = [GROUP] if role is Role.PARTNER else None
        token, _ = tokens.create(role, f"test-{role}", advertiser_id=account, groups=groups)
        out[str(role)] = {"Authorization": f"Bearer {token}"}
    return out


def ours(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(INDICATORS).where(INDICATORS.c.owner == "paidfor")
            ).scalar_one()
        )


def test_the_api(
    api: TestClient, auth: dict[str, dict[str, str]], engine: Engine, case: Case
) -> None:
    body = {"groups": [GROUP]}
    routes = [("GET", f"/api/cases/{case.id}/indicators", None),
              ("POST", f"/api/cases/{case.id}/publish", body)]  # fmt: skip
    for method, path, payload in routes:
        assert api.request(method, path, json=payload).status_code == 401
        for role in ("advertiser", "reviewer", "partner"):
            r = api.request(method, path, json=payload, headers=auth[role])
            assert r.status_code == 403, (role, path, r.text)
            assert case.pdqs["one"] not in r.text and "blacktivist" not in r.text
    inv = auth["investigator"]
    listed = api.get(f"/api/cases/{case.id}/indicators", headers=inv)
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    got = listed.json()
    assert got["taken_down"] is False
    assert got["counts"] == {"domain": 2, "url": 4, "raw_text": 4, "pdq": 2}
    assert {(c["type"], c["value"], c["ads"]) for c in got["indicators"]} == expected(case)
    assert api.get("/api/cases/999999/indicators", headers=inv).status_code == 404

    r = api.post(f"/api/cases/{case.id}/publish", json=body, headers=inv)
    assert r.status_code == 409 and "has not been taken down" in r.json()["error"]["message"]
    take_down(engine, case)
    for bad, status, words in [
        ({"groups": []}, 422, "groups"),
        ({"groups": [GROUP], "types": ["md5"]}, 422, "types"),
        ({"groups": [GROUP], "extra": 1}, 422, "extra"),
        ({"groups": ["nope"]}, 404, "no privacy group named 'nope'"),
    ]:
        r = api.post(f"/api/cases/{case.id}/publish", json=bad, headers=inv)
        assert r.status_code == status and words in r.json()["error"]["message"], (bad, r.text)
    assert ours(engine) == 0

    r = api.post(f"/api/cases/{case.id}/publish", json={**body, "types": ["domain", "pdq"]},
                 headers=auth["admin"])  # fmt: skip
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.json()["groups"][GROUP]["shared"] == {"domain": 2, "pdq": 2}
    assert r.json()["shared"] == 4 and r.json()["already_shared"] == 0
    r = api.post(f"/api/cases/{case.id}/publish", json=body, headers=inv)
    assert (r.json()["shared"], r.json()["already_shared"]) == (8, 4)
    assert ours(engine) == 12
    # The partner in the group reads them from its feed, owned by paidfor.
    partner = api.get(f"/api/exchange/groups/{GROUP}/updates?limit=100", headers=auth["partner"])
    assert partner.status_code == 200
    data = partner.json()["data"]
    assert {(i["type"], i["value"]) for i in data} == {(t, v) for t, v, _ in expected(case)}
    assert {i["owner"] for i in data} == {"paidfor"}
    assert api.get(f"/api/cases/{case.id}/indicators", headers=inv).json()["taken_down"] is True


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_the_case_page_form(
    api: TestClient, auth: dict[str, dict[str, str]], engine: Engine, case: Case
) -> None:
    inv = auth["investigator"]
    page = api.get(f"/staff/cases/{case.id}", headers=inv)
    assert page.status_code == 200 and "Share indicators with partners" not in page.text
    take_down(engine, case)
    page = api.get(f"/staff/cases/{case.id}", headers=inv)
    assert "Share indicators with partners" in page.text and 'href="#share"' in page.text
    share = page.text[page.text.index('id="share"') :]
    rows = dict(re.findall(r'<tr data-type="(\w+)">.*?<td class="num">(\d+)</td>', share, re.S))
    assert rows == {"domain": "2", "url": "4", "raw_text": "4", "pdq": "2"}
    for value in ("blacktivist.info", "patriot-news.co.uk", case.pdqs["one"], TEXT_B):
        assert value in share, value
    assert f'name="groups" value="{GROUP}"' in share and f'name="groups" value="{OTHER}"' in share
    assert share.count('name="types"') == 4

    # Reviewers are refused, and so is a form without the session's CSRF token.
    html = {"Accept": "text/html"}
    r = api.post(f"/staff/cases/{case.id}/publish", data={"groups": [GROUP]},
                 headers={**auth["reviewer"], **html}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    form = api.post("/staff/login", data={"csrf": csrf_of(api.get("/staff/login").text),
                                          "token": inv["Authorization"].removeprefix("Bearer "),
                                          "next": "/staff"}, follow_redirects=False)  # fmt: skip
    assert form.status_code == 303
    r = api.post(f"/staff/cases/{case.id}/publish", data={"groups": [GROUP]},
                 headers={"Accept": "text/html"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    assert ours(engine) == 0

    csrf = csrf_of(api.get(f"/staff/cases/{case.id}").text)
    r = api.post(f"/staff/cases/{case.id}/publish",
                 data={"csrf": csrf, "types": ["domain", "url", "raw_text", "pdq"]},
                 follow_redirects=True)  # fmt: skip
    assert "Nothing was shared: choose at least one privacy group" in r.text
    r = api.post(f"/staff/cases/{case.id}/publish",
                 data={"csrf": csrf, "groups": [GROUP], "types": ["domain", "pdq"]},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/staff/cases/{case.id}"
    after = api.get(r.headers["location"])
    assert (
        f"Shared 4 indicators with partners. {GROUP}: 2 landing domains, 2 image PDQ hashes."
        in after.text
    )
    assert ours(engine) == 4
    r = api.post(f"/staff/cases/{case.id}/publish",
                 data={"csrf": csrf, "groups": [GROUP, OTHER], "types": ["domain", "pdq"]},
                 follow_redirects=True)  # fmt: skip
    assert (
        f"Shared 4 indicators with partners. {GROUP}: nothing new (4 already shared); "
        f"{OTHER}: 2 landing domains, 2 image PDQ hashes." in r.text
    )
    assert ours(engine) == 8


runner = CliRunner()


def test_the_cli(db_url: str, engine: Engine, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDFOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        args = ["publish", str(case.id), "--group", GROUP]
        early = runner.invoke(cases_app, args)
        assert early.exit_code == 5 and "has not been taken down" in early.output
        take_down(engine, case)
        dry = runner.invoke(cases_app, [*args, "--type", "url", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "Would share 4 indicators with partners" in dry.output
        assert ours(engine) == 0
        done = runner.invoke(cases_app, [*args, "--group", OTHER, "--type", "url", "--json"])
        assert done.exit_code == 0, done.output
        result = json.loads(done.stdout)
        assert result["shared"] == 8 and result["dry_run"] is False
        assert result["groups"][OTHER] == {"shared": {"url": 4}, "already_shared": {"url": 0}}
        again = runner.invoke(cases_app, args)
        assert again.exit_code == 0, again.output
        assert "Shared 8 indicators" in again.output and "4 already shared" in again.output
        bad = runner.invoke(cases_app, [*args, "--type", "md5"])
        assert bad.exit_code == 2 and "the types are domain, url, raw_text, pdq" in bad.output
        unknown = runner.invoke(cases_app, ["publish", str(case.id), "--group", "nope"])
        assert unknown.exit_code == 3 and "no privacy group named 'nope'" in unknown.output
        with engine.connect() as conn:
            actors = set(
                conn.execute(
                    select(AuditEventRow.actor).where(AuditEventRow.action == "case_publish")
                ).scalars()
            )
        assert len(actors) == 1 and actors.pop().startswith("cli")
        assert ours(engine) == 16
    finally:
        get_settings.cache_clear()
