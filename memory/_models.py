"""What the store answers with: typed, frozen models that tools and the CLI pass on as-is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from memory._records import MemoryKind, MetaValue

__all__ = ["DuplicateHit", "DuplicateReport", "MemoryConfig", "MemoryItem", "MemoryStats", "SearchHit"]


class MemoryConfig(BaseModel):
    """Where the memory lives: a local folder, or a Chroma server shared by a team."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path | None = Field(default=None, description="Folder of a local (persistent) store.")
    host: str | None = Field(default=None, description="Chroma server host; wins over path when set.")
    port: int = Field(default=8000, ge=1, le=65535, description="Chroma server port.")
    ssl: bool = Field(default=False, description="Talk https to the Chroma server.")
    collection_prefix: str = Field(default="taorui_", pattern=r"^[a-z][a-z0-9_]{0,30}$",
                                   description="Prefix of the collection names (runs, factors, ...).")
    bilingual: bool = Field(default=True, description=(
        "Add the English glossary terms of Chinese words to texts and queries that contain "
        "Chinese (the embedding model is English-first)."))

    @model_validator(mode="after")
    def _somewhere(self) -> MemoryConfig:
        if self.host is None and self.path is None:
            raise ValueError("a memory store needs a path (local) or a host (Chroma server)")
        return self

    @property
    def backend(self) -> Literal["local", "server"]:
        """``server`` when a host is named, else ``local``."""
        return "server" if self.host else "local"

    @property
    def location(self) -> str:
        """``host:port`` or the folder, for messages and stats."""
        return f"{self.host}:{self.port}" if self.host else str(self.path)


class MemoryItem(BaseModel):
    """One stored record: its id, kind, searchable text, metadata and the full record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable record id, e.g. run:train_rl-20250101T120000-ab12cd.")
    kind: MemoryKind = Field(description="Collection it lives in.")
    text: str = Field(description="The searchable text of the record.")
    metadata: dict[str, MetaValue] = Field(description="Filterable fields and numbers.")
    record: dict[str, JsonValue] = Field(description="The full typed record as JSON.")


class SearchHit(BaseModel):
    """One search result; ``score`` is the cosine similarity to the query (1 = same meaning)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Record id; pass it to recall/show for the full record.")
    kind: MemoryKind = Field(description="Collection it came from.")
    score: float = Field(description="Cosine similarity to the query, -1..1, higher is closer.")
    text: str = Field(description="The record's searchable text.")
    metadata: dict[str, MetaValue] = Field(description="Filterable fields and numbers.")


class MemoryStats(BaseModel):
    """Size and identity of a store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["local", "server"] = Field(description="Local folder or Chroma server.")
    location: str = Field(description="Folder or host:port.")
    embedding_model: str = Field(description="Model every collection is embedded with.")
    embedding_dim: int = Field(description="Vector dimension.")
    counts: dict[MemoryKind, int] = Field(description="Records per kind.")
    total: int = Field(description="Records in all kinds.")


class DuplicateHit(BaseModel):
    """A stored record that an incoming one repeats, and why it counts as a repeat."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Id of the stored record.")
    reason: str = Field(description="What is the same (canonical form, description, parameters).")
    similarity: float | None = Field(default=None, description="Description similarity, for near duplicates.")
    text: str = Field(description="The stored record's text.")


class DuplicateReport(BaseModel):
    """Exact repeats (same canonical form / same engine+name+parameters) and near ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exact: tuple[DuplicateHit, ...] = Field(default=(), description="Records that are the same thing.")
    near: tuple[DuplicateHit, ...] = Field(default=(), description="Records described almost identically.")

    @property
    def is_duplicate(self) -> bool:
        """True when anything, exact or near, was found."""
        return bool(self.exact or self.near)
