"""Who may touch execution (issue 15's architecture checks, for the code that exists today).

The graph reaches orders and fills only through the gate (``GateDesk`` / ``GateMarket``), so a
real broker can plug in behind the ``Broker`` protocol; and one place in the application builds
the gate and the paper broker (``taorui/context.py``), so no path gets a second, differently
configured one. Tests build their own over a temporary home and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ("taorui", "graphs", "agents", "tools", "evals", "memory")
CONCRETE_BROKERS = {"PaperBroker"}


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
    assert builders == {"Gate": ["taorui/context.py"], "PaperBroker": ["taorui/context.py"]}, builders


def test_the_check_can_fail(tmp_path: Path) -> None:
    tree = ast.parse("from taorui_engines.brokers.paper import PaperBroker\nb = PaperBroker('x', None)\n")
    assert "PaperBroker" in _imported_names(tree) and _constructions(tree, "PaperBroker") == 1
