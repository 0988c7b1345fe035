"""The one settings object. Every field can be set by an environment variable named
``CGT_MONITOR_<FIELD>`` (for example ``CGT_MONITOR_DATABASE_URL``) or in a ``.env`` file."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_USER_AGENT = "cgt-monitor/0.1 (+https://github.com/cgt-monitor/cgt-monitor; news monitoring bot)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CGT_MONITOR_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///./data/cgt_monitor.db", description="SQLAlchemy URL of the database")
    sources_file: str = Field("seeds/sources.toml", description="the sources to monitor")
    batch_size: int = Field(200, ge=1, description="articles per parse/extract/store task")
    user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent sent to web sites")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
