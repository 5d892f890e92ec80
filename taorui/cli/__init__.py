"""The ``taorui`` command. Each command group lives in its own module with ``register``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from taorui._entry import command_of, pin_hash_seed
from taorui.cli._common import error_exit
from taorui.settings import Settings, load_settings
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError, TaoruiError

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

#: Command-group modules, each exposing ``register(subparsers)``.
GROUPS: tuple[str, ...] = (
    "taorui.cli.data",
    "taorui.cli.tour",
    "taorui.cli.rl",
    "taorui.cli.risk",
    "taorui.cli.approvals",
    "taorui.cli.audit",
    "taorui.cli.bt",
    "taorui.cli.broker",
    "taorui.cli.memory",
    "taorui.cli.ask",
    "taorui.cli.factor",
    "taorui.cli.model",
    "taorui.cli.replay",
    "taorui.cli.eval",
    "taorui.cli.trade",
    "taorui.cli.mcp",
    "taorui.cli.serve",
    "taorui.cli.doctor",
)

#: Which module registers each top-level command. A call names one command, and only that
#: module is imported (engines load when a command needs them, not to build the parser);
#: help, or a name not here, registers every group. tests/test_project.py keeps this in step.
COMMANDS: dict[str, str] = {
    "data": "taorui.cli.data", "tour": "taorui.cli.tour", "rl": "taorui.cli.rl", "risk": "taorui.cli.risk",
    "approvals": "taorui.cli.approvals", "approve": "taorui.cli.approvals", "reject": "taorui.cli.approvals",
    "audit": "taorui.cli.audit", "bt": "taorui.cli.bt", "broker": "taorui.cli.broker",
    "memory": "taorui.cli.memory", "ask": "taorui.cli.ask", "resume": "taorui.cli.ask",
    "factor": "taorui.cli.factor", "model": "taorui.cli.model", "replay": "taorui.cli.replay", "eval": "taorui.cli.eval",
    "trade": "taorui.cli.trade",
    "mcp": "taorui.cli.mcp",
    "serve": "taorui.cli.serve",
    "doctor": "taorui.cli.doctor",
}


#: The one-line help of each top-level command, as its module registers it. ``taorui --help`` (or
#: no command) lists these without importing any command module, so asking for help loads no
#: engine; tests/test_project.py checks they match what the modules register.
SUMMARIES: dict[str, str] = {
    "data": "market data: list, show, ingest",
    "tour": "a guided look at the data center (offline)",
    "rl": "reinforcement-learning trading: train, evaluate, act",
    "risk": "guardrails: check orders, trading state, policy, kill switch",
    "approvals": "orders waiting for a person's approval",
    "approve": "approve a pending order request",
    "reject": "reject a pending order request, or veto an approved one not yet sent",
    "audit": "the append-only audit log of orders and decisions",
    "bt": "Backtrader strategies: list, backtest, optimize",
    "broker": "the paper broker: status, reset",
    "memory": "long-term memory: search, show, stats, sync",
    "ask": "give the agents an instruction (English or Chinese)",
    "resume": "approve or reject the orders a thread waits on",
    "factor": "factor expressions: evaluate, describe, mine, compare inside Alpha158",
    "model": "Qlib models: train (and backtest), backtest a signal",
    "replay": "rerun a run from its manifest and say whether its metrics are identical",
    "eval": "evaluate an agent backend on suites of cases (pass^k, safety)",
    "trade": "paper trading cycles: run, approve, status, explain, report",
    "mcp": "serve the read and compute tools to other agents over MCP (stdio or HTTP)",
    "serve": "the web console's HTTP API (127.0.0.1 by default), and its tokens",
    "doctor": "check the setup and each configured service; say what to fix",
}


class _UsageError(Exception):
    """Raised by the parser instead of printing, so ``main`` can answer in JSON."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    """argparse whose errors reach ``main`` (exit status 2, JSON under --json)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(self, f"{self.prog}: {message}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command``: only its group registered; without one, the command list only."""
    parser = _Parser(prog="taorui", description="Taorui: LLM agents for quant research.")
    parser.add_argument("--home", help="TAORUI_HOME for this call (stores, runs, logs)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="group", required=True, parser_class=_Parser)
    if command is None:  # help or no command: the list, nothing imported
        for name in sorted(SUMMARIES, key=list(COMMANDS).index):
            sub.add_parser(name, help=SUMMARIES[name])
        return parser
    only = COMMANDS.get(command)
    for name in (only,) if only else GROUPS:  # a name not in the map: every group, which may add it
        importlib.import_module(name).register(sub)
    return parser


def build_full_parser() -> argparse.ArgumentParser:
    """The parser with every command group registered (imports every command module)."""
    parser = _Parser(prog="taorui", description="Taorui: LLM agents for quant research.")
    parser.add_argument("--home", help="TAORUI_HOME for this call (stores, runs, logs)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = parser.add_subparsers(dest="group", required=True, parser_class=_Parser)
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def _configure_logging(settings: Settings, verbose: int) -> None:
    """Console at the chosen level; everything from INFO up also in $TAORUI_HOME/logs."""
    console = logging.StreamHandler(sys.stderr)
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else settings.log_level
    console.setLevel(level)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [console]
    try:
        settings.logs_dir.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(settings.logs_dir / "taorui.log", encoding="utf-8")
        to_file.setLevel(logging.INFO)
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(to_file)
    except OSError as exc:  # a read-only home must not stop a read-only command
        console.handleError(logging.makeLogRecord({"msg": f"no log file: {exc}"}))
    root_level = logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=root_level, handlers=handlers, force=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``taorui`` console script."""
    if argv is None:
        pin_hash_seed(list(sys.argv[1:]))
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(argv))
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        wants_json = "--json" in argv
        if not wants_json:
            exc.parser.print_usage(sys.stderr)
        return error_exit(argparse.Namespace(json=wants_json), InvalidArgumentError(str(exc)))
    overrides = {"home": args.home} if args.home else {}
    try:
        settings = load_settings(**overrides)
    except ValidationError as exc:
        return error_exit(args, InvalidArgumentError(f"bad TAORUI_* setting: {exc}"))
    _configure_logging(settings, args.verbose)
    from taorui.cli._hooks import remember_new_work, work_snapshot

    ctx = AppContext(settings=settings)
    before = work_snapshot(ctx)
    try:
        return int(args.func(args, ctx))
    except TaoruiError as exc:
        return error_exit(args, exc)
    except ValidationError as exc:
        return error_exit(args, InvalidArgumentError(str(exc)))
    except (RecursionError, MemoryError) as exc:  # hostile input, never a traceback
        logger.exception("command failed on input it could not hold")
        return error_exit(args, InvalidArgumentError(f"the input is too deeply nested or too large ({type(exc).__name__})"))
    finally:
        remember_new_work(ctx, before)  # memory: index new run folders and audit rows
