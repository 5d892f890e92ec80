"""No execute tool escapes the gate, no tool reaches the broker, and the order tools behave."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from guardrails import Gate
from taorui_engines.brokers.models import Broker
from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError
from tests.test_guardrails_fakes import InMemoryBroker, make_gate, open_policy
from tools import Tool, ToolArgs, ToolContext, ToolKind, ToolResult
from tools.order_tools import EXECUTE_TOOLS, TOOLS, is_gated
from tools.registry import all_tools

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "graphs", "memory", "guardrails", "taorui", "taorui_engines", "tools", "evals")


def every_tool() -> list[Tool[Any, Any, Any]]:
    return [*all_tools().values(), *TOOLS, *EXECUTE_TOOLS]


def test_every_execute_tool_the_project_builds_goes_through_the_gate() -> None:
    execute = [t for t in every_tool() if t.kind is ToolKind.EXECUTE]
    assert {t.name for t in execute} >= {"place_order", "cancel_order"}
    assert [t.name for t in execute if not is_gated(t)] == []


def test_the_registry_lists_no_execute_tool() -> None:
    assert [t.name for t in all_tools().values() if t.kind is ToolKind.EXECUTE] == []


def test_only_the_order_tools_module_uses_the_gate_token() -> None:
    users = {
        path.relative_to(REPO).as_posix()
        for package in PACKAGES if (REPO / package).is_dir()
        for path in (REPO / package).rglob("*.py")
        if "_GATE_TOKEN" in path.read_text(encoding="utf-8", errors="replace")
    }
    assert users == {"tools/_base.py", "tools/order_tools.py"}


def test_an_execute_tool_cannot_be_built_without_the_gate() -> None:
    with pytest.raises(InternalError, match="guardrail gate"):
        Tool(name="sneaky_order", description="x", kind=ToolKind.EXECUTE, args_model=ToolArgs,
             result_model=ToolResult, fn=lambda args, ctx: ToolResult())


def _holds_broker(value: object, depth: int = 0) -> bool:
    """True if a broker is reachable through public attributes, fields or containers."""
    if isinstance(value, Broker) and not isinstance(value, type):
        return True
    if depth > 6 or isinstance(value, str | bytes | int | float | bool | type(None) | type):
        return False
    if isinstance(value, dict):
        return any(_holds_broker(v, depth + 1) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_broker(v, depth + 1) for v in value)
    if isinstance(value, BaseModel):
        return any(_holds_broker(getattr(value, f), depth + 1) for f in type(value).model_fields)
    if dataclasses.is_dataclass(value):
        return any(_holds_broker(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    public = {k: v for k, v in getattr(value, "__dict__", {}).items() if not k.startswith("_")}
    return any(_holds_broker(v, depth + 1) for v in public.values())


def test_the_broker_walk_finds_a_broker_wherever_one_is_exposed(tmp_path: Path, data_center: DataCenter) -> None:
    broker = InMemoryBroker()
    leaky = ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path, memory={"handle": [broker]})
    assert _holds_broker(broker)
    assert _holds_broker(leaky)


@pytest.fixture
def ctx(tmp_path: Path, data_center: DataCenter) -> tuple[ToolContext, InMemoryBroker]:
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(), cash=100_000.0)
    context = ToolContext(data=data_center, runs_dir=tmp_path / "runs", state_dir=tmp_path / "state", gate=gate,
                          agent="trader", thread_id="thread-9", instruction_id="instr-9")
    return context, broker


def test_no_tool_context_or_function_exposes_the_broker(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, _ = ctx
    assert not _holds_broker(context)
    assert not _holds_broker(context.gate)
    for tool in every_tool():
        assert not _holds_broker(tool), tool.name
        cells = getattr(tool.fn, "__closure__", None) or ()
        assert not any(_holds_broker(c.cell_contents) for c in cells), tool.name


def test_no_order_tool_result_exposes_the_broker(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, _ = ctx
    placed = EXECUTE_TOOLS[0].invoke({"symbol": "SP500", "side": "buy", "qty": 2}, context)
    outcomes = [placed] + [tool.invoke({}, context) for tool in TOOLS]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert not any(_holds_broker(o) for o in outcomes)


def place(context: ToolContext, **args: Any) -> dict[str, Any]:
    outcome = EXECUTE_TOOLS[0].invoke(args, context)
    assert outcome.ok, outcome.error
    assert outcome.result is not None
    return outcome.result


def test_place_order_sends_through_the_gate_with_the_agents_attribution(
        ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, broker = ctx
    result = place(context, symbol="SP500", side="buy", qty=2)
    assert (result["decision"], result["status"], result["filled_qty"]) == ("allow", "filled", 2.0)
    gate = context.gate
    assert isinstance(gate, Gate)
    row = gate.audit_log.records()[0].payload
    assert row["attribution"] == {"agent": "trader", "thread_id": "thread-9", "instruction_id": "instr-9",
                                  "approver": None}
    assert broker.submitted == [result["order_key"]]


def test_a_replayed_place_order_call_cannot_send_twice(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, broker = ctx
    first = place(context, symbol="SP500", side="buy", qty=2)
    again = place(context, symbol="SP500", side="buy", qty=2)
    assert first["order_key"] == again["order_key"]
    assert again["decision"] == "reject"
    assert [r["code"] for r in again["reasons"]] == ["duplicate_key"]
    assert len(broker.submitted) == 1


def test_place_order_reports_a_rejection_with_reasons(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, broker = ctx
    result = place(context, symbol="SP500", side="buy", qty=2, order_type="limit", limit_price=3000.0)
    assert result["decision"] == "reject"
    assert [r["code"] for r in result["reasons"]] == ["price_collar"]
    assert "collar" in result["message"]
    assert broker.submitted == []


def test_place_order_returns_an_approval_id_when_a_person_must_decide(tmp_path: Path,
                                                                      data_center: DataCenter) -> None:
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(approvals={"always": True}))
    context = ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path, gate=gate)
    result = place(context, symbol="GOLD", side="buy", qty=1)
    assert result["decision"] == "needs_approval"
    assert result["approval_id"].startswith("apr-")
    assert broker.submitted == []
    listed = TOOLS[2].invoke({"status": "pending"}, context)
    assert listed.result is not None and [r["id"] for r in listed.result["requests"]] == [result["approval_id"]]


def test_place_order_refuses_strings_where_numbers_belong(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, broker = ctx
    outcome = EXECUTE_TOOLS[0].invoke({"symbol": "SP500", "side": "buy", "qty": "2"}, context)
    assert not outcome.ok and outcome.error is not None and outcome.error.type == "InvalidArgument"
    assert broker.submitted == []


def test_place_order_needs_a_configured_gate(tmp_path: Path, data_center: DataCenter) -> None:
    context = ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path)
    outcome = EXECUTE_TOOLS[0].invoke({"symbol": "SP500", "side": "buy", "qty": 1}, context)
    assert outcome.error is not None and outcome.error.type == "Unavailable"


def test_place_order_refuses_anything_but_a_real_gate(tmp_path: Path, data_center: DataCenter) -> None:
    broker = InMemoryBroker(prices={"SP500": 2500.0})
    context = ToolContext(data=data_center, runs_dir=tmp_path, state_dir=tmp_path, gate=broker)
    outcome = EXECUTE_TOOLS[0].invoke({"symbol": "SP500", "side": "buy", "qty": 1}, context)
    assert outcome.error is not None and outcome.error.type == "InternalError"
    assert broker.submitted == []


def test_get_account_and_risk_status_read_the_account(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, _ = ctx
    place(context, symbol="GOLD", side="buy", qty=3)
    account = TOOLS[0].invoke({}, context).result
    status = TOOLS[1].invoke({}, context).result
    assert account is not None and status is not None
    assert [(p["symbol"], p["qty"]) for p in account["positions"]] == [("GOLD", 3.0)]
    assert account["equity"] == pytest.approx(100_000.0)
    assert status["status"]["state"] == "active"
    assert status["status"]["orders_today"] == 1


def test_cancel_order_goes_through_the_gate(ctx: tuple[ToolContext, InMemoryBroker]) -> None:
    context, _ = ctx
    placed = place(context, symbol="SP500", side="buy", qty=1, order_type="limit", limit_price=2450.0)
    outcome = EXECUTE_TOOLS[1].invoke({"key": placed["order_key"]}, context)
    assert outcome.ok and outcome.result is not None and outcome.result["status"] == "cancelled"
