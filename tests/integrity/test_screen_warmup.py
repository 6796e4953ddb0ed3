"""What screening knows is built in the background when the server starts (at a million ads
it takes minutes and gigabytes per worker): a submission never waits for it more than a moment,
is screened with what can be checked without it and says so, and once it is loaded the screen
uses it. The same for the shared threat indicators. ``/healthz`` tells which."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from factories import ad, admin, advertiser, auth_and_page
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import paidfor.exchange.consume as consume
import paidfor.integrity.screen as screen_module
from paidfor.exchange.consume import ExchangeIndicators
from paidfor.integrity.screen import RiskScreen
from paidfor.review.rules import ReviewInput


def _gate(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> threading.Event:
    """Make ``module.name`` wait until the returned event is set."""
    release = threading.Event()
    real = getattr(module, name)

    def slow(*args: Any, **kw: Any) -> Any:
        assert release.wait(30), "the test never released the build"
        return real(*args, **kw)

    monkeypatch.setattr(module, name, slow)
    return release


def _input(advertiser_id: int, page_id: int) -> ReviewInput:
    from datetime import UTC, datetime

    return ReviewInput(text="Fresh coffee delivered", declared_political=False, countries=("US",),
                       starts=datetime.now(UTC), funder_name=None,
                       advertiser_id=advertiser_id, page_id=page_id)  # fmt: skip


def test_a_submission_does_not_wait_for_the_knowledge(
    api: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, page = auth_and_page(advertiser(api, "Coffee Co"))
    world = _gate(monkeypatch, screen_module, "screening_context")
    loads = _gate(monkeypatch, consume, "load_indicators")
    indicators = ExchangeIndicators(engine)
    screen = RiskScreen(engine, indicators, first_wait=0.2)
    started = time.monotonic()
    found = screen.screen(_input(1, page))
    assert time.monotonic() - started < 5  # not the build's time
    assert not screen.ready and not indicators.ready
    (note,) = [f for f in found if f.signal == "knowledge_loading"]
    assert "flagged and removed entities" in note.explanation and not note.hold
    assert "shared threat indicators" in note.explanation
    assert found[0].signal == "risk"  # the entity's own signals were still checked
    world.set()
    loads.set()
    deadline = time.monotonic() + 20
    while not (screen.ready and indicators.ready):
        assert time.monotonic() < deadline, "the background builds never finished"
        time.sleep(0.05)
    again = screen.screen(_input(1, page))
    assert [f for f in again if f.signal == "knowledge_loading"] == []


def test_healthz_says_whether_screening_is_ready(api: TestClient) -> None:
    deadline = time.monotonic() + 20
    while (body := api.get("/healthz").json())["screening"] != "ready":
        assert body["screening"] == "loading"
        assert time.monotonic() < deadline, "screening never became ready"
        time.sleep(0.05)
    assert body == {"status": "ok", "screening": "ready", "worker": body["worker"]}
    assert len(body["worker"]) == 12 and api.get("/healthz").json()["worker"] == body["worker"]


def test_held_ads_still_held_right_after_a_start(
    api: TestClient,
    staff: dict[str, dict[str, str]],
) -> None:
    """Right after the server starts, a foreign submission is held by its own signals."""
    russian = advertiser(
        api, "Being Patriotic", currency="RUB", billing="RU", admins=[admin("Ivan", ["RU"])]
    )
    auth, page = auth_and_page(russian)
    body = ad(page, "Handmade leather boots, free shipping this week.", political=False,
              paid_for_by=None)  # fmt: skip
    r = api.post("/api/me/ads", json=body, headers=auth)
    assert r.status_code == 201 and r.json()["decision"] == "held", r.text


def test_the_political_model_loads_at_start_up_not_in_a_submission(
    db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading the model takes seconds: each worker starts it when it starts, ``/healthz``
    says ``loading`` until it is in, and a submission arriving meanwhile waits for that one
    load instead of starting another."""
    import paidfor.services as services_module
    from paidfor.interfaces.http.api.app import create_app
    from paidfor.review.service import political_classifier
    from paidfor.settings import Settings

    calls: list[float] = []
    release = threading.Event()

    def slow_model() -> Any:
        calls.append(time.monotonic())
        assert release.wait(30), "the test never released the model"
        return political_classifier()

    monkeypatch.setattr(services_module, "political_classifier", slow_model)
    settings = Settings(index_dir=str(tmp_path / "index"), secret_key="test-secret-key-123")
    with TestClient(create_app(db_url, settings)) as client:
        deadline = time.monotonic() + 10
        while not calls:  # started by the start-up, before any submission
            assert time.monotonic() < deadline, "the model was not loaded at start-up"
            time.sleep(0.02)
        assert client.get("/healthz").json()["screening"] == "loading"
        release.set()
        deadline = time.monotonic() + 30
        while client.get("/healthz").json()["screening"] != "ready":
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.05)
    assert len(calls) == 1


# The two background builds a server starts: the screening knowledge, the shared indicators.
BUILDS = ((screen_module, "screening_context"), (consume, "load_indicators"))


def hold(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    first: Callable[[], object],
    finished: dict[str, float] | None = None,
) -> None:
    """``module.name`` runs ``first`` before itself, and notes when it ended in ``finished``."""
    real = getattr(module, name)

    def held(*args: Any, **kw: Any) -> Any:
        first()
        out = real(*args, **kw)
        if finished is not None:
            finished[name] = time.monotonic()
        return out

    monkeypatch.setattr(module, name, held)


def test_shutdown_waits_for_the_knowledge_builds_before_closing_the_database(
    db_url: str, engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build still running when the server stops ends before the pool closes (before, it
    read a closed or dropped database and its thread died with an error), and a closed
    loader starts no more builds."""
    import paidfor.interfaces.http.api.app as app_module
    import paidfor.services as services_module
    from paidfor.settings import Settings

    finished: dict[str, float] = {}
    # The builds are held until the server is answering (a fixed sleep raced a slow start:
    # on a busy machine they had ended before the first request), then end while it stops.
    release = threading.Event()
    longest = services_module.SHUTDOWN_WAIT / 2  # a broken test fails, it does not hang
    for module, name in BUILDS:
        hold(monkeypatch, module, name, lambda: release.wait(longest), finished)
    models: list[int] = []  # the model waits for the builds, then finds the server stopped
    monkeypatch.setattr(services_module, "political_classifier", lambda: models.append(1))
    settings = Settings(index_dir=str(tmp_path / "index"), secret_key="test-secret-key-123")
    with TestClient(app_module.create_app(db_url, settings)) as client:
        assert client.get("/healthz").json()["screening"] != "ready"  # still building
        assert not finished
        threading.Timer(0.5, release.set).start()  # still running when the server stops
    stopped = time.monotonic()
    assert set(finished) == {"screening_context", "load_indicators"}
    assert max(finished.values()) <= stopped
    alive = {t.name for t in threading.enumerate()}
    assert not alive & {"paidfor-screen", "paidfor-indicators"}
    for thread in threading.enumerate():
        if thread.name == "paidfor-classifier":
            thread.join(30)
    assert models == []

    screen = RiskScreen(engine, ExchangeIndicators(engine))
    assert screen.close(timeout=1)
    screen.warm()  # closed: nothing starts, and the screen is not left "refreshing"
    assert not screen.ready and not screen.knowledge.building
    assert screen.context(wait=0.1) is None


def test_a_stopping_server_waits_for_all_its_builds_within_one_budget(
    db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Builds that outlast the shutdown's budget hold it up for that budget in all, not for a
    budget each (one after the other, the two builds held it twice as long)."""
    import paidfor.interfaces.http.api.app as app_module
    import paidfor.services as services_module
    from paidfor.settings import Settings

    release = threading.Event()  # the builds end when the test is over
    for module, name in BUILDS:
        hold(monkeypatch, module, name, lambda: release.wait(10))
    monkeypatch.setattr(services_module, "political_classifier", lambda: None)
    monkeypatch.setattr(services_module, "SHUTDOWN_WAIT", 1.0)
    settings = Settings(index_dir=str(tmp_path / "index"), secret_key="test-secret-key-123")
    client = TestClient(app_module.create_app(db_url, settings))
    with client:
        assert client.get("/healthz").json()["screening"] != "ready"
        started = time.monotonic()
    took = time.monotonic() - started
    release.set()
    for thread in threading.enumerate():
        if thread.name in ("paidfor-screen", "paidfor-indicators"):
            thread.join(10)
    assert 0.9 <= took < 1.8, took
