"""Runs waiting to be indexed: written in the answer's path, indexed at the next memory access.

Indexing a run means opening Chroma (its import alone takes about a second) and embedding
the record. An answer does not need that done before it is shown, so the graph's finish node
and the CLI's after-command hook only append the run folder (and what the caller knows about
it, :class:`~memory.hooks.RunNotes`) to ``pending-runs.jsonl`` in the memory folder: one
line, flushed and fsynced under a file lock. The next process or call that opens a memory
collection (a recall, a search, ``taorui memory ...``) indexes the queue first, so nothing
it reads is missing, and empties it. The run folders themselves are the durable record; a
line whose folder is gone is dropped with a warning, and ``taorui memory sync`` can always
rebuild the index from the folders.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from taorui_engines.locks import file_lock

if TYPE_CHECKING:
    from memory.hooks import RunNotes

__all__ = ["PENDING_FILE", "PendingRuns"]

logger = logging.getLogger(__name__)

PENDING_FILE = "pending-runs.jsonl"


class PendingRuns:
    """The queue file of one local memory folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / PENDING_FILE
        self._lock = folder / ".pending.lock"

    def add(self, run_folder: Path, notes: RunNotes | None = None) -> None:
        """Queue one run folder (durably: flushed and fsynced before returning)."""
        line = json.dumps({"folder": str(Path(run_folder).resolve()),
                           "notes": notes.model_dump(mode="json") if notes is not None else None},
                          ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self._lock), open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def waiting(self) -> bool:
        """True when the queue holds anything (a stat, no read)."""
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    def drain(self, index: Callable[[Path, RunNotes | None], object]) -> int:
        """Index every queued run with ``index`` and empty the queue; returns how many were indexed.

        A run whose indexing fails stays queued (the error is logged) and the rest go on.
        """
        from memory.hooks import RunNotes

        with file_lock(self._lock):
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except OSError:
                return 0
            kept: list[str] = []
            done = 0
            for line in lines:
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    folder = Path(item["folder"])
                    notes = RunNotes.model_validate(item["notes"]) if item.get("notes") else None
                except (ValueError, KeyError, TypeError) as exc:
                    logger.warning("memory: dropped an unreadable pending line (%s)", exc)
                    continue
                if not (folder / "status.json").is_file():
                    logger.warning("memory: pending run %s is gone; not indexed", folder)
                    continue
                try:
                    index(folder, notes)
                    done += 1
                except Exception as exc:  # keep it for the next access; memory never fails an answer
                    logger.warning("memory: pending run %s not indexed yet (%s)", folder.name, exc)
                    kept.append(line)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
            os.replace(tmp, self.path)
        if done:
            logger.info("memory: indexed %d pending run(s)", done)
        return done
