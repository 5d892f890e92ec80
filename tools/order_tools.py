"""Order tools: the gated execute tools (``place_order``, ``cancel_order``) and read tools.

This is the only module that holds the gate token of ``tools._base``: an execute-kind
:class:`~tools._base.Tool` can only be built by :func:`gated_tool`, whose function runs the
action through a real :class:`guardrails.Gate` taken from ``ToolContext.gate`` (anything
else is refused). The broker never appears in a tool's arguments, context or result.

- :data:`TOOLS` (registered in ``tools.registry``): ``get_account``, ``risk_status``,
  ``list_approvals`` (read-only).
- :data:`EXECUTE_TOOLS` (not registered; the trading agent adds them): ``place_order``,
  ``cancel_order``.

:class:`DataCenterReference` adapts the data center to the gate's ``ReferenceData``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

import pandas as pd
from pydantic import Field

from guardrails import ApprovalStatus, Gate, GateOutcome, PriceQuote, RiskStatus
from guardrails.reference import as_utc
from taorui_engines.brokers.models import Attribution, OrderState, Position
from taorui_engines.data import DataCenter, InstrumentInfo
from taorui_engines.errors import InternalError, InvalidDateRangeError, NotFoundError
from tools._base import _GATE_TOKEN, Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = [
    "EXECUTE_TOOLS",
    "TOOLS",
    "DataCenterReference",
    "gated_tool",
    "is_gated",
    "order_key",
]

A = TypeVar("A", bound=ToolArgs)
R = TypeVar("R", bound=ToolResult)


# reference data --------------------------------------------------------------------------
class DataCenterReference:
    """Reference data from a :class:`DataCenter`: the last daily close known at ``as_of``.

    A bar dated D is known from D plus ``close_offset`` (16:00 by default, the US cash close
    taken as UTC), so a replay clock at D 09:00 sees D-1's close and never the close of a
    day that has not finished (no look-ahead). The quote can be old (the store may end
    years before ``as_of``); judging its age is the gate's staleness check.
    """

    #: How far before the last bar to read (weekends, holidays, suspensions).
    LOOKBACK = timedelta(days=40)

    def __init__(
        self, center: DataCenter | Callable[[], DataCenter], close_offset: timedelta = timedelta(hours=16),
    ) -> None:
        # A factory defers building the data center (and the sample store) to the first price.
        self._source = center
        self._offset = close_offset
        self._cache: dict[tuple[str, pd.Timestamp, int], PriceQuote | None] = {}

    @property
    def _center(self) -> DataCenter:
        if not isinstance(self._source, DataCenter):
            self._source = self._source()
        return self._source

    def last_price(self, symbol: str, as_of: datetime) -> PriceQuote | None:
        """Last close whose bar had finished by ``as_of`` (UnknownSymbolError if unknown)."""
        info = self._center.info(symbol)
        cutoff = pd.Timestamp(as_utc(as_of) - self._offset).tz_localize(None).normalize()
        meta = self._center.market_meta(info.market)
        key = (info.symbol, cutoff, meta.version if meta is not None else -1)
        if key not in self._cache:
            self._cache[key] = self._load(info, cutoff)
        return self._cache[key]

    def _load(self, info: InstrumentInfo, cutoff: pd.Timestamp) -> PriceQuote | None:
        end = min(cutoff, pd.Timestamp(info.end))
        if end < pd.Timestamp(info.start):
            return None
        try:
            bars = self._center.get_price(info.symbol, end - self.LOOKBACK, end, fields=["close"])
        except InvalidDateRangeError:
            return None
        bars = bars[bars["close"] > 0]
        if bars.empty:
            return None
        day = pd.Timestamp(bars["date"].iloc[-1])
        label = "SYNTHETIC " if info.synthetic else ""
        return PriceQuote(symbol=info.symbol, price=float(bars["close"].iloc[-1]),
                          time=day.to_pydatetime().replace(tzinfo=UTC) + self._offset,
                          source=f"close of {day.date()} ({label}{info.source})")

    def universe_members(self, universe: str) -> tuple[str, ...]:
        """Members of a universe of the data center (NotFoundError if none)."""
        universes = self._center.universes()
        if universe.lower() not in universes:
            known = ", ".join(sorted(universes)) or "none"
            raise NotFoundError(f"universe {universe!r} is not in the store (known: {known})")
        return tuple(universes[universe.lower()].members)


# gated construction ----------------------------------------------------------------------
def _gate_of(ctx: ToolContext) -> Gate:
    """The context's gate, which must be a real :class:`guardrails.Gate`."""
    gate = ctx.require_gate()
    if not isinstance(gate, Gate):
        raise InternalError(f"ToolContext.gate must be a guardrails.Gate, got {type(gate).__name__}")
    return gate


def _attribution(ctx: ToolContext) -> Attribution:
    return Attribution(agent=ctx.agent, thread_id=ctx.thread_id, instruction_id=ctx.instruction_id)


@dataclass(frozen=True)
class _GatedCall(Generic[A, R]):
    """A tool function that runs ``action`` through the context's gate, with attribution."""

    action: Callable[[A, Gate, Attribution], R]

    def __call__(self, args: A, ctx: ToolContext) -> R:
        return self.action(args, _gate_of(ctx), _attribution(ctx))


def gated_tool(
    name: str, description: str, args_model: type[A], result_model: type[R],
    action: Callable[[A, Gate, Attribution], R],
) -> Tool[A, R, ToolContext]:
    """The one way to build an execute-kind tool: ``action`` gets the gate, never a broker."""
    return Tool(name=name, description=description, kind=ToolKind.EXECUTE, args_model=args_model,
                result_model=result_model, fn=_GatedCall(action), gate_token=_GATE_TOKEN)


def is_gated(tool: Tool[Any, Any, Any]) -> bool:
    """True if the tool's function goes through a gate: the context's (built by :func:`gated_tool`),
    or the trading desk's, whose every order goes through its portfolio's gate (:class:`_DeskCall`)."""
    return isinstance(tool.fn, _GatedCall | _DeskCall)


# place_order -----------------------------------------------------------------------------
class PlaceOrderArgs(ToolArgs):
    """An order to propose to the risk gate."""

    symbol: str = Field(min_length=1, max_length=32, description="Instrument symbol, e.g. SP500, GOLD, SYN007.")
    side: Literal["buy", "sell"] = Field(description="buy or sell.")
    qty: float = Field(gt=0, description="Units to trade (shares, lots, contracts); positive.")
    order_type: Literal["market", "limit"] = Field(default="market", description="market or limit.")
    limit_price: float | None = Field(default=None, gt=0, description="Required for limit orders, else omit.")
    key: str | None = Field(
        default=None, min_length=8, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$",
        description="Idempotency key. Omit it: a key is derived from the instruction and the order, so a "
                    "repeated call cannot send twice. Pass a new key only to send an identical order again.",
    )


class OrderReasonOut(ToolResult):
    """One reason of the gate."""

    code: str = Field(description="Machine-readable check code.")
    message: str = Field(description="What was wrong.")


class PlaceOrderResult(ToolResult):
    """What the gate did with the order."""

    decision: Literal["allow", "reject", "needs_approval"] = Field(
        description="allow: sent to the broker; needs_approval: waiting for a person; reject: not sent.")
    reasons: list[OrderReasonOut] = Field(description="Why (empty when allowed).")
    order_key: str | None = Field(description="Idempotency key of the order.")
    approval_id: str | None = Field(description="Approval request id when a person must approve.")
    status: str | None = Field(description="Broker status once sent (accepted, filled, ...).")
    filled_qty: float = Field(description="Units filled so far.")
    avg_fill_price: float | None = Field(description="Average fill price so far.")
    trading_state: str = Field(description="active, reducing or halted.")
    policy_hash: str = Field(description="Version of the risk policy that decided.")
    message: str = Field(description="One-line summary.")


def order_key(args: PlaceOrderArgs, attribution: Attribution) -> str:
    """The given key, or one derived from the instruction and the order (replay-safe)."""
    if args.key is not None:
        return args.key
    if attribution.thread_id is None and attribution.instruction_id is None:
        return f"ord-{uuid.uuid4().hex[:24]}"
    basis = [attribution.thread_id, attribution.instruction_id, args.symbol.upper(), args.side, args.qty,
             args.order_type, args.limit_price]
    return "ord-" + hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:24]


def _place(args: PlaceOrderArgs, gate: Gate, attribution: Attribution) -> PlaceOrderResult:
    raw = {"key": order_key(args, attribution), "symbol": args.symbol, "side": args.side, "qty": args.qty,
           "type": args.order_type, "limit_price": args.limit_price}
    return _result(gate.propose(raw, attribution), str(raw["key"]))


def _result(outcome: GateOutcome, key: str) -> PlaceOrderResult:
    state = outcome.order_state
    reasons = [OrderReasonOut(code=r.code.value, message=r.message) for r in outcome.reasons]
    return PlaceOrderResult(
        decision=outcome.decision.value, reasons=reasons, order_key=key, approval_id=outcome.approval_id,
        status=state.status.value if state else None, filled_qty=state.filled_qty if state else 0.0,
        avg_fill_price=state.avg_fill_price if state else None, trading_state=outcome.trading_state.value,
        policy_hash=outcome.policy_hash, message=_summary(outcome, key),
    )


def _summary(outcome: GateOutcome, key: str) -> str:
    if outcome.decision.value == "needs_approval":
        return f"order {key} waits for a person's approval (request {outcome.approval_id}); nothing was sent"
    if outcome.decision.value == "reject":
        return f"order {key} was rejected: " + "; ".join(r.message for r in outcome.reasons)
    state = outcome.order_state
    return f"order {key} sent: {state.status.value if state else 'unknown'}"


# cancel_order ----------------------------------------------------------------------------
class CancelOrderArgs(ToolArgs):
    """Cancel an open order."""

    key: str = Field(min_length=8, max_length=128, description="Idempotency key of the open order.")


class OrderStatusResult(ToolResult):
    """An order's state at the broker."""

    order_key: str
    symbol: str
    side: str
    qty: float
    status: str = Field(description="accepted, partially_filled, filled, cancelled or rejected.")
    filled_qty: float
    avg_fill_price: float | None


def _order_status(state: OrderState) -> OrderStatusResult:
    return OrderStatusResult(order_key=state.order.key, symbol=state.order.symbol, side=state.order.side.value,
                             qty=state.order.qty, status=state.status.value, filled_qty=state.filled_qty,
                             avg_fill_price=state.avg_fill_price)


def _cancel(args: CancelOrderArgs, gate: Gate, attribution: Attribution) -> OrderStatusResult:
    return _order_status(gate.cancel(args.key, attribution))


# read tools ------------------------------------------------------------------------------
class NoArgs(ToolArgs):
    """This tool takes no arguments."""


class PositionOut(ToolResult):
    """One holding."""

    symbol: str
    qty: float = Field(description="Units held (negative = short).")
    avg_price: float
    last_price: float | None


class AccountResult(ToolResult):
    """The trading account as the agent may see it."""

    as_of: datetime
    cash: float
    equity: float = Field(description="Cash plus positions at last prices.")
    positions: list[PositionOut]
    open_orders: list[OrderStatusResult]
    trading_state: str = Field(description="active, reducing or halted.")


def _position(p: Position) -> PositionOut:
    return PositionOut(symbol=p.symbol, qty=p.qty, avg_price=p.avg_price, last_price=p.last_price)


def _get_account(args: NoArgs, ctx: ToolContext) -> AccountResult:
    gate = _gate_of(ctx)
    view = gate.account()
    return AccountResult(as_of=view.as_of, cash=view.cash, equity=view.equity,
                         positions=[_position(p) for p in view.positions],
                         open_orders=[_order_status(s) for s in view.open_orders],
                         trading_state=gate.status().state.value)


class RiskStatusResult(ToolResult):
    """The guardrails' view: trading state, loss marks, order counts."""

    status: RiskStatus


def _risk_status(args: NoArgs, ctx: ToolContext) -> RiskStatusResult:
    return RiskStatusResult(status=_gate_of(ctx).status())


class ListApprovalsArgs(ToolArgs):
    """Which approval requests to list."""

    status: Literal["pending", "approved", "rejected", "expired", "submitting", "executed", "failed"] | None = Field(
        default=None, description="Only requests in this status; omit for all recent requests.")


class ApprovalOut(ToolResult):
    """One approval request."""

    id: str
    status: str
    symbol: str
    side: str
    qty: float
    order_key: str
    reasons: list[OrderReasonOut]
    created: datetime
    expires: datetime
    decided_by: str | None
    decision_reason: str | None


class ListApprovalsResult(ToolResult):
    """Approval requests, newest first."""

    requests: list[ApprovalOut]


def _list_approvals(args: ListApprovalsArgs, ctx: ToolContext) -> ListApprovalsResult:
    status = ApprovalStatus(args.status) if args.status else None
    requests = _gate_of(ctx).approvals(status)
    return ListApprovalsResult(requests=[
        ApprovalOut(id=r.id, status=r.status.value, symbol=r.order.symbol, side=r.order.side.value, qty=r.order.qty,
                    order_key=r.order.key, reasons=[OrderReasonOut(code=x.code.value, message=x.message)
                                                    for x in r.reasons],
                    created=r.created, expires=r.expires, decided_by=r.decided_by, decision_reason=r.decision_reason)
        for r in requests
    ])


get_account: Tool[NoArgs, AccountResult, ToolContext] = Tool(
    name="get_account", kind=ToolKind.READ, args_model=NoArgs, result_model=AccountResult, fn=_get_account,
    description="Cash, equity, positions and open orders of the trading account, and the trading state.",
)
risk_status: Tool[NoArgs, RiskStatusResult, ToolContext] = Tool(
    name="risk_status", kind=ToolKind.READ, args_model=NoArgs, result_model=RiskStatusResult, fn=_risk_status,
    description="Trading state (active/reducing/halted), drawdown, daily loss and order counts of the guardrails.",
)
list_approvals: Tool[ListApprovalsArgs, ListApprovalsResult, ToolContext] = Tool(
    name="list_approvals", kind=ToolKind.READ, args_model=ListApprovalsArgs, result_model=ListApprovalsResult,
    fn=_list_approvals, description="Approval requests for orders that wait for (or got) a person's decision.",
)
place_order = gated_tool(
    "place_order",
    "Propose an order to the risk gate: it is sent, rejected with reasons, or held for a person's approval.",
    PlaceOrderArgs, PlaceOrderResult, _place,
)
cancel_order = gated_tool(
    "cancel_order", "Cancel an open order by its key (always allowed).", CancelOrderArgs, OrderStatusResult, _cancel,
)



@dataclass(frozen=True)
class _DeskCall:
    """A tool function that hands the work to the trading desk (``ToolContext.trading``): the desk
    proposes every order to its portfolio's gate and holds no broker of its own (the composition
    root builds both; ``tests/test_architecture_execution.py`` keeps it so)."""

    def __call__(self, args: Any, ctx: ToolContext) -> Any:
        from tools.trading_tools import require_trading

        return require_trading(ctx).run_cycle(args, ctx.agent)


def _cycle_tool() -> Tool[Any, Any, ToolContext]:
    """``run_trading_cycle``: execute-kind because its orders move money, each through the portfolio's
    own gate inside the trading desk (the tool holds neither a gate nor a broker)."""
    from tools.trading_tools import CycleArgs, CycleResult

    return Tool(name="run_trading_cycle", kind=ToolKind.EXECUTE, args_model=CycleArgs, result_model=CycleResult,
                fn=_DeskCall(), gate_token=_GATE_TOKEN,
                description="Run a paper portfolio's trading cycle for today (or replay days): the model or factor "
                "scores the universe, the top names become target weights in whole lots, and the orders go through "
                "the risk gate; a portfolio made by an instruction runs supervised (a person approves every order).")


run_trading_cycle = _cycle_tool()

#: Read tools, registered in ``tools.registry``.
TOOLS: tuple[Tool[Any, Any, Any], ...] = (get_account, risk_status, list_approvals)
#: Gated execute tools; not in the registry, added by the trading agent.
EXECUTE_TOOLS: tuple[Tool[Any, Any, Any], ...] = (place_order, cancel_order, run_trading_cycle)
