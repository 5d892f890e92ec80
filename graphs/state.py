"""The orchestration graph's typed state and the records it accumulates.

State holds only plain data (strings, numbers, lists, dicts) and LangChain messages, so the
SQLite checkpointer can store it with the strict serializer (which revives no pydantic model)
and a killed process can resume from it. The records are pydantic models all the same: a
node reads a field through its :class:`Stored` (``PENDING.load_all(state.get(...))``), which
validates the data into the model and refuses a malformed entry with an
:class:`~taorui_engines.errors.InternalError` that names it, and writes the model back as
JSON data (``PENDING.dump(item)``). Nodes and the runner work with the models; they become
message text only at the message edge (``graphs._messages``).

Records carry the ``instruction_id`` they belong to: a thread may hold several
instructions, and each answer reports only its own calls, runs and approvals.

A pending decision is one of two kinds, told apart by its ``kind`` (never by its id):

- :class:`GateApproval` (``"gate"``): the gate decided ``needs_approval``; its request waits
  at the gate, which re-checks and sends the order once a person approves.
- :class:`PersonApproval` (``"person"``): the person asked to see the order first; nothing
  was proposed to the gate yet. Approved, it is proposed then (and the gate still checks it).
"""

from __future__ import annotations

import operator
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypedDict, TypeVar

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agents import HandoverArgs
from guardrails import (
    ApprovalSettlement,
    ApprovalStatus,
    Decision,
    FillReport,
    Reason,
    ReasonCode,
    TradingState,
)
from taorui_engines.brokers.models import Fill, Order, OrderState
from taorui_engines.errors import InternalError
from tools.order_tools import PlaceOrderArgs, PlaceOrderResult

__all__ = [
    "APPROVALS",
    "HANDOVER",
    "PENDING",
    "TOOL_CALLS",
    "ApprovalOutcome",
    "ApprovalRecord",
    "GateApproval",
    "GraphReason",
    "GraphReasonCode",
    "GraphState",
    "Handover",
    "PendingApproval",
    "PersonApproval",
    "Settlement",
    "Status",
    "Stored",
    "ToolCallRecord",
    "Verdict",
]

Status = Literal["running", "done", "needs_approval", "needs_clarification", "failed"]
#: What became of a pending decision.
Verdict = Literal["approved", "rejected", "expired"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class GraphReasonCode(StrEnum):
    """Reasons the graph gives itself (the gate's own are :class:`guardrails.ReasonCode`)."""

    PERSON_ASKED = "person_asked"
    COMPUTED_QUANTITY = "computed_quantity"
    INFERRED_ORDER = "inferred_order"
    CONDITIONAL_ORDER = "conditional_order"
    NO_GATE = "no_gate"
    TOOL_ERROR = "tool_error"


class GraphReason(BaseModel):
    """Why the graph holds an order for a person, or why it could not send one."""

    model_config = _FROZEN

    code: GraphReasonCode = Field(description="Stable machine-readable code.")
    message: str = Field(description="What happened, in one sentence.")


class GateApproval(BaseModel):
    """The gate asked for a person: its request waits at the gate for a decision."""

    model_config = _FROZEN

    kind: Literal["gate"] = "gate"
    approval_id: str = Field(description="The gate's request id.")
    call_id: str = Field(description="The place_order call that proposed the order.")
    order: Order = Field(description="The order exactly as the gate will submit it.")
    reasons: tuple[Reason, ...] = Field(description="Why the gate wants a person.")
    expires: datetime = Field(description="After this the gate sends nothing.")
    note: str = Field(default="", description="How the planner computed the size, if it did.")


class PersonApproval(BaseModel):
    """The person asked to see the order first: nothing was proposed to the gate yet."""

    model_config = _FROZEN

    kind: Literal["person"] = "person"
    approval_id: str = Field(description="The graph's id for the request (shown to the person).")
    call_id: str = Field(description="The place_order call that is held.")
    order: PlaceOrderArgs = Field(description="The order's arguments, proposed to the gate once approved.")
    reasons: tuple[GraphReason, ...] = Field(description="Why it is held.")
    expires: datetime = Field(description="After this an approval sends nothing.")
    note: str = Field(default="", description="How the planner computed the size, if it did.")


#: A decision the person owes: the interrupt carries these, the approval node settles them.
PendingApproval = Annotated[GateApproval | PersonApproval, Field(discriminator="kind")]


class Settlement(BaseModel):
    """What a person's decision did at the gate (it may have lost a race to another person)."""

    model_config = _FROZEN

    applied: bool = Field(description="True if this decision took effect.")
    wanted: Literal["approve", "reject"]
    by: str
    veto_of: str | None = Field(description="Whose approval this rejection overrode (not yet sent).")
    status: ApprovalStatus = Field(description="The request's status after the decision.")
    decided_by: str | None
    decision_reason: str | None
    sent: bool = Field(description="True if the order is at the broker (sent by this decision or before).")
    sent_by_this_call: bool
    message: str

    @classmethod
    def of(cls, settled: ApprovalSettlement) -> Settlement:
        """The gate's settlement, as the graph records it."""
        report, request = settled.decision, settled.decision.request
        return cls(applied=report.applied, wanted=report.wanted, by=report.by, veto_of=report.veto_of,
                   status=request.status, decided_by=request.decided_by, decision_reason=request.decision_reason,
                   sent=settled.sent, sent_by_this_call=settled.sent_by_this_call, message=settled.message)


class ApprovalOutcome(BaseModel):
    """What followed a person's decision: the gate's decision, the order, its paper fills."""

    model_config = _FROZEN

    decision: Decision = Field(description="allow (sent), reject or needs_approval.")
    reasons: tuple[Reason | GraphReason, ...] = ()
    order_key: str | None = None
    order: Order | None = Field(default=None, description="The order as the gate checked it.")
    approval_id: str | None = Field(default=None, description="The gate's request id, if it asked for a person.")
    policy_hash: str | None = None
    trading_state: TradingState | None = None
    order_state: OrderState | None = Field(default=None, description="The broker's state when it was sent.")
    submitted: bool = Field(default=False, description="True if this decision sent the order.")
    fills: tuple[Fill, ...] = ()
    fill_rule: str | None = Field(default=None, description="How the paper fill's price was chosen.")
    status: str | None = Field(default=None, description="The order's broker status after the paper fill.")
    settlement: Settlement | None = Field(default=None, description="What the decision did at the gate.")

    @classmethod
    def refused(cls, code: ReasonCode | GraphReasonCode, message: str) -> ApprovalOutcome:
        """Nothing was sent, for one reason."""
        reason = Reason(code=code, message=message) if isinstance(code, ReasonCode) else GraphReason(
            code=code, message=message)
        return cls(decision=Decision.REJECT, reasons=(reason,))

    @classmethod
    def settled(cls, settled: ApprovalSettlement) -> ApprovalOutcome:
        """The outcome of a gate request a person decided (with the execution, if any)."""
        done, request = settled.outcome, settled.decision.request
        if done is None:
            return cls(decision=Decision.REJECT, order=request.order, order_key=request.order.key,
                       reasons=(Reason(code=ReasonCode.NOT_APPROVED, message=settled.decision.message),),
                       settlement=Settlement.of(settled))
        return cls(decision=done.decision, reasons=done.reasons, order_key=done.order.key if done.order else None,
                   order=done.order, approval_id=done.approval_id, policy_hash=done.policy_hash,
                   trading_state=done.trading_state, order_state=done.order_state, submitted=done.submitted,
                   fills=done.fills, settlement=Settlement.of(settled))

    @classmethod
    def placed(cls, placed: PlaceOrderResult) -> ApprovalOutcome:
        """The gate's decision on an order proposed after the person approved it."""
        reasons = tuple(Reason(code=ReasonCode(r.code), message=r.message) for r in placed.reasons)
        return cls(decision=Decision(placed.decision), reasons=reasons, order_key=placed.order_key,
                   approval_id=placed.approval_id, policy_hash=placed.policy_hash,
                   trading_state=TradingState(placed.trading_state), submitted=placed.decision == "allow")

    def filled(self, report: FillReport) -> ApprovalOutcome:
        """This outcome with the order's paper fills."""
        return self.model_copy(update={"fills": report.fills, "fill_rule": fill_rule(report),
                                       "status": report.status})


def fill_rule(report: FillReport) -> str:
    """How the paper fills were priced, and why nothing (more) was filled, if so."""
    return report.fill_rule + (f"; not filled: {report.problem}" if report.problem else "")


class ApprovalRecord(BaseModel):
    """A person's decision on one pending request and what followed."""

    model_config = _FROZEN

    instruction_id: str
    request: PendingApproval
    decision: Verdict
    by: str
    reason: str
    outcome: ApprovalOutcome


class ToolCallRecord(BaseModel):
    """One tool call as the answer reports it."""

    model_config = _FROZEN

    instruction_id: str
    agent: str
    name: str
    args: dict[str, Any] = Field(description="The arguments as the model sent them.")
    ok: bool
    error: str | None = Field(description="'Type: message' when the call failed.")
    note: str | None
    fills: tuple[Fill, ...] = Field(default=(), description="Paper fills of an order this call sent.")


class Handover(HandoverArgs):
    """A hand-over as the state keeps it: the call's arguments and the agent that made it."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True,
                              serialize_by_alias=True)

    sender: str = Field(alias="from", description="The agent that handed over.")


M = TypeVar("M")


def _problem(loc: tuple[int | str, ...], msg: str) -> str:
    where = ".".join(str(p) for p in loc)
    return f"{where}: {msg}" if where else msg


class Stored(Generic[M]):
    """A state field kept as JSON data and read back as a model (see the module docstring)."""

    def __init__(self, field: str, kind: Any) -> None:
        self.field = field
        self._adapter: TypeAdapter[M] = TypeAdapter(kind)

    def load(self, data: Any, where: str | None = None) -> M:
        """The model ``data`` holds; a malformed entry is an :class:`InternalError` naming it."""
        try:
            return self._adapter.validate_python(data)
        except ValidationError as exc:
            problems = "; ".join(_problem(e["loc"], e["msg"]) for e in exc.errors(include_url=False))
            raise InternalError(f"the thread's state holds a malformed {where or self.field}: {problems}") from exc

    def load_all(self, items: Any) -> list[M]:
        """Every entry of a list field (``None`` is an empty list)."""
        return [self.load(item, f"{self.field}[{i}]") for i, item in enumerate(items or [])]

    def dump(self, value: M) -> dict[str, Any]:
        """``value`` as the JSON data the checkpointer stores."""
        data: dict[str, Any] = self._adapter.dump_python(value, mode="json", by_alias=True)
        return data


PENDING: Stored[GateApproval | PersonApproval] = Stored("pending_approvals", PendingApproval)
APPROVALS: Stored[ApprovalRecord] = Stored("approvals", ApprovalRecord)
TOOL_CALLS: Stored[ToolCallRecord] = Stored("tool_calls", ToolCallRecord)
HANDOVER: Stored[Handover] = Stored("handover", Handover)

#: A record as JSON data: what a state field holds (read it with its :class:`Stored`).
Data = dict[str, Any]


class GraphState(TypedDict, total=False):
    """State of one thread. Nodes return partial updates; list fields accumulate."""

    thread_id: str
    instruction: str
    instruction_id: str
    today: str  # the calendar day the instruction was asked on (ISO): how old the data is, by it
    earlier: list[str]
    language: Literal["en", "zh"]
    catalog: list[dict[str, Any]]
    memory: list[dict[str, Any]]
    messages: Annotated[list[AnyMessage], add_messages]
    active: str | None
    task: str
    handover: Data | None  # Handover (HANDOVER)
    hops: int
    tool_calls: Annotated[list[Data], operator.add]  # ToolCallRecord (TOOL_CALLS)
    run_ids: Annotated[list[dict[str, str]], operator.add]
    pending_approvals: list[Data]  # GateApproval | PersonApproval (PENDING)
    approvals: Annotated[list[Data], operator.add]  # ApprovalRecord (APPROVALS)
    usage: dict[str, Any]
    status: Status
    answer: str
    agent: str | None
    error: dict[str, str] | None
    run_dir: str | None
    require_approval: bool
    approval_reason: str | None
    task_spec: dict[str, Any] | None
