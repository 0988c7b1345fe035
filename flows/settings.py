"""The one settings object. Every field can be set by an environment variable named
``CGT_MONITOR_<FIELD>`` (for example ``CGT_MONITOR_DATABASE_URL``) or in a ``.env`` file.
Nothing reads the environment at import time: ``load_settings()`` is called by the flow."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .extraction import ExtractionOptions
from .fetching.client import FetchConfig

DEFAULT_USER_AGENT = "cgt-monitor/0.1 (+https://github.com/cgt-monitor/cgt-monitor; news monitoring bot)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CGT_MONITOR_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///./data/cgt_monitor.db", description="SQLAlchemy URL of the database")
    sources_file: str = Field("seeds/sources.toml", description="the sources to monitor")
    aliases_file: str = Field(
        "",
        description="CSV (alias,canonical) of institution aliases; default: institution_aliases.csv beside the sources file",
    )
    batch_size: int = Field(
        200,
        ge=1,
        description="articles fetched, parsed and stored together (memory: at most three batches of pages are held at once)",
    )
    source_concurrency: int = Field(
        3, ge=1, description="sources processed at once (one fetches while another's pages are parsed)"
    )
    main_text_extractor: Literal["auto", "lxml", "trafilatura"] = Field(
        "auto",
        description="auto (the fast heuristic, trafilatura where its check fails), lxml (the heuristic alone) or trafilatura",
    )
    extractor: Literal["learned", "rules", "llm"] = Field(
        "learned",
        description="claim extractor: learned (decisions trained on labelled news), rules, or llm (a language model; the learned one where it cannot be used)",
    )
    claim_model: str = Field(
        "", description="model file of the learned extractor (empty: the one shipped with cgt-monitor)"
    )
    link_model: str = Field(
        "",
        description="linkage model file (scripts/train_linkage.py --out); empty: the one shipped with cgt-monitor",
    )
    llm_base_url: str = Field(
        "",
        description="OpenAI-compatible API of the language model (e.g. http://localhost:11434/v1 for Ollama)",
    )
    llm_model: str = Field("", description="the model's name on that server (e.g. llama3.1)")
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="sent as Authorization: Bearer; never logged, stored or shown"
    )
    llm_structured_output: bool = Field(
        True, description="ask for JSON Schema output (JSON mode when off, or when the server refuses it)"
    )
    llm_timeout: float = Field(120.0, gt=0, description="seconds for one whole answer")
    llm_retries: int = Field(3, ge=0, description="retries of 429, 5xx, timeouts (Retry-After honoured)")
    llm_max_response_bytes: int = Field(2_000_000, gt=0, description="a larger answer is refused")
    llm_max_calls_per_run: int = Field(
        500, ge=0, description="requests per run; the rest use the offline claims"
    )
    llm_max_tokens_per_run: int = Field(
        2_000_000, ge=0, description="tokens per run, as the server counts them"
    )
    llm_concurrency: int = Field(
        2,
        ge=1,
        description="requests at once: the size of the Prefect limit cgt-monitor-llm all runs share, when it is created",
    )
    llm_circuit_breaker: int = Field(
        5, ge=1, description="articles failing in a row after which the model is not asked again that run"
    )
    max_articles_per_source: int = Field(
        200, ge=1, description="per run, unless the source sets max_articles"
    )
    parse_workers: int = Field(
        0, ge=0, description="processes for parsing/extraction (0: one per core; 1: in the flow's process)"
    )
    task_runner: Literal["default", "dask"] = Field(
        "default", description="default (parse workers in this machine's processes) or dask"
    )
    dask_address: str = Field("", description="address of a running Dask scheduler (task_runner=dask)")
    dask_workers: int = Field(2, ge=1, description="local Dask worker processes when no address is given")
    schedule_cron: str = Field("0 */6 * * *", description="cron schedule of the served deployment")
    schedule_timezone: str = Field(
        "UTC", description="time zone of the cron schedule (IANA name, e.g. Europe/Berlin)"
    )

    user_agent: str = Field(DEFAULT_USER_AGENT, description="User-Agent sent to web sites; names the project")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to connect")
    read_timeout: float = Field(20.0, gt=0, description="seconds between bytes")
    total_timeout: float = Field(60.0, gt=0, description="seconds for a whole response")
    max_bytes: int = Field(5 * 1024 * 1024, gt=0, description="body-size cap; larger downloads are aborted")
    max_listing_bytes: int = Field(
        50 * 1024 * 1024,
        gt=0,
        description="cap on a feed or sitemap (the sitemap protocol allows 50 MB uncompressed)",
    )
    max_redirects: int = Field(5, ge=0)
    retries: int = Field(3, ge=0, description="retries of transient errors (connection, timeout, 429, 5xx)")
    backoff_base: float = Field(1.0, ge=0, description="first retry delay in seconds, doubled each time")
    backoff_max: float = Field(60.0, ge=0, description="cap on retry delays and on Retry-After")
    per_host_concurrency: int = Field(2, ge=1, description="requests in flight per host")
    per_host_delay: float = Field(1.0, ge=0, description="minimum seconds between requests to one host")
    respect_robots: bool = Field(True, description="honour robots.txt")
    allow_private_networks: str = Field(
        "",
        description="comma-separated IPs or CIDRs that may be fetched although not public (e.g. 127.0.0.1/32)",
    )

    def extraction_options(self) -> ExtractionOptions:
        return ExtractionOptions(self.main_text_extractor, self.extractor, self.claim_model)

    def fetch_config(self) -> FetchConfig:
        return FetchConfig(
            user_agent=self.user_agent,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            total_timeout=self.total_timeout,
            max_bytes=self.max_bytes,
            max_listing_bytes=self.max_listing_bytes,
            max_redirects=self.max_redirects,
            retries=self.retries,
            backoff_base=self.backoff_base,
            backoff_max=self.backoff_max,
            per_host_concurrency=self.per_host_concurrency,
            per_host_delay=self.per_host_delay,
            respect_robots=self.respect_robots,
            allowed_networks=tuple(n.strip() for n in self.allow_private_networks.split(",") if n.strip()),
        )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]  # pydantic validates the keywords
