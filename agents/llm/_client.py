"""One call to the chat model: budget check, tenacity retries, usage, tool-call repair.

The graph never calls a chat model directly; it calls :meth:`ChatClient.complete`, so
every backend gets the same treatment: timeouts, 429 and 5xx are retried with exponential
backoff (honouring ``Retry-After``) up to a cap and then reported as ``UnavailableError``;
other HTTP errors become errors that say what to fix; malformed tool calls are repaired
when they have one reading and otherwise handed back as :class:`MalformedCall` (answered
with an error, never executed); the usage meter refuses a call once a budget is spent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from agents.brief import read_brief, render_brief_compact
from agents.llm._config import LLMConfig
from agents.llm._repair import MalformedCall, repair_arguments
from agents.llm._schema import TEMPLATE_TOKENS, fit_tools, messages_tokens
from agents.llm._usage import UsageMeter
from taorui_engines.errors import (
    InternalError,
    InvalidArgumentError,
    TaoruiError,
    UnavailableError,
    UnsafeError,
)

__all__ = ["ChatClient", "Completion", "RepairNote"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairNote:
    """A tool call whose arguments were repaired, and how."""

    call_id: str
    name: str
    fixes: tuple[str, ...]


@dataclass(frozen=True)
class Completion:
    """The model's reply with tool calls sorted into runnable and malformed ones."""

    message: AIMessage
    malformed: tuple[MalformedCall, ...] = ()
    repaired: tuple[RepairNote, ...] = ()
    attempts: int = 1


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


def _guard_refusal(exc: BaseException) -> UnsafeError | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, UnsafeError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


def is_transient(exc: BaseException) -> bool:
    """Timeouts, connection errors, 429 and 5xx: worth another try."""
    import openai

    if _guard_refusal(exc) is not None:
        return False
    if isinstance(exc, openai.APIConnectionError | openai.RateLimitError | openai.InternalServerError):
        return True
    status = _status(exc)
    return status is not None and (status == 429 or status >= 500)


def _translate(exc: BaseException, attempts: int) -> TaoruiError:
    """Our error for a failed LLM call, with what to do about it."""
    refusal = _guard_refusal(exc)
    if refusal is not None:
        return refusal
    status = _status(exc)
    if is_transient(exc):
        return UnavailableError(
            f"the LLM endpoint failed {attempts} time(s) ({type(exc).__name__}"
            f"{f' {status}' if status else ''}); try again later or raise TAORUI_LLM_MAX_RETRIES"
        )
    if status in (401, 403):
        return InvalidArgumentError(f"the LLM endpoint refused the key ({status}): check TAORUI_LLM_API_KEY")
    if status == 404:
        return InvalidArgumentError("the LLM endpoint has no such model: check TAORUI_LLM_MODEL and TAORUI_LLM_BASE_URL")
    if status is None:  # no HTTP answer behind it: the model code itself failed (e.g. the offline planner)
        return InternalError(f"the chat model failed: {type(exc).__name__}: {exc}")
    return InvalidArgumentError(f"the LLM endpoint rejected the request ({status}): {exc}")


class ChatClient:
    """Calls one chat model under a usage meter. One per instruction (the meter is per run)."""

    def __init__(self, model: BaseChatModel, config: LLMConfig, meter: UsageMeter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.model = model
        self.config = config
        self.meter = meter
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = self.config.backoff_initial_s * 2 ** (state.attempt_number - 1)
        response = getattr(exc, "response", None)
        after = response.headers.get("retry-after") if response is not None else None
        if after is not None and after.replace(".", "", 1).isdigit():
            backoff = max(backoff, float(after))
        return float(min(backoff, self.config.backoff_max_s))

    def _wire(self, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
        """The messages as a remote model gets them: a brief's catalog in a few lines (a local
        server's context is often 4k tokens; the full catalog alone was most of it). The offline
        planner reads the full JSON block back and gets the messages as they are."""
        if getattr(self.model, "reads_brief_json", False):
            return list(messages)
        out: list[BaseMessage] = []
        for message in messages:
            brief = read_brief(message.content) if isinstance(message, HumanMessage) and \
                isinstance(message.content, str) else None
            out.append(message if brief is None else message.model_copy(
                update={"content": render_brief_compact(brief)}))
        return out

    def _wire_tools(self, tools: Sequence[dict[str, Any]], messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
        """The tool schemas as a remote model gets them: compacted to fit, with ``messages``, the
        prompt budget (see :mod:`agents.llm._schema`; arguments are still validated by the tools'
        own models). The offline planner gets them as they are."""
        if getattr(self.model, "reads_brief_json", False):
            return list(tools)
        spent = TEMPLATE_TOKENS + messages_tokens([m.text for m in messages])
        return fit_tools(tools, self.config.prompt_tokens - spent)

    def _invoke(self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] | None) -> tuple[AIMessage, int]:
        # tool_choice is sent, not left to the server: some local servers call no tool without it.
        messages = self._wire(messages)
        runnable: Any = self.model.bind_tools(self._wire_tools(tools, messages), tool_choice="auto") \
            if tools else self.model
        retrying = Retrying(
            stop=stop_after_attempt(self.config.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda s: logger.warning(
                "LLM call failed (%s), retry %d", s.outcome.exception() if s.outcome else "?", s.attempt_number),
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    reply = runnable.invoke(list(messages))
        except TaoruiError:
            raise
        except Exception as exc:
            raise _translate(exc, attempts) from exc
        if not isinstance(reply, AIMessage):
            raise UnavailableError(f"the chat model returned {type(reply).__name__}, not an AI message")
        return reply, attempts

    def complete(self, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]] | None = None) -> Completion:
        """One model turn: check the budget, call with retries, count, sort the tool calls."""
        self.meter.check()
        reply, attempts = self._invoke(messages, tools)
        self.meter.record(reply.usage_metadata, retries=attempts - 1)  # type: ignore[arg-type]
        return _sort_calls(reply, attempts)


def _sort_calls(reply: AIMessage, attempts: int) -> Completion:
    """Repair what can be repaired; keep the rest as malformed (answered, not executed)."""
    calls = list(reply.tool_calls)
    malformed: list[MalformedCall] = []
    repaired: list[RepairNote] = []
    kept: list[Any] = []
    for index, bad in enumerate(reply.invalid_tool_calls):
        call_id = bad.get("id") or f"call_invalid_{index}"
        name = bad.get("name") or ""
        fixed = repair_arguments(bad.get("args"))
        if fixed is not None and name:
            calls.append({"name": name, "args": fixed.args, "id": call_id, "type": "tool_call"})
            repaired.append(RepairNote(call_id=call_id, name=name, fixes=fixed.fixes))
            logger.warning("repaired arguments of %s (%s)", name, ", ".join(fixed.fixes))
            continue
        malformed.append(MalformedCall(id=call_id, name=name or "unknown_tool",
                                       raw_args=str(bad.get("args")), error=bad.get("error") or "not JSON"))
        kept.append({**bad, "id": call_id})
    message = reply.model_copy(update={"tool_calls": calls, "invalid_tool_calls": kept})
    return Completion(message=message, malformed=tuple(malformed), repaired=tuple(repaired), attempts=attempts)
