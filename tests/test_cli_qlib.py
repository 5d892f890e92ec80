"""``taorui factor ...`` and ``taorui model ...`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from taorui.cli import main

REVERSAL = "Ref($close,5)/$close-1"
SMALL = ",".join(f"SYN{i:03d}" for i in range(12))


def run_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--home", str(home), *argv, "--json"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line, got: {out!r}"
    return code, json.loads(lines[0])


def test_factor_eval_prints_one_result_per_expression(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "factor", "eval", REVERSAL, "Mean($volume,5)/Mean($volume,60)",
                             "--universe", "csi_syn", "--start", "2022-01-01", "--end", "2022-12-31",
                             "--horizon", "5")

    assert code == 0
    assert [r["expr"] for r in payload["results"]] == [REVERSAL, "Mean($volume,5)/Mean($volume,60)"]
    for result in payload["results"]:
        assert {"expr", "canonical", "ic_mean", "ic_std", "icir", "rank_ic_mean", "rank_icir", "positive_ratio",
                "coverage", "n_days", "horizon", "decay"} <= result.keys()
        assert result["horizon"] == 5 and set(result["decay"]) == {"1", "5", "10", "20"}
    assert payload["results"][0]["rank_ic_mean"] > 0
    assert payload["synthetic"] is True
    assert (Path(payload["run_dir"]) / "metrics.json").exists()


def test_a_code_payload_exits_2_as_unsafe_and_runs_nothing(home: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"

    proc = subprocess.run(
        [str(Path(sys.executable).parent / "taorui"), "factor", "eval", payload, "--start", "2022-01-01",
         "--end", "2022-03-31", "--json"],
        env=cli_env, capture_output=True, text=True, timeout=300,
    )

    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["type"] == "UnsafeExpression" and "__import__" in error["message"]
    assert not marker.exists()


@pytest.mark.parametrize(
    ("expression", "kind", "fragment"),
    [("Ref($close, -5)", "InvalidExpression", "look-ahead"),
     ("Mean($close, 1000)", "InvalidExpression", "Mean takes 1..250"),
     ("$close.__class__", "UnsafeExpression", "attribute access"),
     ("eval('1')", "UnsafeExpression", "quotes")],
)
def test_rejected_expressions_exit_2_with_the_error_type(
    home: Path, capsys: pytest.CaptureFixture[str], expression: str, kind: str, fragment: str
) -> None:
    code, payload = run_json(home, capsys, "factor", "eval", expression, "--start", "2022-01-01", "--end", "2022-03-31")

    assert code == 2
    assert payload["error"]["type"] == kind and fragment in payload["error"]["message"]


def test_factor_describe_shows_the_canonical_form_and_meaning(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "factor", "describe", "Std($close/Ref($close,1)-1,20)")

    assert code == 0
    assert payload["canonical"] == "Std($close / Ref($close, 1) - 1, 20)"
    assert payload["description"].startswith("20-day standard deviation of")
    assert payload["lookback"] == 20


def test_factor_ops_lists_the_whitelist(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "factor", "ops")

    names = {o["name"] for o in payload["operators"]}
    assert code == 0 and {"Ref", "Mean", "Corr", "Quantile", "If"} <= names
    assert "Mask" not in names and "ChangeInstrument" not in names
    assert payload["max_window"] == 250


def test_model_train_on_alpha158_prints_metrics_and_backtest(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "model", "train", "--model", "lightgbm", "--features", "alpha158",
                             "--universe", SMALL, "--train", "2020-01-01:2020-12-31",
                             "--valid", "2021-01-01:2021-03-31", "--test", "2021-04-01:2021-06-30",
                             "--topk", "4", "--n-drop", "1")

    assert code == 0
    assert {"ic", "rank_ic", "icir", "rank_icir"} <= payload["metrics"].keys()
    assert {"annualized_return", "information_ratio", "max_drawdown", "annualized_return_with_cost",
            "information_ratio_with_cost", "max_drawdown_with_cost", "turnover"} <= payload["backtest"].keys()
    assert payload["n_features"] == 158 and payload["synthetic"] is True
    folder = Path(payload["run_dir"])
    assert folder.name == payload["run_id"] and folder.parent == home / "runs"
    assert {"predictions.csv", "equity.png", "metrics.json", "model_lightgbm.txt"} <= {p.name for p in folder.iterdir()}

    code, again = run_json(home, capsys, "model", "backtest", "--run", payload["run_id"], "--topk", "3")
    assert code == 0 and again["source"] == f"run {payload['run_id']}"
    assert again["metrics"]["n_days"] == payload["backtest"]["n_days"]


def test_model_train_text_output_names_segments_and_synthetic_data(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--home", str(home), "model", "train", "--model", "linear", "--features", "custom",
                 "--expr", REVERSAL, "--expr", "Mean($volume,5)/Mean($volume,60)", "--universe", SMALL,
                 "--train", "2020-01-01:2020-12-31", "--valid", "2021-01-01:2021-03-31",
                 "--test", "2021-04-01:2021-06-30", "--no-backtest"])
    out = capsys.readouterr().out

    assert code == 0
    assert "SYNTHETIC" in out and "train 2020-01-01..2020-12-31" in out and "label: Ref($close, -2)" in out


def test_model_train_with_a_malformed_span_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "model", "train", "--train", "2020-01-01", "--valid",
                             "2021-01-01:2021-03-31", "--test", "2021-04-01:2021-06-30")

    assert code == 2 and payload["error"]["type"] == "InvalidArgument"
    assert "START:END" in payload["error"]["message"]


def test_model_train_with_overlapping_segments_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "model", "train", "--train", "2020-01-01:2021-06-30", "--valid",
                             "2021-01-01:2021-03-31", "--test", "2021-04-01:2021-06-30")

    assert code == 2 and payload["error"]["type"] == "InvalidArgument"
    assert "time order" in payload["error"]["message"]
    assert not (home / "runs").exists()


def test_model_train_with_two_universes_leaves_one_run_per_universe(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = ",".join(f"SYN{i:03d}" for i in range(12, 24))
    code, payload = run_json(home, capsys, "model", "train", "--model", "linear", "--features", "custom",
                             "--expr", REVERSAL, "--universe", SMALL, "--universe", other,
                             "--train", "2020-01-01:2020-12-31", "--valid", "2021-01-01:2021-03-31",
                             "--test", "2021-04-01:2021-06-30", "--no-backtest")

    assert code == 0 and payload["executor"] == "local" and payload["failed"] == []
    assert [r["universe"] for r in payload["runs"]] == [SMALL, other] == list(payload["universes"])
    assert all(Path(r["run_dir"]).is_dir() for r in payload["runs"])
