"""What a tool gets injected: the data center, folders, progress, and the optional services.

Tools never read settings or globals; the app (CLI, graph) builds one ``ToolContext`` and
passes it to every call. Services that a given deployment may lack (memory, the order gate)
are optional; a tool that needs one and finds it missing says so as an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taorui_engines.data import DataCenter
from taorui_engines.errors import UnavailableError
from taorui_engines.progress import NullProgress, ProgressReporter

__all__ = ["ToolContext"]


@dataclass
class ToolContext:
    """Dependencies injected into every tool call."""

    data: DataCenter
    runs_dir: Path
    state_dir: Path
    progress: ProgressReporter = field(default_factory=NullProgress)
    #: ``memory.MemoryStore`` when memory is configured (typed loosely: memory is optional).
    memory: Any | None = None
    #: ``guardrails.Gate`` for execute-kind tools; agents never see the broker behind it.
    gate: Any | None = None
    #: Who is acting, carried into order attribution and run records.
    agent: str = "user"
    thread_id: str | None = None
    instruction_id: str | None = None

    def require_memory(self) -> Any:
        """The memory store, or a clear error when none is configured."""
        if self.memory is None:
            raise UnavailableError("memory is not configured for this session")
        return self.memory

    def require_gate(self) -> Any:
        """The order gate, or a clear error when trading is not configured."""
        if self.gate is None:
            raise UnavailableError("no order gate is configured: trading is disabled")
        return self.gate
