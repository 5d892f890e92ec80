"""Progress of long tools (training, backtests, mining) forwarded into the graph's stream.

A tool's engine reports to a :class:`~taorui_engines.progress.ProgressReporter`. Inside a
graph run, the tools node hands it a :class:`GraphProgress`: every update still reaches the
app's own reporter (the terminal bar), and a thinned copy goes to LangGraph's ``custom``
stream as ``{"progress": {...}}``, where ``Orchestrator`` turns it into a
``GraphEvent(node="progress")`` and a LangGraph server streams it to its clients.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from taorui_engines.progress import ProgressEvent, ProgressReporter

__all__ = ["PROGRESS_KEY", "GraphProgress", "progress_text"]

PROGRESS_KEY = "progress"
#: Least seconds between two forwarded updates of one task (the first and the last always go).
MIN_INTERVAL_S = 0.5


def _writer() -> Callable[[Any], None] | None:
    """LangGraph's stream writer, or None outside a graph run (or on a thread without its context)."""
    try:
        from langgraph.config import get_stream_writer

        return get_stream_writer()
    except (RuntimeError, KeyError, ImportError):
        return None


class GraphProgress:
    """Passes every update to ``inner`` and a thinned copy to the graph's stream."""

    def __init__(self, inner: ProgressReporter, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner
        self._clock = clock
        self._last: dict[str, float] = {}

    def update(self, event: ProgressEvent) -> None:
        """Report to the app's reporter; forward to the stream when due."""
        self._inner.update(event)
        now = self._clock()
        finished = event.total is not None and event.done >= event.total
        last = self._last.get(event.task)
        if last is not None and not finished and now - last < MIN_INTERVAL_S:
            return
        write = _writer()
        if write is None:
            return
        self._last[event.task] = now
        write({PROGRESS_KEY: {"task": event.task, "done": event.done, "total": event.total,
                              "message": event.message}})


def progress_text(payload: dict[str, Any]) -> str:
    """``factor mining 2/6: 40 tried, 1 accepted`` from a forwarded update."""
    total = payload.get("total")
    share = f"{payload.get('done')}/{total}" if total is not None else f"{payload.get('done')}"
    message = payload.get("message") or ""
    return f"{payload.get('task')} {share}" + (f": {message}" if message else "")
