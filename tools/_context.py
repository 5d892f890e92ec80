"""What a tool gets injected: the data center, folders, progress, and the optional services.

Tools never read settings or globals; the app's composition root (``taorui.wiring``) builds
one ``ToolContext``, complete and frozen, and the graph passes it (or a copy with the acting
agent and thread, ``dataclasses.replace``) to every call. Services that a given deployment
may lack (memory, the order gate) are optional; a tool that needs one and finds it missing
says so as an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from taorui_engines.data import DataCenter
from taorui_engines.errors import UnavailableError
from taorui_engines.progress import NullProgress, ProgressReporter

# Type-only: a tool that needs memory or the gate imports its package itself.
if TYPE_CHECKING:
    from guardrails import Gate
    from memory import MemoryStore
    from taorui_engines.factor_mining import ExternalProposer, MiningRequest
    from tools.trading_tools import TradingPort

__all__ = ["ToolContext"]


@dataclass(frozen=True)
class ToolContext:
    """Dependencies injected into every tool call (frozen: derive a copy, never patch one)."""

    data: DataCenter
    runs_dir: Path
    state_dir: Path
    progress: ProgressReporter = field(default_factory=NullProgress)
    #: Long-term memory, when this deployment has it.
    memory: MemoryStore | None = None
    #: The guardrail gate for execute-kind tools; agents never see the broker behind it.
    gate: Gate | None = None
    #: The trading desk for the trading-cycle tools (each order goes through its own gate).
    trading: TradingPort | None = None
    #: Builds the language-model factor proposer for one mining request, when an LLM is configured
    #: (the app injects it; tools never build a model themselves).
    factor_proposer: Callable[[MiningRequest], ExternalProposer] | None = None
    #: The Ray cluster that grid searches run on (the app's TAORUI_RAY_ADDRESS); None: in-process.
    ray_address: str | None = None
    #: Who is acting, carried into order attribution and run records.
    agent: str = "user"
    thread_id: str | None = None
    instruction_id: str | None = None

    def require_memory(self) -> MemoryStore:
        """The memory store, or a clear error when none is configured."""
        if self.memory is None:
            raise UnavailableError("memory is not configured for this session")
        return self.memory

    def require_gate(self) -> Gate:
        """The order gate, or a clear error when trading is not configured."""
        if self.gate is None:
            raise UnavailableError("no order gate is configured: trading is disabled")
        return self.gate
