"""``taorui doctor``: check the local setup and every configured service, and say what to fix.

    taorui doctor                 one line per check, with what to do when something is wrong
    taorui doctor --json          the typed report (taorui.doctor.DoctorReport)
    taorui doctor --timeout 3     seconds each network call may wait

Exit status 0 when nothing configured is broken (warnings included), 1 when a check failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from taorui.cli._common import add_json_flag
from taorui.wiring import AppContext

if TYPE_CHECKING:
    from taorui.doctor import DoctorReport

__all__ = ["register"]

#: Exit status when a configured service or folder is broken.
EXIT_BROKEN = 1

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "--  "}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``doctor``."""
    p = sub.add_parser("doctor", help="check the setup and each configured service; say what to fix")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds each network call may wait (default 10)")
    add_json_flag(p)
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args: argparse.Namespace, ctx: AppContext) -> int:
    """Run the checks; print them; exit 1 when one failed."""
    from taorui.doctor import run_doctor

    report = run_doctor(ctx.settings, timeout_s=max(0.1, args.timeout))
    sys.stdout.write((report.model_dump_json() if args.json else render(report)) + "\n")
    return 0 if report.ok else EXIT_BROKEN


def render(report: DoctorReport) -> str:
    """The report as lines a person reads: one per check, then its fix."""
    lines = [f"taorui doctor: home {report.home}"]
    for check in report.checks:
        lines.append(f"{_MARK[check.status]} {check.name:<10} {check.summary}")
        if check.fix and check.status in ("warn", "fail"):
            lines.append(f"{'':16}-> {check.fix}")
    failed = report.failed
    lines.append("all configured services answer" if not failed
                 else f"{len(failed)} problem(s): {', '.join(c.name for c in failed)}")
    return "\n".join(lines)
