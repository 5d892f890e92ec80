"""Adapters from the graph's small ports to the real services: gate, paper broker, memory.

The app builds these (it holds the broker; agents never do) and passes them in
:class:`~graphs.GraphDeps`.

- :class:`GateDesk`: a person's decision on a gate approval request, re-checked and
  executed once by the gate (``approve``/``reject`` then ``execute_approved``).
- :class:`LastCloseMarket`: the paper market of ``taorui ask``. The store ends at a last bar
  and there is no next bar to fill at, so a sent order is filled at the reference price the
  gate checked (the last close known at the session's market clock), with the broker's
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
from guardrails import ApprovalStatus, Gate, GateOutcome, ReferenceData
from guardrails.reference import Clock
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.errors import InvalidArgumentError, NotFoundError, TaoruiError

__all__ = ["GateDesk", "LastCloseMarket", "MemoryAdapter"]

logger = logging.getLogger(__name__)


def _outcome_dict(outcome: GateOutcome) -> dict[str, Any]:
    data = outcome.model_dump(mode="json")
    data["order_key"] = outcome.order.key if outcome.order else None
    return data


class GateDesk:
    """The graph's approval desk over a :class:`guardrails.Gate`."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def status(self, approval_id: str) -> dict[str, Any]:
        """The request as the gate stores it."""
        return self._gate.approval(approval_id).model_dump(mode="json")

    def decide(self, approval_id: str, approve: bool, by: str, reason: str) -> dict[str, Any]:
        """Decide once (a replay finds the decision made) and execute an approval once."""
        request = self._gate.approval(approval_id)
        if request.status is ApprovalStatus.PENDING:
            try:
                if approve:
                    self._gate.approve(approval_id, by, reason)
                else:
                    self._gate.reject(approval_id, by, reason or "rejected")
            except InvalidArgumentError as exc:  # expired between the read and the decision
                logger.info("approval %s could not be decided: %s", approval_id, exc.message)
        return _outcome_dict(self._gate.execute_approved(approval_id))


class LastCloseMarket:
    """Fills sent paper orders at the gate's reference price (see the module docstring)."""

    def __init__(self, broker: PaperBroker, reference: ReferenceData, clock: Clock) -> None:
        self._broker = broker
        self._reference = reference
        self._clock = clock

    def execute(self, order_key: str) -> dict[str, Any]:
        """Fill the order if it is open; return its fills and the rule used."""
        try:
            state = self._broker.order(order_key)
        except NotFoundError:
            return {"fills": [], "fill_rule": "the order is not at the broker"}
        now = self._clock()
        quote = self._reference.last_price(state.order.symbol, now)
        rule = (f"paper fill at the last close known at {now:%Y-%m-%d %H:%M} UTC"
                + (f" ({quote.source})" if quote is not None else ""))
        if state.status.value in ("accepted", "partially_filled") and quote is not None:
            try:
                self._broker.fill_at(order_key, quote.price, now)
            except TaoruiError as exc:
                rule += f"; not filled: {exc.message}"
        fills = [f.model_dump(mode="json") for f in self._broker.fills() if f.order_key == order_key]
        return {"fills": fills, "fill_rule": rule, "status": self._broker.order(order_key).status.value}


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
        from memory import RunNotes, record_run

        tools = record.tools
        notes = RunNotes(instruction=record.instruction, agent=record.agent, tools_called=tools,
                         notes=record.answer[:1500])
        folders = [Path(record.run_dir)] if record.run_dir else []
        folders += [self._runs_dir / run_id for run_id in record.run_ids]
        for folder in folders:
            if (folder / "status.json").exists():
                record_run(self._store, folder, notes)
