"""Running instructions on the graph: ask, resume after an approval, preview a plan.

The runner owns the thread bookkeeping the CLI and the API share: new thread and
instruction ids, refusing a new instruction on a thread that waits for approval, folding a
reply into the instruction it clarifies, resuming by interrupt id (never by position), and
turning the final state into one :class:`AskResult`.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents import ASK_USER, control_schema
from agents.control import SUBMIT_TASK
from agents.planner import OfflinePlanner
from agents.planner._plan import agent_of_step
from agents.planner._trader import unused_costs_text, waiting_text
from agents.preview import PlanPreview, offline_preview, planned, preview_of
from agents.spec import TaskSpec
from agents.understand import detect_language, in_users_script
from graphs._agents import SUPERVISOR_TOOLS, _client, spec_from_call, tool_schemas
from graphs._approval import ApprovalDecision
from graphs._deps import GraphDeps
from graphs._messages import conversation
from graphs._progress import PROGRESS_KEY, progress_text
from graphs.builder import compile_graph
from graphs.state import (
    APPROVALS,
    HANDOVER,
    PENDING,
    TOOL_CALLS,
    ApprovalRecord,
    GateApproval,
    GraphState,
    PersonApproval,
)
from taorui_engines.errors import InvalidArgumentError, NotFoundError
from taorui_engines.locks import state_lock

__all__ = ["AskResult", "GraphEvent", "Orchestrator", "PlanPreview", "ToolCallView", "new_thread_id"]

logger = logging.getLogger(__name__)

#: Supersteps allowed per invocation (agents have their own step budgets well below this).
RECURSION_LIMIT = 150


def new_thread_id() -> str:
    """``t-<UTC timestamp>-<random>``."""
    return f"t-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _instruction_id() -> str:
    return f"ins-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


class ToolCallView(BaseModel):
    """A tool call as reported to the person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    args: dict[str, Any]
    ok: bool
    agent: str
    error: str | None = None
    note: str | None = None


class AskResult(BaseModel):
    """The outcome of ``taorui ask`` / ``taorui resume``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    thread_id: str
    instruction_id: str
    status: Literal["running", "done", "needs_approval", "needs_clarification", "failed"]
    agent: str | None
    tool_calls: list[ToolCallView]
    answer: str
    language: str
    run_ids: list[str]
    approvals: list[dict[str, Any]] = Field(
        description="Pending requests (needs_approval) and decisions made; each request's `kind` says whose it is: "
                    "`gate` (the gate asked for a person) or `person` (held because the person asked to approve).")
    fills: list[dict[str, Any]] = Field(default_factory=list, description="Paper fills of this instruction's orders.")
    usage: dict[str, Any]
    error: dict[str, str] | None = None
    run_dir: str | None = None


class GraphEvent(BaseModel):
    """One node finished (which node and a line saying what it did), or a long tool's progress
    (``node="progress"``, e.g. ``factor mining 2/6: 40 tried, 1 accepted``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    node: str
    text: str


def _describe(node: str, update: dict[str, Any]) -> str:
    if node == "supervisor":
        return f"routed to {update['active']}" if update.get("active") else str(update.get("status", ""))
    if node == "tools":
        return ", ".join(f"{c.name} {'ok' if c.ok else 'failed'}" for c in TOOL_CALLS.load_all(update.get("tool_calls")))
    if node == "approval":
        return ", ".join(f"{a.request.approval_id}: {a.decision}" for a in APPROVALS.load_all(update.get("approvals")))
    messages = update.get("messages") or []
    calls = [c["name"] for m in messages for c in getattr(m, "tool_calls", [])]
    if calls:
        return "calls " + ", ".join(calls)
    return "answered" if messages else str(update.get("status") or "")


def _answer_line(record: ApprovalRecord) -> str:
    """``apr-... approved by ana: sent, filled 100`` for a thread someone already answered."""
    outcome = record.outcome
    filled = sum(f.qty for f in outcome.fills)
    sent = outcome.decision == "allow"
    what = f"sent, filled {filled:g}" if filled else ("sent, not filled yet" if sent else "nothing was sent")
    return f"{record.request.approval_id} {record.decision} by {record.by}: {what}"


def _pending_view(request: GateApproval | PersonApproval, interrupt_id: str) -> dict[str, Any]:
    """A request waiting for the person, as ``AskResult.approvals`` shows it."""
    return {**PENDING.dump(request), "decision": "pending", "interrupt_id": interrupt_id}


def _decided_view(record: ApprovalRecord) -> dict[str, Any]:
    """A decided request, as ``AskResult.approvals`` shows it: the request's fields, then the decision."""
    return {**PENDING.dump(record.request), "instruction_id": record.instruction_id, "decision": record.decision,
            "by": record.by, "reason": record.reason, "outcome": record.outcome.model_dump(mode="json")}


class Orchestrator:
    """The compiled graph with its checkpointer, and the operations on threads.

    ``lock_dir`` (the state folder) serialises work on one thread across processes: two
    people resuming the same approval at once cannot both run it; the second finds the
    thread answered and is told by whom and with what result.
    """

    def __init__(self, deps: GraphDeps, checkpointer: Any, lock_dir: Path | None = None) -> None:
        self.deps = deps
        self.graph = compile_graph(deps, checkpointer)
        self._lock_dir = lock_dir
        self._guard = threading.Lock()
        self._local: dict[str, threading.Lock] = {}

    @contextmanager
    def _thread_lock(self, thread_id: str) -> Iterator[None]:
        """One ask/resume per thread at a time (in this process, and across processes)."""
        with self._guard:
            local = self._local.setdefault(thread_id, threading.Lock())
        with local:
            if self._lock_dir is None:
                yield
                return
            digest = hashlib.sha256(thread_id.encode()).hexdigest()[:24]
            with state_lock(self._lock_dir / "threads" / f"{digest}.lock"):
                yield

    def _config(self, thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}

    def _stream(self, payload: Any, thread_id: str, on_event: Callable[[GraphEvent], None] | None) -> None:
        for mode, chunk in self.graph.stream(payload, self._config(thread_id), stream_mode=["updates", "custom"]):
            if mode == "custom":
                if on_event is not None and isinstance(chunk, dict) and isinstance(chunk.get(PROGRESS_KEY), dict):
                    on_event(GraphEvent(node="progress", text=progress_text(chunk[PROGRESS_KEY])))
                continue
            for node, update in chunk.items():
                if node == "__interrupt__":
                    text = "waiting for a person's approval"
                elif isinstance(update, dict):
                    text = _describe(node, update)
                else:
                    text = ""
                logger.info("%s: %s", node, text)
                if on_event is not None:
                    on_event(GraphEvent(node=node, text=text))

    def ask(self, instruction: str, thread_id: str | None = None,
            on_event: Callable[[GraphEvent], None] | None = None) -> AskResult:
        """Run one instruction on a new or existing thread."""
        if not instruction.strip():
            raise InvalidArgumentError("the instruction is empty")
        thread_id = thread_id or new_thread_id()
        with self._thread_lock(thread_id):
            return self._ask(instruction, thread_id, on_event)

    def _ask(self, instruction: str, thread_id: str, on_event: Callable[[GraphEvent], None] | None) -> AskResult:
        snapshot = self.graph.get_state(self._config(thread_id))
        earlier: list[str] = []
        if snapshot.values:
            if snapshot.interrupts:
                raise InvalidArgumentError(
                    f"thread {thread_id} is waiting for an approval: answer it with "
                    f"`taorui resume --thread {thread_id} --approve` or `--reject --reason ...`")
            if snapshot.values.get("status") == "needs_clarification":
                earlier = [*snapshot.values.get("earlier", []), snapshot.values["instruction"]]
        payload = {"thread_id": thread_id, "instruction": instruction, "instruction_id": _instruction_id(),
                   "earlier": earlier, "today": self.deps.clock().date().isoformat()}
        self._stream(payload, thread_id, on_event)
        return self.result(thread_id)

    def pending(self, thread_id: str) -> list[Any]:
        """The interrupts a thread waits on (empty when it waits on nothing)."""
        snapshot = self.graph.get_state(self._config(thread_id))
        if not snapshot.values:
            raise NotFoundError(f"no thread {thread_id!r} (threads are listed in `taorui ask` results)")
        return list(snapshot.interrupts)

    def resume(self, thread_id: str, decision: ApprovalDecision,
               on_event: Callable[[GraphEvent], None] | None = None) -> AskResult:
        """Answer the thread's approval interrupt (by its id) and run on."""
        if not decision.approve and not decision.reason.strip():
            raise InvalidArgumentError("a rejection needs a reason (--reason)")
        with self._thread_lock(thread_id):
            waiting = self.pending(thread_id)
            if not waiting:
                raise InvalidArgumentError(f"thread {thread_id} is not waiting for an approval{self._answered(thread_id)}")
            self._stream(Command(resume={waiting[0].id: decision.model_dump()}), thread_id, on_event)
            return self.result(thread_id)

    def _answered(self, thread_id: str) -> str:
        """How the thread's last approvals were answered (for a resume that came second)."""
        values = self.graph.get_state(self._config(thread_id)).values or {}
        iid = values.get("instruction_id")
        done = [a for a in APPROVALS.load_all(values.get("approvals")) if a.instruction_id == iid]
        if not done:
            return ""
        return f": it was already answered ({'; '.join(_answer_line(a) for a in done)})"

    def result(self, thread_id: str) -> AskResult:
        """The thread's latest instruction as one result."""
        snapshot = self.graph.get_state(self._config(thread_id))
        values: GraphState = snapshot.values
        if not values:
            raise NotFoundError(f"no thread {thread_id!r}")
        iid = values["instruction_id"]
        status = "needs_approval" if snapshot.interrupts else values.get("status", "running")
        decided = [a for a in APPROVALS.load_all(values.get("approvals")) if a.instruction_id == iid]
        waiting = [(PENDING.load(r, f"requests[{i}] of interrupt {w.id}"), w.id) for w in snapshot.interrupts
                   for i, r in enumerate((w.value or {}).get("requests", []))]
        approvals = [_decided_view(a) for a in decided] + [_pending_view(r, wid) for r, wid in waiting]
        calls = [c for c in TOOL_CALLS.load_all(values.get("tool_calls")) if c.instruction_id == iid]
        fills = [f for c in calls for f in c.fills] + [f for a in decided for f in a.outcome.fills]
        answer = values.get("answer") or (self._waiting(values, approvals) if status == "needs_approval" else "")
        return AskResult(
            thread_id=thread_id, instruction_id=iid, status=status, agent=values.get("agent") or values.get("active"),
            tool_calls=[ToolCallView(name=c.name, args=c.args, ok=c.ok, agent=c.agent, error=c.error, note=c.note)
                        for c in calls],
            answer=answer, language=values.get("language", "en"),
            run_ids=[r["run_id"] for r in values.get("run_ids") or [] if r["instruction_id"] == iid],
            approvals=approvals, fills=[f.model_dump(mode="json") for f in fills], usage=values.get("usage") or {},
            error=values.get("error"), run_dir=values.get("run_dir"))

    @staticmethod
    def _waiting(values: GraphState, approvals: list[dict[str, Any]]) -> str:
        """While orders wait: the work done before them (a backtest, a model) and the orders, so the
        person decides with the research in front of them."""
        handover = HANDOVER.load(values["handover"]) if values.get("handover") else None
        research = str((handover.payload.get("research") if handover else None) or "").strip()
        lang = values.get("language", "en")
        orders = waiting_text(approvals, lang)
        try:
            spec = TaskSpec.model_validate(values["task_spec"]) if values.get("task_spec") else None
        except ValidationError:  # a thread checkpointed by another version: its orders still show
            spec = None
        unused = unused_costs_text(spec, lang) if spec is not None else ""
        orders = f"{orders}\n{unused}" if unused else orders  # said while the person decides, not after
        return in_users_script(f"{research}\n\n{orders}" if research else orders, str(values.get("instruction") or ""))

    def plan_only(self, instruction: str) -> PlanPreview:
        """The task spec the backend produces and the first tool calls; nothing is executed."""
        entries = list(self.deps.catalog())
        if isinstance(self.deps.model, OfflinePlanner):  # the same reading `taorui ask --plan-only` prints
            return offline_preview(instruction, entries, self.deps.model.router(), self.deps.model.defaults)
        language = detect_language(instruction)
        state: GraphState = {
            "thread_id": "plan-only", "instruction": instruction, "instruction_id": "plan", "earlier": [],
            "language": "zh" if language == "zh" else "en", "messages": [], "memory": [], "task": "",
            "catalog": []}
        client = _client(self.deps, state)
        routed = client.complete(conversation(state, "supervisor", catalog=entries),
                                 [control_schema(t) for t in SUPERVISOR_TOOLS])
        submit = next((c for c in routed.message.tool_calls if c["name"] == SUBMIT_TASK), None)
        if submit is None:
            asked = next((c["args"].get("question") for c in routed.message.tool_calls if c["name"] == ASK_USER), None)
            said = str(asked or routed.message.content or "")
            # the language is the model's own (what it wrote), never the offline reading of the instruction
            return PlanPreview(agent=None, intent="unknown", slots={}, tool_calls=[],
                               language=detect_language(said) if said.strip() else "unknown",
                               question=asked, answer=str(routed.message.content) or None)
        spec = spec_from_call(dict(submit["args"]), instruction, self.deps.llm.backend)
        if isinstance(self.deps.executor, OfflinePlanner):  # the executor that will run it plans it
            return planned(spec, entries, self.deps.executor.defaults)
        preview = preview_of(spec)
        agent = agent_of_step(spec, 0)
        if spec.question or agent is None:
            return preview
        state = {**state, "active": agent, "task": ", ".join(spec.intents),  # type: ignore[typeddict-item]
                 "task_spec": spec.model_dump(mode="json"), "language": spec.language}  # type: ignore[typeddict-item]
        client = _client(self.deps, state, self.deps.executor)
        first = client.complete(conversation(state, agent, catalog=entries),
                                tool_schemas(self.deps, agent, state, client.model))
        calls = [{"name": c["name"], "args": c["args"]} for c in first.message.tool_calls]
        return preview.model_copy(update={"tool_calls": calls})


