"""``taorui mcp``: serve Taorui's read and compute tools to other agents and IDEs over MCP.

stdio by default (an IDE or agent starts ``taorui mcp`` and talks over its pipes); ``--http``
serves streamable HTTP on 127.0.0.1. The SDK is imported when the command runs, not when the
parser is built, so ``taorui --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging

from taorui.wiring import AppContext

__all__ = ["register"]

logger = logging.getLogger(__name__)

#: Default port of ``--http``.
DEFAULT_PORT = 8765


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1..65535, got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``mcp``."""
    p = sub.add_parser("mcp", help="serve the read and compute tools to other agents over MCP (stdio or HTTP)",
                       description="An MCP server over Taorui's tools: data, backtests, factor evaluation, models, "
                                   "memory. Orders are proposals that wait in the approval inbox for a person.")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP on 127.0.0.1 instead of stdio")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port of --http (default {DEFAULT_PORT})")
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace, ctx: AppContext) -> int:
    """Serve until the client closes stdio, or until interrupted (HTTP)."""
    import anyio

    from taorui.mcp_server import build_server, run_http, run_stdio

    server = build_server(ctx)  # tools report progress to the client, not to terminal bars
    if args.http:
        run_http(server, args.port)
    else:
        logger.info("mcp: serving on stdio")
        anyio.run(run_stdio, server)
    return 0
