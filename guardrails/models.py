"""Typed, immutable records of the guardrail layer: decisions, reasons, states, requests.

Everything the gate hands out (to the agent graph, the CLI, the audit log) is one of these
frozen models, so a decision cannot be edited after it was made and every field has a
description that reaches the model when a tool returns it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.brokers.models import Attribution, Fill, Order, OrderState

__all__ = [
    "APPROVAL_CODES",
    "ApprovalDecisionReport",
    "ApprovalRequest",
    "ApprovalSettlement",
    "ApprovalStatus",
    "CheckResult",
    "Decision",
    "FillReport",
    "GateOutcome",
    "PriceQuote",
    "Reason",
    "ReasonCode",
    "RiskStatus",
    "StateChange",
    "TradingState",
]


class Decision(StrEnum):
    """What the gate decided about one order."""

    ALLOW = "allow"
    REJECT = "reject"
    NEEDS_APPROVAL = "needs_approval"


class TradingState(StrEnum):
    """The trading state gates everything: REDUCING lets only risk-reducing orders through."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


class ReasonCode(StrEnum):
    """Machine-readable reason codes. ``approval_*`` codes ask for a person; the rest reject."""

    MALFORMED_ORDER = "malformed_order"
    TRADING_HALTED = "trading_halted"
    REDUCING_ONLY = "reducing_only"
    SYMBOL_NOT_ALLOWED = "symbol_not_allowed"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    NO_REFERENCE_PRICE = "no_reference_price"
    STALE_PRICE = "stale_price"
    NO_ACCOUNT = "no_account"
    NO_EQUITY = "no_equity"
    MAX_QTY = "max_qty"
    MAX_NOTIONAL = "max_notional"
    PRICE_COLLAR = "price_collar"
    MAX_POSITION_WEIGHT = "max_position_weight"
    MAX_GROSS_EXPOSURE = "max_gross_exposure"
    BUYING_POWER = "buying_power"
    SHORT_NOT_ALLOWED = "short_not_allowed"
    RATE_PER_MINUTE = "rate_per_minute"
    RATE_PER_DAY = "rate_per_day"
    DUPLICATE_KEY = "duplicate_key"
    DUPLICATE_ORDER = "duplicate_order"
    MIN_QTY = "min_qty"
    FRACTIONAL_QTY = "fractional_qty"
    NOT_APPROVED = "not_approved"
    APPROVAL_EXPIRED = "expired_request"
    BROKER_REJECTED = "broker_rejected"
    APPROVAL_ALWAYS = "approval_always"
    APPROVAL_NOTIONAL = "approval_notional"
    APPROVAL_AGGREGATE_NOTIONAL = "approval_aggregate_notional"
    APPROVAL_NEW_SYMBOL = "approval_new_symbol"
    APPROVAL_WHILE_REDUCING = "approval_while_reducing"
    APPROVAL_FIRST_ORDER_OF_DAY = "approval_first_order_of_day"


#: Codes that ask for a person's approval instead of rejecting.
APPROVAL_CODES: frozenset[ReasonCode] = frozenset({
    ReasonCode.APPROVAL_ALWAYS,
    ReasonCode.APPROVAL_NOTIONAL,
    ReasonCode.APPROVAL_AGGREGATE_NOTIONAL,
    ReasonCode.APPROVAL_NEW_SYMBOL,
    ReasonCode.APPROVAL_WHILE_REDUCING,
    ReasonCode.APPROVAL_FIRST_ORDER_OF_DAY,
})


class Reason(BaseModel):
    """One reason behind a decision: a stable code for programs, a sentence for people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: ReasonCode = Field(description="Stable machine-readable code of the check that fired.")
    message: str = Field(description="What was wrong and what would pass, in one sentence.")


class PriceQuote(BaseModel):
    """A reference price and the moment it became known (for the staleness check)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    price: float = Field(gt=0, description="Last price used for the checks.")
    time: datetime = Field(description="When this price became known (UTC).")
    source: str = Field(default="", description="Where the price came from.")


class CheckResult(BaseModel):
    """The pure pre-trade check's verdict on one order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision
    reasons: tuple[Reason, ...] = Field(default=(), description="Why (empty when allowed).")
    policy_hash: str = Field(description="Version hash of the policy that decided.")
    order: Order | None = Field(default=None, description="The parsed order; None if malformed.")
    reference_price: float | None = Field(default=None, description="Price used for the checks.")
    notional: float | None = Field(default=None, description="qty x check price.")
    risk_reducing: bool = Field(default=False, description="True if the order shrinks a position.")


class GateOutcome(BaseModel):
    """What :meth:`guardrails.Gate.propose` (and friends) return to the caller."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: Decision = Field(description="allow (submitted), reject, or needs_approval.")
    reasons: tuple[Reason, ...] = Field(default=(), description="Why; empty when allowed.")
    policy_hash: str = Field(description="Version hash of the policy that decided.")
    trading_state: TradingState = Field(description="Trading state after the decision.")
    order: Order | None = Field(default=None, description="The order as checked (None if malformed).")
    approval_id: str | None = Field(default=None, description="Approval request id when needs_approval.")
    order_state: OrderState | None = Field(default=None, description="Broker state once submitted.")
    fills: tuple[Fill, ...] = Field(default=(), description="Fills of this order seen so far.")
    submitted: bool = Field(default=False, description="True if this call sent the order to the broker.")

    def reason_codes(self) -> list[str]:
        """The codes alone, for quick assertions and logs."""
        return [r.code.value for r in self.reasons]


class ApprovalStatus(StrEnum):
    """Life cycle of an approval request."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUBMITTING = "submitting"
    EXECUTED = "executed"
    FAILED = "failed"


class ApprovalRequest(BaseModel):
    """A needs_approval decision waiting for (or decided by) a person. Stored durably."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Request id, e.g. apr-3f9c0a1b2c3d.")
    order: Order = Field(description="The order exactly as it will be submitted.")
    reasons: tuple[Reason, ...] = Field(description="Why a person must look at it.")
    policy_hash: str
    created: datetime
    expires: datetime
    status: ApprovalStatus
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    result: str | None = Field(default=None, description="What happened at submit time.")

    @property
    def attribution(self) -> Attribution:
        """Who proposed it (and, once approved, who approved it)."""
        return self.order.attribution


class ApprovalDecisionReport(BaseModel):
    """What a person's approve/reject actually did: the decision may lose a race.

    ``applied`` is False when the request was no longer open to this decision (another
    person decided first, it expired, it was already sent); ``message`` says what happened
    instead. Every attempt, applied or not, is in the audit log.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    approval_id: str
    wanted: Literal["approve", "reject"] = Field(description="What this person asked for.")
    by: str = Field(description="Who asked.")
    applied: bool = Field(description="True if this decision took effect.")
    previous_status: ApprovalStatus = Field(description="The request's status when the decision arrived.")
    request: ApprovalRequest = Field(description="The request after the decision.")
    veto_of: str | None = Field(default=None, description="Whose approval this rejection overrode (not yet sent).")
    message: str = Field(description="What happened, in one sentence.")


class ApprovalSettlement(BaseModel):
    """A person's decision and, for an approval, the one execution that followed (if any)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decision: ApprovalDecisionReport
    outcome: GateOutcome | None = Field(default=None, description="The execution outcome, when one was attempted.")
    sent: bool = Field(description="True if the order is at the broker (sent by this call or before).")
    sent_by_this_call: bool = Field(description="True if this call sent it.")
    message: str = Field(description="What happened, in one sentence.")


class FillReport(BaseModel):
    """Fills the gate asked the broker for, each audited as it happened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_key: str
    status: str | None = Field(description="The order's broker status afterwards (None if unknown).")
    fills: tuple[Fill, ...] = Field(default=(), description="Every fill of this order so far.")
    new_fills: tuple[Fill, ...] = Field(default=(), description="Fills made by this call.")
    fill_rule: str = Field(description="How the price was chosen.")
    problem: str | None = Field(default=None, description="Why nothing (more) was filled, if so.")


class StateChange(BaseModel):
    """One change of the trading state, with who or what caused it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    previous: TradingState
    state: TradingState
    reason: str
    by: str = Field(description="A person's name, or 'guardrails' for an automatic breach.")
    time: datetime


class RiskStatus(BaseModel):
    """The trading state and the numbers that drive it (``taorui risk status``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: TradingState
    state_reason: str
    state_changed_by: str
    state_changed_at: datetime | None
    policy_hash: str
    as_of: datetime
    equity: float | None = Field(description="Account value now, None when the account is unreachable.")
    cash: float | None
    high_water_mark: float | None
    drawdown_pct: float | None = Field(description="Percent below the high-water mark.")
    day_start_equity: float | None
    daily_loss_pct: float | None = Field(description="Percent lost since the first mark of the day.")
    orders_last_minute: int
    orders_today: int
    pending_approvals: int
    account_error: str | None = None
