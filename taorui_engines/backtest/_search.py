"""Grid search over a strategy's parameters, on several processes, with an out-of-sample check.

Every valid combination is backtested on the in-sample window and ranked by one metric; the
best ``top`` are then backtested on a later, disjoint out-of-sample window and reported side
by side, so a search shows how much of its in-sample edge survives. Bars are read once in
the parent and shipped to the workers, which never touch Qlib. Workers are spawned (not
forked): a fork of a process holding Qlib's or BLAS's threads can deadlock.
"""

from __future__ import annotations

import itertools
import logging
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.backtest._bars import BarSet, load_bars
from taorui_engines.backtest._engine import simulate
from taorui_engines.backtest._models import BacktestMetrics, BacktestSpec, RankMetric
from taorui_engines.backtest._params import describe_params, strategy_info, validate_params
from taorui_engines.caveats import Caveat, search_caveats
from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError, InvalidArgumentError, InvalidDateRangeError, TaoruiError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.runs import RunFolder

__all__ = ["MAX_COMBOS", "FailedPoint", "OptimizeResult", "OptimizeSpec", "RankedParams", "RankMetric", "optimize", "parse_grid"]

logger = logging.getLogger(__name__)

MAX_COMBOS = 500
RUN_KIND = "bt_optimize"
GridValue = int | float | bool | str


class OptimizeSpec(BaseModel):
    """A grid search: the base backtest (its window is in-sample), the grid and the OOS window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: BacktestSpec = Field(description="Backtest whose start..end is the in-sample window.")
    grid: dict[str, tuple[GridValue, ...]] = Field(description="Values to try per parameter.")
    oos_start: date = Field(description="First day of the out-of-sample window (after the in-sample end).")
    oos_end: date = Field(description="Last day of the out-of-sample window.")
    metric: RankMetric = Field(default="sharpe", description="Ranking metric (max_drawdown, negative: closer to 0 is better).")
    top: int = Field(default=10, ge=1, le=100, description="How many of the best get an out-of-sample run.")
    workers: int | None = Field(default=None, ge=1, le=64, description=(
        "Processes; default: as many as the amount of Backtrader work pays for, at most the CPU count "
        "(a screened grid runs in one)."))

    @model_validator(mode="after")
    def _check(self) -> OptimizeSpec:
        if strategy_info(self.base.strategy).kind == "signal":
            raise ValueError("the signal strategy has no rule parameters to search")
        known = describe_params(strategy_info(self.base.strategy).params_model)
        unknown = [k for k in self.grid if k not in known]
        if not self.grid or unknown:
            raise ValueError(f"grid must name parameters of {self.base.strategy} ({', '.join(known) or 'none'})"
                             + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
        if any(not values for values in self.grid.values()):
            raise ValueError("every grid parameter needs at least one value")
        if math.prod(len(v) for v in self.grid.values()) > MAX_COMBOS:
            raise ValueError(f"the grid has more than {MAX_COMBOS} combinations; narrow it")
        if self.oos_start <= self.base.end or self.oos_end <= self.oos_start:
            raise ValueError(f"the out-of-sample window ({self.oos_start}..{self.oos_end}) must start after the "
                             f"in-sample end ({self.base.end}) and end after it starts")
        return self


class RankedParams(BaseModel):
    """One combination with its in-sample and (for the top ones) out-of-sample metrics."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rank: int
    params: dict[str, Any]
    in_sample: BacktestMetrics
    out_of_sample: BacktestMetrics | None = None


class FailedPoint(BaseModel):
    """A grid point whose backtest did not come back, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    params: dict[str, Any]
    window: Literal["in_sample", "out_of_sample"]
    error: str


class OptimizeResult(BaseModel):
    """The ranking, the windows and what was skipped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str | None
    run_dir: str | None
    strategy: str
    metric: RankMetric
    in_sample: tuple[date, date]
    out_of_sample: tuple[date, date]
    n_combos: int = Field(description="Combinations in the grid.")
    n_invalid: int = Field(description="Combinations refused by the parameter model (e.g. fast >= slow).")
    n_failed: int = Field(description="Combinations whose backtest failed.")
    workers: int
    ranking: tuple[RankedParams, ...] = Field(description="Best first; out_of_sample set for the top ones.")
    synthetic_symbols: tuple[str, ...]
    benchmark_out_of_sample: BacktestMetrics | None = Field(
        default=None, description="Buy and hold of the same symbols over the out-of-sample window, same costs.")
    caveats: list[Caveat] = Field(default_factory=list, description="What to read the search by (computed).")
    results_csv: str | None = None
    screened: bool = Field(default=False, description="True when a vectorised screen ordered the grid and only "
                                                       "the best points ran on Backtrader (see _screen).")
    n_screened_only: int = Field(default=0, description="Grid points judged by the screen alone (not in the ranking).")
    screen_csv: str | None = Field(default=None, description="Every grid point's screened metric.")
    failed: tuple[FailedPoint, ...] = Field(default=(), description=(
        "Backtests that failed or were lost (a worker that died more often than it is retried): "
        "in-sample ones are missing from the ranking, out-of-sample ones have no out_of_sample."))
    executor: Literal["local", "ray"] = Field(default="local", description="Where the backtests ran.")


# grid text -------------------------------------------------------------------------------
def parse_grid(text: str) -> dict[str, tuple[GridValue, ...]]:
    """``"fast=5:20:5,slow=20:60:10"`` -> {fast: (5, 10, 15, 20), slow: (20, ..., 60)}.

    ``a:b:step`` is an inclusive range; ``v1/v2/v3`` lists values.
    """
    grid: dict[str, tuple[GridValue, ...]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, values = part.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise InvalidArgumentError(f"grid entries look like name=a:b:step or name=v1/v2, got {part!r}")
        grid[name.strip()] = _grid_values(values.strip())
    if not grid:
        raise InvalidArgumentError("empty grid")
    return grid


def _grid_values(text: str) -> tuple[GridValue, ...]:
    if ":" in text:
        bits = text.split(":")
        if len(bits) != 3:
            raise InvalidArgumentError(f"a range is start:stop:step, got {text!r}")
        start, stop, step = (_number(b) for b in bits)
        if step <= 0 or stop < start:
            raise InvalidArgumentError(f"range {text!r} needs step > 0 and stop >= start")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_COMBOS:
            raise InvalidArgumentError(f"range {text!r} has more than {MAX_COMBOS} values")
        if isinstance(start, int) and isinstance(step, int):
            return tuple(start + i * step for i in range(count))
        return tuple(round(start + i * step, 10) for i in range(count))
    return tuple(_scalar(v.strip()) for v in text.split("/") if v.strip())


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError as exc:
            raise InvalidArgumentError(f"not a number in a grid range: {text!r}") from exc


def _scalar(text: str) -> GridValue:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return _number(text)
    except InvalidArgumentError:
        return text


# search ----------------------------------------------------------------------------------
def _combinations(spec: OptimizeSpec) -> tuple[list[dict[str, Any]], int]:
    """Valid parameter sets (base params overlaid with each grid point) and the invalid count."""
    names = list(spec.grid)
    valid, invalid = [], 0
    for values in itertools.product(*(spec.grid[n] for n in names)):
        params = {**spec.base.params, **dict(zip(names, values, strict=True))}
        try:
            valid.append(validate_params(spec.base.strategy, params).model_dump())
        except InvalidArgumentError:
            invalid += 1
    if not valid:
        raise InvalidArgumentError(f"no combination of the grid is valid for {spec.base.strategy} "
                                   f"({invalid} refused by its parameter rules)")
    return valid, invalid


_WORKER_STATE: dict[str, Any] = {}


def _init_worker(bars: dict[str, BarSet]) -> None:
    _WORKER_STATE["bars"] = bars


def _evaluate(task: tuple[str, str]) -> dict[str, Any]:
    """Worker entry: one backtest, metrics or an error message (exceptions may not pickle)."""
    window, spec_json = task
    try:
        spec = BacktestSpec.model_validate_json(spec_json)
        out = simulate(spec, _WORKER_STATE["bars"][window])
        return {"ok": True, "metrics": out.metrics.model_dump()}
    except TaoruiError as exc:
        return {"ok": False, "error": f"{exc.type_name}: {exc.message}"}


def _spawn_context() -> multiprocessing.context.BaseContext:
    """Where worker processes come from (a seam: tests replace it to simulate a sandbox)."""
    return multiprocessing.get_context("spawn")


Runner = Callable[[list[tuple[str, str]]], list[dict[str, Any]]]


class _Executor:
    """Runs backtest tasks on one pool of spawned workers (or here, with one worker)."""

    def __init__(self, bars: dict[str, BarSet], workers: int, tick: Callable[[], None]) -> None:
        self.tick = tick
        self.workers = 1
        self._pool: Any = None
        if workers > 1:
            try:
                self._pool = _spawn_context().Pool(workers, initializer=_init_worker, initargs=(bars,))
                self.workers = workers
            except OSError as exc:  # e.g. no semaphores in a sandbox: say so, then run here
                logger.warning("could not start %d worker processes (%s); running in this process", workers, exc)
        if self._pool is None:
            _init_worker(bars)

    def run(self, tasks: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Results in task order."""
        results = self._pool.imap(_evaluate, tasks) if self._pool is not None else map(_evaluate, tasks)
        out = []
        for res in results:
            out.append(res)
            self.tick()
        return out

    def close(self, finished: bool) -> None:
        """Let the workers exit (or kill them when the search did not finish)."""
        if self._pool is None:
            return
        if finished:
            self._pool.close()
        else:
            self._pool.terminate()
        self._pool.join()


def _ray_evaluate(bars: dict[str, BarSet], task: tuple[str, str]) -> dict[str, Any]:
    """Ray task entry: ``bars`` is the cluster's one copy (``ray.put``), resolved by Ray."""
    _init_worker(bars)
    return _evaluate(task)


class _RayExecutor:
    """Runs backtest tasks on a Ray cluster: the bars go there once, each task returns metrics.

    Progress ticks as tasks finish (in any order); results come back in task order, so the
    ranking is the in-process one. A task that raises, or whose worker died more often than
    Ray retries it, comes back as a failed point (``ok`` False) with its reason.
    """

    def __init__(self, bars: dict[str, BarSet], address: str, tick: Callable[[], None]) -> None:
        from taorui_engines import _ray

        self.tick = tick
        self._ray = _ray.connect(address)
        self._bars = self._ray.put(bars)
        self._task = _ray.remote(self._ray, _ray_evaluate)
        self.workers = max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def run(self, tasks: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Results in task order; a lost or raising task is ``{"ok": False, "error": ...}``."""
        from taorui_engines import _ray

        refs = [self._task.remote(self._bars, task) for task in tasks]
        values = _ray.gather(self._ray, refs, lambda _i, _v: self.tick())
        return [{"ok": False, "error": f"ray: {v.error}"} if isinstance(v, _ray.TaskFailure) else v for v in values]

    def close(self, finished: bool) -> None:
        """Drop the cluster's copy of the bars (outstanding tasks were cancelled by ``run``)."""
        self._bars = None


def _sort_key(metric: RankMetric, metrics: BacktestMetrics) -> float:
    value = getattr(metrics, metric)
    if value is None or not math.isfinite(value):
        return math.inf
    return -value  # higher is better for every metric (max_drawdown is negative: the shallowest first)


def optimize(
    spec: OptimizeSpec,
    data: DataCenter,
    runs_dir: Path | None = None,
    progress: ProgressReporter | None = None,
    *,
    ray_address: str | None = None,
) -> OptimizeResult:
    """Run the grid in-sample, rank, run the top ones out-of-sample; write a run folder.

    With ``ray_address`` (the app passes its ``TAORUI_RAY_ADDRESS``) the backtests run as
    tasks on that Ray cluster instead of local processes; the results are the same.
    """
    combos, invalid = _combinations(spec)
    lookback = max(validate_params(spec.base.strategy, c).lookback() for c in combos)
    base = spec.base
    bars = {"is": load_bars(data, base.symbols, base.start, base.end, lookback),
            "oos": _oos_bars(data, spec, lookback)}
    run = (RunFolder.create(runs_dir, RUN_KIND, spec, bars["is"].run_inputs().merged(bars["oos"].run_inputs()))
           if runs_dir is not None else None)
    try:
        result = _search(spec, combos, invalid, bars, progress, run, ray_address)
    except BaseException as exc:
        if run is not None:
            run.fail(exc)
        raise
    if run is not None:
        run.finish()
    return result


def _oos_bars(data: DataCenter, spec: OptimizeSpec, lookback: int) -> BarSet:
    try:
        return load_bars(data, spec.base.symbols, spec.oos_start, spec.oos_end, lookback)
    except InvalidDateRangeError as exc:
        raise InvalidDateRangeError(f"out-of-sample window: {exc.message}") from exc


def _search(
    spec: OptimizeSpec, combos: list[dict[str, Any]], invalid: int, bars: dict[str, BarSet],
    progress: ProgressReporter | None, run: RunFolder | None, ray_address: str | None = None,
) -> OptimizeResult:
    reporter = default_progress(progress)
    workers = spec.workers or 1
    total = len(combos) + min(spec.top, len(combos))
    done = [0]

    def tick() -> None:
        done[0] += 1
        reporter.update(ProgressEvent(f"optimize {spec.base.strategy}", done[0], total))

    screened = _screened(spec, combos, bars["is"])
    if screened is not None:  # Backtrader runs only the points the screen ranks best
        order = sorted(range(len(combos)), key=lambda i: _screen_key(spec.metric, screened[i]))
        confirmed = [combos[i] for i in order[:_confirm_count(spec, len(combos))]]
        total = len(confirmed) + min(spec.top, len(confirmed))
    else:
        confirmed = combos
    in_tasks = [("is", spec.base.model_copy(update={"params": c}).model_dump_json()) for c in confirmed]
    if spec.workers is None:
        workers = auto_workers(len(confirmed) + min(spec.top, len(confirmed)),
                               len(bars["is"].window_dates()) * len(spec.base.symbols))
    executor: _Executor | _RayExecutor = (_RayExecutor(bars, ray_address, tick) if ray_address is not None
                                          else _Executor(bars, min(workers, len(confirmed)), tick))
    try:
        in_results = executor.run(in_tasks)
        ranked = _rank(spec, confirmed, in_results)
        failed = _failures(confirmed, in_results)
        ranking = _with_oos(spec, ranked, executor.run, failed)
    except BaseException:
        executor.close(finished=False)
        raise
    executor.close(finished=True)
    bench = _oos_benchmark(spec, bars["oos"])
    best = next((r.out_of_sample for r in ranking if r.out_of_sample is not None), None)
    caveats = search_caveats(len(combos), best.model_dump() if best else None, bench.model_dump() if bench else None)
    result = OptimizeResult(
        benchmark_out_of_sample=bench, caveats=caveats,
        run_id=run.run_id if run else None, run_dir=str(run.path) if run else None,
        strategy=spec.base.strategy, metric=spec.metric, in_sample=(spec.base.start, spec.base.end),
        out_of_sample=(spec.oos_start, spec.oos_end), n_combos=len(combos) + invalid, n_invalid=invalid,
        n_failed=len(confirmed) - len(ranking), workers=executor.workers, ranking=tuple(ranking),
        synthetic_symbols=bars["is"].synthetic, screened=screened is not None,
        n_screened_only=len(combos) - len(confirmed), failed=tuple(failed),
        executor="ray" if ray_address is not None else "local",
    )
    if failed:
        logger.warning("optimize %s: %d grid point(s) failed or were lost; see the result's `failed`",
                       spec.base.strategy, len(failed))
    if run is not None and screened is not None:
        frame = pd.DataFrame([{**{f"param_{k}": v for k, v in c.items()}, f"screen_{spec.metric}": x}
                              for c, x in zip(combos, screened, strict=True)])
        frame.sort_values(f"screen_{spec.metric}", ascending=False).to_csv(run.file("screen.csv"), index=False)
        result = result.model_copy(update={"screen_csv": str(run.file("screen.csv"))})
    return _write(result, run) if run is not None else result


#: Backtrader confirms at least this many of the screen's best points (and always the top ones). The
#: screen matches Backtrader to 1e-15 on these strategies (tests/test_bt_search.py), so this is a
#: check of the best few, not a second search.
CONFIRM_MIN = 5
#: Grids smaller than this run wholly on Backtrader (the screen would save little).
SCREEN_MIN_COMBOS = 24


#: CPU seconds one Backtrader bar costs per symbol (docs/benchmarks.md: ~16k bars/s for a cross).
_SECONDS_PER_BAR = 6e-5
#: CPU seconds a spawned worker spends importing pandas, Backtrader and the engine before its first task.
_WORKER_START_SECONDS = 0.8
#: A worker is started only for at least this many times its start-up cost in backtests.
_WORK_PER_START = 5.0


def auto_workers(n_runs: int, bars_per_run: int) -> int:
    """How many processes a search uses when the user did not say: one more per worker that pays.

    Each spawned worker re-imports the engine (``_WORKER_START_SECONDS`` of CPU). A screened grid
    leaves a handful of Backtrader runs, which one process does faster and cheaper than two
    that first import everything; a large unscreened grid still spreads over the CPUs.
    """
    work = n_runs * bars_per_run * _SECONDS_PER_BAR
    useful = int(work // (_WORK_PER_START * _WORKER_START_SECONDS))
    return max(1, min(os.cpu_count() or 1, useful))


def _confirm_count(spec: OptimizeSpec, n: int) -> int:
    return min(n, max(spec.top, CONFIRM_MIN))


def _screened(spec: OptimizeSpec, combos: list[dict[str, Any]], bars: BarSet) -> list[float] | None:
    """The screen's metric per combination, or None when the search runs wholly on Backtrader."""
    from taorui_engines.backtest._screen import screen, screenable

    if len(combos) < SCREEN_MIN_COMBOS or not screenable(spec.base, bars):
        return None
    try:
        return [float(x) for x in screen(spec.base, bars, combos, spec.metric)]
    except (ValueError, KeyError, IndexError) as exc:  # the screen is a shortcut: without it, Backtrader runs all
        logger.warning("screen failed (%s); running every grid point on Backtrader", exc)
        return None


def _screen_key(metric: RankMetric, value: float) -> float:
    return math.inf if value is None or not math.isfinite(value) else -value


def _oos_benchmark(spec: OptimizeSpec, bars: BarSet) -> BacktestMetrics | None:
    """Buy and hold over the out-of-sample window with the search's cash and costs."""
    held = spec.base.model_copy(update={"strategy": "buy_and_hold", "params": {}, "sizing": None, "stop_loss": None,
                                        "take_profit": None, "start": spec.oos_start, "end": spec.oos_end})
    try:
        return simulate(BacktestSpec.model_validate(held.model_dump()), bars, None).metrics
    except TaoruiError as exc:  # a benchmark that cannot run is said, not faked
        logger.warning("out-of-sample buy and hold could not run: %s", exc)
        return None


def _rank(
    spec: OptimizeSpec, combos: list[dict[str, Any]], results: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], BacktestMetrics]]:
    """Successful combinations, best first by the spec's metric."""
    scored = [(c, BacktestMetrics.model_validate(r["metrics"])) for c, r in zip(combos, results, strict=True)
              if r["ok"]]
    if not scored:
        raise InternalError(f"every backtest of the grid failed; first error: {results[0].get('error')}")
    for c, r in zip(combos, results, strict=True):
        if not r["ok"]:
            logger.warning("grid point %s failed: %s", c, r["error"])
    return sorted(scored, key=lambda item: _sort_key(spec.metric, item[1]))


def _failures(combos: list[dict[str, Any]], results: list[dict[str, Any]], window: Literal[
        "in_sample", "out_of_sample"] = "in_sample") -> list[FailedPoint]:
    return [FailedPoint(params=c, window=window, error=str(r.get("error")))
            for c, r in zip(combos, results, strict=True) if not r["ok"]]


def _with_oos(
    spec: OptimizeSpec, scored: list[tuple[dict[str, Any], BacktestMetrics]], run: Runner,
    failed: list[FailedPoint] | None = None,
) -> list[RankedParams]:
    top = scored[: spec.top]
    base = spec.base.model_copy(update={"start": spec.oos_start, "end": spec.oos_end})
    tasks = [("oos", base.model_copy(update={"params": c}).model_dump_json()) for c, _ in top]
    oos = run(tasks)
    if failed is not None:
        failed += _failures([c for c, _ in top], oos, "out_of_sample")
    out = [RankedParams(rank=i + 1, params=c, in_sample=m,
                        out_of_sample=BacktestMetrics.model_validate(r["metrics"]) if r["ok"] else None)
           for i, ((c, m), r) in enumerate(zip(top, oos, strict=True))]
    out += [RankedParams(rank=len(top) + i + 1, params=c, in_sample=m) for i, (c, m) in enumerate(scored[spec.top:])]
    return out


def _rows(ranking: Iterable[RankedParams]) -> pd.DataFrame:
    rows = []
    for r in ranking:
        row: dict[str, Any] = {"rank": r.rank, **{f"param_{k}": v for k, v in r.params.items()}}
        row.update({f"is_{k}": v for k, v in r.in_sample.model_dump().items()})
        if r.out_of_sample is not None:
            row.update({f"oos_{k}": v for k, v in r.out_of_sample.model_dump().items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _write(result: OptimizeResult, run: RunFolder) -> OptimizeResult:
    path = run.file("results.csv")
    _rows(result.ranking).to_csv(path, index=False)
    best = result.ranking[0]
    metric = result.metric
    run.write_metrics({
        "strategy": result.strategy, "metric": metric, "best_params": best.params,
        f"best_in_sample_{metric}": getattr(best.in_sample, metric),
        f"best_out_of_sample_{metric}": getattr(best.out_of_sample, metric) if best.out_of_sample else None,
        "best_in_sample_total_return": best.in_sample.total_return,
        "best_out_of_sample_total_return": best.out_of_sample.total_return if best.out_of_sample else None,
        "in_sample_start": result.in_sample[0].isoformat(), "in_sample_end": result.in_sample[1].isoformat(),
        "oos_start": result.out_of_sample[0].isoformat(), "oos_end": result.out_of_sample[1].isoformat(),
        "n_combos": result.n_combos, "n_invalid": result.n_invalid, "n_failed": result.n_failed,
        "failed": [f.model_dump(mode="json") for f in result.failed], "executor": result.executor,
        "screened": result.screened, "n_screened_only": result.n_screened_only,
        "workers": result.workers, "synthetic": bool(result.synthetic_symbols),
        "benchmark_out_of_sample": result.benchmark_out_of_sample.model_dump() if result.benchmark_out_of_sample else None,
        "caveats": [c.model_dump(mode="json") for c in result.caveats],
    })
    return result.model_copy(update={"results_csv": str(path)})
