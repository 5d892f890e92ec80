"""Memory tools: let an agent look up what was tried before and what it gave.

``search_memory`` finds runs, factors, strategies and journal entries by meaning, with an
optional metadata filter; ``recall_run`` returns one run's full record (instruction,
config, metrics, failure reason, folder). Both only read: a run that memory has not
indexed yet is read from its folder and returned without being written.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from memory import MAX_LIMIT, MemoryKind, MemoryStore, RunRecord, SearchHit, run_record
from taorui_engines.errors import InternalError, NotFoundError
from taorui_engines.runs import open_run
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = [
    "RECALL_RUN",
    "SEARCH_MEMORY",
    "TOOLS",
    "RecallRunArgs",
    "RecallRunResult",
    "SearchMemoryArgs",
    "SearchMemoryResult",
]

#: Results one tool call may ask for (the store allows more; a conversation needs fewer).
MAX_TOOL_RESULTS = min(20, MAX_LIMIT)


class SearchMemoryArgs(ToolArgs):
    """Arguments of ``search_memory``."""

    query: str = Field(min_length=1, max_length=500,
                       description="What to look for, in words (English works best), e.g. "
                       "'gold reinforcement learning strategy' or '20-day momentum factor'.")
    kind: MemoryKind | None = Field(default=None, description="Only this kind: runs, factors, strategies "
                                    "or journal; omit to search all.")
    where: str | None = Field(default=None, min_length=1, max_length=300,
                              description="Metadata filter: comparisons joined by 'and'/'or', e.g. "
                              "'rank_icir>0.5 and status=accepted', 'state=failed', 'oos_sharpe>=1'.")
    limit: int = Field(default=5, ge=1, le=MAX_TOOL_RESULTS, description="Number of results.")


class SearchMemoryResult(ToolResult):
    """Best matches first; ``score`` is the cosine similarity to the query."""

    results: tuple[SearchHit, ...] = Field(description="Matching records, best first.")


class RecallRunArgs(ToolArgs):
    """Arguments of ``recall_run``."""

    run_id: str = Field(min_length=1, max_length=200,
                        description="Run id (train_rl-20250101T120000-ab12cd) or memory id (run:...).")


class RecallRunResult(ToolResult):
    """One run's record and where it came from."""

    record: RunRecord = Field(description="Instruction, config, metrics, state and failure reason, folder.")
    text: str = Field(description="The run in one paragraph.")
    source: Literal["memory", "run_folder"] = Field(
        description="'memory' when indexed; 'run_folder' when read from a folder memory does not hold yet.")


def _store(ctx: ToolContext) -> MemoryStore:
    store = ctx.require_memory()
    if not isinstance(store, MemoryStore):
        raise InternalError(f"ToolContext.memory is a {type(store).__name__}, not a MemoryStore")
    return store


def search_memory(args: SearchMemoryArgs, ctx: ToolContext) -> SearchMemoryResult:
    """Semantic search with an optional filter."""
    hits = _store(ctx).search(args.query, kind=args.kind, where=args.where, limit=args.limit)
    return SearchMemoryResult(results=tuple(hits))


def recall_run(args: RecallRunArgs, ctx: ToolContext) -> RecallRunResult:
    """The run from memory, else from its folder under ``ctx.runs_dir``."""
    run_id = args.run_id.removeprefix("run:")
    found = _store(ctx).get_many([f"run:{run_id}"]).get(f"run:{run_id}")
    if found is not None:
        return RecallRunResult(record=RunRecord.model_validate(found.record), text=found.text, source="memory")
    try:
        folder = open_run(ctx.runs_dir, run_id)
    except NotFoundError as exc:
        raise NotFoundError(f"no run {run_id!r} in memory or under the runs folder; "
                            "use search_memory with kind=runs to find its id") from exc
    record = run_record(folder.path)
    return RecallRunResult(record=record, text=record.document(), source="run_folder")


SEARCH_MEMORY: Tool[SearchMemoryArgs, SearchMemoryResult, ToolContext] = Tool(
    name="search_memory",
    description="Search past runs, factors, strategies and trade journal by meaning, with an optional "
    "metadata filter such as 'rank_icir>0.5'.",
    kind=ToolKind.READ,
    args_model=SearchMemoryArgs,
    result_model=SearchMemoryResult,
    fn=search_memory,
)

RECALL_RUN: Tool[RecallRunArgs, RecallRunResult, ToolContext] = Tool(
    name="recall_run",
    description="Get one past run's full record: instruction, config, metrics, done or failed and why, folder.",
    kind=ToolKind.READ,
    args_model=RecallRunArgs,
    result_model=RecallRunResult,
    fn=recall_run,
)

TOOLS: tuple[Tool, ...] = (SEARCH_MEMORY, RECALL_RUN)  # type: ignore[type-arg]
