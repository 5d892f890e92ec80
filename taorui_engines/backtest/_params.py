"""Typed parameters of every strategy, with ranges, and the catalog that names them.

A strategy's parameters are a frozen pydantic model: ranges are ``Field`` bounds, relations
between parameters (fast < slow) are validators, and ``lookback`` says how many bars of
history the indicators need, so a backtest can load that history before its first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taorui_engines.errors import InvalidArgumentError

__all__ = [
    "STRATEGIES",
    "list_strategies",
    "BollingerParams",
    "BuyAndHoldParams",
    "DonchianParams",
    "MacdParams",
    "MovingAverageCrossParams",
    "RsiReversionParams",
    "SignalParams",
    "StrategyInfo",
    "StrategyName",
    "StrategyParams",
    "describe_params",
    "strategy_info",
    "validate_params",
]

StrategyName = Literal[
    "buy_and_hold",
    "sma_cross",
    "ema_cross",
    "macd",
    "rsi_reversion",
    "bollinger_breakout",
    "bollinger_reversion",
    "donchian_breakout",
    "momentum",
    "signal",
]


class StrategyParams(BaseModel):
    """Base of every strategy's parameters: unknown names are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def lookback(self) -> int:
        """Bars of history the indicators need before the first trading day."""
        return 0


class BuyAndHoldParams(StrategyParams):
    """Buy on the first trading day and hold to the end. No parameters."""


class MovingAverageCrossParams(StrategyParams):
    """Long while the fast average is above the slow one; entries and exits at the crosses."""

    fast: int = Field(default=10, ge=2, le=250, description="Bars in the fast moving average.")
    slow: int = Field(default=30, ge=3, le=500, description="Bars in the slow moving average.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MovingAverageCrossParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be smaller than slow ({self.slow})")
        return self

    def lookback(self) -> int:
        """The slow average, plus one bar to see the previous side of the cross."""
        return self.slow + 1


class MacdParams(StrategyParams):
    """Long from the MACD line crossing above its signal line to crossing below it."""

    fast: int = Field(default=12, ge=2, le=100, description="Bars in the fast EMA.")
    slow: int = Field(default=26, ge=3, le=200, description="Bars in the slow EMA.")
    signal: int = Field(default=9, ge=2, le=50, description="Bars in the EMA of the MACD line.")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdParams:
        if self.fast >= self.slow:
            raise ValueError(f"fast ({self.fast}) must be smaller than slow ({self.slow})")
        return self

    def lookback(self) -> int:
        """EMAs need several times their span to forget their seed; use three slow spans."""
        return 3 * self.slow + self.signal


class RsiReversionParams(StrategyParams):
    """Buy when RSI is below ``lower`` (oversold); sell when it rises above ``upper``."""

    period: int = Field(default=14, ge=2, le=100, description="Bars in the RSI.")
    lower: float = Field(default=30.0, ge=1, le=50, description="Oversold level that triggers a buy.")
    upper: float = Field(default=70.0, ge=50, le=99, description="Overbought level that triggers the exit.")

    @model_validator(mode="after")
    def _lower_below_upper(self) -> RsiReversionParams:
        if self.lower >= self.upper:
            raise ValueError(f"lower ({self.lower}) must be below upper ({self.upper})")
        return self

    def lookback(self) -> int:
        """RSI uses Wilder smoothing: give it several periods of history."""
        return 5 * self.period


class BollingerParams(StrategyParams):
    """Bollinger bands: ``period`` bar average plus/minus ``devs`` standard deviations."""

    period: int = Field(default=20, ge=2, le=250, description="Bars in the band's moving average.")
    devs: float = Field(default=2.0, ge=0.5, le=5.0, description="Band width in standard deviations.")

    def lookback(self) -> int:
        """The average's window."""
        return self.period + 1


class DonchianParams(StrategyParams):
    """Long when the close breaks the highest high of the last ``entry`` bars (this bar excluded);
    out when it breaks the lowest low of the last ``exit`` bars."""

    entry: int = Field(default=20, ge=2, le=250, description="Bars whose highest high must be broken to buy.")
    exit: int = Field(default=10, ge=2, le=250, description="Bars whose lowest low must be broken to sell.")

    def lookback(self) -> int:
        """The longer channel, plus the excluded current bar."""
        return max(self.entry, self.exit) + 1


class MomentumParams(StrategyParams):
    """Time-series momentum: long while the close is above the close ``period`` bars ago by more
    than ``threshold`` (a fraction), flat otherwise."""

    period: int = Field(default=60, ge=2, le=500, description="Bars of the look-back return.")
    threshold: float = Field(default=0.0, ge=-0.5, le=0.5,
                             description="Look-back return needed to be long (0.0 = any gain).")

    def lookback(self) -> int:
        """The look-back, plus the current bar."""
        return self.period + 1


class SignalParams(StrategyParams):
    """Trade a DataFrame of target weights or scores (dates x symbols) at order level."""

    mode: Literal["weights", "scores"] = Field(
        default="weights",
        description="weights: each row is the target portfolio; scores: hold the top_k equally weighted.",
    )
    top_k: int = Field(default=10, ge=1, le=500, description="Symbols held in scores mode.")
    gross: float = Field(default=1.0, gt=0, le=1.0, description="Fraction of equity invested in scores mode.")
    allow_short: bool = Field(default=False, description="Whether negative target weights (shorts) are allowed.")
    rebalance_every: int = Field(default=1, ge=1, le=252, description="Act on every n-th signal row only.")
    cash_buffer: float = Field(
        default=0.02, ge=0, le=0.5,
        description="Fraction of equity kept out of the targets so next-open gaps do not leave buys unpaid.",
    )
    min_trade: float = Field(
        default=0.001, ge=0, le=0.5,
        description="Skip trades smaller than this fraction of equity (avoids churning on drift).",
    )


@dataclass(frozen=True)
class StrategyInfo:
    """One entry of the catalog: name, a sentence for people and models, parameter model."""

    name: StrategyName
    description: str
    params_model: type[StrategyParams]
    kind: Literal["rule", "signal"] = "rule"


STRATEGIES: dict[str, StrategyInfo] = {
    info.name: info
    for info in (
        StrategyInfo("buy_and_hold", "Buy on the first day, hold to the end (the benchmark).", BuyAndHoldParams),
        StrategyInfo("sma_cross", "Long from the fast SMA crossing above the slow SMA until it crosses below.",
                     MovingAverageCrossParams),
        StrategyInfo("ema_cross", "Long from the fast EMA crossing above the slow EMA until it crosses below.",
                     MovingAverageCrossParams),
        StrategyInfo("macd", "Long from the MACD line crossing above its signal line until it crosses below.",
                     MacdParams),
        StrategyInfo("rsi_reversion", "Mean reversion: buy when RSI is oversold, sell when overbought.",
                     RsiReversionParams),
        StrategyInfo("bollinger_breakout", "Buy a close above the upper Bollinger band; exit below the middle.",
                     BollingerParams),
        StrategyInfo("bollinger_reversion", "Buy a close below the lower Bollinger band; exit above the middle.",
                     BollingerParams),
        StrategyInfo("donchian_breakout", "Turtle-style channel breakout: buy new highs, sell new lows.",
                     DonchianParams),
        StrategyInfo("momentum", "Time-series momentum: long while the return over the look-back beats the threshold.",
                     MomentumParams),
        StrategyInfo("signal", "Trade target weights or scores from a model (Qlib predictions, RL actions).",
                     SignalParams, kind="signal"),
    )
}


def strategy_info(name: str) -> StrategyInfo:
    """Catalog entry of ``name`` (``InvalidArgumentError`` listing the known names)."""
    if name not in STRATEGIES:
        raise InvalidArgumentError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    return STRATEGIES[name]


def validate_params(name: str, params: dict[str, Any] | None) -> StrategyParams:
    """Parse ``params`` with the strategy's model; the message names each bad parameter."""
    model = strategy_info(name).params_model
    try:
        return model.model_validate(params or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise InvalidArgumentError(f"bad parameters for {name}: {problems}") from exc


def describe_params(model: type[StrategyParams]) -> dict[str, dict[str, Any]]:
    """``{name: {type, default, min, max, description[, choices]}}`` from the model's schema."""
    schema = model.model_json_schema()
    out: dict[str, dict[str, Any]] = {}
    for name, prop in schema.get("properties", {}).items():
        entry: dict[str, Any] = {
            "type": prop.get("type", "string"),
            "default": prop.get("default"),
            "min": prop.get("minimum", prop.get("exclusiveMinimum")),
            "max": prop.get("maximum", prop.get("exclusiveMaximum")),
            "description": prop.get("description", ""),
        }
        if "enum" in prop:
            entry["choices"] = list(prop["enum"])
        out[name] = entry
    return out


def list_strategies() -> list[dict[str, object]]:
    """``[{name, description, kind, params: {name: {type, default, min, max, ...}}}]``."""
    return [
        {"name": info.name, "description": info.description, "kind": info.kind,
         "params": describe_params(info.params_model)}
        for info in STRATEGIES.values()
    ]
