"""What the tests make: advertisers (with a card, a page, admins), pages, ads and tokens.

Two ways to make them, both through paidfor's own rules, never around them:

- over HTTP, for a test of the API or the pages: ``advertiser``, ``page``, ``card``,
  ``authorize``, ``submit`` take any client with ``post`` (FastAPI's ``TestClient``, an
  ``httpx.Client`` on a live server) and assert each call was answered as it should be;
- through the services (``paidfor.services.Services``), for a test of what lies under them:
  ``open_account`` and ``submit_ad``, ``staff_headers`` and ``token`` (``TokenService``).

An ad submitted either way goes through the review (classification, the political rules,
screening), as an advertiser's does. ``ad`` is the body of a submission; what a test changes
it passes as keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService

if TYPE_CHECKING:
    from paidfor.services import Services

CARD = "4242 4242 4242 4242"
POLITICAL = (
    "Vote for Jane Smith for Senate on November 6. Protect our elections, our voting rights "
    "and our democracy: register to vote and go to the polls."
)
COMMERCIAL = "Fresh roasted coffee beans delivered to your door. Order today and save 20%."
STAFF_ROLES = (Role.REVIEWER, Role.INVESTIGATOR, Role.PARTNER, Role.ADMIN)


class Client(Protocol):
    """A ``TestClient`` or an ``httpx.Client`` on a live server."""

    def post(self, url: str, **kw: Any) -> httpx.Response: ...


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def answered(r: httpx.Response, *codes: int) -> Any:
    """The JSON of an answer with one of ``codes`` (default 200 or 201), else a failure
    saying what was asked and answered."""
    assert r.status_code in (codes or (200, 201)), (r.request.method, r.request.url, r.text)
    return r.json()


# -- tokens ---------------------------------------------------------------------------------


def token(tokens: TokenService, role: Role, name: str | None = None, **kw: Any) -> str:
    """A new token of ``role`` (named ``test-ROLE`` unless ``name``); ``kw`` as
    ``TokenService.create`` takes them (``advertiser_id``, ``groups``)."""
    made, _who = tokens.create(role, name or f"test-{role}", **kw)
    return made


def staff_headers(
    tokens: TokenService, roles: tuple[Role, ...] = STAFF_ROLES
) -> dict[str, dict[str, str]]:
    """A bearer header for each of ``roles``, keyed by the role's name."""
    return {str(role): bearer(token(tokens, role)) for role in roles}


# -- advertisers over HTTP ------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """An advertiser account made over HTTP: its id, token, and the card and page made with
    it (row ids; ``None`` when not asked for)."""

    id: int
    token: str
    card: int | None = None
    page: int | None = None
    page_external_id: str | None = None

    @property
    def auth(self) -> dict[str, str]:
        """The bearer header of its token."""
        return bearer(self.token)


def auth_and_page(account: Account) -> tuple[dict[str, str], int]:
    """An account's bearer header and its page's id (made with it)."""
    assert account.page is not None, "the account was made without a page"
    return account.auth, account.page


def card(
    client: Client,
    auth: dict[str, str],
    *,
    currency: str = "USD",
    billing: str = "US",
    number: str = CARD,
) -> int:
    """A card added to the account of ``auth``: its id."""
    body = {"currency": currency, "billing_country": billing, "card_number": number}
    made = answered(client.post("/api/me/payment-instruments", json=body, headers=auth), 201)
    return int(made["id"])


def page(
    client: Client,
    auth: dict[str, str],
    name: str,
    *,
    country: str = "US",
    category: str | None = "Politician",
    admins: list[dict[str, Any]] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """A page of the account of ``auth`` (admins default: Jane, signing in from the US): the
    answer (``id``, ``page_id``, ...)."""
    body: dict[str, Any] = {"name": name, "country": country}
    if category is not None:
        body["category"] = category
    body["admins"] = admins if admins is not None else [admin("Jane", ["US"])]
    body.update(more)
    return dict(answered(client.post("/api/me/pages", json=body, headers=auth), 201))


def admin(name: str, login_countries: list[str]) -> dict[str, Any]:
    return {"name": name, "login_countries": login_countries}


def advertiser(
    client: Client,
    name: str = "Citizens for Jane",
    *,
    country: str = "US",
    with_card: bool = True,
    currency: str = "USD",
    billing: str = "US",
    with_page: bool = True,
    page_name: str | None = None,
    page_country: str | None = None,
    category: str | None = "Politician",
    admins: list[dict[str, Any]] | None = None,
) -> Account:
    """An advertiser account opened over HTTP (``POST /api/advertisers``), with a card
    (``currency``, ``billing``) and a page (``page_name`` default "NAME Page", in
    ``page_country`` default ``country``, with ``admins``) unless told not to."""
    made = answered(client.post("/api/advertisers", json={"name": name, "country": country}), 201)
    account = Account(id=int(made["advertiser"]["id"]), token=made["token"])
    card_id = card(client, account.auth, currency=currency, billing=billing) if with_card else None
    if not with_page:
        return Account(account.id, account.token, card_id)
    made_page = page(
        client, account.auth, page_name or f"{name} Page", country=page_country or country,
        category=category, admins=admins,
    )  # fmt: skip
    return Account(account.id, account.token, card_id, int(made_page["id"]), made_page["page_id"])


def authorize(
    client: Client,
    auth: dict[str, str],
    reviewer: dict[str, str] | None,
    *,
    country: str = "US",
    legal_name: str = "Jane Smith",
    residence_country: str | None = None,
    id_document_ref: str = "passport-123",
    funder: str = "Citizens for Jane",
    approve: bool = True,
    reason: str = "identity document checked",
) -> int:
    """Ask for authorization to run political ads in ``country`` and, with a ``reviewer``'s
    header, have it decided (approved unless ``approve`` is False): its id."""
    body = {"country": country, "legal_name": legal_name,
            "residence_country": residence_country or country,
            "id_document_ref": id_document_ref, "funder": funder}  # fmt: skip
    made = answered(client.post("/api/me/authorizations", json=body, headers=auth), 201)
    if reviewer is not None:
        answered(
            client.post(
                f"/api/review/authorizations/{made['id']}/decision",
                json={"approve": approve, "reason": reason},
                headers=reviewer,
            ),
            200,
        )
    return int(made["id"])


# -- ads ------------------------------------------------------------------------------------


def ad(page_id: int, text: str, **kw: Any) -> dict[str, Any]:
    """The body of a submission: a political ad (paid for by "Citizens for Jane") targeting
    the US from 1 December 2026, budget 500 USD; ``kw`` changes or adds fields."""
    body = {
        "page_id": page_id,
        "bodies": [text],
        "targeting": {"locations": [{"country": "US"}], "age_min": 18},
        "start": "2026-12-01T00:00:00Z",
        "budget": "500.00",
        "currency": "USD",
        "political": True,
        "paid_for_by": "Citizens for Jane",
    }
    body.update(kw)
    return body


def commercial(page_id: int, text: str = COMMERCIAL, **kw: Any) -> dict[str, Any]:
    """The body of a submission not declared political, without a "Paid for by"."""
    return ad(page_id, text, **{"political": False, "paid_for_by": None, **kw})


def submit(client: Client, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Submit an ad over HTTP (``POST /api/me/ads``): the review's answer."""
    return dict(answered(client.post("/api/me/ads", json=body, headers=auth), 201))


# -- through the services -------------------------------------------------------------------


def open_account(
    services: Services,
    name: str = "Citizens for Jane",
    *,
    country: str = "US",
    currency: str | None = "USD",
    billing: str = "US",
    page_name: str | None = None,
    category: str | None = "Politician",
    admins: list[dict[str, Any]] | None = None,
) -> Account:
    """An advertiser account opened through the services (``AccountService.open_account``),
    with a card unless ``currency`` is None and a page unless ``page_name`` is ""."""
    from paidfor.interfaces.http.api.intake_schemas import PageIn, PaymentIn

    adv, made, who = services.accounts.open_account(name, country)
    assert adv.id is not None
    intake = services.review.intake
    card_id = None
    if currency is not None:
        instrument = PaymentIn(currency=currency, billing_country=billing, card_number=CARD)
        stored = intake.add_payment_instrument(
            adv.id, instrument.to_domain(services.settings.secret_key or ""), actor=who.actor
        )
        card_id = stored.id
    if page_name == "":
        return Account(adv.id, made, card_id)
    body = PageIn(
        name=page_name or f"{name} Page", country=country, category=category,
        admins=admins if admins is not None else [admin("Jane", [country])],
    )  # fmt: skip
    made_page = intake.create_page(adv.id, body.to_domain(), actor=who.actor)
    assert made_page.id is not None
    return Account(adv.id, made, card_id, made_page.id, made_page.external_id)


def submit_ad(services: Services, account: Account, body: dict[str, Any]) -> tuple[int, Any]:
    """Submit an ad through the review service as ``account``: its id and the outcome."""
    from paidfor.interfaces.http.api.intake_schemas import AdIn

    who = services.tokens.authenticate(account.token)
    assert who is not None, "the account's token does not sign in"
    submission = AdIn.model_validate(body).submission()
    ad_id, outcome = services.review.submit(account.id, submission, actor=who.actor)
    return int(ad_id), outcome
