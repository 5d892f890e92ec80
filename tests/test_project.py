"""The project's shape: package names resolve here, public surfaces are pinned."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "name", ["agents", "tools", "graphs", "memory", "guardrails", "evals", "taorui_engines", "taorui"]
)
def test_top_level_packages_resolve_to_this_project(name: str) -> None:
    module = importlib.import_module(name)

    assert module.__file__ is not None
    assert Path(module.__file__).resolve().is_relative_to(ROOT), (
        f"`import {name}` found {module.__file__}; install Taorui in its own virtual environment"
    )


def test_data_center_public_surface_is_pinned() -> None:
    import taorui_engines.data as data

    assert set(data.__all__) == {
        "BAR_FIELDS", "FREQS", "SAMPLE_VERSION", "DataCenter", "ExpressionCheck", "IfExists",
        "InstrumentInfo", "MarketMeta", "Provenance", "StoreListing", "UniverseInfo", "clean_bars",
        "ensure_sample_store", "parse_range", "sample_is_current",
    }
    for name in data.__all__:
        assert hasattr(data, name)


def test_every_error_has_a_distinct_json_type_name() -> None:
    import taorui_engines.errors as errors

    classes = [getattr(errors, n) for n in errors.__all__]
    names = [c.type_name for c in classes]
    assert len(names) == len(set(names))
    assert all(issubclass(c, errors.TaoruiError) for c in classes)


def test_engines_import_nothing_from_the_llm_side() -> None:
    forbidden = ("agents", "graphs", "tools", "memory", "guardrails", "evals", "taorui.", "langchain", "langgraph")
    offenders = []
    for path in (ROOT / "taorui_engines").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")):
                target = stripped.split()[1]
                if target.startswith(forbidden) or target == "taorui":
                    offenders.append(f"{path.relative_to(ROOT)}: {stripped}")
    assert not offenders, "taorui_engines must not import the LLM side:\n" + "\n".join(offenders)


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in (ROOT / "README.md").read_text()


def test_the_cli_hook_names_the_guardrails_audit_file() -> None:
    """The post-command hook watches the audit database without importing guardrails."""
    from guardrails import AUDIT_FILE
    from taorui.cli import _hooks

    assert _hooks.AUDIT_FILE == AUDIT_FILE
