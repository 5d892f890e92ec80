"""The console script's first step: pin the hash seed before anything heavy is imported.

Qlib sums positions in set order, so a run and its replay agree bit for bit only under one
string-hash seed (docs/replay.md). A hash-sensitive command started without
``PYTHONHASHSEED`` is re-executed under ``PYTHONHASHSEED=0``; doing that here, before the
CLI and its settings are imported, means the first interpreter pays for nothing but itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["HASH_SENSITIVE", "command_of", "main", "pin_hash_seed"]

#: Commands whose numbers depend on Python's string-hash order.
HASH_SENSITIVE = frozenset({"model", "replay", "ask", "resume", "factor", "eval", "mcp"})


def command_of(argv: Sequence[str]) -> str | None:
    """The top-level command an argument list names (skipping the global options), if any."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--home":
            skip = True
        elif not token.startswith("-"):
            return token
    return None


def pin_hash_seed(argv: list[str]) -> None:
    """Re-execute under PYTHONHASHSEED=0 when a hash-sensitive command runs without one."""
    if os.environ.get("PYTHONHASHSEED") is not None or command_of(argv) not in HASH_SENSITIVE or "--plan-only" in argv:
        return
    os.execve(sys.executable, [sys.executable, "-m", "taorui", *argv], {**os.environ, "PYTHONHASHSEED": "0"})


def main() -> int:
    """Entry point of the ``taorui`` console script."""
    pin_hash_seed(list(sys.argv[1:]))
    from taorui.cli import main as cli_main

    return cli_main(list(sys.argv[1:]))
