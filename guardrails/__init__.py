"""Guardrails: the risk policy, pre-trade checks, trading state, approvals and audit log,
and the :class:`Gate` that is the only path from an order proposal to a broker.

See ``guardrails/gate.py`` for the gate's API and ``docs/guardrails.md`` for the semantics.
"""

from guardrails._crosscheck import AuditVerification, CrossCheckProblem
from guardrails.approvals import ApprovalStore
from guardrails.audit import AuditKind, AuditLog, AuditRecord, VerifyReport
from guardrails.checks import Book, CheckInputs, evaluate, loss_breaches, parse_order
from guardrails.gate import AUDIT_FILE, STATE_FILE, AccountView, Gate
from guardrails.models import (
    APPROVAL_CODES,
    ApprovalDecisionReport,
    ApprovalRequest,
    ApprovalSettlement,
    ApprovalStatus,
    CheckResult,
    Decision,
    FillReport,
    GateOutcome,
    PriceQuote,
    Reason,
    ReasonCode,
    RiskStatus,
    StateChange,
    TradingState,
)
from guardrails.policy import BreachAction, Policy, default_policy, load_policy, policy_from_text
from guardrails.reference import (
    Clock,
    FixedClock,
    ReferenceData,
    SessionClock,
    as_utc,
    system_clock,
)
from guardrails.state import TradingStateStore

__all__ = [
    "APPROVAL_CODES",
    "AUDIT_FILE",
    "STATE_FILE",
    "AccountView",
    "ApprovalDecisionReport",
    "ApprovalRequest",
    "ApprovalSettlement",
    "ApprovalStatus",
    "ApprovalStore",
    "AuditKind",
    "AuditLog",
    "AuditRecord",
    "AuditVerification",
    "Book",
    "BreachAction",
    "CheckInputs",
    "CheckResult",
    "Clock",
    "CrossCheckProblem",
    "Decision",
    "FillReport",
    "FixedClock",
    "Gate",
    "GateOutcome",
    "Policy",
    "PriceQuote",
    "Reason",
    "ReasonCode",
    "ReferenceData",
    "SessionClock",
    "RiskStatus",
    "StateChange",
    "TradingState",
    "TradingStateStore",
    "VerifyReport",
    "as_utc",
    "default_policy",
    "evaluate",
    "load_policy",
    "loss_breaches",
    "parse_order",
    "policy_from_text",
    "system_clock",
]
