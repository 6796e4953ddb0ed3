"""A real server on loopback with the demo data, and Debian's chromium driven by Playwright
(``executable_path``; no browser is ever downloaded). Without chromium the browser tests are
skipped, except with CI=true, where they fail."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loopback import paidfor_serve

from conftest import DATA

CHROMIUM = os.environ.get("PAIDFOR_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their pictures: a temporary folder, or the folder named by
    PAIDFOR_SCREENSHOTS (``PAIDFOR_SCREENSHOTS=docs/screenshots`` renews the README's)."""
    chosen = os.environ.get("PAIDFOR_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cli_token(live_db: Path, role: str, name: str) -> str:
    """A token made the way an operator makes one: ``paidfor token create`` in a process."""
    made = subprocess.run(
        [sys.executable, "-m", "paidfor", "token", "create", "--role", role, "--name", name],
        env={**os.environ, "PAIDFOR_DATABASE_URL": f"sqlite:///{live_db}"},
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("pf_")
    return token


@pytest.fixture(scope="session")
def live_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the live server's SQLite database is (for commands run beside it)."""
    return tmp_path_factory.mktemp("browser") / "demo.db"


@pytest.fixture(scope="session")
def live_server(live_db: Path) -> Iterator[str]:
    """``paidfor demo --no-serve`` into a fresh SQLite file, then ``paidfor serve`` on it."""
    db = live_db
    env = {**os.environ, "PAIDFOR_DATABASE_URL": f"sqlite:///{db}"}
    cli = [sys.executable, "-m", "paidfor"]
    subprocess.run(
        [*cli, "demo", "--db", str(db), "--data", str(DATA), "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    with paidfor_serve({"PAIDFOR_DATABASE_URL": f"sqlite:///{db}"}, ready="/healthz") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).is_file():
        message = f"no chromium at {CHROMIUM} (scripts/chromium.sh installs Debian's)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()
