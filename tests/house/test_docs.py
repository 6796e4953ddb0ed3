"""What a user can set, run or call is documented: every field of ``Settings`` (its
``PAIDFOR_*`` variable) is a row of the README's "Settings" table, every ``paidfor`` command
and every route of the app is named in the README or in docs/ (a route as ``METHOD /path``,
its path parameters under any name: ``GET /api/ads/{id}`` documents ``/api/ads/{ad_id}``).
And nothing but ``paidfor.settings`` reads the environment, so a setting cannot bypass it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from paidfor.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "paidfor"
README = ROOT / "README.md"
# docs/research holds notes on other systems (their routes and commands are not ours)
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def code_spans(text: str) -> Iterator[re.Match[str]]:
    return re.finditer(r"`([^`\n]+)`", text)


def documents() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in DOCS]


# -- settings ---------------------------------------------------------------------------------


def settings_table() -> list[str]:
    """The variables in the first column of the README's "Settings" table."""
    section = README.read_text(encoding="utf-8").split("\n### Settings\n", 1)
    assert len(section) == 2, 'README.md has no "### Settings" section'
    rows = [line for line in section[1].split("\n\n#", 1)[0].splitlines() if line.startswith("|")]
    return [name for row in rows[2:] for name in re.findall(r"`(PAIDFOR_\w+)`", row.split("|")[1])]


def test_every_setting_is_a_row_of_the_settings_table() -> None:
    variables = {f"PAIDFOR_{name.upper()}" for name in Settings.model_fields}
    documented = settings_table()
    assert len(documented) == len(set(documented)), "a setting is in the table twice"
    assert sorted(variables - set(documented)) == [], "settings missing from the table"
    assert sorted(set(documented) - variables) == [], "rows for settings that do not exist"


def test_nothing_but_the_settings_reads_the_environment() -> None:
    """``os.environ``, ``os.getenv``: only in settings.py (a setting read anywhere else is
    neither validated nor documented)."""
    reads = [
        f"{path.relative_to(SRC)}:{node.lineno}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "settings.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "environb")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ]
    assert reads == []


# -- commands ---------------------------------------------------------------------------------


def commands() -> list[str]:
    """Every command of ``paidfor``, as its words: ``import``, ``exchange indicator add``..."""
    from paidfor.interfaces.cli.main import app

    def walk(group: Any, words: list[str]) -> Iterator[str]:  # typer's own click groups
        for name, command in sorted(group.commands.items()):
            if command.hidden:
                continue
            if hasattr(command, "commands"):
                yield from walk(command, [*words, name])
            else:
                yield " ".join([*words, name])

    return list(walk(get_command(app), []))


def documented_command(words: str, texts: list[str]) -> bool:
    """In a code span: ``paidfor WORDS ...``, or ``WORDS ...`` for a sub-command (a table
    row goes on with ``token list`` after ``paidfor token create``)."""
    pattern = re.compile(rf"(paidfor ){'' if ' ' not in words else '?'}{re.escape(words)}(\s|$)")
    return any(pattern.match(m.group(1)) for text in texts for m in code_spans(text))


def test_the_command_walk_finds_the_commands() -> None:
    found = commands()
    assert {"import", "demo", "networks mark", "exchange indicator add", "keys generate"} <= set(
        found
    )
    assert len(found) >= 40, found


def test_every_command_is_documented() -> None:
    texts = documents()
    assert [c for c in commands() if not documented_command(c, texts)] == []


# -- routes -----------------------------------------------------------------------------------


def segments(path: str) -> tuple[str, ...]:
    """A path's segments, each parameter as ``{}`` (``v{N}`` and ``{version}`` alike); a
    trailing slash is the same route."""
    return tuple(
        "{}" if "{" in part else part for part in path.split("?", 1)[0].strip("/").split("/")
    )


def documented_routes(texts: list[str]) -> set[tuple[str, tuple[str, ...]]]:
    """``(METHOD, segments)`` of every ``METHOD /path`` in a code span. A span with a path and
    no method takes the method of the span just before it in a list (``POST /a``, ``/b``); a
    span of methods alone gives them to the next (``PATCH``/``DELETE /a``)."""
    method = "|".join(METHODS)
    span = re.compile(rf"((?:{method})(?:\s*/\s*(?:{method}))*)?\s*(/\S*)?$")
    found: set[tuple[str, tuple[str, ...]]] = set()
    for text in texts:
        listed: set[str] = set()  # the methods of the list so far
        pending: set[str] = set()  # methods alone, for the next span
        end = 0
        for m in code_spans(text):
            parsed = span.match(m.group(1).strip())
            joined = re.fullmatch(r"\s*[,;/]?\s*((and|or)\s+)?", text[end : m.start()]) is not None
            end = m.end()
            if not joined:
                listed, pending = set(), set()
            if parsed is None or not (parsed.group(1) or parsed.group(2)):
                listed, pending = set(), set()
                continue
            own = set(re.findall(method, parsed.group(1) or ""))
            if parsed.group(2) is None:
                pending |= own
                continue
            methods = (own | pending) or listed
            found.update((each, segments(parsed.group(2))) for each in methods)
            listed, pending = methods, set()
    return found


def app_routes(tmp_path: Path) -> list[tuple[str, str]]:
    from fastapi.routing import iter_route_contexts

    from paidfor.interfaces.http.api.app import create_app

    url = f"sqlite:///{tmp_path / 'routes.db'}"
    app = create_app(url, Settings(database_url=url, search_index=False))
    return sorted(
        (method, route.path)
        for route in iter_route_contexts(app.routes)
        for method in route.methods or ()
        if method != "HEAD"
    )


def test_the_route_reader_reads_the_ways_routes_are_written() -> None:
    text = (
        "| `POST /api/me/pages`, `/api/me/ads`; `GET /api/me/ads/{id}` |\n"
        "`PATCH`/`DELETE /api/x/{id}`, and `GET /search?q=&page=`; see `/elsewhere`"
    )
    assert documented_routes([text]) == {
        ("POST", ("api", "me", "pages")),
        ("POST", ("api", "me", "ads")),
        ("GET", ("api", "me", "ads", "{}")),
        ("PATCH", ("api", "x", "{}")),
        ("DELETE", ("api", "x", "{}")),
        ("GET", ("search",)),
    }


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    return app_routes(tmp_path_factory.mktemp("routes"))


def test_the_route_walk_finds_the_routes(routes: list[tuple[str, str]]) -> None:
    assert ("GET", "/{version}/ads_archive") in routes and ("POST", "/staff/login") in routes
    assert len(routes) >= 100, routes


def test_every_route_is_documented(routes: list[tuple[str, str]]) -> None:
    documented = documented_routes(documents())
    missing = [f"{m} {p}" for m, p in routes if (m, segments(p)) not in documented]
    assert missing == []
