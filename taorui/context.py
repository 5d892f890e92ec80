"""Builds the objects the commands need from validated settings (the app's wiring)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from taorui.settings import Settings
from taorui_engines.data import DataCenter, ensure_sample_store
from taorui_engines.progress import ProgressReporter, TerminalProgress
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
        return TerminalProgress(enabled=False if self.quiet else None)

    @cached_property
    def data(self) -> DataCenter:
        """The data center, with the embedded sample store built on first use."""
        center = DataCenter(self.settings.data_dir, progress=self.progress)
        ensure_sample_store(center, self.progress)
        return center

    def tool_context(self, agent: str = "user") -> ToolContext:
        """The dependencies injected into tools."""
        return ToolContext(
            data=self.data,
            runs_dir=self.settings.runs_dir,
            state_dir=self.settings.state_dir,
            progress=self.progress,
            agent=agent,
        )
