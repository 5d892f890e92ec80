"""The memory store: four Chroma collections (runs, factors, strategies, journal).

Chroma and the embedding model are imported and opened on first use, so building a
``MemoryStore`` (which the CLI does for every command) costs nothing. Every Chroma error is
translated into Taorui's hierarchy.

A local store is a folder that several processes may use one after another, or at the same
time for reading. Chroma keeps a process's vector index in memory once it has searched, and
does not see rows another process added afterwards. So every write through a store leaves a
fresh token in a marker file next to Chroma's files, and a store that finds a token it did
not write reopens its client before reading. (Chroma's own mtimes cannot serve: it keeps
writing in the background after an upsert returns, and reopening a 100k-record index costs
most of a second.)
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from memory._embedding import EMBEDDING_DIM, EMBEDDING_MODEL
from memory._glossary import bridge
from memory._models import DuplicateHit, DuplicateReport, MemoryConfig, MemoryItem, MemoryStats, SearchHit
from memory._pending import PendingRuns
from memory._records import (
    KINDS,
    RECORD_TYPE_OF_KIND,
    FactorRecord,
    MemoryKind,
    MemoryRecord,
    MetaValue,
    StrategyRecord,
    kind_of_id,
    records_by_kind,
)
from memory._where import parse_where
from taorui_engines.errors import (
    InternalError,
    InvalidArgumentError,
    InvalidInputError,
    NotFoundError,
    TaoruiError,
    UnavailableError,
)

if TYPE_CHECKING:
    from pathlib import Path

    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from memory.hooks import RunNotes

__all__ = ["MemoryStore"]

logger = logging.getLogger(__name__)

#: Most results one search may ask for.
MAX_LIMIT = 100
#: Below this many records ``recent`` reads a whole collection; above it, a time window.
_SCAN_ALL = 2000
#: Description similarity from which two factors count as near-duplicates. Measured with
#: MiniLM: close paraphrases 0.84-0.96, different factors up to 0.68 -- except the same words
#: with another window ("20-day" vs "60-day" momentum: 0.82), which the number check rejects.
NEAR_DUPLICATE = 0.82
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
#: Marker file of a local store: the token of the last write made through a MemoryStore.
_MARKER = ".taorui-last-write"


@contextmanager
def _chroma_errors(what: str) -> Iterator[None]:
    """Translate Chroma/httpx exceptions into ours, naming what was being done."""
    try:
        yield
    except TaoruiError:
        raise
    except (ConnectionError, TimeoutError) as exc:
        raise UnavailableError(f"memory {what}: the Chroma server is not reachable ({exc})") from exc
    except Exception as exc:
        raise _translate(what, exc) from exc


def _translate(what: str, exc: Exception) -> TaoruiError:
    import chromadb.errors as chroma_errors
    import httpx

    if isinstance(exc, httpx.TransportError):
        return UnavailableError(f"memory {what}: the Chroma server is not reachable ({exc})")
    if isinstance(exc, chroma_errors.InvalidArgumentError | ValueError | TypeError):
        return InvalidArgumentError(f"memory {what}: {exc}")
    return InternalError(f"memory {what}: {type(exc).__name__}: {exc}")


class MemoryStore:
    """Runs, factors, strategies and journal entries, searchable by meaning and by numbers."""

    def __init__(self, config: MemoryConfig) -> None:
        self.config = config
        self._client: ClientAPI | None = None
        self._collections: dict[MemoryKind, Collection] = {}
        self._seen: str | None = None  # marker token as of our last look or our last write
        self._stale = False
        self._lock = threading.RLock()
        self._draining = False

    # -- connection -----------------------------------------------------------------

    def _connect(self) -> ClientAPI:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False)  # never phone home
        if self.config.host:
            logger.info("memory: connecting to Chroma at %s", self.config.location)
            try:  # the client says hello to the server on construction
                return chromadb.HttpClient(host=self.config.host, port=self.config.port, ssl=self.config.ssl,
                                           settings=settings)
            except Exception as exc:
                raise UnavailableError(f"memory: no Chroma server answers at {self.config.location} ({exc}); "
                                       "start it (`chroma run --path DIR --port PORT`), or unset TAORUI_CHROMA_URL "
                                       "(and TAORUI_CHROMA_HOST) to use the local store") from exc
        with _chroma_errors("open"):
            assert self.config.path is not None  # MemoryConfig guarantees path or host
            self.config.path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.config.path), settings=settings)

    def _marker(self) -> str | None:
        """Token of the last write through any MemoryStore on this local folder."""
        if self.config.path is None or self.config.host:
            return None
        try:
            return (self.config.path / _MARKER).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return None

    def _fresh_client(self) -> ClientAPI:
        """The client, reopened when another process wrote since we last looked."""
        if self._client is not None and (self._stale or self._seen != self._marker()):
            logger.debug("memory: another process wrote to %s; reopening", self.config.location)
            self.close()
        if self._client is None:
            self._client = self._connect()
            self._seen, self._stale = self._marker(), False
        return self._client

    def close(self) -> None:
        """Release the Chroma client (a later call reopens it)."""
        with self._lock:
            client, self._client = self._client, None
            self._collections = {}
            closer = getattr(client, "close", None)
            if callable(closer):
                closer()

    def _collection(self, kind: MemoryKind) -> Collection:
        """The collection of ``kind``, created with our model, refused if made with another.

        Runs queued by :meth:`defer_run` are indexed first, so every read sees them.
        """
        client = self._fresh_client()
        if kind not in self._collections:
            self._collections[kind] = self._open_collection(client, kind)
        self._drain_pending()
        return self._collections[kind]

    # -- runs indexed later -----------------------------------------------------------

    def _pending(self) -> PendingRuns | None:
        if self.config.path is None or self.config.host:
            return None
        return PendingRuns(self.config.path)

    def defer_run(self, folder: Path, notes: RunNotes | None = None) -> None:
        """Remember a run folder without opening Chroma now: it is indexed at the next access.

        For the answer's path (the graph's last node, the CLI after a command). With a Chroma
        server there is no local queue and the run is indexed at once.
        """
        pending = self._pending()
        if pending is None:
            from memory.hooks import record_run

            record_run(self, folder, notes)
            return
        pending.add(folder, notes)

    def index_pending(self) -> int:
        """Index the queued runs now (``taorui memory sync`` and tests); returns how many."""
        self._fresh_client()
        return self._drain_pending(force=True)

    def _drain_pending(self, force: bool = False) -> int:
        pending = self._pending()
        if pending is None or self._draining or (not force and not pending.waiting()):
            return 0
        from memory.hooks import record_run

        with self._lock:
            self._draining = True
            try:
                return pending.drain(lambda folder, notes: record_run(self, folder, notes))
            finally:
                self._draining = False

    def _open_collection(self, client: ClientAPI, kind: MemoryKind) -> Collection:
        from memory._chroma_ef import MiniLMEmbedding

        name = self.config.collection_prefix + kind
        meta = {"embedding_model": EMBEDDING_MODEL, "embedding_dim": EMBEDDING_DIM, "kind": kind}
        try:
            collection = client.get_or_create_collection(
                name, embedding_function=MiniLMEmbedding(),  # type: ignore[arg-type]
                metadata=meta, configuration={"hnsw": {"space": "cosine"}},
            )
        except ValueError as exc:
            if "embedding function" not in str(exc).lower():
                raise _translate(f"open collection {name}", exc) from exc
            raise _model_mismatch(name, self.config.location, str(exc)) from exc  # persisted EF differs
        except Exception as exc:
            raise _translate(f"open collection {name}", exc) from exc
        found = collection.metadata or {}
        if found.get("embedding_model") != EMBEDDING_MODEL or found.get("embedding_dim") != EMBEDDING_DIM:
            raise _model_mismatch(name, self.config.location,
                                  f"it records {found.get('embedding_model')} ({found.get('embedding_dim')}-d)")
        return collection

    def _written(self) -> None:
        """Leave a new marker token after our write (noting first whether someone else wrote)."""
        if self.config.path is None or self.config.host:
            return
        if self._marker() != self._seen:
            self._stale = True  # another process wrote since we looked: reopen before the next read
        token = f"{os.getpid()}-{uuid.uuid4().hex}"
        tmp = self.config.path / f"{_MARKER}.{os.getpid()}"
        tmp.write_text(token, encoding="ascii")
        os.replace(tmp, self.config.path / _MARKER)
        self._seen = token

    # -- writing --------------------------------------------------------------------

    def add(self, record: MemoryRecord) -> str:
        """Store ``record`` (insert or replace by its stable id) and return the id."""
        return self.add_many([record])[0]

    def add_many(self, records: Sequence[MemoryRecord]) -> list[str]:
        """Store many records in batches (one embedding pass per batch)."""
        ids = [r.record_id() for r in records]
        with self._lock:
            for kind, group in records_by_kind(records).items():
                self._upsert(kind, group)
        return ids

    def _upsert(self, kind: MemoryKind, records: list[MemoryRecord]) -> None:
        collection = self._collection(kind)
        unique = {r.record_id(): r for r in records}  # a repeated id in one batch keeps the last
        ids = list(unique)
        docs = [self._document(r) for r in unique.values()]
        metas: list[dict[str, MetaValue]] = [r.metadata() for r in unique.values()]
        step = self._batch_size(collection)
        for lo in range(0, len(ids), step):
            with _chroma_errors(f"add to {kind}"):
                collection.upsert(ids=ids[lo:lo + step], documents=docs[lo:lo + step],
                                  metadatas=metas[lo:lo + step])  # type: ignore[arg-type]
            self._written()
        logger.info("memory: stored %d %s record(s)", len(ids), kind)

    def _document(self, record: MemoryRecord) -> str:
        text = record.document()
        return bridge(text) if self.config.bilingual else text

    def _batch_size(self, collection: Collection) -> int:
        """Rows per upsert: Chroma's limit, capped so one embedding pass stays small."""
        with _chroma_errors("batch size"):
            return max(1, min(1024, int(collection._client.get_max_batch_size())))

    def delete(self, record_id: str) -> None:
        """Remove one record; an unknown id is a :class:`NotFoundError` (nothing changes)."""
        kind = _kind_or_raise(record_id)
        with self._lock:
            self.get(record_id)  # raises NotFoundError
            with _chroma_errors(f"delete {record_id}"):
                self._collection(kind).delete(ids=[record_id])
            self._written()

    # -- reading --------------------------------------------------------------------

    def get(self, record_id: str) -> MemoryItem:
        """One record by id, with its text, metadata and full typed record."""
        kind = _kind_or_raise(record_id)
        with self._lock, _chroma_errors(f"get {record_id}"):
            found = self._collection(kind).get(ids=[record_id], include=["documents", "metadatas"])
        if not found["ids"]:
            raise NotFoundError(f"no memory record {record_id!r} (search first: `taorui memory search`)")
        return _item(kind, found["ids"][0], (found["documents"] or [""])[0],
                     (found["metadatas"] or [{}])[0])

    def get_record(self, record_id: str) -> MemoryRecord:
        """The typed record (RunRecord, FactorRecord, ...) stored under ``record_id``."""
        item = self.get(record_id)
        return RECORD_TYPE_OF_KIND[item.kind].model_validate(item.record)

    def get_many(self, record_ids: Sequence[str]) -> dict[str, MemoryItem]:
        """The records among ``record_ids`` that exist (missing ones are simply absent)."""
        by_kind: dict[MemoryKind, list[str]] = {}
        for record_id in record_ids:
            by_kind.setdefault(_kind_or_raise(record_id), []).append(record_id)
        out: dict[str, MemoryItem] = {}
        with self._lock:
            for kind, ids in by_kind.items():
                with _chroma_errors(f"get from {kind}"):
                    found = self._collection(kind).get(ids=ids, include=["documents", "metadatas"])
                for rid, doc, meta in zip(found["ids"], found["documents"] or [], found["metadatas"] or [],
                                          strict=True):
                    out[rid] = _item(kind, rid, doc, meta)
        return out

    def search(self, query: str, kind: MemoryKind | None = None,
               where: str | dict[str, Any] | None = None, limit: int = 5) -> list[SearchHit]:
        """Records closest in meaning to ``query``, best first, optionally filtered.

        ``where`` is a filter such as ``"rank_icir>0.5 and universe=csi_syn"`` (see
        ``memory._where``) or a ready Chroma clause. With no ``kind``, every kind is searched
        and the results merged by score.
        """
        if not query.strip():
            raise InvalidArgumentError("search query is empty")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be 1..{MAX_LIMIT}, got {limit}")
        clause = parse_where(where) if isinstance(where, str) else where
        text = bridge(query) if self.config.bilingual else query
        from memory._embedding import embed

        vector = embed([text])[0]
        hits: list[SearchHit] = []
        with self._lock:
            for one in (kind,) if kind else KINDS:
                hits.extend(self._query(one, vector, clause, limit))
        return sorted(hits, key=lambda h: h.score, reverse=True)[:limit]

    def _query(self, kind: MemoryKind, vector: list[float], clause: dict[str, Any] | None,
               limit: int) -> list[SearchHit]:
        collection = self._collection(kind)
        with _chroma_errors(f"search {kind}"):  # an empty collection answers with no rows (no count() first)
            found = collection.query(query_embeddings=vector, n_results=limit, where=clause,
                                     include=["documents", "metadatas", "distances"])
        rows = zip(found["ids"][0], (found["documents"] or [[]])[0], (found["metadatas"] or [[]])[0],
                   (found["distances"] or [[]])[0], strict=True)
        return [SearchHit(id=rid, kind=kind, score=round(1.0 - float(dist), 6), text=doc,
                          metadata=_public(meta)) for rid, doc, meta, dist in rows]

    def recent(self, kind: MemoryKind | None = None, limit: int = 10) -> list[MemoryItem]:
        """The newest records (by the time of what they describe), newest first."""
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidArgumentError(f"limit must be 1..{MAX_LIMIT}, got {limit}")
        items: list[MemoryItem] = []
        with self._lock:
            for one in (kind,) if kind else KINDS:
                items.extend(self._recent(one, limit))
        items.sort(key=lambda i: float(i.metadata.get("ts", 0.0)), reverse=True)
        return items[:limit]

    def _recent(self, kind: MemoryKind, limit: int) -> list[MemoryItem]:
        """Read all rows of a small collection; widen a window back from now over a large one.

        Chroma has no ORDER BY, so a large collection is read a week at a time, then four
        times further back, until ``limit`` rows are in (at most 8 reads back to 1970).
        """
        collection = self._collection(kind)
        with _chroma_errors(f"recent {kind}"):
            total = collection.count()
            if total <= _SCAN_ALL:
                return self._rows(kind, collection, None)
            now, span = time.time(), 7 * 86_400.0
            while True:
                rows = self._rows(kind, collection, {"ts": {"$gte": now - span}})
                if len(rows) >= min(limit, total) or now - span < 0:
                    return rows
                span *= 4

    def _rows(self, kind: MemoryKind, collection: Collection, clause: dict[str, Any] | None) -> list[MemoryItem]:
        found = collection.get(where=clause, include=["documents", "metadatas"])
        return [_item(kind, rid, doc, meta) for rid, doc, meta in
                zip(found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True)]

    def stats(self) -> MemoryStats:
        """Records per kind, the backend and the embedding model."""
        with self._lock:
            counts: dict[MemoryKind, int] = {}
            for kind in KINDS:
                with _chroma_errors(f"count {kind}"):
                    counts[kind] = self._collection(kind).count()
        return MemoryStats(backend=self.config.backend, location=self.config.location,
                           embedding_model=EMBEDDING_MODEL, embedding_dim=EMBEDDING_DIM,
                           counts=counts, total=sum(counts.values()))

    # -- duplicates -----------------------------------------------------------------

    def factor_duplicates(self, record: FactorRecord, threshold: float = NEAR_DUPLICATE) -> DuplicateReport:
        """Stored factors with the same canonical form, or a near-identical description."""
        if not 0.0 < threshold <= 1.0:
            raise InvalidArgumentError(f"threshold must be in (0, 1], got {threshold}")
        key = record.canonical_key()
        with self._lock, _chroma_errors("factor duplicates"):
            same = self._rows("factors", self._collection("factors"), {"canonical_key": key})
        exact = tuple(DuplicateHit(id=i.id, text=i.text,
                                   reason=f"same canonical form {record.canonical!r}") for i in same)
        near = self._near_factors(record, threshold) if record.description.strip() else ()
        return DuplicateReport(exact=exact, near=near)

    def _near_factors(self, record: FactorRecord, threshold: float) -> tuple[DuplicateHit, ...]:
        """Candidates by meaning, then the description-to-description cosine decides."""
        from memory._embedding import embed

        candidates = [h.id for h in self.search(record.description, kind="factors", limit=10)
                      if h.metadata.get("canonical_key") != record.canonical_key()]
        stored = self.get_many(candidates)
        described = [(stored[i], str(stored[i].record.get("description") or "")) for i in candidates
                     if i in stored]
        described = [(item, text) for item, text in described if text.strip()]
        if not described:
            return ()
        mine, *theirs = embed([record.description] + [text for _, text in described])
        out = []
        for (item, text), vec in zip(described, theirs, strict=True):
            similarity = round(sum(a * b for a, b in zip(mine, vec, strict=True)), 4)
            if similarity >= threshold and _same_numbers(record.description, text):
                out.append(DuplicateHit(id=item.id, text=item.text, similarity=similarity,
                                        reason=f"description {similarity:.0%} similar"))
        return tuple(sorted(out, key=lambda h: h.similarity or 0.0, reverse=True))

    def strategy_duplicates(self, record: StrategyRecord) -> DuplicateReport:
        """Stored strategies with the same engine, name and parameters."""
        with self._lock, _chroma_errors("strategy duplicates"):
            same = self._rows("strategies", self._collection("strategies"),
                              {"strategy_key": record.strategy_key()})
        reason = f"same engine, name and parameters ({record.engine} {record.name})"
        return DuplicateReport(exact=tuple(DuplicateHit(id=i.id, text=i.text, reason=reason) for i in same))


def _same_numbers(one: str, other: str) -> bool:
    """Descriptions that both state numbers must state the same ones (20-day is not 60-day)."""
    mine, theirs = set(_NUMBER.findall(one)), set(_NUMBER.findall(other))
    return not (mine and theirs) or mine == theirs


def _model_mismatch(name: str, location: str, detail: str) -> InvalidInputError:
    return InvalidInputError(
        f"memory collection {name} at {location} was not embedded with {EMBEDDING_MODEL} "
        f"({EMBEDDING_DIM}-d): {detail}. Its vectors cannot be compared with ours; point "
        "TAORUI_HOME (or TAORUI_CHROMA_URL) at another store, or move this one away to rebuild it."
    )


def _kind_or_raise(record_id: str) -> MemoryKind:
    kind = kind_of_id(record_id)
    if kind is None:
        raise NotFoundError(
            f"not a memory id: {record_id!r} (ids look like run:..., factor:..., strategy:..., journal:...)"
        )
    return kind


def _public(meta: Any) -> dict[str, MetaValue]:
    """Metadata without the stored record JSON (shown separately), NaN-free."""
    return {k: v for k, v in dict(meta or {}).items()
            if k != "record" and not (isinstance(v, float) and not math.isfinite(v))}


def _record_of(meta: Any) -> dict[str, JsonValue]:
    import json

    raw = dict(meta or {}).get("record")
    return json.loads(raw) if isinstance(raw, str) else {}


def _item(kind: MemoryKind, record_id: str, document: str | None, meta: Any) -> MemoryItem:
    return MemoryItem(id=record_id, kind=kind, text=document or "", metadata=_public(meta),
                      record=_record_of(meta))
