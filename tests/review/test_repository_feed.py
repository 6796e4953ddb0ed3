"""The feed of transparency notices for the European repository (art. 13 of Regulation (EU)
2024/900), through the HTTP API on SQLite and PostgreSQL: every EU political ad's notice, valid
against the published schema, ordered by the ads' change stamp; a reader that keeps the cursor
gets nothing twice until an ad changes (its delivery, its removal, the election it is linked
to) and then gets that ad's new notice; ads without a notice (outside the Union, refused) never
appear; paging with ``limit`` and ``paging.next`` reads them all."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from factories import submit
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paidfor.review.election_store import ElectionRepository
from review.test_ttpa_flow import ad, declaration, problems, reviewer, sponsor, vote

__all__ = ["reviewer", "vote"]  # fixtures of test_ttpa_flow, used here
FEED = "/api/ttpa/repository"


def read(api: TestClient, url: str) -> dict[str, Any]:
    r = api.get(url)
    assert r.status_code == 200, r.text
    return r.json()


def ids(page: dict[str, Any]) -> list[int]:
    return [entry["notice"]["ad_id"] for entry in page["data"]]


def test_the_feed_sends_every_notice_and_each_again_when_its_ad_changes(
    api: TestClient, reviewer: dict[str, str], engine: Engine, vote: int
) -> None:
    auth, page = sponsor(api, reviewer)
    made = []
    for n in range(3):
        said = declaration(
            linked_election_id=vote if n == 0 else None,
            linked_process=None if n == 0 else f"law {n}",
        )
        review = submit(api, auth, ad(page, said))
        assert review["decision"] == "approved", review
        made.append(review["ad_id"])
    # no notice: an ad refused (no declaration) and one aimed only outside the Union
    refused = api.post("/api/me/ads", headers=auth, json=ad(page, None)).json()
    assert refused["decision"] == "rejected"
    us_only = api.post("/api/me/ads", headers=auth, json=ad(
        page, declaration(linked_process="law"), targeting={"locations": [{"country": "US"}],
                                                            "age_min": 18})).json()  # fmt: skip

    first = read(api, FEED)
    assert ids(first) == made
    schema = api.get(first["schema"]).json()
    for entry in first["data"]:
        assert problems(entry["notice"], schema) == []
    assert refused["ad_id"] not in ids(first) and us_only["ad_id"] not in ids(first)

    # page by page, following paging.next, the same notices
    seen, url = [], f"{FEED}?limit=1"
    for _ in range(10):
        page_ = read(api, url)
        if not page_["data"] and page_["cursor"] == first["cursor"]:
            break
        seen += ids(page_)
        url = page_["paging"]["next"]
    assert seen == made

    cursor = first["cursor"]
    assert read(api, f"{FEED}?after={cursor}")["data"] == []  # nothing changed since

    # delivery recorded: that ad's notice again, with its amounts
    delivery = {"impressions": 700, "spend": "42.00", "currency": "EUR"}
    assert (
        api.post(f"/api/me/ads/{made[1]}/delivery", json=delivery, headers=auth).status_code == 200
    )
    changed = read(api, f"{FEED}?after={cursor}")
    assert ids(changed) == [made[1]]
    amounts = {s["key"]: s["value"] for s in changed["data"][0]["notice"]["sections"]}["amounts"]
    assert amounts == {"total": "42.00", "currency": "EUR"}

    # the linked election corrected by an administrator: its ad's notice again
    cursor = changed["cursor"]
    elections = ElectionRepository(engine)
    stored = elections.get(vote)
    assert stored is not None
    elections.add(replace(stored, source_url="https://www.bundeswahlleiterin.de/neu"), actor="t")
    corrected = read(api, f"{FEED}?after={cursor}")
    assert ids(corrected) == [made[0]]
    # its section 10 (art. 12(1)(h)) links the corrected page
    participation = corrected["data"][0]["notice"]["sections"][9]
    assert participation["key"] == "participation"
    assert participation["value"]["links"][0]["url"] == "https://www.bundeswahlleiterin.de/neu"

    # removed for breaking the rules: again, saying so
    cursor = read(api, f"{FEED}?after={cursor}")["cursor"]
    r = api.post(
        "/api/enforcement",
        headers=reviewer,
        json={"action": "remove_ad", "targets": [made[2]], "reason": "breaks the rules"},
    )
    assert r.status_code == 200, r.text
    removed = read(api, f"{FEED}?after={cursor}")
    assert ids(removed) == [made[2]]
    suspended = removed["data"][0]["notice"]["sections"][12]["value"]
    assert suspended["suspended_or_discontinued"] is True


def test_a_bad_cursor_is_refused(api: TestClient) -> None:
    for bad in ("x", "1", "1.2.3", "-1.0", "9" * 30 + ".1"):
        assert api.get(f"{FEED}?after={bad}").status_code == 422, bad
    assert api.get(f"{FEED}?limit=101").status_code == 422
    assert read(api, FEED) == {
        "format": "paidfor transparency notices (Regulation (EU) 2024/900, art. 13)",
        "schema": "/api/ttpa/notice.schema.json",
        "data": [],
        "cursor": "0.0",
        "paging": {"next": f"{FEED}?after=0.0&limit=50"},
    }
