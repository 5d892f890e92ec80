"""The trading cycle's engine side, usable without any LLM and without the gate.

Portfolio specs and modes (``_models``), scores to lots to orders (``_targets``), signal
providers that read no bar after their day (``_signals``), the replay clock and the live
schedule on an exchange calendar (``_clock``), the persisted event bus (``_events``), the
journal built from it (``_journal``) and the report (``_report``). The cycle itself, which
sends orders through the guardrail gate, is ``graphs.trading``.
"""

from taorui_engines.trading._clock import LivePlan, LiveSchedule, ReplayClock, market_time, sessions
from taorui_engines.trading._events import (
    ApprovalRequested,
    CycleFinished,
    DataUpdated,
    EventBus,
    OrderCancelled,
    OrderDecided,
    OrderFilled,
    OrdersProposed,
    ReasonItem,
    RiskStateChanged,
    SignalProduced,
    TradingEvent,
    event_json,
)
from taorui_engines.trading._journal import DayRecord, DecisionRecord, FillRecord, Journal, SignalRecord
from taorui_engines.trading._models import (
    Construction,
    FactorStrategy,
    OrderIntent,
    PortfolioSpec,
    QlibModelStrategy,
    RLPolicyStrategy,
    Signal,
    StrategySpec,
    TargetLine,
    TargetPortfolio,
    TradingMode,
    stricter,
)
from taorui_engines.trading._report import BlockedOrder, TradeReport, build_report
from taorui_engines.trading._signals import (
    FactorSignal,
    LookAheadError,
    ModelSignal,
    PointInTimeData,
    PolicySignal,
    SignalProvider,
    make_provider,
)
from taorui_engines.trading._targets import build_targets, order_diff

__all__ = [
    "ApprovalRequested", "BlockedOrder", "Construction", "CycleFinished", "DataUpdated", "DayRecord",
    "DecisionRecord", "EventBus", "FactorSignal", "FactorStrategy", "FillRecord", "Journal", "LivePlan",
    "LiveSchedule", "LookAheadError", "ModelSignal", "OrderCancelled", "OrderDecided", "OrderFilled", "OrderIntent",
    "OrdersProposed", "PointInTimeData", "PolicySignal", "PortfolioSpec", "QlibModelStrategy", "RLPolicyStrategy",
    "ReasonItem", "ReplayClock", "RiskStateChanged", "Signal", "SignalProduced", "SignalProvider", "SignalRecord",
    "StrategySpec", "TargetLine", "TargetPortfolio", "TradeReport", "TradingEvent", "TradingMode", "build_report",
    "build_targets", "event_json", "make_provider", "market_time", "order_diff", "sessions", "stricter",
]
