"""The graph driven by an OpenAI-compatible model (a scripted server on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.llm import LLMConfig, build_chat_model, refuse_remote_llm_calls
from tests._graph_env import GraphEnv, build_env
from tests._scripted_llm import ScriptedLLM, Step, error, reply_text, reply_tools, scripted_llm


@pytest.fixture(autouse=True)
def _no_remote_llm() -> Iterator[None]:
    with refuse_remote_llm_calls():
        yield


def _env(home: Path, server: ScriptedLLM, **config: Any) -> GraphEnv:
    llm = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", timeout_s=5,
                    max_retries=config.pop("max_retries", 2), backoff_initial_s=0.01, **config)
    return build_env(home, build_chat_model(llm), llm, sleep=lambda _: None)


def _route(agent: str) -> Step:
    return reply_tools(("route_to_agent", {"agent": agent, "task": "as instructed"}))


def _tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_the_graph_executes_the_tool_calls_it_is_sent_and_returns_their_results(home: Path) -> None:
    steps = [_route("strategy_advisor"), reply_tools(("list_strategies", {})), reply_text("Eight strategies.")]
    with scripted_llm(steps) as server:
        result = _env(home, server).orchestrator.ask("which strategies are there?")
    assert result.status == "done" and result.answer == "Eight strategies."
    assert [(c.name, c.ok) for c in result.tool_calls] == [("list_strategies", True)]
    sent_back = json.loads(_tool_messages(server.requests[2])[0]["content"])
    assert any(s["name"] == "sma_cross" for s in sent_back["result"]["strategies"])
    assert result.usage["input_tokens"] == 30 and result.usage["calls"] == 3


def test_malformed_order_arguments_are_reported_to_the_model_and_never_executed(home: Path) -> None:
    truncated = '{"symbol": "GOLD", "side": "buy", "qty": 10'
    steps = [_route("trader"), reply_tools(("place_order", truncated)), reply_text("I could not place it.")]
    with scripted_llm(steps) as server:
        env = _env(home, server)
        result = env.orchestrator.ask("buy 10 gold")
    assert [(c.name, c.ok) for c in result.tool_calls] == [("place_order", False)]
    assert "MalformedToolCall" in str(result.tool_calls[0].error)
    assert "MalformedToolCall" in _tool_messages(server.requests[2])[0]["content"]
    assert env.broker.orders() == [] and env.gate.audit_log.tail(50) == []


def test_repairable_arguments_are_repaired_and_the_call_runs(home: Path) -> None:
    steps = [_route("trader"), reply_tools(("get_account", "```json\n{}\n```")), reply_text("Account read.")]
    with scripted_llm(steps) as server:
        result = _env(home, server).orchestrator.ask("show my account")
    assert [(c.name, c.ok) for c in result.tool_calls] == [("get_account", True)]


def test_an_order_the_policy_rejects_is_never_executed(home: Path) -> None:
    order = {"symbol": "GOLD", "side": "buy", "qty": 5000}
    steps = [_route("trader"), reply_tools(("place_order", order)), reply_text("Rejected by the gate.")]
    with scripted_llm(steps) as server:
        env = _env(home, server)
        result = env.orchestrator.ask("buy 5000 gold")
    reply = json.loads(_tool_messages(server.requests[2])[0]["content"])
    assert reply["result"]["decision"] == "reject" and reply["result"]["reasons"]
    assert env.broker.orders() == [] and result.approvals == []


def test_an_agent_cannot_call_a_tool_outside_its_role(home: Path) -> None:
    steps = [_route("strategy_advisor"), reply_tools(("place_order", {"symbol": "GOLD", "side": "buy", "qty": 1})),
             reply_text("Not mine to do.")]
    with scripted_llm(steps) as server:
        env = _env(home, server)
        result = env.orchestrator.ask("buy 1 gold")
    assert "UnknownTool" in str(result.tool_calls[0].error)
    assert env.broker.orders() == []


def test_a_rate_limited_call_is_retried_inside_the_graph(home: Path) -> None:
    steps = [error(429), _route("trader"), reply_text("Nothing to do.")]
    with scripted_llm(steps) as server:
        result = _env(home, server).orchestrator.ask("anything?")
    assert result.status == "done" and result.usage["retries"] == 1


def test_a_spent_token_budget_stops_the_run_cleanly(home: Path) -> None:
    steps = [_route("strategy_advisor"), reply_tools(("list_strategies", {})), reply_text("never sent")]
    with scripted_llm(steps) as server:
        result = _env(home, server, token_budget=25).orchestrator.ask("which strategies are there?")
        assert len(server.requests) == 2
    assert result.status == "failed" and result.error is not None and result.error["type"] == "BudgetExceeded"
    assert "token budget" in result.answer
    status = json.loads((Path(str(result.run_dir)) / "status.json").read_text())
    assert status["state"] == "failed"


def test_an_endpoint_that_stays_down_ends_the_run_as_failed_not_as_a_guess(home: Path) -> None:
    with scripted_llm([error(503)] * 3) as server:
        result = _env(home, server, max_retries=1).orchestrator.ask("train ppo on gold")
    assert result.status == "failed" and result.error is not None and result.error["type"] == "Unavailable"
    assert result.tool_calls == []


def test_a_tool_error_goes_back_to_the_agent_which_corrects_its_call(home: Path) -> None:
    steps = [_route("strategy_advisor"),
             reply_tools(("get_price", {"symbols": ["GOLD"], "start": "last week", "end": "2025-12-31"})),
             reply_tools(("get_price", {"symbols": ["GOLD"], "start": "2025-12-01", "end": "2025-12-31"})),
             reply_text("Gold closed the year lower.")]
    with scripted_llm(steps) as server:
        result = _env(home, server).orchestrator.ask("gold price in December 2025?")
    assert [(c.name, c.ok) for c in result.tool_calls] == [("get_price", False), ("get_price", True)]
    first_reply = json.loads(_tool_messages(server.requests[2])[0]["content"])
    assert first_reply["error"]["type"] == "InvalidArgument" and "start" in first_reply["error"]["message"]


def test_an_agent_at_its_step_budget_must_answer_without_tools(home: Path) -> None:
    steps = [_route("trader"), reply_tools(("get_account", {})), reply_tools(("get_account", {})),
             reply_text("Stopped at my budget: equity 100,000.")]
    with scripted_llm(steps) as server:
        llm = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", timeout_s=5)
        env = build_env(home, build_chat_model(llm), llm, sleep=lambda _: None, step_budgets={"trader": 2})
        result = env.orchestrator.ask("check my account twice")
    assert result.status == "done" and len(result.tool_calls) == 2
    last = server.requests[3]
    assert "tools" not in last and "step budget" in last["messages"][-1]["content"]
