"""One day of the trading cycle as a checkpointed LangGraph thread.

    update -> signal -> targets -> decide -> [approval] -> finish

- **update**: the replay clock moves to the day's close; the gate settles the orders sent
  before at this day's open (each fill audited as it happens), cancels what a previous day
  left unfilled, and the trading state is read.
- **signal**: the strategy scores the universe from data up to the day (no later bar).
- **targets**: top names -> weights -> whole lots -> the order diff against the account.
- **decide**: by the mode. semi-auto: every order is proposed to the gate (allow sends,
  needs_approval waits for a person, reject is recorded with the gate's reasons). supervised:
  the gate checks each order (dry), and a person decides before anything is proposed.
  dry-run: the gate checks, nothing is proposed.
- **approval**: a LangGraph interrupt carrying the typed pending decisions.
- **finish**: the account at the day's closes.

Crash safety: a thread per portfolio and day on the SQLite checkpointer resumes at the node
that was running. Every step that acts is idempotent: orders carry a key derived from the
portfolio, day, symbol and side, an order the gate already sent is never proposed again, an
open approval request is found again by its key, a settled bar is never filled twice, and
events carry deterministic ids (the bus stores an id once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from graphs.trading._state import (
    CycleDecision,
    CycleState,
    GatePending,
    PersonPending,
    dump_pending,
    intents_of,
    pending_of,
)
from guardrails import Gate
from guardrails.models import Decision, GateOutcome, Reason
from taorui_engines.brokers.models import Attribution, Order, OrderSide, OrderStatus
from taorui_engines.data import DataCenter
from taorui_engines.trading import (
    ApprovalRequested,
    CycleFinished,
    DataUpdated,
    EventBus,
    OrderCancelled,
    OrderDecided,
    OrderFilled,
    OrderIntent,
    OrdersProposed,
    PointInTimeData,
    PortfolioSpec,
    ReasonItem,
    ReplayClock,
    RiskStateChanged,
    Signal,
    SignalProduced,
    SignalProvider,
    TradingMode,
    build_targets,
    market_time,
    order_diff,
)
from taorui_engines.trading._events import TradingEvent

__all__ = ["CycleDeps", "build_cycle_graph"]

logger = logging.getLogger(__name__)

AGENT = "trading_cycle"


@dataclass
class CycleDeps:
    """What the cycle's nodes need besides the state (never in the state)."""

    spec: PortfolioSpec
    gate: Gate
    clock: ReplayClock
    data: DataCenter
    provider: SignalProvider
    bus: EventBus
    lot_size: int
    wall: Callable[[], datetime]
    approval_ttl_minutes: float
    explain_top: int = 5
    #: The day's closes of the universe, read once per day (not state: a rerun reads them again).
    closes: dict[date, dict[str, float]] = field(default_factory=dict)

    def day_closes(self, day: date, symbols: list[str]) -> dict[str, float]:
        """Closes on ``day`` of the universe plus ``symbols`` (read through a point-in-time view)."""
        view = PointInTimeData(self.data, day)
        if day not in self.closes:
            self.closes = {day: view.closes(list(self.provider.universe), self.provider.market)}
        known = self.closes[day]
        extra = [s for s in symbols if s not in known and s not in self.provider.universe]
        if extra:
            known = {**known, **view.closes(extra, self.data.market_of(extra))}
        return known


def _day(state: CycleState) -> date:
    return date.fromisoformat(state["day"])


def _eid(deps: CycleDeps, day: date, *parts: str) -> str:
    return ":".join((deps.spec.name, day.isoformat(), *parts))


def _reasons(reasons: Any) -> list[ReasonItem]:
    return [ReasonItem(code=str(getattr(r.code, "value", r.code)), message=r.message) for r in reasons]


def _order(intent: OrderIntent, deps: CycleDeps, day: date, approver: str | None = None) -> Order:
    attribution = Attribution(agent=AGENT, thread_id=f"{deps.spec.name}:{day.isoformat()}", approver=approver)
    return Order(key=intent.key, symbol=intent.symbol, side=OrderSide(intent.side), qty=intent.qty,
                 attribution=attribution)


class _Nodes:
    def __init__(self, deps: CycleDeps) -> None:
        self.d = deps

    def publish(self, event: TradingEvent) -> None:
        self.d.bus.publish(event)

    # update ---------------------------------------------------------------------------
    def update(self, state: CycleState) -> dict[str, Any]:
        d, day = self.d, _day(state)
        d.clock.set(day)
        d.gate.settle(market_time(day))
        since = datetime.combine(day - timedelta(days=10), datetime.min.time())
        settled = 0
        for fill in d.gate.fills(since=since):
            if fill.time.date() > day:
                continue
            settled += fill.time.date() == day
            self.publish(OrderFilled(id=f"{d.spec.name}:fill:{fill.fill_id}", portfolio=d.spec.name,
                                     day=fill.time.date(), fill_id=fill.fill_id, key=fill.order_key,
                                     symbol=fill.symbol, side=fill.side.value, qty=fill.qty, price=fill.price,
                                     commission=fill.commission, fill_time=fill.time))
        for open_order in d.gate.account().open_orders:
            created = open_order.order.created
            if created is not None and created.date() < day:
                unfilled = open_order.order.qty - open_order.filled_qty
                state_after = d.gate.cancel(open_order.order.key, Attribution(agent=AGENT))
                if state_after.status is OrderStatus.CANCELLED:
                    self.publish(OrderCancelled(
                        id=f"{d.spec.name}:cancel:{open_order.order.key}", portfolio=d.spec.name, day=day,
                        key=open_order.order.key, symbol=open_order.order.symbol, unfilled=unfilled,
                        reason=f"unfilled at the session after {created.date()} (a daily order lives one session)"))
        self._risk_state(day)
        closes = d.day_closes(day, [])
        through = day if closes else (PointInTimeData(d.data, day).sessions_back(d.provider.market, 0))
        self.publish(DataUpdated(id=_eid(d, day, "data"), portfolio=d.spec.name, day=day, data_through=through,
                                 fills_settled=settled, market=d.provider.market))
        notes = [] if closes else [f"no bars of the universe on {day}"]
        return {"data_through": through.isoformat(), "status": "running", "notes": notes}

    def _risk_state(self, day: date) -> None:
        d = self.d
        status = d.gate.status()
        last = [e for e in d.bus.events(types=("risk_state_changed",)) if isinstance(e, RiskStateChanged)]
        before = last[-1].after if last else "active"
        if status.state.value != before:
            self.publish(RiskStateChanged(id=_eid(d, day, "risk", status.state.value), portfolio=d.spec.name, day=day,
                                          before=before, after=status.state.value, reason=status.state_reason))

    # signal ---------------------------------------------------------------------------
    def signal(self, state: CycleState) -> dict[str, Any]:
        d, day = self.d, _day(state)
        view = PointInTimeData(d.data, day)
        signal = d.provider.score(view)
        ranked = sorted(signal.scores.items(), key=lambda kv: (-kv[1], kv[0]))
        chosen = ([s for s, w in (signal.target_weights or {}).items() if w > 0] if signal.target_weights is not None
                  else [s for s, _ in ranked[:min(d.spec.construction.count(len(ranked)), 20)]])
        explanations: dict[str, list[tuple[str, float, float | None, float | None]]] = {}
        for symbol in chosen:
            try:
                explanations[symbol] = d.provider.explain(day, symbol, d.explain_top)
            except Exception as exc:  # an explanation must not stop the cycle; say it is missing
                logger.warning("no explanation for %s on %s: %s", symbol, day, exc)
        self.publish(SignalProduced(id=_eid(d, day, "signal"), portfolio=d.spec.name, day=day, source=signal.source,
                                    n_scored=len(signal.scores), top=ranked[:20], data_through=signal.data_through,
                                    target_weights=signal.target_weights, explanations=explanations))
        return {"notes": list(signal.notes), "data_through": signal.data_through.isoformat(),
                "signal": signal.model_dump(mode="json")}

    # targets --------------------------------------------------------------------------
    def targets(self, state: CycleState) -> dict[str, Any]:
        d, day = self.d, _day(state)
        signal = Signal.model_validate(state["signal"])
        account = d.gate.account()
        positions = {p.symbol: p.qty for p in account.positions}
        closes = d.day_closes(day, sorted(set(signal.scores) | set(positions)))
        targets = build_targets(signal, d.spec.construction, closes, positions, account.cash, account.equity,
                                d.lot_size)
        intents = order_diff(targets, d.spec.name, day)
        self.publish(OrdersProposed(
            id=_eid(d, day, "proposed"), portfolio=d.spec.name, day=day, mode=state["mode"],
            targets=[ln.model_dump(mode="json") for ln in targets.lines],
            orders=[i.model_dump(mode="json") for i in intents], notes=list(targets.notes),
            deferred_buy_value=targets.deferred_buy_value))
        return {"intents": [i.model_dump(mode="json") for i in intents]}

    # decide ---------------------------------------------------------------------------
    def decide(self, state: CycleState) -> dict[str, Any]:
        day, mode = _day(state), TradingMode(state["mode"])
        pending: list[GatePending | PersonPending] = []
        keys: list[str] = []
        for intent in intents_of(state):
            keys.append(intent.key)
            item: GatePending | PersonPending | None = (
                self._propose(intent, day) if mode is TradingMode.SEMI_AUTO else self._check(intent, day, mode))
            if item is not None:
                pending.append(item)
        return {"pending": dump_pending(pending), "decided": keys,
                "status": "waiting_for_approval" if pending else "running"}

    def _decided(self, intent: OrderIntent, day: date, decision: str, reasons: list[ReasonItem], by: str = "gate",
                 approval_id: str | None = None, final: bool = False) -> None:
        d = self.d
        self.publish(OrderDecided(id=_eid(d, day, "decided", intent.key, "final" if final else "first"),
                                  portfolio=d.spec.name, day=day, key=intent.key, symbol=intent.symbol,
                                  side=intent.side, qty=intent.qty, price=intent.price, decision=decision,  # type: ignore[arg-type]
                                  reasons=reasons, by=by, approval_id=approval_id))

    def _requested(self, item: GatePending | PersonPending, day: date) -> None:
        d = self.d
        approval_id = item.approval_id if isinstance(item, GatePending) else f"person:{item.intent.key}"
        self.publish(ApprovalRequested(id=_eid(d, day, "approval", item.intent.key), portfolio=d.spec.name, day=day,
                                       approval_kind=item.kind, approval_id=approval_id, key=item.intent.key,
                                       symbol=item.intent.symbol, side=item.intent.side, qty=item.intent.qty,
                                       reasons=item.reasons, expires=item.expires))

    def _propose(self, intent: OrderIntent, day: date) -> GatePending | None:
        d = self.d
        if d.gate.order_state(intent.key) is not None:  # sent before a crash: never again
            self._decided(intent, day, "sent", [])
            return None
        outcome = d.gate.propose(_order(intent, d, day))
        reasons = _reasons(outcome.reasons)
        if outcome.decision is Decision.ALLOW:
            self._decided(intent, day, "sent", reasons)
            return None
        if outcome.decision is Decision.NEEDS_APPROVAL and outcome.approval_id:
            request = d.gate.approval(outcome.approval_id)
            item = GatePending(intent=intent, reasons=reasons, expires=request.expires,
                               approval_id=outcome.approval_id)
            self._decided(intent, day, "needs_approval", reasons, approval_id=outcome.approval_id)
            self._requested(item, day)
            return item
        self._decided(intent, day, "rejected", reasons)
        return None

    def _check(self, intent: OrderIntent, day: date, mode: TradingMode) -> PersonPending | None:
        d = self.d
        result = d.gate.check(_order(intent, d, day))
        reasons = _reasons(result.reasons)
        if mode is TradingMode.DRY_RUN:
            gate_said = ReasonItem(code="dry_run", message=f"dry run: the gate would {result.decision.value}")
            self._decided(intent, day, "proposed_only", [gate_said, *reasons])
            return None
        if result.decision is Decision.REJECT:
            self._decided(intent, day, "rejected", reasons)
            return None
        asked = ReasonItem(code="supervised", message="supervised mode: a person approves every order")
        expires = d.wall().astimezone(UTC) + timedelta(minutes=d.approval_ttl_minutes)
        item = PersonPending(intent=intent, reasons=[asked, *reasons], expires=expires)
        self._decided(intent, day, "needs_approval", item.reasons, approval_id=f"person:{intent.key}")
        self._requested(item, day)
        return item

    # approval -------------------------------------------------------------------------
    def approval(self, state: CycleState) -> dict[str, Any]:
        d, day = self.d, _day(state)
        pending = pending_of(state)
        raw = interrupt({"type": "cycle_approval", "portfolio": d.spec.name, "day": day.isoformat(),
                         "requests": dump_pending(pending)})
        decision = CycleDecision.model_validate(raw)
        d.clock.set(day)
        for item in pending:
            if isinstance(item, GatePending):
                self._settle_gate(item, decision, day)
            else:
                self._settle_person(item, decision, day)
        return {"pending": [], "status": "running"}

    def _settle_gate(self, item: GatePending, decision: CycleDecision, day: date) -> None:
        approve = decision.for_key(item.intent.key)
        settlement = self.d.gate.settle_approval(item.approval_id, approve, decision.by,
                                                 decision.reason or ("" if approve else "rejected"))
        status = settlement.decision.request.status.value
        if settlement.sent:
            verdict, reasons = "approved", []
        elif status == "expired":
            verdict, reasons = "expired", [ReasonItem(code="expired", message=settlement.message)]
        elif not approve:
            verdict, reasons = "rejected_by_person", [ReasonItem(code="not_approved", message=decision.reason or
                                                                 f"rejected by {decision.by}")]
        else:
            outcome = settlement.outcome
            verdict = "rejected"
            reasons = _reasons(outcome.reasons) if outcome else [ReasonItem(code="not_sent", message=settlement.message)]
        self._decided(item.intent, day, verdict, reasons, by=decision.by, approval_id=item.approval_id, final=True)

    def _settle_person(self, item: PersonPending, decision: CycleDecision, day: date) -> None:
        d, intent = self.d, item.intent
        approval_id = f"person:{intent.key}"
        if d.gate.order_state(intent.key) is not None:
            self._decided(intent, day, "approved", [], by=decision.by, approval_id=approval_id, final=True)
            return
        if item.expires is not None and d.wall().astimezone(UTC) > item.expires:
            self._decided(intent, day, "expired", [ReasonItem(code="expired", message=f"the approval expired at "
                                                              f"{item.expires:%Y-%m-%d %H:%M} UTC")],
                          by=decision.by, approval_id=approval_id, final=True)
            return
        if not decision.for_key(intent.key):
            self._decided(intent, day, "rejected_by_person",
                          [ReasonItem(code="not_approved", message=decision.reason or f"rejected by {decision.by}")],
                          by=decision.by, approval_id=approval_id, final=True)
            return
        outcome: GateOutcome = d.gate.propose(_order(intent, d, day, approver=decision.by))
        if outcome.decision is Decision.NEEDS_APPROVAL and outcome.approval_id:
            # The gate wants a person too; this person already approved this exact order.
            settlement = d.gate.settle_approval(outcome.approval_id, True, decision.by, decision.reason)
            sent = settlement.sent
            reasons = [] if sent else _reasons(settlement.outcome.reasons if settlement.outcome else
                                               (Reason.model_validate({"code": "not_approved",
                                                                       "message": settlement.message}),))
        else:
            sent = outcome.decision is Decision.ALLOW
            reasons = _reasons(outcome.reasons)
        self._decided(intent, day, "approved" if sent else "rejected", reasons, by=decision.by,
                      approval_id=approval_id, final=True)

    # finish ---------------------------------------------------------------------------
    def finish(self, state: CycleState) -> dict[str, Any]:
        d, day = self.d, _day(state)
        account = d.gate.account()
        latest: dict[str, str] = {}
        for event in d.bus.events(day=day, types=("order_decided",)):
            if isinstance(event, OrderDecided):
                latest[event.key] = event.decision
        sent = sum(1 for v in latest.values() if v in ("sent", "approved"))
        pending = sum(1 for v in latest.values() if v == "needs_approval")
        blocked = sum(1 for v in latest.values() if v in ("rejected", "rejected_by_person", "expired"))
        positions = {p.symbol: (p.qty, float(p.last_price or p.avg_price)) for p in account.positions if abs(p.qty) > 0}
        self.publish(CycleFinished(id=_eid(d, day, "finished"), portfolio=d.spec.name, day=day, mode=state["mode"],
                                   cash=account.cash, value=account.equity, positions=positions,
                                   data_through=date.fromisoformat(state.get("data_through") or day.isoformat()),
                                   sent=sent, blocked=blocked, pending=pending, status="done"))
        return {"status": "done"}


def _after_decide(state: CycleState) -> str:
    return "approval" if state.get("pending") else "finish"


def build_cycle_graph(deps: CycleDeps, checkpointer: Any) -> Any:
    """The compiled one-day cycle over ``deps`` with ``checkpointer``."""
    nodes = _Nodes(deps)
    graph = StateGraph(CycleState)
    graph.add_node("update", nodes.update)
    graph.add_node("signal", nodes.signal)
    graph.add_node("targets", nodes.targets)
    graph.add_node("decide", nodes.decide)
    graph.add_node("approval", nodes.approval)
    graph.add_node("finish", nodes.finish)
    graph.add_edge(START, "update")
    graph.add_edge("update", "signal")
    graph.add_edge("signal", "targets")
    graph.add_edge("targets", "decide")
    graph.add_conditional_edges("decide", _after_decide, {"approval": "approval", "finish": "finish"})
    graph.add_edge("approval", "finish")
    graph.add_edge("finish", END)
    return graph.compile(checkpointer=checkpointer)
