"""The approval and execution path under races, crashes, caller-supplied times and hostile input.

Each test names a defect that was found by trying the product as a hostile user, a buggy
model and a crash would (issue 11); each failed before the fix.
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from guardrails import (
    ApprovalStatus,
    AuditKind,
    Decision,
    FixedClock,
    Gate,
    Policy,
    SessionClock,
    default_policy,
    policy_from_text,
)
from guardrails.state import SubmissionStatus
from taorui_engines.brokers.models import Attribution, Order, OrderSide, OrderState, OrderStatus
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError
from tests.test_guardrails_fakes import T0, InMemoryBroker, make_gate, open_policy, order
from tools.order_tools import DataCenterReference

WHO = Attribution(agent="trader", thread_id="t-safe", instruction_id="i-safe")
#: The sample store's last bar is 2025-12-31; GOLD and csi_syn are fresh just after it.
SESSION = datetime(2025, 12, 31, 16, 5, tzinfo=UTC)


def always_approve() -> Policy:
    return open_policy(approvals={"always": True})


def paper(tmp: Path, center: DataCenter, policy: Policy | None = None,
          clock: FixedClock | None = None) -> tuple[Gate, PaperBroker, FixedClock]:
    clock = clock or FixedClock(SESSION)
    broker = PaperBroker(tmp / "paper.sqlite", center, clock=clock)
    gate = Gate(policy or always_approve(), broker, DataCenterReference(center), tmp / "state", clock=clock,
                wall_clock=clock)
    return gate, broker, clock


# 1. a decision that loses a race sends nothing and says what happened -------------------
def test_a_rejection_after_an_approval_without_submit_is_a_veto_and_sends_nothing(
        tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, _ = paper(tmp_path, data_center)
    request = gate.propose(order("GOLD", qty=1), WHO).approval_id
    assert request is not None
    gate.approve(request, "alice")
    settled = gate.settle_approval(request, False, "bob", "no")
    assert (settled.decision.applied, settled.decision.veto_of, settled.sent) == (True, "alice", False)
    assert broker.orders() == [] and broker.fills() == []
    assert gate.audit_log.tail(1, AuditKind.APPROVAL_REJECTED)[0].payload["attribution"]["approver"] == "bob"
    assert gate.verify().ok


def test_a_second_approval_records_no_second_grant_and_sends_once(tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, _ = paper(tmp_path, data_center)
    request = gate.propose(order("GOLD", qty=1), WHO).approval_id
    assert request is not None
    first = gate.settle_approval(request, True, "alice")
    second = gate.settle_approval(request, True, "carol")
    assert (first.decision.applied, first.sent_by_this_call) == (True, True)
    assert (second.decision.applied, second.sent, second.sent_by_this_call) == (False, True, False)
    assert "alice" in second.message and "carol" not in second.message.split(";")[0]
    assert len(broker.orders()) == 1
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.APPROVAL_GRANTED) == 1 and kinds.count(AuditKind.DECISION_REFUSED) == 1


def _settle_in_child(tmp: str, data_dir: str, request: str, approve: bool, who: str, start: Any, out: Any) -> None:
    center = DataCenter(Path(data_dir))
    gate, _, _ = paper(Path(tmp), center)
    start.wait()
    settled = gate.settle_approval(request, approve, who, "" if approve else "no")
    out.put((who, settled.model_dump(mode="json")))


def _race(tmp: Path, data_dir: Path, request: str, deciders: list[tuple[bool, str]]) -> dict[str, dict[str, Any]]:
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_settle_in_child, args=(str(tmp), str(data_dir), request, a, w, start, out))
             for a, w in deciders]
    for p in procs:
        p.start()
    start.set()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return results


@pytest.mark.slow
def test_concurrent_approve_and_reject_never_send_a_rejected_order_and_each_tells_the_truth(
        tmp_path: Path, data_center: DataCenter, sample_data_dir: Path) -> None:
    outcomes = set()
    for i in range(25):
        tmp = tmp_path / f"race{i}"
        gate, broker, _ = paper(tmp, data_center)
        request = gate.propose(order("GOLD", qty=1), WHO).approval_id
        assert request is not None
        got = _race(tmp, sample_data_dir, request, [(True, "alice"), (False, "bob")])
        alice, bob = got["alice"], got["bob"]
        sent = len(broker.orders()) == 1
        assert alice["decision"]["applied"] != bob["decision"]["applied"]  # exactly one decision took effect
        if sent:  # alice won: bob's rejection came too late and says so
            assert alice["sent_by_this_call"] and not bob["decision"]["applied"] and bob["sent"]
            assert "too late" in bob["message"]
        else:  # bob won: nothing at the broker, alice is told it was rejected
            assert bob["decision"]["applied"] and not alice["sent"] and "rejected by bob" in alice["message"]
        assert gate.approval(request).status is (ApprovalStatus.EXECUTED if sent else ApprovalStatus.REJECTED)
        report = gate.verify()
        assert report.ok, report
        outcomes.add(sent)
    assert len(broker.orders()) <= 1


@pytest.mark.slow
def test_two_concurrent_approvals_grant_once_send_once_and_only_the_winner_claims_it(
        tmp_path: Path, data_center: DataCenter, sample_data_dir: Path) -> None:
    for i in range(15):
        tmp = tmp_path / f"race{i}"
        gate, broker, _ = paper(tmp, data_center)
        request = gate.propose(order("GOLD", qty=1), WHO).approval_id
        assert request is not None
        got = _race(tmp, sample_data_dir, request, [(True, "alice"), (True, "carol")])
        winners = [w for w, r in got.items() if r["decision"]["applied"]]
        assert len(winners) == 1 and len(broker.orders()) == 1
        loser = next(r for w, r in got.items() if w not in winners)
        assert winners[0] in loser["message"] and not loser["sent_by_this_call"]
        grants = [r for r in gate.audit_log.records() if r.kind is AuditKind.APPROVAL_GRANTED]
        assert [g.payload["attribution"]["approver"] for g in grants] == winners
        assert gate.verify().ok


# 2. a crash around the broker call leaves true, recoverable state -----------------------
class Crash(BaseException):
    """What a kill -9 looks like to the code that was running: nothing after it happens."""


class CrashingBroker(InMemoryBroker):
    """Crashes before or after the real submit."""

    def __init__(self, when: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.when = when

    def submit(self, order: Order) -> OrderState:
        if self.when == "before":
            self.when = ""
            raise Crash
        state = super().submit(order)
        if self.when == "after":
            self.when = ""
            raise Crash
        return state


def _crashing_gate(tmp: Path, when: str) -> tuple[Gate, CrashingBroker, FixedClock]:
    clock = FixedClock(T0)
    broker = CrashingBroker(when, cash=1_000_000.0, prices={"SP500": 2500.0, "GOLD": 1800.0}, clock=clock)
    gate, _, reference, _ = make_gate(tmp, policy=always_approve())
    gate = Gate(always_approve(), broker, reference, tmp / "state", clock=clock, wall_clock=clock)
    return gate, broker, clock


def _approved_then_crashed(tmp: Path, when: str) -> tuple[Gate, CrashingBroker, str]:
    gate, broker, clock = _crashing_gate(tmp, when)
    request = gate.propose(order(qty=2), WHO).approval_id
    assert request is not None
    gate.approve(request, "alice")
    with pytest.raises(Crash):
        gate.execute_approved(request)
    reopened = Gate(always_approve(), broker, gate._reference, tmp / "state", clock=clock, wall_clock=clock)  # noqa: SLF001
    return reopened, broker, request


def test_a_crash_before_the_broker_call_leaves_the_request_approved_not_claimed_sent(tmp_path: Path) -> None:
    gate, broker, request = _approved_then_crashed(tmp_path, "before")
    assert broker.submitted == []
    assert gate.approval(request).status is ApprovalStatus.APPROVED  # settled by the reopened gate's recovery
    assert "interrupted before it reached the broker" in (gate.approval(request).result or "")
    failed = gate.audit_log.tail(1, AuditKind.SUBMISSION_FAILED)[0].payload
    assert failed["recovered"] is True
    outcome = gate.execute_approved(request)  # executing it again re-checks and sends exactly once
    assert outcome.submitted and len(broker.submitted) == 1
    assert gate.approval(request).status is ApprovalStatus.EXECUTED
    assert gate.verify().ok


def test_a_crash_after_the_broker_took_the_order_is_recorded_as_sent_and_audited(tmp_path: Path) -> None:
    gate, broker, request = _approved_then_crashed(tmp_path, "after")
    assert gate.approval(request).status is ApprovalStatus.EXECUTED
    submission = gate.audit_log.tail(1, AuditKind.SUBMISSION)[0].payload
    assert submission["recovered"] is True
    assert gate.audit_log.tail(1, AuditKind.FILL) != []  # the fill the broker made is audited too
    again = gate.execute_approved(request)
    assert not again.submitted and len(broker.submitted) == 1
    assert gate.verify().ok


def test_verify_names_a_submission_left_in_flight_until_recovery_settles_it(tmp_path: Path) -> None:
    gate, broker, clock = _crashing_gate(tmp_path, "after")
    request = gate.propose(order(qty=2), WHO).approval_id
    assert request is not None
    gate.approve(request, "alice")
    with pytest.raises(Crash):
        gate.execute_approved(request)
    report = gate.verify()  # read-only: it reports, it does not repair
    assert not report.ok and {p.kind for p in report.cross_check} >= {"in_flight"}
    assert any("recover" in p.message for p in report.cross_check)
    assert any("order" in line for line in gate.recover())
    assert gate.verify().ok


# 3. every submission and fill is audited when it happens --------------------------------
def test_a_fill_made_through_the_gate_is_audited_at_once(tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, _ = paper(tmp_path, data_center, policy=open_policy())
    outcome = gate.propose(order("GOLD", qty=1), WHO)
    assert outcome.submitted and outcome.order is not None
    report = gate.fill_at_reference(outcome.order.key)
    assert len(report.new_fills) == 1 and report.status == "filled"
    fill_rows = [r.payload["fill"]["fill_id"] for r in gate.audit_log.records() if r.kind is AuditKind.FILL]
    assert fill_rows == [report.new_fills[0].fill_id]
    assert gate.fill_at_reference(outcome.order.key).new_fills == ()  # idempotent
    assert gate.verify().ok


def test_verify_finds_an_order_and_a_fill_made_behind_the_gates_back(tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, clock = paper(tmp_path, data_center, policy=open_policy())
    broker.submit(Order(key="behind-the-back", symbol="GOLD", side=OrderSide.BUY, qty=1, created=clock()))
    broker.fill_at("behind-the-back", 100.0, clock())
    report = gate.verify()
    assert report.chain_ok and not report.ok
    assert {(p.kind, p.ref) for p in report.cross_check} == {("broker_order", "behind-the-back"),
                                                             ("broker_fill", "behind-the-back:1")}


def test_a_reset_of_the_paper_account_audits_its_fills_first(tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, clock = paper(tmp_path, data_center, policy=open_policy())
    outcome = gate.propose(order("GOLD", qty=1), WHO)
    assert outcome.order is not None
    broker.fill_at(outcome.order.key, 100.0, clock())  # a fill the gate has not seen yet
    gate.reset_account("alice")
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.index(AuditKind.FILL) < kinds.index(AuditKind.ACCOUNT_RESET)
    assert broker.fills() == [] and gate.verify().ok


# 4. (the audit chain's anchor is tested in test_guardrails_audit.py) ---------------------
def test_verify_cross_checks_the_ledger_against_the_log(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    gate.propose(order(qty=1, key="ledger-row-1"), WHO)
    gate._state.begin_submission(  # noqa: SLF001 - a ledger row whose audit row was never written
        gate._state.submission("ledger-row-1").model_copy(update={"key": "ghost-order-1"}))  # type: ignore[union-attr]  # noqa: SLF001
    gate._state.end_submission("ghost-order-1", SubmissionStatus.SENT)  # noqa: SLF001
    problems = {(p.kind, p.ref) for p in gate.verify().cross_check}
    assert ("ledger", "ghost-order-1") in problems


# 5. times come from the gate's clock, never from the order -------------------------------
def test_an_order_stamped_in_the_past_is_sent_and_filled_at_the_gates_time(
        tmp_path: Path, data_center: DataCenter) -> None:
    gate, broker, clock = paper(tmp_path, data_center, policy=open_policy())
    stale = order("GOLD", qty=1, created="2019-03-01T16:05:00+00:00")
    outcome = gate.propose(stale, WHO)
    assert outcome.submitted and outcome.order_state is not None and outcome.order is not None
    assert outcome.order_state.order.created == clock().replace(tzinfo=None)
    filled = gate.fill_at_reference(outcome.order.key).new_fills[0]
    now_price = DataCenterReference(data_center).last_price("GOLD", clock())
    assert now_price is not None and filled.price == pytest.approx(now_price.price)
    assert filled.time == clock().replace(tzinfo=None)


# 6. hostile and malformed input -----------------------------------------------------------
def test_a_deeply_nested_order_is_rejected_and_its_proposal_audited(tmp_path: Path) -> None:
    gate, broker, _, _ = make_gate(tmp_path)
    nested: dict[str, Any] = {"symbol": "SP500", "side": "buy", "qty": 1, "key": "deep-order-1"}
    inner = nested
    for _ in range(3000):
        inner["x"] = {}
        inner = inner["x"]
    outcome = gate.propose(nested, WHO)
    assert outcome.decision is Decision.REJECT and set(outcome.reason_codes()) == {"malformed_order"}
    assert gate.audit_log.tail(1, AuditKind.PROPOSAL) and gate.verify().ok
    assert broker.submitted == []


@pytest.mark.parametrize("qty", [5e-324, 1e-12, 0.4])
def test_dust_quantities_are_refused_before_the_broker(tmp_path: Path, qty: float) -> None:
    gate, broker, _, _ = make_gate(tmp_path)
    outcome = gate.propose(order(qty=qty), WHO)
    assert "min_qty" in outcome.reason_codes()
    assert broker.submitted == []


def test_a_fractional_quantity_is_refused_by_the_gate_and_not_counted_towards_rates(tmp_path: Path) -> None:
    gate, broker, _, _ = make_gate(tmp_path)
    outcome = gate.propose(order(qty=2.5), WHO)
    assert outcome.reason_codes() == ["fractional_qty"]
    assert broker.submitted == [] and gate.status().orders_today == 0


def test_fractional_quantities_pass_when_the_policy_allows_them(tmp_path: Path) -> None:
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(orders={"allow_fractional": True, "min_qty": 0.01}))
    assert gate.propose(order(qty=2.5), WHO).decision is Decision.ALLOW


def test_an_order_the_broker_rejects_does_not_count_towards_rate_limits(tmp_path: Path) -> None:
    class RejectingBroker(InMemoryBroker):
        def submit(self, order: Order) -> OrderState:
            self.submitted.append(order.key)
            return OrderState(order=order, status=OrderStatus.REJECTED, reason="not today")

    clock = FixedClock(T0)
    _, _, reference, _ = make_gate(tmp_path / "x")
    gate = Gate(open_policy(rates={"max_per_minute": 1}), RejectingBroker(prices={"SP500": 2500.0}), reference,
                tmp_path / "state", clock=clock, wall_clock=clock)
    assert gate.propose(order(qty=1), WHO).order_state.status is OrderStatus.REJECTED  # type: ignore[union-attr]
    assert gate.status().orders_today == 0
    assert gate.propose(order(qty=2), WHO).reason_codes() != ["rate_per_minute"]


@pytest.mark.parametrize("field,value", [("max_notional", ".inf"), ("max_qty", ".nan"), ("max_position_pct", ".inf")])
def test_a_policy_limit_of_infinity_or_nan_is_refused(field: str, value: str) -> None:
    text = json.dumps(default_policy().model_dump(mode="json"))
    data = json.loads(text)
    section = next(s for s in ("orders", "exposure") if field in data[s])
    yaml_text = text.replace(f'"{field}": {json.dumps(data[section][field])}', f'"{field}": {value}')
    with pytest.raises(InvalidArgumentError, match=field):
        policy_from_text(yaml_text)


# 9. splitting an order does not dodge the approval threshold -----------------------------
def test_orders_split_below_the_threshold_add_up_within_the_window(tmp_path: Path) -> None:
    policy = open_policy(approvals={"above_notional": 20_000.0, "aggregation_window_minutes": 60})
    gate, broker, _, clock = make_gate(tmp_path, policy=policy)
    assert gate.propose(order("GOLD", qty=11), WHO).decision is Decision.ALLOW  # 19,800
    clock.advance(timedelta(minutes=5))
    second = gate.propose(order("GOLD", qty=10), WHO)  # 18,000 alone; 37,800 together
    assert second.decision is Decision.NEEDS_APPROVAL
    assert second.reason_codes() == ["approval_aggregate_notional"]
    assert "37,800" in second.reasons[0].message
    assert gate.propose(order("GOLD", side="sell", qty=10), WHO).decision is Decision.ALLOW  # other side
    clock.advance(timedelta(minutes=61))
    assert gate.propose(order("GOLD", qty=10), WHO).decision is Decision.ALLOW  # the window has passed
    assert len(broker.submitted) == 3


# 10. the replay session clock moves with the wall clock -----------------------------------
class Wall:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_the_session_clock_advances_with_the_wall_clock_and_is_shared_by_processes(tmp_path: Path) -> None:
    wall = Wall(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    first = SessionClock(SESSION, tmp_path / "session.json", wall=wall)
    assert first() == SESSION
    wall.at += timedelta(minutes=3)
    later_process = SessionClock(SESSION, tmp_path / "session.json", wall=wall)
    assert first() == later_process() == SESSION + timedelta(minutes=3)


def test_new_data_never_moves_the_session_clock_backwards(tmp_path: Path) -> None:
    wall = Wall(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    SessionClock(SESSION, tmp_path / "session.json", wall=wall)
    wall.at += timedelta(days=3)
    moved = SessionClock(SESSION + timedelta(days=1), tmp_path / "session.json", wall=wall)
    assert moved() == SESSION + timedelta(days=3)
    wall.at += timedelta(hours=1)
    assert moved() == SESSION + timedelta(days=3, hours=1)


def test_duplicate_and_rate_windows_expire_in_a_session(tmp_path: Path) -> None:
    wall = Wall(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    clock = SessionClock(T0, tmp_path / "session.json", wall=wall)
    _, broker, reference, _ = make_gate(tmp_path / "prices")
    gate = Gate(open_policy(rates={"max_per_minute": 1}), broker, reference, tmp_path / "state", clock=clock,
                wall_clock=wall)
    assert gate.propose(order(qty=1), WHO).decision is Decision.ALLOW
    assert set(gate.propose(order(qty=1), WHO).reason_codes()) == {"rate_per_minute", "duplicate_order"}
    wall.at += timedelta(seconds=61)
    assert gate.propose(order(qty=1), WHO).decision is Decision.ALLOW


# the defect as a person met it, on the command line ---------------------------------------
def _taorui(env: dict[str, str], *args: str) -> dict[str, Any]:
    import subprocess
    import sys

    exe = str(Path(sys.executable).with_name("taorui"))
    done = subprocess.run([exe, *args, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]
    return dict(json.loads(done.stdout))


@pytest.mark.slow
def test_a_resume_that_rejects_an_order_another_person_approved_sends_nothing(
        home: Path, cli_env: dict[str, str]) -> None:
    from tests._graph_env import cheap_member

    symbol, _ = cheap_member(DataCenter(home / "data"))
    asked = _taorui(cli_env, "ask", f"buy 100 {symbol}")
    assert asked["status"] == "needs_approval"
    approval_id = asked["approvals"][0]["approval_id"]
    _taorui(cli_env, "approve", approval_id, "--by", "alice")
    rejected = _taorui(cli_env, "resume", "--thread", asked["thread_id"], "--reject", "--reason", "no", "--by", "bob")
    assert rejected["fills"] == []
    assert "overriding alice" in rejected["answer"] and "nothing was sent" in rejected["answer"]
    account = _taorui(cli_env, "broker", "status")
    assert account["positions"] == [] and account["n_orders"] == 0
    rows = _taorui(cli_env, "audit", "tail", "--kind", "approval_rejected")["records"]
    assert [r["payload"]["attribution"]["approver"] for r in rows] == ["bob"]
    assert _taorui(cli_env, "audit", "verify")["ok"]


@pytest.mark.slow
def test_two_people_resuming_one_thread_at_once_get_one_outcome_and_the_truth(home: Path) -> None:
    import threading

    from agents.planner import OfflinePlanner
    from graphs import ApprovalDecision
    from tests._graph_env import build_env

    env = build_env(home, OfflinePlanner())
    members = list(env.data.universes()["csi_syn"].members)
    closes = env.data.get_price(members, "2025-12-20", "2025-12-31", fields=["close"]).groupby("symbol")["close"].last()
    cheap = [str(s) for s, price in closes.sort_values().items() if 100 * price < 15_000][:3]
    for symbol in cheap:  # a symbol never traded: the default policy asks a person
        waiting = env.orchestrator.ask(f"buy 100 {symbol}")
        assert waiting.status == "needs_approval"
        results: dict[str, Any] = {}

        def answer(who: str, approve: bool, thread: str = waiting.thread_id,
                   results: dict[str, Any] = results) -> None:
            mine = build_env(home, OfflinePlanner())  # its own checkpointer connection, as another process
            decision = ApprovalDecision(approve=approve, by=who, reason="" if approve else "no")
            try:
                results[who] = mine.orchestrator.resume(thread, decision).answer
            except InvalidArgumentError as exc:
                results[who] = exc.message

        people = [threading.Thread(target=answer, args=("alice", True)),
                  threading.Thread(target=answer, args=("bob", False))]
        for p in people:
            p.start()
        for p in people:
            p.join(timeout=300)
        key = env.gate.approval(waiting.approvals[0]["approval_id"]).order.key
        sent = [f for f in env.broker.fills() if f.order_key == key]
        if sent:
            assert "filled" in results["alice"] and "already answered" in results["bob"]
        else:
            assert "nothing was sent" in results["bob"] and "already answered" in results["alice"]
        assert env.gate.verify().ok
