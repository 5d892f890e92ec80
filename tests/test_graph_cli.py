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


_HEAVY = ("torch", "qlib", "pandas", "chromadb", "langchain_core", "langgraph", "sentence_transformers",
          "backtrader", "stable_baselines3", "matplotlib")


def test_plan_only_imports_no_engine_graph_or_model_library(cli_env: dict[str, str]) -> None:
    """Planning is fast because it loads nothing heavy (the timing is in docs/benchmarks.md)."""
    import subprocess
    import sys

    probe = ("import json, sys\nfrom taorui.cli import main\ncode = main(sys.argv[1:])\n"
             f"sys.stderr.write('HEAVY=' + json.dumps(sorted(m for m in {_HEAVY!r} if m in sys.modules)))\n"
             "sys.exit(code)\n")
    for text in ("把原油仓位减掉一半", "backtest a 20/60 moving average crossover on SP500 with 3bp commission"):
        done = subprocess.run([sys.executable, "-c", probe, "ask", text, "--plan-only", "--json"], env=cli_env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["tool_calls"] or json.loads(done.stdout)["question"]
        heavy = json.loads(done.stderr.rsplit("HEAVY=", 1)[1])
        assert heavy == [], f"plan-only imported {heavy}"


def test_the_fast_preview_is_the_graphs_preview(home: Path) -> None:
    """`ask --plan-only` (JSON listing, no graph) reads and plans exactly as the compiled graph's preview."""
    from taorui.cli.ask import offline_plan
    from taorui.settings import Settings
    from taorui.wiring import AppContext

    ctx = AppContext(settings=Settings(home=home, llm_backend="offline"), quiet=True)
    orchestrator = ctx.build_orchestrator("offline")
    for text in ("train a PPO on gold and tell me what to do next week", "把原油仓位减掉一半，先问我",
                 "用SAC和TD3分别在原油上训练，然后对比", "what is the weather in Paris?", "buy 10 GLOD"):
        assert offline_plan(ctx, text) == orchestrator.plan_only(text), text


def test_every_command_is_registered_by_the_module_the_cli_loads_for_it() -> None:
    """The CLI imports one command group per call; its map must name every command, correctly."""
    import argparse

    from taorui.cli import COMMANDS, SUMMARIES, build_full_parser, build_parser

    def sub_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        return set(sub_action(parser).choices)

    everything = commands(build_full_parser())
    assert everything == set(COMMANDS) == commands(build_parser()) == set(SUMMARIES)
    for name in everything:
        assert name in commands(build_parser(name)), name
    # The command list `taorui --help` prints without importing the modules is what they register.
    registered = {a.dest: a.help for a in sub_action(build_full_parser())._choices_actions}
    assert registered == SUMMARIES


def test_help_imports_no_command_module_and_no_engine() -> None:
    import subprocess
    import sys

    code = ("import sys; from taorui.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in sys.modules if m.startswith(('taorui.cli.', 'taorui_engines.rl', 'taorui_engines.qlib',"
            " 'taorui_engines.backtest', 'qlib', 'torch', 'chromadb', 'backtrader', 'matplotlib', 'pandas'))"
            " and m not in ('taorui.cli._common',)]\n"
            "print(sorted(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_an_empty_instruction_is_a_clear_error_in_both_paths(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for extra in (["--plan-only"], []):
        code, result = _run(capsys, home, "ask", "   ", *extra, "--json")
        assert code == 2 and result["error"]["type"] in ("InvalidInput", "InvalidArgument"), result
