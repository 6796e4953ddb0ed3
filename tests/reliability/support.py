"""What the reliability tests share: an advertiser with a card and a page made through the
API and an ad body (both with ``tests/factories.py``), a classifier that holds every ad for
a person, staff tokens, and a paidfor server in a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import factories
import httpx
from factories import Client, admin, auth_and_page, bearer, commercial, token
from sqlalchemy import Engine

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService

ROOT = Path(__file__).resolve().parents[2]
PAIDFOR = str(Path(sys.executable).with_name("paidfor"))


class Unsure:
    """Scores every text 0.4, under the 0.5 threshold and above 0.35: every undeclared ad is
    held for a person."""

    threshold = 0.5

    def score(self, text: str) -> float:
        return 0.4

    def strongest_terms(self, text: str, political: bool = True, k: int = 3) -> list[str]:
        return ["policy"]


def advertiser(client: Client, name: str) -> tuple[dict[str, str], int]:
    """An advertiser account with a card and a page (a business's, its admin Ann signing in
    from the US): its token header and the page id."""
    made = factories.advertiser(client, name, category="Business", admins=[admin("Ann", ["US"])])
    return auth_and_page(made)


def ad_body(page_id: int, text: str) -> dict[str, Any]:
    """An ad not declared political, budget 100 USD."""
    return commercial(page_id, text, budget="100.00")


def staff_tokens(engine: Engine, n: int, role: Role = Role.REVIEWER) -> list[dict[str, str]]:
    tokens = TokenService(engine)
    return [bearer(token(tokens, role, f"{role}-{k}")) for k in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``paidfor serve`` in a subprocess (its own process group, so SIGKILL takes it all)."""

    def __init__(self, url: str, workdir: Path, **env: str) -> None:
        self.url = url
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"

    def start(self, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            "PAIDFOR_DATABASE_URL": self.url,
            "PAIDFOR_SECRET_KEY": "reliability-" * 3,
            "PAIDFOR_SEARCH_INDEX": "false",
            "PAIDFOR_INDEX_DIR": str(self.workdir / "index"),
            **self.env,
        }
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [PAIDFOR, "serve", "--port", str(self.port)],
                env=env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server stopped: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL binaries (the newest version installed), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parts[-3])
    return found[-1].parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary folder, a free port), run as
    the ``postgres`` user when we are root, so a test may restart it without touching the
    shared server."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "postgres.log"
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, timeout: float = 120) -> None:
        r = subprocess.run(
            [*self.as_user, *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {r.stdout}{r.stderr}")

    def init(self) -> None:
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "--no-sync", "-E", "UTF8")  # fmt: skip
        self.start()

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", options, "-w", "-t", "60", *extra, action)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        """As abrupt as it gets: ``immediate`` kills every server process without a
        checkpoint, and the start replays the WAL (crash recovery)."""
        self._ctl("restart", "-m", "immediate")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        from paidfor.storage.db import normalize_url

        admin = create_engine(normalize_url(self.url()), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)
