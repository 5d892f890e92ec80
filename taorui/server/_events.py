"""The in-process event bus of the console: the graph's progress events of API asks, and the
trading cycle's events of the cycles started through the API (``POST /api/trading/{portfolio}/run``).

Publishers (the ask endpoint's ``on_event``) run on worker threads; readers (the SSE
endpoint) poll from the event loop. Events get increasing sequence numbers and the last
``capacity`` are kept, so a client that reconnects with ``Last-Event-ID`` misses nothing
recent.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ConsoleEvent", "EventBus"]


class ConsoleEvent(BaseModel):
    """One event as streamed: a graph node finished, a tool's progress, an ask's end, a trading
    cycle's event, a cycle's end."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(description="Increasing id (the SSE event id).")
    time: datetime
    thread_id: str | None = Field(default=None, description="The thread the event belongs to.")
    kind: str = Field(description="`graph` (a node or progress), `ask` (an ask ended), `approval`, `risk`, "
                                  "`replay`, `trading` (a trading cycle's event), `trading_done` (a cycle run ended).")
    node: str = Field(default="", description="The graph node (or `progress`) of graph events; the event's type "
                                              "(`data_updated`, `order_decided`, ...) of trading events.")
    text: str = ""
    user: str | None = Field(default=None, description="Who caused it (the API user), when known.")
    portfolio: str | None = Field(default=None, description="The paper portfolio, for trading events.")
    run_id: str | None = Field(default=None, description="The cycle run (`POST /api/trading/{portfolio}/run`) "
                                                         "the event belongs to.")
    data: dict[str, Any] | None = Field(default=None, description="The trading event's fields (as `taorui trade "
                                                                  "run --json` has them), or a run's outcome.")


class EventBus:
    """Thread-safe publish, and reads by sequence number."""

    def __init__(self, capacity: int = 2000) -> None:
        self._events: deque[ConsoleEvent] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = 0

    def publish(self, kind: str, text: str = "", *, thread_id: str | None = None, node: str = "",
                user: str | None = None, portfolio: str | None = None, run_id: str | None = None,
                data: dict[str, Any] | None = None) -> ConsoleEvent:
        """Add an event; it is returned with its sequence number."""
        with self._lock:
            self._seq += 1
            event = ConsoleEvent(seq=self._seq, time=datetime.now(UTC), thread_id=thread_id, kind=kind,
                                 node=node, text=text, user=user, portfolio=portfolio, run_id=run_id, data=data)
            self._events.append(event)
            return event

    def since(self, after: int, thread_id: str | None = None, portfolio: str | None = None) -> list[ConsoleEvent]:
        """Events with ``seq > after`` (of one thread, of one portfolio, when given), oldest first."""
        with self._lock:
            events = [e for e in self._events if e.seq > after]
        return [e for e in events if (thread_id is None or e.thread_id == thread_id)
                and (portfolio is None or e.portfolio == portfolio)]

    @property
    def last_seq(self) -> int:
        """The newest sequence number (0 before any event)."""
        with self._lock:
            return self._seq
