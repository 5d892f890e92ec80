"""The one place where Taorui reads its environment.

Every ``TAORUI_*`` variable is read here, validated once, frozen and passed down. Nothing
below the app package reads ``os.environ``: engines, tools and agents get paths and options
as arguments, so a test can build a ``Settings`` pointing at a temp folder and nothing leaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ChromaServer", "Settings", "default_home", "load_settings"]


class ChromaServer(BaseModel):
    """Where a Chroma server listens, from TAORUI_CHROMA_URL (or the older TAORUI_CHROMA_HOST/PORT)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(description="Server host name or address.")
    port: int = Field(ge=1, le=65535, description="Server port.")
    ssl: bool = Field(default=False, description="True for https.")

    @property
    def url(self) -> str:
        """``http(s)://host:port``, for messages."""
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


def _check_url(value: str | None, name: str, schemes: tuple[str, ...], example: str) -> str | None:
    """``value`` stripped, or a ValueError that says what a good one looks like."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{name} {value!r} is not a URL ({exc}); e.g. {example}") from exc
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{name} {value!r} must be {' or '.join(s + '://' for s in schemes)}HOST[:PORT]; "
                         f"e.g. {example}")
    return value


def default_home() -> Path:
    """The per-user folder for stores, runs and logs when TAORUI_HOME is not set."""
    return Path.home() / ".taorui"


class Settings(BaseSettings):
    """Validated, frozen configuration. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="TAORUI_", frozen=True, extra="ignore", env_file=None
    )

    home: Path = Field(default_factory=default_home, description="Folder for stores, runs, logs.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    # -- LLM: the offline planner unless TAORUI_LLM_BACKEND=openai (TAORUI_LLM_BASE_URL: a
    # vLLM / llama.cpp / Ollama server; unset with the openai backend = OpenAI itself).
    llm_backend: Literal["offline", "openai"] = "offline"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    llm_max_retries: int = Field(default=4, ge=0, le=20)
    llm_token_budget: int = Field(default=200_000, gt=0)
    llm_cost_budget_usd: float = Field(default=2.0, ge=0)
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_seed: int | None = Field(default=None, ge=0)

    # -- Memory (Chroma): a local PersistentClient under home unless a server is named.
    # TAORUI_CHROMA_URL (http://host:8000) is preferred; TAORUI_CHROMA_HOST + TAORUI_CHROMA_PORT,
    # the older pair, still work and are used only when no URL is set.
    chroma_url: str | None = Field(default=None, description="Chroma server, e.g. http://chroma:8000.")
    chroma_host: str | None = Field(default=None, description="Older form: the Chroma server's host.")
    chroma_port: int = Field(default=8000, ge=1, le=65535, description="Older form: its port.")

    # -- Parallel experiments (Ray): in-process unless an address is named; with one, grid searches
    # and multi-seed RL training run as tasks on that cluster (the CLI and tools pass it down).
    ray_address: str | None = Field(default=None, description="Ray cluster, e.g. ray://head:10001 or head:6379.")

    # -- Durable state: SQLite files under home/state unless a database is named. Postgres
    # is not built yet: `taorui doctor` checks the server answers and says so.
    database_url: str | None = Field(default=None, description="e.g. postgresql://taorui@db:5432/taorui.")

    # Understanding: where the intent router's static embeddings are cached (built once).
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "taorui",
                            description="Caches shared by every home (the router's distilled embeddings).")
    # LLM agents: let an OpenAI-compatible model call the agents' tools itself (default: the
    # task executor runs the spec the model produced).
    llm_agents: bool = False

    # Guardrails.
    risk_policy_file: Path | None = None
    audit_anchor_dir: Path | None = Field(
        default=None, description="Where the audit key and anchor live (default home/audit_anchor); put it where "
                                  "whoever can write the state folder cannot.")

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url(cls, value: str | None) -> str | None:
        return _check_url(value, "TAORUI_CHROMA_URL", ("http", "https"), "http://127.0.0.1:8000")

    @field_validator("llm_base_url")
    @classmethod
    def _llm_url(cls, value: str | None) -> str | None:
        return _check_url(value, "TAORUI_LLM_BASE_URL", ("http", "https"), "http://127.0.0.1:8000/v1")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        return _check_url(value, "TAORUI_DATABASE_URL", ("postgresql", "postgres", "postgresql+psycopg"),
                          "postgresql://taorui@127.0.0.1:5432/taorui")

    @field_validator("ray_address")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip() or value.strip() in ("auto", "local"):
            return value.strip() if value and value.strip() else None
        plain = value.strip() if "://" in value else f"ray://{value.strip()}"
        _check_url(plain, "TAORUI_RAY_ADDRESS", ("ray",), "ray://127.0.0.1:10001 or 127.0.0.1:6379")
        return value.strip()

    @property
    def chroma_server(self) -> ChromaServer | None:
        """The Chroma server to use: TAORUI_CHROMA_URL, else TAORUI_CHROMA_HOST/PORT, else None (local)."""
        if self.chroma_url:
            parts = urlsplit(self.chroma_url)
            ssl = parts.scheme == "https"
            return ChromaServer(host=parts.hostname or "", port=parts.port or (443 if ssl else 8000), ssl=ssl)
        if self.chroma_host:
            return ChromaServer(host=self.chroma_host, port=self.chroma_port)
        return None

    @property
    def data_dir(self) -> Path:
        """Root of the Qlib stores and their catalog."""
        return self.home / "data"

    @property
    def runs_dir(self) -> Path:
        """Root of the run folders (one per training/backtest/instruction)."""
        return self.home / "runs"

    @property
    def logs_dir(self) -> Path:
        """Where log files are written."""
        return self.home / "logs"

    @property
    def state_dir(self) -> Path:
        """SQLite state: broker, trading state, approvals, audit log, checkpoints."""
        return self.home / "state"

    @property
    def anchor_dir(self) -> Path:
        """The audit log's key and anchor, kept apart from the state folder they protect."""
        return self.audit_anchor_dir or self.home / "audit_anchor"

    @property
    def memory_dir(self) -> Path:
        """The local Chroma store."""
        return self.home / "memory"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by the CLI's flags and by tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
