"""Where the rate limits (``api.ratelimit``) keep their calls: each process's memory
(``MemoryWindows``), or a small SQLite file every worker of one server opens
(``SqliteWindows``), so that ``paidfor serve --workers 4`` gives a client one budget, not four.

A store holds, per limit (its name) and client, each counted call: when it started (wall
clock, ``time.time``: the processes share it) and the wall and CPU time it took. The limiter
asks it for the calls since the start of its window, and counts a call in the same step
(``admit``: in SQLite one ``BEGIN IMMEDIATE`` transaction, so two workers cannot both let
through the last call of a budget). Calls that left every window are pruned now and then.

The SQLite store fails open: when its file cannot be opened or written (a full disk, a lock
held past the busy timeout) the call is let through and counted nowhere, with a log line at
most once a minute; the file is tried again after ``RETRY`` seconds.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from hashlib import sha1
from pathlib import Path
from typing import NamedTuple, Protocol

log = logging.getLogger("paidfor.interfaces.http.api")

#: Seconds a store that failed is left alone before it is opened again.
RETRY = 30.0
#: Seconds between two prunings of the calls that left every window.
PRUNE_EVERY = 60.0
#: Seconds a call waits for another process's transaction on the file before failing open.
BUSY_TIMEOUT = 0.5


class Counts(NamedTuple):
    """A client's calls in a window: how many, their wall and CPU seconds, when the oldest
    started (None: no call)."""

    calls: int
    wall: float
    cpu: float
    oldest: float | None


NONE = Counts(0, 0.0, 0.0, None)


class Windows(Protocol):
    def register(self, name: str, window: float) -> None:
        """A limit called ``name`` keeps calls ``window`` seconds."""

    def counts(self, name: str, client: str, since: float) -> Counts: ...

    def admit(
        self, name: str, client: str, now: float, since: float, allow: Callable[[Counts], bool]
    ) -> tuple[Counts, int | None]:
        """The client's calls since ``since``; when ``allow`` takes them, a call started
        ``now`` is counted too: the counts include it, with the id ``finish`` charges its time
        to (None: refused, or counted nowhere since the store failed open)."""
        ...

    def finish(self, entry: int, wall: float, cpu: float) -> None: ...

    def close(self) -> None: ...


class MemoryWindows:
    """The calls in this process's memory (one server process; tests; an in-memory
    database, whose server has nothing to share)."""

    def __init__(self) -> None:
        self._calls: dict[tuple[str, str], deque[list[float]]] = {}
        self._entries: dict[int, list[float]] = {}
        self._windows: dict[str, float] = {}
        self._next = 0
        self._lock = threading.Lock()

    def register(self, name: str, window: float) -> None:
        self._windows[name] = window

    def _window(self, name: str, client: str, since: float) -> deque[list[float]]:
        calls = self._calls.setdefault((name, client), deque())
        while calls and calls[0][0] <= since:
            gone = calls.popleft()
            self._entries.pop(int(gone[3]), None)
        return calls

    @staticmethod
    def _counts(calls: deque[list[float]]) -> Counts:
        return Counts(
            len(calls),
            sum(c[1] for c in calls),
            sum(c[2] for c in calls),
            calls[0][0] if calls else None,
        )

    def counts(self, name: str, client: str, since: float) -> Counts:
        with self._lock:
            counts = self._counts(self._window(name, client, since))
            if len(self._calls) > 10_000:  # forget idle clients
                for key in [k for k, v in self._calls.items() if not v]:
                    del self._calls[key]
            return counts

    def admit(
        self, name: str, client: str, now: float, since: float, allow: Callable[[Counts], bool]
    ) -> tuple[Counts, int | None]:
        with self._lock:
            calls = self._window(name, client, since)
            counts = self._counts(calls)
            if not allow(counts):
                return counts, None
            self._next += 1
            entry = [now, 0.0, 0.0, float(self._next)]
            calls.append(entry)
            self._entries[self._next] = entry
            return self._counts(calls), self._next

    def finish(self, entry: int, wall: float, cpu: float) -> None:
        with self._lock:
            call = self._entries.pop(entry, None)
            if call is not None:
                call[1], call[2] = wall, cpu

    def close(self) -> None:
        pass


SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    client TEXT NOT NULL,
    started REAL NOT NULL,
    wall REAL NOT NULL DEFAULT 0,
    cpu REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS calls_window ON calls (name, client, started, wall, cpu);
"""
_COUNTS = (
    "SELECT count(*), total(wall), total(cpu), min(started) FROM calls "
    "WHERE name = ? AND client = ? AND started > ?"
)


class SqliteWindows:
    """The calls in a SQLite file shared by the processes of one server (WAL: a reader
    never waits; writers wait for each other at most ``BUSY_TIMEOUT``). The file holds client
    addresses: it is made readable by its owner only. One connection a process, behind a
    lock (a transaction is some tens of microseconds)."""

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = BUSY_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.clock = clock  # for pruning and retrying only; the limiter says what ``now`` is
        self._windows: dict[str, float] = {}
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._down_until = 0.0
        self._logged = 0.0
        self._pruned = 0.0

    def register(self, name: str, window: float) -> None:
        self._windows[name] = max(window, self._windows.get(name, 0.0))

    def _connect(self) -> sqlite3.Connection | None:
        """This process's connection (a forked child opens its own), or None while the
        file is failing."""
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        if self.clock() < self._down_until:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # counts, not records: no fsync a call
            conn.executescript(SCHEMA)
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _failed(self, exc: Exception) -> None:
        now = self.clock()
        if now - self._logged >= 60:
            log.warning(
                "rate-limit store %s unavailable, calls are let through uncounted: %s",
                self.path,
                exc,
            )
            self._logged = now
        self._down_until = now + RETRY
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def counts(self, name: str, client: str, since: float) -> Counts:
        with self._lock:
            try:
                conn = self._connect()
                if conn is None:
                    return NONE
                row = conn.execute(_COUNTS, (name, client, since)).fetchone()
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)
                return NONE
        return Counts(int(row[0]), float(row[1]), float(row[2]), row[3])

    def admit(
        self, name: str, client: str, now: float, since: float, allow: Callable[[Counts], bool]
    ) -> tuple[Counts, int | None]:
        with self._lock:
            try:
                conn = self._connect()
                if conn is None:
                    return NONE, None
                conn.execute("BEGIN IMMEDIATE")
                try:
                    row = conn.execute(_COUNTS, (name, client, since)).fetchone()
                    counts = Counts(int(row[0]), float(row[1]), float(row[2]), row[3])
                    entry = None
                    if allow(counts):
                        cur = conn.execute(
                            "INSERT INTO calls (name, client, started) VALUES (?, ?, ?)",
                            (name, client, now),
                        )
                        entry = cur.lastrowid
                        counts = Counts(
                            counts.calls + 1,
                            counts.wall,
                            counts.cpu,
                            now if counts.oldest is None else counts.oldest,
                        )
                    if now - self._pruned >= PRUNE_EVERY:
                        self._prune(conn, now)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)
                return NONE, None
        return counts, entry

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        """Forget the calls that left their limit's window (in the open transaction)."""
        for name, window in self._windows.items():
            conn.execute("DELETE FROM calls WHERE name = ? AND started <= ?", (name, now - window))
        self._pruned = now

    def finish(self, entry: int, wall: float, cpu: float) -> None:
        with self._lock:
            try:
                conn = self._connect()
                if conn is not None:
                    conn.execute(
                        "UPDATE calls SET wall = ?, cpu = ? WHERE id = ?", (wall, cpu, entry)
                    )
            except (sqlite3.Error, OSError) as exc:
                self._failed(exc)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None


def default_store_path(database_url: str) -> Path | None:
    """Beside a SQLite file (``paidfor.db.ratelimit``); for a server database, a file under
    ``~/.cache/paidfor`` named after the URL (the workers of one machine share it); in-memory
    SQLite: none (each process keeps its own)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1].split("?", 1)[0] if "///" in database_url else ""
        if not path or path == ":memory:":
            return None
        return Path(path + ".ratelimit")
    digest = sha1(database_url.encode()).hexdigest()[:16]
    return Path.home() / ".cache" / "paidfor" / f"ratelimit-{digest}.db"


def open_windows(database_url: str, store: str | None) -> Windows:
    """The store ``PAIDFOR_RATE_LIMIT_STORE`` names (``memory``: each process its own), or
    the default place for ``database_url``'s server."""
    if store == "memory":
        return MemoryWindows()
    path = Path(store).expanduser() if store else default_store_path(database_url)
    return MemoryWindows() if path is None else SqliteWindows(path)
