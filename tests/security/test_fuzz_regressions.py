"""One focused test for each bug the schemathesis run (``test_fuzz_api.py``) found, on SQLite
and PostgreSQL:

* an id past 2**63 - 1 in a path was an OverflowError (SQLite) or "bigint out of range"
  (PostgreSQL), a 500, on most routes with an id: now a 422 naming the parameter;
* text with the NUL character in a body, form field or path was a 500 on PostgreSQL (it
  cannot store NUL): now a 422 naming the field, on both databases;
* a body that is not valid UTF-8, an unknown path and the hub's missing pages and funders
  answered ``{"detail": ...}``, unlike every other error: now ``{"error": {"message"}}``;
* the downloads, the image and the disclosure package were documented as JSON: now their
  real media types;
* no error (401, 403, 404, 409, 413, 429 ...) was documented, and the 422 was documented as
  FastAPI's ``{"detail": [...]}``, which the app never sends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import advertiser, authorize
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.service import ExchangeService
from paidfor.interfaces.http.api.app import create_app
from paidfor.interfaces.http.api.contract import ERROR_SCHEMA
from paidfor.settings import Settings

TOO_BIG = 2**64
I64_MAX = 2**63 - 1


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(index_dir=str(tmp_path / "index"), secret_key="regressions-key-123")
    with TestClient(create_app(db_url, settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def admin(api: TestClient, engine: Engine) -> dict[str, str]:
    token, _ = TokenService(engine).create(Role.ADMIN, "regressions")
    return {"Authorization": f"Bearer {token}"}


def is_error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, (
        r.request.method,
        r.request.url.path,
        r.status_code,
        r.text[:300],
    )
    body = r.json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str), body
    assert body["error"].get("status", status) == status, body
    return dict(body["error"])


def id_routes(api: TestClient) -> list[tuple[str, str, str]]:
    """(method, path template, id parameter) of every route, in the schema or not, with an
    integer id in its path."""
    out = []
    for route in iter_route_contexts(api.app.routes):  # type: ignore[attr-defined]
        for name in re.findall(r"\{(\w+_id)\}", route.path):  # every *_id is an integer
            out.extend((m, route.path, name) for m in sorted(route.methods or ()) if m != "HEAD")
    return out


def test_ids_past_64_bits_are_a_422_on_every_route(api: TestClient, admin: dict[str, str]) -> None:
    routes = id_routes(api)
    assert len(routes) >= 25  # the API's, the hub's, the staff and advertiser pages'
    for method, template, name in routes:
        path = re.sub(
            r"\{(\w+)\}", lambda m, name=name: str(TOO_BIG if m[1] == name else 1), template
        )
        r = api.request(method, path, headers=admin, json={}, follow_redirects=False)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
        if r.status_code in (401, 403, 303):  # the advertiser's signed-in pages
            continue
        error = is_error(r, 422)
        assert name in error["message"] and "less than or equal to" in error["message"], error


@pytest.mark.parametrize("path", ["/api/pages/{}", "/api/funders/{}", "/api/ads/{}"])
def test_the_largest_id_is_a_plain_404(api: TestClient, path: str) -> None:
    error = is_error(api.get(path.format(I64_MAX)), 404)
    assert error["message"].startswith("no ")


def test_nul_in_a_json_body_is_a_422_naming_the_field(
    api: TestClient, admin: dict[str, str]
) -> None:
    r = api.post("/api/advertisers", json={"name": "Citizens\x00for Jane", "country": "US"})
    error = is_error(r, 422)
    assert error["fields"] == [
        {"field": "name", "problem": "must not contain the NUL character (U+0000)"}
    ]
    r = api.post(
        "/api/enforcement",
        headers=admin,
        json={"action": "remove_ad", "targets": [1], "reason": "spam", "x": {"k\x00": 1}},
    )
    assert is_error(r, 422)["fields"][0]["field"] == "x"
    # A backslash followed by "u0000" is text, not NUL: the body goes on to the route.
    r = api.post("/api/advertisers", json={"name": "C:\\u0000 Jane", "country": "US"})
    assert r.status_code == 201, r.text


def test_nul_in_a_form_field_or_a_path_is_a_422(
    api: TestClient, admin: dict[str, str], engine: Engine
) -> None:
    r = api.post(
        "/staff/review/authorizations/1",
        headers=admin,
        data={"decision": "approve", "reason": "checked\x00"},
    )
    assert is_error(r, 422)["fields"] == [
        {"field": "reason", "problem": "must not contain the NUL character (U+0000)"}
    ]
    ExchangeService(engine).create_group("shared", None, "test")
    r = api.get("/api/exchange/groups/sha%00red/indicators", headers=admin)
    assert is_error(r, 422)["fields"][0]["field"] == "path.name"
    assert api.get("/api/exchange/groups/shared/indicators", headers=admin).status_code == 200


def test_nul_in_a_review_reason_is_refused_before_anything_is_written(
    api: TestClient, admin: dict[str, str]
) -> None:
    me = advertiser(api, "Citizens for Jane", with_card=False, with_page=False).auth
    auth_id = authorize(api, me, None)  # left pending
    decision = f"/api/review/authorizations/{auth_id}/decision"
    r = api.post(decision, headers=admin, json={"approve": True, "reason": "ok\x00ok"})
    assert is_error(r, 422)["fields"][0]["field"] == "reason"
    pending = api.get("/api/review/authorizations?status=pending", headers=admin).json()
    assert [a["id"] for a in pending["authorizations"]] == [auth_id]  # nothing was decided
    r = api.post(decision, headers=admin, json={"approve": True, "reason": "documents checked"})
    assert r.status_code == 200, r.text


def test_framework_errors_have_the_error_shape(api: TestClient) -> None:
    r = api.post(
        "/api/advertisers",
        content=b'{"name": "\xff\xfe", "country": "US"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422)
    is_error(r, r.status_code)
    assert is_error(api.get("/no/such/path"), 404)["message"] == "Not Found"
    r = api.delete("/api/stats")
    assert is_error(r, 405)["message"] == "Method Not Allowed" and r.headers["allow"] == "GET"


def test_the_hubs_missing_pages_funders_and_elections_have_the_error_shape(
    api: TestClient,
) -> None:
    assert is_error(api.get("/api/pages/999"), 404)["message"] == "no such page"
    assert is_error(api.get("/api/funders/999"), 404)["message"] == "no such funder"
    r = api.get("/api/funders", params={"election": "999"})
    assert is_error(r, 404)["message"] == "no such election"
    assert "text/html" in api.get("/pages/999").headers["content-type"]  # the page stays HTML


def test_media_types_are_documented_as_sent(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()["paths"]

    def documented(path: str) -> set[str]:
        return set(spec[path]["get"]["responses"]["200"]["content"])

    assert documented("/search.csv") == {"text/csv"}
    assert documented("/search.parquet") == {"application/vnd.apache.parquet"}
    assert documented("/api/me/images/{image_hash}") == {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
    assert documented("/api/disclosures/{request_id}/package.zip") == {"application/zip"}
    assert api.get("/search.csv").headers["content-type"].startswith("text/csv")
    assert api.get("/search.parquet").headers["content-type"] == "application/vnd.apache.parquet"


def test_every_operation_documents_its_errors(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["components"]["schemas"]["Error"] == ERROR_SCHEMA
    for path, item in spec["paths"].items():
        for method, op in item.items():
            responses = op["responses"]
            assert "4XX" in responses, (method, path)
            assert responses["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
            if "422" in responses:
                assert responses["422"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
            if "text/html" in responses.get("200", {}).get("content", {}):
                assert "text/html" in responses["4XX"]["content"], path
    # and the 422 the app really sends conforms
    is_error(api.post("/api/advertisers", json={"name": ""}), 422)
    int_ids = spec["paths"]["/api/cases/{case_id}"]["get"]["parameters"][0]["schema"]
    assert (int_ids["minimum"], int_ids["maximum"]) == (1, I64_MAX)


def test_a_huge_offset_or_related_account_is_a_422_not_a_500(
    api: TestClient, admin: dict[str, str], engine: Engine
) -> None:
    """Found by the fuzz run: ``offset`` past 2**63 - 1 on the case and image lists, and a
    related account's id past it on a declared relationship, reached the database."""
    is_error(api.get(f"/api/cases?offset={TOO_BIG}", headers=admin), 422)
    assert api.get(f"/api/cases?offset={I64_MAX}", headers=admin).status_code == 200
    own = advertiser(api, "Probe Co", with_card=False, with_page=False).auth
    is_error(api.get(f"/api/me/images?offset={TOO_BIG}", headers=own), 422)
    body = {"related_advertiser_id": TOO_BIG, "relation": "managed_by"}
    is_error(api.post("/api/me/relationships", json=body, headers=own), 422)
    body["related_advertiser_id"] = I64_MAX
    is_error(api.post("/api/me/relationships", json=body, headers=own), 404)


@pytest.mark.parametrize("digits", ["9" * 25, str(2**63), "0" * 30 + "1"])
def test_an_archive_cursor_past_64_bits_is_graphs_400(api: TestClient, digits: str) -> None:
    """A forged ``after`` cursor naming an id no row can have is refused as an invalid
    cursor, as Graph does, not a 500 (it was a ValueError in the index query)."""
    import base64

    cursor = base64.urlsafe_b64encode(b"paidfor-archive:" + digits.encode()).decode().rstrip("=")
    r = api.get(f"/v19.0/ads_archive?ad_reached_countries=US&after={cursor}&fields=id")
    if int(digits) > I64_MAX:
        assert r.status_code == 400, r.text
        assert "Invalid cursor" in r.json()["error"]["message"]
    else:
        assert r.status_code == 200, r.text


def test_disclosure_filter_values_have_a_length_limit(
    api: TestClient, admin: dict[str, str]
) -> None:
    body = {"recipient": "A committee", "legal_basis": "subpoena", "purpose": "the inquiry"}
    for filters in ({"q": "x" * 10_000}, {"x" * 500: "a"}, {"page_id": list(range(1, 2002))}):
        r = api.post("/api/disclosures", json=body | {"filters": filters}, headers=admin)
        assert r.status_code == 422, (list(filters), r.text[:200])
