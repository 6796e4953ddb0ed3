"""One error hierarchy (``paidfor.errors``): each context's refusals are one of its kinds,
carry its HTTP status and exit code, and one handler answers any the routes let through."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paidfor import errors
from paidfor.disclosure.export import ScopeError
from paidfor.disclosure.service import Forbidden, WrongState
from paidfor.disclosure.store import NoSuchRequest
from paidfor.exchange import model as exchange
from paidfor.integrity.case_store import CaseConflict
from paidfor.library.archive_params import ArchiveParamError
from paidfor.settings import Settings, SettingsError
from paidfor.storage.authorization_repo import NotFound as NoAuthorization
from paidfor.storage.intake_repo import Conflict as DecidedFirst
from paidfor.storage.relationship_repo import Conflict as RelationshipConflict


@pytest.mark.parametrize(
    ("refusal", "kind"),
    [
        (exchange.Invalid, errors.Invalid),
        (exchange.NotFound, errors.NotFound),
        (exchange.NotOwner, errors.Forbidden),
        (exchange.Conflict, errors.Conflict),
        (NoAuthorization, errors.NotFound),
        (NoSuchRequest, errors.NotFound),
        (DecidedFirst, errors.Conflict),
        (RelationshipConflict, errors.Conflict),
        (CaseConflict, errors.Conflict),
        (WrongState, errors.Conflict),
        (Forbidden, errors.Forbidden),
        (ScopeError, errors.Invalid),
        (ArchiveParamError, errors.Invalid),
        (SettingsError, errors.Invalid),
    ],
)
def test_each_contexts_refusal_is_one_kind_of_the_hierarchy(
    refusal: type[Exception], kind: type[errors.PaidforError]
) -> None:
    assert issubclass(refusal, kind)


def test_the_kinds_carry_distinct_statuses_and_exit_codes() -> None:
    kinds = [errors.Invalid, errors.NotFound, errors.Forbidden, errors.Conflict,
             errors.Unavailable]  # fmt: skip
    assert [k.http_status for k in kinds] == [422, 404, 403, 409, 503]
    assert len({k.exit_code for k in kinds} | {errors.PaidforError.exit_code}) == 6


def test_a_refusal_a_route_lets_through_is_answered_with_its_status(tmp_path: Path) -> None:
    from paidfor.interfaces.http.api.app import create_app
    from paidfor.storage.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'e.db'}"
    migrate(make_engine(url))
    app = create_app(url, Settings(database_url=url, search_index=False))

    @app.get("/test-refusal/{kind}")
    def refuse(kind: str) -> None:
        raise {"gone": errors.NotFound, "late": errors.Conflict}[kind](f"refused: {kind}")

    with TestClient(app) as client:
        gone = client.get("/test-refusal/gone")
        late = client.get("/test-refusal/late")
    assert (gone.status_code, gone.json()) == (
        404,
        {"error": {"message": "refused: gone", "status": 404}},
    )
    assert late.status_code == 409 and late.headers["cache-control"] == "no-store"
