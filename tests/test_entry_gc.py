"""The one-shot collector policy of the console script (taorui/_entry.py): installed once for
commands that end with their work, never for long-lived ones, and it freezes nothing while a
process churns without importing."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator

import pytest

from taorui._entry import LONG_LIVED, _FreezeAfterImports, one_shot_gc


@pytest.fixture()
def clean_callbacks() -> Iterator[None]:
    before = list(gc.callbacks)
    try:
        yield
    finally:
        gc.callbacks[:] = before
        gc.unfreeze()


@pytest.mark.usefixtures("clean_callbacks")
def test_installed_once_for_a_one_shot_command_and_never_for_a_long_lived_one() -> None:
    gc.callbacks[:] = [c for c in gc.callbacks if not isinstance(c, _FreezeAfterImports)]
    for command in sorted(LONG_LIVED):
        assert one_shot_gc(command) is False
    assert one_shot_gc("ask") is True
    assert one_shot_gc("ask") is False  # a second call (python -m taorui after the re-exec) adds nothing
    assert sum(isinstance(c, _FreezeAfterImports) for c in gc.callbacks) == 1


@pytest.mark.usefixtures("clean_callbacks")
def test_churn_without_imports_freezes_nothing_and_an_import_phase_does() -> None:
    gc.unfreeze()
    hook = _FreezeAfterImports()
    gc.callbacks.append(hook)

    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    frozen = gc.get_freeze_count()
    for _ in range(3):
        _ = [Node() for _ in range(2000)]
        gc.collect()
    assert gc.get_freeze_count() == frozen  # steady state: the cycles stay collectable

    name = "json.tool" if "json.tool" not in sys.modules else "zipapp"
    sys.modules.pop(name, None)
    importlib.import_module(name)
    gc.collect()
    assert gc.get_freeze_count() > frozen  # survivors of an import phase leave the walk
