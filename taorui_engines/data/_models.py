"""Typed records of what a store holds and where each series came from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Region = Literal["us", "cn"]


class Provenance(BaseModel):
    """Where a series came from. Shown next to the data by every command that shows data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="Origin of the data, e.g. a package file or a CSV path.")
    synthetic: bool = Field(description="True when the series was generated, not observed.")
    generator: str | None = Field(default=None, description="Generator name for synthetic data.")
    seed: int | None = Field(default=None, description="Random seed for synthetic data.")
    notes: str = Field(default="", description="How the bars were built or filled.")


class InstrumentInfo(BaseModel):
    """One instrument of the store with its provenance and span."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    market: str
    freq: str
    start: str
    end: str
    rows: int
    fields: tuple[str, ...]
    provenance: Provenance

    @property
    def source(self) -> str:
        """Shortcut for ``provenance.source``."""
        return self.provenance.source

    @property
    def synthetic(self) -> bool:
        """Shortcut for ``provenance.synthetic``."""
        return self.provenance.synthetic

    def summary(self) -> dict[str, object]:
        """The flat row shown by ``taorui data list``."""
        return {
            "symbol": self.symbol,
            "market": self.market,
            "source": self.provenance.source,
            "synthetic": self.provenance.synthetic,
            "generator": self.provenance.generator,
            "seed": self.provenance.seed,
            "start": self.start,
            "end": self.end,
            "freq": self.freq,
            "rows": self.rows,
            "fields": list(self.fields),
            "notes": self.provenance.notes,
        }


class UniverseInfo(BaseModel):
    """A named set of instruments of one market (a Qlib instruments file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    market: str
    members: tuple[str, ...]
    synthetic: bool
    description: str = ""


class MarketMeta(BaseModel):
    """``meta.json`` inside one store version: everything the catalog knows of it."""

    model_config = ConfigDict(extra="forbid")

    market: str
    region: Region = "us"
    version: int = 0
    instruments: dict[str, InstrumentInfo] = Field(default_factory=dict)
    universes: dict[str, UniverseInfo] = Field(default_factory=dict)
    sample_version: int | None = None
