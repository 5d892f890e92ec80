"""Who may touch execution, and where the application is wired (issue 15's architecture checks).

The graph reaches orders and fills only through the gate (``GateDesk`` / ``GateMarket``), so a
real broker can plug in behind the ``Broker`` protocol; and one place, the composition root
``taorui/wiring.py``, builds the gate and the paper broker, so no path gets a second,
differently configured one. The CLI, the evals, the benchmarks, ``langgraph.json`` and the
tests' graph environment reach the graph through that root. Tests that check a gate or a
broker on its own build their own over a temporary home and are not counted.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ("taorui", "graphs", "agents", "tools", "evals", "memory", "benchmarks")
CONCRETE_BROKERS = {"PaperBroker"}
WIRING = "taorui/wiring.py"
#: What builds the graph, or the objects it runs on, outside the root.
GRAPH_BUILDERS = {"Orchestrator", "compile_graph", "GraphDeps", "ToolContext", "GateDesk", "GateMarket"}
#: Modules that take the application's objects from the root and must not assemble their own.
CONSUMERS = ("taorui/cli", "evals", "benchmarks", "tests/_graph_env.py", "tests/test_graph_cli.py")


def _python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py")) if "__pycache__" not in p.parts]


def _imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {a.name for a in node.names} | {node.module or ""}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def _constructions(tree: ast.AST, name: str) -> int:
    return sum(1 for node in ast.walk(tree) if isinstance(node, ast.Call)
               and ((isinstance(node.func, ast.Name) and node.func.id == name)
                    or (isinstance(node.func, ast.Attribute) and node.func.attr == name)))


def test_the_graph_imports_no_concrete_broker() -> None:
    offenders = {}
    for path in _python_files("graphs", "agents"):
        imported = _imported_names(ast.parse(path.read_text(encoding="utf-8")))
        bad = sorted(n for n in imported if n in CONCRETE_BROKERS or n.startswith("taorui_engines.brokers.paper"))
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}, offenders


def test_one_place_builds_the_gate_and_the_paper_broker() -> None:
    builders: dict[str, list[str]] = {"Gate": [], "PaperBroker": []}
    for path in _python_files(*APP):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, found in builders.items():
            if _constructions(tree, name):
                found.append(str(path.relative_to(ROOT)))
    # The guardrails' benchmark times a bare gate over an in-memory broker (its level 2), as
    # the guardrails' own tests do; its paper-broker level takes the app's gate from the root.
    assert builders == {"Gate": [WIRING, "benchmarks/bench_guardrails.py"], "PaperBroker": [WIRING]}, builders


def _consumer_files() -> list[Path]:
    return [p for c in CONSUMERS for p in ([ROOT / c] if c.endswith(".py") else _python_files(c))]


def _calls_and_imports(tree: ast.AST) -> set[str]:
    """Names called (``Orchestrator(...)``, ``x.compile_graph(...)``) and imported from the CLI's ``ask``."""
    found = {name for name in GRAPH_BUILDERS if _constructions(tree, name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("taorui.cli.ask"):
            found |= {f"taorui.cli.ask.{a.name}" for a in node.names if a.name.startswith(("build_", "make_graph"))}
        elif isinstance(node, ast.ImportFrom) and node.module == "taorui.context":
            found.add("taorui.context")
    return found


def test_the_cli_evals_benchmarks_and_test_env_take_the_graph_from_the_root() -> None:
    offenders = {}
    for path in _consumer_files():
        found = _calls_and_imports(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert offenders == {}, offenders


def test_only_the_root_builds_a_tool_context_or_graph_deps_outside_tests() -> None:
    builders: dict[str, list[str]] = {"ToolContext": [], "GraphDeps": []}
    for path in _python_files(*APP):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, found in builders.items():
            if _constructions(tree, name):
                found.append(str(path.relative_to(ROOT)))
    assert builders == {"ToolContext": [WIRING], "GraphDeps": [WIRING]}, builders


def test_langgraph_json_names_the_roots_graph_factory() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text(encoding="utf-8"))
    assert set(config["graphs"].values()) == {f"./{WIRING}:make_graph"}
    tree = ast.parse((ROOT / WIRING).read_text(encoding="utf-8"))
    assert "make_graph" in {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _context_patches(tree: ast.AST) -> list[int]:
    """Lines that assign a service onto something named like a tool context (``tool_ctx.gate = gate``)."""
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        lines += [node.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr in {"gate", "memory"}
                  and _names_a_context(t.value)]
    return lines


def _names_a_context(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return "tool_ctx" in text or "tool_context" in text or text in {"ctx", "context"}


def test_nothing_patches_a_tool_context_after_it_is_built() -> None:
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in _python_files(*APP, "tests")
                 for line in _context_patches(ast.parse(path.read_text(encoding="utf-8")))]
    assert offenders == [], offenders


def test_the_check_can_fail(tmp_path: Path) -> None:
    tree = ast.parse("from taorui_engines.brokers.paper import PaperBroker\nb = PaperBroker('x', None)\n")
    assert "PaperBroker" in _imported_names(tree) and _constructions(tree, "PaperBroker") == 1
    cli = ast.parse("from taorui.cli.ask import build_orchestrator\nfrom graphs import Orchestrator\no = Orchestrator(d)\n")
    assert _calls_and_imports(cli) == {"taorui.cli.ask.build_orchestrator", "Orchestrator"}
    assert _context_patches(ast.parse("tool_ctx = ctx.tool_context()\ntool_ctx.gate = gate\n")) == [2]


def test_the_trading_cycle_moves_money_only_through_the_gate() -> None:
    """The cycle's graph and desk call no broker method that acts (submit, cancel, fill) and read
    the account through the gate; the desk gets its gate from the root's factory."""
    acting = {"submit", "fill_at"}
    offenders: dict[str, list[str]] = {}
    for path in _python_files("graphs/trading"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = sorted({node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute) and node.func.attr in acting})
        gate_made = _constructions(tree, "Gate")
        if calls or gate_made:
            offenders[str(path.relative_to(ROOT))] = calls + (["Gate(...)"] if gate_made else [])
    assert offenders == {}, offenders
    wiring = ast.parse((ROOT / WIRING).read_text(encoding="utf-8"))
    assert _constructions(wiring, "TradingDesk") == 1  # one desk, with the root's gate factory
