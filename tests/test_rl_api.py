"""The RL engine's public names and the tool schemas the model sees are pinned."""

from __future__ import annotations

import taorui_engines.rl as rl
from tools.rl_tools import TOOLS, TrainRLArgs


def test_rl_public_surface_is_pinned() -> None:
    assert set(rl.__all__) == {
        "ALGOS", "EVAL_KIND", "INDICATORS", "MAX_ASSETS", "RUN_KIND", "Algo", "AssetAction", "BacktestRef",
        "DateSpan", "Direction", "EnvSettings", "MultiAssetEnv", "NextAction", "Panel", "PerformanceMetrics",
        "RLEvalResult", "RLRunResult", "RLRunSpec", "RLTrainRequest", "SingleAssetEnv", "SingleAssetVecEnv",
        "add_indicators",
        "evaluate_agent", "load_panel", "next_action", "performance", "prepare", "resolve_split", "train_agent",
        "PolicyStep", "policy_step", "SeedFailure", "SeedRunsResult", "train_seeds",
    }
    for name in rl.__all__:
        assert hasattr(rl, name), name


def test_every_tool_argument_is_described_for_the_model() -> None:
    for tool in TOOLS:
        properties = tool.args_model.model_json_schema()["properties"]
        undescribed = [name for name, prop in properties.items() if "description" not in prop]
        assert not undescribed, f"{tool.name}: {undescribed}"
        assert tool.description.strip() and len(tool.description) < 300


def test_tool_arguments_convert_to_an_engine_request_with_the_same_settings() -> None:
    args = TrainRLArgs(asset="SYN001, SYN002", algo="sac", timesteps=900, seed=4, cost_pct=0.002, initial_cash=50_000)

    request = args.to_request()

    assert request.assets == ("SYN001", "SYN002") and (request.algo, request.timesteps, request.seed) == ("sac", 900, 4)
    assert (request.env.cost_pct, request.env.initial_cash) == (0.002, 50_000)
