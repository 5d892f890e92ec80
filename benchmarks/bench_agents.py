"""Benchmark of the agent side: parsing, planner turns, graph overhead, the gold seed flow.

Run: ``.venv/bin/python benchmarks/bench_agents.py [--skip-flow]``. Builds a temporary home
with the sample store and the same wiring as ``taorui ask`` (gate on the session clock, paper
fills), except memory, which is left out: its embedding-model load and queries are measured
by the memory benchmark.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402
from langchain_core.messages import HumanMessage, SystemMessage  # noqa: E402
from langgraph.graph import END, START, StateGraph  # noqa: E402
from langgraph.graph.message import add_messages  # noqa: E402
from typing_extensions import TypedDict  # noqa: E402

from agents import Brief, control_schema, load_prompt, render_brief  # noqa: E402
from agents.brief import catalog_entries  # noqa: E402
from agents.planner import OfflinePlanner  # noqa: E402
from agents.understand import load_router, understand  # noqa: E402
from benchmarks._report import write_section  # noqa: E402
from graphs import ApprovalDecision, Orchestrator, build_catalog  # noqa: E402
from taorui.settings import Settings  # noqa: E402
from taorui.wiring import AppContext  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402

CASES = Path(__file__).resolve().parents[1] / "evals" / "cases" / "understanding" / "tuning.yaml"  # data, not code


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _p(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def bench_parse(data: DataCenter) -> str:
    loaded = yaml.safe_load(CASES.read_text())
    texts = [c["text"] for c in (loaded["cases"] if isinstance(loaded, dict) else loaded)]
    catalog = catalog_entries(data)
    router = load_router(str(Settings().cache_dir / "router"))
    rounds = 3
    start = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            understand([text], catalog, router)
    elapsed = time.perf_counter() - start
    return (f"| understand an instruction into a task spec, router on (tuning split, {len(texts)} x {rounds}) | "
            f"{len(texts) * rounds / elapsed:,.0f} / s | {elapsed / (len(texts) * rounds) * 1e3:.2f} ms |")


def bench_turn(data: DataCenter) -> str:
    brief = Brief(instruction="用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议", language="zh", role="supervisor",
                  catalog=tuple(build_catalog(data)))
    messages = [SystemMessage(content=load_prompt("supervisor")), HumanMessage(content=render_brief(brief))]
    model = OfflinePlanner().bind_tools([control_schema("submit_task"), control_schema("ask_user")])
    times = _timed(lambda: model.invoke(messages), 50)
    return f"| offline planner: one supervisor turn (brief with the full catalog) | p50 {statistics.median(times) * 1e3:.1f} ms | p95 {_p(times, 0.95) * 1e3:.1f} ms |"


def _orchestrator(home: Path) -> Orchestrator:
    """The CLI's wiring on ``home``, without memory (see the module docstring)."""
    return AppContext(settings=Settings(home=home), quiet=True, with_memory=False).build_orchestrator("offline")


def _cheap_member(data: DataCenter) -> str:
    members = list(data.universes()["csi_syn"].members)
    end = data.info(members[0]).end
    bars = data.get_price(members, "2025-12-01", end, fields=["close"])
    closes = bars.groupby("symbol")["close"].last().sort_values()
    return str(next(s for s, price in closes.items() if 100 * price < 20_000))


def bench_graph(home: Path, data: DataCenter) -> list[str]:
    orch = _orchestrator(home)
    account = _timed(lambda: orch.ask("show my positions"), 10)
    symbol = _cheap_member(data)
    asks, resumes = [], []
    for _ in range(5):
        start = time.perf_counter()
        waiting = orch.ask(f"buy 100 {symbol}, ask me before ordering")
        asks.append(time.perf_counter() - start)
        start = time.perf_counter()
        orch.resume(waiting.thread_id, ApprovalDecision(approve=True, by="bench"))
        resumes.append(time.perf_counter() - start)
    return [
        f"| graph, account question (prepare, supervisor, trader, 2 read tools, finish; checkpointed) | p50 {statistics.median(account) * 1e3:.0f} ms | max {max(account) * 1e3:.0f} ms |",
        f"| graph, order held for approval up to the interrupt | p50 {statistics.median(asks) * 1e3:.0f} ms | max {max(asks) * 1e3:.0f} ms |",
        f"| resume after approval: gate re-check, submit, paper fill, answer | p50 {statistics.median(resumes) * 1e3:.0f} ms | max {max(resumes) * 1e3:.0f} ms |",
    ]


class _BareState(TypedDict, total=False):
    instruction: str
    messages: Annotated[list[Any], add_messages]
    n: int


def _bare_step(state: _BareState) -> dict[str, Any]:
    return {"n": state.get("n", 0) + 1}


def _timing_graph(spent: list[float], runs: list[int]) -> type:
    """A ``StateGraph`` whose nodes add their own run time to ``spent`` (the rest is LangGraph's)."""
    class TimingGraph(StateGraph):  # type: ignore[type-arg]
        def add_node(self, node: Any, action: Any = None, **kwargs: Any) -> Any:
            if callable(action):
                inner = action

                @functools.wraps(inner)
                def timed(*args: Any, **kw: Any) -> Any:
                    began = time.perf_counter()
                    try:
                        return inner(*args, **kw)
                    finally:
                        spent[0] += time.perf_counter() - began
                        runs[0] += 1
                action = timed
            return super().add_node(node, action, **kwargs)

    return TimingGraph


def bench_node_overhead(home: Path, repeat: int = 40) -> list[str]:
    """LangGraph's own cost per node step: our graph (time outside our node functions) against a
    bare graph of no-op nodes, both on the SQLite checkpointer the CLI uses, alternately."""
    import graphs.builder as builder
    from graphs.checkpoint import open_sqlite_checkpointer

    spent, runs = [0.0], [0]
    original = builder.__dict__["StateGraph"]
    setattr(builder, "StateGraph", _timing_graph(spent, runs))  # noqa: B010 (a patch, not an attribute use)
    try:
        orch = _orchestrator(home)
    finally:
        setattr(builder, "StateGraph", original)  # noqa: B010

    def ours_once() -> tuple[float, int]:
        spent[0], runs[0] = 0.0, 0
        thread = f"bench-{uuid.uuid4().hex}"
        payload = {"thread_id": thread, "instruction": "show my positions", "instruction_id": thread,
                   "earlier": [], "today": "2026-01-05"}
        began = time.perf_counter()
        orch.graph.invoke(payload, {"configurable": {"thread_id": thread}, "recursion_limit": 50})
        return time.perf_counter() - began - spent[0], runs[0]

    _, nodes = ours_once()
    bare_graph = StateGraph(_BareState)
    names = [f"n{i}" for i in range(nodes)]
    for name in names:
        bare_graph.add_node(name, _bare_step)
    bare_graph.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        bare_graph.add_edge(a, b)
    bare_graph.add_edge(names[-1], END)
    bare = bare_graph.compile(checkpointer=open_sqlite_checkpointer(home / "bare-checkpoints.sqlite"))

    def bare_once() -> float:
        thread = f"bare-{uuid.uuid4().hex}"
        began = time.perf_counter()
        bare.invoke({"instruction": "show my positions", "messages": [], "n": 0}, {"configurable": {"thread_id": thread}})
        return time.perf_counter() - began

    ours_per, bare_per = [], []
    for _ in range(repeat):
        overhead, n = ours_once()
        ours_per.append(overhead / n)
        bare_per.append(bare_once() / nodes)
    mine, base = statistics.median(ours_per), statistics.median(bare_per)
    return [
        f"| LangGraph per node step, our graph (account question, {nodes} steps; time outside our node functions, "
        f"SQLite checkpointer) | p50 {mine * 1e3:.2f} ms | {mine / base:.2f}x bare |",
        f"| LangGraph per node step, bare graph of {nodes} no-op nodes, same checkpointer | p50 {base * 1e3:.2f} ms | |",
    ]


def bench_flow(home: Path) -> str:
    orch = _orchestrator(home)
    start = time.perf_counter()
    result = orch.ask("用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议")
    elapsed = time.perf_counter() - start
    return f"| seed flow: gold RL instruction, PPO 5,000 timesteps, end to end ({result.status}) | {elapsed:.1f} s | |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-flow", action="store_true", help="leave out the RL seed flow (about a minute)")
    parser.add_argument("--overhead-only", action="store_true", help="print the per-node overhead rows only")
    args = parser.parse_args()
    if args.overhead_only:
        home = Path(tempfile.mkdtemp(prefix="taorui-bench-agents-"))
        ensure_sample_store(DataCenter(home / "data"))
        print("\n".join(bench_node_overhead(home)))
        return
    home = Path(tempfile.mkdtemp(prefix="taorui-bench-agents-"))
    data = DataCenter(home / "data")
    ensure_sample_store(data)
    rows = [bench_parse(data), bench_turn(data), *bench_graph(home, data), *bench_node_overhead(home)]
    if not args.skip_flow:
        rows.append(bench_flow(home))
    load = os.getloadavg()[0]
    body = "\n".join([
        "| what | figure | spread |", "| --- | --- | --- |", *rows, "",
        f"Load average when run: {load:.1f} on {os.cpu_count()} cores"
        + (" (the machine was shared with other jobs: figures are taken under load)." if load > 1.5 else "."),
        "Memory (Chroma, embeddings) is not used in these runs; with it, each instruction adds a recall "
        "before planning and a write after answering.",
    ])
    write_section("agents", "Agent graph and offline planner", body)
    print(body)


if __name__ == "__main__":
    main()
