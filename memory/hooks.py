"""From run folders to memory: the engines write folders, these functions remember them.

Engines know nothing of memory (dependencies point one way); they leave a run folder
(``config.json``, ``metrics.json``, ``status.json``, see ``taorui_engines.runs``). The app
calls :func:`sync_runs` after each command that created folders, and the agent graph calls
:func:`record_run` after its tool calls to add what only it knows (the instruction, the
agent, the tools called). Both are idempotent: the record id is ``run:<run_id>``.

A failed run is recorded as failed, with the error from ``status.json``. A string
``summary`` (or ``notes``) in ``metrics.json`` joins the searchable text.

The trade journal is a readable mirror of the guardrails' audit log: :func:`mirror_audit`
turns audit rows (anything with ``seq``, ``time``, ``kind``, ``payload``) into journal
records ``journal:audit-<seq>``; the audit log stays the record of truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memory._records import JournalRecord, RunRecord, flatten_numbers
from memory._store import MemoryStore
from taorui_engines.errors import InvalidDataError
from taorui_engines.runs import RunStatus

__all__ = [
    "AuditRow",
    "RunNotes",
    "SyncReport",
    "journal_record",
    "mirror_audit",
    "record_run",
    "run_record",
    "snapshot_run_ids",
    "sync_runs",
]

logger = logging.getLogger(__name__)


class RunNotes(BaseModel):
    """What the caller knows about a run that its folder does not say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    instruction: str | None = Field(default=None, description="The person's instruction.")
    agent: str | None = Field(default=None, description="Agent that ran it.")
    tools_called: tuple[str, ...] = Field(default=(), description="Tools called, in order.")
    notes: str | None = Field(default=None, description="A summary or suggestion to remember.")


class SyncReport(BaseModel):
    """What :func:`sync_runs` did."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indexed: tuple[str, ...] = Field(default=(), description="Record ids written (new or changed state).")
    up_to_date: int = Field(default=0, description="Folders already remembered in their current state.")
    skipped: tuple[tuple[str, str], ...] = Field(default=(), description="(run id, why) of unreadable folders.")


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object file, ``{}`` when absent (a failed run may have no metrics)."""
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidDataError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidDataError(f"{path} should hold a JSON object, not {type(value).__name__}")
    return value


def _status(folder: Path) -> RunStatus:
    try:
        return RunStatus.model_validate_json((folder / "status.json").read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidDataError(f"{folder} is not a run folder (no status.json)") from exc
    except ValidationError as exc:
        raise InvalidDataError(f"{folder}/status.json is malformed: {exc.errors()[0]['msg']}") from exc


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def run_record(folder: Path, notes: RunNotes | None = None) -> RunRecord:
    """The memory record of one run folder (whatever its state)."""
    try:
        return _build(folder, notes or RunNotes())
    except ValueError as exc:  # bad timestamps, an empty kind (pydantic errors are ValueErrors)
        raise InvalidDataError(f"run folder {folder} cannot be remembered: {exc}") from exc


def _build(folder: Path, extra: RunNotes) -> RunRecord:
    status = _status(folder)
    config = _read_json(folder / "config.json")
    metrics = _read_json(folder / "metrics.json")
    return RunRecord(
        run_id=status.run_id, run_kind=status.kind, state=status.state, error=status.error,
        instruction=extra.instruction or _text(config.get("instruction")),
        agent=extra.agent or _text(config.get("agent")),
        tools_called=extra.tools_called,
        config=json.loads(json.dumps(config, default=str)),
        metrics=flatten_numbers(metrics), run_dir=str(folder.resolve()),
        started=datetime.fromisoformat(status.started),
        finished=datetime.fromisoformat(status.finished) if status.finished else None,
        notes=extra.notes or _text(metrics.get("summary")) or _text(metrics.get("notes")),
    )


def _merged(fresh: RunRecord, old: RunRecord | None) -> RunRecord:
    """Keep what an earlier call knew (instruction, agent, tools, notes) when the folder is silent."""
    if old is None:
        return fresh
    return fresh.model_copy(update={
        "instruction": fresh.instruction or old.instruction,
        "agent": fresh.agent or old.agent,
        "tools_called": fresh.tools_called or old.tools_called,
        "notes": fresh.notes or old.notes,
    })


def _stored_run(store: MemoryStore, run_id: str) -> RunRecord | None:
    found = store.get_many([f"run:{run_id}"]).get(f"run:{run_id}")
    return RunRecord.model_validate(found.record) if found and found.record else None


def record_run(store: MemoryStore, folder: Path, notes: RunNotes | None = None) -> str:
    """Remember one run folder now, with what the caller knows; returns the record id."""
    record = run_record(folder, notes)
    return store.add(_merged(record, _stored_run(store, record.run_id)))


def snapshot_run_ids(runs_dir: Path) -> frozenset[str]:
    """Names of the run folders under ``runs_dir`` (cheap: one directory listing)."""
    if not runs_dir.is_dir():
        return frozenset()
    return frozenset(p.name for p in runs_dir.iterdir() if (p / "status.json").is_file())


def _folders(runs_dir: Path, only: Iterable[str] | None) -> list[Path]:
    names = sorted(snapshot_run_ids(runs_dir) if only is None else set(only))
    return [runs_dir / name for name in names if (runs_dir / name / "status.json").is_file()]


def sync_runs(store: MemoryStore, runs_dir: Path, only: Iterable[str] | None = None) -> SyncReport:
    """Index run folders that memory lacks or holds in an older state (running -> done/failed).

    ``only`` restricts the pass to those run ids (the CLI passes the folders a command
    created). Unreadable folders are skipped and listed in the report, never guessed at.
    """
    folders = _folders(runs_dir, only)
    stored = store.get_many([f"run:{f.name}" for f in folders]) if folders else {}
    fresh: list[RunRecord] = []
    skipped: list[tuple[str, str]] = []
    for folder in folders:
        try:
            record = run_record(folder)
        except InvalidDataError as exc:
            logger.warning("memory: skipping run folder %s: %s", folder, exc.message)
            skipped.append((folder.name, exc.message))
            continue
        old = stored.get(record.record_id())
        if old is not None and old.metadata.get("state") == record.state:
            continue
        fresh.append(_merged(record, RunRecord.model_validate(old.record) if old else None))
    ids = store.add_many(fresh) if fresh else []
    return SyncReport(indexed=tuple(ids), up_to_date=len(folders) - len(fresh) - len(skipped),
                      skipped=tuple(skipped))



# -- the journal: a mirror of the audit log ------------------------------------------------


class AuditRow(Protocol):
    """What :func:`mirror_audit` reads from an audit row (``guardrails.AuditRecord`` fits)."""

    @property
    def seq(self) -> int: ...
    @property
    def time(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...


#: audit kind -> (journal event, outcome); ``check`` rows are dry runs and are not mirrored.
_AUDIT_EVENTS: dict[str, tuple[str, str]] = {
    "proposal": ("order", "proposed"),
    "decision": ("decision", ""),
    "approval_requested": ("approval", "approval requested"),
    "approval_granted": ("approval", "approved"),
    "approval_rejected": ("approval", "denied"),
    "submission": ("order", "submitted to the broker"),
    "submission_failed": ("order", "submission failed"),
    "fill": ("fill", "filled"),
    "cancel": ("order", "cancelled"),
    "state_change": ("decision", "trading state changed"),
}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _reasons(payload: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for reason in payload.get("reasons") or ():
        item = _mapping(reason)
        out.append(f"{item.get('code')}: {item.get('message')}" if item else str(reason))
    return tuple(out)


def _state_text(payload: Mapping[str, Any]) -> str:
    change = _mapping(payload.get("change"))
    if not change:
        return ""
    return (f"Trading state {change.get('previous')} -> {change.get('state')} by {change.get('by')}: "
            f"{change.get('reason')}")


def journal_record(seq: int, time: datetime, kind: str, payload: Mapping[str, Any]) -> JournalRecord | None:
    """The journal entry of one audit row, or ``None`` for rows the journal leaves out."""
    if kind not in _AUDIT_EVENTS:
        return None
    event, outcome = _AUDIT_EVENTS[kind]
    trade = _mapping(payload.get("fill")) or _mapping(payload.get("order"))
    side = str(trade.get("side") or "").lower()
    price = _number(trade.get("price")) or _number(trade.get("limit_price")) or _number(payload.get("reference_price"))
    attribution = _mapping(payload.get("attribution"))
    return JournalRecord(
        event_id=f"audit-{seq}", event=event, time=time,  # type: ignore[arg-type]
        symbol=str(trade["symbol"]) if trade.get("symbol") else None,
        side=side if side in ("buy", "sell") else None,  # type: ignore[arg-type]
        quantity=_number(trade.get("qty")), price=price,
        order_key=str(trade.get("order_key") or trade.get("key") or payload.get("order_key") or "") or None,
        outcome=str(payload.get("decision") or outcome) or None, reasons=_reasons(payload),
        agent=str(attribution.get("approver") or attribution.get("agent") or "") or None,
        text=_state_text(payload) or (f"approval request {payload['approval_id']}" if payload.get("approval_id") else ""),
    )


def mirror_audit(store: MemoryStore, rows: Iterable[AuditRow]) -> tuple[str, ...]:
    """Write journal entries for the audit rows memory lacks; returns the ids written."""
    records = [r for r in (journal_record(row.seq, row.time, str(row.kind), row.payload) for row in rows)
               if r is not None]
    if not records:
        return ()
    have = store.get_many([r.record_id() for r in records])
    fresh = [r for r in records if r.record_id() not in have]
    return tuple(store.add_many(fresh)) if fresh else ()
