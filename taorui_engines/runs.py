"""Run folders: every training, backtest or instruction leaves one behind.

``<runs_dir>/<run_id>/`` holds ``config.json`` (what was asked), ``metrics.json`` (what it
gave), pictures (PNG), tables (CSV), the model where there is one, and ``run.log``. The
folder is the unit that memory points at, so its layout is a contract: add files, do not
rename these. ``status.json`` says running / done / failed (with the error) so a crashed
run is recognisable as such. ``manifest.json`` says what the run was made of (code and package
versions, the store version and a hash of each series read, config, seeds; see
:mod:`taorui_engines.manifest`), so ``taorui replay`` can run it again and compare.
"""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from taorui_engines.errors import InvalidArgumentError, NotFoundError

if TYPE_CHECKING:
    from taorui_engines.manifest import RunInputs

__all__ = ["RunFolder", "RunStatus", "list_runs", "new_run_id", "open_run", "write_json_atomic"]

logger = logging.getLogger(__name__)


class RunStatus(BaseModel):
    """Contents of ``status.json``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    kind: str
    state: Literal["running", "done", "failed"]
    started: str
    finished: str | None = None
    error: str | None = None


def new_run_id(kind: str, now: datetime | None = None) -> str:
    """``<kind>-<UTC timestamp>-<random>``: sortable by time, unique without a lock."""
    if not kind.replace("_", "").isalnum():
        raise InvalidArgumentError(f"run kind must be alphanumeric/underscore, got {kind!r}")
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(3)}"


def _clean(value: Any) -> Any:
    """JSON cannot hold NaN/inf: write them as null rather than invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON through a temp file and ``os.replace`` so readers never see half a file."""
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(_clean(payload), indent=2, default=str, ensure_ascii=False))
    os.replace(tmp, path)


class RunFolder:
    """One run's folder. Create with :meth:`create`, reopen with :func:`open_run`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.run_id = path.name

    @classmethod
    def create(
        cls, runs_dir: Path, kind: str, config: BaseModel | dict[str, Any], inputs: RunInputs | None = None
    ) -> RunFolder:
        """Make the folder, write ``config.json``, ``manifest.json`` and a ``running`` status.

        ``inputs`` says what the run reads (series of the store), its seeds and, for runs an
        LLM takes part in, the model; the manifest is built before the folder exists, so a
        failure there leaves nothing behind.
        """
        from taorui_engines.manifest import MANIFEST_FILE, build_manifest

        run_id = new_run_id(kind)
        cfg = config.model_dump(mode="json") if isinstance(config, BaseModel) else config
        manifest = build_manifest(run_id, kind, json.loads(json.dumps(_clean(cfg), default=str)), inputs)
        path = runs_dir / run_id
        path.mkdir(parents=True, exist_ok=False)
        run = cls(path)
        write_json_atomic(path / "config.json", cfg)
        write_json_atomic(path / MANIFEST_FILE, manifest.model_dump(mode="json"))
        run._write_status(kind, "running")
        return run

    def file(self, name: str) -> Path:
        """Path of a file inside the run folder (no sub-paths that escape it)."""
        if "/" in name or "\\" in name or name.startswith("."):
            raise InvalidArgumentError(f"run file name must be a plain name, got {name!r}")
        return self.path / name

    def write_metrics(self, metrics: dict[str, Any]) -> Path:
        """Write ``metrics.json``."""
        target = self.file("metrics.json")
        write_json_atomic(target, metrics)
        return target

    def write_json(self, name: str, payload: Any) -> Path:
        """Write any JSON artefact atomically."""
        target = self.file(name)
        write_json_atomic(target, payload)
        return target

    def read_json(self, name: str) -> Any:
        """Read a JSON artefact written earlier."""
        target = self.file(name)
        if not target.exists():
            raise NotFoundError(f"run {self.run_id} has no {name}")
        return json.loads(target.read_text())

    def status(self) -> RunStatus:
        """Current ``status.json``."""
        return RunStatus.model_validate_json(self.file("status.json").read_text())

    def finish(self) -> None:
        """Mark the run done."""
        old = self.status()
        self._write_status(old.kind, "done", started=old.started)

    def fail(self, error: BaseException | str) -> None:
        """Mark the run failed and keep the reason."""
        old = self.status()
        self._write_status(old.kind, "failed", started=old.started, error=str(error))

    def _write_status(
        self, kind: str, state: str, started: str | None = None, error: str | None = None
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        status = RunStatus(
            run_id=self.run_id,
            kind=kind,
            state=state,  # type: ignore[arg-type]
            started=started or now,
            finished=None if state == "running" else now,
            error=error,
        )
        write_json_atomic(self.file("status.json"), status.model_dump())


def open_run(runs_dir: Path, run_id: str) -> RunFolder:
    """Reopen an existing run folder; a bad or unknown id is a :class:`NotFoundError`."""
    if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
        raise NotFoundError(f"not a run id: {run_id!r}")
    path = runs_dir / run_id
    if not (path / "status.json").exists():
        raise NotFoundError(f"no run {run_id!r} under {runs_dir}")
    return RunFolder(path)


def list_runs(runs_dir: Path, kind: str | None = None) -> list[RunStatus]:
    """Statuses of the runs under ``runs_dir``, newest first."""
    if not runs_dir.exists():
        return []
    out = []
    for status_file in runs_dir.glob("*/status.json"):
        try:
            status = RunStatus.model_validate_json(status_file.read_text())
        except ValueError:
            logger.warning("skipping unreadable run status %s", status_file)
            continue
        if kind is None or status.kind == kind:
            out.append(status)
    return sorted(out, key=lambda s: s.run_id.split("-", 1)[-1], reverse=True)
