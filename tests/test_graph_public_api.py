"""The public surface of the agent side: what callers may import (a change here is deliberate)."""

from __future__ import annotations

import httpx
import pytest

import agents
import agents.llm
import agents.planner
import agents.understand
import evals
import graphs
from agents.llm import refuse_remote_llm_calls
from agents.llm._guard import GuardedTransport
from taorui_engines.errors import UnsafeError


def test_agents_exports() -> None:
    assert set(agents.__all__) == {
        "AGENTS", "ASK_USER", "CONTROL_TOOLS", "HANDOVER", "ROLES", "ROUTE", "SUPERVISOR", "AgentName",
        "AskUserArgs", "Brief", "CatalogEntry", "HandoverArgs", "MemoryHit", "Role", "RouteArgs",
        "control_schema", "load_prompt", "read_brief", "render_brief", "role"}


def test_llm_and_planner_exports() -> None:
    assert {"LLMConfig", "ChatClient", "UsageMeter", "build_chat_model", "refuse_remote_llm_calls",
            "repair_arguments"} <= set(agents.llm.__all__)
    assert {"OfflinePlanner", "PlannerDefaults", "spec_of", "scope_answer"} <= set(agents.planner.__all__)
    assert {"understand", "load_router", "detect_language"} <= set(agents.understand.__all__)


def test_graphs_and_evals_exports() -> None:
    assert {"Orchestrator", "GraphDeps", "GraphState", "AskResult", "ApprovalDecision", "build_graph",
            "compile_graph", "open_checkpointer"} <= set(graphs.__all__)
    assert {"run_suite", "load_cases", "EVALUATORS"} <= set(evals.__all__)


def test_every_exported_name_exists() -> None:
    for module in (agents, agents.llm, agents.planner, graphs, evals):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_the_transport_refuses_a_remote_host_while_the_switch_is_on() -> None:
    inner = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    client = httpx.Client(transport=GuardedTransport(inner, allow_remote=True))
    with refuse_remote_llm_calls(), pytest.raises(UnsafeError, match="remote LLM calls"):
        client.post("https://api.openai.com/v1/chat/completions", json={})
    assert client.post("http://127.0.0.1:9/v1/x", json={}).status_code == 200
