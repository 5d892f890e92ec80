"""The console's HTTP API over the composition root (``taorui serve``).

Public surface::

    create_app(ctx, backend="offline") -> FastAPI       the /api routes (OpenAPI at /openapi.json)
    TokenStore(path).add(name, Role.APPROVER)          a bearer token, shown once, stored hashed
    EventBus()                                         the in-process bus streamed at /api/events

See docs/console.md.
"""

from taorui.server._app import create_app
from taorui.server._auth import TOKEN_FILE, IssuedToken, Principal, Role, TokenInfo, TokenStore
from taorui.server._events import ConsoleEvent, EventBus
from taorui.server._service import CONSOLE_AUDIT_FILE, ConsoleService

__all__ = [
    "CONSOLE_AUDIT_FILE",
    "TOKEN_FILE",
    "ConsoleEvent",
    "ConsoleService",
    "EventBus",
    "IssuedToken",
    "Principal",
    "Role",
    "TokenInfo",
    "TokenStore",
    "create_app",
]
