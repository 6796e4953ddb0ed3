"""One settings object, read from the environment (``PAIDFOR_*``). A value that does not
parse is an error naming its variable (``SettingsError``), never a silent default. The
commands read it once (``get_settings``) and pass it, or the values in it, to what they
start; nothing else reads the environment. Every field is a row of the README's
"Settings" table (``tests/house/test_docs.py``)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, DirectoryPath, Field, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from paidfor import errors
from paidfor.domain.urls import host_of, link_of


def _exists(path: Path) -> Path:
    if not path.exists():
        raise ValueError("no such file or folder")
    return path


def _origin(value: str | None) -> str | None:
    """A public URL: http or https, a host, nothing after it but a ``/``."""
    if value is None:
        return None
    url = value.strip().rstrip("/")
    rest = url.split("://", 1)[-1]
    if link_of(url) is None or any(c in rest for c in "/?#@"):
        raise ValueError("give the server's address only, as http(s)://host[:port]")
    return url


def _proxies(value: str) -> str:
    for item in proxy_list(value):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an address or a network") from None
    return value


def proxy_list(value: str) -> list[str]:
    """``PAIDFOR_TRUSTED_PROXIES`` as a list: ``10.0.0.1, 10.1.0.0/16`` -> two items."""
    return [item.strip() for item in value.split(",") if item.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAIDFOR_", extra="ignore")

    database_url: str = "sqlite:///paidfor.db"
    # Signs the session cookies and keys the card fingerprints. Unset: ``paidfor serve`` keeps
    # a random one per database (``with_secret_key``) and refuses a non-loopback host.
    secret_key: str | None = None
    # Where ``paidfor serve`` listens unless --host/--port say otherwise.
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # The address clients reach the server at (``https://ads.example.org`` behind a proxy):
    # every absolute URL the server writes (``paging.next``, ``ad_snapshot_url``, redirects)
    # starts with it, never with a request's Host. Unset: ``http://HOST:PORT`` of where the
    # server listens (``public_url_of``).
    public_url: Annotated[str | None, AfterValidator(_origin)] = None
    # Host names the server answers to besides the public URL's and the loopback names,
    # comma-separated; a request naming any other Host is refused (``allowed_hosts_of``).
    allowed_hosts: str = ""
    # Staff session cookies only over HTTPS (set it behind a TLS-terminating proxy).
    https_only: bool = False
    # The proxies whose X-Forwarded-For (and -Proto) ``paidfor serve`` believes: addresses or
    # networks, comma-separated. Empty: none, every client is the address it connects from
    # (a local process could otherwise name any address and dodge the per-address limits).
    trusted_proxies: Annotated[str, AfterValidator(_proxies)] = ""
    # Rows a ``paidfor import`` transaction holds unless --batch-size says otherwise.
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = 2000
    # The tantivy search index beside the database (library.index_store): where it lives
    # (default: beside a SQLite file, else under ~/.cache/paidfor), and whether to use it.
    index_dir: str | None = None
    search_index: bool = True
    # Shards of the index (default: one a core, up to four).
    index_shards: Annotated[int | None, Field(ge=1, le=64)] = None
    # GET /v{N}/ads_archive: a sliding window per client IP, like the Graph API's app limit
    # of 200 calls an hour. ``archive_time_budget`` is the seconds of request time (wall and
    # CPU, each) a client may use in one window; X-App-Usage reports both as percentages.
    archive_rate_limit: int = 200
    archive_rate_window: float = 3600.0
    archive_time_budget: float = 600.0
    # The public JSON search (/api/search) and the downloads (/search.csv, /search.parquet):
    # calls per client IP in a sliding window, and the seconds of request time allowed in one
    # window; 0 calls turns the limit off (docs/reliability.md).
    search_rate_limit: int = 300
    search_rate_window: float = 60.0
    search_time_budget: float = 60.0
    download_rate_limit: int = 20
    download_rate_window: float = 60.0
    download_time_budget: float = 300.0
    # Notifications of political ads (art. 15 of Regulation (EU) 2024/900): the public form
    # and API, and the status look-ups, per client IP in a sliding window; 0 turns it off.
    notification_rate_limit: int = 20
    notification_rate_window: float = 3600.0
    # The SQLite file the rate limits count calls in, shared by the server's workers
    # (default: beside a SQLite database, ``paidfor.db.ratelimit``, else under
    # ~/.cache/paidfor); ``memory``: each process counts its own.
    rate_limit_store: str | None = None
    # Seconds between the server's looks for submissions left without a decision (a request
    # that lost its database between storing the ad and its review); such an ad must be at
    # least this old (services.finish_interrupted_loop).
    resume_interval: float = 60.0
    # Seconds ``paidfor serve`` keeps an idle kept-alive connection open. Longer than the idle
    # timeouts of the clients and proxies in front of it (httpx 5 s, nginx's upstream
    # keepalive 60 s), so they close first: uvicorn's own 5 s equals httpx's, and either side
    # may then send into, or close, a connection the other is closing (a reset, a 502).
    keep_alive_seconds: PositiveInt = 75
    # A folder where each ``paidfor serve`` process writes what its garbage collector did
    # (``gc-PID.json``: collections, pauses; ``api.gcwatch``) when sent SIGUSR1 and at exit,
    # for the benchmarks. Unset: not watched (the default: no hook on the collector).
    gc_stats: str | None = None
    # The largest request body a route takes (image uploads take their 8 MB and a little).
    max_body_bytes: int = 1024 * 1024
    # The Ed25519 private key (PEM) that signs disclosure packages: a path outside the
    # database (``paidfor keys generate`` makes one).
    disclosure_key: str | None = None
    # Where built disclosure packages go (default: ``disclosures`` beside a SQLite file, else
    # under ~/.local/share/paidfor).
    disclosure_dir: str | None = None
    # The shared data folder ``paidfor demo`` imports from (default: ``shared/data`` beside
    # the working directory or one of its parents, or beside the repository).
    data_dir: DirectoryPath | None = None


def find_data_dir(explicit: Path | None, settings: Settings) -> Path:
    """The shared data folder (``paidfor demo``'s imports, ``paidfor model train``'s
    ``political_ads/train.csv``): the command's ``--data``, ``settings.data_dir``
    (PAIDFOR_DATA_DIR), or shared/data beside the working directory, a parent of it or the
    repository."""
    if explicit:
        return explicit
    if settings.data_dir is not None:
        return settings.data_dir
    for base in [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]:
        candidate = base / "shared" / "data"
        if (candidate / "hpsci_ira_ads").is_dir():
            return candidate
    raise errors.Invalid("no shared/data folder found: pass --data DIR or set PAIDFOR_DATA_DIR")


class SettingsError(errors.Invalid):
    """A ``PAIDFOR_*`` variable whose value does not parse; the message names it."""


def load_settings() -> Settings:
    """The settings from the environment, or SettingsError naming each bad variable."""
    try:
        return Settings()
    except ValidationError as e:
        bad = "; ".join(
            f"PAIDFOR_{str(err['loc'][0]).upper()}={err.get('input')!r}: {err['msg']}"
            for err in e.errors()
        )
        raise SettingsError(f"bad setting: {bad}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


#: The shortest ``PAIDFOR_SECRET_KEY`` a server on a non-loopback address accepts.
MIN_SECRET = 16


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: The names of this machine a server always answers to, whatever its public URL.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def public_url_of(settings: Settings) -> str:
    """``settings.public_url``, else the address the server listens on (``paidfor serve``
    puts the host and port it binds in the settings it serves with)."""
    if settings.public_url:
        return settings.public_url
    host = settings.host.strip("[]")
    return f"http://[{host}]:{settings.port}" if ":" in host else f"http://{host}:{settings.port}"


def allowed_hosts_of(settings: Settings) -> frozenset[str]:
    """The Host names the server answers to: its public URL's, the loopback names, and
    ``settings.allowed_hosts``, lowercased, without a port or a trailing dot."""
    named = [public_url_of(settings), *settings.allowed_hosts.split(",")]
    return LOOPBACK_NAMES | {host for host in map(host_of, named) if host}


def _unspecified(host: str) -> bool:
    """``0.0.0.0``, ``::`` (or nothing): every address of the machine."""
    bare = host.strip().strip("[]")
    try:
        return not bare or ipaddress.ip_address(bare).is_unspecified
    except ValueError:
        return False


def with_address(settings: Settings, host: str, port: int) -> Settings:
    """The settings a server listening on ``host:port`` runs with: that host and port, so
    that an unset public URL is where it listens. Listening on every address (``0.0.0.0``,
    ``::``) names no address a client could use: there the public URL must be set."""
    if not settings.public_url and _unspecified(host):
        raise errors.Invalid(
            f"PAIDFOR_PUBLIC_URL is not set: set it to the address clients reach the server "
            f"at (e.g. https://ads.example.org) to serve on {host or 'every address'}"
        )
    return settings.model_copy(update={"host": host, "port": port})


def secret_key_file(settings: Settings) -> Path:
    """Where the generated key of ``settings``' database lives: beside a SQLite file
    (``paidfor.db.secret-key``), else in ~/.local/share/paidfor."""
    url = settings.database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        db = Path(url.removeprefix("sqlite:///").split("?")[0]).resolve()
        return db.with_name(f"{db.name}.secret-key")
    return Path.home() / ".local" / "share" / "paidfor" / "secret-key"


def with_secret_key(settings: Settings, host: str) -> Settings:
    """The settings a server on ``host`` runs with. A set ``PAIDFOR_SECRET_KEY`` is used as
    it is (on a non-loopback host it must be at least ``MIN_SECRET`` characters). Unset, a
    server on a non-loopback host is refused (anyone who knows a constant key could sign a
    staff session); on loopback the key is a random one made once per database and kept
    beside it, readable by its owner only (mode 0600), so sessions and card fingerprints
    survive a restart and every worker shares it."""
    key = settings.secret_key
    if key is not None:
        if not is_loopback(host) and len(key) < MIN_SECRET:
            raise errors.Invalid(
                f"PAIDFOR_SECRET_KEY is shorter than {MIN_SECRET} characters: set a long "
                f"random one to serve on {host}"
            )
        return settings
    if not is_loopback(host):
        raise errors.Invalid(
            f"PAIDFOR_SECRET_KEY is not set: set a long random one (e.g. `python -c "
            f"'import secrets; print(secrets.token_urlsafe(32))'`) to serve on {host}; "
            "on 127.0.0.1 paidfor makes one itself"
        )
    path = secret_key_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            raise errors.Invalid(
                f"{path} (the generated secret key) can be read by others: chmod 600 {path}"
            ) from None
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_SECRET:
            raise errors.Invalid(
                f"{path} holds no usable key: delete it to make a new one"
            ) from None
    else:
        key = secrets.token_urlsafe(32)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
    return settings.model_copy(update={"secret_key": key})
