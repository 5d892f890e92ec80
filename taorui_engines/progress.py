"""Progress reporting for long work (ingestion, training, backtests).

Engines take a :class:`ProgressReporter` argument instead of printing. The CLI passes one
that draws a terminal progress bar; the agent graph passes one that forwards events to the
graph's stream; tests pass :class:`RecordingProgress` and look at what was reported.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, runtime_checkable

__all__ = [
    "NullProgress",
    "ProgressEvent",
    "ProgressReporter",
    "RecordingProgress",
    "TerminalProgress",
    "default_progress",
]


@dataclass(frozen=True)
class ProgressEvent:
    """One progress update: ``done`` of ``total`` units of ``task``."""

    task: str
    done: int
    total: int | None
    message: str = ""


@runtime_checkable
class ProgressReporter(Protocol):
    """Receives progress updates. Must be cheap: engines call it in their loops."""

    def update(self, event: ProgressEvent) -> None:
        """Report that ``event.done`` units of ``event.task`` are finished."""


class NullProgress:
    """Discards every update (library use without a terminal)."""

    def update(self, event: ProgressEvent) -> None:
        """Ignore the event."""


@dataclass
class RecordingProgress:
    """Keeps every update; used by tests and by the graph to forward events."""

    events: list[ProgressEvent] = field(default_factory=list)

    def update(self, event: ProgressEvent) -> None:
        """Store the event."""
        self.events.append(event)


class TerminalProgress:
    """A tqdm bar per task on stderr; silent when stderr is not a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars: dict[str, object] = {}

    def update(self, event: ProgressEvent) -> None:
        """Advance (or open, or close) the bar for ``event.task``."""
        if not self._enabled:
            return
        from tqdm import tqdm  # local: tqdm is only needed on a terminal

        bar = self._bars.get(event.task)
        if bar is None:
            bar = tqdm(total=event.total, desc=event.task, file=sys.stderr, leave=False)
            self._bars[event.task] = bar
        assert isinstance(bar, tqdm)
        bar.n = event.done
        if event.message:
            bar.set_postfix_str(event.message, refresh=False)
        bar.refresh()
        if event.total is not None and event.done >= event.total:
            bar.close()
            del self._bars[event.task]

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from tqdm import tqdm

        for bar in self._bars.values():
            if isinstance(bar, tqdm):
                bar.close()
        self._bars.clear()


def default_progress(progress: ProgressReporter | None) -> ProgressReporter:
    """``progress`` or a reporter that discards everything."""
    return progress if progress is not None else NullProgress()
