"""One inter-process lock helper for every package: an exclusive ``flock`` held for a block.

Used wherever two processes (the graph and a person's ``taorui approve``, two ``resume``
calls on one thread, two ingests) must not interleave. Advisory and released by the kernel
when a process dies, so a killed holder never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_lock", "state_lock"]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` held for the block (across processes).

    Not re-entrant: a second ``file_lock`` on the same path in the same process waits for
    the first (each opens its own file description).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def state_lock(path: Path) -> Iterator[None]:
    """:func:`file_lock` on ``path``, or, when durable state lives in Postgres
    (``TAORUI_DATABASE_URL``), an advisory lock named after it: processes on several machines
    sharing the database exclude each other as processes on one machine do. The server
    releases it when the holder's connection dies, as the kernel does a ``flock``."""
    from taorui_engines import sqlstore

    url = sqlstore.database_url()
    if url is None:
        with file_lock(path):
            yield
        return
    lock = sqlstore.PgLock(url, sqlstore.namespace(path))
    try:
        with lock.held():
            yield
    finally:
        lock.close()
