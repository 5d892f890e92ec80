"""What an LLM fills in to submit a task: a compact draft of :class:`~agents.spec.TaskSpec`.

The full spec (with a provenance wrapper around every value) is too large a schema for a
model with a 4k-token context, so a model fills this flat draft through the ``submit_task``
tool (structured output) and :func:`draft_to_spec` builds the spec. Provenance is not taken
on trust: a value counts as ``stated`` only when the words the model quotes for it (or the
value itself) occur in the instruction; otherwise it is ``inferred``, and the answer says so.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.spec import (
    AGENT_OF,
    Costs,
    Intent,
    Quantity,
    RunRef,
    Sourced,
    StepSpec,
    TaskSpec,
    Window,
    Windows,
)

__all__ = ["DraftStep", "TaskDraft", "draft_to_spec", "spec_to_draft"]

_WINDOW = r"^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$"


class DraftStep(BaseModel):
    """One step. Leave out what the person did not say: defaults are applied later and named."""

    model_config = ConfigDict(extra="forbid")

    intent: Intent
    instruments: list[str] = Field(default_factory=list, description="Store symbols: GOLD, SP500, NASDAQ, WTI, SYN001..")
    universe: str | None = Field(default=None, description="e.g. csi_syn")
    algo: Literal["ppo", "a2c", "sac", "td3", "ddpg"] | None = None
    model: Literal["lightgbm", "linear", "mlp"] | None = None
    features: Literal["alpha158", "alpha360", "custom"] | None = None
    strategy: str | None = Field(default=None, description="sma_cross, ema_cross, macd, rsi_reversion, "
                                                           "bollinger_breakout, bollinger_reversion, donchian_breakout, buy_and_hold")
    params: dict[str, float] = Field(default_factory=dict, description="e.g. {fast: 10, slow: 30}")
    grid: dict[str, list[float]] = Field(default_factory=dict, description="values to search per parameter")
    tune: list[str] = Field(default_factory=list, description="parameters to search with default ranges")
    data_window: str | None = Field(default=None, pattern=_WINDOW, description="YYYY-MM-DD..YYYY-MM-DD")
    train_window: str | None = Field(default=None, pattern=_WINDOW)
    valid_window: str | None = Field(default=None, pattern=_WINDOW)
    test_window: str | None = Field(default=None, pattern=_WINDOW, description="test / out of sample / hold-out")
    commission: float | None = Field(default=None, ge=0, le=0.05, description="fraction: 3 bp = 0.0003")
    slippage: float | None = Field(default=None, ge=0, le=0.05, description="fraction")
    horizon: Literal["day", "week", "month"] | None = Field(default=None, description="period a suggestion is for")
    forward_days: int | None = Field(default=None, gt=0, le=60)
    timesteps: int | None = Field(default=None, gt=0)
    seed: int | None = Field(default=None, ge=0)
    cash: float | None = Field(default=None, gt=0)
    side: Literal["buy", "sell"] | None = None
    quantity_kind: Literal["units", "lots", "notional", "pct_equity", "fraction_of_position"] | None = None
    quantity: float | None = Field(default=None, gt=0, description="per quantity_kind; 0.5 = half a position")
    limit_price: float | None = Field(default=None, gt=0, description="an order's limit price, as stated")
    condition: str | None = Field(default=None, max_length=200,
                                  description="an order's condition as the person said it ('if it is down on the day')")
    top_k: int | None = Field(default=None, gt=0)
    top_pct: float | None = Field(default=None, gt=0, le=100)
    expressions: list[str] = Field(default_factory=list, description="Qlib factor expressions as written")
    theme: str | None = Field(default=None, description="factor theme: momentum, reversal, volatility, volume ...")
    factor_count: int | None = Field(default=None, gt=0, le=20)
    ref_when: str | None = Field(default=None, description="recall: last | yesterday | YYYY-MM-DD")
    suggest: bool = Field(default=False, description="the person asked what to do next")
    all_positions: bool = Field(default=False, description="place_order sell on EVERY held position, only when the "
                                                           "person said so ('close everything', '清仓所有持仓'); "
                                                           "no instruments then")
    said: dict[str, str] = Field(default_factory=dict, description="field -> the person's exact words for it")


class TaskDraft(BaseModel):
    """The task: steps in order ('compare' as a last step when results are to be compared)."""

    model_config = ConfigDict(extra="forbid")

    language: Literal["en", "zh"] = Field(description="The language of the instruction (answer in it).")
    steps: list[DraftStep] = Field(min_length=1)
    approval: bool = Field(default=False, description="The person asked to approve orders first.")
    question: str | None = Field(default=None, description="One clarifying question if a needed value is missing.")


def _said_in(text: str, words: str | None, value: Any) -> tuple[bool, str | None]:
    """Is this value stated in ``text``? By the quoted words, or by the value itself."""
    lowered = text.lower()
    if words and words.strip().lower() in lowered:
        return True, words.strip()[:200]
    plain = f"{value:g}" if isinstance(value, float) else str(value).lower()
    if plain and not isinstance(value, bool) and re.search(r"(?<![\w.])" + re.escape(plain) + r"(?![\w])", lowered):
        return True, plain
    return False, None


def _sourced(text: str, step: DraftStep, name: str, value: Any) -> Sourced[Any]:
    stated, said = _said_in(text, step.said.get(name), value)
    return Sourced[Any](value=value, source="stated" if stated else "inferred", said=said)


def _window(text: str, step: DraftStep, name: str) -> Sourced[Window] | None:
    raw = getattr(step, name)
    if raw is None:
        return None
    start, end = (date.fromisoformat(p) for p in raw.split(".."))
    stated, said = _said_in(text, step.said.get(name), str(start.year))
    return Sourced[Window](value=Window(start=start, end=end), source="stated" if stated else "inferred", said=said)


def _opt(text: str, step: DraftStep, name: str) -> Sourced[Any] | None:
    value = getattr(step, name)
    return None if value is None else _sourced(text, step, name, value)


def _step(text: str, d: DraftStep) -> StepSpec:
    quantity = None
    if d.quantity_kind is not None and d.quantity is not None:
        quantity = _sourced(text, d, "quantity", Quantity(kind=d.quantity_kind, value=d.quantity))
    ref = _sourced(text, d, "ref_when", RunRef(when=d.ref_when)) if d.ref_when else None
    return StepSpec(
        intent=d.intent, agent=AGENT_OF.get(d.intent),
        instruments=tuple(_sourced(text, d, "instruments", s.upper()) for s in d.instruments),
        universe=_opt(text, d, "universe"), algo=_opt(text, d, "algo"), model=_opt(text, d, "model"),
        features=_opt(text, d, "features"), strategy=_opt(text, d, "strategy"),
        params={k: _sourced(text, d, f"params.{k}", float(v)) for k, v in d.params.items()},
        grid={k: _sourced(text, d, f"grid.{k}", tuple(float(x) for x in v)) for k, v in d.grid.items()},
        tune=tuple(d.tune),
        windows=Windows(data=_window(text, d, "data_window"), train=_window(text, d, "train_window"),
                        valid=_window(text, d, "valid_window"), test=_window(text, d, "test_window")),
        costs=Costs(commission=_opt(text, d, "commission"), slippage=_opt(text, d, "slippage")),
        horizon=_opt(text, d, "horizon"), forward_days=_opt(text, d, "forward_days"), timesteps=_opt(text, d, "timesteps"),
        seed=_opt(text, d, "seed"), cash=_opt(text, d, "cash"), side=_opt(text, d, "side"), quantity=quantity,
        condition=_opt(text, d, "condition"), limit_price=_opt(text, d, "limit_price"),
        top_k=_opt(text, d, "top_k"), top_pct=_opt(text, d, "top_pct"),
        expressions=tuple(_sourced(text, d, "expressions", e) for e in d.expressions),
        theme=_opt(text, d, "theme"), factor_count=_opt(text, d, "factor_count"), ref=ref, suggest=d.suggest,
        all_positions=d.all_positions and d.intent == "place_order",
    )


def draft_to_spec(draft: TaskDraft | dict[str, Any], text: str, backend: str = "openai") -> TaskSpec:
    """The spec of a model's draft; raises ``ValueError`` (with the validation errors) when malformed."""
    try:
        parsed = draft if isinstance(draft, TaskDraft) else TaskDraft.model_validate(draft)
        steps = tuple(_step(text, s) for s in parsed.steps)
    except ValidationError as exc:
        raise ValueError(f"the submitted task is malformed: {exc.error_count()} problem(s): "
                         f"{'; '.join(e['msg'] for e in exc.errors()[:5])}") from exc
    approval_said = _said_in(text, None, "approv")[0] or bool(re.search(r"确认|批准|审批|ask me", text, re.I))
    approval = Sourced[bool](value=parsed.approval, source="stated" if parsed.approval and approval_said else (
        "inferred" if parsed.approval else "default"))
    return TaskSpec(text=text, language=parsed.language, steps=steps, approval=approval,
                    question=parsed.question, backend=backend)


def spec_to_draft(spec: TaskSpec) -> TaskDraft:
    """The draft a model would submit for ``spec`` (the schema's worked example; tests)."""
    steps = []
    for s in spec.steps:
        values: dict[str, Any] = {"intent": s.intent, "instruments": [i.value for i in s.instruments],
                                  "tune": list(s.tune), "suggest": s.suggest,
                                  "all_positions": s.all_positions}
        for name in ("universe", "algo", "model", "features", "strategy", "horizon", "forward_days", "timesteps",
                     "seed", "cash", "side", "condition", "limit_price", "top_k", "top_pct", "theme", "factor_count"):
            item = getattr(s, name)
            if item is not None:
                values[name] = item.value
        values["params"] = {k: v.value for k, v in s.params.items()}
        values["grid"] = {k: list(v.value) for k, v in s.grid.items()}
        for name in ("data", "train", "valid", "test"):
            window = getattr(s.windows, name)
            if window is not None:
                values[f"{name}_window"] = window.value.label()
        if s.costs.commission is not None:
            values["commission"] = s.costs.commission.value
        if s.costs.slippage is not None:
            values["slippage"] = s.costs.slippage.value
        if s.quantity is not None:
            values["quantity_kind"], values["quantity"] = s.quantity.value.kind, s.quantity.value.value
        values["expressions"] = [e.value for e in s.expressions]
        if s.ref is not None:
            values["ref_when"] = s.ref.value.when
        steps.append(DraftStep.model_validate(values))
    return TaskDraft(language=spec.language, steps=steps, approval=spec.approval.value, question=spec.question)
