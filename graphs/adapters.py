"""Adapters from the graph's small ports to the real services: the gate and memory.

The app builds these (it holds the broker; agents never do) and passes them in
:class:`~graphs.GraphDeps`. The graph never sees a broker: submissions *and fills* go
through the gate, which audits each as it happens.

- :class:`GateDesk`: a person's decision on a gate approval request, settled by the gate in
  one serialised step (decide, and for an approval execute once). A decision that loses a
  race (another person decided first, the order was already sent) sends nothing and the
  outcome says what actually happened.
- :class:`GateMarket`: the paper market of ``taorui ask``. The store ends at a last bar and
  there is no next bar to fill at, so the gate fills a sent order at the reference price it
  checked (the last close known at the session's market clock), with the broker's
  commission; the rule is named in every result. Idempotent: a filled order is not filled again.
- :class:`MemoryAdapter`: recall = semantic search over every kind; remember = the
  instruction's run folder and the engine runs it caused, with the instruction, agent and tools.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from agents import MemoryHit
from graphs._deps import InstructionRecord
from guardrails import ApprovalRequest, ApprovalSettlement, FillReport, Gate

__all__ = ["GateDesk", "GateMarket", "MemoryAdapter"]

logger = logging.getLogger(__name__)


class GateDesk:
    """The graph's approval desk over a :class:`guardrails.Gate`."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def status(self, approval_id: str) -> ApprovalRequest:
        """The request as the gate stores it."""
        return self._gate.approval(approval_id)

    def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> ApprovalSettlement:
        """Settle a person's decision once; a replay finds the decision made and the order sent."""
        settlement = self._gate.settle_approval(approval_id, approve, by, reason or ("" if approve else "rejected"))
        logger.info("approval %s: %s", approval_id, settlement.message)
        return settlement


class GateMarket:
    """Fills sent paper orders through the gate at its reference price (see the module docstring)."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def execute(self, order_key: str) -> FillReport:
        """Fill the order if it is open; the report has its fills and the rule used."""
        return self._gate.fill_at_reference(order_key)


class MemoryAdapter:
    """The graph's memory port over :class:`memory.MemoryStore`."""

    def __init__(self, store: Any, runs_dir: Path) -> None:
        self._store = store
        self._runs_dir = runs_dir

    def recall(self, text: str, limit: int) -> list[MemoryHit]:
        """The closest records of any kind."""
        hits = self._store.search(text, limit=limit)
        return [MemoryHit(id=h.id, kind=h.kind, text=h.text, score=h.score, metadata=dict(h.metadata)) for h in hits]

    def remember(self, record: InstructionRecord) -> None:
        """The instruction's run folder and each engine run it caused."""
        from memory import RunNotes

        tools = record.tools
        notes = RunNotes(instruction=record.instruction, agent=record.agent, tools_called=tools,
                         notes=record.answer[:1500])
        folders = [Path(record.run_dir)] if record.run_dir else []
        folders += [self._runs_dir / run_id for run_id in record.run_ids]
        for folder in folders:  # indexed at the next memory access, not on the answer's path
            if (folder / "status.json").exists():
                self._store.defer_run(folder, notes)
