"""The OpenAPI schema is complete (issue 20): every operation documents a body for each status
it answers with a success, with an example, and says who may call it.

* Every 2xx answer has a schema that says something (a model, not ``{}``); a JSON one an
  example (on its model or its media type), a text one an example, a file ``format: binary``.
* Every example is valid against the schema it illustrates (``jsonschema_rs``, the components
  resolved as the document resolves them).
* Every operation has ``security``: the bearer token or the staff session for the routes
  behind ``deps.require`` (declared in ``components.securitySchemes``), ``[]`` for public
  ones; and the declaration is true: without credentials a secured operation answers 401 and
  a public one does not.

Whether the answers keep to these schemas is schemathesis's response-schema conformance
check in ``tests/security/test_fuzz_api.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema_rs import Draft202012Validator

from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings

SECURED = [{"bearerToken": []}, {"staffSession": []}]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from paidfor.storage.db import make_engine, migrate

    path = tmp_path_factory.mktemp("openapi") / "paidfor.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield create_app(url, Settings(database_url=url, search_index=False))


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    return dict(app.openapi())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, op in item.items():
            yield method, path, op


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The schema a ``$ref`` chain ends at, with the examples met on the way."""
    met = list(node.get("examples", []))
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
        met += node.get("examples", [])
    return {**node, "examples": met} if met else node


def test_every_success_has_a_schema_and_an_example(spec: dict[str, Any]) -> None:
    missing: list[str] = []
    count = 0
    for method, path, op in operations(spec):
        count += 1
        label = f"{method.upper()} {path}"
        successes = {c: r for c, r in op["responses"].items() if c.startswith("2")}
        if not successes:
            missing.append(f"{label}: no success documented")
        for code, response in successes.items():
            content = response.get("content") or {}
            if not content:
                missing.append(f"{label} {code}: no content")
            for media, body in content.items():
                schema = body.get("schema") or {}
                where = f"{label} {code} {media}"
                resolved = resolve(spec, schema)
                said = {k for k in resolved if k not in ("title", "description")}
                if not said:
                    missing.append(f"{where}: an empty schema")
                elif "json" in media:
                    if "example" not in body and not resolved.get("examples"):
                        missing.append(f"{where}: no example")
                elif media.startswith("text/"):
                    if not body.get("example"):
                        missing.append(f"{where}: no example")
                elif resolved.get("format") != "binary":
                    missing.append(f"{where}: a file that is not format: binary")
    assert count >= 60
    assert not missing, "\n".join(missing)


def examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    for name, schema in spec["components"]["schemas"].items():
        for value in schema.get("examples", []):
            yield name, schema, value
    for method, path, op in operations(spec):
        for code, response in op["responses"].items():
            for media, body in (response.get("content") or {}).items():
                if "example" in body and "json" in media:
                    yield f"{method} {path} {code}", body["schema"], body["example"]


def test_every_example_is_valid_against_its_schema(spec: dict[str, Any]) -> None:
    found = list(examples(spec))
    assert len(found) >= 40
    bad = []
    for where, schema, value in found:
        root = {**schema, "components": spec["components"]}
        errors = list(Draft202012Validator(root).iter_errors(value))
        if errors:
            bad.append(f"{where}: {errors[0].message} at {list(errors[0].instance_path)}")
    assert not bad, "\n".join(bad)


def test_an_invalid_example_is_caught(spec: dict[str, Any]) -> None:
    """The check above can fail: an example without a required field is not valid."""
    schema = spec["components"]["schemas"]["SearchAnswer"]
    value = dict(schema["examples"][0])
    del value["total"]
    root = {**schema, "components": spec["components"]}
    assert list(Draft202012Validator(root).iter_errors(value))


def test_the_security_schemes_are_the_ones_the_routes_use(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerToken"]["description"],
    }
    assert schemes["staffSession"]["in"] == "cookie"
    assert schemes["staffSession"]["name"] == "paidfor_session"
    for method, path, op in operations(spec):
        assert "security" in op, f"{method.upper()} {path}"
        assert op["security"] in ([], SECURED), f"{method.upper()} {path}: {op['security']}"


def test_the_declared_security_is_true(app: Any, spec: dict[str, Any]) -> None:
    """Without credentials, every secured operation answers 401 and no public one does."""
    wrong: list[str] = []
    secured = 0
    with TestClient(app) as client:
        for method, path, op in operations(spec):
            url = re.sub(r"\{(\w+)\}", lambda m: "v19.0" if m[1] == "version" else "1", path)
            status = client.request(method.upper(), url).status_code
            if op["security"]:
                secured += 1
                if status != 401:
                    wrong.append(f"{method.upper()} {path}: secured, answered {status}")
            elif status == 401:
                wrong.append(f"{method.upper()} {path}: public, answered 401")
    assert secured >= 40
    assert not wrong, "\n".join(wrong)


def test_the_search_declares_every_parameter_it_takes(spec: dict[str, Any]) -> None:
    """The search's query parameters in the schema are ``LibraryQuery``'s fields, no more, no
    fewer (a typed client can send each one)."""
    from dataclasses import fields

    from paidfor.library.search import LibraryQuery

    taken = {f.name for f in fields(LibraryQuery)}
    for path in ("/search", "/api/search", "/search.csv", "/search.parquet"):
        declared = {p["name"] for p in spec["paths"][path]["get"]["parameters"]}
        assert declared == taken, path
