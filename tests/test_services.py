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
    deadline = time.monotonic() + 10  # the freeze follows the model's load in its thread
    while freeze and gc.get_freeze_count() <= before + 100_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        frozen = gc.get_freeze_count() - before
        if freeze:
            assert frozen > 100_000  # the model's lists are among the frozen objects
        else:
            assert frozen == 0
    finally:
        gc.unfreeze()
        services.close()
