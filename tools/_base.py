"""What a tool is: typed arguments, a typed result, a kind, and a sentence for the model.

A tool is a plain function ``fn(args, ctx) -> Result`` plus metadata. :meth:`Tool.invoke`
is the only way the agent side runs one: it validates the raw arguments strictly (JSON
mode, so ``"10"`` is not an integer but ``"2020-01-01"`` is a date), turns every Taorui
error and validation failure into a :class:`ToolOutcome` the model can read and correct,
and never lets a raw traceback into the conversation.

Execute-kind tools (anything that can move money) cannot be built here: constructing a
``Tool`` with ``kind=EXECUTE`` requires the gate token that only the guardrail gate holds.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from taorui_engines.errors import InternalError, TaoruiError

__all__ = [
    "ErrorInfo",
    "Tool",
    "ToolArgs",
    "ToolKind",
    "ToolOutcome",
    "ToolResult",
    "format_validation_error",
]

logger = logging.getLogger(__name__)


class ToolKind(StrEnum):
    """What a tool may do: read state, compute (train, backtest), or execute (orders)."""

    READ = "read"
    COMPUTE = "compute"
    EXECUTE = "execute"


class ToolArgs(BaseModel):
    """Base of every tool's arguments: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolResult(BaseModel):
    """Base of every tool's result."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorInfo(BaseModel):
    """An error the model can read: a type name and a message that says what to change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    message: str


class ToolOutcome(BaseModel):
    """What the agent gets back from a tool call: a result or an error, never both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None

    def to_message(self) -> str:
        """The JSON text placed in the conversation as the tool message."""
        body = {"ok": self.ok, "result": self.result} if self.ok else {
            "ok": False, "error": self.error.model_dump() if self.error else None,
        }
        return json.dumps(body, ensure_ascii=False, default=str)


A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=ToolResult)
C = TypeVar("C")

#: Held by the guardrail gate only; see ``guardrails`` (execute tools are gate-built).
_GATE_TOKEN = object()


def format_validation_error(exc: ValidationError) -> str:
    """One line per problem, naming the argument, so the model can fix its call."""
    parts = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err.get("loc", ())) or "arguments"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "invalid arguments: " + "; ".join(parts)


@dataclass(frozen=True)
class Tool(Generic[A, R, C]):
    """A typed tool. ``fn`` gets validated args and the injected context ``ctx``."""

    name: str
    description: str
    kind: ToolKind
    args_model: type[A]
    result_model: type[R]
    fn: Callable[[A, C], R]
    gate_token: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind is ToolKind.EXECUTE and self.gate_token is not _GATE_TOKEN:
            raise InternalError(
                f"tool {self.name!r}: execute-kind tools can only be built by the guardrail gate"
            )
        if not self.name.isidentifier():
            raise InternalError(f"tool name {self.name!r} must be an identifier")

    def parse_args(self, raw: Mapping[str, Any] | str) -> A:
        """Strictly validate raw JSON arguments (a dict or a JSON string)."""
        text = raw if isinstance(raw, str) else json.dumps(dict(raw), default=str)
        return self.args_model.model_validate_json(text, strict=True)

    def invoke(self, raw: Mapping[str, Any] | str, ctx: C) -> ToolOutcome:
        """Validate, run and wrap. Never raises for bad input or a Taorui error."""
        try:
            args = self.parse_args(raw)
        except ValidationError as exc:
            return self._error("InvalidArgument", format_validation_error(exc))
        except (TypeError, ValueError) as exc:
            return self._error("InvalidArgument", f"arguments are not a JSON object: {exc}")
        try:
            result = self.fn(args, ctx)
        except TaoruiError as exc:
            logger.info("tool %s refused: %s", self.name, exc.message)
            return self._error(exc.type_name, exc.message)
        except ValidationError as exc:
            return self._error("InvalidArgument", format_validation_error(exc))
        except Exception as exc:  # an engine bug must not kill the conversation
            logger.exception("tool %s failed", self.name)
            return self._error("InternalError", f"{type(exc).__name__}: {exc}")
        return ToolOutcome(tool=self.name, ok=True, result=result.model_dump(mode="json"))

    def _error(self, type_name: str, message: str) -> ToolOutcome:
        return ToolOutcome(tool=self.name, ok=False, error=ErrorInfo(type=type_name, message=message))

    def json_schema(self) -> dict[str, Any]:
        """OpenAI-style function schema (name, description, parameters)."""
        return {
            "name": self.name,
            "description": self.description,
            "parameters": self.args_model.model_json_schema(),
        }
