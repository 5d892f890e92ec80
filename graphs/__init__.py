"""The orchestration graph: supervisor, agents, tools, approvals, checkpoints.

Public surface::

    GraphDeps(model, llm, tool_context, tools, desk=..., memory=..., market=...)
    Orchestrator(deps, open_checkpointer(state_dir))
        .ask(instruction, thread_id=None) -> AskResult
        .resume(thread_id, ApprovalDecision(approve=True, by="ana")) -> AskResult
        .plan_only(instruction) -> PlanPreview
    build_graph(deps) / compile_graph(deps, checkpointer)     the LangGraph StateGraph
    GraphState                                               its typed state
"""

from graphs._approval import ApprovalDecision
from graphs._bookends import build_catalog
from graphs._deps import ApprovalDesk, GraphDeps, InstructionRecord, MemoryPort, PaperMarket
from graphs.builder import build_graph, compile_graph
from graphs.checkpoint import CHECKPOINT_FILE, open_checkpointer
from graphs.runner import AskResult, GraphEvent, Orchestrator, PlanPreview, ToolCallView, new_thread_id
from graphs.state import GraphState

__all__ = [
    "CHECKPOINT_FILE",
    "ApprovalDecision",
    "ApprovalDesk",
    "AskResult",
    "GraphDeps",
    "GraphEvent",
    "GraphState",
    "InstructionRecord",
    "MemoryPort",
    "Orchestrator",
    "PaperMarket",
    "PlanPreview",
    "ToolCallView",
    "build_catalog",
    "build_graph",
    "compile_graph",
    "new_thread_id",
    "open_checkpointer",
]
