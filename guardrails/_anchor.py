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
most the anchor update of its last row (or operation), which leaves the anchor *behind* the log.
A gate operation's anchor move (:meth:`AuditAnchor.advance_soon`) is written by a
background thread within :data:`ANCHOR_DELAY_S` (20 ms), one write for every operation
finished meanwhile: rewriting the file was an eighth of a durable proposal, and at 5 ms a
group-committed batch still paid one rewrite each (a tenth of a proposal in baskets). Reading the anchor in
this process (``AuditLog.verify``) writes what is due first; a killed process may leave the
anchor those 20 ms behind, which is the benign direction. Rows past
the anchor are still checked by their MACs, so a lagging anchor is benign; only a log
*behind* its anchor is reported.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from guardrails._db import HeldLock
from taorui_engines.errors import UnavailableError

__all__ = ["AnchorRecord", "AuditAnchor", "flush_anchors", "load_or_create_key", "row_mac"]

logger = logging.getLogger(__name__)

#: How long the background writer gathers anchor moves before writing them.
ANCHOR_DELAY_S = 0.02

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
        self._lock_file = HeldLock(self.folder / ".anchor.lock")
        self._mutex = threading.Lock()  # threads of this process; the flock excludes other processes
        self._known: tuple[tuple[int, int, int, int], AnchorRecord] | None = None

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

    def _stat(self) -> tuple[int, int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns

    def _current(self) -> AnchorRecord | None:
        """:meth:`read`, remembered while the file is the one this instance last wrote or read
        (same inode, size and times): every replace makes a new inode, so a write by another
        process or a hand edit is read again."""
        stat = self._stat()
        if stat is None:
            self._known = None
            return None
        if self._known is not None and self._known[0] == stat:
            return self._known[1]
        record = self.read()
        self._known = (stat, record) if record is not None else None
        return record

    def authentic(self, record: AnchorRecord) -> bool:
        """True if the anchor's MAC matches its content (it was written with this key)."""
        expected = _anchor_mac(self.key, record.log_id, record.seq, record.hash, record.legacy_rows)
        return hmac.compare_digest(expected, record.mac)

    def advance(self, log_id: str, seq: int, digest: str, legacy_rows: int = 0) -> None:
        """Move the anchor to ``seq`` if that is newer than the stored one (same log only).

        Appends from several processes may finish out of order; the anchor only moves forward.
        An anchor naming another log is left alone: a replaced log must stay detectable.
        """
        with self._mutex:
            known = self._known
            if known is not None and known[1].log_id == log_id and known[1].seq >= seq and self._stat() == known[0]:
                return  # a thread of this process already moved it past seq (a group commit's siblings)
            with self._lock_file.held():
                current = self._current()
                if current is not None and (current.log_id != log_id or current.seq >= seq):
                    return
                legacy = current.legacy_rows if current is not None else legacy_rows
                record = AnchorRecord(log_path=self._log_path, log_id=log_id, seq=seq, hash=digest,
                                      legacy_rows=legacy, mac=_anchor_mac(self.key, log_id, seq, digest, legacy))
                tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(record.model_dump_json())
                os.replace(tmp, self.path)
                stat = self._stat()
                self._known = (stat, record) if stat is not None else None

    def advance_soon(self, log_id: str, seq: int, digest: str) -> None:
        """:meth:`advance`, written by the background writer within :data:`ANCHOR_DELAY_S`
        together with every later move of this anchor (see the module docstring)."""
        _WRITER.submit(self, (log_id, seq, digest))

    def flush(self) -> None:
        """Write this anchor's pending move now (and wait for one being written)."""
        _WRITER.flush(self)

    def close(self) -> None:
        """Write a pending move, then close the lock file's descriptor."""
        try:
            self.flush()
        finally:
            self._lock_file.close()


class _AnchorWriter:
    """One daemon thread per process that writes the anchors' pending moves in batches."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._writing = threading.Lock()  # a batch being written; flush waits for it
        self._due: dict[AuditAnchor, tuple[str, int, str]] = {}
        self._pid = 0

    def submit(self, anchor: AuditAnchor, move: tuple[str, int, str]) -> None:
        with self._cond:
            current = self._due.get(anchor)
            if current is None or move[1] > current[1]:
                self._due[anchor] = move
            if self._pid != os.getpid():  # first use, or a forked child: it has no writer thread
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="audit-anchor", daemon=True).start()
            self._cond.notify()

    def flush(self, anchor: AuditAnchor) -> None:
        with self._writing:
            with self._cond:
                move = self._due.pop(anchor, None)
            if move is not None:
                anchor.advance(*move)

    def flush_all(self) -> None:
        with self._writing:
            with self._cond:
                due, self._due = self._due, {}
            for anchor, move in due.items():
                try:
                    anchor.advance(*move)
                except Exception as exc:  # an anchor left behind is benign; say so and go on
                    logger.warning("could not move the audit anchor %s: %s", anchor.path, exc)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._due:
                    self._cond.wait()
            time.sleep(ANCHOR_DELAY_S)
            self.flush_all()

    def after_fork(self) -> None:
        self._cond = threading.Condition()
        self._writing = threading.Lock()
        self._due = {}
        self._pid = 0


_WRITER = _AnchorWriter()
os.register_at_fork(after_in_child=_WRITER.after_fork)
atexit.register(_WRITER.flush_all)


def flush_anchors() -> None:
    """Write every anchor move this process still owes (before an anchor is read)."""
    _WRITER.flush_all()
