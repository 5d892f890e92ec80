"""Builds the orchestration graph over a test home through the app's composition root.

Real components throughout (data center over the sample store, registered tools, the
guardrail gate on the session clock, the SQLite paper broker, the SQLite checkpointer), all
from :class:`taorui.wiring.AppContext`, as ``taorui ask`` gets them; only the chat model is
chosen by the test (the offline planner or the scripted server), the shipped risk policy is
in force whatever the environment says, and the model runs the agents' tools itself unless a
test passes an ``executor``. Memory is left out unless a test passes one (loading the
embedding model is slow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from langchain_core.language_models import BaseChatModel

from agents.llm import LLMConfig
from graphs import Orchestrator
from guardrails import Gate, SessionClock
from taorui.settings import Settings
from taorui.wiring import AppContext, market_session_clock
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter


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
    """The session's market clock over ``data``, shared with every ``taorui`` process of the
    home whose state folder is ``state`` (as the CLI builds it)."""
    return market_session_clock(data, state)


def app(home: Path, wall_clock: Callable[[], datetime] | None = None) -> AppContext:
    """The composition root over ``home``: quiet, no memory, the shipped policy."""
    settings = Settings(home=home, risk_policy_file=None, audit_anchor_dir=None)
    return AppContext(settings=settings, quiet=True, wall_clock=wall_clock, with_memory=False)


def build_env(home: Path, model: BaseChatModel, llm: LLMConfig | None = None,
              wall_clock: Callable[[], datetime] | None = None, **deps: Any) -> GraphEnv:
    """An orchestrator over ``home`` with ``model`` as the chat model (``deps``: other GraphDeps fields)."""
    root = app(home, wall_clock)
    orchestrator = root.build_orchestrator(model=model, llm=llm or LLMConfig(), **{"executor": None, **deps})
    return GraphEnv(orchestrator, cast(PaperBroker, root.broker), root.session_gate, root.data, home,
                    root.session_clock)


def cheap_member(data: DataCenter, budget: float = 20_000.0) -> tuple[str, float]:
    """A csi_syn stock whose 100-share lot costs under ``budget`` at the last close."""
    members = list(data.universes()["csi_syn"].members)
    last = max(data.info(members[0]).end for _ in (0,))
    bars = data.get_price(members, datetime.fromisoformat(last) - timedelta(days=10), last, fields=["close"])
    closes = bars.groupby("symbol")["close"].last().sort_values()
    symbol = next(s for s, price in closes.items() if 100 * price < budget)
    return str(symbol), float(closes[symbol])
