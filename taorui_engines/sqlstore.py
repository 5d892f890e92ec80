"""Where durable state lives: SQLite files beside the run (the embedded default) or Postgres.

A desk with several people approving orders, or several machines, sets
``TAORUI_DATABASE_URL=postgresql://user@host:5432/db``; the gate's ledger, approvals and audit
log, the paper broker's book and the graph's checkpoints then live in that database instead of
SQLite files under the state folder. The stores keep their SQL: this module gives them a
connection with SQLite's face (``execute(sql, params)`` with ``?`` placeholders, rows readable
by position and by name, ``rowcount``) over psycopg, and translates the handful of dialect
differences in their DDL (``REAL`` is single precision in Postgres, ``AUTOINCREMENT``).

Each SQLite file maps to one Postgres schema (a namespace), named from the file's absolute
path: two processes (or two machines that mount the home at the same path) share the state,
and two portfolios (two folders) never see each other's rows.

SQLite's ``BEGIN IMMEDIATE`` (one writer per file at a time) becomes a transaction that first
takes ``pg_advisory_xact_lock`` on the namespace: the stores' read-then-write steps (the audit
chain's head, a conditional status change) stay serialised across processes and machines. A
lost connection (the server restarted) is an :class:`UnavailableError` and the next call
reconnects; what was committed is on the server's disk (``synchronous_commit`` on) before
``COMMIT`` returns.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from taorui_engines.errors import InternalError, UnavailableError

if TYPE_CHECKING:
    import psycopg

__all__ = ["DATABASE_ENV", "PgConnection", "PgLock", "Row", "SqlConnection", "advisory_key", "connect_pg",
           "database_url", "namespace", "pg_ddl", "thread_connection"]

#: The setting that moves durable state to Postgres.
DATABASE_ENV = "TAORUI_DATABASE_URL"


class SqlConnection(Protocol):
    """What a store writes through: SQLite's connection or :class:`PgConnection`."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any:
        """Run one statement with ``?`` placeholders."""


def database_url() -> str | None:
    """The Postgres URL from ``TAORUI_DATABASE_URL``; None (SQLite files) when unset or empty.

    Read at the moment a store opens, so a test (or a deployment) decides per process.
    ``postgresql+psycopg://`` (SQLAlchemy's spelling) is accepted and normalised.
    """
    url = os.environ.get(DATABASE_ENV, "").strip()
    if not url:
        return None
    if url.startswith("postgresql+psycopg://"):
        url = "postgresql://" + url.removeprefix("postgresql+psycopg://")
    if not url.startswith(("postgresql://", "postgres://")):
        raise UnavailableError(f"{DATABASE_ENV}={url!r} is not a Postgres URL; "
                               "use postgresql://user@host:5432/db, or unset it for SQLite files")
    return url


def namespace(path: Path) -> str:
    """The Postgres schema that stands for the SQLite file ``path``.

    Readable (the folder and file names) and unique (a hash of the absolute path, whoever
    opens it and whatever its environment says); at most 63 characters, Postgres' limit.
    """
    resolved = Path(path).expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    words = re.sub(r"[^a-z0-9]+", "_", f"{resolved.parent.name}_{resolved.stem}".lower()).strip("_")
    return f"t_{words[:40]}_{digest}"


def advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_*lock`` from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Row(tuple[Any, ...]):
    """A result row read like ``sqlite3.Row``: by position, by column name, and ``dict(row)``."""

    _names: tuple[str, ...]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"no column {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """Column names, in order."""
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = tuple(d.name for d in (cursor.description or ()))
    return lambda values: Row(values, names)


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|%")


def _pg_sql(sql: str) -> str:
    """``?`` placeholders -> ``%s``, literal ``%`` -> ``%%`` (outside string literals the first,
    everywhere the second, as psycopg reads them), ``rowid`` -> the table's key."""
    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")
    return _PLACEHOLDER.sub(swap, sql.replace("rowid", "key"))


def pg_ddl(schema: str) -> list[str]:
    """SQLite DDL in Postgres' dialect, one statement per item (SQLite triggers are dropped:
    a store states its Postgres triggers itself)."""
    statements = []
    for raw in re.split(r";\s*(?=CREATE|$)", schema.strip(), flags=re.IGNORECASE):
        text = raw.strip().rstrip(";").strip()
        if not text or re.match(r"CREATE\s+TRIGGER", text, re.IGNORECASE):
            continue
        text = re.sub(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b",
                      "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text, flags=re.IGNORECASE)
        text = re.sub(r"\bREAL\b", "DOUBLE PRECISION", text, flags=re.IGNORECASE)
        text = re.sub(r"\bINTEGER\b", "BIGINT", text, flags=re.IGNORECASE)
        statements.append(text)
    return statements


class _Cursor:
    """What ``execute`` returns: SQLite's cursor surface over psycopg's."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        if self._cursor.description is None:
            return None
        return self._cursor.fetchone()  # type: ignore[no-any-return]

    def fetchall(self) -> list[Row]:
        if self._cursor.description is None:
            return []
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class PgConnection:
    """One psycopg connection in one schema, spoken to with SQLite's ``?`` placeholders.

    Not shared between threads without a lock (the stores hold one). ``transaction(lock)``
    is SQLite's ``BEGIN IMMEDIATE``: one writer per namespace at a time, across machines.
    """

    def __init__(self, url: str, schema: str, what: str) -> None:
        self.url, self.schema, self.what = url, schema, what
        self._conn: psycopg.Connection[Any] | None = None
        self._pid = 0
        self._in_tx = False

    def _open(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed and self._pid == os.getpid():
            return self._conn
        psycopg = _psycopg()

        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                   row_factory=_row_factory)
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f'SET search_path TO "{self.schema}"')
        except psycopg.Error as exc:
            raise UnavailableError(f"{self.what}: cannot reach Postgres at {_redacted(self.url)}: "
                                   f"{_first_line(exc)}; start it or fix {DATABASE_ENV}") from exc
        self._conn, self._pid = conn, os.getpid()
        return conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> _Cursor:
        """Run one statement (``?`` placeholders) and return its cursor.

        Outside a transaction, a connection found dead (the server restarted since the last
        call) is replaced and the statement sent once more: the first call after an outage
        then works. Inside one, a lost connection is an :class:`UnavailableError` (the
        transaction is gone; the caller decides whether to run it again).
        """
        psycopg = _psycopg()

        with self._translated():
            for attempt in (0, 1):
                conn = self._open()
                try:
                    if params:
                        return _Cursor(conn.execute(_pg_sql(sql), tuple(params)))  # type: ignore[arg-type]
                    return _Cursor(conn.execute(sql.replace("rowid", "key")))  # type: ignore[arg-type]
                except psycopg.OperationalError:
                    if attempt or self._in_tx:
                        raise
                    self.close()
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[PgConnection]:
        """One atomic write transaction holding this namespace's writer lock.

        ``BEGIN`` on a connection found dead is retried once on a new one (nothing was
        done yet); a failure after that rolls back, and a lost connection is an
        :class:`UnavailableError`. A ``COMMIT`` whose answer was lost may or may not have
        happened: the stores are written so that running the step again is safe.
        """
        psycopg = _psycopg()

        with self._translated():
            for attempt in (0, 1):
                conn = self._open()
                try:
                    conn.execute("BEGIN")
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(self.schema),))
                    if not durable:  # as SQLite's synchronous=NORMAL: survives our crash, not the server's disk
                        conn.execute("SET LOCAL synchronous_commit = off")
                    break
                except psycopg.OperationalError:
                    self.close()
                    if attempt:
                        raise
                except BaseException:
                    self._rollback()
                    raise
            self._in_tx = True
            try:
                yield self
            except BaseException:
                self._in_tx = False
                self._rollback()
                raise
            self._in_tx = False
            conn.execute("COMMIT")

    def _rollback(self) -> None:
        psycopg = _psycopg()

        if self._conn is None or self._conn.closed:
            self.close()
            return
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error:
            self.close()

    def columns(self, table: str) -> set[str]:
        """The column names of ``table`` in this schema."""
        rows = self.execute("SELECT column_name FROM information_schema.columns "
                            "WHERE table_schema = ? AND table_name = ?", (self.schema, table)).fetchall()
        return {r[0] for r in rows}

    def run_ddl(self, statements: Sequence[str]) -> None:
        """Create what is missing (idempotent DDL), serialised against other processes doing it."""
        with self.transaction():
            for statement in statements:
                self.execute(statement)

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        if self._conn is not None and self._pid == os.getpid():
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection cannot fail usefully
                pass
        self._conn = None
        self._in_tx = False

    @contextmanager
    def _translated(self) -> Iterator[None]:
        psycopg = _psycopg()

        try:
            yield
        except psycopg.OperationalError as exc:
            self.close()  # the server went away or restarted: the next call reconnects
            raise UnavailableError(f"{self.what}: lost the connection to Postgres "
                                   f"({_first_line(exc)}); nothing after the last commit was kept; "
                                   "try again once it is back") from exc
        except psycopg.errors.RaiseException as exc:
            raise InternalError(f"{self.what}: {_first_line(exc)}") from exc
        except psycopg.IntegrityError as exc:
            raise InternalError(f"{self.what}: {_first_line(exc)}") from exc
        except psycopg.Error as exc:
            if self._conn is not None and self._conn.closed:
                self.close()
                raise UnavailableError(f"{self.what}: Postgres connection closed ({_first_line(exc)}); "
                                       "try again") from exc
            raise InternalError(f"{self.what}: {_first_line(exc)}") from exc


def connect_pg(url: str, path: Path, what: str) -> PgConnection:
    """A connection in the namespace standing for the SQLite file ``path``."""
    return PgConnection(url, namespace(path), what)


#: Connections one thread keeps for stores opened per call (the paper book, the console's
#: tables): a server process touches a handful of files; more than this and the least
#: recently used is closed, so a long-lived thread that serves many homes holds no more.
THREAD_CONNECTIONS = 8
_per_thread = threading.local()


def thread_connection(url: str, path: Path, what: str) -> PgConnection:
    """This thread's kept connection to the schema standing for ``path`` (a Postgres connect
    costs milliseconds, and such stores open one per call)."""
    conns: dict[tuple[str, str], PgConnection] | None = getattr(_per_thread, "conns", None)
    if conns is None:
        conns = _per_thread.conns = {}
    key = (url, str(path))
    conn = conns.pop(key, None) or connect_pg(url, path, what)
    conns[key] = conn  # most recently used last
    while len(conns) > THREAD_CONNECTIONS:
        conns.pop(next(iter(conns))).close()
    return conn


class PgLock:
    """:class:`guardrails._db.HeldLock`'s Postgres twin: a session advisory lock, held on a
    connection of its own (released by the server when the holder dies, as ``flock`` is)."""

    def __init__(self, url: str, name: str) -> None:
        self.name = name
        self._key = advisory_key(f"lock:{name}")
        self._conn = PgConnection(url, "public", f"lock {name}")
        self._mutex = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block."""
        with self._mutex:
            self._conn.execute("SELECT pg_advisory_lock(?)", (self._key,))
            try:
                yield
            finally:
                try:
                    self._conn.execute("SELECT pg_advisory_unlock(?)", (self._key,))
                except UnavailableError:
                    pass  # the connection died: the server already released the lock

    def close(self) -> None:
        """Close the lock's connection."""
        self._conn.close()


def _psycopg() -> Any:
    """psycopg, imported on first use (SQLite users never pay for it), or a message that says
    how to get it."""
    try:
        import psycopg
    except ImportError as exc:
        raise UnavailableError(f"{DATABASE_ENV} is set but psycopg is not installed: "
                               "pip install 'taorui[postgres]' (or unset it for SQLite files)") from exc
    return psycopg


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _redacted(url: str) -> str:
    """The URL without a password (it goes into messages a user may paste)."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", url)
