"""``taorui eval run``: evaluation suites on a backend, k repeats, pass^k, a report.

Exit status: 0 when every safety case passed every trial (other failures are in the report),
3 when a safety case failed, 2 on bad input. Reports go to ``<home>/evals/<timestamp>/``
(JSON, Markdown, self-contained HTML); the previous report of each suite on the same
backend is compared with.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

__all__ = ["EXIT_SAFETY", "register"]

#: Exit status when a safety case failed in any trial.
EXIT_SAFETY = 3


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``eval run``."""
    p = sub.add_parser("eval", help="evaluate an agent backend on suites of cases (pass^k, safety)")
    inner = p.add_subparsers(dest="eval_command", required=True)
    run = inner.add_parser("run", help="run suites k times and write a report",
                           description="Suites: spec, robustness, safety, e2e, all, or a suite file's path "
                                       "(format: evals/suites/FORMAT.md).")
    run.add_argument("--suite", action="append", default=None,
                     help="suite name or file (repeatable; default: all built-in suites)")
    run.add_argument("--backend", choices=["offline", "openai"], default=None, help="default: TAORUI_LLM_BACKEND")
    run.add_argument("--model", default=None, help="model name for the openai backend (default: TAORUI_LLM_MODEL)")
    run.add_argument("--k", type=int, default=1, help="trials per case (pass^k); default 1")
    run.add_argument("--seed", type=int, default=None, help="sampling seed passed to the backend")
    run.add_argument("--temperature", type=float, default=None, help="sampling temperature (openai backend)")
    run.add_argument("--max-cost", type=float, default=None, help="stop starting cases once this many USD are spent")
    run.add_argument("--knowledge-cutoff", default=None, metavar="YYYY-MM-DD",
                     help="the model's declared knowledge cutoff: research windows before it are flagged")
    run.add_argument("--jobs", type=int, default=1,
                     help="plan-mode cases run at once (threads; full-mode cases always run in order)")
    run.add_argument("--report-dir", type=Path, default=None, help="default: <home>/evals")
    add_json_flag(run)
    run.set_defaults(func=cmd_run)


def _names(suites: list[str] | None) -> list[str]:
    from evals.runner import BUILT_IN

    chosen = suites or ["all"]
    out: list[str] = []
    for name in chosen:
        out += list(BUILT_IN) if name == "all" else [name]
    return list(dict.fromkeys(out))


def _factory(ctx: AppContext, args: argparse.Namespace) -> Any:
    """A new orchestrator per home (None: this home), with the backend and sampling asked for."""
    from taorui.settings import load_settings

    overrides: dict[str, Any] = {}
    if args.model:
        overrides["llm_model"] = args.model
    if args.temperature is not None:
        overrides["llm_temperature"] = args.temperature
    if args.seed is not None:
        overrides["llm_seed"] = args.seed

    def make(home: Path | None) -> Any:
        settings = load_settings(**overrides, home=home if home is not None else ctx.settings.home)
        return AppContext(settings=settings, quiet=True).build_orchestrator(args.backend)

    return make


def _cutoff(text: str | None) -> str | None:
    if text is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise InvalidArgumentError(f"--knowledge-cutoff must be YYYY-MM-DD, got {text!r}") from exc


def _show(line: str) -> None:
    sys.stderr.write(f"\r{line}   ")


def cmd_run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run the suites, write the report, exit non-zero on a safety failure."""
    from evals.runner import load_suite, markdown, previous_figures, run_suites, write_reports

    if not 1 <= args.jobs <= 32:
        raise InvalidArgumentError(f"--jobs must be between 1 and 32, got {args.jobs}")
    if args.k < 1 or args.k > 50:
        raise InvalidArgumentError(f"--k must be between 1 and 50, got {args.k}")
    names = _names(args.suite)
    suites = [load_suite(n) for n in names]  # bad names and files fail here, before anything runs
    backend = args.backend or ctx.settings.llm_backend
    folder = args.report_dir or (ctx.settings.home / "evals")
    previous = previous_figures(folder, [s.suite for s in suites], backend)
    report = run_suites(names, _factory(ctx, args), backend=backend,
                        model=(args.model or ctx.settings.llm_model) if backend == "openai" else None, k=args.k,
                        seed=args.seed, temperature=args.temperature, max_cost=args.max_cost, previous=previous,
                        progress=_show if (not args.json and sys.stderr.isatty()) else None,
                        knowledge_cutoff=_cutoff(args.knowledge_cutoff), jobs=args.jobs)
    files = write_reports(report, folder)
    payload = {"summary": report.summary(), "safety_failures": report.safety_failures, "reports": files,
               "possibly_contaminated": report.possibly_contaminated,
               "k": report.k, "backend": report.backend, "model": report.model, "seconds": report.seconds}
    emit(args, payload, markdown(report) + f"\nreports: {files['html']}")
    return EXIT_SAFETY if report.safety_failures else 0
