"""The console's operations over the composition root, as the CLI does each of them.

Nothing here decides anything the CLI would decide differently: asks and resumes go through
the same :class:`graphs.Orchestrator` (its per-thread lock serialises two approvals of one
thread, across processes), gate requests through the same ``Gate.settle_approval`` (via
:class:`graphs.adapters.GateDesk`, which the graph itself uses), the kill switch through
``Gate.halt`` / ``Gate.resume`` with the API user as the person. What the console adds is
who: the user behind each ask (for the four-eyes rule) and a row in the console's own
hash-chained action log for every mutating call.
"""

from __future__ import annotations

import json
import logging
import math
import re
import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from graphs import ApprovalDecision, AskResult, GraphEvent, new_thread_id
from guardrails import ApprovalRequest, ApprovalStatus, AuditKind, AuditLog
from taorui.server._auth import Principal
from taorui.server._events import EventBus
from taorui.server._models import (
    ApprovalItem,
    AuditPage,
    AuditVerifyResult,
    DecisionResult,
    HealthReport,
    KillSwitchResult,
    MarketFreshness,
    PortfolioSummary,
    PortfolioView,
    PositionRow,
    RiskView,
    RunDetail,
    RunSummary,
    TradingOverview,
    TradingRunStarted,
)
from taorui.server._registry import REGISTRY_FILE, ThreadRegistry
from taorui_engines.errors import InvalidArgumentError, NotFoundError, TaoruiError

if TYPE_CHECKING:
    from graphs import Orchestrator
    from graphs.trading import CycleRun, TradingDesk
    from taorui.wiring import AppContext
    from taorui_engines.manifest import ReplayResult
    from taorui_engines.trading import TradingEvent, TradingMode

__all__ = ["CONSOLE_AUDIT_FILE", "CYCLE_PREFIX", "ConflictError", "ConsoleService", "ForbiddenError", "finite"]

logger = logging.getLogger(__name__)

#: The console's action log (a guardrails ``AuditLog``), under ``Settings.state_dir``.
CONSOLE_AUDIT_FILE = "console_audit.sqlite"

#: Inbox ids of a trading cycle's waiting day: ``cycle:<portfolio>``.
CYCLE_PREFIX = "cycle:"

_RUN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")


class ForbiddenError(TaoruiError):
    """The caller may not do this (a role too low, or approving their own order)."""

    type_name = "Forbidden"


class ConflictError(TaoruiError):
    """The thing changed under the caller: already answered, expired, not waiting."""

    type_name = "Conflict"


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return finite(data) if isinstance(data, dict) else {"value": finite(data)}


def _seconds_left(expires: datetime | None, now: datetime) -> float | None:
    if expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return max(0.0, (expires - now).total_seconds())


class ConsoleService:
    """The API's operations on one home (one per app; safe to call from worker threads)."""

    def __init__(self, ctx: AppContext, backend: Literal["offline", "openai"] = "offline",
                 bus: EventBus | None = None) -> None:
        self.ctx = ctx
        self.backend = backend
        self.bus = bus or EventBus()
        state = ctx.settings.state_dir
        self.registry = ThreadRegistry(state / REGISTRY_FILE)
        self.actions = AuditLog(state / CONSOLE_AUDIT_FILE, anchor_dir=ctx.settings.anchor_dir)
        self._lock = threading.Lock()
        self._desk_lock = threading.RLock()  # the desk caches open portfolios in a dict: one caller at a time
        self._running: dict[str, str] = {}  # portfolio -> the id of its cycle run in progress (started here)
        self._running_lock = threading.Lock()
        self._orchestrator: Orchestrator | None = None

    def warm(self) -> None:
        """Build the shared services now, on one thread (``cached_property`` is not thread-safe)."""
        _ = (self.ctx.data, self.ctx.gate, self.ctx.session_gate, self.ctx.audit_log)
        self.orchestrator()

    def orchestrator(self) -> Orchestrator:
        """The graph on this home, built once."""
        with self._lock:
            if self._orchestrator is None:
                self._orchestrator = self.ctx.build_orchestrator(self.backend)
            return self._orchestrator

    def _audit(self, kind: AuditKind, who: Principal, action: str, **payload: Any) -> None:
        """A row in the console's action log: who (name and role), what, on what."""
        self.actions.append(kind, {"action": action, "by": who.name, "role": who.role.value,
                                   "time": datetime.now(UTC), **payload})

    # asks ---------------------------------------------------------------------------------
    def ask(self, who: Principal, instruction: str, thread_id: str | None) -> AskResult:
        """Run one instruction on the graph, publishing its progress on the bus."""
        if not instruction.strip():
            raise InvalidArgumentError("the instruction is empty")
        thread_id = thread_id or new_thread_id()
        self.registry.record(thread_id, who.name, instruction)
        self._audit(AuditKind.PROPOSAL, who, "ask", thread_id=thread_id, instruction=instruction[:2000])

        def publish(event: GraphEvent) -> None:
            self.bus.publish("graph", event.text, thread_id=thread_id, node=event.node, user=who.name)

        try:
            result = self.orchestrator().ask(instruction, thread_id, on_event=publish)
        except TaoruiError as exc:
            self.bus.publish("ask", f"failed: {exc.message}", thread_id=thread_id, user=who.name)
            raise
        self.bus.publish("ask", result.status, thread_id=thread_id, user=who.name)
        return result

    def thread(self, thread_id: str) -> AskResult:
        """The thread's latest instruction as one result."""
        return self.orchestrator().result(thread_id)

    # approvals ----------------------------------------------------------------------------
    def approvals(self) -> list[ApprovalItem]:
        """Threads waiting for a person, then pending gate requests not inside one of them."""
        now = datetime.now(UTC)
        threads = [item for item in map(self._waiting_thread, self.registry.recent()) if item is not None]
        inside = {r.get("approval_id") for t in threads for r in t.requests}
        gate = [self._gate_item(r, now) for r in self.ctx.session_gate.approvals(ApprovalStatus.PENDING)
                if r.id not in inside]
        return [*threads, *gate, *self._cycle_items(now)]

    def _waiting_thread(self, record: Any) -> ApprovalItem | None:
        try:
            result = self.orchestrator().result(record.thread_id)
        except TaoruiError:
            return None
        if result.status != "needs_approval":
            return None
        requests = [finite(a) for a in result.approvals if a.get("decision") == "pending"]
        expiries = [datetime.fromisoformat(str(r["expires"]).replace("Z", "+00:00")) for r in requests
                    if r.get("expires")]
        expires = min(expiries) if expiries else None
        return ApprovalItem(id=record.thread_id, source="thread", thread_id=record.thread_id,
                            proposed_by=record.asked_by, instruction=record.instruction, requests=requests,
                            expires=expires, seconds_left=_seconds_left(expires, datetime.now(UTC)))

    def _gate_item(self, request: ApprovalRequest, now: datetime) -> ApprovalItem:
        attribution = request.order.attribution
        asked = self.registry.get(attribution.thread_id)
        return ApprovalItem(id=request.id, source="gate", thread_id=attribution.thread_id,
                            proposed_by=asked.asked_by if asked else attribution.agent,
                            instruction=asked.instruction if asked else None,
                            requests=[finite(request.model_dump(mode="json"))], expires=request.expires,
                            seconds_left=_seconds_left(request.expires, now))

    def decide(self, who: Principal, target: str, approve: bool, reason: str) -> DecisionResult:
        """Approve or reject a waiting thread (by id) or a gate request (``apr-...``)."""
        if not approve and not reason.strip():
            raise InvalidArgumentError("a rejection needs a reason")
        thread_id, proposer = self._target(target)
        cycle = target[len(CYCLE_PREFIX):] if target.startswith(CYCLE_PREFIX) else None
        if approve and proposer == who.name:
            self._audit(AuditKind.DECISION_REFUSED, who, "approve", target=target,
                        message="an approver cannot approve an order they proposed")
            raise ForbiddenError(f"{who.name} proposed {target}; another approver must decide it")
        try:
            if cycle is not None:
                result = self._decide_cycle(who, cycle, approve, reason)
            elif thread_id is not None:
                result = self._resume(who, thread_id, approve, reason)
            else:
                result = self._settle(who, target, approve, reason)
        except ConflictError as exc:
            self._audit(AuditKind.DECISION_REFUSED, who, "approve" if approve else "reject", target=target,
                        message=exc.message)
            raise
        kind = AuditKind.APPROVAL_GRANTED if approve else AuditKind.APPROVAL_REJECTED
        self._audit(kind, who, "approve" if approve else "reject", target=target, reason=reason,
                    applied=result.applied, message=result.message)
        self.bus.publish("approval", result.message, thread_id=thread_id, user=who.name)
        return result

    def _target(self, target: str) -> tuple[str | None, str | None]:
        """(thread to resume or None, who proposed) for an approval id, a thread id or ``cycle:<portfolio>``."""
        if target.startswith(CYCLE_PREFIX):
            with self._desk_lock:
                spec = self.desk.spec(target[len(CYCLE_PREFIX):])
            return None, spec.created_by
        record = self.registry.get(target)
        if record is not None:
            return target, record.asked_by
        try:
            request = self.ctx.session_gate.approval(target)
        except NotFoundError:
            raise NotFoundError(f"no waiting thread or approval request {target!r}") from None
        attribution = request.order.attribution
        asked = self.registry.get(attribution.thread_id)
        waiting = asked is not None and self._is_waiting(asked.thread_id)
        return (asked.thread_id if waiting and asked else None), (asked.asked_by if asked else attribution.agent)

    def _is_waiting(self, thread_id: str) -> bool:
        try:
            return bool(self.orchestrator().pending(thread_id))
        except TaoruiError:
            return False

    def _resume(self, who: Principal, thread_id: str, approve: bool, reason: str) -> DecisionResult:
        """As ``taorui resume``: the orchestrator's thread lock lets only one decision run."""
        decision = ApprovalDecision(approve=approve, by=who.name, reason=reason)

        def publish(event: GraphEvent) -> None:
            self.bus.publish("graph", event.text, thread_id=thread_id, node=event.node, user=who.name)

        try:
            result = self.orchestrator().resume(thread_id, decision, on_event=publish)
        except NotFoundError:
            raise
        except InvalidArgumentError as exc:
            raise ConflictError(exc.message) from exc
        return DecisionResult(id=thread_id, decision="approve" if approve else "reject", by=who.name, applied=True,
                              message=f"thread {thread_id}: {result.status}", thread=result, fills=result.fills)

    def _settle(self, who: Principal, approval_id: str, approve: bool, reason: str) -> DecisionResult:
        """As the graph's desk: settle once through the gate; a sent approval fills at the reference."""
        from graphs.adapters import GateDesk, GateMarket

        gate = self.ctx.session_gate
        settled = GateDesk(gate).decide(approval_id, approve, who.name, reason)
        if not settled.decision.applied and not settled.sent_by_this_call:
            raise ConflictError(settled.message)
        fills: list[dict[str, Any]] = []
        outcome = settled.outcome
        if approve and settled.sent_by_this_call and outcome is not None and outcome.order is not None:
            report = GateMarket(gate).execute(outcome.order.key)
            fills = [finite(f.model_dump(mode="json")) for f in report.fills]
        return DecisionResult(id=approval_id, decision="approve" if approve else "reject", by=who.name,
                              applied=settled.decision.applied, message=settled.message,
                              settlement=finite(settled.model_dump(mode="json")), fills=fills)

    def _cycle_items(self, now: datetime) -> list[ApprovalItem]:
        """One item per paper portfolio whose cycle waits for a person (``taorui trade status``)."""
        items = []
        with self._desk_lock:
            desk = self.desk
            for name in desk.names():
                try:
                    status, spec = desk.status(name), desk.spec(name)
                except TaoruiError as exc:
                    logger.warning("portfolio %s: %s", name, exc.message)
                    continue
                if not status.pending:
                    continue
                requests = [finite(p.model_dump(mode="json")) for p in status.pending]
                expiries = [p.expires if p.expires.tzinfo else p.expires.replace(tzinfo=UTC)
                            for p in status.pending if p.expires is not None]
                expires = min(expiries) if expiries else None
                day = status.paused_on.isoformat() if status.paused_on else "?"
                items.append(ApprovalItem(
                    id=f"{CYCLE_PREFIX}{name}", source="cycle", portfolio=name, proposed_by=spec.created_by,
                    instruction=f"trading cycle of {name} on {day}: {status.strategy} ({status.mode})",
                    requests=requests, expires=expires, seconds_left=_seconds_left(expires, now)))
        return items

    def _decide_cycle(self, who: Principal, name: str, approve: bool, reason: str) -> DecisionResult:
        """As ``taorui trade approve --portfolio NAME``: the desk finishes the waiting day (one at a time)."""
        from taorui.cli.trade import cycle_decision

        decision = cycle_decision(approve, who.name, reason)
        with self._desk_lock:
            before = {f.fill_id for f in self.desk.journal(name).fills()}
            try:
                run: CycleRun = self.desk.decide(name, decision)
            except InvalidArgumentError as exc:  # nothing waits any more: someone decided first
                raise ConflictError(exc.message) from exc
            fills = [finite(f.model_dump(mode="json")) for f in self.desk.journal(name).fills()
                     if f.fill_id not in before]
            decided = self.desk.journal(name).decisions(run.days_run[-1]) if run.days_run else []
        counts: dict[str, int] = {}
        for d in decided:
            counts[d.decision] = counts.get(d.decision, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no orders"
        return DecisionResult(id=f"{CYCLE_PREFIX}{name}", decision="approve" if approve else "reject", by=who.name,
                              applied=True, message=f"portfolio {name}: the day finished ({summary})",
                              settlement=finite(run.model_dump(mode="json", exclude={"report"})), fills=fills)

    # trading ------------------------------------------------------------------------------
    @property
    def desk(self) -> TradingDesk:
        """The home's trading desk (``taorui trade``)."""
        return self.ctx.trading_desk

    def trading(self) -> TradingOverview:
        """Every portfolio, as ``taorui trade list`` and ``status`` show it."""
        out = []
        with self._desk_lock:
            for name in self.desk.names():
                try:
                    spec, status = self.desk.spec(name), self.desk.status(name)
                except TaoruiError as exc:
                    out.append(PortfolioSummary(name=name, problem=exc.message))
                    continue
                out.append(PortfolioSummary(
                    name=name, strategy=spec.strategy_text(), mode=spec.mode.value,
                    trading_state=status.trading_state, cash=finite(status.cash), value=finite(status.value),
                    last_day=status.last_day, paused_on=status.paused_on, pending=len(status.pending)))
        return TradingOverview(portfolios=out)

    def portfolio(self, name: str) -> PortfolioView:
        """One portfolio: ``trade status``, ``positions``, ``report`` (no picture) and ``risk``, and the
        decisions of its latest day."""
        from taorui.cli.trade import position_rows

        with self._desk_lock:
            desk = self.desk
            status = desk.status(name)
            report = desk.report(name, picture=False)
            days = [d for d in (status.paused_on, status.last_day) if d is not None]
            today = max(days) if days else None
            decisions = desk.journal(name).decisions(today) if today else []
            risk = desk.gate(name).status()
        blocked = sorted(report.blocked, key=lambda b: b.day, reverse=True)
        return PortfolioView(portfolio=name, status=status, positions=[PositionRow(**r) for r in position_rows(status)],
                             report=report, today=today, decisions=decisions, blocked=blocked, risk=risk)

    # trading cycle runs ---------------------------------------------------------------------
    def start_cycle(self, who: Principal, name: str, day: date | None = None, until: date | None = None,
                    mode: str | None = None) -> TradingRunStarted:
        """As ``taorui trade run --portfolio NAME [--from DAY --to UNTIL] [--mode MODE]`` on an existing
        portfolio, in a background thread: every TradingEvent goes to the bus (kind ``trading``),
        then one ``trading_done`` with the outcome. One run per portfolio at a time (else a conflict)."""
        from taorui.cli.trade import run_mode

        if until is not None and day is None:
            raise InvalidArgumentError("`until` needs `day` (a replay window), as `--to` needs `--from`")
        if day is not None and until is not None and until < day:
            raise InvalidArgumentError(f"`until` {until} is before `day` {day}")
        with self._desk_lock:
            spec = self.desk.spec(name)  # an unknown portfolio is not found; the console does not make them
        ask = run_mode(spec, mode)
        run_id = f"cyc-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        with self._running_lock:
            running = self._running.get(name)
            if running is not None:
                raise ConflictError(f"a cycle of portfolio {name!r} is already running ({running}); wait for its "
                                    "trading_done event")
            self._running[name] = run_id
        try:
            after = self.bus.last_seq
            self._audit(AuditKind.PROPOSAL, who, "trade_run", portfolio=name, run_id=run_id,
                        day=day.isoformat() if day else None, until=until.isoformat() if until else None, mode=mode)
            worker = threading.Thread(target=self._run_cycle, args=(who, name, run_id, day, until, ask),
                                      name=f"cycle-{name}", daemon=True)
            worker.start()
        except BaseException:
            with self._running_lock:
                self._running.pop(name, None)
            raise
        return TradingRunStarted(run_id=run_id, portfolio=name, started=datetime.now(UTC), by=who.name, day=day,
                                 until=until or day, mode=mode, after=after,
                                 events=f"/api/events?portfolio={name}&after={after}&until_done=true")

    def running_cycle(self, name: str) -> str | None:
        """The id of portfolio ``name``'s cycle run in progress here, if any."""
        with self._running_lock:
            return self._running.get(name)

    def _run_cycle(self, who: Principal, name: str, run_id: str, day: date | None, until: date | None,
                   ask: TradingMode | None) -> None:
        """The background run: the desk call of ``taorui trade run``, its events on the bus."""
        from taorui.cli.trade import event_line

        def publish(event: TradingEvent) -> None:
            self.bus.publish("trading", event_line(event, everything=True) or event.type, node=event.type,
                             user=who.name, portfolio=name, run_id=run_id, data=finite(event.model_dump(mode="json")))

        outcome: dict[str, Any]
        try:
            desk = self._run_desk()
            if day is None:
                run = desk.run_live(name, datetime.now(UTC), ask, on_event=publish)
            else:
                run = desk.run(name, day, until or day, ask, on_event=publish)
        except TaoruiError as exc:
            outcome = {"status": "failed", "error": exc.to_dict(), "days_run": [], "waiting_for_approval": False}
            text = f"portfolio {name}: the cycle failed: {exc.message}"
        except Exception:  # a worker thread: nothing above it would report the failure
            logger.exception("the cycle run %s of portfolio %s failed", run_id, name)
            outcome = {"status": "failed", "error": {"type": "Internal", "message": "an unexpected error; see the "
                                                     "server log"}, "days_run": [], "waiting_for_approval": False}
            text = f"portfolio {name}: the cycle failed (see the server log)"
        else:
            outcome, text = _cycle_outcome(run)
        finally:
            with self._running_lock:
                self._running.pop(name, None)
        self.bus.publish("trading_done", text, node=outcome["status"], user=who.name, portfolio=name, run_id=run_id,
                         data=finite(outcome))

    def _run_desk(self) -> TradingDesk:
        """A desk of its own for a background run, as a ``taorui trade run`` process has one: the shared
        desk stays free for the pages' reads while the cycle runs (the portfolio's file lock and its
        SQLite stores keep the two apart, as they keep the CLI and the server apart)."""
        return self.ctx.new_trading_desk()

    # runs ---------------------------------------------------------------------------------
    def replay(self, who: Principal, run_id: str, allow_data_change: bool = False, rtol: float = 0.0) -> ReplayResult:
        """"Run again": as ``taorui replay RUN_ID`` (a new run folder, compared with the original)."""
        from taorui_engines.manifest import replay

        self.run_folder(run_id)  # a plain folder name of this home, or not found
        self._audit(AuditKind.PROPOSAL, who, "replay", run_id=run_id, allow_data_change=allow_data_change)
        result = replay(run_id, self.ctx.settings.runs_dir, self.ctx.data, allow_data_change=allow_data_change,
                        rtol=rtol, progress=self.ctx.progress)
        self.bus.publish("replay", f"replay {result.replay_run_id} of {run_id}: {result.verdict}", user=who.name)
        return result

    def run_folder(self, run_id: str) -> Path:
        """The folder of ``run_id``; an id that is not a plain folder name is not found."""
        runs = self.ctx.settings.runs_dir.resolve()
        folder = (runs / run_id).resolve() if _RUN_ID.match(run_id) else None
        if folder is None or folder.parent != runs or not folder.is_dir():
            raise NotFoundError(f"no run {run_id!r}")
        return folder

    def runs(self, limit: int) -> list[RunSummary]:
        """The newest run folders first."""
        runs = self.ctx.settings.runs_dir
        folders = [p for p in runs.iterdir() if p.is_dir() and _RUN_ID.match(p.name)] if runs.is_dir() else []
        folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        return [RunSummary(**self._summary(p)) for p in folders[:limit]]

    def run(self, run_id: str) -> RunDetail:
        """One run with its config and status."""
        folder = self.run_folder(run_id)
        return RunDetail(**self._summary(folder), config=_read_json(folder / "config.json"),
                         status=_read_json(folder / "status.json"))

    def _summary(self, folder: Path) -> dict[str, Any]:
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        status = _read_json(folder / "status.json") or {}
        state = status.get("state")
        return {"id": folder.name, "modified": datetime.fromtimestamp(folder.stat().st_mtime, UTC),
                "state": str(state) if state is not None else None, "metrics": _read_json(folder / "metrics.json"),
                "files": files, "pictures": [f"/api/runs/{folder.name}/files/{f}" for f in files if f.endswith(".png")]}

    def run_file(self, run_id: str, name: str) -> Path:
        """A file inside the run folder; anything resolving outside it is not found."""
        folder = self.run_folder(run_id)
        try:
            path = (folder / name).resolve()
        except (OSError, RuntimeError, ValueError):
            raise NotFoundError(f"no file {name!r} in run {run_id}") from None
        if not path.is_relative_to(folder) or not path.is_file():
            raise NotFoundError(f"no file {name!r} in run {run_id}")
        return path

    # risk and audit -----------------------------------------------------------------------
    def risk(self) -> RiskView:
        """As ``taorui risk status`` and ``taorui risk policy``."""
        return RiskView(status=self.ctx.gate.status(), policy=finite(self.ctx.risk_policy.summary()))

    def kill_switch(self, who: Principal, on: bool, reason: str) -> KillSwitchResult:
        """As ``taorui risk halt`` / ``taorui risk resume``, with the API user as the person."""
        gate = self.ctx.gate
        if not reason.strip():
            raise InvalidArgumentError("the kill switch needs a reason")
        try:
            change = gate.halt(reason, who.name) if on else gate.resume(reason, who.name)
        except InvalidArgumentError as exc:  # resuming trading that is active
            raise ConflictError(exc.message) from exc
        status = gate.status()
        self._audit(AuditKind.STATE_CHANGE, who, "halt" if on else "resume", reason=reason,
                    changed=change is not None, state=status.state.value)
        self.bus.publish("risk", f"trading {status.state.value}: {reason}", user=who.name)
        return KillSwitchResult(changed=change is not None, change=change, state=status.state.value,
                                reason=status.state_reason)

    def audit(self, log: Literal["guardrails", "console"], n: int, kind: AuditKind | None) -> AuditPage:
        """As ``taorui audit tail``; ``console`` reads the API's action log."""
        source = self.ctx.audit_log if log == "guardrails" else self.actions
        return AuditPage(log=log, records=[r.model_copy(update={"payload": finite(r.payload)})
                                           for r in source.tail(n, kind)])

    def verify(self, who: Principal) -> AuditVerifyResult:
        """As ``taorui audit verify``, plus the console's action log."""
        report = self.ctx.session_gate.verify()
        console = self.actions.verify()
        return AuditVerifyResult(ok=report.ok and console.ok, guardrails=report, console=console)

    # health -------------------------------------------------------------------------------
    def health(self) -> HealthReport:
        """Data freshness per market, last cycles, the broker, memory size."""
        problems: list[str] = []
        markets = self._markets()
        cycles = self._cycles(problems)
        status = self.ctx.gate.status()
        broker = {"trading_state": status.state.value, "equity": finite(status.equity), "cash": finite(status.cash),
                  "pending_approvals": status.pending_approvals, "account_error": status.account_error}
        if status.account_error:
            problems.append(f"broker: {status.account_error}")
        return HealthReport(ok=not problems, markets=markets, last_cycles=cycles, broker=broker,
                            memory_bytes=_folder_bytes(self.ctx.settings.memory_dir), problems=problems)

    def _markets(self) -> list[MarketFreshness]:
        by_market: dict[str, list[Any]] = {}
        for info in self.ctx.data.list_instruments():
            by_market.setdefault(info.market, []).append(info)
        today = datetime.now(UTC).date()
        out = []
        for market, infos in sorted(by_market.items()):
            newest = max(i.end for i in infos)
            age = (today - date.fromisoformat(newest[:10])).days
            out.append(MarketFreshness(market=market, instruments=len(infos), newest_bar=newest,
                                       days_since_newest=age, synthetic=all(i.synthetic for i in infos)))
        return out

    def _cycles(self, problems: list[str]) -> dict[str, str | None]:
        desk = self.ctx.trading_desk
        cycles: dict[str, str | None] = {}
        with self._desk_lock:
            for name in desk.names():
                try:
                    last = desk.status(name).last_day
                except TaoruiError as exc:
                    problems.append(f"portfolio {name}: {exc.message}")
                    last = None
                cycles[name] = last.isoformat() if last else None
        return cycles


def _cycle_outcome(run: CycleRun) -> tuple[dict[str, Any], str]:
    """A finished run's outcome (the ``trading_done`` event's data) and its line."""
    waiting = run.paused_on is not None
    outcome = {"status": "waiting_for_approval" if waiting else "done", "mode": run.mode,
               "window": [d.isoformat() for d in run.window], "days_run": [d.isoformat() for d in run.days_run],
               "already_done": run.already_done, "waiting_for_approval": waiting,
               "paused_on": run.paused_on.isoformat() if run.paused_on else None, "pending": len(run.pending),
               "live_note": run.live_note}
    days = run.days_run
    ran = f"{len(days)} day(s) run ({days[0]} to {days[-1]})" if days else "no day to run"
    if run.already_done:
        ran += f", {run.already_done} already done"
    text = f"portfolio {run.portfolio}: {ran}; " + (
        f"{len(run.pending)} order(s) of {run.paused_on} wait for a person in the inbox" if waiting else "done")
    return outcome, text


def _folder_bytes(folder: Path) -> int | None:
    """Bytes under ``folder`` (None when it does not exist)."""
    if not folder.is_dir():
        return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
