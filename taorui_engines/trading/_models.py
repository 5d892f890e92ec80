"""The typed vocabulary of the trading cycle: the portfolio a person set up, its strategy,
how scores become a portfolio, the mode, and what one day's cycle decided.

A portfolio is fixed when it is created (``portfolio.json`` in its folder, with a version
hash). The mode is part of it: only a person's command changes it, never an agent's tool
(an agent may only ask for a *stricter* mode for one cycle, see :func:`stricter`).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Construction",
    "FactorStrategy",
    "OrderIntent",
    "PortfolioSpec",
    "QlibModelStrategy",
    "RLPolicyStrategy",
    "Signal",
    "StrategySpec",
    "TargetLine",
    "TargetPortfolio",
    "TradingMode",
    "stricter",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TradingMode(StrEnum):
    """Who decides an order.

    - ``supervised``: a person approves every order before it reaches the gate's submission.
    - ``semi-auto``: orders within the risk policy go automatically; the gate asks a person
      above its thresholds (notional, new symbols, ...), and rejects what breaks a limit.
    - ``dry-run``: orders are proposed and checked by the gate, never sent.
    """

    SUPERVISED = "supervised"
    SEMI_AUTO = "semi-auto"
    DRY_RUN = "dry-run"


_STRICTNESS = {TradingMode.SEMI_AUTO: 0, TradingMode.SUPERVISED: 1, TradingMode.DRY_RUN: 2}


def stricter(policy_mode: TradingMode, asked: TradingMode | None) -> TradingMode:
    """The mode a cycle runs in: the portfolio's, or a stricter one asked for this cycle.

    Asking for a looser mode than the portfolio's changes nothing (the person's setting wins).
    """
    if asked is None:
        return policy_mode
    return asked if _STRICTNESS[asked] > _STRICTNESS[policy_mode] else policy_mode


class FactorStrategy(_Frozen):
    """A rule strategy: rank the universe by one factor expression each day (the project's
    grammar: causal by construction, a future reference is refused when it is parsed)."""

    kind: Literal["factor"] = "factor"
    expression: str = Field(min_length=1, max_length=500, description="Qlib-style expression, e.g. "
                            "'Ref($close,5)/$close-1' (5-day reversal).")
    universe: str = Field(default="csi_syn", min_length=1, max_length=64)
    higher_is_better: bool = Field(default=True, description="Buy the highest values (False: the lowest).")


class QlibModelStrategy(_Frozen):
    """Scores from a Qlib model trained by ``taorui model train`` (its run id)."""

    kind: Literal["qlib_model"] = "qlib_model"
    run_id: str = Field(min_length=3, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$")


class RLPolicyStrategy(_Frozen):
    """Target weights from a policy trained by ``taorui rl train`` (its run id)."""

    kind: Literal["rl_policy"] = "rl_policy"
    run_id: str = Field(min_length=3, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$")


StrategySpec = Annotated[FactorStrategy | QlibModelStrategy | RLPolicyStrategy, Field(discriminator="kind")]


class Construction(_Frozen):
    """From scores to target weights to whole lots."""

    select: Literal["top_k", "top_pct"] = Field(default="top_pct", description="How many names to hold.")
    top_k: int = Field(default=5, ge=1, le=1000, description="Names held with select='top_k'.")
    top_pct: float = Field(default=5.0, gt=0, le=100, description="Percent of the scored universe held "
                           "with select='top_pct' (rounded up, at least one name).")
    max_weight: float = Field(default=0.25, gt=0, le=1, description="Largest weight of one name (fraction of equity).")
    cash_buffer: float = Field(default=0.02, ge=0, lt=1, description="Fraction of equity kept in cash "
                               "(fills at the next open can cost more than the close used to size them).")
    lot_size: int | None = Field(default=None, ge=1, le=1_000_000, description="Shares per lot; None: the "
                                 "market's (100 on the synthetic A-share-like market, 1 elsewhere).")

    def count(self, scored: int) -> int:
        """Names to hold out of ``scored`` scored names."""
        if scored <= 0:
            return 0
        if self.select == "top_k":
            return min(self.top_k, scored)
        return max(1, min(scored, math.ceil(scored * self.top_pct / 100 - 1e-9)))

    def describe(self) -> str:
        """One line for reports."""
        chosen = f"top {self.top_k}" if self.select == "top_k" else f"top {self.top_pct:g}%"
        lot = f"lots of {self.lot_size}" if self.lot_size else "the market's lot size"
        return (f"{chosen} by score, equal weight capped at {self.max_weight:.0%} per name, "
                f"{self.cash_buffer:.0%} cash buffer, {lot}")


class PortfolioSpec(_Frozen):
    """A paper portfolio as a person set it up; fixed once created (see module docstring)."""

    name: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    strategy: StrategySpec
    construction: Construction = Field(default_factory=Construction)
    mode: TradingMode = TradingMode.SUPERVISED
    initial_cash: float = Field(default=100_000.0, gt=0, le=1e12, description="Starting cash (the shipped risk "
                                "policy is sized for 100,000: a larger account needs a policy with larger order limits).")
    commission_rate: float = Field(default=0.001, ge=0, le=0.05, description="Paper commission, fraction of value.")
    slippage: float = Field(default=0.0005, ge=0, le=0.05, description="Paper fills at the open move this much "
                            "against the trader.")
    created: datetime
    created_by: str = Field(min_length=1, max_length=64)

    @property
    def version_hash(self) -> str:
        """A short hash of the spec: recorded with every cycle, so a changed portfolio shows."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def strategy_text(self) -> str:
        """The strategy in one line."""
        s = self.strategy
        if isinstance(s, FactorStrategy):
            side = "highest" if s.higher_is_better else "lowest"
            return f"factor {s.expression} on {s.universe} ({side} first)"
        if isinstance(s, QlibModelStrategy):
            return f"Qlib model of run {s.run_id}"
        return f"RL policy of run {s.run_id}"


class Signal(_Frozen):
    """One day's scores, and the newest bar they read (no look-ahead: ``data_through <= day``)."""

    day: date
    scores: dict[str, float] = Field(description="Higher = more wanted; NaN scores are left out.")
    data_through: date = Field(description="The newest bar date any input of this signal read.")
    source: str = Field(description="What produced it (strategy text).")
    target_weights: dict[str, float] | None = Field(
        default=None, description="Weights the strategy asks for directly (an RL policy); None: from scores.")
    notes: tuple[str, ...] = ()

    @field_validator("scores")
    @classmethod
    def _finite(cls, value: dict[str, float]) -> dict[str, float]:
        return {k: float(v) for k, v in value.items() if v is not None and math.isfinite(float(v))}

    @model_validator(mode="after")
    def _causal(self) -> Signal:
        if self.data_through > self.day:
            raise ValueError(f"signal for {self.day} read data up to {self.data_through}: look-ahead")
        return self


class TargetLine(_Frozen):
    """One name of the target portfolio, with how its size was reached."""

    symbol: str
    score: float | None
    rank: int | None
    weight: float = Field(description="Target weight after caps (0 for a name to sell out).")
    price: float = Field(gt=0, description="Close of the cycle's day used to size it.")
    raw_shares: float = Field(description="weight x equity / price, before lots.")
    shares: float = Field(description="Target after rounding down to whole lots (and the cash limit).")
    current: float = Field(description="Shares held now (after today's fills).")
    delta: float = Field(description="shares - current: the order to send (signed).")
    note: str = ""


class TargetPortfolio(_Frozen):
    """What the cycle wants to hold after the next fills, and why the numbers are what they are."""

    day: date
    equity: float
    cash: float
    lot_size: int
    construction: str
    lines: tuple[TargetLine, ...]
    deferred_buy_value: float = Field(default=0.0, description="Buy value left out because cash is not "
                                      "free yet (sale proceeds arrive when the sells fill).")
    notes: tuple[str, ...] = ()


class OrderIntent(_Frozen):
    """One order the cycle wants, before the gate sees it."""

    key: str = Field(description="Idempotency key: portfolio, day, symbol, side; the same day never sends twice.")
    symbol: str
    side: Literal["buy", "sell"]
    qty: float = Field(gt=0)
    price: float = Field(gt=0, description="Reference close used to size it.")
    reason: str = Field(description="Why: entering the top list, leaving it, or a weight change.")

    @property
    def notional(self) -> float:
        """qty x price."""
        return self.qty * self.price
