"""``langgraph.json`` names a graph factory the standard LangGraph tooling can load."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_langgraph_json_points_at_a_factory_that_builds_the_graph(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = json.loads((ROOT / "langgraph.json").read_text())
    path, _, name = spec["graphs"]["taorui"].partition(":")
    monkeypatch.setenv("TAORUI_HOME", str(home))
    module_spec = importlib.util.spec_from_file_location("taorui_langgraph_entry", ROOT / path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    graph = getattr(module, name)()
    nodes = set(graph.get_graph().nodes)
    assert {"prepare", "supervisor", "strategy_advisor", "factor_miner", "trader", "tools", "approval", "finish"} <= nodes
