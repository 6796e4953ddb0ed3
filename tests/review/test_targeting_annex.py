"""The targeting annex of a transparency notice (art. 19 of Regulation (EU) 2024/900, through
art. 12): derived from the ad's stored targeting and delivery, valid against its schema for any
targeting, never publishing a custom audience's name; and, through the HTTP API on SQLite and
PostgreSQL, a targeted EU ad's notice carries it in JSON and HTML and links the platform's
targeting policy, while an untargeted ad's notice has none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from paidfor.domain import Ad, Delivery, Range
from paidfor.domain.targeting import Location, Targeting
from paidfor.domain.ttpa import (
    FundingOrigin,
    FundingSource,
    SponsorDeclaration,
    SponsorKind,
    SponsorStatus,
)
from paidfor.review.notice import NOTICE_SCHEMA, notice_of
from paidfor.review.targeting_annex import ANNEX_SCHEMA, TARGETING_POLICY_PATH, annex_of
from review.test_ttpa_flow import ad, declaration, problems, reviewer, sponsor, vote

__all__ = ["reviewer", "vote"]  # fixtures of test_ttpa_flow, used here

words = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x250), min_size=1, max_size=20)
locations = st.builds(Location, country=st.sampled_from(["DE", "FR", "AT"]),
                      region=st.none() | words, city=st.none() | words,
                      radius_km=st.none() | st.integers(1, 80))  # fmt: skip
targetings = st.builds(
    Targeting,
    locations=st.lists(locations, min_size=1, max_size=3),
    excluded_locations=st.lists(locations, max_size=2),
    age_min=st.none() | st.integers(16, 65),
    age_max=st.none() | st.integers(18, 65),
    genders=st.lists(st.sampled_from(["male", "female"]), max_size=2, unique=True),
    languages=st.lists(words, max_size=2),
    interests=st.lists(words, max_size=4),
    behaviors=st.lists(words, max_size=2),
    custom_audiences=st.lists(st.from_regex(r"audience-[0-9]{6}", fullmatch=True), max_size=3),
)


@given(targetings, st.none() | st.integers(0, 10**9))
def test_the_annex_is_valid_for_any_targeting_and_names_no_audience(
    t: Targeting, impressions: int | None
) -> None:
    made = Ad(source="native", external_id="x", targeting=t,
              delivery=Delivery(impressions=impressions), id=1)  # fmt: skip
    annex = annex_of(made)
    assert problems(annex, ANNEX_SCHEMA) == []
    text = str(annex)
    assert not any(name in text for name in t.custom_audiences)
    assert annex["parameters"]["custom_audiences"] == len(t.custom_audiences)
    assert annex["parameters"]["interests"] == t.interests
    assert annex["recipients"]["impressions"] == impressions
    assert annex["recipients"]["people_reached"] is None  # paidfor does not know it
    assert annex["policy_url"] == TARGETING_POLICY_PATH


def test_the_annex_says_what_it_does_not_know() -> None:
    t = Targeting(locations=[Location("DE", region="Bayern", city="München")], age_min=18,
                  interests=["Gardening"], custom_audiences=["Spenderliste Juni"])  # fmt: skip
    when = datetime(2027, 4, 1, tzinfo=UTC)
    annex = annex_of(Ad(source="native", external_id="y", targeting=t, start_at=when, id=2))
    assert annex["groups"][0] == "people in München, Bayern, DE"
    assert annex["personal_data_categories"] == [
        "location (where a person is or lives, as the platform knows it)", "age",
        "interests the platform inferred from a person's activity on it",
        "membership of a list the sponsor supplied (a custom audience)",
    ]  # fmt: skip
    assert annex["period"] == {"start": "2027-04-01", "end": None}
    assert "not known" in annex["recipients"]["text"]
    assert annex["withheld"] and "Spenderliste" not in str(annex)
    delivered = Delivery(impressions=5400, estimated_audience_size=Range(1000, 5000))
    again = annex_of(Ad(source="native", external_id="y", targeting=t, delivery=delivered, id=2))
    assert again["recipients"]["impressions"] == 5400
    assert again["recipients"]["estimated_audience"] == {"lower_bound": 1000, "upper_bound": 5000}


def test_a_targeted_eu_ads_notice_carries_the_annex(
    api: TestClient, reviewer: dict[str, str], engine: Engine, vote: int
) -> None:
    auth, page = sponsor(api, reviewer)
    targeting: dict[str, Any] = {
        "locations": [{"country": "DE", "region": "Berlin", "city": "Berlin"}],
        "age_min": 18, "age_max": 44, "genders": ["female"], "languages": ["de"],
        "interests": ["Öffentlicher Nahverkehr"], "custom_audiences": ["Spenderliste 2026"],
    }  # fmt: skip
    made = api.post(
        "/api/me/ads",
        headers=auth,
        json=ad(page, declaration(linked_election_id=vote), targeting=targeting),
    )
    assert made.json()["decision"] == "approved", made.text
    ad_id = made.json()["ad_id"]
    delivery = {"impressions": 2500, "spend": "80.00", "currency": "EUR"}
    assert api.post(f"/api/me/ads/{ad_id}/delivery", json=delivery, headers=auth).status_code == 200

    notice = api.get(f"/api/ads/{ad_id}/notice").json()
    assert problems(notice, api.get("/api/ttpa/notice.schema.json").json()) == []
    assert notice["notice_version"] == 3
    annex = {s["key"]: s["value"] for s in notice["sections"]}["targeting"]["annex"]
    assert annex["parameters"]["locations"] == ["Berlin, Berlin, DE"]
    assert annex["parameters"]["interests"] == ["Öffentlicher Nahverkehr"]
    assert (annex["parameters"]["age_min"], annex["parameters"]["age_max"]) == (18, 44)
    assert annex["parameters"]["custom_audiences"] == 1
    assert annex["recipients"]["impressions"] == 2500
    assert annex["period"] == {"start": "2027-04-01", "end": "2027-05-01"}

    html = api.get(f"/ads/{ad_id}/notice").text
    assert "Targeting annex (art. 19)" in html and "Öffentlicher Nahverkehr" in html
    assert f'href="{TARGETING_POLICY_PATH}"' in html
    for text in (html, str(notice)):
        assert "Spenderliste" not in text  # an audience's name is the sponsor's label
    policy = api.get(TARGETING_POLICY_PATH)
    assert policy.status_code == 200 and "art. 19(1)(a)" in policy.text


def test_an_ad_shown_to_its_countries_alone_has_no_annex() -> None:
    decl = SponsorDeclaration(
        status=SponsorStatus.EU_CITIZEN, sponsor_kind=SponsorKind.NATURAL_PERSON,
        sponsor_name="Anna", sponsor_email="a@example.org", sponsor_address="-",
        sponsor_country="DE", funding_source=FundingSource.PRIVATE,
        funding_origin=FundingOrigin.INSIDE, linked_process="the Berlin rent law",
    )  # fmt: skip
    plain = Ad(source="native", external_id="z", targeting=Targeting([Location("DE")]), id=3)
    notice = notice_of(plain, decl, None, "/api/ads/3/notice")
    assert problems(notice, NOTICE_SCHEMA) == []
    assert notice["sections"][13]["key"] == "targeting"
    assert notice["sections"][13]["value"]["used"] is False
    assert notice["sections"][13]["value"]["annex"] is None


def test_the_schema_holds_the_annex() -> None:
    section = NOTICE_SCHEMA["properties"]["sections"]["prefixItems"][13]
    assert section["properties"]["number"] == {"const": 14}
    assert section["properties"]["value"]["properties"]["annex"] is ANNEX_SCHEMA
