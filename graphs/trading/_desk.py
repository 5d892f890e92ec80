"""The trading desk: paper portfolios, their cycles day by day, approvals, and what a person
reads afterwards (status, positions, history, explanations, the report).

A portfolio is a folder under ``home/trading/<name>/``::

    portfolio.json            the spec a person set (strategy, construction, mode, cash, costs)
    policy.yaml               the risk policy in force for it (copied when it was created)
    paper_broker.sqlite       its paper account
    gate/                     the gate's ledger, approval requests and hash-chained audit log
    events.sqlite             every event of every cycle (the bus's store)
    journal.sqlite            the journal built from the events
    cycle_checkpoints.sqlite  one LangGraph thread per day
    report/                   report.json and equity.png

The desk never builds a broker or a gate: the composition root hands it a factory
(``taorui.wiring``), so a real broker plugs in behind the same gate. One process runs a
portfolio at a time (a file lock), and days run in order; a day waiting for a person stops
the replay until the person decides (``decide``), and nothing after it runs before that.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from graphs.checkpoint import open_sqlite_checkpointer
from graphs.trading._graph import CycleDeps, build_cycle_graph
from graphs.trading._state import CycleDecision, GatePending, PersonPending, pending_of
from guardrails import Gate
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, NotFoundError
from taorui_engines.locks import file_lock
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.runs import write_json_atomic
from taorui_engines.trading import (
    DataUpdated,
    EventBus,
    Journal,
    LiveSchedule,
    PortfolioSpec,
    ReplayClock,
    SignalProvider,
    TradeReport,
    TradingEvent,
    TradingMode,
    build_report,
    make_provider,
    sessions,
    stricter,
)

__all__ = ["CycleRun", "Explanation", "GateFactory", "PortfolioStatus", "TradingDesk"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,47}")

#: Builds the gate (and behind it the broker) of one portfolio: (folder, spec, market clock) -> Gate.
GateFactory = Callable[[Path, PortfolioSpec, Callable[[], datetime]], Gate]


class CycleRun(BaseModel):
    """What one ``run`` did."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio: str
    mode: str = Field(description="The mode the days ran in (the portfolio's, or stricter if asked).")
    window: tuple[date, date]
    days_run: list[date]
    already_done: int = Field(description="Days of the window finished by an earlier run (not run again).")
    paused_on: date | None = Field(description="The day waiting for a person, if any.")
    pending: list[GatePending | PersonPending] = Field(default_factory=list)
    live_note: str | None = None
    sizing: list[str] = Field(default_factory=list, description="How the last day's targets were sized: names "
                              "left out (a lot costs more than the weight), rounding, cash limits.")
    report: TradeReport


class PortfolioStatus(BaseModel):
    """Where a portfolio stands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio: str
    strategy: str
    mode: str
    folder: str
    trading_state: str
    cash: float
    value: float
    positions: dict[str, tuple[float, float]]
    last_day: date | None
    paused_on: date | None
    pending: list[GatePending | PersonPending]
    days: int
    events: int


class Explanation(BaseModel):
    """Why the strategy wanted (or did not want) one name on one day, from the model itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portfolio: str
    day: date
    symbol: str
    source: str
    score: float | None
    rank: int | None
    n_scored: int
    selected: bool
    decision: str | None
    drivers: list[tuple[str, float, float | None, float | None]] = Field(
        description="(input, contribution, value, the value's percentile in the universe that day), largest first.")
    method: str


@dataclass
class _Open:
    spec: PortfolioSpec
    folder: Path
    clock: ReplayClock
    gate: Gate
    bus: EventBus
    journal: Journal
    checkpointer: Any
    provider: SignalProvider | None = None
    graph: Any = None


class TradingDesk:
    """Paper portfolios and their cycles (see the module docstring)."""

    def __init__(self, root: Path, data: DataCenter, runs_dir: Path, gate_factory: GateFactory,
                 policy_text: Callable[[], str], approval_ttl_minutes: float = 60.0,
                 wall: Callable[[], datetime] | None = None, progress: ProgressReporter | None = None) -> None:
        self.root = Path(root)
        self._data, self._runs_dir = data, runs_dir
        self._gate_factory, self._policy_text = gate_factory, policy_text
        self._ttl = approval_ttl_minutes
        self._wall = wall or (lambda: datetime.now(UTC))
        self._progress = default_progress(progress)
        self._open: dict[str, _Open] = {}

    # portfolios -----------------------------------------------------------------------
    def folder(self, name: str) -> Path:
        """The folder of portfolio ``name`` (a plain name: never a path out of ``root``)."""
        if not _NAME.fullmatch(name or ""):
            raise InvalidArgumentError(f"portfolio name {name!r}: use letters, digits, '-' and '_' (at most 48), "
                                       "starting with a letter or digit")
        return self.root / name

    def create(self, spec: PortfolioSpec, policy_text: str | None = None,
               window: tuple[date, date] | None = None) -> PortfolioSpec:
        """Write a new portfolio; the same spec again is a no-op, a different one is refused.

        Everything is checked before anything is written (the strategy, the policy, the first
        ``window`` to run): a bad request leaves no half-made portfolio behind."""
        folder = self.folder(spec.name)
        existing = folder / "portfolio.json"
        if existing.exists():
            old = PortfolioSpec.model_validate_json(existing.read_text())
            if old.model_dump(exclude={"created", "created_by"}) != spec.model_dump(exclude={"created", "created_by"}):
                raise InvalidArgumentError(
                    f"portfolio {spec.name!r} exists with another setup ({old.strategy_text()}, {old.mode.value}); "
                    "pick a new name (a portfolio's strategy, costs and mode are fixed when it is made)")
            return old
        provider = make_provider(self._data, self._runs_dir, spec)  # refuses an unknown universe, run or expression
        if window is not None:
            sessions(self._data, provider.market, *window)  # refuses a window with no sessions
        text = policy_text if policy_text is not None else self._policy_text()
        from guardrails.policy import policy_from_text

        policy_from_text(text, "the portfolio's policy")  # refuses a policy that would not load
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "policy.yaml").write_text(text)
        write_json_atomic(existing, spec.model_dump(mode="json"))
        return spec

    def names(self) -> list[str]:
        """Portfolios in this home."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "portfolio.json").exists())

    def spec(self, name: str) -> PortfolioSpec:
        """The spec of portfolio ``name``."""
        path = self.folder(name) / "portfolio.json"
        if not path.exists():
            known = ", ".join(self.names()) or "none yet"
            raise NotFoundError(f"no portfolio {name!r} (portfolios: {known}); create one with `taorui trade run "
                                "--portfolio NAME --strategy ...`")
        return PortfolioSpec.model_validate_json(path.read_text())

    def _opened(self, name: str) -> _Open:
        if name in self._open:
            return self._open[name]
        spec, folder = self.spec(name), self.folder(name)
        clock = ReplayClock(date.min)
        bus = EventBus(folder / "events.sqlite")
        journal = Journal(folder / "journal.sqlite")
        journal.attach(bus)
        gate = self._gate_factory(folder, spec, clock)
        opened = _Open(spec=spec, folder=folder, clock=clock, gate=gate, bus=bus, journal=journal,
                       checkpointer=open_sqlite_checkpointer(folder / "cycle_checkpoints.sqlite"))
        last = self._unfinished_or_last(bus)
        if last is not None:
            clock.set(last)
        self._open[name] = opened
        return opened

    def _provider(self, op: _Open) -> SignalProvider:
        if op.provider is None:
            op.provider = make_provider(self._data, self._runs_dir, op.spec)
        return op.provider

    def _graph(self, op: _Open) -> Any:
        if op.graph is None:
            lot = op.spec.construction.lot_size or self._lot_size(self._provider(op).market)
            deps = CycleDeps(spec=op.spec, gate=op.gate, clock=op.clock, data=self._data, provider=self._provider(op),
                             bus=op.bus, lot_size=lot, wall=self._wall, approval_ttl_minutes=self._ttl)
            op.graph = build_cycle_graph(deps, op.checkpointer)
        return op.graph

    def _lot_size(self, market: str) -> int:
        meta = self._data.market_meta(market)
        return 100 if meta is not None and meta.region == "cn" else 1

    @staticmethod
    def _unfinished_or_last(bus: EventBus) -> date | None:
        started = {e.day for e in bus.events(types=("data_updated",)) if isinstance(e, DataUpdated)}
        return max(started) if started else None

    def _paused_day(self, op: _Open) -> date | None:
        """The day whose thread waits (crashed or for a person): started, not finished."""
        started = {e.day for e in op.bus.events(types=("data_updated",))}
        finished = {e.day for e in op.bus.events(types=("cycle_finished",))}
        open_days = sorted(started - finished)
        return open_days[0] if open_days else None

    def _config(self, op: _Open, day: date) -> dict[str, Any]:
        return {"configurable": {"thread_id": f"{op.spec.name}:{day.isoformat()}"}, "recursion_limit": 50}

    def _waiting(self, op: _Open, day: date) -> list[GatePending | PersonPending]:
        snap = self._graph(op).get_state(self._config(op, day))
        if not snap.next or "approval" not in snap.next:
            return []
        return pending_of(snap.values)

    # running --------------------------------------------------------------------------
    def run(self, name: str, start: date, end: date, ask_mode: TradingMode | None = None,
            on_event: Callable[[TradingEvent], None] | None = None, live_note: str | None = None) -> CycleRun:
        """Run the cycle for every session of [start, end] not yet done, in order."""
        op = self._opened(name)
        with file_lock(op.folder / ".run.lock"):
            mode = stricter(op.spec.mode, ask_mode)
            provider = self._provider(op)
            days = sessions(self._data, provider.market, start, end)
            finished = {e.day for e in op.bus.events(types=("cycle_finished",))}
            last_done = max(finished) if finished else None
            todo = [d for d in days if d not in finished]
            if last_done is not None and todo and todo[0] < last_done:
                raise InvalidArgumentError(
                    f"portfolio {name!r} has run up to {last_done}; a paper account cannot go back to {todo[0]}. "
                    f"Run from {last_done} on, or make a new portfolio for an earlier window")
            paused = self._paused_day(op)
            if paused is not None and todo and paused < todo[0]:
                raise InvalidArgumentError(f"portfolio {name!r} has an unfinished day {paused}; finish it first "
                                           f"(`taorui trade run --portfolio {name} --from {paused} --to {paused}`)")
            if on_event is not None:
                op.bus.subscribe(on_event)
            if todo:
                provider.prepare(todo[0], todo[-1])
            ran: list[date] = []
            for i, day in enumerate(todo):
                self._progress.update(ProgressEvent(f"cycle {name}", i, len(todo), day.isoformat()))
                pending = self._run_day(op, day, mode)
                ran.append(day)
                if pending:
                    return self._result(op, mode, days, ran, len(days) - len(todo), day, pending, live_note)
            self._progress.update(ProgressEvent(f"cycle {name}", len(todo), len(todo), "done"))
            return self._result(op, mode, days, ran, len(days) - len(todo), None, [], live_note)

    def _run_day(self, op: _Open, day: date, mode: TradingMode) -> list[GatePending | PersonPending]:
        graph, config = self._graph(op), self._config(op, day)
        op.clock.set(day)
        snap = graph.get_state(config)
        if snap.next and "approval" in snap.next:
            return pending_of(snap.values)  # still waiting for the person
        if snap.next:  # a crash left this day half done: carry on from its last checkpoint
            logger.warning("resuming the cycle of %s %s at %s", op.spec.name, day, ", ".join(snap.next))
            graph.invoke(None, config)
        else:
            graph.invoke({"portfolio": op.spec.name, "day": day.isoformat(), "mode": mode.value, "status": "running"},
                         config)
        return self._waiting(op, day)

    def market(self, name: str) -> str:
        """The market portfolio ``name`` trades (its exchange calendar drives the live clock)."""
        return self._provider(self._opened(name)).market

    def run_live(self, name: str, now: datetime, ask_mode: TradingMode | None = None,
                 on_event: Callable[[TradingEvent], None] | None = None) -> CycleRun:
        """Today's cycle: the session the exchange calendar and the store agree on (see LiveSchedule)."""
        op = self._opened(name)
        plan = LiveSchedule(self._data, self._provider(op).market).plan(now)
        return self.run(name, plan.day, plan.day, ask_mode, on_event, live_note=plan.note)

    def decide(self, name: str, decision: CycleDecision,
               on_event: Callable[[TradingEvent], None] | None = None) -> CycleRun:
        """A person's decision on the day that waits; that day then finishes."""
        op = self._opened(name)
        with file_lock(op.folder / ".run.lock"):
            day = self._paused_day(op)
            pending = self._waiting(op, day) if day is not None else []
            if day is None or not pending:
                raise InvalidArgumentError(f"portfolio {name!r} has no orders waiting for a decision")
            if on_event is not None:
                op.bus.subscribe(on_event)
            op.clock.set(day)
            self._graph(op).invoke(Command(resume=decision.model_dump(mode="json")), self._config(op, day))
            mode = TradingMode(self._graph(op).get_state(self._config(op, day)).values.get("mode", op.spec.mode))
            return self._result(op, mode, [day], [day], 0, None, [], None)

    def _result(self, op: _Open, mode: TradingMode, days: list[date], ran: list[date], done: int,
                paused: date | None, pending: list[GatePending | PersonPending], live_note: str | None) -> CycleRun:
        return CycleRun(portfolio=op.spec.name, mode=mode.value, window=(days[0], days[-1]), days_run=ran,
                        already_done=done, paused_on=paused, pending=pending, live_note=live_note,
                        sizing=self._sizing(op, ran[-1]) if ran else [],
                        report=self.report(op.spec.name, picture=paused is None))

    @staticmethod
    def _sizing(op: _Open, day: date) -> list[str]:
        from taorui_engines.trading import OrdersProposed

        proposed = [e for e in op.bus.events(day=day, types=("orders_proposed",)) if isinstance(e, OrdersProposed)]
        if not proposed:
            return []
        last = proposed[-1]
        left_out = [f"{t['symbol']}: {t['note']}" for t in last.targets
                    if float(str(t.get("weight") or 0)) > 0 and float(str(t.get("shares") or 0)) == 0 and t.get("note")]
        return [*last.notes, *left_out]

    # reading --------------------------------------------------------------------------
    def report(self, name: str, picture: bool = True) -> TradeReport:
        """The report of every finished day (written to ``report/``; ``picture`` draws equity.png)."""
        op = self._opened(name)
        provider = self._provider(op)
        universe = list(provider.universe)
        synthetic = any(self._data.provenance(s).synthetic for s in universe[:5])
        report = build_report(op.journal, op.spec, self._data, universe, synthetic, op.folder / "report", picture)
        (op.folder / "report").mkdir(parents=True, exist_ok=True)
        write_json_atomic(op.folder / "report" / "report.json", report.model_dump(mode="json"))
        return report

    def status(self, name: str) -> PortfolioStatus:
        """Mode, trading state, account, last day, what waits."""
        op = self._opened(name)
        account, risk = op.gate.account(), op.gate.status()
        days = op.journal.days()
        paused = self._paused_day(op)
        pending = self._waiting(op, paused) if paused is not None else []
        events = op.bus.count()
        return PortfolioStatus(
            portfolio=name, strategy=op.spec.strategy_text(), mode=op.spec.mode.value, folder=str(op.folder),
            trading_state=risk.state.value, cash=account.cash, value=account.equity,
            positions={p.symbol: (p.qty, float(p.last_price or p.avg_price)) for p in account.positions if p.qty},
            last_day=days[-1].day if days else None, paused_on=paused if pending else None, pending=pending,
            days=len(days), events=events)

    def journal(self, name: str) -> Journal:
        """The journal of portfolio ``name``."""
        return self._opened(name).journal

    def bus(self, name: str) -> EventBus:
        """The event bus of portfolio ``name`` (subscribe to follow it)."""
        return self._opened(name).bus

    def gate(self, name: str) -> Gate:
        """The gate of portfolio ``name`` (for audit verification and risk status)."""
        return self._opened(name).gate

    def explain(self, name: str, day: date | None, symbol: str | None = None) -> list[Explanation]:
        """Why the strategy picked names on ``day`` (default: the last day with a signal), from the
        model itself; ``symbol`` narrows it to one name (picked or not)."""
        op = self._opened(name)
        days = op.journal.signal_days()
        if not days:
            raise InvalidArgumentError(f"portfolio {name!r} has not produced a signal yet")
        day = day or days[-1]
        record = op.journal.signal(day)
        if record is None:
            raise InvalidArgumentError(f"portfolio {name!r} has no signal on {day} (signals from {days[0]} to "
                                       f"{days[-1]})")
        ranked = [s for s, _ in record.top]
        scores = dict(record.top)
        decisions = {d.symbol: d.decision for d in op.journal.decisions(day)}
        symbols = [symbol.upper()] if symbol else list(record.explanations) or ranked[:5]
        method = _method(op.spec)
        out = []
        for sym in symbols:
            drivers = record.explanations.get(sym)
            if drivers is None:
                drivers = self._provider(op).explain(day, sym)
            out.append(Explanation(portfolio=name, day=day, symbol=sym, source=record.source, score=scores.get(sym),
                                   rank=ranked.index(sym) + 1 if sym in ranked else None, n_scored=record.n_scored,
                                   selected=sym in record.explanations, decision=decisions.get(sym),
                                   drivers=[(str(d[0]), float(d[1]), d[2], d[3] if len(d) > 3 else None)
                                            for d in drivers], method=method))
        return out


def _method(spec: PortfolioSpec) -> str:
    kind = spec.strategy.kind
    if kind == "qlib_model":
        return ("per-feature contributions from the model itself (LightGBM pred_contrib: they add up to the score; "
                "a linear model: coefficient x value)")
    if kind == "rl_policy":
        return "how far the policy's action moves when each input is set to its neutral value"
    return "the factor's value, its z-score across the universe that day (as the contribution) and its percentile"


def dumps(model: BaseModel) -> str:
    """JSON text of a model (for the CLI)."""
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False)
