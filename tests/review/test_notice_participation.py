"""Section 10 of the transparency notice, art. 12(1)(h) of Regulation (EU) 2024/900: for a
political ad linked to a specific election or referendum, a link to official information on how
to take part in it (the election's recorded page, ``source_url``); for one linked to a
legislative or regulatory process only, or to nothing, it does not apply. Through the HTTP API
on SQLite and PostgreSQL, in JSON (valid against the published schema, checked by a real
validator too) and in HTML (a link only for an http(s) address, ``domain.urls.link_of``)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator
from sqlalchemy import Engine

from paidfor.domain import Ad, Election
from paidfor.domain.targeting import Location, Targeting
from paidfor.domain.ttpa import (
    FundingOrigin,
    FundingSource,
    SponsorDeclaration,
    SponsorKind,
    SponsorStatus,
)
from paidfor.review.election_store import ElectionRepository
from paidfor.review.notice import NOTICE_SCHEMA, NOTICE_VERSION, SECTIONS, notice_of
from review.test_ttpa_flow import ART_12_1_ORDER, ad, declaration, problems, reviewer, sponsor, vote

__all__ = ["reviewer", "vote"]  # fixtures of test_ttpa_flow, used here


def eu_ad(api: TestClient, reviewer: dict[str, str], **said: Any) -> int:
    auth, page = sponsor(api, reviewer)
    r = api.post("/api/me/ads", headers=auth, json=ad(page, declaration(**said)))
    assert r.json()["decision"] == "approved", r.text
    return int(r.json()["ad_id"])


def valid(api: TestClient, notice: dict[str, Any]) -> None:
    schema = api.get("/api/ttpa/notice.schema.json").json()
    assert problems(notice, schema) == []
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(notice)]
    assert errors == []


def section_html(html: str, number: int) -> str:
    """The HTML of the notice's section ``number`` (its ``<li value=N>``, up to the next)."""
    found = re.search(rf'<li value="{number}">(.*?)(?=<li value="{number + 1}">|</ol>)', html, re.S)
    assert found, f"no section {number}"
    return found.group(1)


def test_the_sections_follow_art_12_1_with_h_after_g() -> None:
    assert [n for n, _, _ in SECTIONS] == list(range(1, 15))
    assert tuple(k for _, k, _ in SECTIONS) == ART_12_1_ORDER
    assert NOTICE_VERSION == 3 and NOTICE_SCHEMA["properties"]["notice_version"] == {"const": 3}
    prefix = NOTICE_SCHEMA["properties"]["sections"]["prefixItems"]
    assert [p["properties"]["key"]["const"] for p in prefix] == list(ART_12_1_ORDER)
    assert prefix[9]["properties"]["number"] == {"const": 10}
    assert NOTICE_SCHEMA["properties"]["sections"]["minItems"] == 14


def test_an_ad_linked_to_an_election_links_official_information_on_taking_part(
    api: TestClient, reviewer: dict[str, str], vote: int
) -> None:
    ad_id = eu_ad(api, reviewer, linked_election_id=vote)
    notice = api.get(f"/api/ads/{ad_id}/notice").json()
    valid(api, notice)
    assert notice["notice_version"] == 3
    tenth = notice["sections"][9]
    assert (tenth["number"], tenth["key"]) == (10, "participation")
    assert tenth["value"]["applies"] is True
    assert tenth["value"]["links"] == [{"name": "Testwahl 2027", "country": "DE",
                                        "date": "2027-06-06",
                                        "url": "https://www.bundeswahlleiterin.de/"}]  # fmt: skip

    html = api.get(f"/ads/{ad_id}/notice").text
    tenth_html = section_html(html, 10)
    assert tenth["title"] in tenth_html
    assert re.search(r'<a href="https://www\.bundeswahlleiterin\.de/" rel="[^"]*noopener[^"]*">'
                     r"How to take part in Testwahl 2027</a>", tenth_html), tenth_html  # fmt: skip
    # in its place: after the linked election (9), before the repository (11)
    assert html.index('<li value="9">') < html.index('<li value="10">')
    assert html.index('<li value="10">') < html.index('<li value="11">')
    assert "The European repository" in section_html(html, 11)
    assert "Whether targeting" in section_html(html, 14)


def test_it_does_not_apply_to_an_ad_linked_to_a_process(
    api: TestClient, reviewer: dict[str, str]
) -> None:
    ad_id = eu_ad(api, reviewer, linked_process="the Berlin rent law")
    notice = api.get(f"/api/ads/{ad_id}/notice").json()
    valid(api, notice)
    value = notice["sections"][9]["value"]
    assert value["applies"] is False and value["links"] == []
    assert value["text"].startswith("Does not apply") and "process" in value["text"]
    tenth_html = section_html(api.get(f"/ads/{ad_id}/notice").text, 10)
    assert "Does not apply" in tenth_html and "<a " not in tenth_html


def test_it_does_not_apply_to_an_ad_linked_to_nothing() -> None:
    decl = SponsorDeclaration(
        status=SponsorStatus.EU_CITIZEN, sponsor_kind=SponsorKind.NATURAL_PERSON,
        sponsor_name="Anna", sponsor_email="a@example.org", sponsor_address="-",
        sponsor_country="DE", funding_source=FundingSource.PRIVATE,
        funding_origin=FundingOrigin.INSIDE,
    )  # fmt: skip
    plain = Ad(source="native", external_id="z", targeting=Targeting([Location("DE")]), id=3)
    notice = notice_of(plain, decl, None, "/api/ads/3/notice")
    assert problems(notice, NOTICE_SCHEMA) == []
    assert list(Draft202012Validator(NOTICE_SCHEMA).iter_errors(notice)) == []
    value = notice["sections"][9]["value"]
    assert value == {
        "applies": False,
        "links": [],
        "text": "Does not apply: the political advertisement is not linked to a specific "
        "election or referendum.",
    }


def test_an_election_page_that_is_not_a_link_is_not_linked(
    api: TestClient, reviewer: dict[str, str], engine: Engine
) -> None:
    """An election stored with a page that is no http(s) address (written around the command
    line's check): the notice names the election, says no page is recorded, links nothing."""
    stored = ElectionRepository(engine).add(
        Election(country="DE", name="Altwahl 2027", date=date(2027, 6, 13),
                 level="local", source_url="javascript:alert(1)"),
        actor="test",
    )  # fmt: skip
    ad_id = eu_ad(api, reviewer, linked_election_id=stored.id)
    notice = api.get(f"/api/ads/{ad_id}/notice").json()
    valid(api, notice)
    value = notice["sections"][9]["value"]
    assert value["applies"] is True and value["links"][0]["url"] is None
    assert "No page of official information is recorded for Altwahl 2027" in value["text"]
    tenth_html = section_html(api.get(f"/ads/{ad_id}/notice").text, 10)
    assert "Altwahl 2027" in tenth_html and "javascript" not in tenth_html
    assert "<a " not in tenth_html
