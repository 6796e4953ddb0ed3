"""Fetched indicators at work on this server: a new ad landing on a shared domain is held for
a person, with the indicator named to staff and nothing of it told to the advertiser; the
retro-hunt holds a running ad once per new indicator, and a reviewer's decision sticks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from factories import COMMERCIAL, ad, advertiser, auth_and_page
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from exchange.test_fetch import Remote
from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.consume import HUNT_ACTOR, load_indicators, retro_hunt
from paidfor.exchange.fetch import check_source, fetch
from paidfor.exchange.fetch_store import FetchRepository
from paidfor.exchange.service import ExchangeService


@pytest.fixture
def remote(tmp_path: Path) -> Iterator[Remote]:
    r = Remote(tmp_path)
    yield r
    r.close()


@pytest.fixture
def reviewer(engine: Engine) -> dict[str, str]:
    token, _ = TokenService(engine).create(Role.REVIEWER, "rita")
    return {"Authorization": f"Bearer {token}"}


def pull(engine: Engine, remote: Remote) -> Any:
    repo = FetchRepository(engine)
    if not repo.sources():
        values = check_source("company-a", "paidfor", "http://testserver", "election-2026",
                              remote.token)  # fmt: skip
        repo.add_source(values, "cli:b", datetime.now(UTC))
    report = fetch(repo, repo.source("company-a"), actor="cli:b", client=remote.client)
    assert report.error is None, report.error
    return report


def commercial(page: int, url: str) -> dict[str, Any]:
    return ad(page, COMMERCIAL, political=False, paid_for_by=None, landing_url=url)


def test_a_new_ad_on_a_shared_domain_is_held(
    api: TestClient, engine: Engine, remote: Remote, reviewer: dict[str, str]
) -> None:
    who, page = auth_and_page(advertiser(api, "Coffee Co"))
    before = api.post("/api/me/ads", json=commercial(page, "https://shop.example/beans"),
                      headers=who).json()  # fmt: skip
    assert before["decision"] == "approved", before
    indicator = remote.add("blackmattersus.com", confidence=90, tags=["ira"])
    pull(engine, remote)
    r = api.post("/api/me/ads", json=commercial(page, "https://www.blackmattersus.com/join"),
                 headers=who)  # fmt: skip
    assert r.status_code == 201 and r.json()["decision"] == "held", r.json()
    told = str(r.json())
    assert "blackmattersus" not in told and "indicator" not in told  # the advertiser's view
    queue = api.get("/api/review/queue", headers=reviewer).json()["held"]
    assert [q["ad_id"] for q in queue] == [r.json()["ad_id"]]
    staff_view = str(queue[0]["reasons"])
    assert f"indicator {indicator}" in staff_view and "company-b" not in staff_view
    assert "shared by paidfor in group election-2026 fetched from company-a" in staff_view
    assert "domain blackmattersus.com" in staff_view


def test_the_retro_hunt_holds_running_ads_once(
    api: TestClient, engine: Engine, remote: Remote, reviewer: dict[str, str]
) -> None:
    who, page = auth_and_page(advertiser(api, "Coffee Co"))
    running = api.post("/api/me/ads", json=commercial(page, "https://fakenews.example/a"),
                       headers=who).json()  # fmt: skip
    other = api.post("/api/me/ads", json=commercial(page, "https://shop.example/b"),
                     headers=who).json()  # fmt: skip
    assert running["decision"] == other["decision"] == "approved"
    assert retro_hunt(engine, load_indicators(engine).indicators).ads_checked == 0  # none yet
    remote.add("fakenews.example")
    pull(engine, remote)
    report = retro_hunt(engine, load_indicators(engine).indicators)
    assert (report.ads_checked, report.ads_matched, report.held) == (2, 1, [running["ad_id"]])
    queue = api.get("/api/review/queue", headers=reviewer).json()["held"]
    assert [q["ad_id"] for q in queue] == [running["ad_id"]]
    assert "retro-hunt: domain fakenews.example matches indicator" in str(queue[0]["reasons"])
    mine = api.get(f"/api/me/ads/{running['ad_id']}", headers=who).json()
    told = str({k: v for k, v in mine.items() if k != "ad"})
    assert "integrity checks ask a person" in told
    assert "indicator" not in told and "retro-hunt" not in told and "company-a" not in told
    r = api.post(
        f"/api/review/ads/{running['ad_id']}/decision",
        json={"approve": True, "reason": "a satire site, checked"},
        headers=reviewer,
    )
    assert r.status_code == 200  # fmt: skip
    again = retro_hunt(engine, load_indicators(engine).indicators)
    assert again.held == [] and again.already == 1  # the person's decision sticks
    # a new indicator on the same ad opens it again
    remote.add("https://fakenews.example/a", type="url")
    pull(engine, remote)
    third = retro_hunt(engine, load_indicators(engine).indicators, actor=HUNT_ACTOR)
    assert third.held == [running["ad_id"]]


def test_own_indicators_count_too(api: TestClient, engine: Engine) -> None:
    who, page = auth_and_page(advertiser(api, "Coffee Co"))
    service = ExchangeService(engine)
    service.create_group("ours", None, "cli:b")
    service.add(service.staff("cli:b"), type="raw_text", group="ours", status="MALICIOUS",
                value=COMMERCIAL.upper(), confidence=60)  # fmt: skip
    r = api.post("/api/me/ads", json=commercial(page, "https://shop.example/beans"), headers=who)
    assert r.json()["decision"] == "held"
