"""The trading-cycle graph and the desk that runs it (see ``_graph`` and ``_desk``)."""

from graphs.trading._desk import CycleRun, Explanation, GateFactory, PortfolioStatus, TradingDesk
from graphs.trading._graph import CycleDeps, build_cycle_graph
from graphs.trading._state import CycleDecision, CycleState, GatePending, Pending, PersonPending

__all__ = ["CycleDecision", "CycleDeps", "CycleRun", "CycleState", "Explanation", "GateFactory", "GatePending",
           "Pending", "PersonPending", "PortfolioStatus", "TradingDesk", "build_cycle_graph"]
