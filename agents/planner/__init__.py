"""The offline planner: the task executor, as a chat model that emits real tool calls.

Public surface::

    OfflinePlanner(defaults=PlannerDefaults(...))     # a LangChain BaseChatModel
    spec_of(brief) -> TaskSpec                          # the brief's spec, or the offline reading
    scope_answer(language)                              # what Taorui does (out-of-scope requests)

Understanding an instruction (text -> :class:`agents.spec.TaskSpec`) lives in
``agents.understand``; this package runs a spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taorui_engines._lazy import lazy_exports

if TYPE_CHECKING:
    from agents.planner._defaults import PlannerDefaults
    from agents.planner._model import OfflinePlanner
    from agents.planner._observe import APPROVAL_MESSAGE
    from agents.planner._plan import scope_answer, spec_of

# Loaded on first use (PEP 562): the executor's pure parts serve ``--plan-only`` without
# LangChain; the chat-model wrapper (``OfflinePlanner``) pulls it in when named.
_WHERE = {"PlannerDefaults": "_defaults", "OfflinePlanner": "_model", "APPROVAL_MESSAGE": "_observe",
          "scope_answer": "_plan", "spec_of": "_plan"}

__all__ = [
    "APPROVAL_MESSAGE",
    "OfflinePlanner",
    "PlannerDefaults",
    "scope_answer",
    "spec_of",
]

__getattr__ = lazy_exports(__name__, _WHERE)

