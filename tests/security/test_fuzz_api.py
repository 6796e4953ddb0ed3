"""schemathesis against the app's own OpenAPI schema, on SQLite and PostgreSQL.

Every operation in the schema, public and staff, is fuzzed with no token and with a token of
each role (advertiser, reviewer, investigator, partner, admin) on a small seeded database:
imported ads, an advertiser with a card, a page, a submitted ad, a political authorization
and an image, a case, a privacy group with indicators and a disclosure request. Cases are
generated from the schema (positive data for every role; negative data, which must be
refused with a 4xx, with the admin token, which passes every role check), and once more with
the path parameters pointing at the seeded rows, so the fuzzer also reaches the code behind
the 404s.

Every response is checked: no 5xx (and no exception out of the app), a documented status
code, a documented content type, and a body that conforms to the declared schema. A refusal is
one of ``paidfor.errors``'s kinds and no route turns anything else (a ``ValueError``) into a
4xx, so a bug is a failure here (``test_an_unexpected_exception_fails_the_fuzzing``).

The run is bounded and reproducible: Hypothesis is derandomized (the same cases on every
run), with ``MAX_EXAMPLES`` cases per operation, role and mode. A failure names the
operation, the role and a curl command to reproduce it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from factories import ad, advertiser, authorize, bearer, submit, token
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from integrity.test_cases import ACTOR, build_world, network_of
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.disclosure.keys import generate
from paidfor.exchange.service import ExchangeService
from paidfor.integrity.cases import CaseService
from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings

#: Generated cases per operation, role and mode (and the same again at the seeded ids).
MAX_EXAMPLES = 20
SECRET = "fuzz-secret-key-0123456789"
ROLES: tuple[str | None, ...] = (None, *(str(r) for r in Role))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class Fuzz:
    app: FastAPI
    schema: Any
    headers: dict[str | None, dict[str, str]]
    known: dict[str, Any]
    failures: list[str] = field(default_factory=list)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def seed(
    api: TestClient, engine: Engine
) -> tuple[dict[str | None, dict[str, str]], dict[str, Any]]:
    """The seeded rows (through the importer's writer, the services and the API itself), a
    token header for each role and the ids the path parameters may point at."""
    world = build_world(engine)
    case_id = CaseService(engine).open_case(network_of(world), ACTOR)
    ExchangeService(engine).create_group("shared", "the shared group", "test")

    def ok(r: Any, status: int = 201) -> Any:
        assert r.status_code == status, r.text
        return r.json()

    jane = advertiser(api, "Citizens for Jane", page_name="Jane Smith")
    me = jane.auth
    auth_id = authorize(api, me, None)  # left pending
    image = ok(
        api.post("/api/me/images", headers=me, files={"file": ("a.png", png(), "image/png")})
    )
    submitted = submit(api, me, ad(jane.page, "Vote for Jane Smith for Senate on November 6."))

    tokens = TokenService(engine)
    headers: dict[str | None, dict[str, str]] = {None: {}, "advertiser": me}
    for role in (Role.REVIEWER, Role.INVESTIGATOR, Role.PARTNER, Role.ADMIN):
        groups = ["shared"] if role is Role.PARTNER else None
        headers[str(role)] = bearer(token(tokens, role, f"fuzz-{role}", groups=groups))
    indicator = ok(
        api.post(
            "/api/exchange/indicators",
            headers=headers["partner"],
            json={
                "type": "url",
                "value": "https://bad.example/x",
                "status": "MALICIOUS",
                "tags": ["ira"],
                "confidence": 80,
                "group": "shared",
            },
        )
    )
    disclosure = ok(
        api.post(
            "/api/disclosures",
            headers=headers["investigator"],
            json={
                "case_id": case_id,
                "recipient": "House Intelligence Committee",
                "legal_basis": "subpoena",
                "purpose": "the committee's inquiry",
            },
        )
    )
    known = {
        "ad_id": submitted["ad_id"],
        "auth_id": auth_id,
        "case_id": case_id,
        "page_id": jane.page,
        "funder_id": 1,
        "indicator_id": indicator["id"],
        "name": "shared",
        "image_hash": image["hash"],
        "request_id": disclosure["id"],
        "version": "v19.0",
    }
    return headers, known


@pytest.fixture
def fuzz(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[Fuzz]:
    key, _ = generate(tmp_path / "keys" / "disclosure.pem")
    settings = Settings(
        index_dir=str(tmp_path / "index"),
        secret_key=SECRET,
        disclosure_key=str(key),
        disclosure_dir=str(tmp_path / "disclosures"),
        archive_rate_limit=1_000_000,  # the fuzzer reaches the routes, not their limits
        search_rate_limit=0,
        download_rate_limit=0,
    )
    with TestClient(create_app(db_url, settings)) as api:
        headers, known = seed(api, engine)
    app = create_app(db_url, settings)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        yield Fuzz(app, schema, headers, known)
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan: its engine, its index


def run_operation(
    fuzz: Fuzz, operation: Any, role: str | None, mode: schemathesis.GenerationMode, **fixed: Any
) -> None:
    """``MAX_EXAMPLES`` derandomized cases of ``operation``; a failure is recorded, not raised,
    so one run reports every operation that fails."""
    checks = list(CHECKS)
    if mode is schemathesis.GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)
    strategy = operation.as_strategy(generation_mode=mode, **fixed)

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def one(case: Any) -> None:
        case.call_and_validate(headers=fuzz.headers[role], checks=checks)

    try:
        one()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    except (Exception, BaseExceptionGroup) as exc:  # a check failed, or the app raised
        what = f"{operation.label} as {role or 'anonymous'} ({mode.value}"
        what += f", {fixed})" if fixed else ")"
        fuzz.failures.append(f"{what}:\n{exc}")


def operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_with_every_role(fuzz: Fuzz) -> None:
    ops = operations(fuzz.schema)
    assert len(ops) >= 45  # every documented route is here
    for operation in ops:
        params = [p.name for p in operation.path_parameters]
        at_seeded = {n: fuzz.known[n] for n in params if n in fuzz.known}
        for role in ROLES:
            run_operation(fuzz, operation, role, schemathesis.GenerationMode.POSITIVE)
            if at_seeded:
                run_operation(
                    fuzz,
                    operation,
                    role,
                    schemathesis.GenerationMode.POSITIVE,
                    path_parameters=at_seeded,
                )
        run_operation(fuzz, operation, "admin", schemathesis.GenerationMode.NEGATIVE)
    assert not fuzz.failures, f"{len(fuzz.failures)} failures:\n\n" + "\n\n".join(fuzz.failures)


TOO_BIG = 2**64  # past every signed 64-bit column


def integer_fields(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, list[str]]:
    """The integer inputs of an operation: its path and query parameters, and its JSON body's
    properties that are integers or lists of integers (``$ref`` and ``anyOf`` followed)."""

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def is_int(node: dict[str, Any]) -> bool:
        node = resolve(node)
        return node.get("type") == "integer" or any(is_int(n) for n in node.get("anyOf", []))

    out: dict[str, list[str]] = {"path": [], "query": [], "body": [], "body_list": []}
    for p in op.get("parameters", []):
        if p["in"] in ("path", "query") and is_int(p.get("schema", {})):
            out[p["in"]].append(p["name"])
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    props = resolve(body.get("schema", {})).get("properties", {})
    for name, node in props.items():
        node = resolve(node)
        if is_int(node):
            out["body"].append(name)
        elif any(is_int(n.get("items", {})) for n in [node, *node.get("anyOf", [])]):
            out["body_list"].append(name)
    return out


def integer_schemas(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer in the schema's inputs (parameters and request bodies, nested), with
    where it is."""

    def walk(node: Any, where: str, seen: frozenset[str]) -> Iterator[tuple[str, dict[str, Any]]]:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                if name not in seen:
                    yield from walk(spec["components"]["schemas"][name], name, seen | {name})
                return
            if node.get("type") == "integer":
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}", seen)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value, where, seen)

    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            label = f"{method.upper()} {path}"
            for p in op.get("parameters", []):
                yield from walk(p.get("schema", {}), f"{label} {p['name']}", frozenset())
            yield from walk(op.get("requestBody", {}), f"{label} body", frozenset())


def test_every_integer_input_is_bounded_where_it_is_parsed(fuzz: Fuzz) -> None:
    """Every integer a request may carry has a maximum no larger than a signed 64-bit
    column's, so a larger one is a 422 (or a Graph 400), never an overflow in a driver."""
    unbounded = sorted(
        where
        for where, node in integer_schemas(fuzz.app.openapi())
        # a bound of 2**63 - 1 is written as the float 2**63 in the schema
        if node.get("maximum", node.get("exclusiveMaximum", 2**64)) > float(2**63 - 1)
    )
    assert not unbounded, unbounded


def valid_bodies(known: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A body each operation with an integer body field takes (at the seeded rows)."""
    return {
        "POST /api/me/ads": {
            "page_id": known["page_id"],
            "bodies": ["Vote for Jane Smith for Senate on November 6."],
            "targeting": {"locations": [{"country": "US"}], "age_min": 18},
            "start": "2026-12-01T00:00:00Z",
            "budget": "500.00",
            "currency": "USD",
        },
        "POST /api/me/ads/{ad_id}/delivery": {
            "impressions": 10, "spend": "1.00", "currency": "USD", "reached_countries": ["US"],
        },
        "POST /api/review/ads/{ad_id}/decision": {"approve": True, "reason": "fine", "answers": 1},
        "POST /api/enforcement": {"action": "remove_ad", "targets": [1], "reason": "a policy"},
        "POST /api/me/relationships": {"related_advertiser_id": 1, "relation": "managed_by"},
        "POST /api/cases/{case_id}/marks": {
            "entity": f"page:{known['page_id']}", "verdict": "legitimate",
            "reason": "checked by hand", "relationship_id": 1,
        },
        "POST /api/exchange/indicators": {
            "type": "domain", "value": "bad.example", "group": "shared", "confidence": 50,
        },
        "PATCH /api/exchange/indicators/{indicator_id}": {"confidence": 50},
        "POST /api/disclosures": {
            "case_id": known["case_id"], "recipient": "A committee", "legal_basis": "subpoena",
            "purpose": "the inquiry",
        },
        "POST /api/ttpa/notifications": {
            "ad_id": known.get("ad_id", 1), "ground": "other",
            "explanation": "It has no label although it is political.",
        },
    }  # fmt: skip


def test_an_integer_past_64_bits_is_refused_everywhere(fuzz: Fuzz) -> None:
    """Every integer path id, query parameter and JSON body field, set to 2**64 in an
    otherwise valid request at the seeded rows, by the advertiser and by the admin (who
    passes every staff role check): refused with a 4xx, never a 5xx or an exception."""
    spec = fuzz.app.openapi()
    bodies = valid_bodies(fuzz.known)
    client = TestClient(fuzz.app, raise_server_exceptions=True)
    sent = 0
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            label = f"{method.upper()} {path}"
            fields = integer_fields(spec, op)
            at = {n: fuzz.known.get(n, 1) for n in re.findall(r"\{(\w+)\}", path)}
            if (fields["body"] or fields["body_list"]) and label not in bodies:
                fuzz.failures.append(f"{label}: give it a valid body in valid_bodies()")
                continue
            tries: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
            for name in fields["path"]:
                tries.append(({**at, name: TOO_BIG}, {}, bodies.get(label)))
            for name in fields["query"]:
                tries.append((at, {name: TOO_BIG}, bodies.get(label)))
            for name in fields["body"] + fields["body_list"]:
                bad = [TOO_BIG] if name in fields["body_list"] else TOO_BIG
                tries.append((at, {}, {**bodies[label], name: bad}))
            for values, query, body in tries:
                url = re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m[1]]), path)
                for who in ("advertiser", "admin"):
                    sent += 1
                    r = client.request(method.upper(), url, params=query, json=body,
                                       headers=fuzz.headers[who])  # fmt: skip
                    if not 400 <= r.status_code < 500:
                        fuzz.failures.append(f"{label} {query or body} as {who}: {r.status_code}")
    assert sent >= 60
    assert not fuzz.failures, "\n".join(fuzz.failures)


def test_an_unexpected_exception_fails_the_fuzzing(tmp_path: Path) -> None:
    """What the run above would make of a route that raised a bare ``ValueError`` (a bug:
    no route turns one into an answer any more) and of one that refused with the hierarchy's
    ``Invalid``: the first is a failure (a 500, or the exception out of the app), the second
    passes every check (its 422 is documented, in the documented error shape)."""
    from paidfor import errors
    from paidfor.storage.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    app = create_app(url, Settings(database_url=url, search_index=False))

    @app.get("/api/test/bug", summary="A route with a bug")
    def bug(n: int = 1) -> dict[str, int]:
        raise ValueError(f"a bug at {n}")

    @app.get("/api/test/refusal", summary="A route that refuses")
    def refusal(n: int = 1) -> dict[str, int]:
        raise errors.Invalid(f"n: {n} is not one the route takes")

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    fuzz = Fuzz(app, schema, {None: {}}, {})
    try:
        found = {op.label: op for op in operations(schema)}
        run_operation(
            fuzz, found["GET /api/test/refusal"], None, schemathesis.GenerationMode.POSITIVE
        )
        assert fuzz.failures == []
        run_operation(fuzz, found["GET /api/test/bug"], None, schemathesis.GenerationMode.POSITIVE)
        [failure] = fuzz.failures  # the exception out of the app, or a 500
        assert "GET /api/test/bug" in failure and "a bug at" in failure
    finally:
        asgi.shutdown_lifespans()
