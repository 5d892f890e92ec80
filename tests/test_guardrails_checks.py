"""The pre-trade checks as a specification: each limit, each fail-closed case, each approval rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from guardrails import (
    Book,
    CheckInputs,
    Decision,
    Policy,
    PriceQuote,
    ReasonCode,
    TradingState,
    default_policy,
    evaluate,
    loss_breaches,
)
from guardrails.state import Marks, Submission
from taorui_engines.brokers.models import Order, OrderSide, OrderState, OrderStatus, OrderType
from tests.test_guardrails_fakes import T0, open_policy

POLICY = open_policy()  # the default limits, approval rules off
QUOTE = PriceQuote(symbol="SP500", price=2500.0, time=T0 - timedelta(hours=4), source="test")
RICH = Book(cash=1_000_000.0, equity=1_000_000.0, positions={}, marks={})


def inputs(**overrides: Any) -> CheckInputs:
    base: dict[str, Any] = {
        "now": T0, "state": TradingState.ACTIVE, "allowed": frozenset({"SP500", "GOLD", "WTI"}),
        "quote": QUOTE, "book": RICH, "known_symbols": frozenset({"SP500"}),
    }
    return CheckInputs(**{**base, **overrides})


def raw(**fields: Any) -> dict[str, Any]:
    return {"key": "order-0001", "symbol": "SP500", "side": "buy", "qty": 10, **fields}


def codes(order: object, inp: CheckInputs | None = None, policy: Policy = POLICY, approved: bool = False) -> set[str]:
    return {r.code.value for r in evaluate(order, inp or inputs(), policy, approved=approved).reasons}


def decision(order: object, inp: CheckInputs | None = None, policy: Policy = POLICY) -> Decision:
    return evaluate(order, inp or inputs(), policy).decision


def open_order(symbol: str, side: str, qty: float, limit: float | None = None, filled: float = 0.0) -> OrderState:
    kind = OrderType.LIMIT if limit else OrderType.MARKET
    order = Order(key=f"open-{symbol}-{side}-{qty}", symbol=symbol, side=OrderSide(side), qty=qty, type=kind,
                  limit_price=limit)
    return OrderState(order=order, status=OrderStatus.ACCEPTED, filled_qty=filled)


def sent(seconds_ago: float, symbol: str = "GOLD", side: str = "buy", qty: float = 1.0, key: str = "") -> Submission:
    return Submission(key=key or f"s-{seconds_ago}-{symbol}-{qty}", symbol=symbol, side=side, qty=qty,
                      time=(T0 - timedelta(seconds=seconds_ago)).timestamp())


# the happy path ---------------------------------------------------------------------------
def test_an_order_within_every_limit_is_allowed() -> None:
    result = evaluate(raw(), inputs(), POLICY)
    assert result.decision is Decision.ALLOW
    assert result.reasons == ()
    assert result.notional == pytest.approx(25_000)
    assert result.policy_hash == POLICY.version_hash


def test_a_limit_order_is_checked_at_its_limit_price() -> None:
    result = evaluate(raw(type="limit", limit_price=2550), inputs(), POLICY)
    assert result.notional == pytest.approx(25_500)


# hostile and malformed orders ---------------------------------------------------------------
@pytest.mark.parametrize("order", [
    raw(qty=float("nan")),
    raw(qty=float("inf")),
    raw(qty=-5),
    raw(qty=0),
    raw(qty="10"),
    raw(qty=None),
    raw(qty=[10]),
    raw(qty=10**400),
    raw(type="limit", limit_price="2500"),
    raw(type="limit", limit_price=float("nan")),
    raw(type="limit"),
    raw(limit_price=2500.0),
    raw(side="hold"),
    raw(symbol="SP500; DROP TABLE orders"),
    raw(symbol=""),
    raw(key="short"),
    raw(surprise="extra field"),
    {"symbol": "SP500", "side": "buy", "qty": 10},
    "not an order",
    "{\"key\": ",
    None,
    42,
    ["SP500", "buy", 10],
], ids=lambda o: repr(o)[:40])
def test_malformed_orders_are_rejected_with_a_reason_and_never_raise(order: object) -> None:
    result = evaluate(order, inputs(), POLICY)
    assert result.decision is Decision.REJECT
    assert result.reasons
    assert {r.code for r in result.reasons} == {ReasonCode.MALFORMED_ORDER}
    assert all(r.message for r in result.reasons)


def test_an_unserialisable_mapping_is_a_rejection_not_an_exception() -> None:
    looped: dict[str, Any] = raw()
    looped["self"] = looped
    assert codes(looped) == {"malformed_order"}


def test_a_huge_quantity_breaks_size_limits() -> None:
    assert {"max_qty", "max_notional", "buying_power"} <= codes(raw(qty=1e12))


def test_max_notional_applies_to_qty_times_price() -> None:
    assert codes(raw(qty=21)) == {"max_notional"}
    assert codes(raw(qty=20)) == set()


# fail closed ---------------------------------------------------------------------------------
def test_an_unknown_instrument_is_rejected() -> None:
    from guardrails.models import Reason

    unknown = Reason(code=ReasonCode.UNKNOWN_INSTRUMENT, message="unknown symbol 'NOPE'")
    result = codes(raw(symbol="NOPE"), inputs(quote=None, quote_problem=unknown))
    assert {"unknown_instrument", "symbol_not_allowed"} <= result


def test_a_symbol_outside_the_policy_is_rejected() -> None:
    assert codes(raw(symbol="NASDAQ"), inputs(quote=QUOTE.model_copy(update={"symbol": "NASDAQ"}))) == {
        "symbol_not_allowed"}


def test_a_missing_reference_price_is_a_rejection_not_a_skipped_check() -> None:
    assert codes(raw(), inputs(quote=None)) == {"no_reference_price"}


def test_a_stale_reference_price_is_rejected() -> None:
    old = QUOTE.model_copy(update={"time": T0 - timedelta(hours=121)})
    assert codes(raw(), inputs(quote=old)) == {"stale_price"}


def test_a_price_from_the_future_is_rejected() -> None:
    future = QUOTE.model_copy(update={"time": T0 + timedelta(days=2)})
    assert codes(raw(), inputs(quote=future)) == {"stale_price"}


def test_no_account_is_a_rejection() -> None:
    assert codes(raw(), inputs(book=None, book_problem="broker down")) == {"no_account"}


@pytest.mark.parametrize("equity", [0.0, -10.0, float("nan")])
def test_an_account_without_positive_equity_is_a_rejection(equity: float) -> None:
    book = Book(cash=1000.0, equity=equity, positions={})
    assert codes(raw(), inputs(book=book)) == {"no_equity"}


def test_a_held_position_without_any_price_blocks_risk_increasing_orders() -> None:
    book = Book(cash=900_000.0, equity=1_000_000.0, positions={"WTI": 100.0}, marks={"WTI": None})
    assert codes(raw(), inputs(book=book)) == {"no_reference_price"}


# price collar --------------------------------------------------------------------------------
def test_a_limit_price_far_from_the_market_is_rejected() -> None:
    assert codes(raw(type="limit", limit_price=2700)) == {"price_collar"}
    assert codes(raw(type="limit", limit_price=2300)) == {"price_collar"}


def test_a_limit_price_inside_the_collar_passes() -> None:
    assert codes(raw(type="limit", limit_price=2600)) == set()


# position, exposure, buying power, shorting -------------------------------------------------
SMALL = Book(cash=100_000.0, equity=100_000.0, positions={}, marks={})


def test_a_position_above_its_weight_limit_is_rejected() -> None:
    assert codes(raw(qty=13), inputs(book=SMALL)) == {"max_position_weight"}
    assert codes(raw(qty=12), inputs(book=SMALL)) == set()


def test_open_orders_count_towards_the_position_limit() -> None:
    book = Book(cash=100_000.0, equity=100_000.0, positions={}, open_orders=(open_order("SP500", "buy", 10, 2500),),
                marks={"SP500": 2500.0})
    assert "max_position_weight" in codes(raw(qty=3), inputs(book=book))


def test_gross_exposure_counts_every_position() -> None:
    policy = open_policy(exposure={"max_gross_exposure_pct": 50.0, "max_position_pct": 50.0})
    book = Book(cash=55_000.0, equity=100_000.0, positions={"GOLD": 25.0}, marks={"GOLD": 1800.0})
    assert codes(raw(qty=3), inputs(book=book), policy) == {"max_gross_exposure"}
    assert codes(raw(qty=1), inputs(book=book), policy) == set()


def test_buying_power_is_cash_minus_what_open_buys_commit() -> None:
    book = Book(cash=20_000.0, equity=1_000_000.0, positions={"GOLD": 100.0},
                open_orders=(open_order("GOLD", "buy", 5, 1800),), marks={"GOLD": 1800.0})
    assert codes(raw(qty=5), inputs(book=book)) == {"buying_power"}
    free = Book(cash=20_000.0, equity=1_000_000.0, positions={"GOLD": 100.0}, marks={"GOLD": 1800.0})
    assert codes(raw(qty=5), inputs(book=free)) == set()


def test_a_partly_filled_open_buy_commits_only_its_remainder() -> None:
    book = Book(cash=20_000.0, equity=1_000_000.0, positions={"GOLD": 100.0},
                open_orders=(open_order("GOLD", "buy", 5, 1800, filled=4),), marks={"GOLD": 1800.0})
    assert codes(raw(qty=5), inputs(book=book)) == set()


def test_selling_what_is_not_held_is_rejected_when_shorting_is_off() -> None:
    assert codes(raw(side="sell", qty=5)) == {"short_not_allowed"}


def test_open_sells_reduce_what_may_still_be_sold() -> None:
    book = Book(cash=0.0, equity=100_000.0, positions={"SP500": 10.0},
                open_orders=(open_order("SP500", "sell", 8),), marks={"SP500": 2500.0})
    assert codes(raw(side="sell", qty=5), inputs(book=book)) == {"short_not_allowed"}
    assert codes(raw(side="sell", qty=2), inputs(book=book)) == set()


def test_a_short_is_still_bound_by_the_weight_limit_when_shorting_is_on() -> None:
    policy = open_policy(instruments={"allow_short": True})
    assert codes(raw(side="sell", qty=13), inputs(book=SMALL), policy) == {"max_position_weight"}
    assert codes(raw(side="sell", qty=5), inputs(book=SMALL), policy) == set()


# rates and duplicates ------------------------------------------------------------------------
def test_the_per_minute_rate_limit_counts_orders_of_the_last_sixty_seconds() -> None:
    busy = tuple(sent(59 - i * 0.5, qty=i + 1) for i in range(30))
    assert codes(raw(), inputs(recent=busy)) == {"rate_per_minute"}
    calm = tuple(sent(61 + i, qty=i + 1) for i in range(30))
    assert codes(raw(), inputs(recent=calm)) == set()


def test_the_per_day_rate_limit_counts_todays_orders_only() -> None:
    today = tuple(sent(3600 + i, qty=i + 1) for i in range(200))
    assert codes(raw(), inputs(recent=today)) == {"rate_per_day"}
    yesterday = tuple(sent(21 * 3600 + i, qty=i + 1) for i in range(200))
    assert codes(raw(), inputs(recent=yesterday)) == set()


def test_the_same_order_again_inside_the_duplicate_window_is_rejected() -> None:
    assert codes(raw(), inputs(recent=(sent(30, "SP500", "buy", 10),))) == {"duplicate_order"}


def test_a_similar_order_outside_the_window_or_of_another_size_passes() -> None:
    assert codes(raw(), inputs(recent=(sent(61, "SP500", "buy", 10),))) == set()
    assert codes(raw(), inputs(recent=(sent(30, "SP500", "buy", 11),))) == set()
    assert codes(raw(), inputs(recent=(sent(30, "SP500", "sell", 10),))) == set()


def test_a_repeated_idempotency_key_is_rejected() -> None:
    assert codes(raw(), inputs(key_seen="the gate already sent an order with this key")) == {"duplicate_key"}


# trading state -------------------------------------------------------------------------------
HOLDING = Book(cash=75_000.0, equity=100_000.0, positions={"SP500": 10.0}, marks={"SP500": 2500.0})


def test_nothing_passes_while_halted_not_even_a_risk_reducing_order() -> None:
    halted = inputs(state=TradingState.HALTED, book=HOLDING)
    assert "trading_halted" in codes(raw(), halted)
    assert codes(raw(side="sell", qty=5), halted) == {"trading_halted"}


def test_only_risk_reducing_orders_pass_while_reducing() -> None:
    reducing = inputs(state=TradingState.REDUCING, book=HOLDING)
    assert codes(raw(qty=1), reducing) == {"reducing_only"}
    assert decision(raw(side="sell", qty=5), reducing) is Decision.ALLOW


def test_a_sell_that_flips_the_position_is_not_risk_reducing() -> None:
    policy = open_policy(instruments={"allow_short": True})
    reducing = inputs(state=TradingState.REDUCING, book=HOLDING)
    assert "reducing_only" in codes(raw(side="sell", qty=11), reducing, policy)


def test_a_risk_reducing_order_skips_the_exposure_limits() -> None:
    heavy = Book(cash=10_000.0, equity=100_000.0, positions={"SP500": 36.0}, marks={"SP500": 2500.0})
    result = evaluate(raw(side="sell", qty=2), inputs(book=heavy), POLICY)
    assert result.decision is Decision.ALLOW
    assert result.risk_reducing


# approval rules -----------------------------------------------------------------------------
def test_the_always_rule_asks_for_approval() -> None:
    policy = open_policy(approvals={"always": True})
    result = evaluate(raw(), inputs(), policy)
    assert result.decision is Decision.NEEDS_APPROVAL
    assert [r.code.value for r in result.reasons] == ["approval_always"]


def test_large_orders_new_symbols_and_first_orders_ask_for_approval() -> None:
    policy = open_policy(approvals={"above_notional": 20_000.0, "new_symbol": True, "first_order_of_day": True})
    got = codes(raw(), inputs(known_symbols=frozenset()), policy)
    assert got == {"approval_notional", "approval_new_symbol", "approval_first_order_of_day"}


def test_the_first_order_rule_is_quiet_after_an_order_today() -> None:
    policy = open_policy(approvals={"first_order_of_day": True})
    assert codes(raw(), inputs(recent=(sent(3600),)), policy) == set()


def test_orders_while_reducing_ask_for_approval_when_the_policy_says_so() -> None:
    policy = open_policy(approvals={"while_reducing": True})
    reducing = inputs(state=TradingState.REDUCING, book=HOLDING)
    assert codes(raw(side="sell", qty=5), reducing, policy) == {"approval_while_reducing"}


def test_an_approved_order_is_rechecked_against_limits_but_not_approval_rules() -> None:
    policy = default_policy()
    assert evaluate(raw(), inputs(known_symbols=frozenset()), policy, approved=True).decision is Decision.ALLOW
    assert codes(raw(qty=21), inputs(), policy, approved=True) == {"max_notional"}


def test_a_rejection_wins_over_an_approval_rule() -> None:
    policy = open_policy(approvals={"always": True})
    result = evaluate(raw(qty=21), inputs(), policy)
    assert result.decision is Decision.REJECT
    assert [r.code.value for r in result.reasons] == ["max_notional"]


# loss limits --------------------------------------------------------------------------------
def test_a_drawdown_beyond_the_limit_moves_to_the_policy_action() -> None:
    breaches = loss_breaches(Marks(high_water_mark=100_000, day_start_equity=90_000, last_equity=89_999), POLICY)
    assert [s for s, _ in breaches] == [TradingState.REDUCING]


def test_a_daily_loss_beyond_the_limit_halts() -> None:
    breaches = loss_breaches(Marks(high_water_mark=100_000, day_start_equity=100_000, last_equity=96_900), POLICY)
    assert [s for s, _ in breaches] == [TradingState.HALTED]


def test_losses_inside_the_limits_change_nothing() -> None:
    assert loss_breaches(Marks(high_water_mark=100_000, day_start_equity=100_000, last_equity=97_500), POLICY) == []


@pytest.mark.parametrize("equity", [0.0, -1.0, float("nan")])
def test_an_account_without_positive_equity_halts(equity: float) -> None:
    assert [s for s, _ in loss_breaches(Marks(last_equity=equity), POLICY)] == [TradingState.HALTED]
