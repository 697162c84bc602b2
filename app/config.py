"""Settings, read from the environment (and a .env file) by pydantic-settings."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "development-only-secret-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'data' / 'app.db'}"
    secret_key: str = DEFAULT_SECRET
    sqlite_busy_timeout_ms: int = 5000
    # How long a request waits for a connection, and a write for its turn among this process's
    # writers (SQLite), before answering 503.
    sqlite_write_wait_seconds: float = 10.0
    # Connections per worker process: also how many requests work at once in it (the rest queue on
    # the event loop). SQLite work is all CPU in one process, so a few suffice and keep the writer
    # whose turn it is from sharing the interpreter with many readers (measured: 4 gives a mixed
    # p99 of 0.4 s where 8 gives 1.4 s); PostgreSQL requests also wait on the network.
    db_pool_size: int | None = None

    @property
    def pool_size(self) -> int:
        return self.db_pool_size or (4 if self.is_sqlite else 10)
    # Request bodies larger than this are refused with 413 before they are read (uploads set their own).
    max_body_bytes: int = 1024 * 1024
    # The GIAS upload's own limit: a national extract is about 60 MB.
    gias_upload_max_bytes: int = 100 * 1024 * 1024
    # The figures upload's own limit (/indicators/import): 5,000 rows are about 400 KB.
    indicators_upload_max_bytes: int = 5 * 1024 * 1024
    # POST /api/v1/indicators/bulk's own limit, for a request with a bearer token: 5,000 items with
    # every field at its longest are about 1.5 MB (a typical 5,000 about 630 KB).
    indicators_bulk_max_bytes: int = 4 * 1024 * 1024
    # An import job still "running" whose heartbeat is older than this, and that no thread of this
    # process is running, was cut off by a restart: it is shown, and marked, as failed.
    import_job_stale_seconds: float = 60.0
    # How often API tokens' last use is written (coalesced, outside requests); 0: only at shutdown.
    token_usage_flush_seconds: float = 10.0
    # Log lines (`serve`): "json", one object a line for a log collector, or "text" for a person;
    # unset: text in development, json elsewhere.
    log_format: Literal["json", "text"] | None = None
    # GET /metrics answers loopback clients; set this to let others in with `Authorization: Bearer <it>`.
    metrics_token: str | None = None

    @property
    def logs_as(self) -> Literal["json", "text"]:
        return self.log_format or ("text" if self.environment == "development" else "json")

    session_cookie_name: str = "sp_session"
    session_max_age_seconds: int = 60 * 60 * 12
    csrf_cookie_name: str = "sp_csrf"

    # argon2id cost; the defaults are argon2-cffi's recommended profile. Tests lower them.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536

    sign_in_max_failures: int = 5
    sign_in_window_seconds: int = 15 * 60
    # How long a one-time password link (made by an officer for someone they added) works.
    password_link_hours: int = 72

    htmx_script_url: str = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"
    htmx_integrity: str | None = Field(
        default="sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
    )
    static_dir: Path = PROJECT_ROOT / "app" / "static"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.environment != "development" and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "SECRET_KEY is still the development default; set SECRET_KEY to a long random "
                "value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if len(self.secret_key) < 16:
            raise ValueError("SECRET_KEY must be at least 16 characters long")
        return self

    @model_validator(mode="after")
    def _refuse_a_short_metrics_token(self) -> "Settings":
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise ValueError("METRICS_TOKEN must be at least 16 characters long (or unset: loopback only)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.environment != "development"


@lru_cache
def get_settings() -> Settings:
    return Settings()
