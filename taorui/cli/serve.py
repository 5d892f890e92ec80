"""``taorui serve``: the console's HTTP API; ``taorui serve token ...``: its bearer tokens.

    taorui serve                                  (http://127.0.0.1:8765, offline planner)
    taorui serve --host 0.0.0.0 --port 9000       (listen beyond this machine: put TLS in front)
    taorui serve token add --name alice --role approver     (prints the token once)
    taorui serve token list | revoke ID

FastAPI and uvicorn load inside the command that serves, never to build the parser.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from taorui.cli._common import add_json_flag, emit
from taorui.wiring import AppContext

if TYPE_CHECKING:
    from taorui.server import TokenStore

__all__ = ["register"]

ROLES = ("viewer", "trader", "approver", "admin")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``serve`` and its ``token`` commands."""
    serve = sub.add_parser("serve", help="the web console's HTTP API (127.0.0.1 by default), and its tokens")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    serve.add_argument("--backend", choices=["offline", "openai"], default="offline",
                       help="LLM backend of asks (default offline)")
    serve.set_defaults(func=cmd_serve)
    cmds = serve.add_subparsers(dest="cmd", parser_class=type(serve))
    token = cmds.add_parser("token", help="bearer tokens: add, list, revoke")
    tokens = token.add_subparsers(dest="token_cmd", required=True, parser_class=type(serve))

    p = tokens.add_parser("add", help="make a token (printed once; stored hashed)")
    p.add_argument("--name", required=True, help="the person it is for (shown in the audit log)")
    p.add_argument("--role", required=True, choices=ROLES, help="viewer < trader < approver < admin")
    add_json_flag(p)
    p.set_defaults(func=cmd_token_add)

    p = tokens.add_parser("list", help="tokens (ids, names, roles; never the secrets)")
    add_json_flag(p)
    p.set_defaults(func=cmd_token_list)

    p = tokens.add_parser("revoke", help="revoke a token by its id")
    p.add_argument("id", help="token id (from `token list`)")
    add_json_flag(p)
    p.set_defaults(func=cmd_token_revoke)


def _store(ctx: AppContext) -> TokenStore:
    from taorui.server import TOKEN_FILE, TokenStore

    return TokenStore(ctx.settings.state_dir / TOKEN_FILE)


def cmd_token_add(args: argparse.Namespace, ctx: AppContext) -> int:
    """Make a token and print it once."""
    from taorui.server import Role

    issued = _store(ctx).add(args.name, Role(args.role))
    info = issued.info
    text = (f"token for {info.name} ({info.role.value}), id {info.id}:\n{issued.token}\n"
            "It is shown only now; it is stored hashed. Send it as `Authorization: Bearer <token>`.")
    return emit(args, {"token": issued.token, **info.model_dump(mode="json")}, text)


def cmd_token_list(args: argparse.Namespace, ctx: AppContext) -> int:
    """List tokens without secrets."""
    infos = _store(ctx).list()
    lines = [f"{t.id}  {t.name:<16} {t.role.value:<8} {t.created:%Y-%m-%d %H:%M}"
             + (f"  revoked {t.revoked:%Y-%m-%d %H:%M}" if t.revoked else "") for t in infos]
    return emit(args, {"tokens": [t.model_dump(mode="json") for t in infos]}, "\n".join(lines) or "no tokens")


def cmd_token_revoke(args: argparse.Namespace, ctx: AppContext) -> int:
    """Revoke a token."""
    info = _store(ctx).revoke(args.id)
    return emit(args, info.model_dump(mode="json"), f"revoked {info.id} ({info.name})")


def cmd_serve(args: argparse.Namespace, ctx: AppContext) -> int:
    """Serve the API until interrupted."""
    import uvicorn

    from taorui.server import create_app

    app = create_app(ctx, backend=args.backend)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False)
    return 0
