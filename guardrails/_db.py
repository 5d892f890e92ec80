"""SQLite plumbing shared by the guardrail stores: durable by default, one write = one commit.

Every store opens its file in WAL mode and commits each write in its own ``BEGIN IMMEDIATE``
transaction, so two processes (the graph and a person's ``taorui approve``) never interleave
inside one write. A commit reaches the WAL through the operating system before ``COMMIT``
returns, so a process killed at any instant loses nothing it committed; what an fsync adds
is surviving a power cut. Outside a :func:`group_commit` scope every write is fsynced on its
own (``synchronous=FULL``). Inside one (a ``Gate.propose``), writes commit without their fsync
and the scope ends with one explicit durable point that fsyncs each file written once, shared
by every thread waiting on the same file at that moment (group commit): an fsync is most of
a commit's cost, and a proposal writes half a dozen rows over two files.

Reads that a check repeats (trading state, marks, the ledger's counted rows) can be kept in
memory by :meth:`Database.cached`, valid until this connection writes or SQLite's
``PRAGMA data_version`` says another connection (of this process or another) committed: a
kill switch thrown by a person's ``taorui risk halt`` is seen by the very next check.
Inside a :func:`read_scope` (one gate operation, under the gate's lock that every writer of
these files takes) the pragma is asked once per file, not once per read.
SQLite errors become our error types.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from taorui_engines import sqlstore
from taorui_engines.errors import InternalError, UnavailableError
from taorui_engines.locks import file_lock
from taorui_engines.sqlstore import SqlConnection

__all__ = ["Database", "HeldLock", "PgDatabase", "SqlConnection", "Store", "Syncable", "defer_sync", "file_lock",
           "group_commit", "open_database", "open_lock", "read_scope"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Results a connection keeps per data version (a check asks for a handful).
_CACHE_ENTRIES = 64


class Syncable(Protocol):
    """Something written inside a :func:`group_commit` scope that owes a durable point."""

    def sync(self) -> None:
        """Make everything committed so far durable (fsync)."""


_scope = threading.local()


@contextmanager
def group_commit() -> Iterator[None]:
    """Defer this thread's fsyncs to one durable point when the outermost scope ends.

    Inside, :meth:`Database.write` commits without an fsync (the row is in the WAL and
    survives a killed process) and registers its file; on leaving, each file written is
    fsynced (:meth:`Database.sync`) before control returns to the caller - also when the
    body raised, so what was committed is never left unsynced. Call it *outside* the gate's
    serialising lock: the fsync then overlaps the next decision, and threads that finish at
    once share one fsync per file.
    """
    if getattr(_scope, "owed", None) is not None:
        yield
        return
    owed: dict[int, Syncable] = {}
    _scope.owed = owed
    try:
        yield
    finally:
        _scope.owed = None
        _sync_all(list(owed.values()))


@contextmanager
def read_scope() -> Iterator[None]:
    """Within this thread's block, :meth:`Database.cached` asks SQLite's ``data_version`` once
    per connection instead of once per read.

    Only for a block that excludes every other process's writer of the files read - the
    gate's operations, which hold its cross-process lock, as every writer of the state file
    does. Commits made meanwhile in this process, on any connection to the file, still
    invalidate (they are counted per file). Nested scopes are one scope.
    """
    if getattr(_scope, "epoch", None) is not None:
        yield
        return
    _scope.epoch = object()
    try:
        yield
    finally:
        _scope.epoch = None


def _sync_all(targets: list[Syncable]) -> None:
    """Sync every target, the files in parallel (an fsync waits on the disk, not the CPU:
    the audit log and the state file together take about as long as one). A target that syncs
    others itself (``covers``: the audit log and its file) stands for them."""
    covered = {id(c) for t in targets for c in getattr(t, "covers", ())}
    targets = [t for t in targets if id(t) not in covered]
    if len(targets) <= 1:
        for target in targets:
            target.sync()
        return
    helpers = [_SYNC_POOL.submit(target.sync) for target in targets[1:]]
    try:
        targets[0].sync()
    finally:
        for helper in helpers:
            helper.result()


_SYNC_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="guardrails-fsync")


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: give it a fresh fsync pool (the old
    one would queue work no thread runs) and fresh group-commit conditions (one may have
    been held, or an fsync in flight, at the fork)."""
    global _SYNC_POOL
    _SYNC_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="guardrails-fsync")
    for sync in _FileSync._by_path.values():
        sync._cond = threading.Condition()
        sync._syncing = False
    _FileSync._registry_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def defer_sync(target: Syncable) -> bool:
    """Register ``target`` for the current scope's durable point; False outside a scope."""
    owed: dict[int, Syncable] | None = getattr(_scope, "owed", None)
    if owed is None:
        return False
    owed.setdefault(id(target), target)
    return True


class _FileSync:
    """Group commit for one database file: fsync its WAL once for every commit counted so far.

    Shared by all connections of this process to the file (the state and the approvals
    stores open the same file). A caller whose commits are already covered by a finished
    fsync returns at once; one that finds an fsync running waits for it and, if its commits
    came after that fsync started, runs (or waits for) the next.
    """

    _by_path: dict[str, _FileSync] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wal = Path(f"{path}-wal")
        self._cond = threading.Condition()
        self._committed = 0
        self._synced = 0
        self._syncing = False

    @classmethod
    def of(cls, path: Path) -> _FileSync:
        key = str(path.resolve())
        with cls._registry_lock:
            sync = cls._by_path.get(key)
            if sync is None:
                sync = cls._by_path[key] = cls(path)
            return sync

    @property
    def commits(self) -> int:
        """Commits counted so far by this process's connections to the file."""
        return self._committed

    def committed(self) -> int:
        """Count one more commit (call after ``COMMIT`` returned); its ticket number."""
        with self._cond:
            self._committed += 1
            return self._committed

    def sync(self, ticket: int) -> None:
        """Return once an fsync that began after commit ``ticket`` has finished."""
        with self._cond:
            while self._synced < ticket:
                if not self._syncing:
                    self._syncing = True
                    covers = self._committed
                    break
                self._cond.wait()
            else:
                return
        done = False
        try:
            self._fsync()
            done = True
        finally:
            with self._cond:
                self._syncing = False
                if done:
                    self._synced = max(self._synced, covers)
                self._cond.notify_all()

    def _fsync(self) -> None:
        """fsync the WAL (or the file itself where SQLite fell back to a rollback journal).

        fsync flushes the file, not a descriptor: one opened here covers what SQLite's own
        descriptor wrote. Frames already checkpointed were synced by the checkpoint.
        """
        target = self._wal if self._wal.exists() else self._path
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class HeldLock:
    """An exclusive ``flock`` on one file, its descriptor opened once and kept.

    The same lock as :func:`file_lock` (advisory, across processes, dropped by the kernel
    when a holder dies) without the mkdir/open/close per acquisition, which was a fifth of
    a dry-run check. Not re-entrant; each instance is its own open file description, so two
    instances (two gates on one folder) exclude each other as two processes do.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block (a forked child opens its own description: one
        inherited from the parent would share the parent's lock instead of excluding it)."""
        if self._fd is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644), os.getpid()
        fd = self._fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the descriptor (the next :meth:`held` opens it again)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


class Database:
    """One SQLite connection with a lock, durable pragmas and error translation.

    :func:`open_database` shares one instance among the stores of a process that open the
    same file (the trading state and the approvals live in one file): one connection, one
    cache, so a ledger write that says how it changes the cached reads
    (:meth:`keep_cache`) does not throw away the approvals' reads, and the other way round.
    """

    def __init__(self, path: Path, schema: str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._writes = 0
        self._ticket = 0
        self._users = 1
        self._cache: dict[Hashable, Any] = {}
        self._cache_version: tuple[int, int] | None = None
        self._cache_epoch: object | None = None
        self._data_version = 0
        self._patch: Callable[[dict[Hashable, Any]], None] | None = None
        self._file_sync = _FileSync.of(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30.0,
                                         check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._sync_mode = "FULL"
            self._conn.execute("PRAGMA busy_timeout=30000")
            with self.write() as conn:
                _run_script(conn, schema)
        except (sqlite3.Error, OSError) as exc:
            raise UnavailableError(f"cannot open guardrail store {self.path}: {exc}") from exc

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic write transaction (rolled back on any error).

        ``durable=False`` commits without an fsync (``synchronous=NORMAL`` for this commit):
        the row survives the process being killed (it is in the WAL, written through the OS),
        but not a power cut before the next durable commit, which syncs it along. For records
        that move no money, such as a dry-run check, where an fsync per row would be most of
        the cost. A durable write inside a :func:`group_commit` scope also commits without
        its fsync, and the scope's end syncs it before the caller gets its answer.
        """
        deferred = durable and defer_sync(self)
        mode = "FULL" if durable and not deferred else "NORMAL"
        with self._lock, _translated(self.path):
            if mode != self._sync_mode:  # set when it changes (a group commit's writes all want NORMAL)
                self._conn.execute(f"PRAGMA synchronous={mode}")
                self._sync_mode = mode
            self._patch = None
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
                self._writes += 1
                before = self._cache_version
                self._ticket = self._file_sync.committed()
                self._carry_cache(before)
            finally:
                self._patch = None

    def keep_cache(self, patch: Callable[[dict[Hashable, Any]], None]) -> None:
        """Inside :meth:`write`: how this write changes the remembered reads (:meth:`cached`).

        After the commit, ``patch`` gets the cache - as it stood just before this
        transaction - and edits the entries the write changed (replacing values, never
        mutating them; deleting an entry it cannot update). The cache then stays valid at
        the new version instead of being dropped: the gate's ledger re-read of a whole day
        after every write was a quarter of a proposal. It is applied only when the cache
        was current right before the write (no other commit, in this process or another,
        came between, as the file's commit count and ``PRAGMA data_version`` say);
        otherwise the cache is dropped as after any write.
        """
        self._patch = patch

    def _carry_cache(self, before: tuple[int, int] | None) -> None:
        """Apply the write's :meth:`keep_cache` patch when the cache it edits was current."""
        patch = self._patch
        if patch is None or before is None or before[1] != self._ticket - 1:
            return
        in_scope = getattr(_scope, "epoch", None) is not None and self._cache_epoch is _scope.epoch
        if not in_scope and int(self._conn.execute("PRAGMA data_version").fetchone()[0]) != before[0]:
            return  # another connection committed since the cache was read: drop it
        try:
            patch(self._cache)
        except Exception:  # a patch that fails leaves nothing half-edited behind
            logger.exception("cache patch failed for %s; the cache is dropped", self.path)
            self._cache.clear()
            self._cache_version = None
            return
        self._cache_version = (before[0], self._ticket)

    def sync(self) -> None:
        """The durable point of a :func:`group_commit` scope: fsync this file's WAL once for
        every commit made so far (this connection's and, on the same file, the others')."""
        self._file_sync.sync(self._ticket)

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered until the database changes.

        Valid while no connection of this process has committed to the file and ``PRAGMA
        data_version`` (which moves when any other connection, in this process or another,
        commits) is unchanged; one cheap pragma per call - or per :func:`read_scope` - instead
        of the query and the models built from its rows. ``compute`` must return an immutable
        value.
        """
        with self._lock:
            epoch = getattr(_scope, "epoch", None)
            if epoch is None or epoch is not self._cache_epoch:
                with _translated(self.path):
                    self._data_version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
                self._cache_epoch = epoch
            version = (self._data_version, self._file_sync.commits)
            if version != self._cache_version:
                self._cache.clear()
                self._cache_version = version
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
            with _translated(self.path):
                value = compute()
            if len(self._cache) < _CACHE_ENTRIES:
                self._cache[key] = value
            return value

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Run one query and return its rows."""
        with self._lock, _translated(self.path):
            return list(self._conn.execute(sql, params).fetchall())

    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` (for migrations of files written by older versions)."""
        return {row[1] for row in self.read(f"PRAGMA table_info({table})")}

    def close(self) -> None:
        """Close the connection once the last store sharing it closes."""
        with self._lock:
            self._users -= 1
            if self._users > 0:
                return
            with _SHARED_LOCK:
                if _SHARED.get(_shared_key(self.path)) is self:
                    del _SHARED[_shared_key(self.path)]
            self._conn.close()


#: Open SQLite databases of this process by (file, pid): stores of one file share one.
_SHARED: dict[tuple[str, int], Database] = {}
_SHARED_LOCK = threading.Lock()


def _shared_key(path: Path) -> tuple[str, int]:
    return str(Path(path).resolve()), os.getpid()


def _shared_database(path: Path, schema: str) -> Database:
    """This process's connection to ``path`` (opened on first use), with ``schema`` applied."""
    key = _shared_key(path)
    with _SHARED_LOCK:
        db = _SHARED.get(key)
        if db is not None:
            with db._lock:
                if db._users > 0:
                    db._users += 1
                    with db.write() as conn:
                        _run_script(conn, schema)
                    return db
        db = _SHARED[key] = Database(path, schema)
        return db


class Store(Protocol):
    """The surface the guardrail stores use, on SQLite (:class:`Database`) or Postgres."""

    path: Path

    def write(self, durable: bool = True) -> Any:
        """A context manager: one atomic write transaction yielding a :class:`SqlConnection`."""

    def sync(self) -> None:
        """The durable point of a group-commit scope."""

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered while nothing changed."""

    def keep_cache(self, patch: Callable[[dict[Hashable, Any]], None]) -> None:
        """Inside a write: how it changes the remembered reads."""

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        """Rows of one query."""

    def columns(self, table: str) -> set[str]:
        """Column names of a table."""

    def close(self) -> None:
        """Close."""


class PgDatabase:
    """:class:`Database` on Postgres (``TAORUI_DATABASE_URL``): one schema per SQLite file.

    Every commit is durable on the server (``synchronous_commit`` on) except a
    ``durable=False`` write, so there is no group commit to owe: :meth:`sync` has nothing to
    do. :meth:`cached` computes every time: Postgres has no cheap ``data_version``, and a
    stale kill switch is worse than a query.
    """

    def __init__(self, url: str, path: Path, schema: str, extra_ddl: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = sqlstore.connect_pg(url, self.path, f"guardrail store {self.path.name}")
        with self._lock:
            self._conn.run_ddl([*sqlstore.pg_ddl(schema), *extra_ddl])

    @contextmanager
    def write(self, durable: bool = True) -> Iterator[sqlstore.PgConnection]:
        """One atomic write transaction (rolled back on any error), one writer per schema."""
        with self._lock, self._conn.transaction(durable=durable) as conn:
            yield conn

    def sync(self) -> None:
        """Nothing owed: each commit was durable when it returned."""

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` (no cache on Postgres; see the class docs)."""
        with self._lock:
            return compute()

    def keep_cache(self, patch: Callable[[dict[Hashable, Any]], None]) -> None:
        """Nothing is cached on Postgres."""

    def read(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        """Run one query and return its rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` in this store's schema."""
        with self._lock:
            return self._conn.columns(table)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def open_database(path: Path, schema: str, pg_ddl: tuple[str, ...] = ()) -> Store:
    """The store for ``path``: the SQLite file, or its Postgres schema when
    ``TAORUI_DATABASE_URL`` is set (``pg_ddl``: Postgres-only statements, e.g. triggers)."""
    url = sqlstore.database_url()
    if url is None:
        return _shared_database(path, schema)
    return PgDatabase(url, path, schema, pg_ddl)


def open_lock(path: Path) -> HeldLock | sqlstore.PgLock:
    """The gate's cross-process lock: ``flock`` on ``path``, or a Postgres advisory lock named
    after it when the state lives in Postgres (several machines then exclude each other)."""
    url = sqlstore.database_url()
    if url is None:
        return HeldLock(path)
    return sqlstore.PgLock(url, sqlstore.namespace(path))


def _run_script(conn: sqlite3.Connection, schema: str) -> None:
    """Run ``;``-separated DDL inside the open transaction (executescript would commit)."""
    for statement in _statements(schema):
        conn.execute(statement)


def _statements(schema: str) -> list[str]:
    """Split DDL on ``;`` outside trigger bodies (``BEGIN ... END;``)."""
    out, buf = [], ""
    for part in schema.split(";"):
        buf = f"{buf};{part}" if buf else part
        if sqlite3.complete_statement(buf + ";"):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise UnavailableError(f"guardrail store {path} is busy: {exc}; try again") from exc
        raise InternalError(f"guardrail store {path}: {exc}") from exc
    except sqlite3.DatabaseError as exc:
        raise InternalError(f"guardrail store {path} is damaged or not a database: {exc}") from exc
