"""Typed memory records: runs, factors, strategies and the trade journal.

Each record knows three things about itself: its stable id (so adding it twice keeps one),
the text that is embedded and searched by meaning (``document``), and the flat metadata
that can be filtered (numbers as floats, so ``rank_icir>0.5`` works). The full record is
kept as JSON next to them, so ``get`` gives back the typed record, not a lossy summary.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from memory._canonical import canonical_form

__all__ = [
    "KIND_OF_PREFIX",
    "KINDS",
    "FactorRecord",
    "JournalRecord",
    "MemoryKind",
    "MemoryRecord",
    "MetaValue",
    "RunRecord",
    "StrategyRecord",
    "flatten_numbers",
    "kind_of_id",
    "metadata_key",
]

MemoryKind = Literal["runs", "factors", "strategies", "journal"]
#: Every kind, in the order stats and cross-kind searches walk them.
KINDS: tuple[MemoryKind, ...] = ("runs", "factors", "strategies", "journal")
MetaValue = str | float | bool

#: Metadata keys the store itself writes; record numbers that collide get a ``metric_`` prefix.
RESERVED_KEYS = frozenset({"kind", "ts", "time", "record", "canonical_key", "strategy_key"})
#: Numbers per record that go into metadata; more would bloat every row of the index.
_MAX_NUMBERS = 48
_KEY_RE = re.compile(r"[^a-z0-9_]+")


def metadata_key(name: str) -> str:
    """A filterable key: lower case, ``[a-z0-9_]`` only (``Rank IC`` -> ``rank_ic``)."""
    key = _KEY_RE.sub("_", name.strip().lower()).strip("_")
    return key or "value"


def _stable_hash(*parts: object) -> str:
    """16 hex digits of SHA-256 over a canonical JSON of ``parts``."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def flatten_numbers(values: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Finite numbers of a (nested) mapping as ``{"a_b": 1.0}``; text, NaN and lists dropped."""
    out: dict[str, float] = {}
    for name, value in values.items():
        key = metadata_key(f"{prefix}_{name}" if prefix else str(name))
        if isinstance(value, Mapping):
            out.update(flatten_numbers(value, key))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                out[key] = float(value)
    return out


def _render_value(value: Any, limit: int = 60) -> str:
    """A short human form of a config value for the searchable text."""
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, list | tuple):
        text = ",".join(_render_value(v, 20) for v in value[:8]) + (",..." if len(value) > 8 else "")
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _render_pairs(values: Mapping[str, Any], prefix: str = "", cap: int = 20) -> list[str]:
    """``key=value`` items of a nested mapping, dotted keys, at most ``cap`` of them."""
    items: list[str] = []
    for name, value in values.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, Mapping):
            items.extend(_render_pairs(value, key, cap))
        elif value is not None:
            items.append(f"{key}={_render_value(value)}")
    return items[:cap]


def _numbers_text(values: Mapping[str, float], cap: int = 12) -> str:
    """``k=v`` pairs for the text; the model reads 256 word pieces, the rest stays in metadata."""
    items = [f"{k}={v:.4g}" for k, v in list(values.items())[:cap]]
    more = f" (+{len(values) - cap} more)" if len(values) > cap else ""
    return "; ".join(items) + more


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC so timestamps compare across records."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class MemoryRecord(BaseModel):
    """Base of the four record types: stable id, searchable text, filterable metadata."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The collection the record lives in.
    KIND: ClassVar[MemoryKind]
    #: The id prefix, which also tells ``get``/``delete`` which collection to look in.
    PREFIX: ClassVar[str]

    def record_id(self) -> str:
        """``<prefix>:<key>``; equal records give equal ids, so adding twice keeps one."""
        return f"{self.PREFIX}:{self._key()}"

    @abstractmethod
    def _key(self) -> str:
        """The part of the id that identifies the record within its kind."""

    @abstractmethod
    def timestamp(self) -> datetime:
        """When the thing the record describes happened (used for ``recent``)."""

    @abstractmethod
    def document(self) -> str:
        """The text that is embedded and searched by meaning."""

    @abstractmethod
    def _fields(self) -> dict[str, MetaValue]:
        """Record-specific metadata (strings and flags)."""

    @abstractmethod
    def _numbers(self) -> dict[str, float]:
        """Record-specific numbers, filterable with ``>``/``<``."""

    def metadata(self) -> dict[str, MetaValue]:
        """Flat metadata for Chroma: fields, numbers (floats), time, and the record JSON."""
        when = _aware(self.timestamp())
        meta: dict[str, MetaValue] = {"kind": self.KIND, "ts": when.timestamp(),
                                      "time": when.isoformat(timespec="seconds")}
        meta.update(self._fields())
        for name, value in list(self._numbers().items())[:_MAX_NUMBERS]:
            key = f"metric_{name}" if name in meta or name in RESERVED_KEYS else name
            meta[key] = value
        meta["record"] = self.model_dump_json()
        return meta


class RunRecord(MemoryRecord):
    """One engine run or instruction: what was asked, what ran, what it gave."""

    KIND: ClassVar[MemoryKind] = "runs"
    PREFIX: ClassVar[str] = "run"

    run_id: str = Field(min_length=1, description="Id of the run folder, e.g. train_rl-20250101T120000-ab12cd.")
    run_kind: str = Field(min_length=1, description="What kind of run: train_rl, backtest, factor_eval, ...")
    state: Literal["running", "done", "failed"] = Field(description="Final state of the run.")
    error: str | None = Field(default=None, description="Why the run failed, when it did.")
    instruction: str | None = Field(default=None, description="The person's instruction that led to it.")
    agent: str | None = Field(default=None, description="Agent (or 'user') that started it.")
    tools_called: tuple[str, ...] = Field(default=(), description="Tools called for it, in order.")
    config: dict[str, JsonValue] = Field(default_factory=dict, description="config.json of the run.")
    metrics: dict[str, float] = Field(default_factory=dict, description="Headline numbers, flattened.")
    run_dir: str | None = Field(default=None, description="Path of the run folder.")
    started: datetime = Field(description="When the run started (UTC).")
    finished: datetime | None = Field(default=None, description="When it ended (UTC), if it did.")
    notes: str | None = Field(default=None, description="Free text: a summary or suggestion.")

    def _key(self) -> str:
        return self.run_id

    def timestamp(self) -> datetime:
        return self.started

    def document(self) -> str:
        parts = [f"Run {self.run_kind} ({self.state})."]
        if self.instruction:
            parts.append(f"Instruction: {self.instruction}.")
        if self.notes:
            parts.append(self.notes.rstrip(".") + ".")
        if self.state == "failed":
            parts.append(f"Failed: {self.error or 'no reason recorded'}.")
        if self.config:
            parts.append("Config: " + "; ".join(_render_pairs(self.config)) + ".")
        if self.metrics:
            parts.append("Metrics: " + _numbers_text(self.metrics) + ".")
        if self.agent or self.tools_called:
            parts.append(f"Agent {self.agent or 'unknown'}; tools: {', '.join(self.tools_called) or 'none'}.")
        return " ".join(parts)

    def _fields(self) -> dict[str, MetaValue]:
        fields: dict[str, MetaValue] = {"run_id": self.run_id, "run_kind": self.run_kind,
                                        "state": self.state, "agent": self.agent or "",
                                        "tools": ",".join(self.tools_called)}
        for name, value in self.config.items():  # top-level config scalars: cfg_symbol=GOLD
            if isinstance(value, bool | str):
                fields[f"cfg_{metadata_key(name)}"] = value[:200] if isinstance(value, str) else value
            elif _is_number(value):
                fields[f"cfg_{metadata_key(name)}"] = float(value)  # type: ignore[arg-type]
        return fields

    def _numbers(self) -> dict[str, float]:
        return flatten_numbers(self.metrics)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class FactorRecord(MemoryRecord):
    """One evaluated factor: its expression, where and how it was measured, the verdict."""

    KIND: ClassVar[MemoryKind] = "factors"
    PREFIX: ClassVar[str] = "factor"

    name: str | None = Field(default=None, description="Short name, e.g. MOM20.")
    expression: str = Field(min_length=1, description="Qlib expression, e.g. $close/Ref($close,20)-1.")
    canonical: str = Field(default="", description="Canonical form; computed from the expression when empty.")
    description: str = Field(default="", description="What the factor means, in words.")
    universe: str = Field(min_length=1, description="Universe or symbols it was evaluated on.")
    start: date = Field(description="First day of the evaluation window.")
    end: date = Field(description="Last day of the evaluation window.")
    horizon: int | None = Field(default=None, ge=1, description="Forward-return horizon in days.")
    ic: float | None = Field(default=None, description="Mean information coefficient (Pearson).")
    icir: float | None = Field(default=None, description="IC mean / IC std.")
    rank_ic: float | None = Field(default=None, description="Mean rank IC (Spearman).")
    rank_icir: float | None = Field(default=None, description="Rank IC mean / rank IC std.")
    status: Literal["accepted", "rejected"] = Field(description="The verdict on the factor.")
    reason: str = Field(default="", description="Why it was accepted or rejected.")
    run_id: str | None = Field(default=None, description="Run folder of the evaluation.")
    agent: str | None = Field(default=None, description="Agent that proposed it.")
    created: datetime = Field(default_factory=_now, description="When it was evaluated (UTC).")
    # Factor mining: where a mined factor came from and how it fared (None for evaluated ones).
    theme: str | None = Field(default=None, max_length=40, description="Mining theme (momentum, volatility, ...).")
    hypothesis: str | None = Field(default=None, max_length=600, description="The hypothesis it tested.")
    round: int | None = Field(default=None, ge=0, description="Mining round in which it was evaluated.")
    confirm_rank_icir: float | None = Field(default=None, description="Rank ICIR on the held-out confirmation period.")
    n_tried: int | None = Field(default=None, ge=1, description="Candidates tried in its mining run (multiple testing).")

    @model_validator(mode="before")
    @classmethod
    def _fill_canonical(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("canonical") and isinstance(data.get("expression"), str):
            data = {**data, "canonical": canonical_form(data["expression"])}
        return data

    @model_validator(mode="after")
    def _window_is_ordered(self) -> FactorRecord:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def canonical_key(self) -> str:
        """Same canonical form -> same key, whatever the universe or window."""
        return _stable_hash(self.canonical)

    def _key(self) -> str:
        return _stable_hash(self.canonical, self.universe, self.start, self.end, self.horizon)

    def timestamp(self) -> datetime:
        return self.created

    def document(self) -> str:
        head = f"Factor {self.name}: " if self.name else "Factor: "
        parts = [head + (self.description.rstrip(".") + "." if self.description else self.expression + ".")]
        parts.append(f"Expression: {self.expression}.")
        if self.hypothesis:
            parts.append(f"Hypothesis: {self.hypothesis.rstrip('.')}.")
        horizon = f", {self.horizon}-day forward return" if self.horizon else ""
        parts.append(f"Universe {self.universe}, {self.start}..{self.end}{horizon}.")
        if self._numbers():
            parts.append(_numbers_text(self._numbers()) + ".")
        parts.append(f"{self.status.capitalize()}" + (f": {self.reason}." if self.reason else "."))
        return " ".join(parts)

    def _fields(self) -> dict[str, MetaValue]:
        return {"name": self.name or "", "canonical_key": self.canonical_key(), "universe": self.universe,
                "status": self.status, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "run_id": self.run_id or "", "agent": self.agent or "", "theme": self.theme or ""}

    def _numbers(self) -> dict[str, float]:
        values = {"ic": self.ic, "icir": self.icir, "rank_ic": self.rank_ic, "rank_icir": self.rank_icir,
                  "horizon": self.horizon, "round": self.round, "confirm_rank_icir": self.confirm_rank_icir,
                  "n_tried": self.n_tried}
        return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


class StrategyRecord(MemoryRecord):
    """One tested strategy: engine, name, parameters, in- and out-of-sample numbers."""

    KIND: ClassVar[MemoryKind] = "strategies"
    PREFIX: ClassVar[str] = "strategy"

    engine: Literal["qlib", "finrl", "backtrader"] = Field(description="Engine that ran it.")
    name: str = Field(min_length=1, description="Strategy name, e.g. sma_cross or ppo.")
    parameters: dict[str, JsonValue] = Field(default_factory=dict, description="Its parameters.")
    universe: str = Field(min_length=1, description="Symbol or universe it traded, e.g. GOLD.")
    description: str = Field(default="", description="What it does, in words.")
    in_sample: dict[str, float] = Field(default_factory=dict, description="In-sample metrics.")
    out_of_sample: dict[str, float] = Field(default_factory=dict, description="Out-of-sample metrics.")
    train_span: tuple[date, date] | None = Field(default=None, description="In-sample window.")
    test_span: tuple[date, date] | None = Field(default=None, description="Out-of-sample window.")
    run_id: str | None = Field(default=None, description="Run folder of the backtest.")
    agent: str | None = Field(default=None, description="Agent that ran it.")
    created: datetime = Field(default_factory=_now, description="When it was tested (UTC).")

    def strategy_key(self) -> str:
        """Same engine, name and parameters -> same key, whatever the data or window."""
        return _stable_hash(self.engine, self.name, self.parameters)

    def _key(self) -> str:
        return _stable_hash(self.strategy_key(), self.universe, self.train_span, self.test_span)

    def timestamp(self) -> datetime:
        return self.created

    def document(self) -> str:
        parts = [f"Strategy {self.name} on {self.engine}, trading {self.universe}."]
        if self.description:
            parts.append(self.description.rstrip(".") + ".")
        if self.parameters:
            parts.append("Parameters: " + "; ".join(_render_pairs(self.parameters)) + ".")
        for label, span, values in (("In-sample", self.train_span, self.in_sample),
                                    ("Out-of-sample", self.test_span, self.out_of_sample)):
            if values:
                window = f" {span[0]}..{span[1]}" if span else ""
                parts.append(f"{label}{window}: {_numbers_text(values)}.")
        return " ".join(parts)

    def _fields(self) -> dict[str, MetaValue]:
        return {"engine": self.engine, "name": self.name, "universe": self.universe,
                "strategy_key": self.strategy_key(), "run_id": self.run_id or "",
                "agent": self.agent or ""}

    def _numbers(self) -> dict[str, float]:
        return {**flatten_numbers(self.in_sample, "is"), **flatten_numbers(self.out_of_sample, "oos")}


class JournalRecord(MemoryRecord):
    """A readable mirror of one audit-log event: an order, decision, approval or fill."""

    KIND: ClassVar[MemoryKind] = "journal"
    PREFIX: ClassVar[str] = "journal"

    event_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:\-]+$",
                          description="Stable id of the audit event (its sequence number or key).")
    event: Literal["order", "decision", "approval", "fill"] = Field(description="What happened.")
    time: datetime = Field(description="When it happened (UTC).")
    symbol: str | None = Field(default=None, description="Instrument concerned.")
    side: Literal["buy", "sell"] | None = Field(default=None, description="Order side.")
    quantity: float | None = Field(default=None, ge=0, description="Quantity ordered or filled.")
    price: float | None = Field(default=None, ge=0, description="Limit or fill price.")
    order_key: str | None = Field(default=None, description="Idempotency key of the order.")
    outcome: str | None = Field(default=None, description="allow / reject / approved / denied / filled ...")
    reasons: tuple[str, ...] = Field(default=(), description="Reasons given (guardrail, human).")
    agent: str | None = Field(default=None, description="Who acted.")
    text: str = Field(default="", description="Free summary of the event.")

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)

    def _key(self) -> str:
        return self.event_id

    def timestamp(self) -> datetime:
        return self.time

    def document(self) -> str:
        trade = " ".join(str(p) for p in (self.side, _fmt(self.quantity), self.symbol) if p)
        price = f" at {self.price:g}" if self.price is not None else ""
        parts = [f"{self.event.capitalize()} {self.time:%Y-%m-%d %H:%M}: {trade}{price}".rstrip(": ") + "."]
        if self.outcome:
            parts.append(f"Outcome: {self.outcome}.")
        if self.reasons:
            parts.append("Reasons: " + "; ".join(self.reasons) + ".")
        if self.text:
            parts.append(self.text.rstrip(".") + ".")
        if self.order_key:
            parts.append(f"Order {self.order_key}.")
        return " ".join(parts)

    def _fields(self) -> dict[str, MetaValue]:
        return {"event": self.event, "symbol": self.symbol or "", "side": self.side or "",
                "order_key": self.order_key or "", "outcome": self.outcome or "", "agent": self.agent or ""}

    def _numbers(self) -> dict[str, float]:
        values = {"quantity": self.quantity, "price": self.price}
        return {k: float(v) for k, v in values.items() if v is not None}


def _fmt(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


_RECORD_TYPES: dict[str, type[MemoryRecord]] = {
    cls.PREFIX: cls for cls in (RunRecord, FactorRecord, StrategyRecord, JournalRecord)
}
#: id prefix -> kind, e.g. ``"factor" -> "factors"``.
KIND_OF_PREFIX: dict[str, MemoryKind] = {p: cls.KIND for p, cls in _RECORD_TYPES.items()}
#: kind -> record class.
RECORD_TYPE_OF_KIND: dict[MemoryKind, type[MemoryRecord]] = {cls.KIND: cls for cls in _RECORD_TYPES.values()}


def kind_of_id(record_id: str) -> MemoryKind | None:
    """The collection an id belongs to, from its prefix (``None`` for a foreign id)."""
    prefix, sep, rest = record_id.partition(":")
    return KIND_OF_PREFIX.get(prefix) if sep and rest else None


def records_by_kind(records: Iterable[MemoryRecord]) -> dict[MemoryKind, list[MemoryRecord]]:
    """Group records per collection, keeping their order."""
    out: dict[MemoryKind, list[MemoryRecord]] = {}
    for record in records:
        out.setdefault(record.KIND, []).append(record)
    return out
