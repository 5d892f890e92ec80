"""``taorui rl ...`` and the RL tools as a user and an agent call them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taorui.cli import main
from taorui_engines.data import DataCenter
from taorui_engines.rl import ALGOS
from tools._context import ToolContext
from tools.registry import all_tools
from tools.rl_tools import RLNextActionResult, TrainRLResult

ISSUE_KEYS = {"run_id", "run_dir", "algo", "asset", "train", "test", "metrics", "benchmark", "equity_csv", "equity_png", "next_action"}
METRIC_KEYS = {"cumulative_return", "annualized_return", "sharpe", "max_drawdown", "n_trades"}
ACTION_KEYS = {"date", "position", "change", "direction", "rationale"}
SMALL = ["--train", "2023-07-01:2024-06-30", "--test", "2024-07-01:2024-12-31", "--timesteps", "128"]


def run_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--home", str(home), *argv, "--json"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line, got {lines!r}"
    return code, json.loads(lines[0])


@pytest.mark.slow
def test_the_acceptance_command_twice_gives_identical_metrics_and_complete_run_folders(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["rl", "train", "--asset", "GOLD", "--algo", "ppo", "--timesteps", "5000", "--seed", "7"]

    first_code, first = run_json(home, capsys, *argv)
    second_code, second = run_json(home, capsys, *argv)

    assert first_code == second_code == 0
    assert ISSUE_KEYS <= first.keys() and METRIC_KEYS <= first["metrics"].keys() <= second["metrics"].keys()
    assert METRIC_KEYS <= first["benchmark"].keys() and ACTION_KEYS <= first["next_action"].keys()
    assert first["run_id"] != second["run_id"]
    assert first["metrics"] == second["metrics"] and first["benchmark"] == second["benchmark"]
    assert first["train"] == {"start": "2021-01-01", "end": "2024-12-31"}
    assert first["test"] == {"start": "2025-01-01", "end": "2025-12-31"}
    for name in ("config.json", "metrics.json", "status.json", "equity.csv", "equity.png", "drawdown.png", "model.zip"):
        assert (Path(first["run_dir"]) / name).exists(), name


def test_rl_act_prints_the_next_action_of_a_trained_run(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    windows = ["--train", "2016-07-01:2017-06-30", "--test", "2017-07-01:2017-12-29", "--timesteps", "128"]
    _, trained = run_json(home, capsys, "rl", "train", "--asset", "WTI", *windows)

    code, action = run_json(home, capsys, "rl", "act", "--run", trained["run_id"])

    assert code == 0 and ACTION_KEYS <= action.keys()
    assert action == trained["next_action"]
    assert action["synthetic"] is False and "SYNTHETIC" not in action["rationale"]
    assert action["date"] == "2019-01-03"  # WTI's last bar, not the end of the test window


def test_rl_evaluate_replays_a_run_on_another_window(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, trained = run_json(home, capsys, "rl", "train", "--asset", "GOLD", *SMALL)

    code, result = run_json(home, capsys, "rl", "evaluate", "--run", trained["run_id"], "--test", "2025-01-01:2025-06-30")

    assert code == 0 and result["model_run_id"] == trained["run_id"]
    assert result["test"] == {"start": "2025-01-01", "end": "2025-06-30"} and not result["overlaps_training"]


def test_an_unknown_algorithm_exits_2_naming_the_allowed_ones(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "rl", "train", "--asset", "GOLD", "--algo", "dqn")

    assert code == 2 and payload["error"]["type"] == "InvalidArgument"
    assert all(algo in payload["error"]["message"] for algo in ALGOS)


def test_an_unknown_asset_exits_2_naming_the_assets_in_the_store(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "rl", "train", "--asset", "GOLF")

    assert code == 2 and payload["error"]["type"] == "UnknownSymbol"
    assert all(name in payload["error"]["message"] for name in ("GOLD", "SP500", "WTI", "NASDAQ", "SYN000..SYN119"))
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


@pytest.mark.parametrize(
    ("argv", "error_type", "fragment"),
    [
        (["rl", "train", "--asset", "GOLD", "--timesteps", "5"], "InvalidArgument", "timesteps"),
        (["rl", "train", "--asset", "GOLD", "--test", "2025-06-01:2025-01-01"], "InvalidArgument", "before its start"),
        (["rl", "train", "--asset", "GOLD", "--train", "2019"], "InvalidArgument", "START:END"),
        (["rl", "act", "--run", "rl-nope"], "NotFound", "rl-nope"),
    ],
)
def test_bad_rl_arguments_exit_2_with_one_json_error(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], error_type: str, fragment: str
) -> None:
    code, payload = run_json(home, capsys, *argv)

    assert code == 2 and payload["error"]["type"] == error_type
    assert fragment in payload["error"]["message"]


@pytest.fixture
def tool_ctx(own_center: DataCenter, home: Path) -> ToolContext:
    return ToolContext(data=own_center, runs_dir=home / "runs", state_dir=home / "state")


def test_the_rl_tools_are_registered_with_their_kinds() -> None:
    tools = all_tools()

    assert tools["train_rl_agent"].kind == "compute" and tools["evaluate_rl_agent"].kind == "compute"
    assert tools["rl_next_action"].kind == "read"
    schema = tools["train_rl_agent"].json_schema()["parameters"]
    assert set(schema["properties"]["algo"]["enum"]) == set(ALGOS)


@pytest.mark.parametrize(
    ("raw", "error_type", "fragment"),
    [
        ({"asset": "GOLD", "algo": "dqn"}, "InvalidArgument", "algo"),
        ({"asset": "GOLD", "timesteps": "500"}, "InvalidArgument", "timesteps"),
        ({"asset": "GOLD", "leverage": 3}, "InvalidArgument", "leverage"),
        ({"asset": "GOLD", "cost_pct": 0.5}, "InvalidArgument", "cost_pct"),
        ({"asset": "GOLF"}, "UnknownSymbol", "SP500"),
    ],
)
def test_bad_tool_arguments_come_back_as_readable_errors(
    tool_ctx: ToolContext, raw: dict, error_type: str, fragment: str
) -> None:
    outcome = all_tools()["train_rl_agent"].invoke(raw, tool_ctx)

    assert not outcome.ok and outcome.error is not None
    assert outcome.error.type == error_type and fragment in outcome.error.message


def test_an_agent_can_train_then_ask_for_the_next_action(tool_ctx: ToolContext) -> None:
    tools = all_tools()
    args = {"asset": "GOLD", "timesteps": 128, "seed": 1, "train": {"start": "2023-07-01", "end": "2024-06-30"},
            "test": {"start": "2024-07-01", "end": "2024-12-31"}}

    trained = tools["train_rl_agent"].invoke(args, tool_ctx)
    assert trained.ok and trained.result is not None, trained.error
    action = tools["rl_next_action"].invoke({"run_id": trained.result["run_id"]}, tool_ctx)

    assert action.ok and action.result is not None
    assert TrainRLResult.model_validate(trained.result).next_action.rationale == action.result["rationale"]
    assert RLNextActionResult.model_validate(action.result).synthetic is True
    evaluation = tools["evaluate_rl_agent"].invoke({"run_id": trained.result["run_id"]}, tool_ctx)
    assert evaluation.ok and evaluation.result is not None
    assert evaluation.result["metrics"] == trained.result["metrics"]
