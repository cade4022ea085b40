"""Every GAZE setting, each also read from a `GAZE_*` environment variable."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GAZE_", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the server binds to.")
    port: int = Field(5782, description="Port the server listens on.")
    data_dir: Path = Field(Path("./data"), description="Folder for the database, queue, images.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file `<data>/gaze.db`."
    )
    database_pool_size: int | None = Field(
        None,
        ge=1,
        description="PostgreSQL connections each process keeps open; default 2 per worker "
        "thread + 24 (the API's request threads and helpers).",
    )
    database_max_overflow: int | None = Field(
        None,
        ge=0,
        description="Connections a process may open beyond the pool at busy moments; default: "
        "up to 2 per worker thread + 44 in all.",
    )
    queue_url: str | None = Field(
        None, description="Queue storage: SQLite file (default `<data>/queue.db`) or redis://…"
    )
    models_dir: Path | None = Field(
        None, description="Models folder with checkpoints/, loras/, vae/; default `<data>/models`."
    )
    media_dir: Path | None = Field(
        None, description="Where images are written; default `<data>/uploads`."
    )
    backends: str = Field(
        "local", description="Comma-separated backends: `local` and/or ComfyUI URLs."
    )
    workers: int | None = Field(
        None, description="Worker threads of the in-process worker; default one per backend."
    )
    engine_threads: int | None = Field(
        None, description="torch CPU threads for the embedded engine; default all cores."
    )
    device: str | None = Field(None, description="Embedded engine device: cpu, cuda; default auto.")
    engine_cache: int | None = Field(
        None,
        ge=1,
        description="Checkpoints the embedded engine keeps loaded; default 1 on CPU, 2 on CUDA.",
    )
    log_level: str = Field("info", description="Log level: debug, info, warning, error.")
    log_polls: bool = Field(
        False, description="Write an access-log line for every answered job poll too."
    )
    url: str = Field(
        "http://127.0.0.1:5782", description="Server the `gaze generate`/`gaze jobs` client uses."
    )
    api_key: str | None = Field(None, description="REST API key the command-line client sends.")
    webhook_allow_private: bool = Field(
        False, description="Allow webhooks to loopback and private addresses (never link-local)."
    )
    webhook_max_attempts: int = Field(
        6, ge=1, le=20, description="Deliveries of one webhook event before giving up."
    )
    webhook_retry_seconds: float = Field(
        2.0, gt=0, description="First webhook retry delay; doubles on each further attempt."
    )
    webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="How long one webhook POST may take."
    )
    events_retention_hours: float = Field(
        24.0, gt=0, description="How long job events stay available for `Last-Event-ID` resumes."
    )
    events_heartbeat_seconds: float = Field(
        15.0, gt=0, description="Seconds between heartbeat comments on an idle event stream."
    )
    events_poll_seconds: float = Field(
        0.1, gt=0, description="How often event streams look for events of other processes."
    )
    admin_password: str | None = Field(
        None,
        description="Web UI admin password, required when binding beyond loopback; "
        "default: the one set with `gaze admin set-password`.",
    )
    comfyui_timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds a ComfyUI backend may go without progress on a job before it fails.",
    )
    job_stale_seconds: float = Field(
        30.0, gt=0, description="A running job whose worker is silent this long is queued again."
    )
    sweep_seconds: float = Field(
        10.0, gt=0, description="How often workers look for interrupted or unqueued jobs."
    )
    auth_failure_limit: int = Field(
        10, ge=1, description="Wrong API keys allowed per client address per minute before 429."
    )
    allowed_hosts: str = Field(
        "",
        description="Comma-separated extra host names the server answers to (besides loopback "
        "names when bound to loopback); `*.example.com` matches subdomains.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated proxy addresses or networks whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; default: none.",
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="Time a client has to send a request's line and headers."
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        description="Time a request body may take, plus 1 s per 32 KiB received (then 408).",
    )
    max_pending_jobs: int = Field(
        1000, ge=1, description="Pending jobs allowed at once; a request past it gets 429."
    )
    llm_url: str | None = Field(
        None,
        description="An OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio, OpenAI) "
        "for drafting library resources, with or without its `/v1`; default: none (no drafts).",
    )
    llm_model: str = Field("", description="The model drafts ask the LLM server for.")
    llm_api_key: str | None = Field(
        None, description="Bearer key sent to the LLM server; default: none."
    )
    llm_timeout_seconds: float = Field(
        120.0, gt=0, description="How long one LLM request may take before the draft fails."
    )

    @field_validator("data_dir", "models_dir", "media_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gaze.db'}"

    @cached_property
    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{self.data_dir / 'queue.db'}"

    @cached_property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def checkpoints_dir(self) -> Path:
        return self.resolved_models_dir / "checkpoints"

    @property
    def loras_dir(self) -> Path:
        return self.resolved_models_dir / "loras"

    @cached_property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "uploads"

    @cached_property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @cached_property
    def backend_names(self) -> list[str]:
        return [name.strip().rstrip("/") for name in self.backends.split(",") if name.strip()]

    @cached_property
    def worker_count(self) -> int:
        return self.workers or max(1, len(self.backend_names))

    @property
    def cpu_threads(self) -> int:
        return self.engine_threads or os.cpu_count() or 1


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (CLI flags) taking precedence."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
