"""``taorui replay RUN_ID``: run a finished run again from its manifest and compare the metrics.

Exit status: 0 when every metric is identical (or within ``--rtol``), 1 when some differ,
2 when the replay is refused (unknown run, no manifest, changed data, a kind that cannot be
replayed) with ``{"error": {...}}`` under ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys

from taorui.cli._common import EXIT_INVALID, add_json_flag, emit
from taorui.wiring import AppContext
from taorui_engines.manifest import REPLAYABLE_KINDS, DataChangedError, ReplayResult, replay

__all__ = ["EXIT_DIFFERENT", "register"]

#: Exit status of a replay whose metrics differ.
EXIT_DIFFERENT = 1
_SHOWN = 20


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``replay`` command."""
    p = sub.add_parser(
        "replay", help="rerun a run from its manifest and say whether its metrics are identical",
        description=f"Replayable runs: {', '.join(REPLAYABLE_KINDS)}. Exit 0 identical, 1 different, 2 refused.",
    )
    p.add_argument("run_id", help="id of a finished run (see `taorui memory` or the runs folder)")
    p.add_argument("--allow-data-change", action="store_true",
                   help="replay even when a series the run read has changed, and report the changes")
    p.add_argument("--rtol", type=float, default=0.0,
                   help="relative tolerance for numbers (default 0: bit for bit)")
    add_json_flag(p)
    p.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace, ctx: AppContext) -> int:
    """Replay a run and print the comparison."""
    try:
        result = replay(args.run_id, ctx.settings.runs_dir, ctx.data, allow_data_change=args.allow_data_change,
                        rtol=args.rtol, progress=ctx.progress)
    except DataChangedError as exc:
        return _refused(args, exc)
    emit(args, result, _text(result))
    return 0 if result.verdict != "different" else EXIT_DIFFERENT


def _refused(args: argparse.Namespace, exc: DataChangedError) -> int:
    """The usual error object, plus the series that changed."""
    if not args.json:
        sys.stderr.write(f"error ({exc.type_name}): {exc.message}\n")
        return EXIT_INVALID
    changed = [{"symbol": c.symbol, "market": c.market, "differences": list(c.differences)} for c in exc.changes]
    payload = {"error": {**exc.to_dict(), "changed": changed}}
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return EXIT_INVALID


def _text(r: ReplayResult) -> str:
    tolerance = "bit for bit" if r.rtol == 0 else f"rtol {r.rtol:g}"
    ignored = sorted({m.note for m in r.metrics if m.status == "ignored"})
    lines = [
        f"replay {r.replay_run_id} of {r.kind} run {r.run_id}: {r.verdict.upper().replace('_', ' ')} ({tolerance})",
        f"  metrics: {r.n_identical} identical, {r.n_within_tolerance} within tolerance, {r.n_different} different"
        + "".join(f"; not compared: {note}" for note in ignored),
    ]
    differing = [m for m in r.metrics if m.status not in ("identical", "ignored")]
    for m in differing[:_SHOWN]:
        diff = "" if m.abs_diff is None else f"  (abs {m.abs_diff:.3g}, rel {m.rel_diff:.3g})"
        lines.append(f"    {m.key}: {m.original!r} -> {m.replayed!r} [{m.status}]{diff}")
    if len(differing) > _SHOWN:
        lines.append(f"    ... {len(differing) - _SHOWN} more (--json shows all)")
    changed = [c for c in r.series if c.changed]
    lines.append(f"  data: {len(r.series)} series checked, {len(changed)} changed"
                 + (" (replayed anyway)" if r.data_changed else ""))
    lines += [f"    {c.symbol}: {', '.join(c.differences)}" for c in changed[:_SHOWN]]
    if r.config_differences:
        lines.append(f"  config differs: {', '.join(r.config_differences[:_SHOWN])}")
    moved = [v for v in (*r.code, *r.packages, *r.stores, *r.environment) if not v.same]
    lines += [f"  {v.name}: {v.then} -> {v.now}" for v in moved]
    if r.verdict != "identical":
        lines += [f"  note: {note}" for note in r.notes]
    lines.append(f"  folder {r.replay_dir}")
    return "\n".join(lines)
