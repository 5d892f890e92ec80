"""Builds the objects the commands need from validated settings (the app's wiring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from taorui.settings import Settings

# Every service is built on first use and its package imported there: a command pays only
# for what it touches (``ask --plan-only`` touches none of these; see docs/benchmarks.md).
if TYPE_CHECKING:
    from guardrails import AuditLog, Clock, Gate, Policy, SessionClock
    from memory import MemoryStore
    from taorui_engines.brokers.models import Broker
    from taorui_engines.data import DataCenter
    from taorui_engines.progress import ProgressReporter
    from tools._context import ToolContext

__all__ = ["AppContext"]


@dataclass
class AppContext:
    """Settings plus lazily built services; one per command invocation."""

    settings: Settings
    quiet: bool = False

    @cached_property
    def progress(self) -> ProgressReporter:
        """Terminal progress bars (silent when stderr is not a terminal or quiet)."""
        from taorui_engines.progress import TerminalProgress

        return TerminalProgress(enabled=False if self.quiet else None)

    @cached_property
    def data(self) -> DataCenter:
        """The data center, with the embedded sample store built on first use."""
        from taorui_engines.data import DataCenter, ensure_sample_store

        center = DataCenter(self.settings.data_dir, progress=self.progress)
        ensure_sample_store(center, self.progress)
        return center

    @cached_property
    def risk_policy(self) -> Policy:
        """The risk policy in force: TAORUI_RISK_POLICY_FILE, else the one shipped in guardrails."""
        from guardrails import load_policy

        return load_policy(self.settings.risk_policy_file)

    @cached_property
    def session_clock(self) -> SessionClock:
        """Market time of the replay session: just after the close of the newest bar in the
        store, advancing with the wall clock (shared by every process of this home)."""
        from guardrails import SessionClock

        newest = max(i.end for i in self.data.list_instruments())
        anchor = datetime.fromisoformat(newest).replace(tzinfo=UTC) + timedelta(hours=16, minutes=5)
        return SessionClock(anchor, self.settings.state_dir / "session_clock.json")

    @cached_property
    def broker(self) -> Broker:
        """The paper broker at ``state_dir/paper_broker.sqlite``: for the gate and a person's `broker` commands,
        never for agents. Its clock is the session's market clock."""
        from taorui_engines.brokers.paper import PaperBroker

        return PaperBroker(self.settings.state_dir / "paper_broker.sqlite", self.data, clock=self.session_clock)

    @cached_property
    def gate(self) -> Gate:
        """The guardrail gate in front of the paper broker, on the wall clock (``risk`` commands)."""
        return self.make_gate()

    @cached_property
    def session_gate(self) -> Gate:
        """The gate on the session's market clock: what ``ask``, ``resume`` and approvals use."""
        return self.make_gate(clock=self.session_clock)

    def make_gate(self, policy: Policy | None = None, clock: Clock | None = None) -> Gate:
        """A gate over the paper broker with another policy or market clock (``risk check --as-of``)."""
        from guardrails import Gate, system_clock
        from tools.order_tools import DataCenterReference

        return Gate(policy or self.risk_policy, self.broker, DataCenterReference(lambda: self.data),
                    self.settings.state_dir, clock=clock or system_clock, anchor_dir=self.settings.anchor_dir)

    @cached_property
    def audit_log(self) -> AuditLog:
        """The guardrails' hash-chained audit log (read by ``taorui audit``)."""
        from guardrails import AUDIT_FILE, AuditLog

        return AuditLog(self.settings.state_dir / AUDIT_FILE, anchor_dir=self.settings.anchor_dir)

    @cached_property
    def memory(self) -> MemoryStore:
        """Long-term memory: a Chroma server when TAORUI_CHROMA_HOST is set, else ``home/memory``.

        Cheap to build: Chroma and the embedding model load on the first operation.
        """
        from memory import MemoryConfig, MemoryStore

        return MemoryStore(MemoryConfig(path=self.settings.memory_dir, host=self.settings.chroma_host,
                                        port=self.settings.chroma_port))

    def tool_context(self, agent: str = "user") -> ToolContext:
        """The dependencies injected into tools."""
        from tools._context import ToolContext

        return ToolContext(
            data=self.data,
            runs_dir=self.settings.runs_dir,
            state_dir=self.settings.state_dir,
            progress=self.progress,
            memory=self.memory,
            agent=agent,
        )
