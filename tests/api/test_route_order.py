"""The order of the app's routers only decides how soon a request finds its route (the library's
search is included first among the pages, since the public asks it most): no two routes
answer the same method on the same path, so moving a router never changes which one answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import _IncludedRouter
from fastapi.testclient import TestClient

from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings, public_url_of


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from paidfor.storage.db import make_engine, migrate

    path = tmp_path_factory.mktemp("routes") / "paidfor.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return create_app(url, Settings(database_url=url, search_index=False))


def flat(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if isinstance(route, _IncludedRouter):
            assert not route.include_context.prefix  # paths below are as written
            yield from flat(route.original_router.routes)
        elif hasattr(route, "path_regex"):
            yield route


def test_no_two_routes_answer_the_same_request(app: Any) -> None:
    routes = list(flat(app.router.routes))
    assert len(routes) > 100
    clashes = []
    for one in routes:
        # every parameter as a value any of them takes (ids, names, versions alike)
        for value in ("1", "v19.0"):
            path = re.sub(r"\{[^}]+\}", value, one.path)
            for other in routes:
                same = set(getattr(one, "methods", None) or ()) & set(
                    getattr(other, "methods", None) or ()
                )
                if other is not one and same and other.path_regex.match(path):
                    clashes.append((one.path, other.path, sorted(same)))
    # the same path twice with different methods is two routes of one address, not a clash
    assert clashes == []


def test_the_search_is_found_before_the_pages_of_other_routers(app: Any) -> None:
    paths = [r.path for r in flat(app.router.routes)]
    assert paths.index("/api/search") < 20
    with TestClient(app, base_url=public_url_of(Settings())) as client:
        assert client.get("/api/search").status_code == 200
        assert client.get("/api/ads/1").status_code == 404  # the library's, not another's
