"""The graph's records are typed: pending decisions by kind, outcomes, fills and hand-overs.

State keeps them as JSON data so the strict SQLite checkpointer can store them; they are read
back into the models at every node (a malformed entry is refused), and a reopened checkpointer
resumes a waiting decision of either kind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agents.llm import LLMConfig
from agents.planner import OfflinePlanner
from graphs import ApprovalDecision, GraphDeps
from graphs._approval import _settle
from graphs._tools_node import tools_node
from graphs.state import (
    APPROVALS,
    HANDOVER,
    PENDING,
    TOOL_CALLS,
    GateApproval,
    GraphReason,
    GraphReasonCode,
    PersonApproval,
)
from guardrails import ApprovalDecisionReport, ApprovalRequest, ApprovalSettlement, ApprovalStatus, FillReport
from taorui_engines.brokers.models import Order, OrderSide
from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError
from tests._graph_env import GraphEnv, build_env, cheap_member
from tools import ToolContext
from tools.order_tools import EXECUTE_TOOLS, PlaceOrderArgs

LATER = datetime(2030, 1, 1, tzinfo=UTC)
place_order = next(t for t in EXECUTE_TOOLS if t.name == "place_order")


def _config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def _stored(env: GraphEnv, thread_id: str, field: str) -> Any:
    return env.orchestrator.graph.get_state(_config(thread_id)).values[field]


def _is_plain_json(value: Any) -> bool:
    return bool(json.loads(json.dumps(value)) == value)


def test_a_person_approval_round_trips_through_the_sqlite_checkpointer_and_resumes(home: Path) -> None:
    first = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(first.data)
    waiting = first.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    held = PENDING.load_all(_stored(first, waiting.thread_id, "pending_approvals"))

    reopened = build_env(home, OfflinePlanner())  # a new SqliteSaver over the same file, as a new process has
    stored = _stored(reopened, waiting.thread_id, "pending_approvals")
    assert _is_plain_json(stored) and PENDING.load_all(stored) == held
    [request] = held
    assert isinstance(request, PersonApproval) and request.kind == "person"
    assert (request.order.symbol, request.order.side, request.order.qty) == (symbol, "buy", 100.0)
    assert [r.code for r in request.reasons] == [GraphReasonCode.PERSON_ASKED]
    assert reopened.broker.orders() == []  # nothing was proposed while it waited

    done = reopened.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.status == "done" and [(f.symbol, f.qty) for f in reopened.broker.fills()] == [(symbol, 100.0)]
    [record] = APPROVALS.load_all(_stored(reopened, waiting.thread_id, "approvals"))
    assert record.request == request and record.decision == "approved" and record.outcome.decision == "allow"
    assert [f.fill_id for f in record.outcome.fills] == [f.fill_id for f in reopened.broker.fills()]


def test_a_gate_approval_round_trips_through_the_sqlite_checkpointer_and_resumes(home: Path) -> None:
    first = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(first.data)
    waiting = first.orchestrator.ask(f"buy 100 {symbol}")  # a new symbol: the default policy asks a person

    reopened = build_env(home, OfflinePlanner())
    stored = _stored(reopened, waiting.thread_id, "pending_approvals")
    [request] = PENDING.load_all(stored)
    assert _is_plain_json(stored) and PENDING.dump(request) == stored[0]
    assert isinstance(request, GateApproval) and request.kind == "gate"
    at_gate = reopened.gate.approval(request.approval_id)
    assert (request.order, request.reasons, request.expires) == (at_gate.order, at_gate.reasons, at_gate.expires)

    done = reopened.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.status == "done" and [(f.symbol, f.qty) for f in reopened.broker.fills()] == [(symbol, 100.0)]
    [record] = APPROVALS.load_all(_stored(reopened, waiting.thread_id, "approvals"))
    assert record.outcome.settlement is not None and record.outcome.settlement.sent_by_this_call
    assert reopened.gate.approval(request.approval_id).status is ApprovalStatus.EXECUTED
    assert [a["kind"] for a in done.approvals] == ["gate"] and done.fills[0]["symbol"] == symbol


def test_tool_calls_and_their_fills_are_stored_as_json_and_read_back_typed(home: Path) -> None:
    env = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(env.data)
    env.orchestrator.resume(env.orchestrator.ask(f"buy 100 {symbol}").thread_id,
                            ApprovalDecision(approve=True, by="ana"))
    again = env.orchestrator.ask(f"buy 200 {symbol}")  # held now, so the gate sends it at once
    stored = _stored(env, again.thread_id, "tool_calls")
    calls = TOOL_CALLS.load_all(stored)
    assert _is_plain_json(stored) and again.status == "done"
    order = next(c for c in calls if c.instruction_id == again.instruction_id and c.name == "place_order")
    assert order.ok and [(f.symbol, f.qty) for f in order.fills] == [(symbol, 200.0)]
    assert again.fills == [f.model_dump(mode="json") for f in order.fills]


def test_a_hand_over_is_stored_as_json_with_who_handed_over(home: Path) -> None:
    stored = HANDOVER.dump(HANDOVER.load({"from": "strategy_advisor", "to": "trader", "note": "trade the signal",
                                          "run_id": None, "payload": {"research": "a backtest"}}))
    assert stored == {"from": "strategy_advisor", "to": "trader", "note": "trade the signal", "run_id": None,
                      "payload": {"research": "a backtest"}}
    assert HANDOVER.load(stored).sender == "strategy_advisor"


@pytest.mark.parametrize("entry, problem", [
    ({"kind": "robot", "approval_id": "x", "call_id": "c"}, "does not match any of the expected tags"),
    ({"approval_id": "person:c1", "call_id": "c1", "order": {"symbol": "GOLD", "side": "buy", "qty": 1.0},
      "reasons": [], "expires": None}, "Unable to extract tag using discriminator 'kind'"),  # written before kinds
    ({"kind": "person", "approval_id": "p", "call_id": "c", "order": {"symbol": "GOLD", "side": "buy", "qty": -5},
      "reasons": [], "expires": "2030-01-01T00:00:00Z"}, "order.qty"),
])
def test_a_malformed_pending_entry_is_refused_with_an_error_that_names_it(entry: dict[str, Any], problem: str) -> None:
    with pytest.raises(InternalError, match=r"malformed pending_approvals\[1\]") as refused:
        PENDING.load_all([PENDING.dump(_person("c0", "person:c0")), entry])
    assert problem in refused.value.message


def test_a_thread_whose_checkpoint_holds_a_malformed_pending_entry_sends_nothing(home: Path) -> None:
    env = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
    legacy = {"approval_id": f"person:{waiting.approvals[0]['call_id']}", "call_id": waiting.approvals[0]["call_id"],
              "order": {"symbol": symbol, "side": "buy", "qty": 100.0}, "reasons": [], "expires": None}
    graph = env.orchestrator.graph
    graph.update_state(_config(waiting.thread_id), {"pending_approvals": [legacy]}, as_node="tools")
    with pytest.raises(InternalError, match=r"malformed pending_approvals\[0\]: Unable to extract tag"):
        list(graph.stream(None, _config(waiting.thread_id)))
    assert env.broker.orders() == []


class _RecordingDesk:
    """An approval desk that rejects every request and records which ids it was asked about."""

    def __init__(self) -> None:
        self.decided: list[str] = []

    def status(self, approval_id: str) -> ApprovalRequest:
        return _request(approval_id, ApprovalStatus.PENDING)

    def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> ApprovalSettlement:
        self.decided.append(approval_id)
        request = _request(approval_id, ApprovalStatus.REJECTED)
        report = ApprovalDecisionReport(approval_id=approval_id, wanted="approve" if approve else "reject", by=by,
                                        applied=True, previous_status=ApprovalStatus.PENDING, request=request,
                                        message=f"{approval_id} rejected by {by}")
        return ApprovalSettlement(decision=report, sent=False, sent_by_this_call=False, message=report.message)


class _NoMarket:
    def execute(self, order_key: str) -> FillReport:
        raise AssertionError("a rejection fills nothing")


def _order() -> Order:
    return Order(key="ord-test-00000001", symbol="SYN001", side=OrderSide.BUY, qty=100)


def _request(approval_id: str, status: ApprovalStatus) -> ApprovalRequest:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    return ApprovalRequest(id=approval_id, order=_order(), reasons=(), policy_hash="test", created=now,
                           expires=now + timedelta(hours=1), status=status)


def _person(call_id: str, approval_id: str) -> PersonApproval:
    return PersonApproval(approval_id=approval_id, call_id=call_id, expires=LATER,
                          order=PlaceOrderArgs(symbol="SYN001", side="buy", qty=100),
                          reasons=(GraphReason(code=GraphReasonCode.PERSON_ASKED, message="you asked"),))


def test_the_kind_decides_how_a_request_is_settled_never_the_look_of_its_id(tmp_path: Path,
                                                                             data_center: DataCenter) -> None:
    desk = _RecordingDesk()
    deps = GraphDeps(model=OfflinePlanner(), llm=LLMConfig(), tools={}, desk=desk, market=_NoMarket(),
                     tool_context=ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path))
    at_gate = GateApproval(approval_id="person:c1", call_id="c1", order=_order(), reasons=(), expires=LATER)
    held = _person("c2", "apr-0123456789ab")
    no = ApprovalDecision(approve=False, by="ana", reason="not now")
    state: Any = {"instruction_id": "ins-1", "thread_id": "t-1"}

    gate_verdict, gate_outcome = _settle(deps, state, "trader", at_gate, no)
    person_verdict, person_outcome = _settle(deps, state, "trader", held, no)

    assert desk.decided == ["person:c1"]  # the gate's request went to the gate, whatever its id looks like
    assert (gate_verdict, gate_outcome.settlement is not None) == ("rejected", True)
    assert (person_verdict, person_outcome.settlement, person_outcome.reasons[0].message) == (
        "rejected", None, "not now")


def _trader_calls(deps: GraphDeps, *calls: dict[str, Any]) -> dict[str, Any]:
    """One pass of the tools node over the trader's calls, with the person asking to approve orders."""
    message = AIMessage(content="", id="ins-1:trader:ai:0",
                        tool_calls=[{**c, "id": f"c{i}", "type": "tool_call"} for i, c in enumerate(calls)])
    state: Any = {"instruction_id": "ins-1", "thread_id": "t-1", "active": "trader", "require_approval": True,
                  "messages": [message]}
    update: dict[str, Any] = tools_node(deps)(state)
    return update


def test_an_order_the_person_must_approve_is_checked_before_it_is_held(tmp_path: Path,
                                                                      data_center: DataCenter) -> None:
    deps = GraphDeps(model=OfflinePlanner(), llm=LLMConfig(), tools={"place_order": place_order}, desk=_RecordingDesk(),
                     tool_context=ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path))
    update = _trader_calls(deps, {"name": "place_order", "args": {"symbol": "GOLD", "side": "buy", "qty": -5}},
                           {"name": "place_order", "args": {"symbol": "GOLD", "side": "buy", "qty": 2}})
    bad, good = TOOL_CALLS.load_all(update["tool_calls"])
    assert not bad.ok and bad.error is not None and bad.error.startswith("InvalidArgument") and "qty" in bad.error
    assert good.ok and good.note == "held for approval"
    [held] = PENDING.load_all(update["pending_approvals"])  # only the order a person could approve
    assert isinstance(held, PersonApproval) and held.call_id == "c1" and held.order.qty == 2.0
