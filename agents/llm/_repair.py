"""Repair of malformed tool-call arguments, or a report the model can act on.

Models (small local ones especially) send tool arguments that are almost JSON: wrapped in
a code fence, with single quotes, Python literals or trailing commas. We repair only what
has one unambiguous reading; anything else (truncated JSON above all: a cut-off ``300`` may
read as ``30``) is reported back to the model as an error and never executed.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["MalformedCall", "RepairResult", "repair_arguments"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


class MalformedCall(BaseModel):
    """A tool call whose arguments could not be read; reported, never executed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    raw_args: str
    error: str

    def message(self) -> str:
        """The text sent back to the model."""
        return json.dumps({"ok": False, "error": {
            "type": "MalformedToolCall",
            "message": (f"the arguments of your call to {self.name} are not a JSON object "
                        f"({self.error}); nothing was executed. Call {self.name} again with "
                        "arguments as one JSON object."),
        }}, ensure_ascii=False)


class RepairResult(BaseModel):
    """Repaired arguments and what was done to them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    args: dict[str, Any]
    fixes: tuple[str, ...]


def _as_object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _attempts(raw: str) -> list[tuple[str, str]]:
    fence = _FENCE.match(raw)
    text = fence.group(1) if fence else raw.strip()
    first = "stripped a code fence" if fence else ""
    no_commas = _TRAILING_COMMA.sub(r"\1", text)
    return [
        (first, text),
        ("removed trailing commas", no_commas),
    ]


def repair_arguments(raw: str | dict[str, Any] | None) -> RepairResult | None:
    """Arguments as a dict when ``raw`` has one unambiguous reading, else None."""
    if isinstance(raw, dict):
        return RepairResult(args=raw, fixes=())
    if raw is None or not raw.strip():
        return RepairResult(args={}, fixes=("empty arguments read as {}",))
    for fix, text in _attempts(raw):
        try:
            obj = _as_object(json.loads(text))
        except ValueError:
            obj = None
        if obj is not None:
            return RepairResult(args=obj, fixes=tuple(f for f in (fix,) if f))
    try:  # single quotes and Python literals (True/None): a literal, never code
        obj = _as_object(ast.literal_eval(_attempts(raw)[1][1]))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        obj = None
    if obj is not None and all(isinstance(k, str) for k in obj):
        return RepairResult(args=json.loads(json.dumps(obj, default=str)),
                            fixes=("read as a Python literal",))
    return None
