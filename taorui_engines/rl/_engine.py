"""The RL engine's entry points: train, evaluate and act, each leaving a run folder.

``train_agent`` checks everything (assets, windows, settings, data) before it creates a run
folder, so bad input changes nothing; once the folder exists, any failure marks the run
failed with its reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from taorui_engines.caveats import rl_caveats
from taorui_engines.data import DataCenter
from taorui_engines.errors import InternalError, InvalidArgumentError, TaoruiError
from taorui_engines.manifest import RunInputs, merge_reads
from taorui_engines.progress import ProgressReporter
from taorui_engines.rl._act import suggest
from taorui_engines.rl._data import (
    MIN_TEST_BARS,
    MIN_TRAIN_BARS,
    Panel,
    load_panel,
    resolve_assets,
    resolve_split,
)
from taorui_engines.rl._env_multi import default_hmax
from taorui_engines.rl._evaluate import Backtest, Policy, backtest, make_env, write_backtest_files
from taorui_engines.rl._features import INDICATORS, WARMUP_BARS
from taorui_engines.rl._models import (
    BacktestRef,
    DateSpan,
    EnvKind,
    EnvSettings,
    NextAction,
    RLEvalResult,
    RLRunResult,
    RLRunSpec,
    RLTrainRequest,
)
from taorui_engines.rl._train import hyperparams, load_model, train_model
from taorui_engines.runs import RunFolder, open_run

__all__ = ["RUN_KIND", "EVAL_KIND", "evaluate_agent", "next_action", "prepare", "train_agent"]

logger = logging.getLogger(__name__)

RUN_KIND = "rl"
EVAL_KIND = "rl_eval"


@dataclass(frozen=True)
class Prepared:
    """A resolved spec and its loaded windows."""

    spec: RLRunSpec
    train: Panel
    test: Panel
    valid: Panel | None

    def run_inputs(self, data: DataCenter) -> RunInputs:
        """Every series the run reads (the windows, and the test window extended to the latest
        bar that the next action reads) and its seed, for the run's manifest."""
        latest = _latest_span(data, self.spec)
        reads = [*self.train.reads, *self.test.reads, *(self.valid.reads if self.valid else ())]
        reads += [r.model_copy(update={"end": max(latest.end, r.end or latest.end)}) for r in self.test.reads]
        return RunInputs(data_dir=data.data_dir, reads=merge_reads(reads), seeds={"seed": self.spec.seed})


def _provenance(data: DataCenter, symbols: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for symbol in symbols:
        p = data.provenance(symbol)
        out[symbol] = f"SYNTHETIC ({p.generator}, seed {p.seed})" if p.synthetic else p.source
    return out


def _check_settings(kind: str, env: EnvSettings, train: Panel) -> EnvSettings:
    """Settings that only one kind of environment understands are refused on the other."""
    if kind == "multi":
        if env.lot_size != 1 or env.allow_short:
            raise InvalidArgumentError(
                "lot_size and allow_short apply to one asset; the multi-asset env (FinRL's) trades whole shares, long only"
            )
        if env.max_trade_shares is None:
            return env.model_copy(update={"max_trade_shares": default_hmax(train, env.initial_cash)})
        return env
    if env.max_trade_shares is not None:
        raise InvalidArgumentError("max_trade_shares applies to a multi-asset portfolio, not to one asset")
    price = float(train.close[0, 0])
    if env.initial_cash < env.lot_size * price * (1 + env.cost_pct):
        raise InvalidArgumentError(
            f"initial cash {env.initial_cash:,.0f} does not buy one lot of {env.lot_size} units at {price:,.2f}"
        )
    return env


def prepare(data: DataCenter, request: RLTrainRequest) -> Prepared:
    """Resolve defaults and load the windows; raises before anything is written."""
    infos = resolve_assets(data, request.assets)
    symbols = tuple(i.symbol for i in infos)
    train, test, valid, note = resolve_split(infos, request.train, request.test, request.valid)
    train_panel = load_panel(data, symbols, train, MIN_TRAIN_BARS)
    test_panel = load_panel(data, symbols, test, MIN_TEST_BARS)
    valid_panel = load_panel(data, symbols, valid, MIN_TEST_BARS) if valid is not None else None
    kind: EnvKind = "single" if len(symbols) == 1 else "multi"
    if kind == "multi" and request.n_envs > 1:
        raise InvalidArgumentError("n_envs > 1 trains a batch of single-asset envs; a portfolio trains on one env")
    spec = RLRunSpec(
        kind=kind, assets=symbols, market=infos[0].market, algo=request.algo, timesteps=request.timesteps,
        seed=request.seed, train=train, test=test, valid=valid, split_note=note,
        env=_check_settings(kind, request.env, train_panel), n_envs=request.n_envs,
        hyperparams=hyperparams(request.algo, request.timesteps, request.n_envs), indicators=INDICATORS,
        warmup_bars=WARMUP_BARS, synthetic=any(i.synthetic for i in infos),
        provenance=_provenance(data, symbols),
    )
    return Prepared(spec=spec, train=train_panel, test=test_panel, valid=valid_panel)


def _training_env(spec: RLRunSpec, panel: Panel) -> Any:
    """The spec's env, or with ``n_envs`` > 1 a numpy batch of it whose rows start spread over the
    window (a single-asset batch only: ``prepare`` refuses the rest). One env keeps the classic
    path, so earlier runs reproduce unchanged."""
    if spec.n_envs == 1:
        return make_env(spec, panel)
    from taorui_engines.rl._env_vec import SingleAssetVecEnv, spread_start_days

    return SingleAssetVecEnv(panel, spec.env, spec.n_envs, spread_start_days(spec.n_envs, len(panel)))


def _policy(model: Any) -> Policy:
    def act(obs: np.ndarray) -> np.ndarray:
        action, _ = model.predict(obs, deterministic=True)
        return np.asarray(action)

    return act


def _costs_text(spec: RLRunSpec) -> str:
    return f"{spec.env.cost_pct:.2%} of traded value per side, in every result and in the benchmark"


def _metrics_payload(spec: RLRunSpec, result: Backtest, trained: int | None) -> dict[str, Any]:
    """``metrics.json``: headline numbers flat, the benchmark one level down."""
    payload: dict[str, Any] = {
        "algo": spec.algo, "assets": list(spec.assets), "kind": spec.kind, "synthetic": spec.synthetic,
        "train_start": spec.train.start.isoformat(), "train_end": spec.train.end.isoformat(),
        "test_start": result.curve["date"].iloc[0], "test_end": result.curve["date"].iloc[-1],
        "cost_pct": spec.env.cost_pct,
    }
    if trained is not None:
        payload["trained_timesteps"] = trained
    payload.update(result.metrics.model_dump())
    payload["excess_return"] = result.metrics.cumulative_return - result.benchmark.cumulative_return
    payload["benchmark"] = result.benchmark.model_dump()
    return payload


def _ref(run_id: str, spec: RLRunSpec, metrics: dict[str, Any]) -> BacktestRef:
    bench = metrics["benchmark"]
    return BacktestRef(
        run_id=run_id, algo=spec.algo, train=spec.train, test=spec.test, sharpe=metrics["sharpe"],
        cumulative_return=metrics["cumulative_return"], max_drawdown=metrics["max_drawdown"],
        benchmark_sharpe=bench["sharpe"], benchmark_cumulative_return=bench["cumulative_return"],
    )


def _latest_span(data: DataCenter, spec: RLRunSpec) -> DateSpan:
    """From the test start to the last day every asset has data now."""
    infos = data.resolve(list(spec.assets))
    last = min(date.fromisoformat(i.end[:10]) for i in infos)
    return DateSpan(start=spec.test.start, end=max(last, spec.test.start))


def _latest_panel(data: DataCenter, spec: RLRunSpec) -> Panel:
    """From the test start to the last day every asset has data now."""
    return load_panel(data, spec.assets, _latest_span(data, spec))


def _title(spec: RLRunSpec, span: DateSpan) -> str:
    label = ",".join(spec.assets) if len(spec.assets) <= 4 else f"{len(spec.assets)} assets"
    synthetic = " [SYNTHETIC data]" if spec.synthetic else ""
    return f"{spec.algo.upper()} on {label}, test {span.label()}{synthetic}"


def _guarded(run: RunFolder, work: Any) -> Any:
    """Run ``work()``; on any failure mark the run failed and re-raise as a Taorui error."""
    try:
        result = work()
    except TaoruiError as exc:
        run.fail(exc)
        raise
    except BaseException as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        if not isinstance(exc, Exception):
            raise
        raise InternalError(f"run {run.run_id} failed: {type(exc).__name__}: {exc}") from exc
    run.finish()
    return result


def train_agent(
    data: DataCenter, runs_dir: Path, request: RLTrainRequest, progress: ProgressReporter | None = None
) -> RLRunResult:
    """Train, backtest against buy-and-hold, suggest the next action; all in a new run folder."""
    prepared = prepare(data, request)
    run = RunFolder.create(runs_dir, RUN_KIND, prepared.spec, prepared.run_inputs(data))
    return _guarded(run, lambda: _train_and_report(data, prepared, run, progress))  # type: ignore[no-any-return]


def train_prepared(prepared: Prepared, workdir: Path, progress: ProgressReporter | None = None) -> tuple[Any, int]:
    """Train the prepared spec's model (``workdir`` holds early stopping's checkpoint); needs no
    data center, so it can run on another process or machine."""
    spec = prepared.spec
    valid_env = make_env(spec, prepared.valid) if prepared.valid is not None else None
    return train_model(  # type: ignore[no-any-return]
        lambda: _training_env(spec, prepared.train), spec.algo, spec.timesteps, spec.seed, progress, valid_env, workdir
    )


#: Trains a prepared spec in a work folder: ``(model, steps trained)``.
Trainer = Callable[[Prepared, Path], tuple[Any, int]]


def _train_and_report(data: DataCenter, prepared: Prepared, run: RunFolder, progress: ProgressReporter | None,
                      trainer: Trainer | None = None) -> RLRunResult:
    spec = prepared.spec
    started = time.perf_counter()
    model, trained = (trainer or (lambda p, w: train_prepared(p, w, progress)))(prepared, run.path)
    model_path = run.file("model.zip")
    model.save(model_path)
    trained_s = time.perf_counter() - started
    result = backtest(make_env(spec, prepared.test), _policy(model))
    csv_path, equity_png, drawdown_png = write_backtest_files(result, run.path, _title(spec, spec.test))
    metrics = _metrics_payload(spec, result, trained)
    run.write_metrics(metrics)
    action = suggest(spec, make_env(spec, _latest_panel(data, spec)), _policy(model), _ref(run.run_id, spec, metrics))
    run.write_json("next_action.json", action.model_dump(mode="json"))
    run.write_json("timing.json", {"train_seconds": round(trained_s, 3),
                                   "total_seconds": round(time.perf_counter() - started, 3)})
    out = RLRunResult(
        run_id=run.run_id, run_dir=str(run.path), algo=spec.algo, asset=",".join(spec.assets), assets=spec.assets,
        kind=spec.kind, synthetic=spec.synthetic, train=spec.train, test=spec.test, valid=spec.valid,
        split_note=spec.split_note, timesteps=spec.timesteps, trained_timesteps=trained, costs=_costs_text(spec),
        metrics=result.metrics, benchmark=result.benchmark, equity_csv=str(csv_path), equity_png=str(equity_png),
        drawdown_png=str(drawdown_png), model_path=str(model_path), next_action=action,
        relative=_relative(result.curve),
    )
    out = out.model_copy(update={"caveats": rl_caveats(out.model_dump(mode="json"), seeds=1)})
    run.write_metrics({**metrics, "relative": out.relative, "caveats": [c.model_dump(mode="json") for c in out.caveats]})
    run.write_json("result.json", out.model_dump(mode="json"))
    return out


def _relative(curve: Any) -> dict[str, float | None]:
    """The agent's test curve against buy and hold's (taorui_engines.metrics); empty when undefined."""
    from taorui_engines import metrics as pm
    from taorui_engines.errors import InvalidInputError

    try:
        return pm.relative_summary(curve["equity"].to_numpy(), curve["benchmark_equity"].to_numpy())
    except InvalidInputError:
        return {}


def _trained_run(runs_dir: Path, run_id: str) -> tuple[RunFolder, RLRunSpec]:
    """A finished RL training run and its spec; anything else is a clear error."""
    run = open_run(runs_dir, run_id)
    status = run.status()
    if status.kind != RUN_KIND:
        raise InvalidArgumentError(f"run {run_id} is a {status.kind!r} run, not an RL training run")
    if status.state != "done":
        reason = f": {status.error}" if status.error else ""
        raise InvalidArgumentError(f"run {run_id} is {status.state}{reason}; train again")
    return run, RLRunSpec.model_validate(run.read_json("config.json"))


def next_action(data: DataCenter, runs_dir: Path, run_id: str) -> NextAction:
    """The saved policy's suggestion on the latest data (see ``_act``). Writes nothing."""
    run, spec = _trained_run(runs_dir, run_id)
    model = load_model(spec.algo, run.file("model.zip"))
    ref = _ref(run.run_id, spec, run.read_json("metrics.json"))
    return suggest(spec, make_env(spec, _latest_panel(data, spec)), _policy(model), ref)


def evaluate_agent(
    data: DataCenter, runs_dir: Path, run_id: str, test: DateSpan | None = None
) -> RLEvalResult:
    """Replay a trained policy on ``test`` (default: its own test window) in a new run folder."""
    source, spec = _trained_run(runs_dir, run_id)
    span = test or spec.test
    panel = load_panel(data, spec.assets, span, MIN_TEST_BARS)
    model = load_model(spec.algo, source.file("model.zip"))
    overlaps = span.start <= spec.train.end
    config = {"model_run_id": run_id, "algo": spec.algo, "assets": list(spec.assets), "test": span.model_dump(mode="json"),
              "train": spec.train.model_dump(mode="json"), "overlaps_training": overlaps,
              "env": spec.env.model_dump(mode="json")}
    run = RunFolder.create(runs_dir, EVAL_KIND, config, RunInputs(data_dir=data.data_dir, reads=panel.reads))
    return _guarded(run, lambda: _evaluate_into(run, spec, panel, model, span, overlaps))  # type: ignore[no-any-return]


def _evaluate_into(run: RunFolder, spec: RLRunSpec, panel: Panel, model: Any, span: DateSpan, overlaps: bool) -> RLEvalResult:
    result = backtest(make_env(spec, panel), _policy(model))
    title = _title(spec, span) + (" (overlaps training!)" if overlaps else "")
    csv_path, equity_png, drawdown_png = write_backtest_files(result, run.path, title)
    metrics = _metrics_payload(spec, result, None)
    metrics["overlaps_training"] = overlaps
    run.write_metrics(metrics)
    out = RLEvalResult(
        run_id=run.run_id, run_dir=str(run.path), model_run_id=_model_run_id(run), algo=spec.algo, assets=spec.assets,
        synthetic=spec.synthetic, test=span, overlaps_training=overlaps, costs=_costs_text(spec),
        metrics=result.metrics, benchmark=result.benchmark, equity_csv=str(csv_path),
        equity_png=str(equity_png), drawdown_png=str(drawdown_png),
    )
    run.write_json("result.json", out.model_dump(mode="json"))
    return out


def _model_run_id(run: RunFolder) -> str:
    """The training run an evaluation run replays (from its config)."""
    return str(run.read_json("config.json")["model_run_id"])


@dataclass(frozen=True)
class PolicyStep:
    """The policy's suggestion on the bars up to one day, and what drove it."""

    action: NextAction
    #: (input, change of the action when the input is set to its neutral value, the input's value),
    #: largest first; single-asset policies only (a portfolio policy's inputs are listed in ``action``).
    drivers: tuple[tuple[str, float, float], ...]


def policy_step(data: DataCenter, runs_dir: Path, run_id: str, asof: date) -> PolicyStep:
    """Replay the saved policy from its test start to ``asof`` (reading no bar after it) and say
    which inputs moved its last action: each normalised indicator is set to 0 (its neutral
    value: price at its average, oscillator at mid-scale) and the action's change recorded."""
    run, spec = _trained_run(runs_dir, run_id)
    if asof <= spec.test.start:
        raise InvalidArgumentError(f"the policy of run {run_id} starts acting at {spec.test.start}; "
                                   f"{asof} is before its test window (in-sample)")
    model = load_model(spec.algo, run.file("model.zip"))
    policy = _policy(model)
    ref = _ref(run.run_id, spec, run.read_json("metrics.json"))
    panel = load_panel(data, spec.assets, DateSpan(start=spec.test.start, end=asof))
    env = make_env(spec, panel)
    action = suggest(spec, env, policy, ref)
    drivers: list[tuple[str, float, float]] = []
    if spec.kind == "single":
        from taorui_engines.rl._evaluate import replay

        env = make_env(spec, panel)
        obs = replay(env, policy)
        base = np.asarray(policy(obs), dtype="float64")
        for i, name in enumerate(INDICATORS):
            probe = obs.copy()
            probe[i] = 0.0
            moved = float(np.abs(np.asarray(policy(probe), dtype="float64") - base).sum())
            drivers.append((name, moved, float(obs[i])))
        drivers.sort(key=lambda d: -d[1])
    return PolicyStep(action=action, drivers=tuple(drivers))
