"""Scores -> target weights -> whole lots -> the order diff against what is held.

Pure arithmetic, no storage and no clock, so every number a report shows can be recomputed
from the inputs it lists. The rules, in order:

1. the top names by score (``Construction.count``), equal weight, each capped at
   ``max_weight``, with ``cash_buffer`` of equity left in cash; an RL policy gives weights;
2. target shares = weight x equity / close, rounded *down* to whole lots (never buys more
   than the weight);
3. names held but not in the target are sold out; sells are sent before buys;
4. buys are limited to the cash free now (cash minus the buffer): a sale's proceeds are not
   cash until it fills at the next open, and the gate refuses a buy beyond buying power. The
   buy value left out is reported as ``deferred_buy_value`` and bought on a later cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Literal

from taorui_engines.errors import InvalidArgumentError
from taorui_engines.trading._models import Construction, OrderIntent, Signal, TargetLine, TargetPortfolio

__all__ = ["build_targets", "order_diff"]

_EPS = 1e-9


def _lots_down(shares: float, lot: int) -> float:
    return float(math.floor(shares / lot + _EPS) * lot) if shares > 0 else 0.0


def _weights(signal: Signal, construction: Construction, prices: Mapping[str, float]) -> tuple[dict[str, float], list[str]]:
    notes: list[str] = []
    if signal.target_weights is not None:
        weights = {s: w for s, w in signal.target_weights.items() if w > 0}
        capped = {s: min(w, construction.max_weight) for s, w in weights.items()}
        if capped != weights:
            notes.append(f"weights capped at {construction.max_weight:.0%} per name")
        total = sum(capped.values())
        room = 1 - construction.cash_buffer
        if total > room:
            capped = {s: w * room / total for s, w in capped.items()}
            notes.append(f"weights scaled to {room:.0%} of equity (cash buffer)")
        return capped, notes
    priced = {s: v for s, v in signal.scores.items() if s in prices}
    unpriced = sorted(set(signal.scores) - set(priced))
    if unpriced:
        notes.append(f"{len(unpriced)} scored name(s) without a close on the day left out: {', '.join(unpriced[:5])}")
    n = construction.count(len(priced))
    chosen = sorted(priced, key=lambda s: (-priced[s], s))[:n]
    if not chosen:
        return {}, notes
    each = (1 - construction.cash_buffer) / len(chosen)
    if each > construction.max_weight:
        notes.append(f"equal weight {each:.1%} capped at {construction.max_weight:.0%}; the rest stays in cash")
        each = construction.max_weight
    return dict.fromkeys(chosen, each), notes


def build_targets(
    signal: Signal,
    construction: Construction,
    prices: Mapping[str, float],
    positions: Mapping[str, float],
    cash: float,
    equity: float,
    lot_size: int,
) -> TargetPortfolio:
    """The target portfolio for ``signal`` given the account now (see the module docstring)."""
    if not (math.isfinite(equity) and equity > 0 and math.isfinite(cash)):
        raise InvalidArgumentError(f"the account cannot be sized: equity {equity!r}, cash {cash!r}")
    lot = construction.lot_size or lot_size
    weights, notes = _weights(signal, construction, prices)
    ranks = {s: i + 1 for i, s in enumerate(sorted(signal.scores, key=lambda s: (-signal.scores[s], s)))}
    held = {s: q for s, q in positions.items() if abs(q) > _EPS}
    missing = sorted(s for s in held if s not in prices)
    if missing:
        notes.append(f"no close for held {', '.join(missing)} on {signal.day}: kept as they are")
    lines: list[TargetLine] = []
    for symbol in sorted(set(weights) | (set(held) - set(missing))):
        price = float(prices[symbol])
        weight = weights.get(symbol, 0.0)
        raw = weight * equity / price
        shares = _lots_down(raw, lot)
        current = float(held.get(symbol, 0.0))
        note = ""
        if weight > 0 and shares == 0:
            note = f"one lot of {lot} costs {lot * price:,.0f}, more than the weight allows ({weight * equity:,.0f})"
        elif weight > 0 and abs(raw - shares) > _EPS:
            note = f"{raw:,.1f} rounded down to {shares:,.0f} (lots of {lot})"
        elif weight == 0 and current > 0:
            note = "not in the target list any more: sell out"
        lines.append(TargetLine(symbol=symbol, score=signal.scores.get(symbol), rank=ranks.get(symbol),
                                weight=weight, price=price, raw_shares=raw, shares=shares, current=current,
                                delta=shares - current, note=note))
    lines, deferred = _limit_buys(lines, cash - construction.cash_buffer * equity, lot)
    if deferred > 0:
        notes.append(f"buys worth {deferred:,.0f} deferred: cash is free only once today's sells fill")
    return TargetPortfolio(day=signal.day, equity=equity, cash=cash, lot_size=lot,
                           construction=construction.describe(), lines=tuple(lines),
                           deferred_buy_value=deferred, notes=tuple(notes))


def _limit_buys(lines: list[TargetLine], free: float, lot: int) -> tuple[list[TargetLine], float]:
    """Scale buys down (whole lots, best-ranked first) to the cash free now."""
    buys = sorted((ln for ln in lines if ln.delta > _EPS), key=lambda ln: (ln.rank or 10**9, ln.symbol))
    wanted = sum(ln.delta * ln.price for ln in buys)
    if wanted <= max(free, 0.0) + _EPS:
        return lines, 0.0
    budget, out = max(free, 0.0), {ln.symbol: ln for ln in lines}
    for line in buys:
        affordable = _lots_down(min(line.delta, budget / line.price), lot)
        budget -= affordable * line.price
        if affordable < line.delta:
            note = (f"buy of {line.delta:,.0f} cut to {affordable:,.0f}: only {max(free, 0):,.0f} cash is free "
                    "before today's sells fill")
            out[line.symbol] = line.model_copy(update={"shares": line.current + affordable, "delta": affordable,
                                                       "note": (line.note + "; " if line.note else "") + note})
    kept = sum(ln.delta * ln.price for ln in out.values() if ln.delta > _EPS)
    return [out[ln.symbol] for ln in lines], max(wanted - kept, 0.0)


def order_diff(targets: TargetPortfolio, portfolio: str, day: date) -> list[OrderIntent]:
    """Orders that move the holdings to the target: sells first, then buys by rank."""
    sells: list[tuple[TargetLine, OrderIntent]] = []
    buys: list[tuple[TargetLine, OrderIntent]] = []
    for line in targets.lines:
        if abs(line.delta) < _EPS:
            continue
        side: Literal["buy", "sell"] = "buy" if line.delta > 0 else "sell"
        if side == "sell":
            reason = "leaves the target list" if line.weight == 0 else "weight above target"
        else:
            reason = "enters the target list" if line.current <= _EPS else "weight below target"
        rank = f" (rank {line.rank})" if line.rank else ""
        intent = OrderIntent(key=f"cyc-{portfolio}-{day:%Y%m%d}-{line.symbol}-{side}", symbol=line.symbol,
                             side=side, qty=abs(line.delta), price=line.price, reason=reason + rank)
        (sells if side == "sell" else buys).append((line, intent))
    buys.sort(key=lambda pair: (pair[0].rank or 10**9, pair[0].symbol))
    return [i for _, i in sells] + [i for _, i in buys]
