"""The console API's request and response models (what is not already a model of the graph
or the guardrails: those, ``AskResult``, ``RiskStatus``, ``AuditRecord`` and the
verification reports, are returned as they are)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from graphs import AskResult
from graphs.trading import PortfolioStatus
from guardrails import AuditRecord, AuditVerification, RiskStatus, StateChange, VerifyReport
from taorui_engines.trading import BlockedOrder, DecisionRecord, TradeReport

__all__ = [
    "THREAD_ID",
    "ApprovalItem",
    "AskRequest",
    "AuditPage",
    "AuditVerifyResult",
    "DecisionRequest",
    "DecisionResult",
    "ErrorBody",
    "HealthReport",
    "KillSwitchRequest",
    "KillSwitchResult",
    "MarketFreshness",
    "PortfolioSummary",
    "PortfolioView",
    "PositionRow",
    "ReplayRequest",
    "RiskView",
    "RunDetail",
    "RunSummary",
    "TradingOverview",
    "TradingRunRequest",
    "TradingRunStarted",
    "WhoAmI",
]

#: Thread ids as the runner makes them (``t-...``) or as a client chooses them.
THREAD_ID = r"^[A-Za-z0-9_.:\-]{1,128}$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(_Model):
    """Every error answer: ``{"error": {"type": ..., "message": ...}}``."""

    error: dict[str, str]


class WhoAmI(_Model):
    """The caller, as the token says."""

    name: str
    role: str


class AskRequest(_Model):
    """An instruction to the agents, in English or Chinese."""

    instruction: str = Field(min_length=1, max_length=4000, description="What to do.")
    thread_id: str | None = Field(default=None, pattern=THREAD_ID,
                                  description="Continue this thread (answer a question, or a new instruction).")


class DecisionRequest(_Model):
    """A person's approval or rejection."""

    reason: str = Field(default="", max_length=1000, description="Why (required to reject).")


class ApprovalItem(_Model):
    """An approval waiting for a person: a thread interrupted for its orders, or one gate request."""

    id: str = Field(description="What to approve: the thread id (`source=thread`), the request id (`apr-...`, "
                                "`source=gate`) or `cycle:<portfolio>` (`source=cycle`: a trading cycle's day).")
    source: Literal["thread", "gate", "cycle"]
    thread_id: str | None = None
    portfolio: str | None = Field(default=None, description="The paper portfolio whose cycle waits (`source=cycle`).")
    proposed_by: str = Field(description="The API user who asked, else the agent that proposed.")
    instruction: str | None = None
    requests: list[dict[str, Any]] = Field(description="The orders with the gate's reasons and expiry.")
    expires: datetime | None = Field(default=None, description="The earliest expiry of the requests.")
    seconds_left: float | None = Field(default=None, description="Time left before that expiry (0 once expired).")


class DecisionResult(_Model):
    """What a decision did: the thread's result after resuming it, or the gate's settlement."""

    id: str
    decision: Literal["approve", "reject"]
    by: str
    applied: bool
    message: str
    thread: AskResult | None = None
    settlement: dict[str, Any] | None = None
    fills: list[dict[str, Any]] = Field(default_factory=list)


class RunSummary(_Model):
    """A run folder: its state, metrics and files."""

    id: str
    modified: datetime
    state: str | None = Field(default=None, description="From status.json (done, failed, running).")
    metrics: dict[str, Any] | None = None
    files: list[str] = Field(description="File names inside the run folder (links: /api/runs/{id}/files/{name}).")
    pictures: list[str] = Field(description="Links to the PNG pictures.")


class RunDetail(RunSummary):
    """A run with its config and status."""

    config: dict[str, Any] | None = None
    status: dict[str, Any] | None = None


class RiskView(_Model):
    """The trading state and the policy in force (read-only)."""

    status: RiskStatus
    policy: dict[str, Any]


class KillSwitchRequest(_Model):
    """Halt trading (``on``) or put it back to active (``off``)."""

    on: bool = Field(description="True halts all trading; False resumes it.")
    reason: str = Field(min_length=1, max_length=1000, description="Why (audited).")


class KillSwitchResult(_Model):
    """The state after the switch."""

    changed: bool
    change: StateChange | None
    state: str
    reason: str


class AuditPage(_Model):
    """The newest rows of an audit log, oldest first."""

    log: Literal["guardrails", "console"]
    records: list[AuditRecord]


class AuditVerifyResult(_Model):
    """The guardrails' log with its cross-checks, and the console's own action log."""

    ok: bool
    guardrails: AuditVerification
    console: VerifyReport


class MarketFreshness(_Model):
    """How fresh one market's data is."""

    market: str
    instruments: int
    newest_bar: str
    days_since_newest: int
    synthetic: bool = Field(description="True if every instrument of the market is synthetic.")


class HealthReport(_Model):
    """Data freshness, the last trading cycle of each portfolio, the broker, memory size."""

    ok: bool
    markets: list[MarketFreshness]
    last_cycles: dict[str, str | None] = Field(description="Portfolio -> last day its cycle ran.")
    broker: dict[str, Any]
    memory_bytes: int | None
    problems: list[str] = Field(default_factory=list)


class ReplayRequest(_Model):
    """Options of "run again" (as ``taorui replay``)."""

    allow_data_change: bool = Field(default=False, description="Replay even if a series the run read has changed.")
    rtol: float = Field(default=0.0, ge=0.0, lt=1.0, description="Relative tolerance (0: bit for bit).")


class PortfolioSummary(_Model):
    """One paper portfolio at a glance (``taorui trade list`` and ``status``)."""

    name: str
    strategy: str | None = None
    mode: str | None = None
    trading_state: str | None = None
    cash: float | None = None
    value: float | None = None
    last_day: date | None = None
    paused_on: date | None = Field(default=None, description="The day waiting for a person, if any.")
    pending: int = Field(default=0, description="Orders waiting for a person.")
    problem: str | None = Field(default=None, description="Why the portfolio could not be read, if it could not.")


class TradingOverview(_Model):
    """Every paper portfolio of the home."""

    portfolios: list[PortfolioSummary]


class PositionRow(_Model):
    """A position at the last close (``taorui trade positions``)."""

    symbol: str
    qty: float
    close: float
    value: float


class PortfolioView(_Model):
    """A portfolio's trading cycle: positions, P&L, the day's decisions, blocked orders and why."""

    portfolio: str
    status: PortfolioStatus = Field(description="As `taorui trade status`.")
    positions: list[PositionRow] = Field(description="As `taorui trade positions`.")
    report: TradeReport = Field(description="As `taorui trade report` (P&L before and after costs, vs the benchmark).")
    today: date | None = Field(description="The latest cycle day: the day waiting for a person, else the last run.")
    decisions: list[DecisionRecord] = Field(description="Every order's decision on `today`, with the reasons.")
    blocked: list[BlockedOrder] = Field(description="Every order that did not go, newest first, and why.")
    risk: RiskStatus = Field(description="The portfolio's own gate: trading state, drawdown, limits (`trade risk`).")


class TradingRunRequest(_Model):
    """One run of a portfolio's trading cycle, as ``taorui trade run --portfolio NAME`` takes it."""

    day: date | None = Field(default=None, description="First day of a replay (`--from`); none: today's cycle, on "
                                                       "the store's last bar (as `trade run` without `--from`).")
    until: date | None = Field(default=None, description="Last day of a replay (`--to`; default: `day`).")
    mode: Literal["supervised", "semi-auto", "dry-run"] | None = Field(
        default=None, description="A stricter mode for this run only (`--mode`; semi-auto < supervised < dry-run).")


class TradingRunStarted(_Model):
    """A cycle run started in the background; follow it on ``/api/events``."""

    run_id: str = Field(description="The run's id: its events carry it.")
    portfolio: str
    started: datetime
    by: str
    day: date | None = None
    until: date | None = None
    mode: str | None = None
    after: int = Field(description="The event stream's last id before the run: read "
                                   "`/api/events?portfolio=NAME&after=AFTER&until_done=true` to follow it.")
    events: str = Field(description="That URL.")
