"""Tool schemas as a remote model gets them: the same tools in a fraction of the tokens.

A local OpenAI-compatible server (vLLM, llama.cpp, Ollama) often runs a 4k-token context, and
its chat template writes every bound tool's JSON schema into the prompt. Pydantic's schemas
carry much a model does not need to choose and fill a call: ``title`` keys, the
``Arguments of ...`` docstring, ``anyOf [X, null]`` wrappers, numeric and length bounds (the
strategy advisor's tools measured about 21k characters). :func:`compact_tool` keeps names,
types, enums, formats, required keys, defaults and short descriptions; :func:`fit_tools`
goes one level terser (argument descriptions and defaults left out) only when a request
would not fit its prompt budget otherwise.

Nothing is lost to validation: every call's arguments are still validated by the tool's
own pydantic model on our side, and a violation goes back to the model as an error message
it can correct.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["TEMPLATE_TOKENS", "Level", "compact_tool", "estimate_tokens", "fit_tools", "messages_tokens", "tools_tokens"]

#: ``full``: argument descriptions (first sentence) and defaults; ``terse``: names, types,
#: enums, formats and required keys, with each tool's own one-line description.
Level = Literal["full", "terse"]

#: Keys a model does not need to fill a call; our pydantic models enforce them.
_DROPPED = frozenset({
    "title", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
    "minItems", "maxItems", "minProperties", "maxProperties", "pattern", "examples", "uniqueItems",
})
#: What a chat template adds around tools and messages (Qwen2.5's tool preamble is about 120
#: tokens; each message's role markers a few more, counted in :func:`messages_tokens`).
TEMPLATE_TOKENS = 160
_END = re.compile(r"[.!?](?=\s|$)")
_ABBREVIATIONS = ("e.g", "i.e", "etc", "vs")


def estimate_tokens(text: str) -> int:
    """A conservative token count for ``text`` with no tokenizer at hand: a token per three ASCII
    characters and one per other character (each CJK character). BPE tokenizers of the models
    served locally (Qwen, Llama 3) give fewer: about 3.5 characters per token on these
    schemas and 1.3-1.5 Chinese characters per token."""
    ascii_chars = sum(1 for c in text if c.isascii())
    return math.ceil(ascii_chars / 3) + (len(text) - ascii_chars)


def _first_sentence(text: str) -> str:
    """The first sentence of a long description (a short one whole), docstring markup removed."""
    text = " ".join(text.replace("``", "`").split())
    if len(text) <= 80:
        return text
    for end in _END.finditer(text):
        head = text[: end.start()]
        if not head.endswith(_ABBREVIATIONS) and len(head) >= 20:
            return head + end.group()
    return text


def _collapse(node: dict[str, Any]) -> dict[str, Any]:
    """``anyOf [X, null]`` as X (an optional argument is simply left out), and an ``anyOf`` of
    plain types as one ``type`` list."""
    options = node.get("anyOf")
    if not isinstance(options, list):
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if len(options) == 2 and {"type": "null"} in options:
        return {**rest, **next(o for o in options if o != {"type": "null"})}
    if all(isinstance(o, dict) and list(o) == ["type"] and isinstance(o["type"], str) for o in options):
        return {**rest, "type": [o["type"] for o in options]}
    return node


class _Compactor:
    def __init__(self, level: Level, defs: dict[str, Any] | None) -> None:
        self.level = level
        self.defs = defs  # inlined when given

    def node(self, node: Any, described: bool = True) -> Any:
        if isinstance(node, list):
            return [self.node(v, described) for v in node]
        if not isinstance(node, dict):
            return node
        node = _collapse(node)
        if self.defs is not None and isinstance(node.get("$ref"), str):
            node = {**self.defs[node["$ref"].rsplit("/", 1)[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        out: dict[str, Any] = {}
        for key, value in node.items():
            if self._dropped(key, value, described):
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: self.node(v, self.level == "full") for name, v in value.items()}
            elif key == "description" and isinstance(value, str):
                out[key] = _first_sentence(value)
            else:
                out[key] = self.node(value, described)
        return out

    def _dropped(self, key: str, value: Any, described: bool) -> bool:
        if key in _DROPPED:
            return True
        if key == "additionalProperties":
            return value is False  # our models refuse extra keys themselves
        if key == "default":
            return value is None or self.level == "terse"
        return key == "description" and not described


def _size(node: Any) -> int:
    return len(json.dumps(node, ensure_ascii=False))


def _parameters(schema: dict[str, Any], level: Level) -> dict[str, Any]:
    """The arguments' schema compacted, with ``$defs`` inlined where that is smaller."""
    body = {k: v for k, v in schema.items() if k != "description"}  # "Arguments of ``x``."
    defs = body.pop("$defs", None)
    if not defs:
        return dict(_Compactor(level, None).node(body))
    inlined = _Compactor(level, defs).node(body)
    kept = {**_Compactor(level, None).node(body), "$defs": _Compactor(level, None).node(defs)}
    return dict(inlined if _size(inlined) <= _size(kept) else kept)


def compact_tool(tool: dict[str, Any], level: Level = "full") -> dict[str, Any]:
    """One OpenAI function tool (``{"type": "function", "function": {...}}``) compacted."""
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return tool
    out: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        out["description"] = " ".join(str(function["description"]).split())
    if isinstance(function.get("parameters"), dict):
        out["parameters"] = _parameters(function["parameters"], level)
    return {"type": "function", "function": out}


def tools_tokens(tools: Sequence[dict[str, Any]]) -> int:
    """Estimated tokens of the tools as a chat template writes them (one JSON object each)."""
    return sum(estimate_tokens(json.dumps(t, ensure_ascii=False)) for t in tools)


def messages_tokens(contents: Sequence[str]) -> int:
    """Estimated tokens of messages with these contents, role markers included."""
    return sum(estimate_tokens(c) + 5 for c in contents)


def fit_tools(tools: Sequence[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The tools compacted at the most detailed level whose estimate fits ``budget`` tokens (the
    tersest when none does: the request is then sent as it is and the server says if it is too long)."""
    compacted: list[dict[str, Any]] = []
    for level in ("full", "terse"):
        compacted = [compact_tool(t, level) for t in tools]
        if tools_tokens(compacted) <= budget:
            break
    return compacted
