"""The gate end to end over an in-memory broker: send, refuse, audit, loss stops, kill switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from guardrails import AuditKind, Decision, FixedClock, Gate, PriceQuote, ReasonCode, TradingState
from taorui_engines.brokers.models import Attribution, Fill, Order, OrderState, Position
from taorui_engines.errors import InvalidArgumentError, UnavailableError
from tests.test_guardrails_fakes import T0, InMemoryBroker, StaticReference, make_gate, open_policy, order

WHO = Attribution(agent="trader", thread_id="t-1", instruction_id="i-1")
POLICY = open_policy()


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Gate, InMemoryBroker, StaticReference, FixedClock]:
    return make_gate(tmp_path, policy=POLICY, cash=100_000.0)


def test_an_allowed_order_is_sent_with_its_key_and_audited(setup: tuple[Gate, InMemoryBroker, StaticReference,
                                                                        FixedClock]) -> None:
    gate, broker, _, _ = setup
    outcome = gate.propose(order(qty=4, key="send-me-0001"), WHO)
    assert (outcome.decision, outcome.submitted) == (Decision.ALLOW, True)
    assert broker.submitted == ["send-me-0001"]
    assert [f.qty for f in outcome.fills] == [4]
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds == [AuditKind.PROPOSAL, AuditKind.DECISION, AuditKind.SUBMISSION, AuditKind.FILL]
    decision_row = gate.audit_log.tail(1, AuditKind.DECISION)[0].payload
    assert decision_row["decision"] == "allow"
    assert decision_row["policy_hash"] == POLICY.version_hash
    assert decision_row["attribution"]["instruction_id"] == "i-1"
    assert decision_row["order"]["key"] == "send-me-0001"
    assert decision_row["as_of"] == T0.isoformat()


def test_the_gate_stamps_the_order_with_its_market_time(setup: tuple[Gate, InMemoryBroker, StaticReference,
                                                                     FixedClock]) -> None:
    gate, _, _, _ = setup
    outcome = gate.propose(order(qty=1), WHO)
    assert outcome.order_state is not None and outcome.order_state.order.created == T0


def test_a_rejected_order_reaches_no_broker_and_is_audited_with_reasons(
        setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, broker, _, _ = setup
    outcome = gate.propose(order(qty=100), WHO)
    assert outcome.decision is Decision.REJECT
    assert broker.submitted == []
    row = gate.audit_log.tail(1, AuditKind.DECISION)[0].payload
    assert [r["code"] for r in row["reasons"]] == outcome.reason_codes()


def test_a_malformed_order_is_rejected_and_its_raw_form_audited(
        setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, broker, _, _ = setup
    outcome = gate.propose({"symbol": "SP500", "qty": "lots", "side": "buy", "key": "malformed-1"}, WHO)
    assert outcome.decision is Decision.REJECT
    assert set(outcome.reason_codes()) == {"malformed_order"}
    assert outcome.order is None
    proposal = gate.audit_log.tail(1, AuditKind.PROPOSAL)[0].payload
    assert proposal["order"]["qty"] == "lots"
    assert broker.submitted == []


def test_a_key_already_sent_is_rejected_and_points_at_the_first_order(
        setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, broker, _, clock = setup
    gate.propose(order(qty=1, key="once-only-01"), WHO)
    clock.advance(timedelta(minutes=5))
    again = gate.propose(order(qty=1, key="once-only-01"), WHO)
    assert again.reason_codes() == ["duplicate_key"]
    assert again.order_state is not None and again.order_state.order.key == "once-only-01"
    assert broker.submitted == ["once-only-01"]


def test_the_rate_limit_is_enforced_over_real_submissions(tmp_path: Path) -> None:
    gate, broker, _, clock = make_gate(tmp_path, policy=open_policy(rates={"max_per_minute": 3}))
    outcomes = [gate.propose(order(qty=i + 1), WHO).decision for i in range(4)]
    assert outcomes == [Decision.ALLOW] * 3 + [Decision.REJECT]
    clock.advance(timedelta(seconds=61))
    assert gate.propose(order(qty=9), WHO).decision is Decision.ALLOW
    assert len(broker.submitted) == 4


def test_the_same_order_twice_inside_the_window_is_refused(
        setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, _, _, clock = setup
    gate.propose(order(qty=2), WHO)
    clock.advance(timedelta(seconds=20))
    assert gate.propose(order(qty=2), WHO).reason_codes() == ["duplicate_order"]


def test_a_fall_breaching_drawdown_and_daily_loss_ends_halted(tmp_path: Path) -> None:
    gate, broker, reference, _ = make_gate(tmp_path, policy=POLICY, cash=100_000.0)
    assert gate.propose(order("SP500", qty=12), WHO).decision is Decision.ALLOW
    broker.set_price("SP500", 1600.0)  # 12 x 900 lost from 100,000: -10.8 %, today
    reference.prices["SP500"] = 1600.0
    changes = gate.mark_to_market()
    assert [c.state for c in changes] == [TradingState.REDUCING, TradingState.HALTED]
    assert gate.status().state is TradingState.HALTED


def test_a_drawdown_alone_allows_only_risk_reducing_orders(tmp_path: Path) -> None:
    policy = open_policy(loss={"daily_loss_limit_pct": 50.0})
    gate, broker, reference, clock = make_gate(tmp_path, policy=policy, cash=100_000.0)
    gate.propose(order("SP500", qty=12), WHO)
    broker.set_price("SP500", 1600.0)
    reference.prices["SP500"] = 1600.0
    clock.advance(timedelta(minutes=2))
    buy = gate.propose(order("GOLD", qty=1), WHO)
    assert gate.status().state is TradingState.REDUCING
    assert "reducing_only" in buy.reason_codes()
    sell = gate.propose(order("SP500", side="sell", qty=5), WHO)
    assert sell.decision is Decision.ALLOW
    change = gate.audit_log.tail(1, AuditKind.STATE_CHANGE)[0].payload["change"]
    assert (change["previous"], change["state"], change["by"]) == ("active", "reducing", "guardrails")


def test_the_kill_switch_stops_everything_until_a_person_resumes(
        setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, broker, _, _ = setup
    gate.propose(order(qty=2), WHO)
    change = gate.halt("operator saw bad fills", "alice")
    assert change is not None and change.state is TradingState.HALTED
    assert gate.halt("again", "alice") is None
    assert gate.propose(order(side="sell", qty=1), WHO).reason_codes() == ["trading_halted"]
    resumed = gate.resume("fills checked", "alice")
    assert (resumed.previous, resumed.state) == (TradingState.HALTED, TradingState.ACTIVE)
    assert gate.propose(order(side="sell", qty=1), WHO).decision is Decision.ALLOW
    assert len(broker.submitted) == 2


def test_resume_rebases_the_loss_marks(tmp_path: Path) -> None:
    gate, broker, reference, _ = make_gate(tmp_path, policy=POLICY, cash=100_000.0)
    gate.propose(order("SP500", qty=12), WHO)
    broker.set_price("SP500", 1600.0)
    reference.prices["SP500"] = 1600.0
    gate.mark_to_market()
    gate.resume("loss accepted", "alice")
    assert gate.mark_to_market() == []
    status = gate.status()
    assert status.state is TradingState.ACTIVE
    assert status.high_water_mark == pytest.approx(broker.value())
    assert status.drawdown_pct == pytest.approx(0.0)


def test_resuming_while_active_is_refused(setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, _, _, _ = setup
    with pytest.raises(InvalidArgumentError, match="already ACTIVE"):
        gate.resume("why not", "alice")


def test_the_trading_state_survives_a_restart(tmp_path: Path) -> None:
    gate, broker, reference, clock = make_gate(tmp_path, policy=POLICY)
    gate.halt("end of day", "alice")
    gate.close()
    again = Gate(POLICY, broker, reference, tmp_path / "state", clock=clock, wall_clock=clock)
    assert again.status().state is TradingState.HALTED
    assert again.propose(order(qty=1), WHO).reason_codes() == ["trading_halted"]


def test_without_a_broker_every_order_is_rejected_for_want_of_an_account(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    gate = Gate(POLICY, None, StaticReference({"SP500": 2500.0}), tmp_path / "state", clock=clock, wall_clock=clock)
    assert gate.propose(order(qty=1), WHO).reason_codes() == ["no_account"]
    assert gate.status().account_error == "no broker is configured"


class UnreadableBroker(InMemoryBroker):
    """A broker whose account cannot be read (a network or disk failure)."""

    def positions(self) -> list[Position]:
        raise UnavailableError("broker connection lost")


def test_an_unreadable_account_is_no_account(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    gate = Gate(POLICY, UnreadableBroker(), StaticReference({"SP500": 2500.0}), tmp_path / "s", clock=clock,
                wall_clock=clock)
    outcome = gate.propose(order(qty=1), WHO)
    assert outcome.reason_codes() == ["no_account"]
    assert "connection lost" in outcome.reasons[0].message


class BrokenPrices(StaticReference):
    """A price source that fails."""

    def last_price(self, symbol: str, as_of: datetime) -> PriceQuote | None:
        raise OSError("price feed down")


def test_a_failing_price_source_is_a_missing_price(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    gate = Gate(POLICY, InMemoryBroker(), BrokenPrices({}), tmp_path / "s", clock=clock, wall_clock=clock)
    outcome = gate.propose(order(qty=1), WHO)
    assert outcome.reason_codes() == ["no_reference_price"]
    assert "price feed down" in outcome.reasons[0].message


class RefusingBroker(InMemoryBroker):
    """A broker that refuses every submission."""

    def submit(self, order: Order) -> OrderState:
        raise UnavailableError("exchange closed")


def test_a_broker_refusal_is_reported_and_audited(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    gate = Gate(POLICY, RefusingBroker(prices={"SP500": 2500.0}), StaticReference({"SP500": 2500.0}),
                tmp_path / "s", clock=clock, wall_clock=clock)
    outcome = gate.propose(order(qty=1), WHO)
    assert outcome.reason_codes() == ["broker_rejected"]
    assert gate.audit_log.tail(1, AuditKind.SUBMISSION_FAILED)[0].payload["error"] == "exchange closed"


def test_fills_that_arrive_later_are_audited_once(setup: tuple[Gate, InMemoryBroker, StaticReference,
                                                               FixedClock]) -> None:
    gate, broker, _, _ = setup
    gate.propose(order(qty=1, type="limit", limit_price=2450.0, key="late-fill-01"), WHO)
    assert gate.audit_log.tail(1, AuditKind.FILL) == []
    broker.set_price("SP500", 2440.0)
    gate.mark_to_market()
    gate.mark_to_market()
    fills = gate.audit_log.tail(10, AuditKind.FILL)
    assert [Fill.model_validate(r.payload["fill"]).order_key for r in fills] == ["late-fill-01"]


def test_a_cancel_is_audited(setup: tuple[Gate, InMemoryBroker, StaticReference, FixedClock]) -> None:
    gate, _, _, _ = setup
    gate.propose(order(qty=1, type="limit", limit_price=2450.0, key="cancel-me-01"), WHO)
    state = gate.cancel("cancel-me-01", WHO)
    assert state.status.value == "cancelled"
    assert gate.audit_log.tail(1, AuditKind.CANCEL)[0].payload["order_key"] == "cancel-me-01"


def test_a_dry_run_check_sends_nothing_and_changes_no_state(tmp_path: Path) -> None:
    gate, broker, reference, _ = make_gate(tmp_path, policy=POLICY, cash=100_000.0)
    gate.propose(order("SP500", qty=12), WHO)
    broker.set_price("SP500", 1600.0)
    reference.prices["SP500"] = 1600.0
    result = gate.check(order("GOLD", qty=1), WHO)
    assert result.decision is Decision.REJECT
    assert ReasonCode.TRADING_HALTED in {r.code for r in result.reasons}
    assert gate.status().state is TradingState.ACTIVE
    assert len(broker.submitted) == 1
    assert gate.audit_log.tail(1)[0].kind is AuditKind.CHECK


def test_the_new_symbol_rule_remembers_what_was_traded(tmp_path: Path) -> None:
    gate, _, _, clock = make_gate(tmp_path, policy=open_policy(approvals={"new_symbol": True}))
    assert gate.propose(order("GOLD", qty=1), WHO).reason_codes() == ["approval_new_symbol"]
    request = gate.approvals()[0]
    gate.approve(request.id, "alice")
    gate.execute_approved(request.id)
    clock.advance(timedelta(minutes=2))
    assert gate.propose(order("GOLD", qty=1), WHO).decision is Decision.ALLOW


def test_the_whole_log_verifies_after_a_busy_session(setup: tuple[Gate, InMemoryBroker, StaticReference,
                                                                  FixedClock]) -> None:
    gate, _, _, clock = setup
    for i in range(5):
        gate.propose(order(qty=i + 1), WHO)
        clock.advance(timedelta(seconds=30))
    gate.halt("test", "alice")
    gate.resume("test", "alice")
    assert gate.audit_log.verify().ok
