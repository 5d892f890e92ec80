"""Scores -> weights -> lots -> orders, the modes' order of strictness, and the event bus."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from taorui_engines.trading import (
    Construction,
    CycleFinished,
    EventBus,
    FactorStrategy,
    Journal,
    OrderFilled,
    PortfolioSpec,
    Signal,
    TradingMode,
    build_targets,
    order_diff,
    stricter,
)

DAY = date(2024, 3, 1)


def _signal(scores: dict[str, float], weights: dict[str, float] | None = None) -> Signal:
    return Signal(day=DAY, scores=scores, data_through=DAY, source="test", target_weights=weights)


def test_the_top_names_get_equal_weight_in_whole_lots_and_the_rest_is_sold() -> None:
    scores = {f"S{i}": float(i) for i in range(20)}
    prices = dict.fromkeys(scores, 10.0)
    targets = build_targets(_signal(scores), Construction(select="top_k", top_k=4, cash_buffer=0.0, max_weight=0.2),
                            prices, positions={"S0": 500.0}, cash=100_000.0, equity=105_000.0, lot_size=100)
    by = {ln.symbol: ln for ln in targets.lines}
    assert {s for s, ln in by.items() if ln.weight > 0} == {"S19", "S18", "S17", "S16"}
    assert all(ln.shares == 2100 and ln.shares % 100 == 0 for s, ln in by.items() if ln.weight > 0)
    assert by["S0"].shares == 0 and by["S0"].delta == -500
    orders = order_diff(targets, "p", DAY)
    assert orders[0].side == "sell" and orders[0].symbol == "S0"  # sells go first
    assert [o.symbol for o in orders[1:]] == ["S19", "S18", "S17", "S16"]  # then buys by rank
    assert len({o.key for o in orders}) == len(orders) and all("20240301" in o.key for o in orders)


def test_a_lot_that_costs_more_than_the_weight_is_not_bought_and_says_why() -> None:
    targets = build_targets(_signal({"A": 1.0, "B": 0.5}), Construction(select="top_k", top_k=2), {"A": 900.0, "B": 5.0},
                            positions={}, cash=100_000.0, equity=100_000.0, lot_size=100)
    a = next(ln for ln in targets.lines if ln.symbol == "A")
    assert a.shares == 0 and "one lot of 100 costs 90,000" in a.note


def test_buys_are_cut_to_the_cash_free_now_and_the_rest_is_reported_as_deferred() -> None:
    scores = {"A": 3.0, "B": 2.0, "C": 1.0}
    targets = build_targets(_signal(scores), Construction(select="top_k", top_k=2, cash_buffer=0.0),
                            dict.fromkeys(scores, 10.0), positions={"C": 5000.0}, cash=20_000.0, equity=70_000.0,
                            lot_size=100)
    buys = [ln for ln in targets.lines if ln.delta > 0]
    assert sum(ln.delta * ln.price for ln in buys) <= 20_000.0
    assert targets.deferred_buy_value > 0 and any("deferred" in n for n in targets.notes)
    by = {ln.symbol: ln for ln in buys}
    assert by["A"].delta == 1700 and by["B"].delta == 300  # the best rank is served first, in whole lots
    assert "cut to 300" in by["B"].note


def test_weights_are_capped_per_name_and_the_rest_stays_in_cash() -> None:
    targets = build_targets(_signal({"A": 1.0}), Construction(select="top_k", top_k=1, max_weight=0.2), {"A": 1.0},
                            positions={}, cash=1000.0, equity=1000.0, lot_size=1)
    assert targets.lines[0].weight == pytest.approx(0.2) and targets.lines[0].shares == 200


def test_policy_weights_are_used_directly_long_only_and_within_the_buffer() -> None:
    targets = build_targets(_signal({"A": 0.9, "B": -0.3}, weights={"A": 0.9, "B": 0.0}),
                            Construction(max_weight=1.0, cash_buffer=0.05), {"A": 10.0, "B": 10.0}, positions={},
                            cash=10_000.0, equity=10_000.0, lot_size=1)
    a = next(ln for ln in targets.lines if ln.symbol == "A")
    assert a.weight == pytest.approx(0.9) and a.shares == 900


def test_a_signal_that_read_past_its_day_is_refused() -> None:
    with pytest.raises(ValidationError, match="look-ahead"):
        Signal(day=DAY, scores={"A": 1.0}, data_through=date(2024, 3, 4), source="x")


def test_top_pct_rounds_up_and_keeps_at_least_one_name() -> None:
    c = Construction(select="top_pct", top_pct=5.0)
    assert c.count(120) == 6 and c.count(10) == 1 and c.count(0) == 0


@settings(max_examples=60, deadline=None)
@given(scores=st.dictionaries(st.sampled_from([f"S{i}" for i in range(30)]), st.floats(-5, 5), min_size=1),
       prices=st.lists(st.floats(0.5, 500), min_size=30, max_size=30),
       held=st.dictionaries(st.sampled_from([f"S{i}" for i in range(30)]), st.integers(0, 50).map(lambda x: x * 100.0)),
       cash=st.floats(0, 2e6), k=st.integers(1, 10), lot=st.sampled_from([1, 100]))
def test_targets_never_overspend_never_short_and_are_whole_lots(scores: dict[str, float], prices: list[float],
                                                                 held: dict[str, float], cash: float, k: int,
                                                                 lot: int) -> None:
    price = {f"S{i}": p for i, p in enumerate(prices)}
    equity = cash + sum(q * price[s] for s, q in held.items())
    if equity <= 0:
        return
    construction = Construction(select="top_k", top_k=k, cash_buffer=0.02)
    targets = build_targets(_signal(scores), construction, price, held, cash, equity, lot)
    buys = sum(ln.delta * ln.price for ln in targets.lines if ln.delta > 0)
    assert buys <= max(cash - 0.02 * equity, 0.0) + 1e-6
    for line in targets.lines:
        assert line.shares >= 0 and math.isclose(line.shares % lot, 0, abs_tol=1e-9)
        assert line.shares * line.price <= max(line.weight * equity, line.current * line.price) + 1e-6
    for order in order_diff(targets, "p", DAY):
        assert order.qty > 0 and (order.side == "buy" or order.qty <= held.get(order.symbol, 0.0) + 1e-9)


def test_a_cycle_may_only_be_stricter_than_its_portfolio() -> None:
    assert stricter(TradingMode.SEMI_AUTO, TradingMode.SUPERVISED) is TradingMode.SUPERVISED
    assert stricter(TradingMode.SUPERVISED, TradingMode.SEMI_AUTO) is TradingMode.SUPERVISED
    assert stricter(TradingMode.SUPERVISED, TradingMode.DRY_RUN) is TradingMode.DRY_RUN
    assert stricter(TradingMode.DRY_RUN, TradingMode.SEMI_AUTO) is TradingMode.DRY_RUN
    assert stricter(TradingMode.SEMI_AUTO, None) is TradingMode.SEMI_AUTO


def test_a_portfolio_spec_is_frozen_and_validated() -> None:
    spec = PortfolioSpec(name="p1", strategy=FactorStrategy(expression="$close"), created=datetime.now(UTC),
                         created_by="me")
    assert spec.mode is TradingMode.SUPERVISED  # the safe default
    with pytest.raises(ValidationError):
        spec.model_copy(update={"mode": "semi-auto"}).__class__.model_validate({**spec.model_dump(), "name": "../x"})
    with pytest.raises(ValidationError):
        PortfolioSpec.model_validate({**spec.model_dump(), "strategy": {"kind": "shell", "cmd": "rm -rf /"}})


def _fill(n: int, day: date) -> OrderFilled:
    return OrderFilled(id=f"p:fill:{n}", portfolio="p", day=day, fill_id=str(n), key=f"k{n}", symbol="A", side="buy",
                       qty=100, price=10.0, commission=1.0, fill_time=datetime(day.year, day.month, day.day))


def test_events_are_stored_once_and_a_durable_subscriber_catches_up(tmp_path: Path) -> None:
    bus = EventBus(tmp_path / "events.sqlite")
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.id))
    assert bus.publish(_fill(1, DAY)) is True
    assert bus.publish(_fill(1, DAY)) is False  # a replayed step publishes again: nobody hears it twice
    assert seen == ["p:fill:1"]
    # A journal that was down while two more events happened catches up when it comes back.
    bus.publish(_fill(2, DAY))
    bus.publish(CycleFinished(id="p:2024-03-01:finished", portfolio="p", day=DAY, mode="semi-auto", cash=1.0,
                              value=2.0, positions={"A": (200.0, 10.0)}, data_through=DAY, sent=2, blocked=0, pending=0,
                              status="done"))
    reopened = EventBus(tmp_path / "events.sqlite")
    journal = Journal(tmp_path / "journal.sqlite")
    journal.attach(reopened)
    assert [f.fill_id for f in journal.fills()] == ["1", "2"] and journal.days()[0].value == 2.0
    reopened.publish(_fill(3, DAY))  # and follows from then on
    assert len(journal.fills()) == 3
    again = Journal(tmp_path / "journal.sqlite")
    again.attach(EventBus(tmp_path / "events.sqlite"))  # its cursor says it has seen everything
    assert len(again.fills()) == 3
