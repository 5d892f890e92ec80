"""Bearer tokens and roles of the console API.

A token is ``tr_<id>_<secret>``. Only its id, a per-token random salt and
``sha256(salt || secret)`` are stored (SQLite under the home's state folder); the token
itself is shown once, when it is made, and appears in no response and no log line.

Roles are ordered: ``viewer`` (reads) < ``trader`` (asks, proposes) < ``approver``
(approves and rejects orders, the kill switch) < ``admin`` (everything).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from taorui.server._sqlite import SqliteStore
from taorui_engines.errors import InvalidArgumentError, NotFoundError

__all__ = ["TOKEN_FILE", "IssuedToken", "Principal", "Role", "TokenInfo", "TokenStore"]

#: The token database, under ``Settings.state_dir``.
TOKEN_FILE = "console_tokens.sqlite"

_TOKEN = re.compile(r"^tr_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,100})$")
_NAME = r"^[A-Za-z0-9_.@\-]{1,64}$"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    salt TEXT NOT NULL,
    digest TEXT NOT NULL,
    created TEXT NOT NULL,
    revoked TEXT
);
"""


class Role(StrEnum):
    """What a token may do; each role may do everything of the roles before it."""

    VIEWER = "viewer"
    TRADER = "trader"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for admin."""
        return list(Role).index(self)

    def allows(self, needed: Role) -> bool:
        """True if this role is ``needed`` or above it."""
        return self.rank >= needed.rank


class Principal(BaseModel):
    """Who is calling: the token's name (the person) and role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The person the token was issued to.")
    role: Role
    token_id: str = Field(description="The token's public id (never the secret).")


class TokenInfo(BaseModel):
    """A stored token as listed (no secret, no digest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    role: Role
    created: datetime
    revoked: datetime | None = None


class IssuedToken(BaseModel):
    """A new token: ``token`` is shown this once and never stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    info: TokenInfo
    token: str = Field(repr=False)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


class TokenStore(SqliteStore):
    """Hashed bearer tokens in one SQLite file (safe across threads and processes)."""

    SCHEMA = _SCHEMA

    def add(self, name: str, role: Role) -> IssuedToken:
        """Make a token for ``name`` with ``role``; the returned token is the only copy."""
        if not re.match(_NAME, name):
            raise InvalidArgumentError(f"a token name is 1-64 letters, digits or _.@- ; got {name!r}")
        token_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
        created = datetime.now(UTC)
        with self._lock, self._connect() as conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, NULL)",
                         (token_id, name, role.value, salt, _digest(salt, secret), created.isoformat()))
        info = TokenInfo(id=token_id, name=name, role=role, created=created)
        return IssuedToken(info=info, token=f"tr_{token_id}_{secret}")

    def list(self) -> list[TokenInfo]:
        """Every token, oldest first (revoked ones included)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, name, role, created, revoked FROM tokens ORDER BY created").fetchall()
        return [TokenInfo(id=r[0], name=r[1], role=Role(r[2]), created=datetime.fromisoformat(r[3]),
                          revoked=datetime.fromisoformat(r[4]) if r[4] else None) for r in rows]

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke a token by its id; it stops working at once."""
        with self._lock, self._connect() as conn:
            done = conn.execute("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL",
                                (datetime.now(UTC).isoformat(), token_id)).rowcount
        if not done:
            raise NotFoundError(f"no active token with id {token_id!r}")
        return next(t for t in self.list() if t.id == token_id)

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked token; None otherwise (constant-time compare)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        token_id, secret = match.groups()
        with self._connect() as conn:
            row = conn.execute("SELECT name, role, salt, digest FROM tokens WHERE id = ? AND revoked IS NULL",
                               (token_id,)).fetchone()
        if row is None or not hmac.compare_digest(_digest(row[2], secret), row[3]):
            return None
        return Principal(name=row[0], role=Role(row[1]), token_id=token_id)
