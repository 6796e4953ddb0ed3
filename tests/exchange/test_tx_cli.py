"""End to end: Meta's real ``threatexchange`` CLI (1.2.x), run as a subprocess with its state in
a temporary folder, mirrors a privacy group of a paidfor server served by uvicorn on loopback
through ``paidfor.exchange.tx_extension``, and matches text, URLs and photos against it.

Mind the library's pitfalls (docs/research/threatexchange.md): the exit code of ``match`` is 0
whether or not anything matched (so the assertions read stdout); deleting the last signal of a
type leaves a stale index (so every deletion here leaves another of its type); a PDQ index of
one hash matches nothing after the CLI stores it (so there are two)."""

from __future__ import annotations

import csv
import io
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from loopback import app_on_loopback
from PIL import Image
from threatexchange.signal_type.pdq import pdq_hasher

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.exchange.model import Member
from paidfor.exchange.service import ExchangeService
from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings
from paidfor.storage.db import make_engine, migrate

TX = Path(sys.executable).parent / "threatexchange"
COLLAB = "shared-feed"
URL_X = "https://bad.example/x"
URL_KEEP = "https://bad.example/keep"
PILLS = "Buy cheap pills now"
VOTE = "Vote on Wednesday, not Tuesday"


@dataclass
class Server:
    base: str
    service: ExchangeService
    acme: Member
    token: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh SQLite paidfor with a group ``shared`` and a partner token of it, served by
    uvicorn on a free 127.0.0.1 port."""
    url = f"sqlite:///{tmp_path / 'paidfor.db'}"
    engine = make_engine(url)
    migrate(engine)
    service = ExchangeService(engine)
    service.create_group("shared", "with acme", "test")
    token, who = TokenService(engine).create(Role.PARTNER, "acme", groups=["shared"])
    assert who.token_id is not None
    acme = service.partner(who.token_id, who.name, who.actor)
    app = create_app(
        url, Settings(index_dir=str(tmp_path / "index"), search_index=False, secret_key="k" * 20)
    )
    try:
        with app_on_loopback(app) as base:
            yield Server(base, service, acme, token)
    finally:
        engine.dispose()


class Tx:
    """The ``threatexchange`` CLI with its own state folder and home."""

    def __init__(self, tmp_path: Path, token: str | None) -> None:
        self.state = tmp_path / "txstate"
        home = tmp_path / "home"
        home.mkdir()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TX_", "PAIDFOR_")) and "PROXY" not in k.upper()
        }
        src = str(Path(__file__).resolve().parents[2] / "src")
        env.update(
            HOME=str(home),
            TX_STATEDIR=str(self.state),
            NO_PROXY="127.0.0.1,localhost",
            PYTHONPATH=os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")])),
        )
        if token is not None:
            env["PAIDFOR_EXCHANGE_TOKEN"] = token
        self.env = env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TX), *args], env=self.env, capture_output=True, text=True, timeout=120, check=False
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(*args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def match(self, *args: str) -> list[tuple[str, str, str, str, frozenset[str]]]:
        """The hits ``match`` prints: (signal type, similarity, collab, category, tags)."""
        hits = []
        for line in self.ok("match", "-A", *args).stdout.splitlines():
            s_type, similarity, collab, category, *tags = line.split(" ")
            assert len(tags) <= 1, line
            hits.append(
                (
                    s_type,
                    similarity,
                    collab,
                    category,
                    frozenset(tags[0].split(",") if tags else ()),
                )
            )
        return hits

    def dataset(self) -> set[tuple[str, str, str, str, frozenset[str]]]:
        out = self.ok("dataset", "-P", "--csv").stdout
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == ["signal_type", "signal_str", "collab", "category", "tags"]
        return {(r[0], r[1], r[2], r[3], frozenset(r[4].split())) for r in rows[1:]}

    def setup(self, base: str) -> None:
        added = self.ok("config", "extensions", "add", "paidfor.exchange.tx_extension")
        assert "paidfor - PaidforSignalExchangeAPI" in added.stdout
        self.ok(
            "config",
            "collab",
            "edit",
            "paidfor",
            COLLAB,
            "--create",
            "--base-url",
            base,
            "--privacy-group",
            "shared",
        )
        assert self.ok("config", "collab", "list").stdout.split() == ["paidfor", COLLAB]


def photo(path: Path, seed: int) -> str:
    """A noisy grey picture at ``path``; its PDQ hash."""
    rnd = random.Random(seed)
    img = Image.new("L", (64, 64))
    img.putdata([rnd.randrange(256) for _ in range(64 * 64)])
    img.resize((256, 256), Image.Resampling.NEAREST).convert("RGB").save(path)
    digest, quality = pdq_hasher.pdq_from_file(path)
    assert quality >= 50
    return str(digest)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flip(pdq: str, bits: int) -> str:
    """``pdq`` with its lowest ``bits`` bits flipped."""
    return f"{int(pdq, 16) ^ ((1 << bits) - 1):064x}"


def test_the_threatexchange_cli_mirrors_and_matches_a_paidfor_group(
    server: Server, tmp_path: Path
) -> None:
    svc, acme = server.service, server.acme
    pdq_a, pdq_b = photo(tmp_path / "a.png", 1), photo(tmp_path / "b.png", 2)
    ids = {
        "x": svc.add(
            acme,
            type="url",
            value=URL_X,
            group="shared",
            status="MALICIOUS",
            tags=["ira", "election_interference"],
        ).id,
        "pills": svc.add(
            acme, type="raw_text", value=PILLS, group="shared", status="MALICIOUS", tags=["spam"]
        ).id,
    }
    svc.add(acme, type="url", value=URL_KEEP, group="shared", status="SUSPICIOUS")
    svc.add(acme, type="raw_text", value=VOTE, group="shared", status="NON_MALICIOUS")
    svc.add(acme, type="pdq", value=pdq_a, group="shared", status="MALICIOUS", tags=["ira"])
    svc.add(acme, type="pdq", value=pdq_b, group="shared", status="UNKNOWN")
    svc.add(acme, type="domain", value="bad.example", group="shared", status="MALICIOUS")
    svc.add(acme, type="page_id", value="1234567", group="shared", status="MALICIOUS")

    tx = Tx(tmp_path, server.token)
    tx.setup(server.base)
    fetched = tx.ok("fetch")
    assert f"[paidfor] {COLLAB} - Up to date" in fetched.stderr
    for s_type, n in [("url", 2), ("raw_text", 2), ("pdq", 2)]:
        assert f"Building index for {s_type} with {n} signals" in fetched.stderr

    ira = frozenset({"ira", "election_interference"})
    assert tx.match("text", "--", "buy CHEAP pills now!") == [
        ("raw_text", "100%", f"({COLLAB})", "POSITIVE_CLASS", frozenset({"spam"}))
    ]
    assert tx.match("text", "--", "vote on wednesday not tuesday") == [
        ("raw_text", "100%", f"({COLLAB})", "NEGATIVE_CLASS", frozenset())
    ]
    assert tx.match("text", "--", "an ordinary ad for shoes") == []
    assert tx.match("url", "--", URL_X) == [("url", "-", f"({COLLAB})", "POSITIVE_CLASS", ira)]
    assert tx.match("url", "--", URL_X + "/") == []  # the library matches URLs exactly
    # a PDQ hash a few bits from one indicator, far from the other
    assert tx.match("-H", "photo", "--", flip(pdq_a, 3)) == [
        ("pdq", "3", f"({COLLAB})", "POSITIVE_CLASS", frozenset({"ira"}))
    ]
    assert tx.match("-H", "photo", "--", pdq_b) == [
        ("pdq", "0", f"({COLLAB})", "INVESTIGATION_SEED", frozenset())
    ]
    assert tx.match("-H", "photo", "--", flip(pdq_b, 128)) == []
    # and a picture, hashed by the CLI itself: the same photo saved as a JPEG
    Image.open(tmp_path / "a.png").save(tmp_path / "a.jpg", quality=80)
    hits = tx.match("photo", str(tmp_path / "a.jpg"))
    assert [(h[0], h[2], h[3]) for h in hits] == [("pdq", f"({COLLAB})", "POSITIVE_CLASS")]
    assert int(hits[0][1]) <= 31

    everything = {
        ("url", URL_X, COLLAB, "POSITIVE_CLASS", ira),
        ("url", URL_KEEP, COLLAB, "INVESTIGATION_SEED", frozenset()),
        ("raw_text", PILLS, COLLAB, "POSITIVE_CLASS", frozenset({"spam"})),
        ("raw_text", VOTE, COLLAB, "NEGATIVE_CLASS", frozenset()),
        ("pdq", pdq_a, COLLAB, "POSITIVE_CLASS", frozenset({"ira"})),
        ("pdq", pdq_b, COLLAB, "INVESTIGATION_SEED", frozenset()),
    }
    assert tx.dataset() == everything

    # Deleted on the server: gone after the next fetch (others of each type stay).
    svc.delete(acme, ids["x"])
    svc.delete(acme, ids["pills"])
    tx.ok("fetch")
    assert tx.match("url", "--", URL_X) == []
    assert tx.match("text", "--", "buy cheap pills now") == []
    assert tx.match("url", "--", URL_KEEP) == [
        ("url", "-", f"({COLLAB})", "INVESTIGATION_SEED", frozenset())
    ]
    assert tx.dataset() == {row for row in everything if row[1] not in (URL_X, PILLS)}

    # Nothing new: the stored state is not rewritten.
    pickle = tx.state / "fetched" / "paidfor" / f"{COLLAB}.state.pickle"
    before = (pickle.stat().st_mtime_ns, pickle.read_bytes())
    time.sleep(0.05)
    again = tx.ok("-v", "fetch")
    assert f"[paidfor] {COLLAB} - Up to date" in again.stderr
    assert f"No op update for {COLLAB}" in again.stderr
    assert "fetch() with 0 new records" in again.stderr
    assert (pickle.stat().st_mtime_ns, pickle.read_bytes()) == before

    # A change after that is picked up from the stored cursor.
    svc.update(acme, ids_of(svc, acme, URL_KEEP), {"status": "MALICIOUS", "tags": ["ira"]})
    tx.ok("fetch")
    assert pickle.read_bytes() != before[1]
    assert tx.match("url", "--", URL_KEEP) == [
        ("url", "-", f"({COLLAB})", "POSITIVE_CLASS", frozenset({"ira"}))
    ]

    # ``label`` reports an opinion back: a reaction on the indicator.
    tx.ok("label", "-H", "url", "-l", "ira", COLLAB, "url", "--", URL_KEEP)
    [keep] = [v for v in svc.indicators(acme, "shared") if v.value == URL_KEEP]
    assert keep.reactions == {"SAW_THIS_TOO": 1}


def ids_of(svc: ExchangeService, who: Member, value: str) -> int:
    [found] = [v.id for v in svc.indicators(who, "shared") if v.value == value]
    return found


def test_a_missing_token_is_the_clis_own_hint(tmp_path: Path) -> None:
    tx = Tx(tmp_path, token=None)
    dead = free_port()
    tx.setup(f"http://127.0.0.1:{dead}")  # nothing listens there
    done = tx.run("fetch")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Couldn't authenticate paidfor, it's missing authentification!" in done.stderr
    assert "populating an environment variable called PAIDFOR_EXCHANGE_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    tx.env["PAIDFOR_EXCHANGE_TOKEN"] = "not a paidfor token"
    done = tx.run("fetch")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert (
        "Invalid auth for paidfor: Invalid credentials from environment variable "
        + ("PAIDFOR_EXCHANGE_TOKEN")
        in done.stderr
    )
    # the token file in the home folder is the other source: with it the fetch gets as far
    # as the (closed) port
    del tx.env["PAIDFOR_EXCHANGE_TOKEN"]
    (Path(tx.env["HOME"]) / ".paidfor_exchange_token").write_text("pf_" + "y" * 43 + "\n")
    done = tx.run("fetch")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert f"paidfor server http://127.0.0.1:{dead} unreachable" in done.stderr


def test_a_refused_token_fails_the_fetch_and_says_why(server: Server, tmp_path: Path) -> None:
    tx = Tx(tmp_path, token="pf_" + "x" * 43)
    tx.setup(server.base)
    done = tx.run("fetch")
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert f"[paidfor] {COLLAB} - failed to fetch!" in done.stderr
    assert "(HTTP 401): the token is not valid or has been revoked" in done.stderr
    assert "PAIDFOR_EXCHANGE_TOKEN" in done.stderr
    assert not (tx.state / "fetched" / "paidfor" / f"{COLLAB}.state.pickle").exists()
