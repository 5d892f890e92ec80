"""The supervisor node and the agent nodes: one model turn each, under the usage meter."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage, SystemMessage
from pydantic import ValidationError

from agents import ASK_USER, ROLES, ROUTE, AskUserArgs, RouteArgs, control_schema
from agents.llm import ChatClient, Usage, UsageMeter
from graphs._deps import GraphDeps
from graphs._messages import ai_id, conversation, turns
from graphs.state import GraphState
from taorui_engines.errors import BudgetExceededError, TaoruiError

__all__ = ["agent_node", "failed", "supervisor_node", "tool_schemas"]

logger = logging.getLogger(__name__)


def failed(exc: TaoruiError, language: str) -> dict[str, Any]:
    """The update that ends the run cleanly with the error said plainly."""
    head = "预算已用完，运行已停止：" if isinstance(exc, BudgetExceededError) and language == "zh" else (
        "Stopped: " if language != "zh" else "运行失败：")
    return {"status": "failed", "error": exc.to_dict(), "answer": head + exc.message}


def _client(deps: GraphDeps, state: GraphState) -> ChatClient:
    start = Usage.model_validate(state.get("usage") or {})
    meter = UsageMeter(deps.llm.token_budget, deps.llm.cost_budget_usd, deps.llm.model_price(), start=start)
    return ChatClient(deps.model, deps.llm, meter, sleep=deps.sleep)


def tool_schemas(deps: GraphDeps, agent: str) -> list[dict[str, Any]]:
    """OpenAI function schemas of the tools ``agent`` may call here (installed ones only)."""
    role = ROLES[agent]  # type: ignore[index]
    schemas = [{"type": "function", "function": deps.tools[n].json_schema()} for n in role.tools if n in deps.tools]
    return schemas + [control_schema(c) for c in role.control]


def supervisor_node(deps: GraphDeps) -> Any:
    """Route the instruction to one agent, or ask one question."""

    def supervisor(state: GraphState) -> dict[str, Any]:
        client = _client(deps, state)
        try:
            done = client.complete(conversation(state, "supervisor"), [control_schema(ROUTE), control_schema(ASK_USER)])
        except TaoruiError as exc:
            return {**failed(exc, state.get("language", "en")), "usage": client.meter.usage.model_dump()}
        message = done.message.model_copy(update={"id": ai_id(state["instruction_id"], "supervisor", 0),
                                                  "name": "supervisor"})
        update: dict[str, Any] = {"messages": [message], "usage": client.meter.usage.model_dump()}
        return {**update, **_routing(message, state)}

    return supervisor


def _routing(message: AIMessage, state: GraphState) -> dict[str, Any]:
    for call in message.tool_calls:
        try:
            if call["name"] == ROUTE:
                route = RouteArgs.model_validate(call["args"])
                logger.info("supervisor routes to %s", route.agent)
                return {"active": route.agent, "task": route.task, "agent": route.agent}
            if call["name"] == ASK_USER:
                ask = AskUserArgs.model_validate(call["args"])
                return {"status": "needs_clarification", "answer": ask.question, "agent": "supervisor"}
        except ValidationError as exc:
            logger.warning("supervisor sent an invalid %s call: %s", call["name"], exc)
    text = str(message.content).strip()
    if text:
        return {"status": "done", "answer": text, "agent": "supervisor"}
    return {"status": "failed", "agent": "supervisor", "answer": "The supervisor could not route the instruction.",
            "error": {"type": "InternalError", "message": "no valid route_to_agent or ask_user call"}}


def _budget_note(agent: str, steps: int) -> SystemMessage:
    return SystemMessage(content=f"Your step budget ({steps} tool turns) is spent. Do not call tools: answer now "
                                 "with what the tool results show, and say that you stopped at the budget.")


def agent_node(deps: GraphDeps, agent: str) -> Any:
    """One model turn of ``agent``: tool calls to run, a hand-over, or its answer."""
    role = ROLES[agent]  # type: ignore[index]

    def run_agent(state: GraphState) -> dict[str, Any]:
        iid = state["instruction_id"]
        turn = turns(state.get("messages") or [], iid, agent)
        steps = sum(1 for m in state.get("messages") or [] if isinstance(m, AIMessage) and m.tool_calls
                    and (m.id or "").startswith(f"{iid}:{agent}:"))
        budget = deps.step_budgets.get(agent, role.max_steps)
        over = steps >= budget
        client = _client(deps, state)
        try:
            extra = [_budget_note(agent, budget)] if over else []
            done = client.complete(conversation(state, agent, extra), None if over else tool_schemas(deps, agent))
        except TaoruiError as exc:
            return {**failed(exc, state.get("language", "en")), "usage": client.meter.usage.model_dump()}
        message = done.message.model_copy(update={"id": ai_id(iid, agent, turn), "name": agent})
        if over:
            message = message.model_copy(update={"tool_calls": [], "invalid_tool_calls": []})
        notes = {n.call_id: n.fixes for n in done.repaired}
        if notes:
            message = message.model_copy(update={"response_metadata": {**message.response_metadata,
                                                                        "taorui_repaired": notes}})
        return {"messages": [message], "usage": client.meter.usage.model_dump(), "agent": agent,
                "status": "running"}

    run_agent.__name__ = agent
    return run_agent

