"""``taorui memory ...``: search, show and count what memory holds; sync run folders into it.

Also the post-command hook of ``main``: run folders that a command created are indexed, and
new audit-log rows mirrored into the trade journal, when it ends (:func:`remember_new_work`),
so memory follows the engines and the guardrails without either knowing about it.
"""

from __future__ import annotations

import argparse
import logging

from memory import KINDS, MAX_LIMIT, MemoryItem, SearchHit, sync_runs
from taorui.cli._common import add_json_flag, emit
from taorui.cli._hooks import WorkSnapshot, audit_path, mirror, remember_new_work, work_snapshot
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidArgumentError

__all__ = ["WorkSnapshot", "register", "remember_new_work", "work_snapshot"]

logger = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``memory`` group."""
    group = sub.add_parser("memory", help="long-term memory: search, show, stats, sync")
    cmds = group.add_subparsers(dest="cmd", required=True, parser_class=type(group))

    p = cmds.add_parser("search", help="records closest in meaning to a query")
    p.add_argument("query", help="what to look for, in English or Chinese")
    p.add_argument("--kind", choices=list(KINDS), help="search one kind only")
    p.add_argument("--where", help="metadata filter, e.g. 'rank_icir>0.5 and universe=csi_syn'")
    p.add_argument("--limit", type=int, default=5, help=f"results to return (1..{MAX_LIMIT})")
    add_json_flag(p)
    p.set_defaults(func=cmd_search)

    p = cmds.add_parser("show", help="one record by id")
    p.add_argument("id", help="record id, e.g. run:train_rl-20250101T120000-ab12cd")
    add_json_flag(p)
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser("stats", help="records per kind, backend and embedding model")
    add_json_flag(p)
    p.set_defaults(func=cmd_stats)

    p = cmds.add_parser("sync", help="index run folders that memory lacks or holds in an older state")
    add_json_flag(p)
    p.set_defaults(func=cmd_sync)


def cmd_search(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the best matches."""
    if not 1 <= args.limit <= MAX_LIMIT:
        raise InvalidArgumentError(f"--limit must be 1..{MAX_LIMIT}, got {args.limit}")
    hits = ctx.memory.search(args.query, kind=args.kind, where=args.where, limit=args.limit)
    payload = {"results": [h.model_dump(mode="json") for h in hits]}
    return emit(args, payload, _hits_text(hits))


def _hits_text(hits: list[SearchHit]) -> str:
    if not hits:
        return "no matching records"
    return "\n\n".join(f"{h.score:.3f}  {h.id}\n       {h.text}" for h in hits)


def cmd_show(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print one record."""
    item = ctx.memory.get(args.id)
    return emit(args, item.model_dump(mode="json"), _item_text(item))


def _item_text(item: MemoryItem) -> str:
    meta = "\n".join(f"  {k} = {v}" for k, v in sorted(item.metadata.items()))
    return f"{item.id} ({item.kind})\n{item.text}\nmetadata:\n{meta}"


def cmd_stats(args: argparse.Namespace, ctx: AppContext) -> int:
    """Print the size of the store."""
    stats = ctx.memory.stats()
    counts = ", ".join(f"{k} {v}" for k, v in stats.counts.items())
    text = (f"{stats.backend} store at {stats.location}: {stats.total} records ({counts}); "
            f"embeddings {stats.embedding_model} ({stats.embedding_dim}-d)")
    return emit(args, stats.model_dump(mode="json"), text)


def cmd_sync(args: argparse.Namespace, ctx: AppContext) -> int:
    """Index every run folder memory lacks and mirror the audit log into the journal."""
    report = sync_runs(ctx.memory, ctx.settings.runs_dir)
    journal = mirror(ctx) if audit_path(ctx).exists() else ()
    payload = {**report.model_dump(mode="json"), "journal": list(journal)}
    text = (f"indexed {len(report.indexed)} run(s), {report.up_to_date} already up to date; "
            f"{len(journal)} new journal entr{'y' if len(journal) == 1 else 'ies'}")
    text += "".join(f"\nskipped {run_id}: {why}" for run_id, why in report.skipped)
    return emit(args, payload, text)
