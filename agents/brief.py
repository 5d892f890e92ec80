"""The brief an agent receives: the instruction plus a JSON context block.

The graph writes one brief per agent turn (instruction, language, task, the store's catalog
with synthetic series marked, what memory recalled, and a hand-over from another agent).
An LLM reads it as text; the offline planner reads the JSON block back with
:func:`read_brief`, so both backends see exactly the same facts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Brief", "CatalogEntry", "MemoryHit", "StoreCatalog", "catalog_entries", "compact_catalog", "read_brief",
           "render_brief", "render_brief_compact"]

_BLOCK = re.compile(r"```json\s*(\{.*\})\s*```", re.S)


class CatalogEntry(BaseModel):
    """One instrument or universe of the data store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Symbol or universe name.")
    kind: Literal["instrument", "universe"]
    market: str
    start: str = Field(description="First bar (YYYY-MM-DD).")
    end: str = Field(description="Last bar (YYYY-MM-DD).")
    synthetic: bool = Field(description="True when the data was generated, not observed.")
    members: int | None = Field(default=None, description="Universe size.")
    lot_size: int = Field(default=1, ge=1, description="Units per lot (100 in A-share-like markets).")
    source: str = ""


class _Instrument(Protocol):
    @property
    def symbol(self) -> str: ...
    @property
    def market(self) -> str: ...
    @property
    def start(self) -> str: ...
    @property
    def end(self) -> str: ...
    @property
    def synthetic(self) -> bool: ...
    @property
    def source(self) -> str: ...


class _Universe(Protocol):
    @property
    def market(self) -> str: ...
    @property
    def members(self) -> Sequence[str]: ...
    @property
    def synthetic(self) -> bool: ...


class _Meta(Protocol):
    @property
    def region(self) -> str: ...


class StoreCatalog(Protocol):
    """What listing the store takes (the data center, or its light JSON-only listing)."""

    def markets(self) -> list[str]: ...
    def market_meta(self, market: str) -> _Meta | None: ...
    def list_instruments(self) -> Sequence[_Instrument]: ...
    def universes(self) -> Mapping[str, _Universe]: ...
    def info(self, symbol: str) -> _Instrument: ...


def catalog_entries(store: StoreCatalog) -> list[CatalogEntry]:
    """What the store holds, with synthetic series marked and lot sizes by market region."""
    universes = store.universes()
    members = {m for u in universes.values() for m in u.members}
    # Stocks of an A-share-like (region cn) market trade in lots of 100; other series in units.
    lots = {m: 100 if (meta := store.market_meta(m)) is not None and meta.region == "cn" else 1
            for m in store.markets()}
    entries = [CatalogEntry(name=i.symbol, kind="instrument", market=i.market, start=i.start, end=i.end,
                            synthetic=i.synthetic, source=i.source,
                            lot_size=lots.get(i.market, 1) if i.symbol in members else 1)
               for i in store.list_instruments()]
    for name, u in universes.items():
        infos = [store.info(s) for s in list(u.members)[:1]]
        start, end = (infos[0].start, infos[0].end) if infos else ("", "")
        entries.append(CatalogEntry(name=name, kind="universe", market=u.market, start=start, end=end,
                                    synthetic=u.synthetic, members=len(u.members), lot_size=lots.get(u.market, 1)))
    # Universe members are listed too (the trader sizes their orders), without their source.
    return [e if e.name not in members else e.model_copy(update={"source": ""}) for e in entries]


class MemoryHit(BaseModel):
    """Something memory recalled for this instruction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    text: str
    score: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Brief(BaseModel):
    """Everything an agent is told at the start of its turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instruction: str
    language: Literal["en", "zh"]
    role: str
    task: str = ""
    earlier: tuple[str, ...] = Field(default=(), description="Earlier instructions of a clarification.")
    catalog: tuple[CatalogEntry, ...] = ()
    memory: tuple[MemoryHit, ...] = ()
    handover: dict[str, Any] | None = Field(default=None, description="From the previous agent.")
    spec: dict[str, Any] | None = Field(default=None, description="The task spec the supervisor submitted.")
    thread_id: str = ""
    today: date = Field(default_factory=date.today,
                        description="The calendar day the instruction is answered on (how old the data is, by it).")

    def entry(self, name: str) -> CatalogEntry | None:
        """The catalog entry called ``name`` (case-insensitive)."""
        return next((e for e in self.catalog if e.name.lower() == name.lower()), None)


def render_brief(brief: Brief) -> str:
    """The brief as a human message: instruction first, then the JSON context block."""
    body = brief.model_dump(mode="json")
    lines = [f"Instruction: {brief.instruction}"]
    if brief.earlier:
        lines.append("Earlier in this conversation: " + " / ".join(brief.earlier))
    if brief.task:
        lines.append(f"Task: {brief.task}")
    lines += ["", "Context:", "```json", json.dumps(body, ensure_ascii=False, indent=1), "```"]
    return "\n".join(lines)


#: Runs of at least this many alike instruments (same market, dates, flags, lot) are listed as a range.
_RUN = 4


def _line(e: CatalogEntry, names: str) -> str:
    flags = [e.kind, e.market, f"{e.start}..{e.end}"]
    if e.kind == "universe":
        flags.append(f"{e.members} members")
    if e.synthetic:
        flags.append("SYNTHETIC")
    if e.lot_size != 1:
        flags.append(f"lot {e.lot_size}")
    if e.source:
        flags.append(f"source {e.source}")
    return f"{names}: {', '.join(flags)}"


def compact_catalog(catalog: Sequence[CatalogEntry]) -> list[str]:
    """The catalog in a few lines: one per instrument or universe, and alike universe members as
    one range ("SYN000..SYN119 (120)"), so a model's context holds it in a few hundred tokens."""
    groups: dict[tuple[Any, ...], list[CatalogEntry]] = {}
    for e in catalog:
        key = (e.kind, e.market, e.start, e.end, e.synthetic, e.lot_size, e.source) if e.kind == "instrument" \
            else (e.name,)
        groups.setdefault(key, []).append(e)
    lines = []
    for members in groups.values():
        first = members[0]
        if len(members) >= _RUN:
            names = sorted(m.name for m in members)
            lines.append(_line(first, f"{names[0]}..{names[-1]} ({len(names)} instruments)"))
        else:
            lines += [_line(m, m.name) for m in members]
    return lines


def _unset(value: Any) -> bool:
    """None, False, [] or {} (a zero is a value)."""
    return value is None or value is False or (isinstance(value, list | dict) and not value)


def _pruned(value: Any) -> Any:
    """``value`` without None, False and empty values (a spec's unset fields), recursively; a
    sourced ``value`` is kept whatever it is (a stated ``false`` is a fact)."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if k == "value" or not _unset(v)}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def render_brief_compact(brief: Brief) -> str:
    """The brief for a model on the wire: the same facts as :func:`render_brief` with the catalog
    as :func:`compact_catalog` lines and empty fields left out (local servers often run small
    contexts; the full catalog alone was most of a supervisor's first message)."""
    body = {**brief.model_dump(mode="json", exclude={"catalog", "instruction", "task", "earlier"},
                               exclude_defaults=True),
            "today": brief.today.isoformat()}  # the instruction, task and earlier ones are the lines above
    if brief.spec is not None:  # its text is the instruction again; empty and unset values say nothing
        body["spec"] = _pruned({k: v for k, v in brief.spec.items() if k not in ("text", "backend")})
    lines = [f"Instruction: {brief.instruction}"]
    if brief.earlier:
        lines.append("Earlier in this conversation: " + " / ".join(brief.earlier))
    if brief.task:
        lines.append(f"Task: {brief.task}")
    lines += ["", "Data in the store:", *(f"- {line}" for line in compact_catalog(brief.catalog)),
              "", "Context:", "```json", json.dumps(body, ensure_ascii=False, separators=(",", ":")), "```"]
    return "\n".join(lines)


def read_brief(text: str) -> Brief | None:
    """The brief inside a message written by :func:`render_brief`, or None."""
    match = _BLOCK.search(text)
    if not match:
        return None
    try:
        return Brief.model_validate_json(match.group(1))
    except (ValidationError, ValueError):
        return None
