"""A private PostgreSQL cluster for the fault tests that restart it (never the shared one)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from reliability.support import PrivatePostgres, postgres_bin


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    bindir = postgres_bin()
    problem = None
    if bindir is None:
        problem = "no PostgreSQL binaries under /usr/lib/postgresql/*/bin"
    elif os.geteuid() == 0 and shutil.which("runuser") is None:
        problem = "running as root without runuser to start PostgreSQL as postgres"
    if problem is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"a private PostgreSQL is needed with CI=true: {problem}")
        pytest.skip(problem)
    assert bindir is not None
    root = Path(tempfile.mkdtemp(prefix="paidfor-pg-"))
    pg = PrivatePostgres(bindir, root)
    try:
        pg.init()
        yield pg
    finally:
        with contextlib.suppress(Exception):  # it may not have started
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)
