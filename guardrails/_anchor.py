"""What pins the audit log from outside its own database: a keyed MAC and a head anchor.

A hash chain alone proves order and integrity *within* the rows that are present. Someone
with write access to the database can still drop its triggers, delete the newest rows and
move the head back, or replace the file with an empty one: every remaining row still
chains. Two things kept apart from the database close that gap:

- **the key** (``audit.key``, 32 random bytes, mode 0600): every row carries
  ``mac = HMAC-SHA256(key, row hash)``, so rows cannot be forged or re-chained without it;
- **the anchor** (``<log-digest>.json``): the log's id, its last sequence number and hash,
  and a MAC over them, rewritten atomically after every append (inside a gate operation:
  once at its end, for all its rows - ``AuditLog.sync``). A log whose newest row is
  older than its anchor was truncated; a log with another id at the same path was replaced.

Both live in the anchor folder (``$TAORUI_HOME/audit_anchor`` by default, configurable so
it can sit on another volume or belong to another account). An attacker who can write the
state folder but not the anchor folder can delete or damage the log (detected), but cannot
hide that rows existed, forge rows, or change a row without ``verify`` saying so.

The anchor is written after the row's commit without an fsync: a killed process loses at
most the anchor update of its last row (or operation), which leaves the anchor *behind* the log. Rows past
the anchor are still checked by their MACs, so a lagging anchor is benign; only a log
*behind* its anchor is reported.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from guardrails._db import file_lock
from taorui_engines.errors import UnavailableError

__all__ = ["AnchorRecord", "AuditAnchor", "load_or_create_key", "row_mac"]

_KEY_FILE = "audit.key"
_KEY_BYTES = 32


def load_or_create_key(folder: Path) -> bytes:
    """The audit MAC key in ``folder``, created (0600) on first use."""
    path = folder / _KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create_key(path)
        key = path.read_bytes()
    except OSError as exc:
        raise UnavailableError(f"cannot read or create the audit key {path}: {exc.strerror or exc}") from exc
    if len(key) < _KEY_BYTES:
        raise UnavailableError(f"the audit key {path} is damaged ({len(key)} bytes; expected {_KEY_BYTES})")
    return key


def _create_key(path: Path) -> None:
    """Write a new key exclusively: two processes racing keep the first one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(_KEY_BYTES))
        handle.flush()
        os.fsync(handle.fileno())


def row_mac(key: bytes, digest: str) -> str:
    """HMAC-SHA256 of a row's chain hash."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


class AnchorRecord(BaseModel):
    """The anchor of one audit log."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    log_path: str
    log_id: str
    seq: int
    hash: str
    legacy_rows: int = 0
    mac: str


def _anchor_mac(key: bytes, log_id: str, seq: int, digest: str, legacy_rows: int) -> str:
    return hmac.new(key, f"{log_id}:{seq}:{digest}:{legacy_rows}".encode(), hashlib.sha256).hexdigest()


class AuditAnchor:
    """The anchor file of the audit log at ``log_path``, in ``folder``."""

    def __init__(self, folder: Path, log_path: Path) -> None:
        self.folder = Path(folder)
        self.key = load_or_create_key(self.folder)
        self._log_path = str(Path(log_path).resolve())
        name = hashlib.sha256(self._log_path.encode()).hexdigest()[:16]
        self.path = self.folder / f"audit-{name}.json"

    def read(self) -> AnchorRecord | None:
        """The stored anchor (None when there is none); a damaged file raises."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UnavailableError(f"cannot read the audit anchor {self.path}: {exc.strerror or exc}") from exc
        try:
            return AnchorRecord.model_validate_json(text)
        except ValidationError as exc:
            raise UnavailableError(f"the audit anchor {self.path} is damaged: {exc.error_count()} problem(s)") from exc

    def authentic(self, record: AnchorRecord) -> bool:
        """True if the anchor's MAC matches its content (it was written with this key)."""
        expected = _anchor_mac(self.key, record.log_id, record.seq, record.hash, record.legacy_rows)
        return hmac.compare_digest(expected, record.mac)

    def advance(self, log_id: str, seq: int, digest: str, legacy_rows: int = 0) -> None:
        """Move the anchor to ``seq`` if that is newer than the stored one (same log only).

        Appends from several processes may finish out of order; the anchor only moves forward.
        An anchor naming another log is left alone: a replaced log must stay detectable.
        """
        with file_lock(self.folder / ".anchor.lock"):
            current = self.read()
            if current is not None and (current.log_id != log_id or current.seq >= seq):
                return
            legacy = current.legacy_rows if current is not None else legacy_rows
            record = AnchorRecord(log_path=self._log_path, log_id=log_id, seq=seq, hash=digest, legacy_rows=legacy,
                                  mac=_anchor_mac(self.key, log_id, seq, digest, legacy))
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(record.model_dump_json(), encoding="utf-8")
            os.replace(tmp, self.path)
