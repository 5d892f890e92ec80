"""The paper broker: fills against the store, idempotency keys, persistence across a kill."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taorui_engines.brokers import Broker, Order, OrderSide, OrderStatus
from taorui_engines.brokers.paper import PaperBroker, PaperConfig
from taorui_engines.data import DataCenter
from taorui_engines.errors import (
    DuplicateOrderKeyError,
    InvalidArgumentError,
    InvalidInputError,
    NotFoundError,
    UnknownSymbolError,
)

FRIDAY_EVENING = datetime(2015, 3, 6, 18, 0)  # orders placed after Friday's close
MONDAY = datetime(2015, 3, 9)
TUESDAY = datetime(2015, 3, 10)
CFG = PaperConfig(initial_cash=100_000, commission_rate=0.001, slippage=0.0005)


def bar(center: DataCenter, symbol: str, day: str) -> pd.Series:
    frame = center.get_price(symbol, day, day)
    return frame.iloc[0]


def buy(key: str, qty: float, symbol: str = "SP500", **kw: object) -> Order:
    return Order(key=key, symbol=symbol, side="buy", qty=qty, created=FRIDAY_EVENING, **kw)  # type: ignore[arg-type]


def sell(key: str, qty: float, symbol: str = "SP500", **kw: object) -> Order:
    return Order(key=key, symbol=symbol, side="sell", qty=qty, created=FRIDAY_EVENING, **kw)  # type: ignore[arg-type]


@pytest.fixture
def broker(tmp_path: Path, data_center: DataCenter) -> PaperBroker:
    return PaperBroker(tmp_path / "paper.sqlite", data_center, config=CFG, clock=lambda: FRIDAY_EVENING)


# the protocol and the fill rule ----------------------------------------------------------
def test_the_paper_broker_implements_the_broker_protocol(broker: PaperBroker) -> None:
    assert isinstance(broker, Broker)


def test_a_market_order_fills_at_the_next_open_with_slippage_and_commission(
    broker: PaperBroker, data_center: DataCenter
) -> None:
    state = broker.submit(buy("order-0001", 10))
    fills = broker.settle(MONDAY)

    monday = bar(data_center, "SP500", "2015-03-09")
    price = monday["open"] * (1 + CFG.slippage)
    assert state.status is OrderStatus.ACCEPTED and state.order.created == FRIDAY_EVENING
    assert [(f.qty, f.time) for f in fills] == [(10, datetime(2015, 3, 9))]
    assert fills[0].price == pytest.approx(price, rel=1e-12)
    assert fills[0].commission == pytest.approx(10 * price * CFG.commission_rate, rel=1e-12)
    assert broker.cash() == pytest.approx(100_000 - 10 * price * (1 + CFG.commission_rate), rel=1e-12)
    assert broker.order("order-0001").status is OrderStatus.FILLED
    assert broker.value() == pytest.approx(broker.cash() + 10 * monday["close"], rel=1e-12)  # marked at the close


def test_an_order_never_fills_on_the_bar_of_the_day_it_was_placed(broker: PaperBroker) -> None:
    order = Order(key="same-day-01", symbol="SP500", side=OrderSide.BUY, qty=1, created=datetime(2015, 3, 9, 10, 30))
    broker.submit(order)
    assert broker.settle(datetime(2015, 3, 9, 23)) == []
    (fill,) = broker.settle(TUESDAY)
    assert fill.time == datetime(2015, 3, 10)


def test_settling_twice_to_the_same_time_fills_nothing_twice(broker: PaperBroker) -> None:
    broker.submit(buy("order-0002", 5))
    broker.settle(MONDAY)
    cash = broker.cash()
    assert broker.settle(MONDAY) == []
    assert broker.cash() == cash and len(broker.fills()) == 1


def test_settling_back_in_time_is_refused(broker: PaperBroker) -> None:
    broker.settle(TUESDAY)
    with pytest.raises(InvalidArgumentError, match="before the last settled day"):
        broker.settle(MONDAY)


def test_an_order_dated_before_the_settled_days_is_refused_and_not_recorded(broker: PaperBroker) -> None:
    broker.settle(TUESDAY)
    with pytest.raises(InvalidArgumentError, match="fill in the past"):
        broker.submit(buy("late-order-1", 1))
    assert not broker.has_key("late-order-1") and broker.orders() == []


# idempotency and rejections --------------------------------------------------------------
def test_a_seen_key_is_refused_and_nothing_changes(broker: PaperBroker) -> None:
    broker.submit(buy("order-0003", 5))
    before = (broker.orders(), broker.cash())

    with pytest.raises(DuplicateOrderKeyError) as info:
        broker.submit(buy("order-0003", 7))

    assert isinstance(info.value, InvalidInputError) and info.value.key == "order-0003"
    assert (broker.orders(), broker.cash()) == before


def test_a_sell_beyond_the_position_is_rejected_and_its_key_is_spent(broker: PaperBroker) -> None:
    state = broker.submit(sell("order-0004", 1))
    assert state.status is OrderStatus.REJECTED and "shorting is off" in (state.reason or "")
    assert broker.has_key("order-0004")
    assert broker.settle(MONDAY) == []


def test_pending_sells_count_against_the_position(broker: PaperBroker) -> None:
    broker.submit(buy("order-0005", 4))
    broker.settle(MONDAY)
    first = Order(key="order-0006", symbol="SP500", side=OrderSide.SELL, qty=3, created=MONDAY.replace(hour=18))
    second = Order(key="order-0007", symbol="SP500", side=OrderSide.SELL, qty=3, created=MONDAY.replace(hour=18))
    assert broker.submit(first).status is OrderStatus.ACCEPTED
    assert broker.submit(second).status is OrderStatus.REJECTED


def test_an_unknown_symbol_is_refused_with_suggestions_and_not_recorded(broker: PaperBroker) -> None:
    with pytest.raises(UnknownSymbolError, match="SP500"):
        broker.submit(buy("order-0008", 1, symbol="SP50"))
    assert not broker.has_key("order-0008")


def test_fractional_quantities_are_rejected_unless_enabled(broker: PaperBroker) -> None:
    assert broker.submit(buy("order-0009", 1.5)).status is OrderStatus.REJECTED


# partial fills, limits, cash -------------------------------------------------------------
def test_a_bar_fills_at_most_the_participation_share_of_its_volume(tmp_path: Path, data_center: DataCenter) -> None:
    monday = bar(data_center, "SYN000", "2022-03-07")
    cap = math.floor(monday["volume"] * 1e-6)
    broker = PaperBroker(tmp_path / "p.sqlite", data_center, PaperConfig(participation=1e-6, slippage=0.0))
    order = Order(key="partial-0001", symbol="SYN000", side=OrderSide.BUY, qty=cap + 2, created=datetime(2022, 3, 4, 18))
    broker.submit(order)

    first = broker.settle(datetime(2022, 3, 7))
    assert [f.qty for f in first] == [cap]
    assert broker.order("partial-0001").status is OrderStatus.PARTIALLY_FILLED
    broker.settle(datetime(2022, 3, 8))
    state = broker.order("partial-0001")
    assert state.status is OrderStatus.FILLED and state.filled_qty == cap + 2
    assert state.avg_fill_price == pytest.approx(
        sum(f.qty * f.price for f in broker.fills()) / (cap + 2), rel=1e-12)


def test_a_buy_limit_fills_at_the_limit_when_the_bar_reaches_it(broker: PaperBroker, data_center: DataCenter) -> None:
    monday = bar(data_center, "SP500", "2015-03-09")
    limit = round((monday["open"] + monday["low"]) / 2, 2)
    broker.submit(buy("limit-0001", 2, type="limit", limit_price=limit))
    broker.submit(buy("limit-0002", 2, type="limit", limit_price=round(monday["low"] * 0.9, 2)))

    fills = broker.settle(MONDAY)

    assert [(f.order_key, f.price) for f in fills] == [("limit-0001", limit)]
    assert broker.order("limit-0002").status is OrderStatus.ACCEPTED  # still waiting


def test_a_buy_cash_cannot_pay_fills_what_it_can_and_cancels_the_rest(broker: PaperBroker, data_center: DataCenter) -> None:
    broker.submit(buy("big-order-01", 1000))
    (fill,) = broker.settle(MONDAY)

    state = broker.order("big-order-01")
    price = bar(data_center, "SP500", "2015-03-09")["open"] * (1 + CFG.slippage)
    assert fill.qty == math.floor(100_000 / (price * (1 + CFG.commission_rate)))
    assert state.status is OrderStatus.CANCELLED and "insufficient cash" in (state.reason or "")
    assert broker.cash() >= 0


def test_fill_at_a_given_price_charges_commission_only(broker: PaperBroker) -> None:
    broker.submit(buy("given-0001", 4))
    fill = broker.fill_at("given-0001", 2000.0, MONDAY)
    assert (fill.qty, fill.price) == (4, 2000.0) and fill.commission == pytest.approx(8.0)
    assert broker.cash() == pytest.approx(100_000 - 8000 - 8)
    with pytest.raises(InvalidArgumentError, match="not open"):
        broker.fill_at("given-0001", 2000.0, MONDAY)


def test_cancel_works_on_open_orders_only(broker: PaperBroker) -> None:
    broker.submit(buy("cancel-0001", 1))
    broker.submit(buy("cancel-0002", 1))
    assert broker.cancel("cancel-0001").status is OrderStatus.CANCELLED
    assert broker.cancel("cancel-0001").status is OrderStatus.CANCELLED  # again: unchanged
    broker.settle(MONDAY)
    assert [f.order_key for f in broker.fills()] == ["cancel-0002"]
    with pytest.raises(InvalidArgumentError, match="filled"):
        broker.cancel("cancel-0002")
    with pytest.raises(NotFoundError):
        broker.cancel("never-seen-1")


# persistence -----------------------------------------------------------------------------
def test_a_reopened_broker_sees_the_same_account(broker: PaperBroker, data_center: DataCenter) -> None:
    broker.submit(buy("order-0010", 6))
    broker.settle(MONDAY)
    broker.submit(Order(key="order-0011", symbol="SP500", side=OrderSide.SELL, qty=2, created=MONDAY.replace(hour=18)))

    again = PaperBroker(broker.path, data_center)

    assert again.config == CFG
    assert again.cash() == broker.cash() and again.positions() == broker.positions()
    assert again.orders() == broker.orders() and again.has_key("order-0011")
    assert again.last_settled() == MONDAY.date()


def test_reopening_with_another_configuration_is_refused(broker: PaperBroker, data_center: DataCenter) -> None:
    with pytest.raises(InvalidArgumentError, match="reset it"):
        PaperBroker(broker.path, data_center, config=PaperConfig(initial_cash=5))


def test_reset_empties_the_account_but_remembers_the_keys(broker: PaperBroker) -> None:
    broker.submit(buy("order-0012", 3))
    broker.settle(MONDAY)
    broker.reset(initial_cash=50_000)
    assert (broker.cash(), broker.positions(), broker.orders(), broker.fills()) == (50_000, [], [], [])
    with pytest.raises(DuplicateOrderKeyError):
        broker.submit(buy("order-0012", 3))


_CHILD = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from taorui_engines.brokers import Order
    from taorui_engines.brokers.paper import PaperBroker, PaperConfig
    from taorui_engines.data import DataCenter

    db, data_dir, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    broker = PaperBroker(db, DataCenter(data_dir), PaperConfig(initial_cash=100_000))
    created = datetime(2015, 3, 6, 18)
    keys = ["kill-order-1", "kill-order-2", "kill-order-3"]
    for key in keys:
        broker.submit(Order(key=key, symbol="SP500", side="buy", qty=2, created=created))
    if mode == "after-submit":
        print("SUBMITTED", flush=True)
        signal.pause()  # the parent kills us here, before any fill
    original = PaperBroker._fill_on_bar
    done = []
    def fill_then_die(self, *args, **kwargs):
        fill = original(self, *args, **kwargs)
        done.append(fill)
        if len(done) == 2:  # after the second committed fill, before the third
            os.kill(os.getpid(), signal.SIGKILL)
        return fill
    PaperBroker._fill_on_bar = fill_then_die
    broker.settle(datetime(2015, 3, 9))
""")


def _child(tmp_path: Path, data_dir: Path, mode: str) -> subprocess.Popen[str]:
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "paper.sqlite"), str(data_dir), mode],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])


def test_a_process_killed_between_submit_and_fill_leaves_the_orders_to_fill_once(
    tmp_path: Path, sample_data_dir: Path, data_center: DataCenter
) -> None:
    child = _child(tmp_path, sample_data_dir, "after-submit")
    assert child.stdout is not None and child.stdout.readline().strip() == "SUBMITTED"
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=60) == -signal.SIGKILL

    restarted = PaperBroker(tmp_path / "paper.sqlite", data_center)
    assert restarted.cash() == 100_000 and restarted.positions() == []
    assert [o.status for o in restarted.orders()] == [OrderStatus.ACCEPTED] * 3
    with pytest.raises(DuplicateOrderKeyError):
        restarted.submit(buy("kill-order-1", 2))
    assert len(restarted.settle(MONDAY)) == 3
    assert restarted.positions()[0].qty == 6 and restarted.check_consistency() == []


def test_a_process_killed_in_the_middle_of_settling_loses_no_fill_and_repeats_none(
    tmp_path: Path, sample_data_dir: Path, data_center: DataCenter
) -> None:
    child = _child(tmp_path, sample_data_dir, "mid-settle")
    assert child.wait(timeout=120) == -signal.SIGKILL

    restarted = PaperBroker(tmp_path / "paper.sqlite", data_center)
    assert len(restarted.fills()) == 2 and restarted.check_consistency() == []
    assert [o.status for o in restarted.orders()] == [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.ACCEPTED]
    restarted.settle(MONDAY)
    assert [f.order_key for f in restarted.fills()] == ["kill-order-1", "kill-order-2", "kill-order-3"]
    assert restarted.positions()[0].qty == 6 and restarted.check_consistency() == []


# invariants ------------------------------------------------------------------------------
_DAYS = [datetime(2015, 3, d, 18) for d in (9, 10, 11, 12, 13, 16, 17)]
_ACTIONS = st.lists(
    st.tuples(st.sampled_from(["buy", "sell"]), st.sampled_from(["SP500", "NASDAQ"]), st.integers(1, 60)),
    min_size=1, max_size=len(_DAYS) - 1,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=_ACTIONS)
def test_cash_and_positions_always_reconcile_with_the_fills(
    actions: list[tuple[str, str, int]], tmp_path_factory: pytest.TempPathFactory, data_center: DataCenter
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    broker = PaperBroker(folder / "p.sqlite", data_center, PaperConfig(initial_cash=50_000))
    for i, (side, symbol, qty) in enumerate(actions):
        broker.submit(Order(key=f"prop-order-{i}", symbol=symbol, side=side, qty=qty, created=_DAYS[i]))  # type: ignore[arg-type]
        broker.settle(_DAYS[i + 1])
    assert broker.check_consistency() == []
    assert broker.cash() >= -1e-6
    assert all(p.qty > 0 for p in broker.positions())
    assert all(o.filled_qty <= o.order.qty for o in broker.orders())
