"""The integrity step of the review, end to end through the API on both databases: a
submission paid in roubles, from a page whose admin signs in from Russia, targeting the US, is
held with the evidence in words; an ordinary one is not; the risk lands on the ad, private."""

from __future__ import annotations

from typing import Any

import pytest
from factories import ad, admin, advertiser, auth_and_page
from fastapi.testclient import TestClient


def _foreign_advertiser(api: TestClient) -> tuple[dict[str, str], int]:
    return auth_and_page(
        advertiser(
            api, "Being Patriotic", currency="RUB", billing="RU", admins=[admin("Ivan", ["RU"])]
        )
    )


def _integrity(review: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in review["reasons"] if r["step"] == "integrity"}


def test_a_foreign_submission_is_held_with_its_evidence(
    api: TestClient,
    staff: dict[str, dict[str, str]],
) -> None:
    auth, page = _foreign_advertiser(api)
    r = api.post(
        "/api/me/ads",
        json=ad(
            page,
            "Handmade leather boots with free shipping this week only. Order today.",
            political=False,
            paid_for_by=None,
        ),
        headers=auth,
    )
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["decision"] == "held", review
    assert [x["code"] for x in review["reasons"] if x["step"] == "integrity"] == [
        "integrity_review"
    ]
    assert "RUB" not in r.text
    found = _integrity(api.get("/api/review/queue", headers=staff["reviewer"]).json()["held"][0])
    assert found["risk"]["effect"] == "hold"
    assert "paid in RUB, billing country RU" in found["payment_country"]["message"]
    assert "Ivan signs in from RU" in found["admin_location"]["message"]
    queue = api.get("/api/review/queue", headers=staff["reviewer"]).json()["held"]
    assert [item["ad_id"] for item in queue] == [review["ad_id"]]
    (held,) = queue
    assert any("paid in RUB" in r["message"] for r in held["reasons"])
    # the advertiser learns a person will look, not which signal caught it
    own = api.get(f"/api/me/ads/{review['ad_id']}", headers=auth).json()
    told = [r for d in own["decisions"] for r in d["reasons"] if r["step"] == "integrity"]
    assert [r["code"] for r in told] == ["integrity_review"]
    assert "RUB" not in str(own) and "Ivan" not in str(own)
    # the public never sees the risk or its explanation
    public = api.get(f"/api/ads/{review['ad_id']}")
    assert public.status_code == 404 or "RUB" not in public.text


def test_an_ordinary_submission_passes_the_screen(api: TestClient) -> None:
    auth, page = auth_and_page(advertiser(api))
    r = api.post(
        "/api/me/ads",
        json=ad(page, "Fresh roasted coffee beans delivered to your door. Order today.",
                political=False, paid_for_by=None),
        headers=auth,
    )  # fmt: skip
    review = r.json()
    assert review["decision"] == "approved", review
    assert not _integrity(review)  # integrity notes stay with the integrity team


SCAM = (
    "Limited offer: the miracle weight loss tea that doctors do not want you to know about, "
    "order today and get two boxes free with fast shipping"
)


@pytest.mark.parametrize("slow_builds", [False, True], ids=["quick", "slow-rebuilds"])
def test_a_near_copy_of_a_removed_ad_is_held_naming_it(
    api: TestClient,
    staff: dict[str, dict[str, str]],
    slow_builds: bool,
) -> None:
    """Right after a takedown, a copy of the removed ad is held even where rebuilding what
    the screen knows is slow (a busy machine, many flagged entities): the submission waits for
    the rebuild the takedown started rather than be screened with the knowledge from before."""
    screen = api.app.state.services.screen  # type: ignore[attr-defined]
    assert screen.wait_ready(60)
    if slow_builds:
        screen.knowledge.inline_under = 0.0  # every rebuild runs in the background
    first, page = auth_and_page(advertiser(api, "Tea Shop One"))
    r = api.post(
        "/api/me/ads", json=ad(page, SCAM, political=False, paid_for_by=None), headers=first
    )
    removed = r.json()["ad_id"]
    assert r.json()["decision"] == "approved"
    r = api.post(
        "/api/enforcement",
        json={"action": "remove_ad", "targets": [removed], "reason": "deceptive health claims"},
        headers=staff["reviewer"],
    )
    assert r.status_code == 200, r.text
    second, other_page = auth_and_page(advertiser(api, "Tea Shop Two"))
    copy = SCAM.replace("two boxes", "three boxes")
    r = api.post(
        "/api/me/ads",
        json=ad(other_page, copy, political=False, paid_for_by=None),
        headers=second,
    )
    assert r.json()["decision"] == "held", r.json()
    (held,) = api.get("/api/review/queue", headers=staff["reviewer"]).json()["held"]
    found = _integrity(held)
    assert "removed_creative" in found, found
    assert f"similar to removed ad {removed}" in found["removed_creative"]["message"]
