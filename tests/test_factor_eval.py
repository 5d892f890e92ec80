"""Factor evaluation: IC conventions, the planted signals of csi_syn, run folders, the tools."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError, InvalidExpressionError
from taorui_engines.qlib_engine import (
    FORWARD_RETURN,
    FactorEvalRequest,
    daily_ic,
    daily_rank_ic,
    evaluate_factors,
    rank_autocorrelation,
    summarize,
    top_quantile_turnover,
)
from tools._context import ToolContext
from tools.data_tools import GET_PRICE
from tools.qlib_tools import DESCRIBE_FACTOR, EVALUATE_FACTORS

REVERSAL = "Ref($close,5)/$close-1"
VOLUME_SHOCK = "Mean($volume,5)/Mean($volume,60)"
LOW_VOL = "Std($close/Ref($close,1)-1,20)"
NOISE = "Ref($close,60)/Ref($close,61)-1"  # a one-day return two months old: nothing planted there
SUBSET = tuple(f"SYN{i:03d}" for i in range(30))


# --- IC arithmetic on hand-made frames -----------------------------------------------------------
def _frame(rows: list[list[float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, index=pd.date_range("2024-01-01", periods=len(rows)),
                        columns=[f"S{i}" for i in range(len(rows[0]))])


def test_rank_ic_is_one_for_a_monotone_signal_and_minus_one_reversed() -> None:
    returns = _frame([[0.01, 0.02, 0.05, 0.04]])
    signal = _frame([[1.0, 2.0, 4.0, 3.0]])

    assert daily_rank_ic(signal, returns, min_count=3).iloc[0] == pytest.approx(1.0)
    assert daily_rank_ic(-signal, returns, min_count=3).iloc[0] == pytest.approx(-1.0)


def test_ic_is_pearson_and_skips_pairs_with_a_missing_side() -> None:
    signal = _frame([[1.0, 2.0, 3.0, np.nan, 5.0]])
    returns = _frame([[0.1, 0.3, 0.2, 0.9, np.nan]])

    got = daily_ic(signal, returns, min_count=3).iloc[0]

    assert got == pytest.approx(np.corrcoef([1, 2, 3], [0.1, 0.3, 0.2])[0, 1])


def test_days_with_too_few_pairs_or_a_flat_side_have_no_ic() -> None:
    signal = _frame([[1.0, 2.0, np.nan, np.nan], [1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0]])
    returns = _frame([[0.1, 0.2, 0.3, 0.4]] * 3)

    got = daily_rank_ic(signal, returns, min_count=3)

    assert np.isnan(got.iloc[0]) and np.isnan(got.iloc[1]) and got.iloc[2] == pytest.approx(1.0)


def test_summary_gives_mean_std_ir_and_positive_share() -> None:
    stats = summarize(pd.Series([0.1, -0.1, 0.3, np.nan]))

    assert stats.n_days == 3
    assert stats.mean == pytest.approx(0.1)
    assert stats.std == pytest.approx(0.2)
    assert stats.ir == pytest.approx(0.5)
    assert stats.positive_ratio == pytest.approx(2 / 3)


def test_a_ranking_that_never_changes_has_autocorrelation_one_and_no_turnover() -> None:
    fixed = _frame([list(range(20))] * 10).astype(float)

    assert rank_autocorrelation(fixed) == pytest.approx(1.0)
    assert top_quantile_turnover(fixed) == pytest.approx(0.0)


def test_a_reshuffled_ranking_has_low_autocorrelation_and_high_turnover() -> None:
    rng = np.random.default_rng(0)
    shuffled = pd.DataFrame(rng.normal(size=(300, 50)), index=pd.date_range("2020-01-01", periods=300))

    assert abs(rank_autocorrelation(shuffled) or 1.0) < 0.05
    assert (top_quantile_turnover(shuffled) or 0.0) > 0.7


# --- the planted signals ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted(data_center: DataCenter) -> dict[str, Any]:
    request = FactorEvalRequest(expressions=(REVERSAL, VOLUME_SHOCK, LOW_VOL, NOISE), universe="csi_syn",
                                start="2019-01-01", end="2023-12-31", horizon=1)
    evaluation = evaluate_factors(data_center, request)
    return {r.expr: r for r in evaluation.results} | {"_evaluation": evaluation}


@pytest.mark.parametrize(("expression", "target"), [(REVERSAL, 0.05), (VOLUME_SHOCK, 0.03), (LOW_VOL, -0.03)])
def test_each_planted_signal_is_found_with_its_sign_and_rough_strength(
    planted: dict[str, Any], expression: str, target: float
) -> None:
    result = planted[expression]

    assert np.sign(result.rank_ic_mean) == np.sign(target)
    assert 0.5 * abs(target) < abs(result.rank_ic_mean) < 1.5 * abs(target)
    assert abs(result.rank_ic_t) > 5


def test_a_pure_noise_expression_has_rank_ic_near_zero(planted: dict[str, Any]) -> None:
    noise = planted[NOISE]

    assert abs(noise.rank_ic_mean) < 0.01
    assert abs(noise.rank_ic_t) < 3


def test_the_decay_profile_follows_the_planted_kernel(planted: dict[str, Any]) -> None:
    reversal, low_vol = planted[REVERSAL].decay, planted[LOW_VOL].decay

    assert set(reversal) == {"1", "5", "10", "20"}
    assert reversal["5"] > reversal["1"] and reversal["5"] > reversal["20"]  # peaks around a week
    assert low_vol["20"] < low_vol["5"] < low_vol["1"] < 0  # keeps growing in size


def test_results_state_the_forward_return_and_that_the_data_is_synthetic(planted: dict[str, Any]) -> None:
    evaluation = planted["_evaluation"]

    assert evaluation.forward_return == FORWARD_RETURN and "close(t+h)/close(t) - 1" in FORWARD_RETURN
    assert evaluation.synthetic is True
    assert evaluation.n_symbols == 120 and evaluation.market == "synthetic"
    assert planted[REVERSAL].coverage == pytest.approx(1.0)


# --- against an independent computation -------------------------------------------------------------
def test_our_daily_ics_match_an_independent_pandas_computation(data_center: DataCenter, tmp_path: Path) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL,), universe=SUBSET, start="2021-01-01",
                                end="2021-12-31", horizon=5)
    evaluation = evaluate_factors(data_center, request, runs_dir=tmp_path)
    ours = pd.read_csv(Path(evaluation.run_dir or "") / "ic_series.csv", parse_dates=["date"]).set_index("date")

    factor = data_center.get_factor(REVERSAL, list(SUBSET), "2021-01-01", "2021-12-31")
    factor = factor.pivot(index="date", columns="symbol", values="value")
    close = data_center.get_price(list(SUBSET), "2021-01-01", "2022-01-31", fields=["close"])
    close = close.pivot(index="date", columns="symbol", values="close")
    forward = (close.shift(-5) / close - 1).loc[factor.index]
    spearman = pd.Series({d: factor.loc[d].corr(forward.loc[d], method="spearman") for d in factor.index})
    pearson = pd.Series({d: factor.loc[d].corr(forward.loc[d]) for d in factor.index})

    spearman, pearson = spearman.dropna(), pearson.dropna()
    # every one of 2021's 261 days counts: the returns of the last ones are read from early 2022
    assert len(spearman) == evaluation.results[0].n_days == 261
    np.testing.assert_allclose(ours["rank_ic"].dropna().to_numpy(), spearman.to_numpy(), atol=1e-9)
    np.testing.assert_allclose(ours["ic"].dropna().to_numpy(), pearson.to_numpy(), atol=1e-9)
    assert evaluation.results[0].rank_ic_mean == pytest.approx(spearman.mean(), abs=1e-12)
    assert evaluation.results[0].positive_ratio == pytest.approx((spearman > 0).mean())


def test_the_calendars_last_days_have_no_forward_return_and_are_left_out(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL,), universe=SUBSET, start="2025-10-01",
                                end="2025-12-31", horizon=5)
    days = data_center.calendar("synthetic", "2025-10-01", "2025-12-31")

    (result,) = evaluate_factors(data_center, request).results

    assert result.n_days == len(days) - 5


# --- loading and recording ----------------------------------------------------------------------------
class CountingCenter(DataCenter):
    """A real data center that counts its feature loads."""

    loads = 0

    def get_features(self, expressions: Mapping[str, str] | Sequence[str], *args: Any, **kwargs: Any) -> pd.DataFrame:
        type(self).loads += 1
        return super().get_features(expressions, *args, **kwargs)


def test_several_expressions_share_one_data_load(sample_data_dir: Path) -> None:
    center = CountingCenter(sample_data_dir)
    request = FactorEvalRequest(expressions=(REVERSAL, VOLUME_SHOCK, LOW_VOL, "$close / $open"),
                                universe=SUBSET, start="2022-01-01", end="2022-03-31")

    evaluate_factors(center, request)

    assert CountingCenter.loads == 1


def test_two_spellings_of_one_factor_are_reported_once_each_with_equal_numbers(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL, "Ref( $close , 5 ) / $close - 1"), universe=SUBSET,
                                start="2022-01-01", end="2022-06-30")

    first, second = evaluate_factors(data_center, request).results

    assert first.expr != second.expr and first.canonical == second.canonical
    assert first.rank_ic_mean == second.rank_ic_mean


def test_coverage_counts_days_where_the_factor_is_undefined(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=("Log($close - Ref($close, 1))",), universe=SUBSET,
                                start="2022-01-01", end="2022-12-31")

    (result,) = evaluate_factors(data_center, request).results

    assert 0.3 < result.coverage < 0.7  # the log of a fall is undefined


def test_a_recorded_evaluation_leaves_a_complete_run_folder(data_center: DataCenter, tmp_path: Path) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL, VOLUME_SHOCK), universe=SUBSET,
                                start="2022-01-01", end="2022-06-30")

    evaluation = evaluate_factors(data_center, request, runs_dir=tmp_path)

    folder = Path(evaluation.run_dir or "")
    assert {"config.json", "status.json", "metrics.json", "ic_series.csv", "ic_00.png", "ic_01.png"} <= {
        p.name for p in folder.iterdir()}
    assert json.loads((folder / "status.json").read_text())["state"] == "done"
    metrics = json.loads((folder / "metrics.json").read_text())
    assert [r["canonical"] for r in metrics["results"]] == [r.canonical for r in evaluation.results]
    assert metrics["best"]["canonical"] in {r.canonical for r in evaluation.results}
    assert "SYNTHETIC" in metrics["summary"] and "Ref($close, 5) / $close - 1: Rank IC" in metrics["summary"]
    assert (folder / "ic_00.png").read_bytes()[:4] == b"\x89PNG"


def test_an_unknown_field_is_refused_before_anything_is_loaded_or_recorded(
    data_center: DataCenter, tmp_path: Path
) -> None:
    request = FactorEvalRequest(expressions=("Mean($turnover, 5)",), universe="csi_syn",
                                start="2022-01-01", end="2022-06-30")

    with pytest.raises(InvalidExpressionError, match=r"unknown field \$turnover"):
        evaluate_factors(data_center, request, runs_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_period_without_trading_days_is_refused(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL,), universe="csi_syn", start="2030-01-01", end="2030-06-30")

    with pytest.raises(InvalidDateRangeError, match="no trading days"):
        evaluate_factors(data_center, request)


def test_symbols_from_two_markets_are_refused(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=(REVERSAL,), universe=("SP500", "SYN000"), start="2017-01-01",
                                end="2017-06-30")

    with pytest.raises(InvalidArgumentError, match="several markets"):
        evaluate_factors(data_center, request)


# --- tools -------------------------------------------------------------------------------------------
@pytest.fixture
def tool_ctx(data_center: DataCenter, tmp_path: Path) -> ToolContext:
    return ToolContext(data=data_center, runs_dir=tmp_path / "runs", state_dir=tmp_path / "state")


def test_evaluate_factors_tool_returns_results_with_the_run_folder(tool_ctx: ToolContext) -> None:
    outcome = EVALUATE_FACTORS.invoke({"expressions": [REVERSAL], "universe": ",".join(SUBSET),
                                       "start": "2022-01-01", "end": "2022-06-30", "horizon": 1}, tool_ctx)

    assert outcome.ok, outcome.error
    assert outcome.result is not None
    assert outcome.result["results"][0]["canonical"] == "Ref($close, 5) / $close - 1"
    assert outcome.result["synthetic"] is True and Path(outcome.result["ic_plots"][0]).exists()


def test_evaluate_factors_tool_reports_a_bad_argument_the_agent_can_fix(tool_ctx: ToolContext) -> None:
    outcome = EVALUATE_FACTORS.invoke({"expressions": [REVERSAL], "start": "2022-01-01", "end": "2022-06-30",
                                       "horizon": 0}, tool_ctx)

    assert not outcome.ok and outcome.error is not None
    assert outcome.error.type == "InvalidArgument" and "horizon" in outcome.error.message


def test_evaluate_factors_tool_refuses_code_as_unsafe(tool_ctx: ToolContext) -> None:
    outcome = EVALUATE_FACTORS.invoke({"expressions": ["__import__('os').getcwd()"], "start": "2022-01-01",
                                       "end": "2022-06-30"}, tool_ctx)

    assert outcome.error is not None and outcome.error.type == "UnsafeExpression"
    assert not (tool_ctx.runs_dir).exists()


def test_describe_factor_tool_explains_an_expression(tool_ctx: ToolContext) -> None:
    outcome = DESCRIBE_FACTOR.invoke({"expression": VOLUME_SHOCK}, tool_ctx)

    assert outcome.ok and outcome.result is not None
    assert outcome.result["factor"]["description"] == "5-day mean of volume divided by 60-day mean of volume"
    assert outcome.result["factor"]["lookback"] == 59


def test_get_price_tool_returns_bars_summaries_and_provenance(tool_ctx: ToolContext) -> None:
    outcome = GET_PRICE.invoke({"symbols": ["GOLD", "SP500"], "start": "2017-01-03", "end": "2017-01-31"}, tool_ctx)

    assert outcome.ok and outcome.result is not None
    summaries = {s["symbol"]: s for s in outcome.result["summaries"]}
    assert summaries["GOLD"]["synthetic"] is True and summaries["SP500"]["synthetic"] is False
    gold = [r for r in outcome.result["rows"] if r["symbol"] == "GOLD"]
    assert gold[0]["date"] == summaries["GOLD"]["first_date"]
    assert summaries["GOLD"]["change"] == pytest.approx(gold[-1]["close"] / gold[0]["close"] - 1)
    assert set(gold[0]) == {"date", "symbol", "open", "high", "low", "close", "volume"}


def test_get_price_tool_keeps_the_latest_rows_when_capped(tool_ctx: ToolContext) -> None:
    outcome = GET_PRICE.invoke({"symbols": ["GOLD"], "start": "2020-01-01", "end": "2020-12-31",
                                "fields": ["close"], "max_rows": 10}, tool_ctx)

    assert outcome.ok and outcome.result is not None
    assert outcome.result["truncated"] is True and len(outcome.result["rows"]) == 10
    assert outcome.result["rows"][-1]["date"] == "2020-12-31"
    assert outcome.result["total_rows"] > 250


def test_get_price_tool_names_an_unknown_symbol(tool_ctx: ToolContext) -> None:
    outcome = GET_PRICE.invoke({"symbols": ["GOLDD"], "start": "2020-01-01", "end": "2020-01-31"}, tool_ctx)

    assert outcome.error is not None and outcome.error.type == "UnknownSymbol"
    assert "GOLD" in outcome.error.message


def test_infinite_factor_values_count_as_missing_not_as_coverage(data_center: DataCenter) -> None:
    request = FactorEvalRequest(expressions=("$close/($close-$close)",), universe=SUBSET,
                                start="2022-01-01", end="2022-12-31")

    (result,) = evaluate_factors(data_center, request).results

    assert result.coverage == 0.0
    assert result.n_days == 0
