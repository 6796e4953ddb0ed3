"""Every ``paidfor`` command starts without the heavy libraries (issue 22): importing the
command line and the composition root, and building every service, loads none of SciPy,
scikit-learn, NumPy, datasketch, faiss, igraph, Pillow, pyarrow, Pygments, threatexchange;
they are imported by the functions that use them. Nor do an import's parsing processes
(``ingest.pipeline._produce``: the source registry and ``storage.db``).

Each case runs in a fresh interpreter: this one has long imported them all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paidfor.storage.db import alembic_config, at_head, downgrade, head_revision, migrate

SRC = Path(__file__).resolve().parents[2] / "src"

# top-level packages that cost 0.1-0.7 s to import and that most commands never use
HEAVY = (
    "scipy",  # through datasketch: scipy.integrate, .optimize, .special
    "sklearn",
    "skops",
    "datasketch",
    "faiss",
    "igraph",
    "numpy",
    "PIL",
    "pyarrow",
    "pygments",  # through httpx's own command line, or alembic's Mako
    "threatexchange",
    "httpx",
)


def loaded_after(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


def test_the_command_line_and_the_composition_root_import_no_heavy_library() -> None:
    loaded = loaded_after("import paidfor.interfaces.cli.main, paidfor.services")
    assert "paidfor" in loaded
    assert sorted(loaded & set(HEAVY)) == []
    assert "alembic" not in loaded  # a command that migrates imports it when it does


def test_the_parsing_processes_of_an_import_import_no_heavy_library() -> None:
    loaded = loaded_after("import paidfor.ingest.registry, paidfor.storage.db")
    assert sorted(loaded & {*HEAVY, "alembic", "rich", "typer"}) == []


@pytest.mark.parametrize("search_index", [False, True])
def test_building_every_service_imports_no_heavy_library(
    tmp_path: Path, search_index: bool
) -> None:
    """What ``open_services`` does for every command: migrate, build each service; the
    screening, the indicators and the classifier load in the background of a server only.
    The first command on a new database migrates it with alembic (which brings Mako and
    Pygments); the next ones find it at the newest migration and import neither."""
    url = f"sqlite:///{tmp_path / 'a.db'}"
    code = (
        "from paidfor.services import Services\n"
        f"s = Services.open(database_url={url!r}, migrate=True, search_index={search_index})\n"
        "s.close()"
    )
    first = loaded_after(code)
    assert sorted(first & (set(HEAVY) - {"pygments"})) == []
    assert "alembic" in first
    again = loaded_after(code)
    assert sorted(again & {*HEAVY, "alembic"}) == []


def test_the_newest_migration_is_read_from_the_files_as_alembic_reads_it() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert [head_revision()] == heads


def test_a_database_at_the_newest_migration_is_not_migrated_again(engine: Engine) -> None:
    head = head_revision()
    assert head is not None and at_head(engine)
    downgrade(engine, f"{int(head) - 1:04d}")
    assert not at_head(engine)
    migrate(engine)  # alembic, since the database is behind
    assert at_head(engine)
    downgrade(engine, "base")  # the version table empty
    assert not at_head(engine)
    migrate(engine)
    assert at_head(engine)


def test_a_server_imports_what_its_requests_use_before_it_freezes(tmp_path: Path) -> None:
    """A server imports the libraries the services defer when it starts, before its loads and
    ``gc.freeze`` (``Services.start``), as it did when every module imported them itself."""
    from paidfor.services import SERVER_LIBRARIES

    url = f"sqlite:///{tmp_path / 'a.db'}"
    loaded = loaded_after(
        "import time\n"
        "from paidfor.services import Services\n"
        f"s = Services.open(database_url={url!r}, migrate=True, search_index=False)\n"
        "s.start(freeze_when_loaded=True)\n"
        "deadline = time.monotonic() + 120\n"
        "while not s.ready and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "assert s.ready\n"
        "s.close()"
    )
    assert {name.split(".")[0] for name in SERVER_LIBRARIES} <= loaded
    assert {"sklearn", "scipy"} <= loaded  # the political-ad model, as before
