"""The Chroma embedding function over :func:`memory._embedding.embed` (imports Chroma).

Kept apart from ``_embedding`` so that importing ``memory`` does not import Chroma; the
store imports this module when it opens its first collection.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from memory._embedding import EMBEDDING_DIM, EMBEDDING_MODEL, embed
from taorui_engines.errors import InvalidInputError

__all__ = ["MiniLMEmbedding"]


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):
    """Chroma embedding function over the bundled all-MiniLM-L6-v2 (cosine space)."""

    def __init__(self) -> None:
        """Nothing to set: the model is shared per process and loaded on first call."""

    def __call__(self, input: Documents) -> Embeddings:
        return [np.asarray(v, dtype=np.float32) for v in embed(list(input))]

    @staticmethod
    def name() -> str:
        """The name Chroma persists in the collection configuration."""
        return "taorui-all-minilm-l6-v2"

    def get_config(self) -> dict[str, Any]:
        """What Chroma stores about us: the model and its dimension."""
        return {"model": EMBEDDING_MODEL, "dim": EMBEDDING_DIM}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        """Rebuild from a persisted config, refusing one written for another model."""
        if config.get("model") != EMBEDDING_MODEL or config.get("dim") != EMBEDDING_DIM:
            raise InvalidInputError(
                f"collection was embedded with {config.get('model')} ({config.get('dim')}-d); "
                f"this Taorui embeds with {EMBEDDING_MODEL} ({EMBEDDING_DIM}-d)"
            )
        return MiniLMEmbedding()

    def default_space(self) -> Space:
        """Cosine: vectors are normalised, and scores read as similarities."""
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        """Only cosine is meaningful for this model's normalised vectors."""
        return ["cosine"]
