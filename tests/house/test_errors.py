"""One error hierarchy (``paidfor.errors``): each context's refusals are one of its kinds,
carry its HTTP status and exit code; one HTTP handler answers any a route lets through (JSON,
or the page of a route that answers with HTML) and one wrapper ends a command with its code.
No route or command maps exceptions to statuses of its own, and none catches a ValueError."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import typer
from fastapi import Request
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paidfor import errors
from paidfor.disclosure.export import ScopeError
from paidfor.disclosure.service import Forbidden, WrongState
from paidfor.disclosure.store import NoSuchRequest
from paidfor.exchange import model as exchange
from paidfor.integrity.case_store import CaseConflict
from paidfor.integrity.relationship_store import Conflict as RelationshipConflict
from paidfor.library.archive_params import ArchiveParamError
from paidfor.review.authorization_store import NotFound as NoAuthorization
from paidfor.review.intake_store import Conflict as DecidedFirst
from paidfor.settings import Settings, SettingsError


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


# -- no route and no command maps refusals of its own ----------------------------------------

ROOT = Path(__file__).resolve().parents[2] / "src" / "paidfor"
HTTP = ROOT / "interfaces" / "http"
CLI = ROOT / "interfaces" / "cli"
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route"}


def modules(folder: Path) -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(folder.rglob("*.py"))]


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def route_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions a module makes routes of: ``@router.post(...)``-decorated, or given to
    ``add_api_route``."""
    added = {
        arg.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_api_route"
        for arg in node.args[1:2]
        if isinstance(arg, ast.Name)
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        decorated = any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr in ROUTE_DECORATORS
            for d in node.decorator_list
        )
        if decorated or node.name in added:
            found.append(node)
    return found


def caught_names(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {
        k.id if isinstance(k, ast.Name) else k.attr if isinstance(k, ast.Attribute) else "?"
        for k in kinds
        if k is not None
    }


def test_the_http_routes_find_their_routes() -> None:
    """The walk below sees the routes (a decorator renamed would make it see none)."""
    found = {p.name: len(route_functions(tree)) for p, tree in modules(HTTP)}
    assert found["intake.py"] >= 12 and found["case_pages.py"] >= 6, found
    assert found["ads_archive.py"] == 2 and sum(found.values()) >= 70, found


def test_no_route_catches_an_exception() -> None:
    """A route calls the services and lets their refusals through to the one handler
    (``interfaces.http.refusals``): no ``try``/``except`` in a route or a function in it."""
    caught = [
        f"{where(path, node)} in {route.name}: except {', '.join(sorted(caught_names(node)))}"
        for path, tree in modules(HTTP)
        for route in route_functions(tree)
        for node in ast.walk(route)
        if isinstance(node, ast.ExceptHandler)
    ]
    assert caught == []


def test_no_valueerror_is_caught_in_the_http_interface() -> None:
    """A ``ValueError`` is a bug (a refusal is an ``errors.Invalid``): nothing in the HTTP
    interface turns one into an answer, so the fuzzing sees it as the 500 it is."""
    caught = [
        where(path, node)
        for path, tree in modules(HTTP)
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and "ValueError" in caught_names(node)
    ]
    assert caught == []


def test_no_interface_keeps_a_map_of_exceptions_to_statuses() -> None:
    """No ``{NotFound: 404, ...}`` table, no ``guarded`` helper: the status is the refusal's
    own (``http_status``), the exit code too (``exit_code``)."""
    found = []
    for path, tree in modules(HTTP) + modules(CLI):
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Dict)
                and node.keys
                and all(isinstance(k, ast.Name | ast.Attribute) for k in node.keys)
            ):
                names = [ast.unparse(k).rsplit(".", 1)[-1] for k in node.keys if k]
                statuses = all(
                    isinstance(v, ast.Constant) and isinstance(v.value, int) for v in node.values
                )
                if statuses and all(n[:1].isupper() for n in names):
                    found.append(f"{where(path, node)}: {{{', '.join(names)}: ...}}")
            if isinstance(node, ast.FunctionDef) and "guarded" in node.name:
                found.append(f"{where(path, node)}: def {node.name}")
    assert found == []


def test_no_command_exits_with_a_bare_number() -> None:
    """A command's refusal is an ``errors`` kind (its ``exit_code``), a plain exit one of the
    named ``errors.EXIT_*`` codes; ``typer.Exit(0)`` (success) is the one number left."""
    bare = [
        f"{where(path, node)}: Exit({ast.unparse(node.args[0])})"
        for path, tree in modules(CLI)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "Exit"
        and node.args
        and any(
            isinstance(c, ast.Constant) and c.value not in (0, None) for c in ast.walk(node.args[0])
        )
    ]
    assert bare == []


def test_no_command_turns_an_exception_into_an_exit_code() -> None:
    """A command lets a refusal through to ``support.Commands``, which ends it with the
    refusal's own code: no ``except`` in the command line ends it with one of its own
    (converting a foreign exception into a refusal, ``raise Invalid(...) from exc``, is
    fine)."""
    mapped = [
        f"{where(path, handler)}: except {', '.join(sorted(caught_names(handler)))}"
        for path, tree in modules(CLI)
        for handler in ast.walk(tree)
        if isinstance(handler, ast.ExceptHandler)
        for node in ast.walk(handler)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) in ("typer.Exit", "Exit", "sys.exit", "SystemExit")
        and not (node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0)
    ]
    assert mapped == []


def test_the_exit_codes_are_documented_once() -> None:
    """README's "Exit codes" table names every code a command ends with, each once."""
    readme = (ROOT.parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    codes = [int(line.split("|")[1]) for line in table.splitlines()[2:]]
    kinds = [errors.Invalid, errors.NotFound, errors.Forbidden, errors.Conflict,
             errors.Unavailable]  # fmt: skip
    assert codes == sorted({0, errors.EXIT_FAILED, errors.EXIT_USAGE}
                           | {k.exit_code for k in kinds})  # fmt: skip
    for kind in kinds:
        assert f"| {kind.exit_code} |" in table and f"(`{kind.__name__}`, " in table


def test_a_database_that_fails_under_a_command_is_one_line_and_exit_6() -> None:
    import sqlite3

    from paidfor.interfaces.cli.support import Commands

    cli = typer.Typer(cls=Commands)

    @cli.command()
    def write() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    @cli.command()
    def other() -> None:
        pass

    said = CliRunner().invoke(cli, ["write"])
    assert said.exit_code == 6 == errors.Unavailable.exit_code, said.output
    assert said.stderr.strip() == ("error: the database is out of space (database or disk is full)")


def test_every_command_group_says_refusals_with_their_exit_code() -> None:
    """Each ``typer.Typer`` of the command is a ``support.Commands`` group, so a refusal ends
    a command with its code however the command is reached (``paidfor ...``, or a test's
    ``CliRunner`` on the group)."""
    plain = [
        where(path, node)
        for path, tree in modules(CLI)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "typer.Typer"
        and not any(k.arg == "cls" and ast.unparse(k.value) == "Commands" for k in node.keywords)
    ]
    assert plain == []


def test_a_refusal_a_command_lets_through_is_said_with_its_exit_code() -> None:
    from paidfor.interfaces.cli.support import Commands

    cli = typer.Typer(cls=Commands)

    @cli.command()
    def refuse(kind: str) -> None:
        raise {"gone": errors.NotFound, "late": errors.Conflict, "bad": errors.Invalid}[kind](
            f"refused: {kind} [not markup]"
        )

    @cli.command()
    def fail() -> None:
        raise ValueError("a bug")

    runner = CliRunner()
    for kind, code in (("gone", 3), ("late", 5), ("bad", 2)):
        said = runner.invoke(cli, ["refuse", kind])
        assert said.exit_code == code, said.output
        assert f"error: refused: {kind} [not markup]" in said.stderr
    bug = runner.invoke(cli, ["fail"])  # anything else is a bug, not a refusal
    assert bug.exit_code == 1 and isinstance(bug.exception, ValueError)


# -- the one HTTP handler: JSON for the API, the page of an HTML route --------------------------


@pytest.fixture
def app_url(tmp_path: Path) -> str:
    from paidfor.storage.db import make_engine, migrate

    url = f"sqlite:///{tmp_path / 'e.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def test_a_refusal_is_json_unless_its_route_names_a_page(app_url: str) -> None:
    from fastapi import APIRouter

    from paidfor.interfaces.http.api.app import create_app
    from paidfor.interfaces.http.refusals import shown_on
    from paidfor.interfaces.http.web.library_routes import make_templates
    from paidfor.interfaces.http.web.refusal_pages import (
        back,
        public_page,
        staff_page,
        take_flash,
    )

    app = create_app(app_url, Settings(database_url=app_url, search_index=False))
    templates = make_templates()
    kinds = {"gone": errors.NotFound, "late": errors.Conflict, "busy": errors.Unavailable}
    pages = APIRouter(dependencies=[shown_on(staff_page(templates))])

    def refuse(kind: str) -> None:
        raise kinds[kind](f"refused: {kind}")

    app.add_api_route("/t/json/{kind}", refuse)
    pages.add_api_route("/t/staff/{kind}", refuse)
    pages.add_api_route(
        "/t/public/{kind}", refuse, dependencies=[shown_on(public_page(templates))]
    )  # the route's own page wins over its router's
    pages.add_api_route(
        "/t/form/{kind}", refuse, methods=["POST"],
        dependencies=[shown_on(back("/t/back/{kind}", "Nothing was done"))],
    )  # fmt: skip
    app.include_router(pages)

    @app.get("/t/back/{kind}")
    def shown(request: Request) -> dict[str, str | None]:
        return take_flash(request)

    with TestClient(app) as client:
        as_json = client.get("/t/json/gone")
        staff = client.get("/t/staff/late")
        public = client.get("/t/public/gone")
        busy = client.get("/t/public/busy")
        form = client.post("/t/form/late", follow_redirects=False)
        flashed = client.get("/t/back/late").json()
        again = client.get("/t/back/late").json()
        crafted = client.get("/t/back/late?problem=Call+0800+now").json()
    assert (as_json.status_code, as_json.json()) == (
        404,
        {"error": {"message": "refused: gone", "status": 404}},
    )
    assert staff.status_code == 409 and staff.headers["content-type"].startswith("text/html")
    assert "refused: late" in staff.text and "paidfor staff" in staff.text
    assert public.status_code == 404 and "<h1>Not found</h1>" in public.text
    assert "refused: gone" in public.text and "Search the library" in public.text
    assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
    assert form.status_code == 303
    # the refusal goes back in the signed session, shown once; the address carries no words
    assert form.headers["location"] == "/t/back/late#problem"
    assert flashed == {"done": None, "problem": "Nothing was done: refused: late"}
    assert again == crafted == {"done": None, "problem": None}
    for answer in (as_json, staff, public, busy, form):
        assert answer.headers["cache-control"] == "no-store"


def test_the_routes_refusals_answer_in_their_own_format(app_url: str) -> None:
    """The same refusal of the same service, as JSON from the API twin and as the page from
    the HTML route, with the same status; a staff form goes back to its page and says why."""
    from paidfor.auth.roles import Role
    from paidfor.auth.tokens import TokenService
    from paidfor.interfaces.http.api.app import create_app
    from paidfor.storage.db import make_engine

    engine = make_engine(app_url)
    investigator, _ = TokenService(engine).create(Role.INVESTIGATOR, "ivy")
    engine.dispose()
    staff = {"Authorization": f"Bearer {investigator}", "Accept": "text/html"}
    app = create_app(app_url, Settings(database_url=app_url, search_index=False))
    with TestClient(app) as client:
        api = client.get("/api/funders", params={"election": "999"})
        page = client.get("/funders", params={"election": "999"})
        search_api = client.get("/api/search", params={"sort": "cheapest"})
        search_page = client.get("/search", params={"sort": "cheapest"})
        case_api = client.get("/api/cases/999", headers=staff)
        entity_page = client.get("/staff/entities/page/999", headers=staff)
        status_form = client.post(
            "/staff/cases/999/status",
            data={"status": "closed", "reason": "done with it"},
            headers=staff,
            follow_redirects=False,
        )
    assert (api.status_code, api.json()) == (
        404,
        {"error": {"message": "no such election", "status": 404}},
    )
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert search_api.status_code == 400 and search_api.json()["error"]["param"] == "sort"
    assert search_page.status_code == 400 and "That search could not be run" in search_page.text
    assert (case_api.status_code, case_api.json()["error"]["message"]) == (404, "no case 999")
    assert entity_page.status_code == 404 and "There is no page 999." in entity_page.text
    assert status_form.status_code == 303
    assert status_form.headers["location"] == "/staff/cases/999#problem"


def test_a_bare_valueerror_in_a_route_is_a_500_not_a_refusal(app_url: str) -> None:
    """Only the hierarchy's kinds are refusals: anything else a route raises is a bug, a
    500, which the fuzzing counts as a failure (``tests/security/test_fuzz_api.py``)."""
    from paidfor.interfaces.http.api.app import create_app

    app = create_app(app_url, Settings(database_url=app_url, search_index=False))

    @app.get("/t/bug")
    def bug() -> None:
        raise ValueError("a bug, not a refusal")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/t/bug").status_code == 500


def test_the_staff_alert_boxes_never_print_the_address(app_url: str) -> None:
    """``?problem=`` and ``?done=`` were printed in the staff pages' alert boxes, so a crafted
    link could put any sentence there; the boxes now show only what the session carries."""
    from paidfor.auth.roles import Role
    from paidfor.auth.tokens import TokenService
    from paidfor.interfaces.http.api.app import create_app
    from paidfor.storage.db import make_engine

    engine = make_engine(app_url)
    token, _ = TokenService(engine).create(Role.ADMIN, "ada")
    engine.dispose()
    staff = {"Authorization": f"Bearer {token}"}
    crafted = "Your+session+expired%3A+call+0800+000+000"
    with TestClient(create_app(app_url, Settings(database_url=app_url, search_index=False))) as c:
        for path in ("/staff/review", "/staff/cases"):
            page = c.get(f"{path}?problem={crafted}&done={crafted}", headers=staff)
            assert page.status_code == 200, (path, page.text[:200])
            assert "0800" not in page.text and "session expired" not in page.text
