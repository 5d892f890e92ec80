"""The in-process event bus of the console: the graph's progress events of API asks.

Publishers (the ask endpoint's ``on_event``) run on worker threads; readers (the SSE
endpoint) poll from the event loop. Events get increasing sequence numbers and the last
``capacity`` are kept, so a client that reconnects with ``Last-Event-ID`` misses nothing
recent.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ConsoleEvent", "EventBus"]


class ConsoleEvent(BaseModel):
    """One event as streamed: a graph node finished, a tool's progress, an ask's end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(description="Increasing id (the SSE event id).")
    time: datetime
    thread_id: str | None = Field(default=None, description="The thread the event belongs to.")
    kind: str = Field(description="`graph` (a node or progress), `ask` (an ask ended), `approval`, `risk`.")
    node: str = Field(default="", description="The graph node (or `progress`), for graph events.")
    text: str = ""
    user: str | None = Field(default=None, description="Who caused it (the API user), when known.")


class EventBus:
    """Thread-safe publish, and reads by sequence number."""

    def __init__(self, capacity: int = 2000) -> None:
        self._events: deque[ConsoleEvent] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def publish(self, kind: str, text: str = "", *, thread_id: str | None = None, node: str = "",
                user: str | None = None) -> ConsoleEvent:
        """Add an event; it is returned with its sequence number."""
        with self._lock:
            self._seq += 1
            event = ConsoleEvent(seq=self._seq, time=datetime.now(UTC), thread_id=thread_id, kind=kind,
                                 node=node, text=text, user=user)
            self._events.append(event)
            return event

    def since(self, after: int, thread_id: str | None = None) -> list[ConsoleEvent]:
        """Events with ``seq > after`` (of one thread when given), oldest first."""
        with self._lock:
            events = [e for e in self._events if e.seq > after]
        return [e for e in events if thread_id is None or e.thread_id == thread_id]

    @property
    def last_seq(self) -> int:
        """The newest sequence number (0 before any event)."""
        with self._lock:
            return self._seq
