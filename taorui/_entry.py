"""The console script's first step: pin the hash seed, and set the collector for a one-shot process.

Qlib sums positions in set order, so a run and its replay agree bit for bit only under one
string-hash seed (docs/replay.md). A hash-sensitive command started without
``PYTHONHASHSEED`` is re-executed under ``PYTHONHASHSEED=0``; doing that here, before the
CLI and its settings are imported, means the first interpreter pays for nothing but itself.

The cyclic garbage collector is tuned here too, for the same reason: only a command line
process knows it will end when its one command does. Python runs a full collection each time
the heap has grown by a quarter, and each one walks every object alive; a command that imports
LangGraph, pydantic models, torch and matplotlib grows to ~500k objects, so in ``taorui ask``
those walks took about as long as the imports they followed (8 full collections, 1.4-1.8 s of
a 9-13 s run on the shared 2-core machine), and the interpreter's last collection at exit
another 1.6 s before the shell got its prompt back (docs/benchmarks.md, "End to end").
A one-shot command therefore moves the survivors of a full collection to the permanent
generation (:func:`gc.freeze`) when modules were imported since the previous one: they are
modules, classes and the graph, alive until exit, and the next full collection walks only what
was allocated since (1.6-1.7 s of full collections became 0.2-0.3 s in ``taorui ask``). When
the command returns everything is frozen, so the exit does not walk the heap to free memory the
OS takes back anyway (1.4 s -> 0.2 s on a quiet machine). Reference counting still frees every
object outside a cycle, and a collection in a steady state (no new module) freezes nothing, so
a long computation's cyclic garbage stays collectable; the peak resident size of ``taorui ask``
did not move (539 vs 541 MB). Commands that serve, watch or run many tasks in one process
keep the default collector.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["HASH_SENSITIVE", "LONG_LIVED", "command_of", "main", "one_shot_gc", "pin_hash_seed"]

#: Commands whose numbers depend on Python's string-hash order.
HASH_SENSITIVE = frozenset({"model", "replay", "ask", "resume", "factor", "eval", "mcp"})

#: Commands that serve, watch or run many tasks in one process: their heap is not a start-up's,
#: so garbage that was alive at a collection must stay collectable (the default collector).
LONG_LIVED = frozenset({"serve", "mcp", "trade", "eval"})


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


class _FreezeAfterImports:
    """A ``gc.callbacks`` hook: the survivors of a full collection leave the collector's walk
    when modules were imported since the last one (the heap grew by start-up, not by churn).

    Survivors of an import phase are modules, classes, functions and the graph: they live until
    exit. A full collection in a steady state (no new module) freezes nothing, so the cyclic
    garbage of a long computation stays collectable: with a churning working set of 2,000
    cycles over 1M iterations, freezing after every full collection kept 64 MB more than the
    default collector; freezing only after imports kept 4 MB.
    """

    def __init__(self) -> None:
        self.modules = len(sys.modules)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2 or len(sys.modules) <= self.modules:
            return
        self.modules = len(sys.modules)
        gc.freeze()


def one_shot_gc(command: str | None) -> bool:
    """Install the one-shot collector policy (module docstring) unless ``command`` is long-lived;
    True when installed."""
    if command in LONG_LIVED or any(isinstance(c, _FreezeAfterImports) for c in gc.callbacks):
        return False
    gc.callbacks.append(_FreezeAfterImports())
    return True


def main() -> int:
    """Entry point of the ``taorui`` console script (and of ``python -m taorui``)."""
    argv = list(sys.argv[1:])
    pin_hash_seed(argv)
    from taorui.cli import main as cli_main

    installed = one_shot_gc(command_of(argv))
    try:
        return cli_main(argv)
    finally:
        if installed:
            gc.freeze()  # the process ends with the command: no last walk over the heap
