"""Alpha158 alone vs Alpha158 plus mined factors: same windows and costs, numbers from the two runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from taorui.cli import main
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, InvalidExpressionError
from taorui_engines.qlib_engine import BacktestConfig, FeatureComparison, TrainConfig, compare_feature_sets

# The planted signals of csi_syn (docs/synthetic-data.md) stand in for accepted mined factors.
PLANTED = ("Ref($close,5)/$close-1", "Mean($volume,5)/Mean($volume,60)", "Std($close/Ref($close,1)-1,20)")
# Alpha158 over 120 names takes minutes: 15 names and a short test keep the file fast.
SUBSET = tuple(f"SYN{i:03d}" for i in range(15))
SEGMENTS: dict[str, Any] = {"train": ("2020-01-01", "2020-12-31"), "valid": ("2021-01-01", "2021-02-28"),
                            "test": ("2021-03-01", "2021-06-30")}
BASE = TrainConfig(model="lightgbm", features="alpha158", universe=SUBSET,
                   backtest=BacktestConfig(topk=5, n_drop=1), **SEGMENTS)


@pytest.fixture(scope="module")
def comparison(data_center: DataCenter, tmp_path_factory: pytest.TempPathFactory) -> FeatureComparison:
    return compare_feature_sets(data_center, BASE, PLANTED, tmp_path_factory.mktemp("runs"))


def _metrics(run_dir: str) -> dict[str, Any]:
    return dict(json.loads((Path(run_dir) / "metrics.json").read_text()))


def _config(run_dir: str) -> dict[str, Any]:
    return dict(json.loads((Path(run_dir) / "config.json").read_text()))


def test_both_runs_leave_their_folders_with_the_feature_sets_they_name(comparison: FeatureComparison) -> None:
    base, extended = comparison.base, comparison.extended

    assert base.features == "alpha158" and base.n_features == 158
    assert extended.features == "alpha158+custom" and extended.n_features == 158 + len(PLANTED)
    assert _metrics(base.run_dir)["features"] == "alpha158"
    assert _metrics(extended.run_dir)["n_features"] == 161
    assert comparison.expressions == tuple(_config(extended.run_dir)["expressions"])


def test_the_two_runs_share_segments_seed_label_portfolio_and_costs(comparison: FeatureComparison) -> None:
    first, second = _config(comparison.base.run_dir), _config(comparison.extended.run_dir)
    differing = {k for k in first if first[k] != second[k]}

    assert differing == {"features", "expressions"}
    assert _metrics(comparison.base.run_dir)["segments"] == _metrics(comparison.extended.run_dir)["segments"]
    assert comparison.costs == BASE.backtest
    assert comparison.segments["test"] == (comparison.backtest_window[0], comparison.segments["test"][1])


def test_the_numbers_of_each_side_are_those_of_its_run(comparison: FeatureComparison) -> None:
    for side in (comparison.base, comparison.extended):
        saved = _metrics(side.run_dir)
        for key in ("ic", "icir", "rank_ic", "rank_icir"):
            assert getattr(side, key) == saved[key]
        for key in ("excess_annualized_return_with_cost", "information_ratio_with_cost", "max_drawdown_with_cost",
                    "total_cost", "turnover"):
            assert getattr(side, key) == saved["backtest"][key]
        assert saved["backtest"]["start"] == comparison.backtest_window[0].isoformat()


def test_the_difference_is_the_extended_run_minus_alpha158(comparison: FeatureComparison) -> None:
    base, extended, diff = comparison.base, comparison.extended, comparison.difference

    assert base.rank_ic is not None and extended.rank_ic is not None
    assert diff.rank_ic == pytest.approx(extended.rank_ic - base.rank_ic)
    assert diff.excess_annualized_return_with_cost == pytest.approx(
        extended.excess_annualized_return_with_cost - base.excess_annualized_return_with_cost)
    assert diff.n_backtest_days == _metrics(base.run_dir)["backtest"]["n_days"]
    assert diff.n_ic_days == _metrics(base.run_dir)["n_test_days"]


def test_a_difference_within_noise_carries_a_caveat(comparison: FeatureComparison) -> None:
    codes = {c.code for c in comparison.caveats}
    t = comparison.difference.return_t_with_cost

    assert ("return_difference_noise" in codes) == (t is None or abs(t) < 2)
    assert "SYNTHETIC" in comparison.summary and "2021-03-01" in comparison.summary


def test_the_comparison_is_written_into_the_extended_run_folder(comparison: FeatureComparison) -> None:
    saved = json.loads(Path(comparison.file).read_text())

    assert Path(comparison.file).parent == Path(comparison.extended.run_dir)
    assert FeatureComparison.model_validate(saved) == comparison


def test_a_bad_extra_expression_is_refused_before_anything_is_trained(data_center: DataCenter, tmp_path: Path) -> None:
    with pytest.raises(InvalidExpressionError, match="look-ahead"):
        compare_feature_sets(data_center, BASE, (PLANTED[0], "Ref($close, -1)"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_comparison_starts_from_alpha158_with_a_backtest(data_center: DataCenter, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="after costs"):
        compare_feature_sets(data_center, BASE.model_copy(update={"backtest": None}), PLANTED, tmp_path)
    with pytest.raises(InvalidArgumentError, match="alpha158"):
        compare_feature_sets(data_center, BASE.model_copy(update={"features": "alpha360"}), PLANTED, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_alpha158_plus_custom_needs_expressions() -> None:
    with pytest.raises(ValidationError, match="need expressions"):
        TrainConfig(features="alpha158+custom", **SEGMENTS)


def test_the_cli_refuses_a_bad_expression_with_exit_2_and_no_run(home: Path, capsys: pytest.CaptureFixture[str]
                                                                   ) -> None:
    code = main(["--home", str(home), "factor", "compare", "--expr", "Ref($close, -1)", "--universe",
                 ",".join(SUBSET), "--train", "2020-01-01:2020-12-31", "--valid", "2021-01-01:2021-02-28",
                 "--test", "2021-03-01:2021-06-30", "--topk", "5", "--n-drop", "1", "--json"])
    error = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    assert code == 2 and "look-ahead" in json.dumps(error)
    assert not (home / "runs").exists() or not any((home / "runs").iterdir())


def test_the_cli_prints_the_comparison_as_one_json_object(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--home", str(home), "factor", "compare", "--universe", ",".join(SUBSET), "--train",
            "2020-01-01:2020-12-31", "--valid", "2021-01-01:2021-02-28", "--test", "2021-03-01:2021-06-30",
            "--topk", "5", "--n-drop", "1", "--json"]
    for expr in PLANTED:
        argv[4:4] = ["--expr", expr]

    code = main(argv)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]

    assert code == 0 and len(lines) == 1
    payload = json.loads(lines[0])
    assert payload["base"]["features"] == "alpha158" and payload["extended"]["n_features"] == 161
    assert payload["costs"]["open_cost"] == 0.0005 and payload["costs"]["close_cost"] == 0.0015
    assert payload["segments"]["test"] == ["2021-03-01", "2021-06-30"] and payload["synthetic"] is True
    assert Path(payload["file"]).exists()


def test_a_difference_is_called_noise_only_below_t_2_or_when_undefined() -> None:
    from taorui_engines.caveats import comparison_caveats

    assert comparison_caveats(2.5, -3.0) == []
    assert [c.code for c in comparison_caveats(1.2, None)] == ["ic_difference_noise", "return_difference_noise"]
    assert [c.code for c in comparison_caveats(-2.1, 0.4)] == ["return_difference_noise"]


def test_factor_mine_compare_closes_the_loop_in_one_command(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Mine (one small round with a planted signal given), then Alpha158 vs Alpha158 + what was kept."""
    argv = ["--home", str(home), "factor", "mine", "--universe", ",".join(SUBSET), "--rounds", "1", "--population",
            "4", "--theme", "reversal", "--seed-expr", PLANTED[0],
            "--mining-start", "2018-01-01", "--mining-end", "2019-12-31", "--confirm-start", "2020-01-01",
            "--confirm-end", "2020-06-30", "--compare", "--train", "2019-01-01:2020-06-30", "--valid",
            "2020-07-01:2020-09-30", "--test", "2020-10-01:2021-01-29", "--topk", "5", "--n-drop", "1", "--json"]
    code = main(argv)
    payload = json.loads([line for line in capsys.readouterr().out.splitlines() if line.strip()][-1])

    assert code == 0
    kept = [f["canonical"] for f in payload["accepted"]]
    assert "Ref($close, 5) / $close - 1" in kept
    comparison = payload["comparison"]
    assert comparison["expressions"] == kept and comparison["extended"]["n_features"] == 158 + len(kept)
    assert comparison["segments"]["test"] == ["2020-10-01", "2021-01-29"]
    assert comparison["costs"]["close_cost"] == 0.0015


def test_the_model_tool_takes_alpha158_plus_mined_factors() -> None:
    from tools.qlib_tools import TrainQlibModelArgs

    args = TrainQlibModelArgs.model_validate({"features": "alpha158+custom", "expressions": list(PLANTED),
                                              "train": {"start": "2020-01-01", "end": "2020-12-31"},
                                              "test": {"start": "2021-03-01", "end": "2021-06-30"}})
    assert args.features == "alpha158+custom" and len(args.expressions) == 3
