"""The offline planner as a LangChain chat model that emits real tool calls.

It plugs into the graph exactly where an OpenAI-compatible model would: ``bind_tools``
then ``invoke(messages)`` returning an ``AIMessage`` with ``tool_calls`` (or a final answer).
Deterministic: the same conversation always gives the same message, so the whole graph runs
with no key, no network and no GPU, and its behaviour is testable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from agents.control import ASK_USER, HANDOVER, ROUTE, SUBMIT_TASK
from agents.planner._actions import Action, Answer, Ask, CallTools, Handover, Route, Submit, ToolCall
from agents.planner._defaults import PlannerDefaults
from agents.planner._plan import decide
from agents.understand import RouterLike, load_router

__all__ = ["OfflinePlanner"]


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> list[str]:
    return [t["function"]["name"] for t in tools or [] if isinstance(t, dict) and "function" in t]


def _as_calls(action: Action, names: set[str]) -> tuple[list[ToolCall], str]:
    """Tool calls for the action (control tools only when bound), else a text answer."""
    if isinstance(action, CallTools):
        return list(action.calls), action.note
    if isinstance(action, Handover) and HANDOVER in names:
        args = {"to": action.to, "note": action.note, "run_id": action.run_id, "payload": action.payload}
        return [ToolCall(HANDOVER, args)], ""
    if isinstance(action, Submit) and SUBMIT_TASK in names:
        return [ToolCall(SUBMIT_TASK, action.spec.model_dump(mode="json"))], ""
    if isinstance(action, Submit) and ROUTE in names:  # a graph without submit_task still routes
        agent = action.spec.agent or "strategy_advisor"
        return [ToolCall(ROUTE, {"agent": agent, "task": ", ".join(action.spec.intents)})], ""
    if isinstance(action, Route) and ROUTE in names:
        return [ToolCall(ROUTE, {"agent": action.agent, "task": action.task})], ""
    if isinstance(action, Ask) and ASK_USER in names:
        return [ToolCall(ASK_USER, {"question": action.question})], ""
    if isinstance(action, Answer | Ask):
        return [], action.text if isinstance(action, Answer) else action.question
    if isinstance(action, Handover):
        return [], action.note
    return [], f"route to {action.agent}: {action.task}" if isinstance(action, Route) else ""


class OfflinePlanner(BaseChatModel):
    """Deterministic bilingual planner and the task executor.

    As the supervisor it reads the instruction into a task spec (``submit_task``); as an
    agent it runs the spec's steps. ``defaults`` are the values it states when it takes them;
    ``router_dir`` is where the exemplar router's cached vectors live (None: cues only).
    """

    defaults: PlannerDefaults = PlannerDefaults()
    router_dir: str | None = None
    #: It reads the brief's full JSON block back (``read_brief``): the chat client must not send
    #: it the compact wire rendering a remote model gets.
    reads_brief_json: bool = True

    def router(self) -> RouterLike | None:
        """The exemplar router (loaded once per cache folder), or None for cues only."""
        return load_router(self.router_dir) if self.router_dir else None

    @property
    def _llm_type(self) -> str:
        return "taorui-offline-planner"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Remember the tools (as OpenAI schemas) for :meth:`_generate`."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        names = _tool_names(kwargs.get("tools"))
        control = (ROUTE, ASK_USER, HANDOVER, SUBMIT_TASK)
        action = decide(messages, [n for n in names if n not in control], self.defaults, self.router())
        calls, text = _as_calls(action, set(names))
        turn = sum(1 for m in messages if isinstance(m, AIMessage))
        seed = hashlib.sha1(str(messages[1].content if len(messages) > 1 else "").encode()).hexdigest()[:6]
        tool_calls = [{"name": c.name, "args": c.args, "id": f"call_{seed}_{turn}_{i}_s{c.step}", "type": "tool_call"}
                      for i, c in enumerate(calls)]
        message = AIMessage(content=text, tool_calls=tool_calls,
                            usage_metadata={"input_tokens": 0, "output_tokens": 0, "total_tokens": 0})
        return ChatResult(generations=[ChatGeneration(message=message)])
