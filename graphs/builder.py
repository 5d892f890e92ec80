"""The orchestration graph: prepare -> supervisor -> agent <-> tools (-> approval) -> finish.

::

    START -> prepare -> supervisor -+-> strategy_advisor -+-> tools -+-> approval -> (agent)
                                    +-> factor_miner  ----+          +-> (same agent, or the
                                    +-> trader -----------+          |    hand-over target)
                                    +-> finish <----------+ (answer, failure, question)

Routing functions return ``Literal`` node names; nodes return partial updates.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph

from agents import AGENTS
from graphs._agents import agent_node, supervisor_node
from graphs._approval import approval_node
from graphs._bookends import finish_node, prepare_node
from graphs._deps import GraphDeps
from graphs._messages import last_ai
from graphs._tools_node import tools_node
from graphs.state import GraphState

__all__ = ["build_graph", "compile_graph"]

AgentNode = Literal["strategy_advisor", "factor_miner", "trader"]


def after_supervisor(state: GraphState) -> Literal["strategy_advisor", "factor_miner", "trader", "finish"]:
    """To the routed agent, or to finish (question, direct answer, failure)."""
    active = state.get("active")
    if state.get("status") == "running" and active in AGENTS:
        return active  # type: ignore[return-value]
    return "finish"


def after_agent(state: GraphState) -> Literal["tools", "finish"]:
    """Tool calls go to the tools node; an answer (or a failure) to finish."""
    if state.get("status") == "failed":
        return "finish"
    message: AIMessage | None = last_ai(state.get("messages") or [], state["instruction_id"], state.get("active") or "")
    if message is not None and (message.tool_calls or message.invalid_tool_calls):
        return "tools"
    return "finish"


def after_tools(state: GraphState) -> Literal["approval", "strategy_advisor", "factor_miner", "trader"]:
    """Pending approvals interrupt first; otherwise back to the (possibly new) active agent."""
    if state.get("pending_approvals"):
        return "approval"
    return state.get("active") or "strategy_advisor"  # type: ignore[return-value]


def after_approval(state: GraphState) -> Literal["strategy_advisor", "factor_miner", "trader"]:
    """Back to the agent that proposed the orders, to report what happened."""
    return state.get("active") or "trader"  # type: ignore[return-value]


def build_graph(deps: GraphDeps) -> StateGraph[Any]:
    """The uncompiled graph (``compile_graph`` adds the checkpointer).

    Every node reads the whole :class:`GraphState`, and says so (``input_schema``): left to infer
    it, LangGraph resolves every postponed annotation of the state once per node
    (``get_type_hints``), a third of the build's time for the same answer.
    """
    graph = StateGraph(GraphState)
    nodes: list[tuple[str, Any]] = [("prepare", prepare_node(deps)), ("supervisor", supervisor_node(deps))]
    nodes += [(agent, agent_node(deps, agent)) for agent in AGENTS]
    nodes += [("tools", tools_node(deps)), ("approval", approval_node(deps)), ("finish", finish_node(deps))]
    for name, node in nodes:
        graph.add_node(name, node, input_schema=GraphState)
    graph.add_edge(START, "prepare")
    graph.add_edge("prepare", "supervisor")
    graph.add_conditional_edges("supervisor", after_supervisor, [*AGENTS, "finish"])
    for agent in AGENTS:
        graph.add_conditional_edges(agent, after_agent, ["tools", "finish"])
    graph.add_conditional_edges("tools", after_tools, ["approval", *AGENTS])
    graph.add_conditional_edges("approval", after_approval, list(AGENTS))
    graph.add_edge("finish", END)
    return graph


def compile_graph(deps: GraphDeps, checkpointer: BaseCheckpointSaver[Any] | None = None) -> Any:
    """The runnable graph; with a checkpointer every thread is resumable."""
    return build_graph(deps).compile(checkpointer=checkpointer, name="taorui")
