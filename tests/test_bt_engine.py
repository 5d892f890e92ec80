"""The Backtrader engine: fill rule, costs, sizing, strategies and metrics, checked by hand.

The acceptance checks recompute results independently from the bars with pandas: buy and
hold to the cent, SMA-cross trade dates, Sharpe and drawdown from the equity curve.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from taorui_engines.backtest import (
    STRATEGIES,
    BacktestSpec,
    Sizing,
    StrategyName,
    list_strategies,
    load_bars,
    run_backtest,
    simulate,
    validate_params,
)
from taorui_engines.backtest._engine import _ArrayFeed, _stamps
from taorui_engines.backtest._strategies import _Base, _CrossOver
from taorui_engines.data import DataCenter, Provenance
from taorui_engines.errors import InvalidArgumentError, InvalidDateRangeError, UnknownSymbolError
from taorui_engines.progress import ProgressEvent, RecordingProgress

CASH = 100_000.0
COMMISSION = 0.001


def bars_of(center: DataCenter, symbol: str, start: str, end: str) -> pd.DataFrame:
    return center.get_price(symbol, start, end).set_index("date")


# ---------------------------------------------------------------------------------------
# custom bars for edge cases (gaps, stops): a small store of hand-made series
# ---------------------------------------------------------------------------------------
def _frame(closes: list[float], opens: list[float] | None = None) -> pd.DataFrame:
    closes_a = np.asarray(closes, dtype=float)
    opens_a = np.asarray(opens if opens is not None else closes, dtype=float)
    return pd.DataFrame({
        "date": pd.bdate_range("2020-01-06", periods=len(closes_a)),
        "open": opens_a, "high": np.maximum(opens_a, closes_a) * 1.002,
        "low": np.minimum(opens_a, closes_a) * 0.998, "close": closes_a, "volume": 1e6,
    })


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> DataCenter:
    """Hand-made bars in a market of their own (region us, lot 1)."""
    center = DataCenter(tmp_path_factory.mktemp("btcustom") / "data")
    frames = {
        # bar 1 opens 10% above bar 0's close: a 100% buy sized at bar 0 cannot be paid
        "GAPUP": _frame([100.0, 110.0, 110.0] + [100.0] * 9, [100.0, 110.0, 110.0] + [100.0] * 9),
        # entry fills at 100; closes fall to 94 on bar 4: a 5% stop fires there
        "DROP": _frame([100, 100, 99, 97, 94, 96, 101, 105, 107, 108, 109, 110]),
        # closes climb to 121 on bar 5: a 20% take profit fires there
        "RISE": _frame([100, 100, 104, 110, 116, 121, 118, 115, 112, 110, 108, 107]),
    }
    prov = Provenance(source="tests (hand-made bars)", synthetic=True, generator="test", seed=0)
    center.ingest_frames({s: f.set_index("date") for s, f in frames.items()}, market="handmade",
                         provenance=prov, region="us")
    return center


def hand_spec(strategy: StrategyName, symbol: str, **kw: object) -> BacktestSpec:
    return BacktestSpec(strategy=strategy, symbols=(symbol,), start=date(2020, 1, 6), end=date(2020, 1, 21),
                        cash=CASH, commission=COMMISSION, slippage=0.0, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# acceptance: buy and hold to the cent
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("slippage", [0.0, 0.0005])
def test_buy_and_hold_final_value_equals_the_hand_computation_to_the_cent(
    data_center: DataCenter, slippage: float
) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SP500",), start=date(2010, 1, 4),
                        end=date(2012, 12, 31), cash=CASH, commission=COMMISSION, slippage=slippage)
    result = run_backtest(spec, data_center)

    bars = bars_of(data_center, "SP500", "2010-01-04", "2012-12-31")
    # signal on bar 0's close: whole units that cash pays with commission and slippage
    size = math.floor(CASH / (bars["close"].iloc[0] * (1 + COMMISSION) * (1 + slippage)))
    # fill at bar 1's open, slipped against us but never above the bar's high
    price = min(bars["open"].iloc[1] * (1 + slippage), bars["high"].iloc[1])
    cash_left = CASH - size * price - size * price * COMMISSION
    assert cash_left >= 0  # the order was payable at that open (otherwise the rule retries)
    expected_final = cash_left + size * bars["close"].iloc[-1]

    assert round(result.metrics.final_value, 2) == round(expected_final, 2)
    assert abs(result.metrics.final_value - expected_final) < 0.005
    assert result.trades[0].entry_date == bars.index[1].date()
    assert result.trades[0].size == size and result.trades[0].open


def test_buy_and_hold_equity_curve_is_cash_plus_units_at_each_close(data_center: DataCenter) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SP500",), start=date(2011, 1, 3),
                        end=date(2011, 6, 30), cash=CASH, commission=COMMISSION, slippage=0.0)
    out = simulate(spec, load_bars(data_center, spec.symbols, spec.start, spec.end))
    bars = bars_of(data_center, "SP500", "2011-01-03", "2011-06-30")
    size = math.floor(CASH / (bars["close"].iloc[0] * (1 + COMMISSION)))
    cost = size * bars["open"].iloc[1] * (1 + COMMISSION)
    expected = pd.Series(CASH - cost + size * bars["close"].to_numpy(), index=bars.index)
    expected.iloc[0] = CASH  # nothing is held at the close of the signal bar

    np.testing.assert_allclose(out.equity["value"].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------
# acceptance: SMA cross trades at the crossovers pandas finds
# ---------------------------------------------------------------------------------------
def _pandas_crosses(close: pd.Series, fast: int, slow: int) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    diff = close.rolling(fast).mean() - close.rolling(slow).mean()
    prev = diff.shift(1)
    ups = diff.index[(diff > 0) & (prev < 0)].tolist()
    downs = diff.index[(diff < 0) & (prev > 0)].tolist()
    return ups, downs


def test_sma_cross_trades_exactly_at_the_crossovers_pandas_finds(data_center: DataCenter) -> None:
    fast, slow = 10, 30
    spec = BacktestSpec(strategy="sma_cross", params={"fast": fast, "slow": slow}, symbols=("SP500",),
                        start=date(2004, 1, 2), end=date(2009, 12, 31), cash=CASH, commission=COMMISSION,
                        sizing=Sizing(kind="fixed_units", units=10))
    result = run_backtest(spec, data_center)

    history = bars_of(data_center, "SP500", "1999-01-01", "2009-12-31")["close"]
    ups, downs = _pandas_crosses(history, fast, slow)
    days = history.index[history.index >= "2004-01-02"]
    next_day = {d: days[i + 1] for i, d in enumerate(days[:-1])}
    expected, holding = [], None
    for day in days[:-1]:  # a signal on the last bar has no next open to fill at
        if holding is None and day in ups:
            holding = next_day[day]
        elif holding is not None and day in downs:
            expected.append((holding.date(), next_day[day].date()))
            holding = None
    got = [(t.entry_date, t.exit_date) for t in result.trades if not t.open]

    assert len(expected) > 20
    assert got == expected
    assert all(t.size == 10 for t in result.trades)


def test_momentum_is_long_exactly_while_the_look_back_return_is_positive(data_center: DataCenter) -> None:
    """Time-series momentum against pandas: enter the open after a bar whose 60-bar return turns
    positive, leave the open after it turns non-positive."""
    period = 60
    spec = BacktestSpec(strategy="momentum", params={"period": period}, symbols=("SP500",),
                        start=date(2004, 1, 2), end=date(2009, 12, 31), cash=CASH, commission=COMMISSION,
                        sizing=Sizing(kind="fixed_units", units=10))
    result = run_backtest(spec, data_center)

    history = bars_of(data_center, "SP500", "1999-01-01", "2009-12-31")["close"]
    up = (history / history.shift(period) - 1) > 0
    days = history.index[history.index >= "2004-01-02"]
    next_day = {d: days[i + 1] for i, d in enumerate(days[:-1])}
    expected, holding = [], None
    for day in days[:-1]:
        if holding is None and up[day]:
            holding = next_day[day]
        elif holding is not None and not up[day]:
            expected.append((holding.date(), next_day[day].date()))
            holding = None
    got = [(t.entry_date, t.exit_date) for t in result.trades if not t.open]
    assert len(expected) > 10
    assert got == expected


# ---------------------------------------------------------------------------------------
# acceptance: Sharpe and drawdown from the equity curve
# ---------------------------------------------------------------------------------------
def test_sharpe_and_max_drawdown_agree_with_an_independent_computation(
    data_center: DataCenter, tmp_path: Path
) -> None:
    spec = BacktestSpec(strategy="sma_cross", params={"fast": 20, "slow": 50}, symbols=("SP500",),
                        start=date(2006, 1, 3), end=date(2010, 12, 31))
    result = run_backtest(spec, data_center, tmp_path)
    assert result.equity_csv is not None

    equity = pd.read_csv(result.equity_csv, index_col="date", parse_dates=True)["value"]
    values = np.concatenate([[spec.cash], equity.to_numpy()])
    rets = values[1:] / values[:-1] - 1
    sharpe = rets.mean() / rets.std(ddof=1) * np.sqrt(252)
    peaks = np.maximum.accumulate(values)
    max_dd = np.min(values / peaks - 1)  # negative: the shared convention (docs/metrics.md)
    metrics = json.loads((Path(result.run_dir or "") / "metrics.json").read_text())

    assert metrics["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    assert metrics["max_drawdown"] == pytest.approx(max_dd, rel=1e-9)
    assert metrics["final_value"] == pytest.approx(equity.iloc[-1], rel=1e-12)
    assert metrics["total_return"] == pytest.approx(equity.iloc[-1] / spec.cash - 1, rel=1e-9)
    years = len(equity) / 252
    assert metrics["annualized_return"] == pytest.approx((equity.iloc[-1] / spec.cash) ** (1 / years) - 1, rel=1e-9)
    assert metrics["max_drawdown"] < -0.05  # 2008 is in the window: the check is not vacuous


# ---------------------------------------------------------------------------------------
# fill rule edge cases on hand-made bars
# ---------------------------------------------------------------------------------------
def test_an_entry_the_cash_cannot_pay_at_the_gapped_open_is_cancelled_and_retried(custom: DataCenter) -> None:
    out = simulate(hand_spec("buy_and_hold", "GAPUP"), load_bars(custom, ["GAPUP"], date(2020, 1, 6), date(2020, 1, 21)))

    assert out.metrics.n_unfilled_orders == 1
    first = out.fills.iloc[0]
    assert first["date"] == "2020-01-08"  # bar 2: the retry sized at bar 1's close (110)
    assert first["size"] == math.floor(CASH / (110 * (1 + COMMISSION)))


def test_a_stop_loss_exits_at_the_open_after_the_close_that_breaches_it(custom: DataCenter) -> None:
    bars = load_bars(custom, ["DROP"], date(2020, 1, 6), date(2020, 1, 21))
    out = simulate(hand_spec("buy_and_hold", "DROP", stop_loss=0.05), bars)

    days = bars.frames["DROP"].index
    trade = out.trades[0]
    assert trade.entry_date == days[1].date() and trade.entry_price == 100.0
    assert trade.exit_date == days[5].date()  # close 94 on bar 4 <= 95: out at bar 5's open
    assert len(out.trades) == 1  # buy and hold does not re-enter after a stop


def test_a_take_profit_exits_after_the_close_that_reaches_it(custom: DataCenter) -> None:
    bars = load_bars(custom, ["RISE"], date(2020, 1, 6), date(2020, 1, 21))
    out = simulate(hand_spec("buy_and_hold", "RISE", take_profit=0.2), bars)

    days = bars.frames["RISE"].index
    assert out.trades[0].exit_date == days[6].date()  # close 121 on bar 5 >= 120
    assert out.trades[0].pnl > 0


def test_fixed_units_buys_exactly_that_many_units(custom: DataCenter) -> None:
    out = simulate(hand_spec("buy_and_hold", "DROP", sizing=Sizing(kind="fixed_units", units=37)),
                   load_bars(custom, ["DROP"], date(2020, 1, 6), date(2020, 1, 21)))
    assert out.fills["size"].tolist() == [37]


def test_cn_region_markets_trade_in_lots_of_100(data_center: DataCenter) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SYN000", "SYN001"), start=date(2021, 1, 4),
                        end=date(2021, 3, 31), cash=1_000_000)
    result = run_backtest(spec, data_center)
    assert result.lot_size == 100
    assert all(t.size % 100 == 0 and t.size > 0 for t in result.trades)
    assert result.synthetic_symbols == ("SYN000", "SYN001")


def test_every_fill_price_lies_inside_its_bar_for_every_rule_strategy(data_center: DataCenter) -> None:
    bars = load_bars(data_center, ["SP500"], date(2007, 1, 3), date(2009, 12, 31), lookback=200)
    frame = bars.frames["SP500"]
    for name, info in STRATEGIES.items():
        if info.kind != "rule":
            continue
        spec = BacktestSpec(strategy=info.name, symbols=("SP500",), start=date(2007, 1, 3), end=date(2009, 12, 31))
        out = simulate(spec, bars)
        assert out.metrics.final_value == pytest.approx(out.equity["value"].iloc[-1])
        for _, fill in out.fills.iterrows():
            bar = frame.loc[pd.Timestamp(fill["date"])]
            assert bar["low"] - 1e-9 <= fill["price"] <= bar["high"] + 1e-9, name
        assert out.metrics.n_trades >= 1, name


# ---------------------------------------------------------------------------------------
# the signal strategy
# ---------------------------------------------------------------------------------------
def test_signal_weights_are_traded_at_the_next_open_sized_by_the_weights(data_center: DataCenter) -> None:
    symbols = ("SYN000", "SYN001", "SYN002")
    bars = load_bars(data_center, symbols, date(2022, 3, 1), date(2022, 4, 29))
    days = bars.window_dates()
    weights = pd.DataFrame({"SYN000": [0.5, 0.0], "SYN001": [0.5, 0.5], "SYN002": [0.0, 0.5]},
                           index=[days[0], days[10]])
    spec = BacktestSpec(strategy="signal", symbols=symbols, start=date(2022, 3, 1), end=date(2022, 4, 29),
                        cash=1_000_000, commission=COMMISSION, slippage=0.0, lot_size=1)
    out = simulate(spec, bars, signals=weights)

    assert out.metrics.n_unfilled_orders == 0
    first = out.fills[out.fills["date"] == days[1].date().isoformat()].set_index("symbol")
    close0 = {s: bars.frames[s].loc[days[0], "close"] for s in symbols}
    assert set(first.index) == {"SYN000", "SYN001"}
    for s in ("SYN000", "SYN001"):
        # target = weight x equity x (1 - cash_buffer 0.02), in whole units at the signal close
        assert first.loc[s, "size"] == math.floor(0.5 * 0.98 * 1_000_000 / (close0[s] * (1 + COMMISSION)))
        assert first.loc[s, "price"] == pytest.approx(bars.frames[s].loc[days[1], "open"])
    second = out.fills[out.fills["date"] == days[11].date().isoformat()]
    assert second.iloc[0]["symbol"] == "SYN000" and second.iloc[0]["side"] == "sell"  # sells go first
    assert "SYN002" in set(second["symbol"])
    assert not out.fills["date"].between(days[2].date().isoformat(), days[10].date().isoformat()).any()


def test_signal_scores_hold_the_top_k_equally(data_center: DataCenter) -> None:
    symbols = tuple(f"SYN{i:03d}" for i in range(6))
    bars = load_bars(data_center, symbols, date(2022, 3, 1), date(2022, 3, 31))
    day = bars.window_dates()[0]
    scores = pd.DataFrame([[0.1, 0.9, 0.5, -0.2, 0.8, np.nan]], columns=list(symbols), index=[day])
    spec = BacktestSpec(strategy="signal", params={"mode": "scores", "top_k": 2}, symbols=symbols,
                        start=date(2022, 3, 1), end=date(2022, 3, 31), cash=1_000_000, lot_size=1)
    out = simulate(spec, bars, signals=scores)
    assert set(out.fills["symbol"]) == {"SYN001", "SYN004"}


@pytest.mark.parametrize(
    ("frame", "params", "message"),
    [
        (pd.DataFrame({"NOPE": [1.0]}, index=[pd.Timestamp("2022-03-01")]), {}, "outside the backtest"),
        (pd.DataFrame({"SYN000": [-0.5]}, index=[pd.Timestamp("2022-03-01")]), {}, "allow_short"),
        (pd.DataFrame({"SYN000": [0.8], "SYN001": [0.7]}, index=[pd.Timestamp("2022-03-01")]), {}, "leverage"),
        (pd.DataFrame({"SYN000": [0.5]}, index=[pd.Timestamp("2024-01-01")]), {}, "no signal row"),
    ],
)
def test_bad_signals_are_refused_before_any_run_folder_exists(
    data_center: DataCenter, tmp_path: Path, frame: pd.DataFrame, params: dict, message: str
) -> None:
    spec = BacktestSpec(strategy="signal", params=params, symbols=("SYN000", "SYN001"), start=date(2022, 3, 1),
                        end=date(2022, 3, 31))
    with pytest.raises(InvalidArgumentError, match=message):
        run_backtest(spec, data_center, tmp_path / "runs", signals=frame)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


# ---------------------------------------------------------------------------------------
# parameters, inputs and the run folder
# ---------------------------------------------------------------------------------------
def test_the_catalog_lists_every_strategy_with_typed_ranged_params() -> None:
    catalog = {s["name"]: s for s in list_strategies()}
    assert set(catalog) == {"buy_and_hold", "sma_cross", "ema_cross", "macd", "rsi_reversion",
                            "bollinger_breakout", "bollinger_reversion", "donchian_breakout", "momentum", "signal"}
    fast = catalog["sma_cross"]["params"]["fast"]  # type: ignore[index]
    assert (fast["type"], fast["default"], fast["min"], fast["max"]) == ("integer", 10, 2, 250)
    assert catalog["signal"]["params"]["mode"]["choices"] == ["weights", "scores"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("strategy", "params", "fragment"),
    [
        ("sma_cross", {"fast": 30, "slow": 10}, "fast (30) must be smaller than slow (10)"),
        ("sma_cross", {"fast": 1}, "fast"),
        ("rsi_reversion", {"lower": 60, "upper": 55}, "lower"),
        ("macd", {"speed": 3}, "speed"),
    ],
)
def test_invalid_parameters_are_refused_with_the_parameter_named(strategy: str, params: dict, fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        validate_params(strategy, params)
    with pytest.raises(InvalidArgumentError):
        BacktestSpec(strategy=strategy, params=params, symbols=("SP500",), start=date(2010, 1, 1),  # type: ignore[arg-type]
                     end=date(2011, 1, 1))


def test_params_are_stored_typed_with_defaults_filled() -> None:
    spec = BacktestSpec(strategy="sma_cross", params={"fast": "5"}, symbols=("SP500",), start=date(2010, 1, 1),
                        end=date(2011, 1, 1))
    assert spec.params == {"fast": 5, "slow": 30}


def test_a_window_without_bars_is_refused_and_leaves_no_run_folder(data_center: DataCenter, tmp_path: Path) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SP500",), start=date(2021, 1, 1), end=date(2021, 6, 30))
    with pytest.raises(InvalidDateRangeError):
        run_backtest(spec, data_center, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_symbols_of_two_markets_are_refused(data_center: DataCenter) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SP500", "GOLD"), start=date(2010, 1, 1), end=date(2011, 1, 1))
    with pytest.raises(InvalidArgumentError, match="several markets"):
        run_backtest(spec, data_center)


def test_an_unknown_symbol_gets_suggestions(data_center: DataCenter) -> None:
    spec = BacktestSpec(strategy="buy_and_hold", symbols=("SP50",), start=date(2010, 1, 1), end=date(2011, 1, 1))
    with pytest.raises(UnknownSymbolError, match="SP500"):
        run_backtest(spec, data_center)


def test_a_run_leaves_a_complete_folder(data_center: DataCenter, tmp_path: Path) -> None:
    progress = RecordingProgress()
    spec = BacktestSpec(strategy="macd", symbols=("SP500",), start=date(2012, 1, 3), end=date(2013, 12, 31))
    result = run_backtest(spec, data_center, tmp_path, progress=progress)

    folder = Path(result.run_dir or "")
    assert {"config.json", "metrics.json", "status.json", "equity.csv", "trades.csv", "fills.csv",
            "equity.png"} <= {p.name for p in folder.iterdir()}
    assert (folder / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((folder / "status.json").read_text())["state"] == "done"
    config = json.loads((folder / "config.json").read_text())
    assert config["fill_rule"].startswith("signals on bar t's close") and config["params"]["slow"] == 26
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["strategy"] == "macd" and metrics["synthetic"] is False and metrics["n_trades"] == len(result.trades)
    assert progress.events and progress.events[-1].done == progress.events[-1].total


class _Interrupted(Exception):
    pass


class _StopAtFirstUpdate:
    def update(self, event: ProgressEvent) -> None:
        raise _Interrupted("stopped by the test")


def test_a_run_interrupted_midway_marks_its_folder_failed(data_center: DataCenter, tmp_path: Path) -> None:
    spec = BacktestSpec(strategy="sma_cross", symbols=("SP500",), start=date(2012, 1, 3), end=date(2013, 12, 31))
    with pytest.raises(_Interrupted):
        run_backtest(spec, data_center, tmp_path, progress=_StopAtFirstUpdate())
    (folder,) = list(tmp_path.iterdir())
    status = json.loads((folder / "status.json").read_text())
    assert status["state"] == "failed" and "stopped by the test" in status["error"]


# ---------------------------------------------------------------------------------------
# the engine's fast paths are Backtrader's own, value for value
# ---------------------------------------------------------------------------------------
def _feed_lines(feed: object) -> list[tuple[list[float], int, int]]:
    bt.Cerebro().adddata(feed)
    feed._start()  # type: ignore[attr-defined]
    feed.preload()  # type: ignore[attr-defined]
    return [(list(line.array), line.idx, line.lencount) for line in feed.lines.lines]  # type: ignore[attr-defined]


def _ticks(feed: object) -> list[tuple[object, ...]]:
    """The next-bar time and every ``tick_*`` value after each advance (NaN written "nan")."""
    names = ("tick_close", "tick_low", "tick_high", "tick_open", "tick_volume", "tick_openinterest", "tick_last")
    seen = []
    while (peek := feed.advance_peek()) != float("inf"):  # type: ignore[attr-defined]
        feed.advance()  # type: ignore[attr-defined]
        values = [getattr(feed, n) for n in names]
        seen.append((peek, *("nan" if v is not None and v != v else v for v in values)))
    return seen


def test_the_array_feed_holds_and_ticks_the_values_of_backtraders_pandas_feed(data_center: DataCenter) -> None:
    frame = load_bars(data_center, ["SP500"], date(2010, 1, 4), date(2010, 12, 31), lookback=5).frames["SP500"]
    ours = _ArrayFeed(dataname=frame, name="SP500", openinterest=None)
    theirs = bt.feeds.PandasData(dataname=frame, name="SP500", openinterest=None)
    ours_lines, their_lines = _feed_lines(ours), _feed_lines(theirs)
    for (a, *pointers_a), (b, *pointers_b) in zip(ours_lines, their_lines, strict=True):
        np.testing.assert_array_equal(np.array(a), np.array(b))  # NaN (open interest) equals NaN here
        assert pointers_a == pointers_b
    assert _ticks(ours) == _ticks(theirs)


def test_daily_stamps_are_backtraders_date_numbers() -> None:
    for index in (pd.bdate_range("1999-12-27", periods=400), pd.DatetimeIndex(["2020-01-06 15:30", "2020-01-07"])):
        assert _stamps(index) == [bt.date2num(ts.to_pydatetime()) for ts in index]


def test_a_bars_day_is_backtraders_date_of_its_stamp() -> None:
    from types import SimpleNamespace

    from backtrader.linebuffer import LineBuffer

    strategy = SimpleNamespace(_days={})
    for stamp in (733_773.0, 733_773.5, 733_773.999_999_999_9, 1.0):
        line = LineBuffer()
        line.forward()
        line[0] = stamp
        assert _Base.day_of(strategy, line) == bt.num2date(stamp).date()  # type: ignore[arg-type]


_STEPS = [2.0, 3.0, 2.0, 2.0, 1.0, 2.0, 1.0, 3.0, 3.0, 2.0, 3.0, 1.0, 2.0, 2.0, 3.0] * 3


@pytest.mark.parametrize("runonce", [True, False])
@pytest.mark.parametrize(("a", "b", "averaged"), [
    # crosses through and along exact equality, from an equal first bar and from an unequal one
    ([2.0, *_STEPS], [2.0] * (len(_STEPS) + 1), False),
    ([3.0, 1.0, *_STEPS], [2.0] * (len(_STEPS) + 2), False),
    (list(100 + 10 * np.sin(np.arange(160) / 7.0)), [100.0] * 160, True),  # SMA(3) over SMA(6)
])
def test_the_one_pass_cross_is_backtraders_crossover_on_every_bar(
        a: list[float], b: list[float], averaged: bool, runonce: bool) -> None:
    rows: list[tuple[float, float]] = []

    class Both(bt.Strategy):  # type: ignore[misc]
        def __init__(self) -> None:
            x, y = self.datas[0].close, self.datas[1].close
            if averaged:
                x, y = bt.ind.SMA(x, period=3), bt.ind.SMA(x, period=6)
            self.theirs, self.ours = bt.ind.CrossOver(x, y), _CrossOver(x, y)  # type: ignore[call-arg]

        def next(self) -> None:
            rows.append((self.theirs[0], self.ours[0]))

    cerebro = bt.Cerebro(stdstats=False, runonce=runonce)
    for closes in (a, b):
        cerebro.adddata(bt.feeds.PandasData(dataname=_frame(closes).set_index("date"), openinterest=None))
    cerebro.addstrategy(Both)
    cerebro.run()
    assert len(rows) == len(a) - (6 if averaged else 1)
    assert {theirs for theirs, _ in rows} == {-1.0, 0.0, 1.0}
    assert all(theirs == ours for theirs, ours in rows)


@pytest.mark.parametrize(("strategy", "symbols", "extra"), [
    ("sma_cross", ("SP500",), {"params": {"fast": 20, "slow": 60}}),
    ("ema_cross", ("SYN000", "SYN001", "SYN002"), {"stop_loss": 0.05, "slippage": 0.001}),
    ("macd", ("WTI",), {"take_profit": 0.2}),
    ("rsi_reversion", ("SP500",), {"sizing": Sizing(kind="target_weight", fraction=0.8)}),
    ("buy_and_hold", ("SYN003", "SYN004"), {}),
])
def test_the_fast_bar_loop_gives_backtraders_own_backtest(
        data_center: DataCenter, monkeypatch: pytest.MonkeyPatch, strategy: StrategyName, symbols: tuple[str, ...],
        extra: dict) -> None:
    """The array feed's bulk load and advance, and the strategies' lean ``_oncepost``, against
    Backtrader's own load, advance and ``Strategy._oncepost`` on the same backtest."""
    spec = BacktestSpec(strategy=strategy, symbols=symbols, start=date(2016, 1, 4), end=date(2019, 12, 31),
                        cash=1_000_000, **extra)
    bars = load_bars(data_center, symbols, spec.start, spec.end, validate_params(strategy, spec.params).lookback())
    fast = simulate(spec, bars)
    monkeypatch.setattr(_ArrayFeed, "_plain", lambda self: False)
    monkeypatch.setattr(_Base, "_oncepost", bt.Strategy._oncepost)
    plain = simulate(spec, bars)
    pd.testing.assert_frame_equal(fast.equity, plain.equity, check_exact=True)
    pd.testing.assert_frame_equal(fast.fills, plain.fills, check_exact=True)
    assert fast.trades == plain.trades and fast.metrics == plain.metrics
    assert fast.metrics.n_trades >= 1


def test_history_before_the_window_warms_the_indicators(data_center: DataCenter) -> None:
    spec = BacktestSpec(strategy="sma_cross", params={"fast": 10, "slow": 100}, symbols=("SP500",),
                        start=date(2010, 1, 4), end=date(2010, 3, 31))
    result = run_backtest(spec, data_center)
    assert result.warmup_start < date(2009, 9, 1)
    assert result.first_day == date(2010, 1, 4)


def test_the_public_surfaces_are_pinned() -> None:
    import taorui_engines.backtest as backtest
    import taorui_engines.brokers.paper as paper

    assert set(backtest.__all__) == {
        "FILL_RULE", "MAX_COMBOS", "PERIODS_PER_YEAR", "STRATEGIES", "BacktestMetrics", "BacktestResult",
        "BacktestSpec", "BarSet", "OptimizeResult", "OptimizeSpec", "RankMetric", "RankedParams", "SimOutput",
        "Sizing", "StrategyInfo", "StrategyName", "StrategyParams", "TradeRecord", "compute_metrics",
        "describe_params", "drawdown", "list_strategies", "load_bars", "optimize", "parse_grid",
        "read_signal_file", "returns", "run_backtest", "signals_from_tidy", "simulate", "strategy_info",
        "target_weights", "validate_params",
    }
    assert set(paper.__all__) == {"Clock", "PaperBroker", "PaperConfig"}
    for module in (backtest, paper):
        assert all(hasattr(module, name) for name in module.__all__)
