"""``python -m evals [--suite routing|flows] [--mode plan|full] [--backend offline|openai] [--json]``.

Runs apart from the unit tests. Plan mode (the default) executes nothing; full mode runs the
graph on a fresh temporary home (or ``--home``) with the sample store. Exit status 0 when
every case passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from evals.harness import fresh_home, run_suite


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the suite, print the report."""
    parser = argparse.ArgumentParser(prog="python -m evals", description="Taorui agent evaluations")
    parser.add_argument("--suite", default="routing", help="cases file under evals/cases (routing, flows)")
    parser.add_argument("--mode", choices=["plan", "full"], default="plan")
    parser.add_argument("--backend", choices=["offline", "openai"], default=None)
    parser.add_argument("--home", type=Path, default=None, help="TAORUI_HOME to run in (full mode: a temp one)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from taorui.settings import load_settings
    from taorui.wiring import AppContext

    home = args.home or (fresh_home() if args.mode == "full" else None)
    settings = load_settings(**({"home": home} if home else {}))
    ctx = AppContext(settings=settings, quiet=True)
    backend = args.backend or settings.llm_backend
    report = run_suite(args.suite, args.mode, lambda: ctx.build_orchestrator(backend), backend)
    if args.json:
        sys.stdout.write(json.dumps({**report.model_dump(mode="json"), "pass_rate": report.pass_rate}) + "\n")
    else:
        sys.stdout.write(report.markdown() + "\n")
    return 0 if all(c.passed for c in report.cases) else 1


if __name__ == "__main__":
    sys.exit(main())
