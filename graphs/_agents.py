"""The supervisor node and the agent nodes: one model turn each, under the usage meter."""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage, SystemMessage
from pydantic import ValidationError

from agents import ASK_USER, ROLES, ROUTE, AskUserArgs, RouteArgs, control_schema
from agents.control import SUBMIT_TASK
from agents.draft import draft_to_spec
from agents.llm import ChatClient, Usage, UsageMeter
from agents.planner import scope_answer
from agents.planner._plan import agent_of_step
from agents.roles import STEP_TOOLS, step_tools
from agents.spec import TaskSpec, approval_reason, needs_person
from graphs._deps import GraphDeps
from graphs._messages import ai_id, conversation, mine, turns
from graphs.state import GraphState
from taorui_engines.errors import BudgetExceededError, TaoruiError

__all__ = ["agent_node", "failed", "supervisor_node", "tool_schemas"]

logger = logging.getLogger(__name__)


def failed(exc: TaoruiError, language: str) -> dict[str, Any]:
    """The update that ends the run cleanly with the error said plainly."""
    head = "预算已用完，运行已停止：" if isinstance(exc, BudgetExceededError) and language == "zh" else (
        "Stopped: " if language != "zh" else "运行失败：")
    return {"status": "failed", "error": exc.to_dict(), "answer": head + exc.message}


def _client(deps: GraphDeps, state: GraphState, model: Any = None) -> ChatClient:
    start = Usage.model_validate(state.get("usage") or {})
    meter = UsageMeter(deps.llm.token_budget, deps.llm.cost_budget_usd, deps.llm.model_price(), start=start)
    return ChatClient(model if model is not None else deps.model, deps.llm, meter, sleep=deps.sleep)


#: What the supervisor may call: submit the task (structured output) or ask one question.
SUPERVISOR_TOOLS = (SUBMIT_TASK, ASK_USER)


def _step_intent(state: GraphState, agent: str) -> str | None:
    """The intent of ``agent``'s current step: its first step in the task spec whose main tool it
    has not called yet (None without a spec, or once every step's main tool was called)."""
    spec = state.get("task_spec") or {}
    called = {c["name"] for m in mine(state.get("messages") or [], state["instruction_id"], agent)
              if isinstance(m, AIMessage) for c in m.tool_calls}
    for step in spec.get("steps") or []:
        if step.get("agent") != agent:
            continue
        main = STEP_TOOLS.get(step.get("intent", ""), ("",))[:1]
        if not main or main[0] not in called:
            return str(step.get("intent"))
    return None


def tool_schemas(deps: GraphDeps, agent: str, state: GraphState | None = None,
                 model: Any = None) -> list[dict[str, Any]]:
    """OpenAI function schemas of the tools ``agent`` may call here (installed ones only).

    A remote ``model`` (one that does not read the brief's JSON) given the ``state`` is offered
    the tools of its current step only (:func:`agents.roles.step_tools`): a local server's 4k
    context does not hold every tool of the strategy advisor. The role still decides what may
    run: a call to any of its tools is executed and validated as before.
    """
    role = ROLES[agent]  # type: ignore[index]
    names = role.tools
    if state is not None and model is not None and not getattr(model, "reads_brief_json", False):
        intent = _step_intent(state, agent)
        names = (step_tools(agent, intent) if intent else None) or role.tools  # type: ignore[arg-type]
    schemas = [{"type": "function", "function": deps.tools[n].json_schema()} for n in names if n in deps.tools]
    return schemas + [control_schema(c) for c in role.control]


def supervisor_node(deps: GraphDeps) -> Any:
    """Route the instruction to one agent, or ask one question."""

    def supervisor(state: GraphState) -> dict[str, Any]:
        client = _client(deps, state)
        try:
            done = client.complete(conversation(state, "supervisor", catalog=deps.catalog()),
                                   [control_schema(t) for t in SUPERVISOR_TOOLS])
        except TaoruiError as exc:
            return {**failed(exc, state.get("language", "en")), "usage": client.meter.usage.model_dump()}
        message = done.message.model_copy(update={"id": ai_id(state["instruction_id"], "supervisor", 0),
                                                  "name": "supervisor"})
        update: dict[str, Any] = {"messages": [message], "usage": client.meter.usage.model_dump()}
        return {**update, **_routing(message, state, deps.llm.backend)}

    return supervisor


def _instruction_text(state: GraphState) -> str:
    return ". ".join([*(state.get("earlier") or []), state["instruction"]])


def spec_from_call(args: dict[str, Any], text: str, backend: str) -> TaskSpec:
    """The spec a ``submit_task`` call carries: a full spec, or a model's draft (ValueError if neither)."""
    try:
        return TaskSpec.model_validate(args)
    except ValidationError:
        return draft_to_spec(args, text, backend=backend)


def _submitted(args: dict[str, Any], state: GraphState, backend: str) -> dict[str, Any]:
    try:
        spec = spec_from_call(args, _instruction_text(state), backend)
    except ValueError as exc:
        logger.warning("supervisor submitted an unreadable task: %s", exc)
        return {"status": "failed", "agent": "supervisor", "error": {"type": "MalformedTask", "message": str(exc)},
                "answer": f"The model's reading of the instruction could not be used: {exc}"}
    base = {"task_spec": spec.model_dump(mode="json"), "language": spec.language, "agent": "supervisor",
            "require_approval": needs_person(spec), "approval_reason": approval_reason(spec)}
    if spec.question:
        return {**base, "status": "needs_clarification", "answer": spec.question}
    if all(s.intent == "out_of_scope" for s in spec.steps):
        return {**base, "status": "done", "answer": scope_answer(spec.language)}
    agent = agent_of_step(spec, 0)
    if agent is None:
        return {**base, "status": "failed", "error": {"type": "MalformedTask", "message": "no agent for the first step"},
                "answer": "The task has no step an agent can run."}
    logger.info("supervisor submits %s for %s", ", ".join(spec.intents), agent)
    return {**base, "active": agent, "agent": agent, "task": ", ".join(spec.intents)}


def _routing(message: AIMessage, state: GraphState, backend: str = "offline") -> dict[str, Any]:
    for call in message.tool_calls:
        try:
            if call["name"] == SUBMIT_TASK:
                return _submitted(dict(call["args"]), state, backend)
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
            "error": {"type": "InternalError", "message": "no valid submit_task or ask_user call"}}


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
        client = _client(deps, state, deps.executor)
        try:
            extra = [_budget_note(agent, budget)] if over else []
            done = client.complete(conversation(state, agent, extra, catalog=deps.catalog()),
                                   None if over else tool_schemas(deps, agent, state, client.model))
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

