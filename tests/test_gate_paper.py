"""The gate over the real paper broker and the real sample store (reference prices from Qlib)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from guardrails import AuditKind, Decision, FixedClock, Gate, default_policy, system_clock
from taorui_engines.brokers.models import Attribution, Fill
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from tests.test_guardrails_fakes import open_policy, order
from tools.order_tools import DataCenterReference

MONDAY_EVENING = datetime(2018, 6, 4, 20, 0, tzinfo=UTC)
WHO = Attribution(agent="trader", thread_id="t-paper", instruction_id="i-paper")


def paper_gate(tmp: Path, center: DataCenter, clock: FixedClock, policy: object = None,
               state: str = "state") -> tuple[Gate, PaperBroker]:
    broker = PaperBroker(tmp / "paper.sqlite", center, clock=lambda: clock().replace(tzinfo=None))
    gate = Gate(policy or open_policy(), broker, DataCenterReference(center), tmp / state,  # type: ignore[arg-type]
                clock=clock, wall_clock=clock)
    return gate, broker


def test_the_reference_price_is_the_last_close_finished_by_the_clock(data_center: DataCenter) -> None:
    reference = DataCenterReference(data_center)
    bars = data_center.get_price("SP500", "2018-05-30", "2018-06-04").set_index("date")["close"]
    evening = reference.last_price("SP500", MONDAY_EVENING)
    morning = reference.last_price("SP500", MONDAY_EVENING.replace(hour=9))
    assert evening is not None and evening.price == pytest.approx(bars.iloc[-1])
    assert morning is not None and morning.price == pytest.approx(bars.iloc[-2])  # Friday's close
    assert "2018-06-01" in morning.source


def test_a_synthetic_reference_price_says_so(data_center: DataCenter) -> None:
    quote = DataCenterReference(data_center).last_price("GOLD", MONDAY_EVENING)
    assert quote is not None and "SYNTHETIC" in quote.source


def test_an_order_passes_the_gate_and_fills_at_the_paper_broker(tmp_path: Path, data_center: DataCenter) -> None:
    clock = FixedClock(MONDAY_EVENING)
    gate, broker = paper_gate(tmp_path, data_center, clock)
    outcome = gate.propose(order("SP500", qty=5, key="paper-order-1"), WHO)
    assert (outcome.decision, outcome.submitted) == (Decision.ALLOW, True)
    assert outcome.order_state is not None and outcome.order_state.status.value == "accepted"
    broker.settle(datetime(2018, 6, 5))
    gate.mark_to_market()
    fills = [Fill.model_validate(r.payload["fill"]) for r in gate.audit_log.tail(5, AuditKind.FILL)]
    assert [(f.order_key, f.qty) for f in fills] == [("paper-order-1", 5)]
    assert gate.audit_log.verify().ok


def test_an_old_price_on_the_wall_clock_is_rejected_as_stale(tmp_path: Path, data_center: DataCenter) -> None:
    broker = PaperBroker(tmp_path / "paper.sqlite", data_center)
    gate = Gate(open_policy(), broker, DataCenterReference(data_center), tmp_path / "state", clock=system_clock)
    outcome = gate.propose(order("SP500", qty=1), WHO)
    assert outcome.reason_codes() == ["stale_price"]
    assert "2018-12-31" in outcome.reasons[0].message


def test_an_unknown_symbol_is_rejected_with_suggestions(tmp_path: Path, data_center: DataCenter) -> None:
    gate, _ = paper_gate(tmp_path, data_center, FixedClock(MONDAY_EVENING))
    outcome = gate.propose(order("SP50O", qty=1), WHO)
    assert set(outcome.reason_codes()) == {"unknown_instrument", "symbol_not_allowed"}
    assert "SP500" in outcome.reasons[0].message


def test_members_of_an_allowed_universe_may_be_traded(tmp_path: Path, data_center: DataCenter) -> None:
    gate, _ = paper_gate(tmp_path, data_center, FixedClock(MONDAY_EVENING))
    assert gate.propose(order("SYN001", qty=100), WHO).decision is Decision.ALLOW


def test_a_key_the_paper_broker_has_seen_is_refused_even_by_a_fresh_gate(tmp_path: Path,
                                                                          data_center: DataCenter) -> None:
    clock = FixedClock(MONDAY_EVENING)
    gate, broker = paper_gate(tmp_path, data_center, clock)
    gate.propose(order("SP500", qty=1, key="seen-at-paper-1"), WHO)
    fresh, _ = paper_gate(tmp_path, data_center, clock, state="other-state")
    again = fresh.propose(order("SP500", qty=1, key="seen-at-paper-1"), WHO)
    assert again.reason_codes() == ["duplicate_key"]
    assert len(broker.orders()) == 1


def test_the_default_policy_asks_a_person_before_a_first_large_order(tmp_path: Path,
                                                                     data_center: DataCenter) -> None:
    gate, broker = paper_gate(tmp_path, data_center, FixedClock(MONDAY_EVENING), policy=default_policy())
    outcome = gate.propose(order("SP500", qty=10, type="limit", limit_price=2740.0), WHO)
    assert outcome.decision is Decision.NEEDS_APPROVAL
    assert outcome.reason_codes() == ["approval_notional", "approval_new_symbol"]
    assert broker.orders() == []
