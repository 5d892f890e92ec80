"""The one place where Taorui reads its environment.

Every ``TAORUI_*`` variable is read here, validated once, frozen and passed down. Nothing
below the app package reads ``os.environ``: engines, tools and agents get paths and options
as arguments, so a test can build a ``Settings`` pointing at a temp folder and nothing leaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_home", "load_settings"]


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

    # LLM side (agent graph issue).
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

    # Memory (Chroma): a local PersistentClient under home unless a server is named.
    chroma_host: str | None = None
    chroma_port: int = Field(default=8000, ge=1, le=65535)

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
