"""What every route promises, beside what each one does (found by fuzzing the OpenAPI schema,
``tests/security/test_fuzz_api.py``):

* ``refuse_nul``: no text with the NUL character reaches the database. PostgreSQL cannot
  store it in a text or JSON column (SQLite can), so a JSON body, a form field or a path
  segment that holds one is a 422 naming the field, the same answer on both databases,
  instead of an error inside the driver.
* ``document_errors``: the OpenAPI schema documents the errors the routes give: every client
  error (``4XX``, and the 422 of a bad body) is ``{"error": {"message", ...}}`` (as JSON,
  or an HTML page for the routes that answer with HTML), so a client, or schemathesis, can
  check every answer against the schema.
* ``document_answers``: every operation's answers are documented whole (issue 20): a 503
  (the database cannot answer) beside the client errors; a body that is not JSON (an HTML
  page, a CSV or Parquet file, an image, a zip) its schema (a string; bytes for a file) and,
  for text, an example; and a public route says so (``security: []``), beside the routes
  behind ``deps.require``, which declare the bearer token and the staff session.
* ``http_error``: the errors FastAPI and Starlette raise themselves (a body that cannot be
  decoded, an unknown path, a method a path does not take) answer in that same shape rather
  than as ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from paidfor.interfaces.http.api import responses as public_models
from paidfor.interfaces.http.api import responses_cases as case_models
from paidfor.interfaces.http.api import responses_review as review_models
from paidfor.interfaces.http.api import responses_ttpa as ttpa_models
from paidfor.interfaces.http.api.responses import examples_of, keep_examples

NUL = "\x00"
NUL_PROBLEM = "must not contain the NUL character (U+0000)"

#: Every client error's body (the details besides ``message`` vary by route: ``status``,
#: ``param``, ``fields``; the Graph API's ``type``, ``code``, ``fbtrace_id``).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {
                "message": {"type": "string"},
                "status": {"type": "integer"},
                "param": {"type": "string"},
                "fields": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string"},
                            "problem": {"type": "string"},
                        },
                    },
                },
                "type": {"type": "string"},
                "code": {"type": "integer"},
            },
        }
    },
}
ERROR_SCHEMA["examples"] = [{"error": {"message": "no such ad", "status": 404}}]
ERROR_REF = {"$ref": "#/components/schemas/Error"}

#: The examples of bodies that are not JSON, by media type (a file's bytes have none).
TEXT_EXAMPLES: dict[str, str] = {
    "text/html": '<!doctype html><html lang="en"><head><title>paidfor</title></head>…</html>',
    "text/csv": "id,page_name,page_id,paid_for_by,ad_creative_bodies,…\r\n1,Black Matters,…\r\n",
}
BINARY = {"type": "string", "format": "binary"}
UNAVAILABLE = {
    "description": "The database cannot answer just now (a restart, a lost connection): "
    "try again after `Retry-After` seconds",
    "content": {"application/json": {"schema": ERROR_REF}},
}


def _nul_at(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """Where in a decoded JSON value (or a string) the first NUL is, or None."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_at(key, path) or _nul_at(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_at(item, (*path, i))
            if found is not None:
                return found
    return None


def _refuse(loc: tuple[str | int, ...]) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "msg": NUL_PROBLEM, "type": "value_error"}])


async def refuse_nul(request: Request) -> None:
    """A route dependency: 422 if a path parameter, a JSON body or a form field holds NUL."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise _refuse(("path", name))
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        raw = await request.body()  # FastAPI has read it already: this is the same bytes
        if b"\\u0000" not in raw:  # JSON can only spell NUL that way
            return
        try:
            decoded = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return  # not JSON: the route's own validation answers
        where = _nul_at(decoded, ("body",))
        if where is not None:
            raise _refuse(where)
    elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        for name, value in form.multi_items():
            if isinstance(value, str) and NUL in value:
                raise _refuse(("body", name))


async def http_error(_request: Request, exc: Exception) -> Response:
    """An ``HTTPException`` as ``{"error": {"message", "status"}}``, its headers kept."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    body = {"error": {"message": str(exc.detail), "status": exc.status_code}}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def document_errors(app: FastAPI) -> None:
    """Document every route's client errors in ``app``'s OpenAPI schema (see the module)."""
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = base()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        as_json = {"application/json": {"schema": ERROR_REF}}
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                html = any(
                    "text/html" in (r.get("content") or {})
                    for code, r in responses.items()
                    if code.startswith("2")
                )
                content: dict[str, Any] = dict(as_json)
                if html:  # the page's own error page; a malformed request is still JSON
                    content["text/html"] = {"schema": {"type": "string"}}
                if "422" in responses:
                    responses["422"] = {
                        "description": "A bad parameter or body",
                        "content": as_json,
                    }
                responses.setdefault(
                    "4XX", {"description": "A client error, in words", "content": content}
                )
        document_answers(schema)
        keep_examples(schema, examples_of(public_models, review_models, case_models, ttpa_models))
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_answers(schema: dict[str, Any]) -> None:
    """``schema`` with the 503, the non-JSON bodies and the public routes' ``security``
    documented (see the module)."""
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            responses = operation["responses"]
            responses.setdefault("503", UNAVAILABLE)
            operation.setdefault("security", [])  # none: a public route
            for code, response in responses.items():
                for media, content in (response.get("content") or {}).items():
                    if not code.startswith("2"):
                        continue
                    if "$ref" in content.get("schema", {}):  # the model alone, no siblings
                        content["schema"] = {"$ref": content["schema"]["$ref"]}
                    if "json" in media:
                        continue
                    if media.startswith("text/"):
                        content["schema"] = {"type": "string"}
                        content.setdefault("example", TEXT_EXAMPLES.get(media, ""))
                    else:
                        content["schema"] = BINARY


def install_contract(app: FastAPI) -> None:
    """``refuse_nul`` on every route (call it before adding any), ``http_error`` and
    ``document_errors``."""
    app.router.dependencies.append(Depends(refuse_nul))
    app.add_exception_handler(HTTPException, http_error)
    document_errors(app)


__all__ = [
    "ERROR_SCHEMA",
    "document_answers",
    "document_errors",
    "http_error",
    "install_contract",
    "refuse_nul",
]
