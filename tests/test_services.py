"""The composition root (``paidfor.services``): a server's background loads, and what a
server process keeps out of the garbage collector once they are done."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

import pytest

import paidfor.services as services_module
from paidfor.services import Services
from paidfor.settings import Settings


def _started(db_url: str, tmp_path: Path, *, freeze: bool) -> Services:
    services = Services.open(Settings(index_dir=str(tmp_path / "index")), db_url)
    services.start(freeze_when_loaded=freeze)
    deadline = time.monotonic() + 60
    while not services.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert services.ready, "the background loads did not finish"
    return services


@pytest.mark.parametrize("freeze", [True, False])
def test_a_server_freezes_what_its_background_loads_made(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, freeze: bool
) -> None:
    """The loads' objects (here a model of a million-element list, as the classifier's
    modules and screening's knowledge are many objects) end up frozen once they are in, in a
    server process only: frozen objects are never collected, so a test or an embedded app
    keeps collecting."""
    made: list[Any] = []

    def model() -> Any:
        made.append([[i] for i in range(100_000)])  # tracked containers, as a loaded model
        return made[-1]

    monkeypatch.setattr(services_module, "political_classifier", model)
    gc.unfreeze()
    before = gc.get_freeze_count()
    services = _started(db_url, tmp_path, freeze=freeze)
    # no waiting: once the server says it is ready (``/healthz``), the freeze is done
    try:
        frozen = gc.get_freeze_count() - before
        if freeze:
            assert frozen > 100_000  # the model's lists are among the frozen objects
        else:
            assert frozen == 0
    finally:
        gc.unfreeze()
        services.close()


def test_a_server_is_ready_only_once_the_loads_are_frozen(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ready`` (what ``/healthz`` and the benchmarks wait for) comes after the freeze: a
    server that says it is ready no longer walks its loads' objects in full collections (the
    30-50 ms stalls of issue 22 were requests served between the two)."""
    seen: list[bool] = []
    freeze = gc.freeze
    services: list[Services] = []

    def watched() -> None:
        seen.append(bool(services) and services[0].ready)
        freeze()

    monkeypatch.setattr(services_module, "political_classifier", lambda: object())
    monkeypatch.setattr(gc, "freeze", watched)
    opened = Services.open(Settings(index_dir=str(tmp_path / "index")), db_url)
    services.append(opened)
    try:
        opened.start(freeze_when_loaded=True)
        deadline = time.monotonic() + 60
        while not opened.ready and time.monotonic() < deadline:
            time.sleep(0.01)
        assert opened.ready
        assert seen == [False]  # frozen once, before it was ready
    finally:
        gc.unfreeze()
        opened.close()
