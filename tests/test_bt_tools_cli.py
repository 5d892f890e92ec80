"""The Backtrader tools as an agent calls them, and ``taorui bt`` / ``taorui broker`` as a user does."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from taorui.cli import main
from taorui.settings import Settings
from taorui_engines.brokers import Order, OrderSide
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from taorui_engines.runs import RunFolder
from tools._context import ToolContext
from tools.bt_tools import BACKTEST_STRATEGY, LIST_STRATEGIES, OPTIMIZE_STRATEGY
from tools.registry import all_tools


@pytest.fixture
def tool_ctx(data_center: DataCenter, tmp_path: Path) -> ToolContext:
    return ToolContext(data=data_center, runs_dir=tmp_path / "runs", state_dir=tmp_path / "state")


def run_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--home", str(home), *argv, "--json"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got {lines!r}"
    return code, json.loads(lines[0])


# tools -----------------------------------------------------------------------------------
def test_the_three_tools_are_registered_with_their_kinds() -> None:
    tools = all_tools()
    assert {"list_strategies", "backtest_strategy", "optimize_strategy"} <= set(tools)
    assert tools["list_strategies"].kind.value == "read"
    assert tools["backtest_strategy"].kind.value == "compute"
    assert tools["optimize_strategy"].kind.value == "compute"
    assert "sma_cross" in json.dumps(tools["backtest_strategy"].json_schema())


def test_list_strategies_gives_params_with_ranges(tool_ctx: ToolContext) -> None:
    outcome = LIST_STRATEGIES.invoke({}, tool_ctx)
    assert outcome.ok and outcome.result is not None
    by_name = {s["name"]: s for s in outcome.result["strategies"]}
    assert by_name["rsi_reversion"]["params"]["lower"]["max"] == 50


def test_backtest_strategy_returns_metrics_trades_and_a_run_folder(tool_ctx: ToolContext) -> None:
    outcome = BACKTEST_STRATEGY.invoke(
        {"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01", "end": "2011-12-31",
         "params": {"fast": 10, "slow": 30}, "stop_loss": 0.05}, tool_ctx)

    assert outcome.ok, outcome.error
    result = outcome.result or {}
    assert Path(result["equity_png"]).is_file() and Path(result["run_dir"]).parent == tool_ctx.runs_dir
    assert result["metrics"]["n_trades"] >= len(result["trades"]) > 0
    assert result["fill_rule"].startswith("signals on bar t's close") and result["synthetic_symbols"] == []


def test_bad_backtest_arguments_come_back_as_readable_errors(tool_ctx: ToolContext) -> None:
    crossed = BACKTEST_STRATEGY.invoke({"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01",
                                        "end": "2011-12-31", "params": {"fast": 40, "slow": 30}}, tool_ctx)
    unknown = BACKTEST_STRATEGY.invoke({"strategy": "moon", "symbols": ["SP500"], "start": "2010-01-01",
                                        "end": "2011-12-31"}, tool_ctx)
    assert not crossed.ok and crossed.error is not None and "fast (40) must be smaller than slow" in crossed.error.message
    assert not unknown.ok and unknown.error is not None and unknown.error.type == "InvalidArgument"
    assert not tool_ctx.runs_dir.exists()


def test_the_signal_strategy_reads_signals_from_a_run_folder(tool_ctx: ToolContext, data_center: DataCenter) -> None:
    run = RunFolder.create(tool_ctx.runs_dir, "qlib_model", {"model": "test"})
    days = data_center.calendar("synthetic", "2022-03-01", "2022-03-31")
    rows = [{"datetime": d, "instrument": s, "score": float(i == j)} for i, d in enumerate(days[:3])
            for j, s in enumerate(["SYN000", "SYN001", "SYN002"])]
    pd.DataFrame(rows).to_csv(run.file("pred.csv"), index=False)

    outcome = BACKTEST_STRATEGY.invoke(
        {"strategy": "signal", "symbols": ["SYN000", "SYN001", "SYN002"], "start": "2022-03-01",
         "end": "2022-03-31", "params": {"mode": "scores", "top_k": 1}, "cash": 1000000,
         "signal_run_id": run.run_id, "signal_file": "pred.csv"}, tool_ctx)

    assert outcome.ok, outcome.error
    result = outcome.result or {}
    assert [t["symbol"] for t in result["trades"]][:2] == ["SYN000", "SYN001"]
    assert result["synthetic_symbols"] == ["SYN000", "SYN001", "SYN002"]


def test_optimize_strategy_reports_in_and_out_of_sample(tool_ctx: ToolContext) -> None:
    outcome = OPTIMIZE_STRATEGY.invoke(
        {"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01", "end": "2011-12-31",
         "oos_start": "2012-01-01", "oos_end": "2012-12-31", "grid": {"fast": [5, 10], "slow": [30]},
         "top": 2}, tool_ctx)
    assert outcome.ok, outcome.error
    result = outcome.result or {}
    assert len(result["top"]) == 2 and all(r["out_of_sample"] is not None for r in result["top"])
    assert "out-of-sample" in result["note"]


# command line ----------------------------------------------------------------------------
def test_bt_strategies_json_lists_params_with_type_default_min_max(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "bt", "strategies")
    assert code == 0
    sma = next(s for s in payload["strategies"] if s["name"] == "sma_cross")
    assert {k: sma["params"]["slow"][k] for k in ("type", "default", "min", "max")} == {
        "type": "integer", "default": 30, "min": 3, "max": 500}


def test_bt_run_json_has_the_documented_fields(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "bt", "run", "--strategy", "sma_cross", "--symbols", "SP500",
                             "--params", "fast=10,slow=30", "--start", "2010-01-01", "--end", "2012-12-31",
                             "--cash", "100000", "--commission", "0.001")
    assert code == 0
    assert {"run_id", "run_dir", "final_value", "total_return", "annualized_return", "sharpe", "max_drawdown",
            "n_trades", "trades", "equity_csv", "equity_png"} <= payload.keys()
    assert set(payload["trades"][0]) == {"symbol", "entry_date", "exit_date", "size", "pnl"}
    assert payload["params"] == {"fast": 10, "slow": 30}
    assert Path(payload["run_dir"]).parent == Settings(home=home).runs_dir


def test_bt_run_with_crossed_averages_exits_2_with_a_json_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "bt", "run", "--strategy", "sma_cross", "--symbols", "SP500",
                             "--params", "fast=50,slow=30", "--start", "2010-01-01", "--end", "2012-12-31")
    assert code == 2
    assert payload["error"]["type"] == "InvalidArgument" and "fast" in payload["error"]["message"]


def test_bt_optimize_json_ranks_with_out_of_sample(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "bt", "optimize", "--strategy", "sma_cross", "--symbols", "SP500",
                             "--grid", "fast=5:10:5,slow=30/40", "--start", "2010-01-01", "--end", "2011-12-31",
                             "--oos-start", "2012-01-01", "--oos-end", "2012-12-31", "--top", "2",
                             "--workers", "1")
    assert code == 0
    assert payload["n_combos"] == 4 and payload["workers"] == 1
    assert payload["ranking"][0]["out_of_sample"] is not None and payload["ranking"][2]["out_of_sample"] is None


def _account_with_a_fill(home: Path) -> PaperBroker:
    broker = PaperBroker(Settings(home=home).state_dir / "paper_broker.sqlite", DataCenter(home / "data"))
    broker.submit(Order(key="cli-test-0001", symbol="SP500", side=OrderSide.BUY, qty=3, created=datetime(2015, 3, 2, 18)))
    broker.settle(datetime(2015, 3, 3))
    return broker


def test_broker_status_json_shows_the_paper_account(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broker = _account_with_a_fill(home)
    code, payload = run_json(home, capsys, "broker", "status")
    assert code == 0
    assert payload["cash"] == pytest.approx(broker.cash()) and payload["n_fills"] == 1
    assert payload["positions"][0]["symbol"] == "SP500" and payload["positions"][0]["qty"] == 3
    assert payload["last_settled"] == "2015-03-03"


def test_broker_reset_without_a_terminal_refuses_unless_yes(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broker = _account_with_a_fill(home)
    code, payload = run_json(home, capsys, "broker", "reset", "--paper")  # pytest's stdin is not a terminal
    assert code == 2 and "--yes" in payload["error"]["message"]
    assert broker.positions()

    code, payload = run_json(home, capsys, "broker", "reset", "--paper", "--yes")
    assert code == 0 and payload["reset"] is True
    assert broker.positions() == [] and broker.cash() == broker.config.initial_cash
    assert broker.has_key("cli-test-0001")


@pytest.mark.parametrize(("answer", "emptied"), [("n", False), ("", False), ("y", True)])
def test_broker_reset_on_a_terminal_asks_first(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, answer: str, emptied: bool
) -> None:
    broker = _account_with_a_fill(home)
    asked: list[str] = []

    def reply(prompt: str) -> str:
        asked.append(prompt)
        return answer

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", reply)

    code = main(["--home", str(home), "broker", "reset", "--paper"])

    assert code == 0 and "Reset the paper account" in asked[0]
    assert (broker.positions() == []) is emptied
    capsys.readouterr()
