"""Run manifests and replays: what a run was made of, and whether rerunning it gives the same numbers.

Every run folder holds ``manifest.json`` beside ``config.json``, written by
:meth:`taorui_engines.runs.RunFolder.create` before the run starts::

    RunManifest
    ├── code        git commit of the working tree and a dirty flag; the taorui version
    ├── packages    python and the libraries that move numbers (numpy ... langgraph)
    ├── stores      per market read: the store version live when the run started
    ├── series      per series read: symbol, columns, requested span, first/last date,
    │               row count and the sha256 of its values (see :func:`series_record`)
    ├── config      config.json again
    ├── seeds       every seed the run used
    └── llm         model identity and prompt hashes where an LLM took part (None for engines)

The engines say what they read by passing :class:`RunInputs` to ``RunFolder.create``.

:func:`replay` reruns a finished run (RL training, Qlib model training, a rule backtest)
through the same engine function its command calls, with the same request, into a new run
folder, and compares the two ``metrics.json`` value by value: bit for bit unless a relative
tolerance is asked for, and the tolerance is part of the result. It refuses
(:class:`DataChangedError`) when a series the run read is not what it was, unless told to
replay anyway, and then reports what changed.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import math
import os
import platform
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from taorui_engines.errors import InternalError, InvalidArgumentError, InvalidInputError, NotFoundError
from taorui_engines.runs import RunFolder, open_run

if TYPE_CHECKING:
    import pandas as pd

    from taorui_engines.data import DataCenter
    from taorui_engines.progress import ProgressReporter

__all__ = [
    "MANIFEST_FILE",
    "PACKAGES",
    "REPLAYABLE_KINDS",
    "REPLAY_FILE",
    "CodeVersion",
    "DataChangedError",
    "EXPECTED_CONFIG_CHANGES",
    "KNOWN_VARIATION",
    "VOLATILE",
    "LLMIdentity",
    "MetricComparison",
    "ReplayResult",
    "RunInputs",
    "RunManifest",
    "SeriesCheck",
    "SeriesRead",
    "SeriesRecord",
    "StoreVersion",
    "VersionCheck",
    "build_manifest",
    "check_series",
    "code_version",
    "compare_metrics",
    "merge_reads",
    "package_versions",
    "prompt_sha256",
    "python_hash_seed",
    "read_manifest",
    "replay",
    "series_record",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
REPLAY_FILE = "replay.json"
#: Distributions whose versions can move a run's numbers (``python`` is the interpreter).
PACKAGES: tuple[str, ...] = (
    "numpy", "pandas", "torch", "stable-baselines3", "gymnasium", "finrl", "pyqlib", "lightgbm",
    "backtrader", "langgraph",
)
#: Metrics that differ on every run by nature, per run kind: left out of the comparison, and
#: listed in the result as ``ignored`` with this reason.
VOLATILE: dict[str, dict[str, str]] = {
    "qlib_model": {"seconds": "wall-clock time of each step"},
}
#: What can move a kind's numbers between processes with the same code, data and seeds (in every result).
KNOWN_VARIATION: dict[str, str] = {
    "qlib_model": "Qlib's backtest adds up positions in an order that follows Python's string hashing, so its "
                  "numbers are bit for bit across processes only under the same PYTHONHASHSEED; otherwise they "
                  "may differ in the last digits (about 1e-15 relative, which --rtol 1e-12 accepts)",
}
#: Config keys a replay changes on purpose, per run kind (reported with this reason).
EXPECTED_CONFIG_CHANGES: dict[str, dict[str, str]] = {
    "rl": {"split_note": "expected: the replay states the windows the original may have chosen by default"},
}
_ROOT = Path(__file__).resolve().parents[1]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- what a run says it read -----------------------------------------------------------------
class SeriesRead(_Frozen):
    """One series an engine read: a symbol's columns over a span of its store."""

    symbol: str
    market: str
    columns: tuple[str, ...] = Field(min_length=1, description="Store fields read (open, close, ...).")
    start: date | None = Field(default=None, description="First day read; None: from the series' first bar.")
    end: date | None = Field(default=None, description="Last day read; None: to the series' last bar.")
    freq: str = "day"


class LLMIdentity(_Frozen):
    """The model behind a run that an LLM took part in (the graph fills it; engines leave it None)."""

    backend: str = Field(description="offline planner, openai-compatible, ...")
    model: str = Field(description="Model name as the backend reports it.")
    endpoint: str | None = Field(default=None, description="Base URL of the endpoint (never a key).")
    prompt_hashes: dict[str, str] = Field(default_factory=dict, description="Prompt name -> sha256 of its text.")


class RunInputs(_Frozen):
    """What a run is made of besides its config: passed by engines to ``RunFolder.create``."""

    data_dir: Path | None = Field(default=None, description="Data folder the reads came from.")
    reads: tuple[SeriesRead, ...] = ()
    seeds: dict[str, int] = Field(default_factory=dict)
    llm: LLMIdentity | None = None

    @model_validator(mode="after")
    def _reads_need_a_store(self) -> RunInputs:
        if self.reads and self.data_dir is None:
            raise ValueError("reads need the data_dir they were read from")
        return self

    def merged(self, other: RunInputs) -> RunInputs:
        """Both inputs in one (one data folder; reads of one series joined into one span)."""
        if self.data_dir and other.data_dir and self.data_dir != other.data_dir:
            raise InternalError(f"one run read two data folders: {self.data_dir} and {other.data_dir}")
        return RunInputs(
            data_dir=self.data_dir or other.data_dir, reads=merge_reads([*self.reads, *other.reads]),
            seeds={**self.seeds, **other.seeds}, llm=self.llm or other.llm,
        )


def merge_reads(reads: Iterable[SeriesRead]) -> tuple[SeriesRead, ...]:
    """One read per (market, symbol, columns, freq), spanning every read of it (first seen first)."""
    merged: dict[tuple[str, str, tuple[str, ...], str], SeriesRead] = {}
    for read in reads:
        key = (read.market, read.symbol, read.columns, read.freq)
        old = merged.get(key)
        merged[key] = read if old is None else old.model_copy(update={
            "start": None if old.start is None or read.start is None else min(old.start, read.start),
            "end": None if old.end is None or read.end is None else max(old.end, read.end),
        })
    return tuple(merged.values())


def prompt_sha256(text: str) -> str:
    """The hash a manifest keeps of a prompt (its UTF-8 text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the manifest ----------------------------------------------------------------------------
class CodeVersion(_Frozen):
    """The code that ran."""

    taorui: str | None = Field(description="Installed taorui package version.")
    git_commit: str | None = Field(description="HEAD of the working tree; None outside a git checkout.")
    git_dirty: bool | None = Field(description="True when tracked files differ from the commit.")


class StoreVersion(_Frozen):
    """A market's live store version (``meta.json``'s ``version``)."""

    market: str
    version: int
    sample_version: int | None = None


class SeriesRecord(SeriesRead):
    """A series read, with what it held: first/last date, rows and the sha256 of its values."""

    first_date: str
    last_date: str
    rows: int
    sha256: str


class RunManifest(_Frozen):
    """Contents of ``manifest.json``."""

    schema_version: Literal[1] = 1
    run_id: str
    kind: str
    created: str
    code: CodeVersion
    platform: str
    python_hash_seed: str | None = Field(default=None, description="PYTHONHASHSEED of the process (None: random).")
    packages: dict[str, str | None] = Field(description="Distribution -> version (None: not installed).")
    data_dir: str | None
    stores: tuple[StoreVersion, ...]
    series: tuple[SeriesRecord, ...]
    config: dict[str, Any]
    seeds: dict[str, int]
    llm: LLMIdentity | None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(_ROOT), *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


@functools.cache
def code_version() -> CodeVersion:
    """The taorui version and git state of this checkout, read once per process (the code in memory)."""
    top = _git("rev-parse", "--show-toplevel")
    commit = status = None
    if top is not None and Path(top).resolve() == _ROOT:
        commit = _git("rev-parse", "HEAD")
        status = _git("status", "--porcelain", "--untracked-files=no")
    return CodeVersion(
        taorui=_dist_version("taorui"), git_commit=commit or None,
        git_dirty=None if commit is None or status is None else bool(status),
    )


def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def python_hash_seed() -> str | None:
    """PYTHONHASHSEED of this process: recorded, not configured (it orders sets of strings; see KNOWN_VARIATION)."""
    return os.environ.get("PYTHONHASHSEED")


@functools.cache
def package_versions() -> dict[str, str | None]:
    """``python`` and each of :data:`PACKAGES` with its installed version."""
    return {"python": platform.python_version(), **{name: _dist_version(name) for name in PACKAGES}}


def build_manifest(
    run_id: str, kind: str, config: Mapping[str, Any], inputs: RunInputs | None = None
) -> RunManifest:
    """The manifest of a run about to start, hashing every series it read in the store now."""
    inputs = inputs or RunInputs()
    data_dir = inputs.data_dir
    series = tuple(_required_record(data_dir, read) for read in inputs.reads) if data_dir else ()
    markets = sorted({read.market for read in inputs.reads})
    stores = tuple(s for s in (_store_version(data_dir, m) for m in markets) if s) if data_dir else ()
    return RunManifest(
        run_id=run_id, kind=kind, created=datetime.now(UTC).isoformat(timespec="seconds"),
        code=code_version(), platform=platform.platform(), python_hash_seed=python_hash_seed(),
        packages=dict(package_versions()),
        data_dir=str(data_dir) if data_dir else None, stores=stores, series=series,
        config=dict(config), seeds=dict(inputs.seeds), llm=inputs.llm,
    )


def read_manifest(run: RunFolder) -> RunManifest:
    """A run's manifest; a run made before manifests existed is a :class:`NotFoundError`."""
    if not run.file(MANIFEST_FILE).exists():
        raise NotFoundError(f"run {run.run_id} has no {MANIFEST_FILE} (made before manifests existed); "
                            "it cannot be replayed")
    try:
        return RunManifest.model_validate_json(run.file(MANIFEST_FILE).read_text())
    except ValidationError as exc:
        raise InvalidArgumentError(f"run {run.run_id} has an unreadable {MANIFEST_FILE}: {exc}") from exc


# --- series in the store ---------------------------------------------------------------------
def _market_version(data_dir: Path, market: str) -> Path | None:
    from taorui_engines.data._listing import check_name
    from taorui_engines.data._store import MarketStore

    return MarketStore(data_dir / "markets" / check_name(market, "market")).current_version()


def _store_version(data_dir: Path, market: str) -> StoreVersion | None:
    from taorui_engines.data import MarketMeta

    version = _market_version(data_dir, market)
    if version is None:
        return None
    meta = MarketMeta.model_validate_json((version / "meta.json").read_text())
    return StoreVersion(market=market, version=meta.version, sample_version=meta.sample_version)


def _series_frame(data_dir: Path, read: SeriesRead) -> pd.DataFrame | None:
    """The read's columns over its span, straight from the store's files (no Qlib cache)."""
    import pandas as pd

    from taorui_engines.data import MarketMeta
    from taorui_engines.data._store import MarketStore

    version = _market_version(data_dir, read.market)
    if version is None:
        return None
    info = MarketMeta.model_validate_json((version / "meta.json").read_text()).instruments.get(read.symbol)
    if info is None or info.freq != read.freq or not set(read.columns) <= set(info.fields):
        return None
    frame = MarketStore(data_dir / "markets" / read.market).read_series(version, info)[list(read.columns)]
    if read.start is not None:
        frame = frame[frame.index >= pd.Timestamp(read.start)]
    if read.end is not None:
        frame = frame[frame.index < pd.Timestamp(read.end) + pd.Timedelta(days=1)]
    return frame


def _digest(frame: pd.DataFrame, read: SeriesRead) -> str:
    """sha256 of the dates (int64 ns) and each column's values (float64 LE, one NaN), in order."""
    import numpy as np

    digest = hashlib.sha256(json.dumps({"freq": read.freq, "columns": list(read.columns)}).encode())
    digest.update(frame.index.to_numpy(dtype="datetime64[ns]").astype("<i8").tobytes())
    for column in read.columns:
        values = frame[column].to_numpy(dtype="float64")
        digest.update(np.where(np.isnan(values), np.nan, values).astype("<f8").tobytes())
    return digest.hexdigest()


def series_record(data_dir: Path, read: SeriesRead) -> SeriesRecord | None:
    """What ``read`` holds in the store now, or None when the store no longer has it."""
    frame = _series_frame(data_dir, read)
    if frame is None:
        return None
    stamps = frame.index
    return SeriesRecord(
        **read.model_dump(include=set(SeriesRead.model_fields)), rows=len(frame), sha256=_digest(frame, read),
        first_date=stamps[0].isoformat()[:10] if len(stamps) else "",
        last_date=stamps[-1].isoformat()[:10] if len(stamps) else "",
    )


def _required_record(data_dir: Path, read: SeriesRead) -> SeriesRecord:
    record = series_record(data_dir, read)
    if record is None:  # the engine just read it: the store cannot lack it unless we have a bug
        raise InternalError(f"the run read {read.symbol} ({', '.join(read.columns)}) but the store in {data_dir} "
                            "does not hold it")
    return record


# --- comparing -------------------------------------------------------------------------------
Scalar = str | int | float | bool | None
MetricStatus = Literal["identical", "within_tolerance", "different", "missing_in_replay", "new_in_replay", "ignored"]


class MetricComparison(_Frozen):
    """One value of ``metrics.json`` (nested keys joined with dots), then and now."""

    key: str
    original: Scalar
    replayed: Scalar
    status: MetricStatus
    abs_diff: float | None = Field(default=None, description="|replayed - original| for numbers that differ.")
    rel_diff: float | None = Field(default=None, description="abs_diff / max(|original|, |replayed|).")
    note: str = ""


class SeriesCheck(_Frozen):
    """A series the run read, as the manifest recorded it and as the store holds it now."""

    symbol: str
    market: str
    then: SeriesRecord
    now: SeriesRecord | None
    changed: bool
    differences: tuple[str, ...] = ()


class VersionCheck(_Frozen):
    """A version then (in the manifest) and now."""

    name: str
    then: str | None
    now: str | None
    same: bool


def _flatten(value: Any, prefix: str = "") -> dict[str, Scalar]:
    if isinstance(value, dict):
        out: dict[str, Scalar] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list | tuple):
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare_one(key: str, a: Scalar, b: Scalar, rtol: float) -> MetricComparison:
    # repr tells apart what == would not (0 and 0.0, -0.0 and 0.0): bit for bit, not "equal"
    if type(a) is type(b) and repr(a) == repr(b):
        return MetricComparison(key=key, original=a, replayed=b, status="identical")
    if not (_is_number(a) and _is_number(b)):
        return MetricComparison(key=key, original=a, replayed=b, status="different")
    assert isinstance(a, int | float) and isinstance(b, int | float)
    diff = abs(float(b) - float(a))
    scale = max(abs(float(a)), abs(float(b)))
    rel = diff / scale if scale > 0 else 0.0
    status: MetricStatus = "within_tolerance" if math.isfinite(rel) and rel <= rtol else "different"
    return MetricComparison(key=key, original=a, replayed=b, status=status, abs_diff=diff, rel_diff=rel)


def compare_metrics(
    original: Mapping[str, Any], replayed: Mapping[str, Any], rtol: float = 0.0,
    ignore: Mapping[str, str] | None = None,
) -> tuple[MetricComparison, ...]:
    """Every value of two ``metrics.json``; keys under ``ignore`` (prefix -> reason) are not judged."""
    then, now = _flatten(dict(original)), _flatten(dict(replayed))
    out = []
    for key in [*then, *(k for k in now if k not in then)]:
        reason = next((why for prefix, why in (ignore or {}).items()
                       if key == prefix or key.startswith((f"{prefix}.", f"{prefix}["))), None)
        a, b = then.get(key), now.get(key)
        if reason is not None:
            out.append(MetricComparison(key=key, original=a, replayed=b, status="ignored", note=reason))
        elif key not in now:
            out.append(MetricComparison(key=key, original=a, replayed=None, status="missing_in_replay"))
        elif key not in then:
            out.append(MetricComparison(key=key, original=None, replayed=b, status="new_in_replay"))
        else:
            out.append(_compare_one(key, a, b, rtol))
    return tuple(out)


def _record_differences(then: SeriesRecord, now: SeriesRecord | None) -> tuple[str, ...]:
    if now is None:
        return ("the store no longer holds it (symbol, field or market gone)",)
    out = [f"{label} {a} -> {b}" for label, a, b in (
        ("rows", then.rows, now.rows), ("first date", then.first_date, now.first_date),
        ("last date", then.last_date, now.last_date)) if a != b]
    if then.sha256 != now.sha256:
        out.append("values differ (sha256 " + then.sha256[:12] + " -> " + now.sha256[:12] + ")")
    return tuple(out)


def check_series(manifest: RunManifest, data_dir: Path) -> tuple[SeriesCheck, ...]:
    """Each series of the manifest against what the store in ``data_dir`` holds now."""
    out = []
    for then in manifest.series:
        now = series_record(data_dir, then)
        differences = _record_differences(then, now)
        out.append(SeriesCheck(symbol=then.symbol, market=then.market, then=then, now=now,
                               changed=bool(differences), differences=differences))
    return tuple(out)


# --- replaying -------------------------------------------------------------------------------
class DataChangedError(InvalidInputError):
    """The data a run read is not what it was (or cannot be checked): a replay would not be one.

    ``changes`` lists the series that differ. Replaying anyway (``allow_data_change``) reports them.
    """

    type_name = "DataChanged"

    def __init__(self, message: str, changes: Sequence[SeriesCheck] = ()) -> None:
        super().__init__(message)
        self.changes = tuple(changes)


Rerun = Callable[["DataCenter", Path, dict[str, Any], "ProgressReporter | None"], str]


def _config_error(kind: str, exc: ValidationError) -> InvalidArgumentError:
    return InvalidArgumentError(f"the stored config of this {kind} run no longer fits today's request model: {exc}")


def _rerun_rl(data: DataCenter, runs_dir: Path, config: dict[str, Any], progress: ProgressReporter | None) -> str:
    from taorui_engines.rl import RLRunSpec, RLTrainRequest, train_agent

    try:
        spec = RLRunSpec.model_validate(config)
        request = RLTrainRequest(assets=spec.assets, algo=spec.algo, timesteps=spec.timesteps, seed=spec.seed,
                                 train=spec.train, test=spec.test, valid=spec.valid, env=spec.env,
                                 n_envs=spec.n_envs)
    except ValidationError as exc:
        raise _config_error("rl", exc) from exc
    return train_agent(data, runs_dir, request, progress).run_id


def _rerun_qlib_model(
    data: DataCenter, runs_dir: Path, config: dict[str, Any], progress: ProgressReporter | None
) -> str:
    from taorui_engines.qlib_engine import TrainConfig, train_model

    try:
        request = TrainConfig.model_validate(config)
    except ValidationError as exc:
        raise _config_error("qlib_model", exc) from exc
    return train_model(data, request, runs_dir, progress).run_id


def _rerun_backtest(
    data: DataCenter, runs_dir: Path, config: dict[str, Any], progress: ProgressReporter | None
) -> str:
    from taorui_engines.backtest import BacktestSpec, run_backtest

    if config.get("strategy") == "signal" or config.get("signal_source"):
        raise InvalidArgumentError("a signal backtest reads its signals from outside the store "
                                   f"({config.get('signal_source') or 'a frame'}), which no manifest pins; "
                                   "it cannot be replayed")
    try:
        spec = BacktestSpec.model_validate({k: v for k, v in config.items() if k in BacktestSpec.model_fields})
    except ValidationError as exc:
        raise _config_error("backtest", exc) from exc
    run_id = run_backtest(spec, data, runs_dir, progress=progress).run_id
    if run_id is None:
        raise InternalError("a backtest given a runs folder left no run")
    return run_id


#: Run kind -> how to run its request again (the engine function its command calls).
_RERUNS: dict[str, Rerun] = {"rl": _rerun_rl, "qlib_model": _rerun_qlib_model, "backtest": _rerun_backtest}
REPLAYABLE_KINDS: tuple[str, ...] = tuple(_RERUNS)


class ReplayResult(_Frozen):
    """A run and its replay, side by side."""

    run_id: str = Field(description="The run replayed.")
    replay_run_id: str = Field(description="The new run folder of the replay.")
    replay_dir: str
    kind: str
    verdict: Literal["identical", "within_tolerance", "different"] = Field(
        description="identical: every judged metric bit for bit; within_tolerance: none beyond rtol.")
    rtol: float = Field(description="Relative tolerance used; 0.0 means bit for bit.")
    n_identical: int
    n_within_tolerance: int
    n_different: int = Field(description="Different, missing from the replay, or new in it.")
    metrics: tuple[MetricComparison, ...]
    config_differences: tuple[str, ...] = Field(
        description="'key: then -> now' for each value that differs between the two config.json.")
    data_changed: bool = Field(description="True when some series read is not what it was (replayed anyway).")
    series: tuple[SeriesCheck, ...]
    stores: tuple[VersionCheck, ...] = Field(description="Store version per market, then and now.")
    packages: tuple[VersionCheck, ...]
    code: tuple[VersionCheck, ...] = Field(description="taorui version, git commit and dirty flag, then and now.")
    environment: tuple[VersionCheck, ...] = Field(description="Platform and PYTHONHASHSEED, then and now.")
    notes: tuple[str, ...] = Field(default=(), description="What is known to move this kind's numbers.")

    @property
    def identical(self) -> bool:
        """Every judged metric bit for bit the same."""
        return self.verdict == "identical"


def _versions(then: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[VersionCheck, ...]:
    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return tuple(VersionCheck(name=name, then=text(then.get(name)), now=text(now.get(name)),
                              same=text(then.get(name)) == text(now.get(name))) for name in {**then, **now})


def _refuse_changed_data(run_id: str, manifest: RunManifest, checks: Sequence[SeriesCheck]) -> None:
    if not manifest.series:
        raise DataChangedError(f"run {run_id}'s manifest lists no series read, so its data cannot be checked; "
                               "replay with allow_data_change (CLI: --allow-data-change) to run it anyway")
    changed = [c for c in checks if c.changed]
    if changed:
        shown = "; ".join(f"{c.symbol} ({', '.join(c.differences)})" for c in changed[:5])
        more = f"; and {len(changed) - 5} more" if len(changed) > 5 else ""
        raise DataChangedError(
            f"the data run {run_id} read has changed: {shown}{more}. Replay with allow_data_change "
            "(CLI: --allow-data-change) to run it anyway and see how the results differ", changed)


def _config_lines(configs: Sequence[MetricComparison]) -> tuple[str, ...]:
    return tuple(f"{c.key}: {c.original!r} -> {c.replayed!r}" + (f" ({c.note})" if c.note else "")
                 for c in configs if c.status != "identical" and c.original != c.replayed)


def _verdict(metrics: Sequence[MetricComparison]) -> Literal["identical", "within_tolerance", "different"]:
    judged = [m.status for m in metrics if m.status != "ignored"]
    if all(s == "identical" for s in judged):
        return "identical"
    return "within_tolerance" if all(s in ("identical", "within_tolerance") for s in judged) else "different"


def replay(
    run_id: str,
    runs_dir: Path,
    data: DataCenter,
    *,
    allow_data_change: bool = False,
    rtol: float = 0.0,
    progress: ProgressReporter | None = None,
) -> ReplayResult:
    """Rerun ``run_id`` from its manifest into a new run folder and compare the metrics.

    Refuses, changing nothing: an unknown run or one without a manifest (:class:`NotFoundError`),
    a kind that cannot be replayed or an unfinished run (:class:`InvalidArgumentError`), data
    that changed (:class:`DataChangedError`, unless ``allow_data_change``). The result is also
    written as ``replay.json`` in the replay's folder.
    """
    if not (math.isfinite(rtol) and 0.0 <= rtol < 1.0):
        raise InvalidArgumentError(f"rtol must be in [0, 1), got {rtol}")
    original = open_run(runs_dir, run_id)
    status = original.status()
    rerun = _RERUNS.get(status.kind)
    if rerun is None:
        raise InvalidArgumentError(f"run {run_id} is a {status.kind!r} run; replayable kinds: "
                                   f"{', '.join(REPLAYABLE_KINDS)}")
    if status.state != "done":
        raise InvalidArgumentError(f"run {run_id} is {status.state}, not done: there are no results to compare")
    manifest = read_manifest(original)
    metrics_then = original.read_json("metrics.json")
    checks = check_series(manifest, data.data_dir)
    if not allow_data_change:
        _refuse_changed_data(run_id, manifest, checks)
    logger.info("replaying %s run %s", status.kind, run_id)
    replayed = open_run(runs_dir, rerun(data, runs_dir, dict(manifest.config), progress))
    result = _result(original, replayed, manifest, checks, metrics_then, rtol, data.data_dir)
    replayed.write_json(REPLAY_FILE, result.model_dump(mode="json"))
    logger.info("replay %s of %s: %s", replayed.run_id, run_id, result.verdict)
    return result


def _result(
    original: RunFolder, replayed: RunFolder, manifest: RunManifest, checks: Sequence[SeriesCheck],
    metrics_then: dict[str, Any], rtol: float, data_dir: Path,
) -> ReplayResult:
    comparisons = compare_metrics(metrics_then, replayed.read_json("metrics.json"), rtol,
                                  VOLATILE.get(manifest.kind))
    configs = compare_metrics(manifest.config, replayed.read_json("config.json"), 0.0,
                              EXPECTED_CONFIG_CHANGES.get(manifest.kind))
    counts = {s: sum(1 for m in comparisons if m.status == s) for s in ("identical", "within_tolerance")}
    stores_now = {s.market: s.version for s in (_store_version(data_dir, st.market) for st in manifest.stores) if s}
    now = code_version()
    return ReplayResult(
        run_id=original.run_id, replay_run_id=replayed.run_id, replay_dir=str(replayed.path), kind=manifest.kind,
        verdict=_verdict(comparisons), rtol=rtol, n_identical=counts["identical"],
        n_within_tolerance=counts["within_tolerance"],
        n_different=sum(1 for m in comparisons if m.status not in ("identical", "within_tolerance", "ignored")),
        metrics=comparisons, config_differences=_config_lines(configs),
        data_changed=any(c.changed for c in checks), series=tuple(checks),
        stores=_versions({s.market: s.version for s in manifest.stores}, stores_now),
        packages=_versions(manifest.packages, package_versions()),
        code=_versions(manifest.code.model_dump(), now.model_dump()),
        environment=_versions({"platform": manifest.platform, "PYTHONHASHSEED": manifest.python_hash_seed},
                              {"platform": platform.platform(), "PYTHONHASHSEED": python_hash_seed()}),
        notes=(KNOWN_VARIATION[manifest.kind],) if manifest.kind in KNOWN_VARIATION else (),
    )
