"""The post-command hook of ``main``: remember the work a command created.

Run folders that a command created are indexed, and new audit-log rows mirrored into the
trade journal, when it ends, so memory follows the engines and the guardrails without
either knowing about it. The snapshot before the command is a directory listing and a stat
(no memory, no Chroma): a command that creates nothing pays for nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from taorui.wiring import AppContext

__all__ = ["WorkSnapshot", "audit_path", "remember_new_work", "work_snapshot"]

logger = logging.getLogger(__name__)

#: The guardrails' audit database under ``state_dir`` (``guardrails.AUDIT_FILE``; a test keeps them equal).
AUDIT_FILE = "audit.sqlite"


@dataclass(frozen=True)
class WorkSnapshot:
    """What existed before a command: run folders, and the audit log's mtime."""

    runs: frozenset[str]
    audit_mtime: int | None
    #: portfolio -> mtime of its event store (a cycle ran when it moves)
    portfolios: tuple[tuple[str, int], ...] = ()


def audit_path(ctx: AppContext) -> Path:
    """Where this home's audit log lives."""
    return ctx.settings.state_dir / AUDIT_FILE


def _run_ids(runs_dir: Path) -> frozenset[str]:
    # memory.hooks.snapshot_run_ids, without importing memory for a command that made nothing
    if not runs_dir.is_dir():
        return frozenset()
    return frozenset(p.name for p in runs_dir.iterdir() if (p / "status.json").is_file())


def work_snapshot(ctx: AppContext) -> WorkSnapshot:
    """Cheap: one directory listing and one stat."""
    path = audit_path(ctx)
    return WorkSnapshot(runs=_run_ids(ctx.settings.runs_dir),
                        audit_mtime=path.stat().st_mtime_ns if path.exists() else None,
                        portfolios=_portfolios(ctx.settings.home / "trading"))


def _portfolios(root: Path) -> tuple[tuple[str, int], ...]:
    if not root.is_dir():
        return ()
    return tuple(sorted((p.name, (p / "events.sqlite").stat().st_mtime_ns) for p in root.iterdir()
                        if (p / "events.sqlite").is_file()))


def mirror(ctx: AppContext) -> tuple[str, ...]:
    """Journal entries for the audit rows memory lacks."""
    from memory import mirror_audit

    return mirror_audit(ctx.memory, ctx.audit_log.records())


def remember_new_work(ctx: AppContext, before: WorkSnapshot) -> None:
    """Index new run folders and mirror new audit rows; a failure is logged, never raised.

    The command's own result stands either way: memory is a record of the work, and
    ``taorui memory sync`` catches up on anything a failed hook left out.
    """
    after = work_snapshot(ctx)
    new_runs = after.runs - before.runs
    audit_moved = after.audit_mtime is not None and after.audit_mtime != before.audit_mtime
    cycles = sorted({name for name, _ in set(after.portfolios) - set(before.portfolios)})
    if not new_runs and not audit_moved and not cycles:
        return
    try:
        if new_runs:  # queued: indexed at the next memory access, not while the person waits
            for name in sorted(new_runs):
                ctx.memory.defer_run(ctx.settings.runs_dir / name)
            logger.info("memory: %d new run(s) queued for indexing", len(new_runs))
        if audit_moved:
            logger.info("memory: mirrored %d audit row(s) into the journal", len(mirror(ctx)))
        if cycles:
            from graphs.trading._memory import cycle_records

            for name in cycles:
                written = ctx.memory.add_many(cycle_records(name, ctx.trading_desk.journal(name)))
                logger.info("memory: %d cycle day(s) of portfolio %s in the journal", len(written), name)
    except Exception as exc:  # memory must not turn a finished command into a failure
        logger.warning("memory: new work not remembered (%s); run `taorui memory sync` later", exc)
