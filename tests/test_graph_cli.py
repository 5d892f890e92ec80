"""``taorui ask --plan-only`` and the JSON shapes of ``taorui ask`` (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taorui.cli import main


def _run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["--home", str(home), *argv])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_plan_only_shows_the_first_tool_call_and_executes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, plan = _run(capsys, home, "ask", "Train a reinforcement learning strategy on the last 5 years of gold "
                                           "prices and suggest next week's position", "--plan-only", "--json")
    assert code == 0
    assert plan["agent"] == "strategy_advisor" and plan["intent"] == "train_rl" and plan["language"] == "en"
    assert plan["slots"]["instruments"] == ["GOLD"] and plan["steps"] == ["train_rl"]
    assert [c["name"] for c in plan["tool_calls"]] == ["train_rl_agent"]
    assert plan["tool_calls"][0]["args"]["asset"] == "GOLD"
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_plan_only_of_an_unclear_instruction_returns_its_question(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, plan = _run(capsys, home, "ask", "卖出原油", "--plan-only", "--json")
    assert plan["agent"] is None and plan["tool_calls"] == [] and "数量" in plan["question"]


def test_resume_of_an_unknown_thread_is_a_clear_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _run(capsys, home, "resume", "--thread", "t-nope", "--approve", "--json")
    assert code == 2 and result["error"]["type"] == "NotFound"
