"""Parameter search: grid text, ranking, out-of-sample runs, two processes and one."""

from __future__ import annotations

import json
import logging
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from taorui_engines.backtest import (
    BacktestSpec,
    BarSet,
    OptimizeResult,
    OptimizeSpec,
    StrategyName,
    _search,
    load_bars,
    optimize,
    parse_grid,
    simulate,
)
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError

BASE = BacktestSpec(strategy="sma_cross", symbols=("SP500",), start=date(2009, 1, 2), end=date(2010, 12, 31))
GRID: dict[str, tuple[int | float | bool | str, ...]] = {"fast": (5, 10, 30), "slow": (20, 40)}  # (30, 20) breaks fast < slow
OOS = (date(2011, 1, 3), date(2012, 6, 29))


@pytest.fixture(scope="module")
def two_workers(data_center: DataCenter, tmp_path_factory: pytest.TempPathFactory) -> OptimizeResult:
    spec = OptimizeSpec(base=BASE, grid=GRID, oos_start=OOS[0], oos_end=OOS[1], metric="sharpe", top=3, workers=2)
    return optimize(spec, data_center, tmp_path_factory.mktemp("runs"))


def test_grid_text_gives_inclusive_ranges_and_lists() -> None:
    assert parse_grid("fast=5:20:5,slow=20:60:10") == {"fast": (5, 10, 15, 20), "slow": (20, 30, 40, 50, 60)}
    assert parse_grid("devs=1.5:2.5:0.5, period=10/20") == {"devs": (1.5, 2.0, 2.5), "period": (10, 20)}


@pytest.mark.parametrize("text", ["fast", "fast=", "fast=5:1:1", "fast=1:5", "fast=1:5:0", "fast=a:b:c", ""])
def test_malformed_grid_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_grid(text)


def test_the_search_runs_on_two_processes_and_ranks_by_the_metric(two_workers: OptimizeResult) -> None:
    assert two_workers.workers == 2
    assert (two_workers.n_combos, two_workers.n_invalid, two_workers.n_failed) == (6, 1, 0)
    sharpes = [r.in_sample.sharpe for r in two_workers.ranking]
    assert None not in sharpes
    assert sharpes == sorted((s for s in sharpes if s is not None), reverse=True)
    assert [r.rank for r in two_workers.ranking] == [1, 2, 3, 4, 5]


def test_the_top_combinations_carry_out_of_sample_metrics(two_workers: OptimizeResult) -> None:
    top, rest = two_workers.ranking[:3], two_workers.ranking[3:]
    assert all(r.out_of_sample is not None for r in top)
    assert all(r.out_of_sample is None for r in rest)
    assert two_workers.out_of_sample == OOS


def test_grid_numbers_are_the_numbers_of_a_plain_backtest(two_workers: OptimizeResult, data_center: DataCenter) -> None:
    best = two_workers.ranking[0]
    is_bars = load_bars(data_center, ["SP500"], BASE.start, BASE.end, lookback=41)
    alone = simulate(BASE.model_copy(update={"params": best.params}), is_bars)
    assert alone.metrics == best.in_sample
    oos_spec = BASE.model_copy(update={"params": best.params, "start": OOS[0], "end": OOS[1]})
    oos_alone = simulate(oos_spec, load_bars(data_center, ["SP500"], OOS[0], OOS[1], lookback=41))
    assert oos_alone.metrics == best.out_of_sample


def test_the_search_leaves_a_run_folder_with_every_combination(two_workers: OptimizeResult) -> None:
    folder = Path(two_workers.run_dir or "")
    table = pd.read_csv(folder / "results.csv")
    metrics = json.loads((folder / "metrics.json").read_text())
    assert len(table) == 5 and table["oos_sharpe"].notna().sum() == 3
    assert metrics["best_params"] == two_workers.ranking[0].params
    assert metrics["best_in_sample_sharpe"] == pytest.approx(two_workers.ranking[0].in_sample.sharpe)
    assert json.loads((folder / "status.json").read_text())["state"] == "done"


def test_one_process_gives_the_same_ranking(two_workers: OptimizeResult, data_center: DataCenter) -> None:
    spec = OptimizeSpec(base=BASE, grid=GRID, oos_start=OOS[0], oos_end=OOS[1], top=3, workers=1)
    single = optimize(spec, data_center)
    assert single.workers == 1
    assert [r.params for r in single.ranking] == [r.params for r in two_workers.ranking]
    assert [r.in_sample for r in single.ranking] == [r.in_sample for r in two_workers.ranking]


def test_without_worker_processes_the_search_runs_here_and_says_so(
    data_center: DataCenter, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_processes() -> object:
        raise OSError("no semaphores in this sandbox")

    monkeypatch.setattr(_search, "_spawn_context", no_processes)
    spec = OptimizeSpec(base=BASE, grid={"fast": (5, 10), "slow": (40,)}, oos_start=OOS[0], oos_end=OOS[1],
                        top=1, workers=2)
    with caplog.at_level(logging.WARNING):
        result = optimize(spec, data_center)
    assert result.workers == 1 and len(result.ranking) == 2
    assert "no semaphores" in caplog.text


def test_max_drawdown_ranks_shallowest_first(data_center: DataCenter) -> None:
    grid: dict[str, tuple[int | float | bool | str, ...]] = {"fast": (5, 10), "slow": (20, 40)}
    spec = OptimizeSpec(base=BASE, grid=grid, oos_start=OOS[0], oos_end=OOS[1],
                        metric="max_drawdown", top=1, workers=1)
    result = optimize(spec, data_center)
    drawdowns = [r.in_sample.max_drawdown for r in result.ranking]
    assert drawdowns == sorted(drawdowns, reverse=True)  # negative: closest to 0 first


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"oos_start": date(2010, 6, 1)}, "must start after the in-sample end"),
        ({"grid": {"speed": (1, 2)}}, "unknown: speed"),
        ({"grid": {"fast": tuple(range(2, 40)), "slow": tuple(range(40, 60))}}, "more than 500"),
    ],
)
def test_a_search_that_would_mislead_or_explode_is_refused(changes: dict, fragment: str) -> None:
    fields = {"base": BASE, "grid": GRID, "oos_start": OOS[0], "oos_end": OOS[1], **changes}
    with pytest.raises(ValidationError, match=fragment):
        OptimizeSpec(**fields)


def test_a_grid_with_no_valid_combination_is_refused(data_center: DataCenter) -> None:
    spec = OptimizeSpec(base=BASE, grid={"fast": (50, 60), "slow": (20, 30)}, oos_start=OOS[0], oos_end=OOS[1])
    with pytest.raises(InvalidArgumentError, match="no combination"):
        optimize(spec, data_center)


@pytest.mark.parametrize("strategy", ["sma_cross", "ema_cross"])
def test_a_large_cross_grid_is_screened_and_backtrader_confirms_the_same_best(
        data_center: DataCenter, tmp_path: Path, strategy: str) -> None:
    """A 30-point grid: the vectorised screen orders it, Backtrader runs the best five, and the best
    parameters are those of running every point on Backtrader."""
    from taorui_engines.backtest._bars import load_bars
    from taorui_engines.backtest._engine import simulate
    from taorui_engines.backtest._screen import screen

    base = BacktestSpec(strategy=strategy, symbols=("SP500",), start=date(2004, 1, 1), end=date(2011, 12, 31),
                        cash=100_000, commission=0.001, slippage=0.0005)
    grid = {"fast": (5, 10, 15, 20, 25, 30), "slow": (40, 60, 80, 100, 120)}
    spec = OptimizeSpec(base=base, grid=grid, oos_start=date(2012, 1, 1), oos_end=date(2014, 12, 31), top=3,
                        workers=1)
    result = optimize(spec, data_center, tmp_path)
    assert result.screened and result.n_screened_only == 25 and len(result.ranking) == 5
    assert Path(str(result.screen_csv)).exists()
    combos = [{"fast": f, "slow": s} for f in grid["fast"] for s in grid["slow"]]
    bars = load_bars(data_center, base.symbols, base.start, base.end, 125)
    every = {(c["fast"], c["slow"]): simulate(base.model_copy(update={"params": c}), bars).metrics.sharpe
             for c in combos}
    best = max(every, key=lambda k: every[k] if every[k] is not None else -1e9)
    assert (result.ranking[0].params["fast"], result.ranking[0].params["slow"]) == best
    # The screen's own numbers are the engine's on these bars (it only orders; Backtrader reports).
    screened = screen(base, bars, combos, "sharpe")
    assert max(abs(float(s) - float(every[(c["fast"], c["slow"])])) for c, s in zip(combos, screened, strict=True)) < 1e-9


@pytest.mark.parametrize(("symbol", "strategy", "window", "costs"), [
    ("SYN007", "ema_cross", (2018, 2021), (0.0003, 0.0005)),  # whipsaws with a rejected entry (2020-05/06)
    ("WTI", "sma_cross", (2000, 2010), (0.002, 0.001)),
    ("SYN110", "sma_cross", (2019, 2022), (0.003, 0.002)),
])
def test_the_screen_follows_backtrader_through_rejected_entries_and_whipsaws(
        data_center: DataCenter, symbol: str, strategy: str, window: tuple[int, int],
        costs: tuple[float, float]) -> None:
    from taorui_engines.backtest._screen import screen

    base = BacktestSpec(strategy=strategy, symbols=(symbol,), start=date(window[0], 1, 1), end=date(window[1], 12, 31),
                        cash=200_000, commission=costs[0], slippage=costs[1])
    combos = [{"fast": f, "slow": s} for f in (3, 8, 21) for s in (34, 89)]
    bars = load_bars(data_center, base.symbols, base.start, base.end, 95)
    screened = screen(base, bars, combos, "total_return")
    engine = [simulate(base.model_copy(update={"params": c}), bars).metrics.total_return for c in combos]
    assert max(abs(float(a) - b) for a, b in zip(screened, engine, strict=True)) < 1e-9


def _bar_by_bar(spec: BacktestSpec, bars: BarSet, fast: int, slow: int) -> list[float]:
    """The screen's rules walked over every bar for one combination: the reference its event walk
    must reproduce value for value."""
    from taorui_engines.backtest._screen import _average, _crosses

    frame = bars.frames[spec.symbols[0]]
    frame = frame.loc[frame.index <= bars.end]
    close = frame["close"].to_numpy()
    fast_avg, slow_avg = _average(close, fast, spec.strategy), _average(close, slow, spec.strategy)
    up, down = _crosses(fast_avg, slow_avg)
    lot, fraction = float(spec.lot_size or bars.default_lot()), spec.resolved_sizing().fraction
    comm, slip = spec.commission, spec.slippage
    cash, units, order, retry, values = float(spec.cash), 0.0, 0.0, False, []
    for t in range(len(close)):
        if order:
            bar = frame.iloc[t]
            price = min(bar["open"] * (1 + slip), bar["high"]) if order > 0 else max(bar["open"] * (1 - slip), bar["low"])
            cost = order * price
            fee = abs(cost) * comm
            if order < 0 or cash >= cost + fee:
                cash, units = cash - cost - fee, units + order
            else:
                retry = True
            order = 0.0
        if frame.index[t] < bars.start:
            continue
        value = cash + units * close[t]
        values.append(value)
        if t < slow:
            continue
        if units > 0 and down[t]:
            order = -units
        elif units == 0 and (up[t] or (retry and fast_avg[t] > slow_avg[t])):
            price = close[t] * (1 + comm) * (1 + slip)
            order, retry = math.floor(value * fraction / price / lot) * lot, False
    return values


@pytest.mark.parametrize(("symbol", "strategy", "window", "costs"), [
    ("SYN007", "ema_cross", (2018, 2021), (0.0003, 0.0005)),  # a rejected entry retried (2020-05/06)
    ("SP500", "sma_cross", (2003, 2012), (0.001, 0.0005)),
])
def test_the_screens_event_walk_gives_the_values_of_a_bar_by_bar_walk(
        data_center: DataCenter, symbol: str, strategy: StrategyName, window: tuple[int, int],
        costs: tuple[float, float]) -> None:
    from taorui_engines.backtest._screen import account_values

    base = BacktestSpec(strategy=strategy, symbols=(symbol,), start=date(window[0], 1, 1), end=date(window[1], 12, 31),
                        cash=200_000, commission=costs[0], slippage=costs[1])
    combos = [{"fast": f, "slow": s} for f in (3, 8, 21, 50) for s in (34, 89, 140)]
    bars = load_bars(data_center, base.symbols, base.start, base.end, 140)
    values = account_values(base, bars, combos)
    for j, c in enumerate(combos):
        assert values[:, j].tolist() == _bar_by_bar(base, bars, c["fast"], c["slow"]), c
