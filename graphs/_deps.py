"""What the graph is built with: the chat model, the tools, the gate's approval desk, memory.

Nothing here is in the graph's state (state must be plain data for the checkpointer); the
nodes close over one :class:`GraphDeps`. The gate and memory are reached through two small
protocols so the graph does not depend on how those packages store things.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel

from agents.brief import CatalogEntry, MemoryHit
from agents.llm import LLMConfig
from guardrails import ApprovalRequest, ApprovalSettlement, FillReport
from tools import Tool, ToolContext

__all__ = ["ApprovalDesk", "GraphDeps", "InstructionRecord", "MemoryPort", "PaperMarket"]


@runtime_checkable
class ApprovalDesk(Protocol):
    """The gate's side of an approval: a person's decision, re-checked and executed once."""

    def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> ApprovalSettlement:
        """Approve (re-check, submit with the order's idempotency key) or reject one request.

        Returns what the decision did and the execution that followed, if any. Must be
        idempotent: deciding a request that was already executed returns its outcome again
        instead of submitting twice (a replayed graph step calls it a second time).
        """

    def status(self, approval_id: str) -> ApprovalRequest:
        """The request as stored (id, order, reasons, status, expires, result)."""


@runtime_checkable
class PaperMarket(Protocol):
    """Where a sent paper order gets its fills (the app decides the fill rule)."""

    def execute(self, order_key: str) -> FillReport:
        """Fill what can be filled now; the report has every fill of the order and the rule used.

        Idempotent: an order already filled returns its fills and fills nothing again.
        """


@dataclass(frozen=True)
class InstructionRecord:
    """What memory keeps of one instruction once it is answered."""

    instruction_id: str
    thread_id: str
    instruction: str
    language: str
    agent: str | None
    status: str
    answer: str
    tools: tuple[str, ...]
    run_ids: tuple[str, ...]
    run_dir: str | None
    metrics: dict[str, Any]


@runtime_checkable
class MemoryPort(Protocol):
    """Memory as the graph uses it: recall before planning, remember after answering."""

    def recall(self, text: str, limit: int) -> list[MemoryHit]:
        """Items related to ``text``, best first."""

    def remember(self, record: InstructionRecord) -> None:
        """Store the instruction's record (idempotent by ``instruction_id``)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class GraphDeps:
    """Everything the nodes need besides the state."""

    model: BaseChatModel
    llm: LLMConfig
    tool_context: ToolContext
    tools: Mapping[str, Tool]  # type: ignore[type-arg]
    desk: ApprovalDesk | None = None
    memory: MemoryPort | None = None
    market: PaperMarket | None = None
    clock: Callable[[], datetime] = field(default=_utc_now)
    sleep: Callable[[float], None] = field(default=time.sleep)
    max_handovers: int = 3
    memory_hits: int = 3
    approval_ttl_minutes: float = 60.0
    #: Per-agent tool-turn budgets overriding the roles' own (``Role.max_steps``).
    step_budgets: Mapping[str, int] = field(default_factory=dict)
    #: Who runs the agents' steps. The task executor (the offline planner) by default, for
    #: every backend: the model under ``model`` only reads the instruction into a task spec.
    #: ``None`` lets ``model`` itself call the agents' tools (an LLM agent loop).
    executor: BaseChatModel | None = None
    #: What the store holds, by the store's version key (see :meth:`catalog`); not state.
    _catalog: dict[tuple[tuple[str, str], ...], tuple[CatalogEntry, ...]] = field(
        default_factory=dict, repr=False, compare=False)

    def catalog(self) -> tuple[CatalogEntry, ...]:
        """The store's catalog for the brief, rebuilt only after an ingest.

        Kept out of the checkpointed state: it is large, the same for every instruction, and
        written into every checkpoint it would make each graph step cost more.
        """
        data = self.tool_context.data
        key = data.version_key()
        found = self._catalog.get(key)
        if found is None:
            from agents.brief import catalog_entries

            found = tuple(catalog_entries(data))
            self._catalog.clear()
            self._catalog[key] = found
        return found
