"""The exchange API through the app, on SQLite and PostgreSQL: roles, partner scoping (another
group is a 404, another member's indicator a 403), validation messages, the feed over HTTP,
and an audit event for every partner call with the chain intact."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.service import ExchangeService
from paidfor.storage.audit import verify_chain
from paidfor.storage.models import AuditEventRow

PDQ = "A" * 64
Headers = dict[str, dict[str, str]]


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> Iterator[TestClient]:
    with make_api(secret_key="k" * 20) as client:
        yield client


@pytest.fixture
def auth(engine: Engine) -> Headers:
    service = ExchangeService(engine)
    for name in ("shared", "other"):
        service.create_group(name, f"the {name} group", "test")
    tokens = TokenService(engine)
    out: Headers = {}
    for label, role, groups in [
        ("acme", Role.PARTNER, ["shared"]),
        ("globex", Role.PARTNER, ["shared", "other"]),
        ("investigator", Role.INVESTIGATOR, None),
        ("admin", Role.ADMIN, None),
        ("reviewer", Role.REVIEWER, None),
    ]:
        token, _ = tokens.create(role, label, groups=groups)
        out[label] = {"Authorization": f"Bearer {token}"}
    return out


def add(api: TestClient, who: dict[str, str], **body: Any) -> Any:
    payload = {"type": "url", "value": "https://bad.example/x", "status": "MALICIOUS",
               "tags": ["IRA", "election_interference"], "confidence": 80,
               "group": "shared"}  # fmt: skip
    return api.post("/api/exchange/indicators", json={**payload, **body}, headers=who)


def test_roles(api: TestClient, auth: Headers) -> None:
    assert api.get("/api/exchange/groups").status_code == 401
    assert api.get("/api/exchange/groups", headers=auth["reviewer"]).status_code == 403
    names = {
        who: [g["name"] for g in api.get("/api/exchange/groups", headers=auth[who]).json()["data"]]
        for who in ("acme", "globex", "investigator", "admin")
    }
    assert names == {"acme": ["shared"], "globex": ["other", "shared"],
                     "investigator": ["other", "shared"], "admin": ["other", "shared"]}  # fmt: skip
    r = add(api, auth["investigator"], group="other")
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    assert r.json()["owner"] == "paidfor" and r.json()["tags"] == ["election_interference", "ira"]


def test_a_partner_sees_and_changes_only_what_is_its_own(api: TestClient, auth: Headers) -> None:
    theirs = add(api, auth["globex"], group="other").json()
    shared = add(api, auth["globex"], value="https://bad.example/y").json()
    acme = auth["acme"]
    for path in ("/api/exchange/groups/other/indicators", "/api/exchange/groups/other/updates"):
        r = api.get(path, headers=acme)
        assert r.status_code == 404 and "no privacy group named 'other'" in r.text
    assert add(api, acme, group="other").status_code == 404
    assert api.get("/api/exchange/groups/nope/updates", headers=acme).status_code == 404
    base = f"/api/exchange/indicators/{theirs['id']}"
    assert api.patch(base, json={"confidence": 1}, headers=acme).status_code == 404
    assert api.delete(base, headers=acme).status_code == 404
    assert (
        api.post(base + "/reactions", json={"reaction": "HELPFUL"}, headers=acme).status_code == 404
    )
    mine = f"/api/exchange/indicators/{shared['id']}"
    r = api.patch(mine, json={"confidence": 1}, headers=acme)
    assert r.status_code == 403 and "only its owner" in r.json()["error"]["message"]
    assert api.delete(mine, headers=acme).status_code == 403
    assert api.delete(mine, headers=auth["investigator"]).status_code == 403  # paidfor isn't owner
    r = api.post(mine + "/reactions", json={"reaction": "saw_this_too"}, headers=acme)
    assert r.status_code == 200 and r.json()["reactions"] == {"SAW_THIS_TOO": 1}
    r = api.patch(mine, json={"confidence": 5, "tags": ["x"]}, headers=auth["globex"])
    assert r.status_code == 200 and (r.json()["confidence"], r.json()["tags"]) == (5, ["x"])
    assert api.delete(mine, headers=auth["globex"]).json()["should_delete"] is True
    assert api.delete(mine, headers=auth["globex"]).status_code == 404
    assert api.get("/api/exchange/groups/shared/indicators", headers=acme).json()["data"] == []
    assert add(api, acme, value="https://bad.example/y").status_code == 201  # key free again
    r = add(api, auth["globex"], value="https://bad.example/y")
    assert r.status_code == 409 and "react to it instead" in r.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "pdq", "value": "abc"}, "pdq value must be 64 hexadecimal digits"),
        ({"value": "ftp://bad.example/x"}, "absolute http(s) URL"),
        ({"value": "/relative"}, "absolute http(s) URL"),
        ({"type": "domain", "value": "bad_domain!"}, "must be a hostname"),
        ({"type": "raw_text", "value": "   "}, "must not be empty"),
        ({"type": "raw_text", "value": "x" * 10_001}, "at most 10,000"),
        ({"status": "EVIL"}, "unknown status"),
        ({"type": "md5"}, "unknown indicator type"),
        ({"confidence": 101}, "confidence: Input should be less than or equal to 100"),
        ({"tags": ["not a slug"]}, "is not a slug"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "must be in the future"),
    ],
)
def test_bad_values_are_a_422_that_says_why(
    api: TestClient, auth: Headers, body: dict[str, Any], message: str
) -> None:
    r = add(api, auth["acme"], **body)
    assert r.status_code == 422, r.text
    assert message in r.json()["error"]["message"]


def test_values_are_stored_in_canonical_form(api: TestClient, auth: Headers) -> None:
    assert add(api, auth["acme"], type="pdq", value=PDQ).json()["value"] == PDQ.lower()
    long_text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(10_000))
    r = add(api, auth["acme"], type="raw_text", value=long_text)  # too big for a btree entry
    assert r.status_code == 201 and r.json()["value"] == long_text


def test_the_feed_over_http_and_every_partner_call_is_audited(
    api: TestClient, auth: Headers, engine: Engine
) -> None:
    acme = auth["acme"]

    def events() -> int:
        with engine.connect() as conn:
            return int(conn.execute(
                select(func.count()).where(AuditEventRow.actor.like("partner:acme#%"))
            ).scalar_one())  # fmt: skip

    ids = [add(api, acme, value=f"https://bad.example/{i}").json()["id"] for i in range(3)]
    calls: list[tuple[str, str, Any]] = [
        ("GET", "/api/exchange/groups", None),
        ("PATCH", f"/api/exchange/indicators/{ids[0]}", {"status": "SUSPICIOUS"}),
        ("POST", f"/api/exchange/indicators/{ids[1]}/reactions", {"reaction": "HELPFUL"}),
        ("DELETE", f"/api/exchange/indicators/{ids[2]}", None),
        ("GET", "/api/exchange/groups/shared/indicators", None),
    ]
    assert events() == 3
    for n, (method, path, body) in enumerate(calls, start=4):
        assert api.request(method, path, json=body, headers=acme).status_code == 200
        assert events() == n, path
    seen: dict[int, dict[str, Any]] = {}
    cursor = ""
    while True:
        before = events()
        page = api.get("/api/exchange/groups/shared/updates",
                       params={"cursor": cursor, "limit": 2}, headers=acme).json()  # fmt: skip
        assert events() == before + 1
        seen.update({d["id"]: d for d in page["data"]})
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert {i for i, d in seen.items() if not d["should_delete"]} == set(ids[:2])
    assert seen[ids[2]]["should_delete"] and seen[ids[1]]["reactions"] == {"HELPFUL": 1}
    last = api.get(f"/api/exchange/groups/shared/updates?cursor={cursor}", headers=acme).json()
    assert last == {"data": [], "cursor": cursor, "has_more": False}
    r = api.get("/api/exchange/groups/shared/updates?cursor=abc", headers=acme)
    assert r.status_code == 422 and "not a cursor" in r.text
    assert api.get("/api/exchange/groups/shared/updates?limit=0", headers=acme).status_code == 422
    assert verify_chain(engine) is None
