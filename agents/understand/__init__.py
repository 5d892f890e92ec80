"""Understanding an instruction: from text to one typed :class:`agents.spec.TaskSpec`.

Parsers for what a quant states (numbers, fractions, costs, quantities, periods and their
roles), a router that tells intents apart by similarity to a labelled bilingual exemplar
bank, and the assembly of the spec. Imports nothing heavy: planning must stay fast (the
router's encoder is a static table distilled once from the shipped MiniLM, read with numpy).

Public surface::

    understand(texts, catalog, router=None) -> TaskSpec
    load_router(cache_dir) -> RouterLike | None      # None (logged) when it cannot be loaded
    detect_language(text) -> "en" | "zh"
    in_users_script(answer, instruction) -> str      # traditional characters for a traditional writer
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from agents.understand._assemble import understand
from agents.understand._hant import in_traditional, traditional_script
from agents.understand._intents import RouterLike
from agents.understand._text import detect_language

__all__ = ["RouterLike", "detect_language", "in_users_script", "load_router", "understand"]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def load_router(cache_dir: str | Path) -> RouterLike | None:
    """The exemplar router over the static encoder cached in ``cache_dir`` (built on first use).

    A router that cannot be loaded leaves understanding to the lexical cues alone, which ask
    a question where they cannot tell; the reason is logged, never silently swallowed.
    """
    from agents.understand._embed import StaticEncoder
    from agents.understand._router import IntentRouter

    try:
        return IntentRouter.load(StaticEncoder.load(Path(cache_dir)))
    except Exception as exc:  # a missing model or a damaged cache must not stop planning
        logger.warning("intent router unavailable (%s: %s); using lexical cues only", type(exc).__name__, exc)
        return None


def in_users_script(answer: str, instruction: str) -> str:
    """``answer`` in the Chinese script ``instruction`` was written in: a Hong Kong or Taiwan
    writer (訓練黃金…) reads the answer in traditional characters, not the simplified ones every
    answer is composed in; anything else passes unchanged."""
    return in_traditional(answer) if traditional_script(instruction) else answer
