"""One settings object, read from the environment (``PAIDFOR_*``). A value that does not
parse is an error naming its variable (``SettingsError``), never a silent default. The
commands read it once (``get_settings``) and pass it, or the values in it, to what they
start; nothing else reads the environment. Every field is a row of the README's
"Settings" table (``tests/house/test_docs.py``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, DirectoryPath, Field, PositiveInt, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from paidfor import errors


def _exists(path: Path) -> Path:
    if not path.exists():
        raise ValueError("no such file or folder")
    return path


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAIDFOR_", extra="ignore")

    database_url: str = "sqlite:///paidfor.db"
    secret_key: str = "dev-only-change-me"
    # Where ``paidfor serve`` listens unless --host/--port say otherwise.
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    # Staff session cookies only over HTTPS (set it behind a TLS-terminating proxy).
    https_only: bool = False
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
    # Seconds between the server's looks for submissions left without a decision (a request
    # that lost its database between storing the ad and its review); such an ad must be at
    # least this old (api.app.finish_interrupted_loop).
    resume_interval: float = 60.0
    # Seconds ``paidfor serve`` keeps an idle kept-alive connection open. Longer than the idle
    # timeouts of the clients and proxies in front of it (httpx 5 s, nginx's upstream
    # keepalive 60 s), so they close first: uvicorn's own 5 s equals httpx's, and either side
    # may then send into, or close, a connection the other is closing (a reset, a 502).
    keep_alive_seconds: PositiveInt = 75
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
    # The classifier's training data for ``paidfor model train``: the shared data folder
    # (its ``political_ads/train.csv``) or the CSV itself (default:
    # ``../shared/data/political_ads/train.csv`` beside the repository).
    shared_data: Annotated[Path, AfterValidator(_exists)] | None = None


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
