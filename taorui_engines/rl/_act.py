"""The suggestion for the next period: target position, change, direction, and why.

The saved policy is replayed from the start of its test window through the latest data
in the store, so its position is the one its own simulated account holds now; its action
on the last observation is the suggestion. The rationale quotes the observation (the
indicator values the policy saw) and the backtest that supports it. Nothing is ordered.
"""

from __future__ import annotations

import numpy as np

from taorui_engines.rl._data import Panel
from taorui_engines.rl._env_multi import MultiAssetEnv
from taorui_engines.rl._env_single import SingleAssetEnv
from taorui_engines.rl._evaluate import Env, Policy, replay
from taorui_engines.rl._models import AssetAction, BacktestRef, Direction, NextAction, RLRunSpec

__all__ = ["suggest"]


def _direction(position: float) -> Direction:
    return "long" if position > 0 else "short" if position < 0 else "flat"


def _single_leg(env: SingleAssetEnv, action: np.ndarray) -> tuple[AssetAction, float]:
    price = float(env.panel.close[env.day, 0])
    lot = env.settings.lot_size
    target = env.target_units(float(action.reshape(-1)[0]), price)
    equity = env.cash + env.units * price
    leg = AssetAction(
        symbol=env.panel.symbols[0], price=price, position=target / lot, current=env.units / lot,
        change=(target - env.units) / lot, direction=_direction(target),
        target_weight=target * price / equity if equity > 0 else 0.0,
    )
    return leg, float(action.reshape(-1)[0])


def _multi_legs(env: MultiAssetEnv, action: np.ndarray) -> list[AssetAction]:
    shares, _ = env.plan(action)
    prices = env.panel.close[env.day]
    equity = env.equity()
    return [
        AssetAction(
            symbol=symbol, price=float(prices[j]), position=float(shares[j]), current=float(env.shares[j]),
            change=float(shares[j] - env.shares[j]), direction=_direction(float(shares[j])),
            target_weight=float(shares[j] * prices[j] / equity) if equity > 0 else 0.0,
        )
        for j, symbol in enumerate(env.panel.symbols)
    ]


def _describe(symbol: str, values: dict[str, float]) -> str:
    close = values["close"]
    return (
        f"{symbol}: close {close:.2f}, MACD {values['macd']:.3f}, RSI(30) {values['rsi_30']:.1f}, "
        f"CCI(30) {values['cci_30']:.1f}, DX(30) {values['dx_30']:.1f}, "
        f"Bollinger {values['boll_lb']:.2f}..{values['boll_ub']:.2f}, "
        f"SMA30 {values['close_30_sma']:.2f} (close {close / values['close_30_sma'] - 1:+.1%}), "
        f"SMA60 {values['close_60_sma']:.2f} (close {close / values['close_60_sma'] - 1:+.1%})"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _rationale(spec: RLRunSpec, ref: BacktestRef, legs: list[AssetAction], raw: float | None,
               observation: dict[str, dict[str, float]], start: str) -> str:
    support = (
        f"{spec.algo.upper()} policy of run {ref.run_id} (trained {ref.train.label()}, tested "
        f"{ref.test.label()}: Sharpe {_fmt(ref.sharpe)} vs buy-and-hold {_fmt(ref.benchmark_sharpe)}, "
        f"return {ref.cumulative_return:+.1%} vs {ref.benchmark_cumulative_return:+.1%}, "
        f"max drawdown {ref.max_drawdown:.1%}; costs {spec.env.cost_pct:.2%} per side)."
    )
    if raw is not None:
        leg = legs[0]
        unit = "lot" if spec.env.lot_size > 1 else "unit"
        move = (
            f"Its action {raw:+.2f} on the last bar means a target of {leg.position:g} {unit}s "
            f"({leg.direction}, {leg.target_weight:.0%} of the account), a change of {leg.change:+g} from the "
            f"{leg.current:g} its replay since {start} holds."
        )
    else:
        moves = [f"{leg.symbol} {leg.change:+g} -> {leg.position:g} shares" for leg in legs]
        move = f"Its action on the last bar trades: {'; '.join(moves[:8])}{' ...' if len(moves) > 8 else ''}."
    inputs = "Inputs it saw: " + "; ".join(_describe(s, v) for s, v in list(observation.items())[:5])
    caveat = "A neural policy does not explain itself: these are its inputs and its track record, not its reasons."
    synthetic = " The data is SYNTHETIC: this says nothing about a real market." if spec.synthetic else ""
    return " ".join([support, move, inputs + ".", caveat]) + synthetic


def _data_note(spec: RLRunSpec) -> str:
    sources = "; ".join(f"{s}: {p}" for s, p in spec.provenance.items())
    prefix = "SYNTHETIC data, not market prices. " if spec.synthetic else "Real data. "
    return prefix + sources


def suggest(spec: RLRunSpec, env: Env, policy: Policy, ref: BacktestRef) -> NextAction:
    """Replay ``policy`` over ``env``'s window (test start to latest) and suggest the next step."""
    final_obs = replay(env, policy)
    action = np.asarray(policy(final_obs))
    panel: Panel = env.panel
    observation = panel.indicator_values(env.day)
    if isinstance(env, SingleAssetEnv):
        leg, raw = _single_leg(env, action)
        legs, position, change, direction = [leg], leg.position, leg.change, leg.direction
        period = (f"the next trading day after {panel.dates[env.day].date()}, filled at its open "
                  "(the backtest's convention); re-run after each close")
    else:
        legs, raw, position, change, direction = _multi_legs(env, action), None, None, None, None
        period = (f"the next session after {panel.dates[env.day].date()}; the backtest filled at the "
                  "decision day's close (FinRL's convention), a live fill will differ")
    start = panel.dates[0].date().isoformat()
    return NextAction(
        run_id=ref.run_id, date=panel.dates[env.day].date(), for_period=period, assets=spec.assets,
        unit="lots" if spec.kind == "single" else "shares", lot_size=spec.env.lot_size,
        position=position, change=change, direction=direction, legs=tuple(legs),
        rationale=_rationale(spec, ref, legs, raw, observation, start), observation=observation,
        backtest=ref, synthetic=spec.synthetic, data_note=_data_note(spec),
    )
