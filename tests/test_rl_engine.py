"""Training, backtesting and acting end to end on the sample store (short real SB3 runs)."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import (
    InternalError,
    InvalidArgumentError,
    InvalidDateRangeError,
    UnknownSymbolError,
)
from taorui_engines.progress import RecordingProgress
from taorui_engines.rl import (
    DateSpan,
    EnvSettings,
    RLRunResult,
    RLRunSpec,
    RLTrainRequest,
    SingleAssetEnv,
    evaluate_agent,
    load_panel,
    next_action,
    train_agent,
)
from taorui_engines.rl._evaluate import replay
from taorui_engines.rl._train import load_model
from taorui_engines.runs import list_runs, open_run


def span(a: str, b: str) -> DateSpan:
    return DateSpan(start=date.fromisoformat(a), end=date.fromisoformat(b))


def gold_request(**changes: object) -> RLTrainRequest:
    base = RLTrainRequest(
        assets=("GOLD",), algo="ppo", timesteps=256, seed=3,
        train=span("2023-07-01", "2024-06-30"), test=span("2024-07-01", "2024-12-31"),
    )
    return base.model_copy(update=changes)


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rl_runs")


@pytest.fixture(scope="module")
def progress() -> RecordingProgress:
    return RecordingProgress()


@pytest.fixture(scope="module")
def gold_run(data_center: DataCenter, runs_dir: Path, progress: RecordingProgress) -> RLRunResult:
    return train_agent(data_center, runs_dir, gold_request(), progress)


def test_a_training_run_leaves_a_complete_run_folder(gold_run: RLRunResult, runs_dir: Path) -> None:
    run = open_run(runs_dir, gold_run.run_id)

    assert run.status().state == "done"
    for name in ("config.json", "metrics.json", "equity.csv", "equity.png", "drawdown.png", "model.zip", "next_action.json"):
        assert run.file(name).stat().st_size > 0, name
    spec = RLRunSpec.model_validate(run.read_json("config.json"))
    assert (spec.train, spec.test, spec.kind, spec.synthetic) == (gold_run.train, gold_run.test, "single", True)
    metrics = run.read_json("metrics.json")
    assert metrics["sharpe"] == gold_run.metrics.sharpe and metrics["benchmark"]["sharpe"] == gold_run.benchmark.sharpe
    assert metrics["test_start"] >= "2024-07-01" and metrics["cost_pct"] == 0.001


def test_reported_sharpe_and_drawdown_agree_with_the_equity_csv(gold_run: RLRunResult) -> None:
    curve = pd.read_csv(gold_run.equity_csv)

    for column, metrics in (("equity", gold_run.metrics), ("benchmark_equity", gold_run.benchmark)):
        returns = curve[column].pct_change().dropna()
        sharpe = returns.mean() / returns.std() * math.sqrt(252) if returns.std() > 0 else None
        drawdown = (curve[column] / curve[column].cummax() - 1).min()
        assert metrics.sharpe == (None if sharpe is None else pytest.approx(sharpe, rel=1e-6))
        assert metrics.max_drawdown == pytest.approx(drawdown, rel=1e-6, abs=1e-9)
        assert metrics.final_equity == pytest.approx(curve[column].iloc[-1], rel=1e-9)


def test_the_test_window_holds_no_training_day(gold_run: RLRunResult) -> None:
    dates = pd.to_datetime(pd.read_csv(gold_run.equity_csv)["date"])

    assert dates.min() >= pd.Timestamp("2024-07-01") and dates.max() <= pd.Timestamp("2024-12-31")
    assert gold_run.train.end < gold_run.test.start


def test_buy_and_hold_holds_one_position_from_the_first_fill(gold_run: RLRunResult, data_center: DataCenter) -> None:
    curve = pd.read_csv(gold_run.equity_csv)
    steps = curve["benchmark_equity"].diff().iloc[2:]
    moves = curve["close"].diff().iloc[2:]

    units = (steps / moves)[moves.abs() > 0.5]  # the CSV keeps 10 digits: skip tiny moves
    np.testing.assert_allclose(units, round(units.median()), rtol=1e-4)
    assert gold_run.benchmark.n_trades == 1 and gold_run.benchmark.exposure > 0.95


def test_training_reports_progress_to_the_end(gold_run: RLRunResult, progress: RecordingProgress) -> None:
    events = [e for e in progress.events if e.task == "rl-train"]

    assert events[0].done == 0 and events[-1].done == events[-1].total == 256
    assert len(events) > 3


def test_the_same_request_gives_identical_metrics(gold_run: RLRunResult, data_center: DataCenter, runs_dir: Path) -> None:
    again = train_agent(data_center, runs_dir, gold_request())

    assert again.run_id != gold_run.run_id
    assert again.metrics == gold_run.metrics and again.benchmark == gold_run.benchmark
    assert again.next_action.legs == gold_run.next_action.legs


def test_next_action_reloads_the_model_and_repeats_the_training_time_suggestion(
    gold_run: RLRunResult, data_center: DataCenter, runs_dir: Path
) -> None:
    action = next_action(data_center, runs_dir, gold_run.run_id)

    assert action == gold_run.next_action
    assert action.date == date(2025, 12, 31)  # the latest bar in the store, past the test window
    assert action.direction == ("long" if action.position > 0 else "short" if action.position < 0 else "flat")  # type: ignore[operator]
    assert action.change == action.position - action.legs[0].current  # type: ignore[operator]
    assert action.synthetic and "SYNTHETIC" in action.rationale and "SYNTHETIC" in action.data_note
    assert gold_run.run_id in action.rationale and "2024-07-01..2024-12-31" in action.rationale
    assert set(action.observation["GOLD"]) >= {"close", "macd", "rsi_30", "close_60_sma"}


def test_evaluating_on_the_training_run_s_own_window_reproduces_its_metrics(
    gold_run: RLRunResult, data_center: DataCenter, runs_dir: Path
) -> None:
    result = evaluate_agent(data_center, runs_dir, gold_run.run_id)

    assert result.metrics == gold_run.metrics and result.model_run_id == gold_run.run_id
    assert not result.overlaps_training
    assert open_run(runs_dir, result.run_id).status().kind == "rl_eval"


def test_an_evaluation_window_inside_training_is_flagged_in_sample(
    gold_run: RLRunResult, data_center: DataCenter, runs_dir: Path
) -> None:
    result = evaluate_agent(data_center, runs_dir, gold_run.run_id, span("2024-01-01", "2024-06-28"))

    assert result.overlaps_training and result.test.start == date(2024, 1, 1)


@pytest.mark.parametrize("algo", ["a2c", "sac", "td3", "ddpg"])
def test_each_algorithm_trains_evaluates_and_acts(algo: str, data_center: DataCenter, tmp_path: Path) -> None:
    result = train_agent(data_center, tmp_path, gold_request(algo=algo, timesteps=200))

    assert result.algo == algo and result.trained_timesteps >= 200
    assert open_run(tmp_path, result.run_id).status().state == "done"
    assert next_action(data_center, tmp_path, result.run_id) == result.next_action


def test_a_portfolio_of_csi_syn_stocks_trains_with_the_multi_asset_env(data_center: DataCenter, tmp_path: Path) -> None:
    request = gold_request(assets=("SYN003", "SYN017", "SYN042", "SYN088"), timesteps=256)

    result = train_agent(data_center, tmp_path, request)

    assert result.kind == "multi" and result.asset == "SYN003,SYN017,SYN042,SYN088"
    assert result.metrics.n_trades > 0 and result.benchmark.n_trades == 4
    action = result.next_action
    assert action.unit == "shares" and action.position is None and len(action.legs) == 4
    assert all(leg.position >= 0 and leg.position == leg.current + leg.change for leg in action.legs)
    spec = RLRunSpec.model_validate(json.loads((Path(result.run_dir) / "config.json").read_text()))
    assert spec.env.max_trade_shares is not None and spec.env.max_trade_shares > 0


def test_a_validation_window_keeps_the_model_that_scored_best_on_it(data_center: DataCenter, tmp_path: Path) -> None:
    valid = span("2024-01-01", "2024-06-28")
    request = gold_request(train=span("2022-07-01", "2023-12-29"), valid=valid, timesteps=2048, algo="a2c")

    result = train_agent(data_center, tmp_path, request)

    run_dir = Path(result.run_dir)
    scores = np.load(run_dir / "evaluations.npz")["results"][:, 0]
    assert result.valid == valid and len(scores) >= 2 and not (run_dir / "best_model.zip").exists()
    env = SingleAssetEnv(load_panel(data_center, ("GOLD",), valid), request.env)
    model = load_model("a2c", run_dir / "model.zip")
    replay(env, lambda obs: model.predict(obs, deterministic=True)[0])
    kept = (env.history()["equity"].iloc[-1] - request.env.initial_cash) * request.env.reward_scaling
    assert kept == pytest.approx(scores.max(), rel=1e-5, abs=1e-6)


@pytest.mark.parametrize(
    ("request_", "error", "fragment"),
    [
        (gold_request(assets=("GOLDX",)), UnknownSymbolError, "GOLD"),
        (gold_request(test=span("2024-06-01", "2024-12-31")), InvalidDateRangeError, "before test"),
        (gold_request(env=EnvSettings(initial_cash=500)), InvalidArgumentError, "does not buy one lot"),
        (gold_request(env=EnvSettings(max_trade_shares=10)), InvalidArgumentError, "portfolio"),
        (gold_request(assets=("SYN001", "SYN002"), env=EnvSettings(allow_short=True)), InvalidArgumentError, "one asset"),
    ],
)
def test_bad_requests_are_refused_before_any_run_folder_exists(
    data_center: DataCenter, tmp_path: Path, request_: RLTrainRequest, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        train_agent(data_center, tmp_path, request_)

    assert list(tmp_path.iterdir()) == []


def test_a_crash_during_training_marks_the_run_failed_with_its_reason(
    data_center: DataCenter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of cheese")

    monkeypatch.setattr("taorui_engines.rl._engine.train_model", explode)

    with pytest.raises(InternalError, match="out of cheese"):
        train_agent(data_center, tmp_path, gold_request())

    (status,) = list_runs(tmp_path)
    assert status.state == "failed" and "out of cheese" in (status.error or "")
    with pytest.raises(InvalidArgumentError, match="failed"):
        next_action(data_center, tmp_path, status.run_id)
