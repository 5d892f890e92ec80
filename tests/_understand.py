"""What the understanding tests share: a reader as `taorui ask` reads (the sample catalog and the
cached router), and the intents of a spec's steps."""

from __future__ import annotations

from collections.abc import Callable

from agents.spec import TaskSpec
from agents.understand import load_router, understand
from evals.understanding import sample_catalog
from taorui.settings import Settings


def make_reader() -> Callable[[str], TaskSpec]:
    """``text -> TaskSpec`` over the sample catalog with the router on."""
    catalog = sample_catalog()
    router = load_router(str(Settings().cache_dir / "router"))
    return lambda text: understand([text], catalog, router)


def intents(spec: TaskSpec) -> list[str]:
    """The steps' intents, in order."""
    return [s.intent for s in spec.steps]
