"""The label of a political ad in the Union (art. 11(1) of Regulation (EU) 2024/900) on every
card that shows the ad, on SQLite and PostgreSQL: the home page, the search, the advertiser's
page and the funder's page (the hub), computed by the one rule (``review.transparency``) for a
whole list of cards at once, in as many queries for twenty cards as for one; an ad aimed
outside the Union carries none."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from factories import bearer, submit, token
from fastapi.testclient import TestClient
from review.test_ttpa_flow import ad, declaration, sponsor
from sqlalchemy import Engine, event

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.domain import Election
from paidfor.review.declaration_store import DeclarationRepository
from paidfor.review.election_store import ElectionRepository
from paidfor.review.transparency import TransparencyService
from paidfor.storage.repo import AdRepository

LABEL = re.compile(r'<div class="ttpa-label"[^>]*>.*?href="/ads/(\d+)/notice"', re.S)


@pytest.fixture
def reviewer(api: TestClient, engine: Engine) -> dict[str, str]:
    return bearer(token(TokenService(engine), Role.REVIEWER))


@pytest.fixture
def vote(engine: Engine) -> int:
    stored = ElectionRepository(engine).add(
        Election(country="DE", name="Landtagswahl 2027", date=date(2027, 6, 6), level="regional"),
        actor="test",
    )
    assert stored.id is not None
    return stored.id


def eu_ads(api: TestClient, reviewer: dict[str, str], vote: int, n: int) -> tuple[list[int], int]:
    """``n`` approved EU political ads of one sponsor's page, linked to the vote, and a
    commercial ad of the same page aimed at the US only: (the EU ads, the other)."""
    auth, page = sponsor(api, reviewer)
    made = []
    for i in range(n):
        body = ad(page, declaration(linked_election_id=vote),
                  bodies=[f"Ad {i}: vote for Anna Muster on 6 June."])  # fmt: skip
        review = submit(api, auth, body)
        assert review["decision"] == "approved", review
        made.append(review["ad_id"])
    plain = {
        "page_id": page, "bodies": ["Fresh bread every morning at Muster's bakery."],
        "targeting": {"locations": [{"country": "US"}]}, "start": "2027-04-01T00:00:00Z",
        "stop": "2027-05-01T00:00:00Z", "budget": "10", "currency": "EUR",
    }  # fmt: skip
    review = submit(api, auth, plain)
    assert review["decision"] == "approved", review
    return made, review["ad_id"]


def labelled(html: str) -> set[int]:
    """The ads whose label the page shows (each label links its ad's notice)."""
    return {int(x) for x in LABEL.findall(html)}


def test_every_card_of_an_eu_political_ad_carries_its_label(
    api: TestClient, reviewer: dict[str, str], vote: int
) -> None:
    made, plain = eu_ads(api, reviewer, vote, 2)
    shown = api.get(f"/api/ads/{made[0]}").json()
    page_id, funder_id = shown["page_id"], shown["funder_id"]
    assert page_id is not None and funder_id is not None
    for url in ("/", "/search", f"/pages/{page_id}", f"/funders/{funder_id}"):
        r = api.get(url)
        assert r.status_code == 200, (url, r.text)
        assert labelled(r.text) == set(made), url
        assert "Sponsor: Anna Muster" in r.text and "Landtagswahl 2027" in r.text, url
        # the card of the ad aimed outside the Union, where the page lists it, has no label
        card = re.search(rf'<article class="card" aria-labelledby="ad-{plain}-title">.*?</article>',
                         r.text, re.S)  # fmt: skip
        assert card is None or "ttpa-label" not in card.group(0), url
    # the advertiser's page lists both kinds of ads it runs now
    assert f'id="ad-{plain}-title"' in api.get(f"/pages/{page_id}").text


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs while the test looks."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def test_the_labels_of_a_list_take_no_query_per_card(
    api: TestClient, reviewer: dict[str, str], vote: int, engine: Engine, statements: list[str]
) -> None:
    made, plain = eu_ads(api, reviewer, vote, 4)
    service = TransparencyService(
        AdRepository(engine), DeclarationRepository(engine), ElectionRepository(engine)
    )
    statements.clear()
    one = service.labels(made[:1])
    for_one = len(statements)
    statements.clear()
    many = service.labels([*made, plain, 999_999])
    assert len(statements) == for_one, statements  # the same queries for five cards as for one
    assert set(one) == set(made[:1]) and set(many) == set(made)
    label = many[made[1]]
    assert label.sponsor == "Anna Muster"
    assert label.linked_to == "Landtagswahl 2027 (DE, 2027-06-06)"
    assert service.labels([]) == {}
