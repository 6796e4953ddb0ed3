"""Two companies, each running paidfor on loopback: A finds a network in a generated world,
takes it down and publishes its indicators to a group shared with B; B fetches them with
``paidfor exchange fetch``, and B's running server holds an ad of B's own that lands on the
network's domain, the staff's explanation naming A's indicator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import factories
import httpx
import pytest
from loopback import paidfor_serve

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.eval import world
from paidfor.storage.db import make_engine, migrate

CLI = [sys.executable, "-m", "paidfor"]


def cli(db: Path, *args: str) -> str:
    done = subprocess.run(
        [*CLI, *args],
        env={**os.environ, "PAIDFOR_DATABASE_URL": f"sqlite:///{db}"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"paidfor {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def token(db: Path, role: Role, name: str, groups: list[str] | None = None) -> dict[str, str]:
    engine = make_engine(f"sqlite:///{db}")
    try:
        secret, _ = TokenService(engine).create(role, name, groups=groups)
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


@contextmanager
def serve(db: Path, tmp: Path) -> Iterator[str]:
    env = {"PAIDFOR_DATABASE_URL": f"sqlite:///{db}", "PAIDFOR_SECRET_KEY": "s" * 32,
           "PAIDFOR_INDEX_DIR": str(tmp / f"index-{db.stem}")}  # fmt: skip
    with paidfor_serve(env, ready="/healthz") as url:
        yield url


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, (r.request.url, r.status_code, r.text)
    return r.json()


def pick_case(http: httpx.Client, who: dict[str, str]) -> tuple[int, str]:
    """The case most likely to be a real operation that has a landing domain to share."""
    cases = ok(http.get("/api/cases", params={"limit": 50}, headers=who))["cases"]
    for case in sorted(cases, key=lambda c: -(c["score"] or 0)):
        found = ok(http.get(f"/api/cases/{case['id']}/indicators", headers=who))
        domains = [i["value"] for i in found["indicators"] if i["type"] == "domain"]
        if domains:
            return case["id"], domains[0]
    pytest.fail(f"no case with a landing domain among {len(cases)}")


def test_a_takedown_at_a_protects_b(tmp_path: Path) -> None:
    a_db, b_db = tmp_path / "a.db", tmp_path / "b.db"
    for db in (a_db, b_db):
        engine = make_engine(f"sqlite:///{db}")
        migrate(engine)
        engine.dispose()
    # company A: a world with foreign networks, found and opened as cases
    world.write(tmp_path / "world.jsonl", seed=11, advertisers=400, networks=3)
    cli(a_db, "import", "native", str(tmp_path / "world.jsonl"))
    cli(a_db, "networks", "find", "--open-cases")
    cli(a_db, "exchange", "group", "create", "election-2026")
    investigator = token(a_db, Role.INVESTIGATOR, "ivy")
    partner_b = token(a_db, Role.PARTNER, "company-b", ["election-2026"])
    b_reviewer = token(b_db, Role.REVIEWER, "rita")
    with serve(a_db, tmp_path) as a_url, serve(b_db, tmp_path) as b_url:
        a = httpx.Client(base_url=a_url, timeout=60)
        case_id, domain = pick_case(a, investigator)
        ok(a.post(f"/api/cases/{case_id}/takedown", json={"reason": "a foreign operation"},
                  headers=investigator))  # fmt: skip
        shared = ok(a.post(f"/api/cases/{case_id}/publish",
                           json={"groups": ["election-2026"]}, headers=investigator))  # fmt: skip
        assert shared["shared"] > 0, shared
        published = ok(a.get("/api/exchange/groups/election-2026/indicators", headers=partner_b))
        ours = [i for i in published["data"] if i["type"] == "domain" and i["value"] == domain]
        assert len(ours) == 1 and ours[0]["owner"] == "paidfor", published
        assert f"case-{case_id}" in ours[0]["tags"] and ours[0]["status"] == "MALICIOUS"

        # company B, whose server is already running: fetch, then an ad on that domain
        secret = partner_b["Authorization"].removeprefix("Bearer ")
        cli(b_db, "exchange", "source", "add", "company-a", "--url", a_url, "--group",
            "election-2026", "--token", secret)  # fmt: skip
        fetched = json.loads(cli(b_db, "exchange", "fetch", "--json"))
        assert fetched["sources"][0]["added"] == len(published["data"]), fetched
        again = json.loads(cli(b_db, "exchange", "fetch", "--json"))
        assert again["sources"][0]["added"] == again["sources"][0]["updated"] == 0

        b = httpx.Client(base_url=b_url, timeout=60)
        acct = factories.advertiser(
            b, "Main Street Voices", page_name="Main Street Voices", category="Community",
            admins=[factories.admin("Sam", ["US"])],
        )  # fmt: skip
        me, page = factories.auth_and_page(acct)
        submitted = ok(b.post("/api/me/ads", headers=me, json={
            "page_id": page, "bodies": ["Fresh coffee and good company every morning."],
            "targeting": {"locations": [{"country": "US"}]}, "start": "2026-12-01T00:00:00Z",
            "budget": "50.00", "currency": "USD", "landing_url": f"https://{domain}/join",
        }), 201)  # fmt: skip
        assert submitted["decision"] == "held", submitted
        assert domain not in json.dumps(submitted)  # the advertiser learns nothing of it
        queue = ok(b.get("/api/review/queue", headers=b_reviewer))["held"]
        reasons = json.dumps([q["reasons"] for q in queue if q["ad_id"] == submitted["ad_id"]])
        assert f"domain {domain} matches indicator {ours[0]['id']} (MALICIOUS" in reasons
        assert "fetched from company-a" in reasons and "group election-2026" in reasons
