"""The access matrix, on SQLite and PostgreSQL: every route of the app (walked from
``app.routes``, every method) tried without credentials and as each role, by API token and by
signed-in web session, against the expected answer written below in ``MATRIX``.

A route the app has without a row in ``MATRIX`` fails the test, naming it; so does a row for a
route the app no longer has. Path parameters are ids of objects ``seed_world`` made (an ad of
the advertiser, the partner's own privacy group, the investigator's own disclosure request...),
so "ok" means really allowed, not a 404; a probe that changes something and is expected to be
allowed gets a fresh object of its own (``FRESH``), so the probes do not depend on each other.

The columns, in order (``COLUMNS``): nobody; an API token (``Authorization: Bearer``) of the
advertiser, reviewer, investigator, partner and admin; then a web session (signed in at
``/advertiser/login`` or ``/staff/login``) of the advertiser, reviewer, investigator and admin,
sending the session's CSRF token as a staff form does. Each cell is ``ok`` (a 2xx answer, or a
303 that is not a sign-in redirect nor a refusal sent back to the form's ``#problem``),
``login`` (a 303 to a sign-in page), or the status expected. A session without its CSRF
token never changes anything: every POST, PATCH and DELETE that is not open to everyone is
also tried that way, and must be refused.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paidfor.auth.roles import Role
from paidfor.disclosure import keys
from paidfor.disclosure.service import DisclosureService, Who
from paidfor.domain import AuthorizationRequest
from paidfor.exchange.service import ExchangeService
from paidfor.integrity.cases import CaseService
from paidfor.integrity.detection_store import DetectionRepository
from paidfor.integrity.model import EntityKey, Evidence, Link, Member, Network
from paidfor.integrity.relationship_store import RelationshipRepository
from paidfor.review.election_store import ElectionRepository
from paidfor.review.intake_store import IntakeRepository
from paidfor.review.notification_store import NotificationRepository
from paidfor.review.notifications import NotificationService
from paidfor.storage.db import make_engine
from paidfor.storage.models import FunderRow
from paidfor.storage.repo import AdRepository
from security.test_leaks import FUNDER, SECRET, UNLIMITED, World, png, seed_world

COLUMNS = (
    "anon",
    "advertiser",
    "reviewer",
    "investigator",
    "partner",
    "admin",
    "advertiser@web",
    "reviewer@web",
    "investigator@web",
    "admin@web",
)

#: "METHOD path" -> one cell per column of COLUMNS.
#:          anon  adv  rev  inv  part adm | adv@ rev@ inv@ adm@
MATRIX: dict[str, str] = {
    "GET /openapi.json": "ok ok ok ok ok ok ok ok ok ok",
    "GET /docs": "ok ok ok ok ok ok ok ok ok ok",
    "GET /docs/swagger-init.js": "ok ok ok ok ok ok ok ok ok ok",
    "GET /redoc": "ok ok ok ok ok ok ok ok ok ok",
    "GET /{version}/ads_archive": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ads_archive": "ok ok ok ok ok ok ok ok ok ok",
    "GET /{version}/ads_archive/": "ok ok ok ok ok ok ok ok ok ok",
    "GET /staff/login": "ok ok ok ok ok ok ok ok ok ok",
    "POST /staff/login": "403 403 403 403 403 403 403 ok ok ok",
    "POST /staff/logout": "403 403 403 403 403 403 login login login login",
    "GET /staff": "401 403 ok ok 403 ok 401 ok ok ok",
    "POST /api/advertisers": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/me": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/me/payment-instruments": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/me/pages": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/me/authorizations": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/me/ads": "401 ok 403 403 403 404 401 403 403 404",
    "GET /api/me/ads/{ad_id}": "401 ok 403 403 403 ok 401 403 403 ok",
    "POST /api/me/ads/{ad_id}/delivery": "401 ok 403 403 403 ok 401 403 403 ok",
    "GET /api/review/queue": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/review/ads/{ad_id}/decision": "401 403 ok 403 403 ok 401 ok 403 ok",
    "GET /api/review/authorizations": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/review/authorizations/{auth_id}/decision": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/enforcement": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/me/relationships": "401 ok 403 403 403 404 401 403 403 404",
    "GET /api/me/relationships": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/me/relationships/{rel_id}/decision": "401 ok 403 403 403 404 401 403 403 404",
    "GET /api/review/relationships": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/review/relationships/{rel_id}/decision": "401 403 ok 403 403 ok 401 ok 403 ok",
    "GET /staff/review": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /staff/review/ads/{ad_id}": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /staff/review/authorizations/{auth_id}": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /staff/enforcement": "401 403 ok 403 403 ok 401 ok 403 ok",
    "GET /advertiser/signup": "ok ok ok ok ok ok ok ok ok ok",
    "POST /advertiser/signup": "403 403 403 403 403 403 ok ok ok ok",
    "GET /advertiser/login": "ok ok ok ok ok ok ok ok ok ok",
    "POST /advertiser/login": "403 403 403 403 403 403 ok ok ok ok",
    "POST /advertiser/logout": "403 403 403 403 403 403 login login login login",
    "GET /advertiser": "login login login login login login ok login login login",
    "GET /advertiser/cards": "login login login login login login ok login login login",
    "POST /advertiser/cards": "login login login login login login ok login login login",
    "GET /advertiser/pages": "login login login login login login ok login login login",
    "POST /advertiser/pages": "login login login login login login ok login login login",
    "GET /advertiser/authorizations": "login login login login login login ok login login login",
    "POST /advertiser/authorizations": "login login login login login login ok login login login",
    "GET /advertiser/ads": "login login login login login login ok login login login",
    "POST /advertiser/ads": "login login login login login login ok login login login",
    "GET /advertiser/ads/{ad_id}": "login login login login login login ok login login login",
    "GET /api/cases": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /api/cases/{case_id}": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /api/cases/{case_id}/takedown": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /api/cases/{case_id}/status": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /api/cases/{case_id}/indicators": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /api/cases/{case_id}/marks": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /api/findings/precision": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /api/cases/{case_id}/publish": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /api/exchange/groups": "401 403 403 ok ok ok 401 403 ok ok",
    "POST /api/exchange/indicators": "401 403 403 ok ok ok 401 403 ok ok",
    "PATCH /api/exchange/indicators/{indicator_id}": "401 403 403 ok ok ok 401 403 ok ok",
    "DELETE /api/exchange/indicators/{indicator_id}": "401 403 403 ok ok ok 401 403 ok ok",
    "POST /api/exchange/indicators/{indicator_id}/reactions": "401 403 403 ok ok ok 401 403 ok ok",
    "GET /api/exchange/groups/{name}/indicators": "401 403 403 ok ok ok 401 403 ok ok",
    "GET /api/exchange/groups/{name}/updates": "401 403 403 ok ok ok 401 403 ok ok",
    "POST /api/me/images": "401 ok 403 403 403 404 401 403 403 404",
    "GET /api/me/images": "401 ok 403 403 403 404 401 403 403 404",
    "GET /api/me/images/{image_hash}": "401 ok 403 403 403 404 401 403 403 404",
    "POST /api/disclosures": "401 403 403 ok 403 403 401 403 ok 403",
    "GET /api/disclosures": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /api/disclosures/{request_id}": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /api/disclosures/{request_id}/decision": "401 403 403 403 403 ok 401 403 403 ok",
    "POST /api/disclosures/{request_id}/build": "401 403 403 ok 403 403 401 403 ok 403",
    "GET /api/disclosures/{request_id}/package.zip": "401 403 403 ok 403 403 401 403 ok 403",
    "GET /staff/cases": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/cases/{case_id}": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/cases/{case_id}/takedown": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/cases/{case_id}/publish": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/cases/{case_id}/status": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/cases/{case_id}/marks": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/networks": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/networks/run": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/networks/{run_id}/{index}": "401 403 403 ok 403 ok 401 403 ok ok",
    "POST /staff/networks/{run_id}/{index}/case": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/entities/{kind}/{entity_id}": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/exchange": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/disclosures": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /staff/audit": "401 403 403 ok 403 ok 401 403 ok ok",
    "GET /": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/home": "ok ok ok ok ok ok ok ok ok ok",
    "GET /search": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/ads": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/search": "ok ok ok ok ok ok ok ok ok ok",
    "GET /search.csv": "ok ok ok ok ok ok ok ok ok ok",
    "GET /search.parquet": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ads/{ad_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/ads/{ad_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ads/{ad_id}/images/{image_hash}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ads/{ad_id}/notice": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/ads/{ad_id}/notice": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/ttpa/notice.schema.json": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ttpa/targeting-policy": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/ttpa/repository": "ok ok ok ok ok ok ok ok ok ok",
    "GET /ads/{ad_id}/notify": "ok ok ok ok ok ok ok ok ok ok",
    "POST /ttpa/notify": "403 403 403 403 403 403 ok ok ok ok",
    "GET /ttpa/notifications/status": "ok ok ok ok ok ok ok ok ok ok",
    "POST /ttpa/notifications/status": "403 403 403 403 403 403 ok ok ok ok",
    "POST /api/ttpa/notifications": "ok ok ok ok ok ok ok ok ok ok",
    "POST /api/ttpa/notifications/status": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/review/ttpa/notifications": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /api/review/ttpa/notifications/{notification_id}/decision": (
        "401 403 ok 403 403 ok 401 ok 403 ok"
    ),
    "GET /staff/notifications": "401 403 ok 403 403 ok 401 ok 403 ok",
    "POST /staff/notifications/{notification_id}": "401 403 ok 403 403 ok 401 ok 403 ok",
    "GET /pages/{page_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/pages/{page_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /funders": "ok ok ok ok ok ok ok ok ok ok",
    "GET /funders.csv": "ok ok ok ok ok ok ok ok ok ok",
    "GET /funders.parquet": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/funders": "ok ok ok ok ok ok ok ok ok ok",
    "GET /funders/{funder_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/funders/{funder_id}": "ok ok ok ok ok ok ok ok ok ok",
    "GET /api/stats": "ok ok ok ok ok ok ok ok ok ok",
    "GET /healthz": "ok ok ok ok ok ok ok ok ok ok",
}

CARD = {"currency": "USD", "billing_country": "US", "card_number": "4242 4242 4242 4242"}
COUNTRIES = itertools.cycle(
    [
        "FR",
        "DE",
        "IT",
        "ES",
        "CA",
        "AU",
        "NL",
        "SE",
        "NO",
        "DK",
        "FI",
        "IE",
        "PT",
        "AT",
        "BE",
        "PL",
        "CZ",
        "NZ",
        "JP",
        "MX",
    ]
)
COMMERCIAL = "Fresh roasted coffee beans delivered to your door. Order today and save 20%."
STAFF = frozenset({"reviewer", "investigator", "admin"})


@dataclass
class Ctx:
    client: TestClient
    engine: Engine
    world: World
    sessions: dict[str, tuple[str, str]]  # web column -> (cookie, csrf)
    serial: Iterator[int]

    def token(self, role: str) -> str:
        return self.world.tokens[role]

    def who(self, role: str) -> Who:
        tid = self.world.token_ids[role]
        return Who(f"{role}:t#{tid}", Role(role), tid)


def _reason(_c: Ctx, _col: str) -> dict[str, Any]:
    return {"reason": "coordinated inauthentic behaviour"}


#: "METHOD path" -> (how the body is sent, the body); routes without one send none.
Body = Callable[[Ctx, str], dict[str, Any]]


def _notification(c: Ctx) -> tuple[int, str, str]:
    """A fresh notification of the political ad: (id, receipt, secret)."""
    service = NotificationService(
        NotificationRepository(c.engine), AdRepository(c.engine), ElectionRepository(c.engine)
    )
    made, secret = service.notify(c.world.ids["political"], "other", "A probe's notification.")
    return made.id, made.receipt, secret


def _notification_status(c: Ctx, _col: str) -> dict[str, Any]:
    _, receipt, secret = _notification(c)
    return {"receipt": receipt, "secret": secret}


NOTIFICATION = {"ground": "other", "explanation": "A probe notifies this ad."}

BODIES: dict[str, tuple[str, Body]] = {
    "POST /ttpa/notify": (
        "form",
        lambda c, col: NOTIFICATION | {"ad_id": str(c.world.ids["political"])},
    ),
    "POST /ttpa/notifications/status": ("form", _notification_status),
    "POST /api/ttpa/notifications": (
        "json",
        lambda c, col: NOTIFICATION | {"ad_id": c.world.ids["political"]},
    ),
    "POST /api/ttpa/notifications/status": ("json", _notification_status),
    "POST /api/review/ttpa/notifications/{notification_id}/decision": (
        "json",
        lambda c, col: {"decision": "dismiss", "reason": "the notice is right"},
    ),
    "POST /staff/notifications/{notification_id}": (
        "form",
        lambda c, col: {"decision": "uphold", "reason": "the sponsor named is wrong"},
    ),
    "POST /staff/login": ("form", lambda c, col: {"token": c.token(role_of(col) or "reviewer")}),
    "POST /staff/logout": ("form", lambda c, col: {}),
    "POST /api/advertisers": ("json", lambda c, col: {"name": "Probe Co", "country": "US"}),
    "POST /api/me/payment-instruments": ("json", lambda c, col: CARD),
    "POST /api/me/pages": (
        "json",
        lambda c, col: {
            "name": "Probe Page",
            "country": "US",
            "admins": [{"name": "Ann", "login_countries": []}],
        },
    ),
    "POST /api/me/authorizations": (
        "json",
        lambda c, col: {
            "country": next(COUNTRIES),
            "legal_name": "Probe Co",
            "residence_country": "US",
            "id_document_ref": "doc-1",
            "funder": "Probe Fund",
        },
    ),
    "POST /api/me/ads": (
        "json",
        lambda c, col: {
            "page_id": c.world.ids["page"],
            "bodies": [COMMERCIAL],
            "targeting": {"locations": [{"country": "US"}]},
            "start": "2026-12-01T00:00:00Z",
            "budget": "10",
            "currency": "USD",
        },
    ),
    "POST /api/me/ads/{ad_id}/delivery": (
        "json",
        lambda c, col: {"impressions": 10, "spend": "1.00", "currency": "USD"},
    ),
    "POST /api/me/images": ("files", lambda c, col: {"file": ("a.png", png(7), "image/png")}),
    "POST /api/review/ads/{ad_id}/decision": (
        "json",
        lambda c, col: {"approve": True, "reason": "looks fine"},
    ),
    "POST /api/review/authorizations/{auth_id}/decision": (
        "json",
        lambda c, col: {"approve": True, "reason": "documents check out"},
    ),
    "POST /api/me/relationships": (
        "json",
        lambda c, col: {
            "related_advertiser_id": c.world.ids["advertiser2"],
            "relation": "managed_by",
        },
    ),
    "POST /api/me/relationships/{rel_id}/decision": (
        "json",
        lambda c, col: {"decision": "confirm"},
    ),
    "POST /api/review/relationships/{rel_id}/decision": (
        "json",
        lambda c, col: {"decision": "verify", "reason": "the filings name the chapter"},
    ),
    "POST /api/enforcement": (
        "json",
        lambda c, col: {
            "action": "remove_ad",
            "targets": [c.world.ids["removed"]],
            "reason": "policy breach",
        },
    ),
    "POST /staff/review/ads/{ad_id}": (
        "form",
        lambda c, col: {"decision": "approve", "reason": "looks fine"},
    ),
    "POST /staff/review/authorizations/{auth_id}": (
        "form",
        lambda c, col: {"decision": "approve", "reason": "documents check out"},
    ),
    "POST /staff/enforcement": (
        "form",
        lambda c, col: {
            "action": "remove_ad",
            "targets": str(c.world.ids["removed"]),
            "reason": "policy breach",
        },
    ),
    "POST /advertiser/signup": ("form", lambda c, col: {"name": "Probe Co", "country": "US"}),
    "POST /advertiser/login": ("form", lambda c, col: {"token": c.token("advertiser")}),
    "POST /advertiser/logout": ("form", lambda c, col: {}),
    "POST /advertiser/cards": ("form", lambda c, col: CARD),
    "POST /advertiser/pages": (
        "form",
        lambda c, col: {"name": "Probe Page", "country": "US", "admins": "Ann: US"},
    ),
    "POST /advertiser/authorizations": (
        "form",
        lambda c, col: {
            "country": next(COUNTRIES),
            "legal_name": "Probe Co",
            "residence_country": "US",
            "id_document_ref": "doc-1",
            "funder": "Probe Fund",
        },
    ),
    "POST /advertiser/ads": (
        "form",
        lambda c, col: {
            "page_id": str(c.world.ids["page"]),
            "body": COMMERCIAL,
            "countries": "US",
            "start": "2026-12-01T00:00",
            "budget": "10",
            "currency": "USD",
        },
    ),
    "POST /api/cases/{case_id}/takedown": ("json", _reason),
    "POST /api/cases/{case_id}/status": (
        "json",
        lambda c, col: {"status": "closed", "reason": "looks domestic"},
    ),
    "POST /api/cases/{case_id}/publish": ("json", lambda c, col: {"groups": ["leakgroup"]}),
    "POST /api/cases/{case_id}/marks": (
        "json",
        lambda c, col: {
            "entity": f"advertiser:{c.world.ids['advertiser2']}",
            "verdict": "legitimate",
            "reason": "a declared agency runs both",
        },
    ),
    "POST /staff/cases/{case_id}/takedown": ("form", _reason),
    "POST /staff/cases/{case_id}/publish": (
        "form",
        lambda c, col: {"groups": "leakgroup", "types": ["domain", "url", "raw_text"]},
    ),
    "POST /staff/cases/{case_id}/status": (
        "form",
        lambda c, col: {"status": "closed", "reason": "looks domestic"},
    ),
    "POST /staff/cases/{case_id}/marks": (
        "form",
        lambda c, col: {
            "entity": f"advertiser:{c.world.ids['advertiser2']}",
            "verdict": "confirmed",
            "reason": "pays in roubles",
        },
    ),
    "POST /api/exchange/indicators": (
        "json",
        lambda c, col: {
            "type": "raw_text",
            "value": f"probe text {next(c.serial)}",
            "group": "leakgroup",
        },
    ),
    "PATCH /api/exchange/indicators/{indicator_id}": (
        "json",
        lambda c, col: {"description": "seen again"},
    ),
    "POST /api/exchange/indicators/{indicator_id}/reactions": (
        "json",
        lambda c, col: {"reaction": "SAW_THIS_TOO"},
    ),
    "POST /api/disclosures": (
        "json",
        lambda c, col: {
            "case_id": c.world.ids["case"],
            "recipient": "Senate committee",
            "legal_basis": "subpoena",
            "purpose": "oversight of the election",
        },
    ),
    "POST /api/disclosures/{request_id}/decision": (
        "json",
        lambda c, col: {"approve": True, "reason": "lawful request"},
    ),
}


def role_of(col: str) -> str | None:
    return None if col == "anon" else col.removesuffix("@web")


# -- fresh objects for probes that change something ----------------------------------------


def held_ad(c: Ctx, _col: str) -> dict[str, Any]:
    r = c.client.post(
        "/api/me/ads",
        headers={"Authorization": f"Bearer {c.token('advertiser')}"},
        json={
            "page_id": c.world.ids["page"],
            "bodies": [COMMERCIAL],
            "landing_url": "https://held-beans.example/x",
            "targeting": {"locations": [{"country": "US"}]},
            "start": "2026-12-01T00:00:00Z",
            "budget": "10",
            "currency": "USD",
        },
    )
    assert r.status_code == 201 and r.json()["decision"] == "held", r.text
    return {"ad_id": r.json()["ad_id"]}


def pending_authorization(c: Ctx, _col: str) -> dict[str, Any]:
    rec = IntakeRepository(c.engine).request_authorization(
        c.world.ids["advertiser"],
        AuthorizationRequest(
            country=next(COUNTRIES),
            legal_name="Probe Co",
            residence_country="US",
            id_document_ref="doc-2",
            funder_name="Probe Fund",
        ),
        actor="test",
    )
    return {"auth_id": rec.id}


def declared_to_advertiser(c: Ctx, _col: str) -> dict[str, Any]:
    """A fresh declaration by the other advertiser naming the token's advertiser as related
    (an earlier one still open is refused first: one open declaration a pair)."""
    repo = RelationshipRepository(c.engine)
    mine, other = c.world.ids["advertiser"], c.world.ids["advertiser2"]
    for r in repo.list(involving=mine):
        if r.advertiser_id == other and r.relation == "member_of" and r.status != "refused":
            repo.decide(r.id, "refused", actor="test", by_staff=True)
    return {"rel_id": repo.declare(other, mine, "member_of", actor="test").id}


def detection_run(c: Ctx, _col: str) -> dict[str, Any]:
    """A finished detection run that found one network."""
    runs = DetectionRepository(c.engine)
    run_id = runs.start("investigator:test")
    runs.finish(run_id, {"networks": [_network(c).as_json()], "entities": 2, "seconds": 0.1})
    return {"run_id": run_id, "index": 0}


def _network(c: Ctx) -> Network:
    a = EntityKey("advertiser", c.world.ids["advertiser2"])
    b = EntityKey("page", c.world.ids["page2"])
    members = [Member(a, "Beans Ltd", 0.7, role="seed"), Member(b, "Bean Counters", 0.6)]
    return Network(members, [Link(a, b, 1.0, (Evidence("owner", "runs", 1.0, 2),))], 0.7, "x")


def open_case(c: Ctx, _col: str) -> dict[str, Any]:
    return {"case_id": CaseService(c.engine).open_case(_network(c), "investigator:test")}


def taken_down_case(c: Ctx, col: str) -> dict[str, Any]:
    case_id = open_case(c, col)["case_id"]
    CaseService(c.engine).take_down(case_id, actor="investigator:test", reason="network")
    return {"case_id": case_id}


def own_indicator(c: Ctx, col: str) -> dict[str, Any]:
    service = ExchangeService(c.engine)
    if role_of(col) in ("partner", "partner2"):
        tid = c.world.token_ids[str(role_of(col))]
        member = service.partner(tid, "partner", f"partner:t#{tid}")
    else:
        member = service.staff("investigator:test")
    made = service.add(member, type="raw_text", value=f"fresh {next(c.serial)}", group="leakgroup")
    return {"indicator_id": made.id}


def requested_disclosure(c: Ctx, _col: str) -> dict[str, Any]:
    req = DisclosureService(c.engine).request(
        c.who("investigator"),
        recipient="Senate committee",
        legal_basis="subpoena",
        purpose="oversight",
        case_id=c.world.ids["case"],
    )
    return {"request_id": req.id}


def approved_disclosure(c: Ctx, col: str) -> dict[str, Any]:
    found = requested_disclosure(c, col)
    DisclosureService(c.engine).decide(
        c.who("admin"), found["request_id"], approve=True, reason="lawful"
    )
    return found


#: Probes expected to change something get a fresh object of their own.
FRESH: dict[str, Callable[[Ctx, str], dict[str, Any]]] = {
    "POST /api/review/ads/{ad_id}/decision": held_ad,
    "POST /staff/review/ads/{ad_id}": held_ad,
    "POST /api/review/authorizations/{auth_id}/decision": pending_authorization,
    "POST /staff/review/authorizations/{auth_id}": pending_authorization,
    "POST /api/me/relationships/{rel_id}/decision": declared_to_advertiser,
    "POST /api/review/relationships/{rel_id}/decision": declared_to_advertiser,
    "POST /api/cases/{case_id}/takedown": open_case,
    "POST /api/cases/{case_id}/marks": open_case,
    "POST /api/cases/{case_id}/status": open_case,
    "POST /staff/cases/{case_id}/takedown": open_case,
    "POST /staff/cases/{case_id}/status": open_case,
    "POST /staff/cases/{case_id}/marks": open_case,
    "GET /staff/networks/{run_id}/{index}": detection_run,
    "POST /staff/networks/{run_id}/{index}/case": detection_run,
    "POST /api/cases/{case_id}/publish": taken_down_case,
    "POST /staff/cases/{case_id}/publish": taken_down_case,
    "PATCH /api/exchange/indicators/{indicator_id}": own_indicator,
    "DELETE /api/exchange/indicators/{indicator_id}": own_indicator,
    "POST /api/disclosures/{request_id}/decision": requested_disclosure,
    "POST /api/disclosures/{request_id}/build": approved_disclosure,
    "POST /api/review/ttpa/notifications/{notification_id}/decision": (
        lambda c, col: {"notification_id": _notification(c)[0]}
    ),
    "POST /staff/notifications/{notification_id}": (
        lambda c, col: {"notification_id": _notification(c)[0]}
    ),
}


def default_params(c: Ctx) -> dict[str, Any]:
    ids = c.world.ids
    return {
        "version": "v19.0",
        "ad_id": ids["political"],
        "auth_id": ids["pending_authorization"],
        "case_id": ids["case"],
        "indicator_id": ids["indicator"],
        "name": ids["group"],
        "image_hash": ids["image_hash"],
        "request_id": ids["disclosure"],
        "page_id": ids["page"],
        "funder_id": ids["funder"],
        "rel_id": 1,  # the probes that reach a relationship make their own (FRESH)
        "run_id": 1,  # ... and those that reach a detection run
        "index": 0,
        "kind": "advertiser",
        "entity_id": ids["advertiser"],
        "notification_id": ids["notification"],
    }


#: Queries some routes need to answer at all.
QUERIES = {
    "/{version}/ads_archive": "?ad_reached_countries=US",
    "/ads_archive": "?ad_reached_countries=US",
    "/{version}/ads_archive/": "?ad_reached_countries=US",
}

#: Refusals made inside the services, beyond the role checks: (route, path parameters, the
#: caller, the answer).
SERVICE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # a partner sees only its own groups; another group is as if it did not exist
    ("GET /api/exchange/groups/{name}/indicators", {"name": "othergroup"}, "partner", "404"),
    ("GET /api/exchange/groups/{name}/updates", {"name": "othergroup"}, "partner", "404"),
    ("GET /api/exchange/groups/{name}/indicators", {"name": "othergroup"}, "investigator", "ok"),
    ("GET /api/exchange/groups/{name}/indicators", {"name": "leakgroup"}, "partner2", "404"),
    # a partner changes only its own indicators
    ("PATCH /api/exchange/indicators/{indicator_id}", {}, "partner", "403"),
    ("DELETE /api/exchange/indicators/{indicator_id}", {}, "partner", "403"),
    # an indicator in another group is not there for a partner
    (
        "POST /api/exchange/indicators/{indicator_id}/reactions",
        {"indicator_id": "other_indicator"},
        "partner",
        "404",
    ),
    # a disclosure is its requester's: another investigator is refused
    ("GET /api/disclosures/{request_id}", {}, "investigator2", "403"),
    ("POST /api/disclosures/{request_id}/build", {}, "investigator2", "403"),
    ("GET /api/disclosures/{request_id}/package.zip", {}, "investigator2", "403"),
    # an advertiser sees only its own ads and images
    ("GET /api/me/ads/{ad_id}", {"ad_id": "running2"}, "advertiser", "404"),
    ("POST /api/me/ads/{ad_id}/delivery", {"ad_id": "running2"}, "advertiser", "404"),
    ("GET /advertiser/ads/{ad_id}", {"ad_id": "running2"}, "advertiser@web", "404"),
]


def route_keys(app: FastAPI) -> list[str]:
    """Every "METHOD path" the app answers (HEAD is GET's)."""
    keys = []
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                keys.append(f"{method} {route.path}")
    return keys


def sign_in(client: TestClient, col: str, token: str) -> tuple[str, str]:
    """The session cookie and CSRF token of a fresh sign-in as ``col``."""
    client.cookies.clear()
    where = "/advertiser" if col == "advertiser@web" else "/staff"
    form = client.get(f"{where}/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, form.text
    r = client.post(
        f"{where}/login", data={"token": token, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert r.status_code == 303, (col, r.status_code, r.text)
    home = client.get(where)
    assert home.status_code == 200, (col, home.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert csrf, home.text
    cookie = client.cookies.get("paidfor_session")
    assert cookie
    client.cookies.clear()
    return cookie, csrf.group(1)


def call(c: Ctx, key: str, col: str, params: dict[str, Any], *, csrf: bool = True) -> Any:
    method, path = key.split(" ", 1)
    url = path.format(**params) + QUERIES.get(path, "")
    headers: dict[str, str] = {}
    kind, make = BODIES.get(key, ("none", lambda _c, _col: {}))
    body = make(c, col)
    role = role_of(col)
    if col.endswith("@web"):
        cookie, token = c.sessions[col]
        headers["Cookie"] = f"paidfor_session={cookie}"
        if csrf:
            headers["X-CSRF-Token"] = token
            if kind == "form":
                body = {**body, "csrf": token}
    elif role is not None:
        headers["Authorization"] = f"Bearer {c.token(role)}"
    c.client.cookies.clear()
    kw: dict[str, Any] = {}
    if kind == "json":
        kw["json"] = body
    elif kind == "form":
        kw["data"] = body
    elif kind == "files":
        kw["files"] = body
    r = c.client.request(method, url, headers=headers, follow_redirects=False, **kw)
    c.client.cookies.clear()
    return r


def verdict(r: Any) -> str:
    """The cell a response fills: ok, login, or its status."""
    if r.status_code == 303:
        target = r.headers.get("location", "")
        if "/login" in target:
            return "login"
        return "303" if target.endswith("#problem") else "ok"
    if 200 <= r.status_code < 300:
        return "ok"
    return str(r.status_code)


# -- the test -------------------------------------------------------------------------------


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, make_api: Callable[..., TestClient]) -> Iterator[Ctx]:
    key, _public = keys.generate(tmp_path / "keys" / "disclosure.key")
    packages = str(tmp_path / "packages")
    engine = make_engine(db_url)
    with make_api(
        secret_key=SECRET, disclosure_key=str(key), disclosure_dir=packages, **UNLIMITED
    ) as client:
        world = seed_world(engine, client)
        with engine.connect() as conn:
            world.ids["funder"] = conn.execute(
                select(FunderRow.id).where(FunderRow.name == FUNDER)
            ).scalar_one()
        c = Ctx(client, engine, world, {}, itertools.count())
        for col in COLUMNS:
            if col.endswith("@web"):
                c.sessions[col] = sign_in(client, col, world.tokens[role_of(col) or ""])
        # the investigator's approved request, built: its package can be downloaded
        built = call(
            c,
            "POST /api/disclosures/{request_id}/build",
            "investigator",
            {"request_id": world.ids["disclosure"]},
        )
        assert built.status_code == 200, built.text
        yield c
    engine.dispose()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)


def header_problems(r: Any) -> list[str]:
    """What an answer lacks of the security headers (``interfaces.http.headers``): nosniff
    and a referrer policy on every answer; on HTML a CSP with no inline script and no
    framing, and no inline script in the page itself."""
    found = []
    if r.headers.get("x-content-type-options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if not r.headers.get("referrer-policy"):
        found.append("no Referrer-Policy")
    if r.headers.get("content-type", "").startswith("text/html"):
        csp = r.headers.get("content-security-policy", "")
        script = re.search(r"script-src ([^;]*)", csp)
        if not script or "unsafe-inline" in script.group(1) or "frame-ancestors 'none'" not in csp:
            found.append(f"HTML without a CSP that forbids inline script and framing: {csp!r}")
        if r.headers.get("x-frame-options") != "DENY":
            found.append("HTML without X-Frame-Options: DENY")
        inline = INLINE_SCRIPT.search(r.text)
        if inline:
            found.append(f"inline script in the page: {inline.group(0)!r}")
    return found


def test_every_route_answers_every_caller_as_the_matrix_says(ctx: Ctx) -> None:
    started = time.monotonic()
    app = ctx.client.app
    assert isinstance(app, FastAPI)
    keys = route_keys(app)
    missing = [k for k in keys if k not in MATRIX]
    gone = [k for k in MATRIX if k not in keys]
    assert not missing, f"routes without a row in MATRIX: {missing}"
    assert not gone, f"rows in MATRIX for routes the app no longer has: {gone}"
    assert not [k for k in FRESH if k not in MATRIX] and not [k for k in BODIES if k not in MATRIX]

    wrong: list[str] = []
    defaults = default_params(ctx)
    for key in keys:
        cells = MATRIX[key].split()
        assert len(cells) == len(COLUMNS), f"{key}: {len(cells)} cells, not {len(COLUMNS)}"
        for col, want in zip(COLUMNS, cells, strict=True):
            params = dict(defaults)
            if want == "ok" and key in FRESH:
                params.update(FRESH[key](ctx, col))
            r = call(ctx, key, col, params)
            got = verdict(r)
            if got != want:
                wrong.append(f"{key} as {col}: {got} (expected {want}) {r.text[:160]!r}")
            wrong.extend(f"{key} as {col}: {p}" for p in header_problems(r))
            # a session without its CSRF token changes nothing
            if col.endswith("@web") and key.split()[0] != "GET" and cells[0] != "ok":
                r = call(ctx, key, col, params, csrf=False)
                if verdict(r) not in ("401", "403", "login"):
                    wrong.append(f"{key} as {col} without CSRF: {verdict(r)}")
    for key, override, col, want in SERVICE_CASES:
        params = dict(defaults)
        params.update(
            {k: ctx.world.ids.get(v, v) if isinstance(v, str) else v for k, v in override.items()}
        )
        if want == "ok" and key in FRESH:
            params.update(FRESH[key](ctx, col))
        got = verdict(call(ctx, key, col, params))
        if got != want:
            wrong.append(f"{key} {override} as {col}: {got} (expected {want})")
    assert not wrong, "\n".join(wrong)
    assert time.monotonic() - started < 60
