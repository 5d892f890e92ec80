"""``taorui ask ... --plan-only`` cold, in a fresh process, as a person waits for it.

Setup (not timed): a temporary TAORUI_HOME whose sample store is built and a router cache
that exists (both happen once per home/machine, on the first command). Then each
instruction runs as a new ``taorui`` process (interpreter start-up included), ``runs`` times;
the median and the worst are reported, with the heavy packages the process imported (none
is the point: planning needs no torch, Qlib, pandas, Chroma or LangChain).

For comparison, the graph's own preview (``Orchestrator.plan_only`` on the compiled graph,
which pays for LangGraph, LangChain and the engines' imports) is timed the same way.

Run: ``.venv/bin/python benchmarks/bench_plan_only.py [--runs 7] [--no-write]``. Without
``--no-write`` the section ``plan-only`` of docs/benchmarks.md is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._report import write_section  # noqa: E402

INSTRUCTIONS = (
    "train a PPO on gold and tell me what to do next week",
    "把原油仓位减掉一半，先问我",
    "backtest a 20/60 moving average crossover on SP500 from 2010 to 2015 with 3bp commission",
    "先在原油上跑布林带回测，再训练一个A2C，最后对比",
)
HEAVY = ("torch", "qlib", "pandas", "chromadb", "langchain_core", "langgraph", "sentence_transformers",
         "backtrader", "stable_baselines3", "matplotlib")

_PROBE = """
import json, sys
from taorui.cli import main
code = main(sys.argv[1:])
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
sys.stderr.write("HEAVY=" + json.dumps(heavy) + "\\n")
sys.exit(code)
"""

_GRAPH = """
import json, sys
from taorui.settings import load_settings
from taorui.wiring import AppContext
ctx = AppContext(settings=load_settings(), quiet=True)
print(json.dumps(ctx.build_orchestrator("offline").plan_only(sys.argv[1]).model_dump(mode="json")))
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TAORUI_HOME=str(home), TAORUI_LLM_BACKEND="offline", PYTHONDONTWRITEBYTECODE="0")
    return env


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    taorui = str(Path(sys.executable).with_name("taorui"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = _env(home)
        start = time.perf_counter()
        _timed([taorui, "ask", INSTRUCTIONS[0], "--plan-only", "--json"], env)
        first = time.perf_counter() - start
        rows, graph_rows, heavy_seen = [], [], set()
        for text in INSTRUCTIONS:
            walls = []
            for _ in range(args.runs):
                wall, out, err = _timed([sys.executable, "-c", _PROBE.format(heavy=HEAVY), "ask", text,
                                         "--plan-only", "--json"], env)
                walls.append(wall)
                line = next(x for x in err.splitlines() if x.startswith("HEAVY="))
                heavy_seen |= set(json.loads(line[6:]))
            preview = json.loads(out)
            rows.append((text, statistics.median(walls), max(walls), " → ".join(preview["steps"]),
                         len(preview["tool_calls"])))
            graph_walls = [_timed([sys.executable, "-c", _GRAPH, text], env)[0] for _ in range(3)]
            graph_rows.append(statistics.median(graph_walls))
    table = ["| instruction | steps | first calls | median | worst | graph path (median of 3) |",
             "|---|---|---|---|---|---|"]
    for (text, median, worst, steps, calls), graph in zip(rows, graph_rows, strict=True):
        table.append(f"| {text} | {steps} | {calls} | {median:.2f} s | {worst:.2f} s | {graph:.2f} s |")
    body = "\n".join([
        f"Each figure is a new process (`taorui ask \"...\" --plan-only --json`), {args.runs} runs per "
        "instruction, interpreter start-up included; the home's sample store and the router cache "
        "exist already (the first command of a new home builds them: "
        f"{first:.1f} s here, once).", "",
        *table, "",
        "Heavy packages imported by the plan-only process: "
        + (", ".join(sorted(heavy_seen)) if heavy_seen else "none of " + ", ".join(HEAVY)) + ".",
        "", "Target (issue 12): under 1.5 s cold. The graph path is what `--plan-only` cost before it "
        "read the store's JSON listing and skipped the graph; a full `ask` still pays it, and pays for "
        "an engine only when a step uses it.",
    ])
    print(body)
    if not args.no_write:
        write_section("plan-only", "Planning: `taorui ask --plan-only`, cold", body)


if __name__ == "__main__":
    main()
