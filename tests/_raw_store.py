"""What someone with a SQL shell on a store could do: sqlite3 on the file, or psql on the
Postgres schema that stands for it when the suite runs with ``TAORUI_DATABASE_URL``."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from taorui_engines.errors import InternalError
from taorui_engines.sqlstore import PgConnection, database_url, namespace

#: What a refused statement raises through :class:`RawStore`, on either backend.
REFUSED = (sqlite3.DatabaseError, InternalError)


def on_postgres() -> bool:
    """Whether this run keeps durable state in Postgres."""
    return database_url() is not None


class RawStore:
    """One plain connection to a store, outside our code (as another process or a person)."""

    def __init__(self, path: Path) -> None:
        url = database_url()
        self._pg = PgConnection(url, namespace(path), "test shell") if url else None
        self._sqlite = None if url else sqlite3.connect(path)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if self._pg is not None:
            return self._pg.execute(sql, params)
        assert self._sqlite is not None
        return self._sqlite.execute(sql, params)

    def drop_audit_guards(self) -> None:
        """Drop the append-only triggers (an owner of the table can)."""
        if self._pg is not None:
            self._pg.execute("DROP TRIGGER IF EXISTS audit_no_update ON audit")
        else:
            self.execute("DROP TRIGGER IF EXISTS audit_no_update")
            self.execute("DROP TRIGGER IF EXISTS audit_no_delete")

    def destroy(self, path: Path) -> None:
        """Delete the store outright (the file and its journal, or the whole schema)."""
        if self._pg is not None:
            self._pg.execute(f'DROP SCHEMA "{namespace(path)}" CASCADE')
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def commit(self) -> None:
        """Commit what was executed (Postgres statements commit as they run)."""
        if self._sqlite is not None:
            self._sqlite.commit()

    def close(self) -> None:
        """Commit and close."""
        if self._pg is not None:
            self._pg.close()
        else:
            assert self._sqlite is not None
            self._sqlite.commit()
            self._sqlite.close()

    def __enter__(self) -> RawStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
