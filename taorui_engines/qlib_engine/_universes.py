"""One training config, several universes: in turn in this process, or one Ray task per universe.

Every universe is its own :func:`train_model` run with its own folder, exactly as a single
training leaves it. Each universe's inputs (universe, expressions, segments, backtest size)
are checked here *before* any training, so a bad one refuses the whole request and nothing
is written. On Ray a task opens the store at its path (the same path on every node: a local
cluster or a shared filesystem), trains into a scratch folder and sends the run folder's
files back; they are written under ``runs_dir`` with the same run id. The same seed gives
the same model and metrics either way (LightGBM runs deterministic, with a fixed thread count).

A universe whose training fails (or whose worker dies more often than Ray retries it) is listed
in ``failed``; the other universes go on.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, TaoruiError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.qlib_engine._train import TrainConfig, TrainResult, checked_inputs, train_model

__all__ = ["MAX_UNIVERSES", "UniverseFailure", "UniverseRunsResult", "train_universes"]

logger = logging.getLogger(__name__)

MAX_UNIVERSES = 16
TASK = "qlib model universes"

UniverseSpec = str | tuple[str, ...]


class UniverseFailure(BaseModel):
    """A universe whose training did not finish, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    universe: str
    error: str


class UniverseRunsResult(BaseModel):
    """The runs of one config over several universes, in the order the universes were given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    universes: tuple[str, ...]
    executor: Literal["local", "ray"] = Field(description="'local' (in turn, in this process) or 'ray'.")
    runs: tuple[TrainResult, ...] = Field(description="The finished runs, in universe order.")
    failed: tuple[UniverseFailure, ...] = Field(default=(), description="Universes whose training failed.")


def train_universes(
    center: DataCenter, config: TrainConfig, universes: Sequence[UniverseSpec], runs_dir: Path,
    progress: ProgressReporter | None = None, *, ray_address: str | None = None,
) -> UniverseRunsResult:
    """Train ``config`` once per universe (its own ``universe`` is replaced); on the Ray cluster at
    ``ray_address`` when given (the app passes TAORUI_RAY_ADDRESS), else here, in turn."""
    configs = [_with_universe(config, u) for u in _checked(universes)]
    for c in configs:
        checked_inputs(center, c)  # bad input refuses the request before anything is written
    reporter = default_progress(progress)
    if ray_address is None:
        outcomes = _local(center, configs, runs_dir, reporter)
    else:
        outcomes = _on_ray(center, configs, runs_dir, reporter, ray_address)
    failed = tuple(o for o in outcomes if isinstance(o, UniverseFailure))
    if failed:
        logger.warning("%d of %d universe(s) failed: %s", len(failed), len(outcomes),
                       "; ".join(f"{f.universe}: {f.error}" for f in failed))
    return UniverseRunsResult(universes=tuple(_label(c.universe) for c in configs),
                              executor="local" if ray_address is None else "ray",
                              runs=tuple(o for o in outcomes if isinstance(o, TrainResult)), failed=failed)


def _label(universe: UniverseSpec) -> str:
    return universe if isinstance(universe, str) else ",".join(universe)


def _checked(universes: Sequence[UniverseSpec]) -> list[UniverseSpec]:
    if not universes:
        raise InvalidArgumentError("give at least one universe")
    labels = [_label(u) for u in universes]
    if len(set(labels)) != len(labels):
        raise InvalidArgumentError(f"universes repeat: {labels}")
    if len(universes) > MAX_UNIVERSES:
        raise InvalidArgumentError(f"at most {MAX_UNIVERSES} universes per request, got {len(universes)}")
    return list(universes)


def _with_universe(config: TrainConfig, universe: UniverseSpec) -> TrainConfig:
    try:
        return TrainConfig.model_validate({**config.model_dump(), "universe": universe})
    except ValueError as exc:
        raise InvalidArgumentError(f"universe {_label(universe)}: {exc}") from exc


def _local(center: DataCenter, configs: list[TrainConfig], runs_dir: Path,
           reporter: ProgressReporter) -> list[TrainResult | UniverseFailure]:
    out: list[TrainResult | UniverseFailure] = []
    for c in configs:
        try:
            out.append(train_model(center, c, runs_dir, reporter))
        except TaoruiError as exc:  # its run folder is marked failed with the reason
            out.append(UniverseFailure(universe=_label(c.universe), error=f"{exc.type_name}: {exc.message}"))
        reporter.update(ProgressEvent(TASK, len(out), len(configs), _label(c.universe)))
    return out


def _train_remote(data_dir: str, config: TrainConfig) -> tuple[str, dict[str, bytes]]:
    """Ray task: train into a scratch folder; send back the result and every file of the run."""
    with tempfile.TemporaryDirectory(prefix="taorui-universe-") as tmp:
        result = train_model(DataCenter(Path(data_dir)), config, Path(tmp))
        folder = Path(result.run_dir)
        files = {str(f.relative_to(folder)): f.read_bytes() for f in folder.rglob("*") if f.is_file()}
    return result.model_dump_json(), files


def _unpack(value: tuple[str, dict[str, bytes]], runs_dir: Path) -> TrainResult:
    """Write a task's run folder under ``runs_dir`` (same run id) and point the result at it."""
    result = TrainResult.model_validate_json(value[0])
    folder = runs_dir / result.run_id
    for name, blob in value[1].items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(blob)
    return result.model_copy(update={"run_dir": str(folder)})


def _on_ray(center: DataCenter, configs: list[TrainConfig], runs_dir: Path, reporter: ProgressReporter,
            address: str) -> list[TrainResult | UniverseFailure]:
    from taorui_engines import _ray

    ray = _ray.connect(address)
    task = _ray.remote(ray, _train_remote)
    out: list[TrainResult | UniverseFailure | None] = [None] * len(configs)

    def done(i: int, value: Any) -> None:
        label = _label(configs[i].universe)
        if isinstance(value, _ray.TaskFailure):
            out[i] = UniverseFailure(universe=label, error=f"ray: {value.error}")
        else:
            out[i] = _unpack(value, runs_dir)
        reporter.update(ProgressEvent(TASK, sum(o is not None for o in out), len(configs), label))

    _ray.gather(ray, [task.remote(str(center.data_dir), c) for c in configs], done)
    return [o for o in out if o is not None]
