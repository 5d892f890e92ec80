"""One training request, several seeds: in-process one after another, or in parallel on Ray.

Every seed is its own run, with its own folder, exactly as :func:`train_agent` leaves it. The
request is checked and its windows loaded once per seed in this process *before* any folder
is made, so bad input changes nothing. On Ray, only the training (the expensive part) runs on
the cluster: a task gets the prepared spec and panels (it needs no data store and no shared
disk) and sends back the model and the files training wrote; the backtest, the next action
and the run folder are done here, as in-process. The same seed gives the same model and
metrics either way.

A seed whose training fails (or whose worker dies more often than Ray retries it) is marked
failed in its run folder and listed in ``failed``; the other seeds go on. An interruption
cancels the outstanding Ray tasks and marks their runs failed.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, TaoruiError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.rl._engine import RUN_KIND, Prepared, _guarded, _train_and_report, prepare, train_prepared
from taorui_engines.rl._models import RLRunResult, RLTrainRequest
from taorui_engines.rl._train import load_model
from taorui_engines.runs import RunFolder

__all__ = ["MAX_SEEDS", "SeedFailure", "SeedRunsResult", "train_seeds"]

logger = logging.getLogger(__name__)

MAX_SEEDS = 64
TASK = "rl-train seeds"


class SeedFailure(BaseModel):
    """A seed whose run did not finish, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int
    run_id: str
    error: str


class SeedRunsResult(BaseModel):
    """The runs of one request over several seeds, in the order the seeds were given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seeds: tuple[int, ...]
    executor: str = Field(description="'local' (one after another in this process) or 'ray'.")
    runs: tuple[RLRunResult, ...] = Field(description="The finished runs, in seed order.")
    failed: tuple[SeedFailure, ...] = Field(default=(), description="Seeds whose run failed (their folders say why).")


def train_seeds(
    data: DataCenter, runs_dir: Path, request: RLTrainRequest, seeds: Sequence[int],
    progress: ProgressReporter | None = None, *, ray_address: str | None = None,
) -> SeedRunsResult:
    """Train ``request`` once per seed (its own ``seed`` is replaced); on the Ray cluster at
    ``ray_address`` when given (the app passes TAORUI_RAY_ADDRESS), else here, in turn."""
    prepared = [prepare(data, _with_seed(request, s)) for s in _checked(seeds)]
    runs = [RunFolder.create(runs_dir, RUN_KIND, p.spec, p.run_inputs(data)) for p in prepared]
    reporter = default_progress(progress)
    if ray_address is None:
        outcomes = _local(data, prepared, runs, reporter)
    else:
        outcomes = _on_ray(data, prepared, runs, reporter, ray_address)
    failed = tuple(o for o in outcomes if isinstance(o, SeedFailure))
    if failed:
        logger.warning("%d of %d seed(s) failed: %s", len(failed), len(outcomes),
                       "; ".join(f"seed {f.seed}: {f.error}" for f in failed))
    return SeedRunsResult(seeds=tuple(p.spec.seed for p in prepared),
                          executor="local" if ray_address is None else "ray",
                          runs=tuple(o for o in outcomes if isinstance(o, RLRunResult)), failed=failed)


def _checked(seeds: Sequence[int]) -> list[int]:
    if not seeds:
        raise InvalidArgumentError("give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise InvalidArgumentError(f"seeds repeat: {list(seeds)} (the same seed gives the same run)")
    if len(seeds) > MAX_SEEDS:
        raise InvalidArgumentError(f"at most {MAX_SEEDS} seeds per request, got {len(seeds)}")
    return list(seeds)


def _with_seed(request: RLTrainRequest, seed: int) -> RLTrainRequest:
    try:
        return RLTrainRequest.model_validate({**request.model_dump(), "seed": seed})
    except ValueError as exc:
        raise InvalidArgumentError(f"seed {seed}: {exc}") from exc


def _report(data: DataCenter, prepared: Prepared, run: RunFolder, trainer: Any = None,
            progress: ProgressReporter | None = None) -> RLRunResult | SeedFailure:
    """Finish one seed's run (train with ``trainer``, backtest, suggest) or say why it failed."""
    try:
        return _guarded(run, lambda: _train_and_report(data, prepared, run, progress, trainer))  # type: ignore[no-any-return]
    except TaoruiError as exc:
        return SeedFailure(seed=prepared.spec.seed, run_id=run.run_id, error=f"{exc.type_name}: {exc.message}")


def _local(data: DataCenter, prepared: list[Prepared], runs: list[RunFolder],
           reporter: ProgressReporter) -> list[RLRunResult | SeedFailure]:
    out: list[RLRunResult | SeedFailure] = []
    try:
        for p, run in zip(prepared, runs, strict=True):
            out.append(_report(data, p, run))
            reporter.update(ProgressEvent(TASK, len(out), len(runs), f"seed {p.spec.seed}"))
    except BaseException:
        _fail_rest(runs[len(out) + 1:], "cancelled before it started")
        raise
    return out


def _train_remote(prepared: Prepared) -> dict[str, bytes]:
    """Ray task: train, then send back every file the training left (the model included)."""
    with tempfile.TemporaryDirectory(prefix="taorui-seed-") as tmp:
        workdir = Path(tmp)
        model, trained = train_prepared(prepared, workdir)
        model.save(workdir / "model.zip")
        files = {f.name: f.read_bytes() for f in workdir.iterdir() if f.is_file()}
    files["trained_timesteps"] = str(trained).encode()
    return files


def _unpack(files: dict[str, bytes]) -> Any:
    """A trainer for :func:`_train_and_report` that writes a Ray task's files into the run folder."""
    def trainer(prepared: Prepared, workdir: Path) -> tuple[Any, int]:
        trained = int(files["trained_timesteps"])
        for name, blob in files.items():
            if name != "trained_timesteps":
                (workdir / name).write_bytes(blob)
        return load_model(prepared.spec.algo, workdir / "model.zip"), trained

    return trainer


def _on_ray(data: DataCenter, prepared: list[Prepared], runs: list[RunFolder], reporter: ProgressReporter,
            address: str) -> list[RLRunResult | SeedFailure]:
    from taorui_engines import _ray

    ray = _ray.connect(address)
    task = _ray.remote(ray, _train_remote)
    out: list[RLRunResult | SeedFailure | None] = [None] * len(runs)

    def done(i: int, value: Any) -> None:
        seed = prepared[i].spec.seed
        if isinstance(value, _ray.TaskFailure):
            runs[i].fail(f"ray: {value.error}")
            out[i] = SeedFailure(seed=seed, run_id=runs[i].run_id, error=f"ray: {value.error}")
        else:
            out[i] = _report(data, prepared[i], runs[i], _unpack(value))
        reporter.update(ProgressEvent(TASK, sum(o is not None for o in out), len(runs), f"seed {seed}"))

    try:
        _ray.gather(ray, [task.remote(p) for p in prepared], done)
    except BaseException:
        _fail_rest([r for r, o in zip(runs, out, strict=True) if o is None], "cancelled")
        raise
    return [o for o in out if o is not None]


def _fail_rest(runs: list[RunFolder], why: str) -> None:
    for run in runs:
        if run.status().state == "running":
            run.fail(why)
