"""One settings object, read from the environment (``PAIDFOR_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAIDFOR_", extra="ignore")

    database_url: str = "sqlite:///paidfor.db"
    secret_key: str = "dev-only-change-me"
    host: str = "127.0.0.1"
    port: int = 8000
    batch_size: int = 2000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
