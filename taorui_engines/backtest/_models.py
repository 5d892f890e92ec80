"""What a backtest is asked (``BacktestSpec``) and what it gives (``BacktestResult``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.backtest._params import STRATEGIES, StrategyName, strategy_info, validate_params
from taorui_engines.caveats import Caveat

#: Metrics a parameter search can rank by (defined here so callers need not import the engine).
RankMetric = Literal["sharpe", "sortino", "calmar", "total_return", "annualized_return", "final_value", "max_drawdown"]

__all__ = [
    "FILL_RULE",
    "BacktestMetrics",
    "BacktestResult",
    "BacktestSpec",
    "Sizing",
    "TradeRecord",
]

#: The fill rule, stated with every result.
FILL_RULE = (
    "signals on bar t's close; market orders fill at bar t+1's open (Backtrader, cheat-on-open off) "
    "moved against the trader by the slippage (capped at the bar's high/low); commission is a "
    "fraction of traded value; an order the cash cannot pay at that open is cancelled, not carried"
)


class Sizing(BaseModel):
    """How big a rule strategy's position is. Each symbol gets an equal sleeve of equity."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["fixed_units", "percent_equity", "target_weight"] = Field(
        default="percent_equity",
        description=(
            "fixed_units: buy `units` per entry; percent_equity: buy `fraction` of the sleeve at entry "
            "and let it drift; target_weight: hold `fraction` of the sleeve, rebalanced when off by "
            "more than `rebalance_band`"
        ),
    )
    units: float | None = Field(default=None, gt=0, le=1e9, description="Units per entry (fixed_units).")
    fraction: float = Field(default=1.0, gt=0, le=1.0, description="Fraction of the symbol's sleeve.")
    rebalance_band: float = Field(
        default=0.05, ge=0, le=1.0, description="target_weight: relative deviation that triggers a rebalance."
    )

    @model_validator(mode="after")
    def _units_for_fixed(self) -> Sizing:
        if self.kind == "fixed_units" and self.units is None:
            raise ValueError("fixed_units sizing needs units")
        if self.kind != "fixed_units" and self.units is not None:
            raise ValueError(f"units only applies to fixed_units sizing, not {self.kind}")
        return self


class BacktestSpec(BaseModel):
    """One backtest: strategy and parameters, symbols, trading window, cash and costs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: StrategyName = Field(description="Strategy name (see list_strategies).")
    params: dict[str, Any] = Field(default_factory=dict, description="Strategy parameters by name.")
    symbols: tuple[str, ...] = Field(min_length=1, max_length=500, description="Symbols or one universe name.")
    start: date = Field(description="First trading day of the window (history before it warms indicators).")
    end: date = Field(description="Last day of the window.")
    cash: float = Field(default=100_000.0, gt=0, le=1e12, description="Starting cash.")
    commission: float = Field(default=0.001, ge=0, le=0.05, description="Commission, fraction of traded value.")
    slippage: float = Field(default=0.0005, ge=0, le=0.05, description="Slippage, fraction of the fill price.")
    sizing: Sizing | None = Field(default=None, description="Position sizing (rule strategies).")
    stop_loss: float | None = Field(default=None, gt=0, lt=1, description="Exit when a close is this fraction below entry.")
    take_profit: float | None = Field(default=None, gt=0, le=10, description="Exit when a close is this fraction above entry.")
    lot_size: int | None = Field(
        default=None, ge=1, le=100_000, description="Units per lot; default 100 for cn-region markets, else 1."
    )

    @model_validator(mode="before")
    @classmethod
    def _canonical_params(cls, data: Any) -> Any:
        """Store the parameters as the strategy's model reads them (typed, defaults filled)."""
        if isinstance(data, dict) and data.get("strategy") in STRATEGIES:
            params = validate_params(data["strategy"], data.get("params") or {})
            data = {**data, "params": params.model_dump()}
        return data

    @model_validator(mode="after")
    def _check(self) -> BacktestSpec:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if strategy_info(self.strategy).kind == "signal":
            if self.sizing is not None and self.sizing.kind != "target_weight":
                raise ValueError("the signal strategy sizes by its target weights; sizing must be target_weight")
            if self.stop_loss is not None or self.take_profit is not None:
                raise ValueError("stop_loss/take_profit apply to rule strategies, not the signal strategy")
        return self

    def resolved_sizing(self) -> Sizing:
        """The sizing in force: the given one, or the strategy's default."""
        if self.sizing is not None:
            return self.sizing
        if strategy_info(self.strategy).kind == "signal":
            return Sizing(kind="target_weight")
        return Sizing(kind="percent_equity")


class TradeRecord(BaseModel):
    """One round trip (or a position still open at the end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    entry_date: date
    exit_date: date | None = Field(description="None while the position is still open at the end.")
    size: float = Field(description="Largest position during the trade, in units (negative = short).")
    entry_price: float = Field(description="Average entry price.")
    exit_price: float | None = Field(description="Price of the closing fill (None while open).")
    pnl: float = Field(description="P&L net of all commissions; for an open trade, marked at the last close.")
    pnl_gross: float = Field(description="P&L before commissions.")
    commission: float
    bars: int = Field(description="Bars held.")
    open: bool = Field(description="True when still open at the end of the window.")


class BacktestMetrics(BaseModel):
    """Headline numbers (fractions, not percent). None where a number is undefined."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_cash: float
    final_value: float
    total_return: float
    annualized_return: float | None
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float = Field(description="Worst fall of equity below its running peak, a NEGATIVE fraction.")
    max_drawdown_duration: int = Field(description="Longest stretch below a previous peak, in bars.")
    calmar: float | None
    n_trades: int = Field(description="Round trips, including a position still open at the end.")
    n_closed_trades: int
    win_rate: float | None = Field(description="Share of closed trades with positive net P&L.")
    exposure: float = Field(description="Share of bars ending with a position.")
    avg_gross_exposure: float = Field(description="Mean of gross position value / equity at the closes.")
    n_bars: int
    n_orders: int
    n_unfilled_orders: int = Field(description="Orders cancelled because cash could not pay them at the open.")
    commission_paid: float
    periods_per_year: int


class BacktestResult(BaseModel):
    """A finished backtest: its run folder, metrics, trades and files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str | None
    run_dir: str | None
    spec: BacktestSpec
    metrics: BacktestMetrics
    trades: tuple[TradeRecord, ...]
    symbols: tuple[str, ...]
    synthetic_symbols: tuple[str, ...] = Field(description="Symbols whose data is synthetic (named, never hidden).")
    first_day: date
    last_day: date
    warmup_start: date = Field(description="First bar loaded for indicator history.")
    lot_size: int
    benchmark: BacktestMetrics | None = Field(
        default=None, description="Buy and hold of the same symbols over the same window, same cash and costs.")
    relative: dict[str, float | None] = Field(
        default_factory=dict, description="Against the benchmark: excess return, tracking error, IR, its t-statistic.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the result by (computed).")
    fill_rule: str = FILL_RULE
    equity_csv: str | None = None
    equity_png: str | None = None
    trades_csv: str | None = None
