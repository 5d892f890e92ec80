"""A console API over a fresh test home, with one token per role (shared by the server tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from taorui.server import ConsoleService, Role, TokenStore, create_app
from taorui.server._auth import TOKEN_FILE
from taorui.settings import Settings
from taorui.wiring import AppContext

#: The people of the tests: name -> role.
PEOPLE: dict[str, Role] = {"vic": Role.VIEWER, "alice": Role.TRADER, "bob": Role.APPROVER,
                           "carol": Role.APPROVER, "root": Role.ADMIN}


@dataclass
class Console:
    """The app's client, its composition root and a bearer header per person."""

    client: TestClient
    ctx: AppContext
    tokens: dict[str, str]

    @property
    def app_service(self) -> ConsoleService:
        """The app's service (what the routes call)."""
        service: ConsoleService = self.client.app.state.service  # type: ignore[attr-defined]
        return service

    def auth(self, name: str) -> dict[str, str]:
        """The Authorization header of ``name``."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def app_context(home: Path) -> AppContext:
    """The composition root over ``home``: quiet, no memory, the shipped policy."""
    settings = Settings(home=home, risk_policy_file=None, audit_anchor_dir=None)
    return AppContext(settings=settings, quiet=True, with_memory=False)


def console(home: Path) -> Console:
    """A console API over ``home`` with a token for each of :data:`PEOPLE`."""
    ctx = app_context(home)
    store = TokenStore(ctx.settings.state_dir / TOKEN_FILE)
    tokens = {name: store.add(name, role).token for name, role in PEOPLE.items()}
    return Console(TestClient(create_app(ctx, tokens=store)), ctx, tokens)
