"""Builds the orchestration graph over a test home, the way ``taorui ask`` does.

Real components throughout (data center over the sample store, registered tools, the
guardrail gate on the session clock, the SQLite paper broker, the SQLite checkpointer);
only the chat model is chosen by the test (the offline planner or the scripted server).
Memory is left out unless a test passes one (loading the embedding model is slow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.llm import LLMConfig
from graphs import GraphDeps, Orchestrator, open_checkpointer
from graphs.adapters import GateDesk, GateMarket
from guardrails import Gate, SessionClock, load_policy
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from tools import ToolContext
from tools.order_tools import EXECUTE_TOOLS, DataCenterReference
from tools.registry import all_tools


@dataclass
class GraphEnv:
    """The orchestrator plus the pieces a test inspects."""

    orchestrator: Orchestrator
    broker: PaperBroker
    gate: Gate
    data: DataCenter
    home: Path
    clock: SessionClock


def session_clock(data: DataCenter, state: Path) -> SessionClock:
    """Just after the close of the newest bar in the store, moving with the wall clock, shared
    with every ``taorui`` process of the same home (as the CLI does)."""
    newest = max(i.end for i in data.list_instruments())
    anchor = datetime.fromisoformat(newest).replace(tzinfo=UTC) + timedelta(hours=16, minutes=5)
    return SessionClock(anchor, state / "session_clock.json")


def build_env(home: Path, model: BaseChatModel, llm: LLMConfig | None = None,
              wall_clock: Callable[[], datetime] | None = None, **deps: Any) -> GraphEnv:
    """An orchestrator over ``home`` with ``model`` as the chat model."""
    data = DataCenter(home / "data")
    state = home / "state"
    clock = session_clock(data, state)
    reference = DataCenterReference(data)
    broker = PaperBroker(state / "paper_broker.sqlite", data, clock=clock)
    gate = Gate(load_policy(None), broker, reference, state, clock=clock,
                **({"wall_clock": wall_clock} if wall_clock else {}))
    ctx = ToolContext(data=data, runs_dir=home / "runs", state_dir=state, gate=gate)
    graph_deps = GraphDeps(model=model, llm=llm or LLMConfig(), tool_context=ctx,
                           tools={**all_tools(), **{t.name: t for t in EXECUTE_TOOLS}}, desk=GateDesk(gate),
                           market=GateMarket(gate), **deps)
    return GraphEnv(Orchestrator(graph_deps, open_checkpointer(state), lock_dir=state), broker, gate, data, home,
                    clock)


def cheap_member(data: DataCenter, budget: float = 20_000.0) -> tuple[str, float]:
    """A csi_syn stock whose 100-share lot costs under ``budget`` at the last close."""
    members = list(data.universes()["csi_syn"].members)
    last = max(data.info(members[0]).end for _ in (0,))
    bars = data.get_price(members, datetime.fromisoformat(last) - timedelta(days=10), last, fields=["close"])
    closes = bars.groupby("symbol")["close"].last().sort_values()
    symbol = next(s for s, price in closes.items() if 100 * price < budget)
    return str(symbol), float(closes[symbol])
