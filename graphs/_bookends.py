"""The first and last nodes: prepare (catalog, memory, run folder) and finish (answer, records).

Memory is consulted in ``prepare`` (before any planning) and written in ``finish`` (after the
answer); the instruction's own run folder is opened in ``prepare`` and closed in ``finish``,
so a thread waiting for approval shows up as a running instruction.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage

from agents import CatalogEntry
from agents.brief import catalog_entries
from agents.understand import detect_language, in_users_script
from graphs._deps import GraphDeps, InstructionRecord
from graphs._messages import last_ai
from graphs.state import TOOL_CALLS, GraphState, ToolCallRecord
from taorui_engines.data import DataCenter
from taorui_engines.errors import TaoruiError
from taorui_engines.runs import RunFolder, open_run

__all__ = ["build_catalog", "finish_node", "prepare_node"]

logger = logging.getLogger(__name__)


def build_catalog(data: DataCenter) -> list[CatalogEntry]:
    """What the store holds (see :func:`agents.brief.catalog_entries`)."""
    return catalog_entries(data)


def prepare_node(deps: GraphDeps) -> Any:
    """Read the instruction, list the store, recall memory, open the instruction's run folder."""

    def prepare(state: GraphState) -> dict[str, Any]:
        text, earlier = state["instruction"], list(state.get("earlier") or [])
        language = detect_language(earlier[0] if earlier else text)
        hits = []
        # Recalled records go into the brief an LLM reads; the offline planner reads none (it
        # searches memory through its tools when a step asks), so it does not pay for a recall.
        if deps.memory is not None and deps.llm.backend != "offline":
            try:
                hits = [h.model_dump(mode="json") for h in deps.memory.recall(" ".join([*earlier, text]), deps.memory_hits)]
            except TaoruiError as exc:  # memory is advice, not a precondition: say so in the log
                logger.warning("memory recall failed: %s", exc.message)
        run = RunFolder.create(deps.tool_context.runs_dir, "instruction", {
            "instruction": text, "earlier": earlier, "thread_id": state.get("thread_id"),
            "instruction_id": state["instruction_id"], "backend": deps.llm.backend, "model": deps.llm.model,
            "language": language})
        return {"language": language, "catalog": [], "memory": hits, "active": None, "task": "",
                "handover": None, "hops": 0, "pending_approvals": [], "usage": {}, "status": "running",
                "answer": "", "agent": None, "error": None, "run_dir": str(run.path),
                "require_approval": False, "approval_reason": None, "task_spec": None}

    return prepare


def _answer(state: GraphState) -> str:
    if state.get("answer"):
        return str(state["answer"])
    agent = state.get("active") or ""
    message: AIMessage | None = last_ai(state.get("messages") or [], state["instruction_id"], agent)
    return str(message.content).strip() if message is not None else ""


def _calls(state: GraphState) -> list[ToolCallRecord]:
    """This instruction's tool calls."""
    return [c for c in TOOL_CALLS.load_all(state.get("tool_calls")) if c.instruction_id == state["instruction_id"]]


def _metrics(state: GraphState, status: str) -> dict[str, Any]:
    iid = state["instruction_id"]
    calls = _calls(state)
    usage = state.get("usage") or {}
    return {"status": status, "tool_calls": len(calls), "tool_errors": sum(1 for c in calls if not c.ok),
            "llm_calls": usage.get("calls", 0), "input_tokens": usage.get("input_tokens", 0),
            "output_tokens": usage.get("output_tokens", 0), "cost_usd": usage.get("cost_usd"),
            "run_ids": [r["run_id"] for r in state.get("run_ids") or [] if r["instruction_id"] == iid]}


def _close_run(deps: GraphDeps, state: GraphState, status: str, answer: str) -> None:
    if not state.get("run_dir"):
        return
    from pathlib import Path

    run = open_run(deps.tool_context.runs_dir, Path(str(state["run_dir"])).name)
    run.write_metrics({**_metrics(state, status), "summary": answer[:2000]})
    run.file("answer.md").write_text(answer + "\n", encoding="utf-8")
    if status == "failed":
        run.fail((state.get("error") or {}).get("message", "failed"))
    else:
        run.finish()


def _remember(deps: GraphDeps, state: GraphState, status: str, answer: str) -> None:
    if deps.memory is None:
        return
    metrics = _metrics(state, status)
    iid = state["instruction_id"]
    record = InstructionRecord(
        instruction_id=iid, thread_id=state.get("thread_id", ""), instruction=state["instruction"],
        language=state.get("language", "en"), agent=state.get("agent"), status=status, answer=answer,
        tools=tuple(c.name for c in _calls(state)),
        run_ids=tuple(metrics["run_ids"]), run_dir=state.get("run_dir"), metrics=metrics)
    try:
        deps.memory.remember(record)
    except TaoruiError as exc:
        logger.warning("could not write the instruction to memory: %s", exc.message)


def finish_node(deps: GraphDeps) -> Any:
    """Settle the status and answer; close the run folder; remember the instruction."""

    def finish(state: GraphState) -> dict[str, Any]:
        status = state.get("status") or "done"
        status = "done" if status == "running" else status
        answer = in_users_script(_answer(state), state["instruction"])
        _close_run(deps, state, status, answer)
        _remember(deps, state, status, answer)
        return {"status": status, "answer": answer, "agent": state.get("agent") or state.get("active")}

    return finish
