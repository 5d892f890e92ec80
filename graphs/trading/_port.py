"""The trading desk as the agents' tools see it (``tools.trading_tools.TradingPort``).

A portfolio made through an instruction runs **supervised**: an agent cannot pick a looser
mode, and ``ask_before_orders`` only tightens one run. An existing portfolio keeps the mode a
person gave it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from graphs.trading._desk import CycleRun, TradingDesk
from graphs.trading._text import explanation_text, run_text
from taorui_engines.errors import InvalidArgumentError
from taorui_engines.trading import (
    Construction,
    FactorStrategy,
    PortfolioSpec,
    QlibModelStrategy,
    TradingMode,
)
from tools.trading_tools import CycleArgs, CycleResult, ExplainArgs, ExplainResult, PendingOrder

__all__ = ["DeskPort"]


class DeskPort:
    """Adapts :class:`TradingDesk` to the tools' port."""

    def __init__(self, desk: TradingDesk, latest_model: Callable[[], str | None],
                 now: Callable[[], datetime] | None = None) -> None:
        self._desk = desk
        self._latest_model = latest_model
        self._now = now or (lambda: datetime.now(UTC))

    def _spec(self, args: CycleArgs, agent: str) -> PortfolioSpec:
        if args.expression:
            strategy: FactorStrategy | QlibModelStrategy = FactorStrategy(expression=args.expression,
                                                                          universe=args.universe)
            default_name = "agent-factor-" + hashlib.sha256(
                f"{args.expression}|{args.universe}|{args.commission_rate}|{args.slippage}".encode()).hexdigest()[:6]
        else:
            run_id = args.model_run_id or self._latest_model()
            if run_id is None:
                raise InvalidArgumentError("no trained LightGBM model in this home to trade with; train one first "
                                           "(train_qlib_model, or `taorui model train`)")
            strategy = QlibModelStrategy(run_id=run_id)
            default_name = f"agent-model-{run_id[-6:]}".replace(".", "-")
        selection = ({"select": "top_k", "top_k": args.top_k} if args.top_k is not None else
                     {"select": "top_pct", "top_pct": args.top_pct if args.top_pct is not None else 5.0})
        costs = {k: val for k, val in (("commission_rate", args.commission_rate), ("slippage", args.slippage))
                 if val is not None}
        if costs and not args.expression:
            default_name += "-" + hashlib.sha256(str(sorted(costs.items())).encode()).hexdigest()[:4]
        return PortfolioSpec(name=args.portfolio or default_name, strategy=strategy, **costs,
                             construction=Construction.model_validate(selection), mode=TradingMode.SUPERVISED,
                             created=self._now(), created_by=f"agent:{agent}")

    def run_cycle(self, args: CycleArgs, agent: str) -> CycleResult:
        """Make the portfolio (supervised) if it is new, then run today's cycle or the replay."""
        spec = self._spec(args, agent)
        created = spec.name not in self._desk.names()
        if created:
            self._desk.create(spec)
        else:
            spec = self._desk.spec(spec.name)
        ask = TradingMode.SUPERVISED if args.ask_before_orders else None
        if args.start is None:
            run = self._desk.run_live(spec.name, self._now(), ask)
        else:
            run = self._desk.run(spec.name, args.start, args.end or args.start, ask)
        return self._result(run, spec, created)

    def _result(self, run: CycleRun, spec: PortfolioSpec, created: bool) -> CycleResult:
        pending = [PendingOrder(key=p.intent.key, symbol=p.intent.symbol, side=p.intent.side, qty=p.intent.qty,
                                price=p.intent.price, why=p.intent.reason, reasons=[r.message for r in p.reasons])
                   for p in run.pending]
        journal = self._desk.journal(spec.name)
        decisions = [d.model_dump(mode="json") for day in run.days_run for d in journal.decisions(day)]
        note = (f"portfolio {spec.name} runs {run.mode}" + (
            " (made through an instruction: a person approves every order; a person can make a semi-auto "
            "portfolio with `taorui trade run --mode semi-auto`)" if created else ""))
        command = f"taorui trade approve --portfolio {spec.name} --approve" if pending else None
        return CycleResult(portfolio=spec.name, created=created, mode=run.mode, mode_note=note,
                           strategy=spec.strategy_text(), construction=spec.construction.describe(),
                           days=run.days_run, paused_on=run.paused_on, pending=pending, decisions=decisions,
                           report=run.report.model_dump(mode="json"), live_note=run.live_note,
                           approve_command=command, text_en=run_text(run, "en"), text_zh=run_text(run, "zh"))

    def explain(self, args: ExplainArgs) -> ExplainResult:
        """Explain a day's picks of a portfolio (default: the most recently run)."""
        name = args.portfolio or self._latest_portfolio()
        items = self._desk.explain(name, args.day, args.symbol)
        return ExplainResult(portfolio=name, day=items[0].day, items=[i.model_dump(mode="json") for i in items],
                             method=items[0].method, text_en=explanation_text(items, "en"),
                             text_zh=explanation_text(items, "zh"))

    def _latest_portfolio(self) -> str:
        names = self._desk.names()
        if not names:
            raise InvalidArgumentError("no portfolio has traded yet: run a trading cycle first")
        return max(names, key=lambda n: (self._desk.folder(n) / "events.sqlite").stat().st_mtime
                   if (self._desk.folder(n) / "events.sqlite").exists() else 0.0)
