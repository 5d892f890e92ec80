"""The report of a portfolio's cycles: P&L before and after costs, beside a benchmark, with
positions, decisions, blocked orders and their reasons, and an equity/drawdown picture.

Everything comes from the journal (the account after each cycle, the fills) and the store
(the benchmark's closes), so a person can recompute any number from the files it names.
P&L before costs adds back commissions; slippage is inside the fill prices and is
estimated separately (``slippage_estimate``), never silently mixed in.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from taorui_engines import metrics as pm
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidDateRangeError, InvalidInputError
from taorui_engines.trading._journal import Journal
from taorui_engines.trading._models import PortfolioSpec

__all__ = ["BlockedOrder", "TradeReport", "build_report"]


class BlockedOrder(BaseModel):
    """An order that did not go, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date
    key: str
    symbol: str
    side: str
    qty: float
    decision: str
    by: str
    reasons: list[str]


class TradeReport(BaseModel):
    """What a portfolio's cycles did (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio: str
    strategy: str
    construction: str
    mode: str
    synthetic: bool
    first_day: date | None
    last_day: date | None
    days: int
    initial_cash: float
    final_value: float
    cash: float
    pnl_after_costs: float
    commissions: float
    pnl_before_costs: float = Field(description="P&L after costs + commissions (slippage stays in fill prices).")
    slippage_estimate: float = Field(description="Estimated cost of the paper slippage inside the fill prices.")
    total_return: float
    annualized_return: float | None
    sharpe: float | None
    max_drawdown: float = Field(description="Worst peak-to-trough fall (negative).")
    benchmark: str
    benchmark_return: float | None
    benchmark_max_drawdown: float | None
    excess_return: float | None = Field(description="Geometric: (1 + ours) / (1 + benchmark) - 1.")
    excess_t: float | None = Field(description="Newey-West t of the daily excess returns; |t| < 2 is noise.")
    orders_sent: int
    fills: int
    blocked: list[BlockedOrder]
    pending: int
    positions: dict[str, tuple[float, float]]
    caveats: list[str]
    picture: str | None = None


def _benchmark(center: DataCenter, symbols: list[str], days: list[date]) -> pd.Series | None:
    """Equal-weight buy and hold of ``symbols`` from the first day's close (growth of 1)."""
    if len(days) < 2 or not symbols:
        return None
    try:
        bars = center.get_price(symbols, days[0].isoformat(), days[-1].isoformat(), fields=["close"])
    except InvalidDateRangeError:
        return None
    wide = bars.pivot(index="date", columns="symbol", values="close").sort_index()
    wide.index = [d.date() for d in pd.to_datetime(wide.index)]
    wide = wide.reindex(days).ffill()
    first = wide.iloc[0]
    wide = wide.loc[:, first.notna() & (first > 0)]
    if wide.empty:
        return None
    return (wide / wide.iloc[0]).mean(axis=1)


def build_report(journal: Journal, spec: PortfolioSpec, center: DataCenter, universe: list[str],
                 synthetic: bool, folder: Path | None = None, picture: bool = True) -> TradeReport:
    """The report of every finished cycle in ``journal`` (a picture into ``folder`` if given)."""
    days = journal.days()
    last = days[-1].day if days else None
    # Only finished days count: a day still running (or waiting for a person) has settled fills
    # and decisions that its account snapshot does not hold yet.
    fills = [f for f in journal.fills() if last is not None and f.day <= last]
    every = journal.decisions()
    decisions = [d for d in every if last is not None and d.day <= last]
    values = [d.value for d in days]
    day_list = [d.day for d in days]
    final = values[-1] if values else spec.initial_cash
    commissions = sum(f.commission for f in fills)
    slip = spec.slippage
    slippage = sum(f.qty * f.price * slip / (1 + slip) if f.side == "buy" else f.qty * f.price * slip / (1 - slip)
                   for f in fills)
    equity = np.asarray([spec.initial_cash, *values], dtype="float64")
    bench = _benchmark(center, universe, day_list)
    bench_name = f"equal-weight buy and hold of the strategy's {len(universe)} name(s), from the first day's close"
    annual = sharpe = None
    max_dd = 0.0
    excess = excess_t = bench_return = bench_dd = None
    if len(values) >= 2:
        returns = pm.returns_from_equity(equity)
        annual = pm.annualized_return(equity)
        sharpe = pm.sharpe_ratio(returns)
        max_dd = pm.max_drawdown(equity)
    if bench is not None and len(bench) >= 2 and len(values) >= 2:
        b = bench.to_numpy(dtype="float64")
        bench_return = float(b[-1] / b[0] - 1)
        bench_dd = pm.max_drawdown(b)
        ours = np.asarray(values, dtype="float64")
        excess = float((ours[-1] / ours[0]) / (b[-1] / b[0]) - 1)
        daily_excess = pm.returns_from_equity(ours) - pm.returns_from_equity(b)
        try:
            excess_t = pm.newey_west_t(daily_excess)
        except InvalidInputError:
            excess_t = None
    blocked = [BlockedOrder(day=d.day, key=d.key, symbol=d.symbol, side=d.side, qty=d.qty, decision=d.decision,
                            by=d.by, reasons=[r.get("message", "") for r in d.reasons])
               for d in decisions if d.decision in ("rejected", "rejected_by_person", "expired")]
    pending = sum(1 for d in every if d.decision == "needs_approval")
    sent = sum(1 for d in decisions if d.decision in ("sent", "approved"))
    caveats = _caveats(len(values), synthetic, excess_t, fills, blocked, spec)
    drawn = None
    if folder is not None and len(values) >= 2 and picture:
        drawn = str(_plot(folder, day_list, equity, commissions_by_day(fills, day_list), bench, spec, synthetic))
    return TradeReport(
        portfolio=spec.name, strategy=spec.strategy_text(), construction=spec.construction.describe(),
        mode=spec.mode.value, synthetic=synthetic, first_day=day_list[0] if day_list else None,
        last_day=day_list[-1] if day_list else None, days=len(days), initial_cash=spec.initial_cash,
        final_value=final, cash=days[-1].cash if days else spec.initial_cash,
        pnl_after_costs=final - spec.initial_cash, commissions=commissions,
        pnl_before_costs=final - spec.initial_cash + commissions, slippage_estimate=slippage,
        total_return=final / spec.initial_cash - 1, annualized_return=annual, sharpe=sharpe, max_drawdown=max_dd,
        benchmark=bench_name, benchmark_return=bench_return, benchmark_max_drawdown=bench_dd, excess_return=excess,
        excess_t=excess_t, orders_sent=sent, fills=len(fills), blocked=blocked, pending=pending,
        positions=days[-1].positions if days else {}, caveats=caveats, picture=drawn)


def commissions_by_day(fills: list, day_list: list[date]) -> np.ndarray:  # type: ignore[type-arg]
    """Commission paid per cycle day (a fill belongs to the cycle day that settled it)."""
    index = {d: i for i, d in enumerate(day_list)}
    out = np.zeros(len(day_list))
    for fill in fills:
        i = index.get(fill.day)
        if i is not None:
            out[i] += fill.commission
    return out


def _caveats(n: int, synthetic: bool, excess_t: float | None, fills: list, blocked: list[BlockedOrder],  # type: ignore[type-arg]
             spec: PortfolioSpec) -> list[str]:
    out = []
    if synthetic:
        out.append("SYNTHETIC data: the prices are generated, not a market's")
    if n < 60:
        out.append(f"only {n} cycle(s): too short to judge the strategy")
    if excess_t is not None and math.isfinite(excess_t) and abs(excess_t) < 2:
        out.append(f"the excess over the benchmark is indistinguishable from noise (Newey-West t = {excess_t:.2f})")
    if not fills:
        out.append("nothing was filled: the numbers are the cash account")
    if blocked:
        out.append(f"{len(blocked)} order(s) did not go (see 'blocked'): the result is not the strategy's alone")
        first = Counter(b.reasons[0] if b.reasons else b.decision for b in blocked).most_common(1)[0]
        out.append(f"the most common reason ({first[1]} order(s)): {first[0]}")
    out.append(f"paper fills at the next session's open with {spec.slippage:.2%} slippage and "
               f"{spec.commission_rate:.2%} commission; no market impact beyond the broker's volume cap")
    return out


def _plot(folder: Path, days: list[date], equity: np.ndarray, commission: np.ndarray, bench: pd.Series | None,
          spec: PortfolioSpec, synthetic: bool) -> Path:
    from taorui_engines.qlib_engine._plots import plot_equity

    net = equity[1:]
    gross = net + np.cumsum(commission)
    frame = pd.DataFrame(index=pd.to_datetime(days))
    frame["return_with_cost"] = pd.Series(net, index=frame.index).pct_change().fillna(net[0] / equity[0] - 1)
    frame["return"] = pd.Series(gross, index=frame.index).pct_change().fillna(gross[0] / equity[0] - 1)
    frame["benchmark"] = (bench.pct_change().fillna(0.0).to_numpy() if bench is not None else 0.0)
    label = " [SYNTHETIC data]" if synthetic else ""
    title = f"paper portfolio {spec.name}: {spec.strategy_text()}, {spec.mode.value}{label}"
    folder.mkdir(parents=True, exist_ok=True)
    return plot_equity(frame, title, folder / "equity.png")
