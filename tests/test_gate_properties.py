"""Property tests: for random streams of orders, prices, fills and time, the gate never lets an
order through beyond the policy; after a drawdown breach only risk-reducing orders pass;
after a halt nothing does; and no input, however hostile, makes a check raise."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardrails import Decision, Gate, Policy, TradingState, evaluate
from taorui_engines.brokers.models import Attribution
from tests.test_guardrails_fakes import InMemoryBroker, StaticReference, make_gate, open_policy

START = {"SP500": 2500.0, "GOLD": 1800.0, "WTI": 60.0}
WHO = Attribution(agent="property", thread_id="p", instruction_id="p")
LIMITS = open_policy(
    rates={"max_per_minute": 3, "max_per_day": 8},
    exposure={"max_position_pct": 30.0, "max_gross_exposure_pct": 100.0},
    loss={"max_drawdown_pct": 99.0, "daily_loss_limit_pct": 99.0},
)
DRAWDOWN = open_policy(
    exposure={"max_position_pct": 100.0, "max_gross_exposure_pct": 100.0},
    loss={"max_drawdown_pct": 8.0, "drawdown_action": "reducing", "daily_loss_limit_pct": 99.0},
)
RUNS = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@dataclass(frozen=True)
class Propose:
    symbol: str
    side: str
    qty: float
    limit_offset_pct: float | None


@dataclass(frozen=True)
class Move:
    symbol: str
    factor: float


@dataclass(frozen=True)
class Tick:
    seconds: int


@dataclass(frozen=True)
class Halt:
    pass


symbols = st.sampled_from(sorted(START))
proposals = st.builds(
    Propose, symbols, st.sampled_from(["buy", "sell"]),
    st.sampled_from([1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 40.0, 100.0, 300.0, 600.0]),
    st.one_of(st.none(), st.floats(-7.0, 7.0)),
)
moves = st.builds(Move, symbols, st.floats(0.8, 1.2))
falls = st.builds(Move, symbols, st.floats(0.7, 1.1))
ticks = st.builds(Tick, st.sampled_from([0, 0, 5, 20, 61, 600, 3600, 86_400]))
#: Several small orders in the same second: the rate limits' test.
bursts = st.tuples(st.permutations([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]), st.integers(3, 6)).map(
    lambda t: [Propose("WTI", "buy", qty, None) for qty in t[0][: t[1]]])
streams = st.lists(st.one_of(proposals.map(lambda e: [e]), moves.map(lambda e: [e]), ticks.map(lambda e: [e]),
                             bursts), min_size=8, max_size=30).map(lambda chunks: [e for c in chunks for e in c])
#: Markets that tend to fall, so that drawdown breaches happen in most examples.
falling = st.lists(st.one_of(proposals, proposals, falls, ticks), min_size=15, max_size=50)


@contextmanager
def fresh_gate(policy: Policy) -> Iterator[tuple[Gate, InMemoryBroker, StaticReference, Any]]:
    """A new gate per example; on a RAM disk when there is one (fsync per write is slow)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=base) as tmp:
        gate, broker, reference, clock = make_gate(Path(tmp), policy=policy, cash=100_000.0, prices=dict(START))
        try:
            yield gate, broker, reference, clock
        finally:
            gate.close()


def apply(event: object, broker: InMemoryBroker, reference: StaticReference, clock: Any) -> None:
    """Move a price (resting limit orders may fill) or the clock (prices stay fresh)."""
    if isinstance(event, Move):
        price = round(reference.prices[event.symbol] * event.factor, 4)
        reference.prices[event.symbol] = price
        broker.set_price(event.symbol, price)
    elif isinstance(event, Tick):
        clock.advance(timedelta(seconds=event.seconds))
        reference.known_at = clock() - timedelta(hours=1)


def raw_order(p: Propose, price: float, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {"key": f"prop-{n:06d}", "symbol": p.symbol, "side": p.side, "qty": p.qty}
    if p.limit_offset_pct is not None:
        out.update(type="limit", limit_price=round(price * (1 + p.limit_offset_pct / 100), 4))
    return out


def projected(broker: InMemoryBroker) -> dict[str, float]:
    """Positions plus open orders, computed here independently of the gate."""
    out = {p.symbol: p.qty for p in broker.positions()}
    for state in broker.orders(open_only=True):
        sign = 1 if state.order.side.value == "buy" else -1
        out[state.order.symbol] = out.get(state.order.symbol, 0.0) + sign * (state.order.qty - state.filled_qty)
    return out


def assert_within_limits(order: dict[str, Any], before: dict[str, float], equity: float, cash: float,
                         committed: float, prices: dict[str, float]) -> None:
    sym, sign = order["symbol"], 1 if order["side"] == "buy" else -1
    after = dict(before)
    after[sym] = before.get(sym, 0.0) + sign * order["qty"]
    if abs(after[sym]) <= abs(before.get(sym, 0.0)) and after[sym] * before.get(sym, 0.0) >= 0:
        return  # risk-reducing: allowed to leave an already heavy book lighter
    worst = max(order.get("limit_price") or prices[sym], prices[sym])
    assert abs(after[sym]) * worst <= 0.30 * equity * (1 + 1e-9)
    gross = sum(abs(q) * (worst if s == sym else prices[s]) for s, q in after.items())
    assert gross <= 1.00 * equity * (1 + 1e-9)
    if sign > 0:
        assert order["qty"] * (order.get("limit_price") or prices[sym]) <= (cash - committed) * (1 + 1e-9)
    else:
        assert after[sym] >= -1e-9  # no shorting under this policy


def committed_cash(broker: InMemoryBroker) -> float:
    return sum((s.order.qty - s.filled_qty) * (s.order.limit_price or 0.0)
               for s in broker.orders(open_only=True) if s.order.side.value == "buy")


@RUNS
@given(streams)
def test_no_accepted_order_exceeds_position_exposure_cash_or_rate_limits(events: list[object]) -> None:
    with fresh_gate(LIMITS) as (gate, broker, reference, clock):
        accepted: list[float] = []
        for n, event in enumerate(events):
            if not isinstance(event, Propose):
                apply(event, broker, reference, clock)
                continue
            order = raw_order(event, reference.prices[event.symbol], n)
            before, equity, cash = projected(broker), broker.value(), broker.cash()
            committed = committed_cash(broker)
            outcome = gate.propose(order, WHO)
            if outcome.decision is Decision.ALLOW:
                assert_within_limits(order, before, equity, cash, committed, dict(reference.prices))
                now = clock().timestamp()
                accepted.append(now)
                assert sum(1 for t in accepted if t > now - 60) <= 3
                day = clock().replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
                assert sum(1 for t in accepted if t >= day) <= 8
        assert gate.audit_log.verify().ok


def is_risk_reducing(order: dict[str, Any], before: dict[str, float]) -> bool:
    held = before.get(order["symbol"], 0.0)
    signed = order["qty"] if order["side"] == "buy" else -order["qty"]
    return held != 0 and signed * held < 0 and abs(signed) <= abs(held) + 1e-9


@RUNS
@given(falling)
def test_after_a_drawdown_breach_only_risk_reducing_orders_are_accepted(events: list[object]) -> None:
    with fresh_gate(DRAWDOWN) as (gate, broker, reference, clock):
        high, breached = broker.value(), False
        for n, event in enumerate(events):
            if not isinstance(event, Propose):
                apply(event, broker, reference, clock)
                continue
            equity = broker.value()
            high = max(high, equity)
            breached = breached or (high - equity) / high * 100 >= 8.0
            order, before = raw_order(event, reference.prices[event.symbol], n), projected(broker)
            outcome = gate.propose(order, WHO)
            if breached:
                assert outcome.trading_state is not TradingState.ACTIVE
                if outcome.decision is Decision.ALLOW:
                    assert is_risk_reducing(order, before)


@RUNS
@given(streams, st.integers(0, 39))
def test_after_a_halt_nothing_is_accepted(events: list[object], halt_at: int) -> None:
    events = list(events)
    events.insert(min(halt_at, len(events)), Halt())
    with fresh_gate(LIMITS) as (gate, broker, reference, clock):
        halted = False
        for n, event in enumerate(events):
            if isinstance(event, Halt):
                gate.halt("property test", "tester")
                halted = True
            elif isinstance(event, Propose):
                outcome = gate.propose(raw_order(event, reference.prices[event.symbol], n), WHO)
                assert not (halted and outcome.decision is not Decision.REJECT)
            else:
                apply(event, broker, reference, clock)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True) | st.integers()
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20,
)
order_like = st.fixed_dictionaries(
    {"key": st.one_of(st.text(max_size=20), st.just("hostile-key-1")), "symbol": st.one_of(st.text(max_size=8),
                                                                                            st.just("SP500")),
     "side": st.one_of(st.sampled_from(["buy", "sell"]), json_values),
     "qty": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), json_values)},
    optional={"type": st.sampled_from(["market", "limit", "stop"]), "limit_price": json_values,
              "extra": json_values},
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(json_values, order_like))
def test_a_check_never_raises_and_never_allows_a_malformed_order(value: object) -> None:
    from tests.test_guardrails_checks import inputs

    result = evaluate(value, inputs(), LIMITS)
    if result.decision is not Decision.REJECT:
        assert result.order is not None
        assert math.isfinite(result.order.qty) and result.order.qty > 0
        assert result.order.symbol == "SP500"
