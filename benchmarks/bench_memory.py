"""Memory benchmark: add and search latency (p50, p99) with 1k, 10k and 100k records stored.

What is timed goes through the public API end to end: ``store.add(record)`` embeds one new
document with all-MiniLM-L6-v2 and upserts it into the local Chroma store;
``store.search(query)`` embeds the query and asks Chroma (with and without a metadata
filter). The vector-only search time (Chroma alone, query vector given) is shown too, and
the baseline a user of chromadb alone would have: the same model embeds the query, then one
``collection.query`` (with the same filter), called alternately with ours on the same queries.

Filling a store with 100k records through the model would take hours on a shared 2-core
CPU, so the *filler* records get vectors made from a pool of real embeddings: each filler is
a distinct factor record (its own text, metadata and record JSON) whose vector is a pool
vector of a similar text plus a little noise, renormalised. The timed operations are
never given precomputed vectors.

Run: .venv/bin/python benchmarks/bench_memory.py [--levels 1000,10000,100000] [--pool 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402
from memory import FactorRecord, MemoryConfig, MemoryStore  # noqa: E402
from memory._embedding import embed  # noqa: E402
from memory._where import parse_where  # noqa: E402

WORDS = ("momentum", "reversal", "volatility", "volume", "liquidity", "skewness", "trend", "range", "gap",
         "correlation", "drawdown", "turnover", "breakout", "mean", "spread", "beta", "value", "size")
FIELDS = ("$close", "$open", "$high", "$low", "$volume", "$vwap")
QUERIES = ("short term reversal factor", "20-day momentum that worked", "volume based liquidity signal",
           "factors rejected for low rank IC", "volatility of daily returns", "overnight gap",
           "trend following over a quarter", "correlation of price and volume", "high low range", "skewness")
ADDS, SEARCHES = 50, 100


def make_record(i: int, rng: random.Random) -> FactorRecord:
    """A distinct, plausible factor record."""
    window = rng.choice((5, 10, 20, 40, 60, 120, 250))
    field, other = rng.sample(FIELDS, 2)
    words = " ".join(rng.sample(WORDS, 3))
    return FactorRecord(
        name=f"F{i}", expression=f"Mean({field}/Ref({other},{window % 7 + 1})-1,{window})",
        description=f"{window}-day {words} factor number {i}", universe=rng.choice(("csi_syn", "SP500", "NASDAQ")),
        start=date(1990, 1, 1) + timedelta(days=i % 10_000),  # (start, end) unique per i: one id each
        end=date(2023, 1, 1) + timedelta(days=i // 10_000), horizon=rng.choice((1, 5, 20)),
        rank_ic=round(rng.uniform(-0.05, 0.08), 4), rank_icir=round(rng.uniform(-0.5, 1.2), 3),
        status=rng.choice(("accepted", "rejected")), reason="benchmark filler",
        created=datetime(2025, 1, 1, tzinfo=UTC),
    )


def pool_vectors(size: int, rng: random.Random) -> tuple[np.ndarray, float]:
    """Real embeddings of ``size`` distinct documents, and the model's documents per second."""
    docs = [make_record(10_000_000 + i, rng).document() for i in range(size)]
    start = time.perf_counter()
    vectors = np.asarray(embed(docs), dtype=np.float32)
    return vectors, size / (time.perf_counter() - start)


def fill(store: MemoryStore, pool: np.ndarray, start: int, stop: int, rng: random.Random) -> float:
    """Add filler records start..stop with pool-derived vectors; returns records per second."""
    collection = store._collection("factors")  # noqa: SLF001 - filler only: timed adds use store.add
    noise = np.random.default_rng(start)
    began = time.perf_counter()
    for lo in range(start, stop, 1000):
        records = [make_record(i, rng) for i in range(lo, min(stop, lo + 1000))]
        base = pool[[i % len(pool) for i in range(lo, lo + len(records))]]
        vecs = base + noise.normal(0, 0.02, base.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        collection.upsert(ids=[r.record_id() for r in records], embeddings=vecs,
                          documents=[r.document() for r in records], metadatas=[r.metadata() for r in records])
    store._written()  # noqa: SLF001
    return (stop - start) / (time.perf_counter() - began)


def timed(fn: object, calls: list[tuple]) -> list[float]:
    """Milliseconds per call of ``fn(*args)`` for each args tuple."""
    out = []
    for args in calls:
        began = time.perf_counter()
        fn(*args)  # type: ignore[operator]
        out.append((time.perf_counter() - began) * 1000)
    return out


def timed_pair(ours: object, bare: object, calls: list[tuple]) -> tuple[list[float], list[float]]:
    """Like :func:`timed` for two functions called alternately on the same args, so the machine's
    load and caches are shared alike between ours and its baseline."""
    a, b = [], []
    for args in calls:
        a += timed(ours, [args])
        b += timed(bare, [args])
    return a, b


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(store: MemoryStore, level: int, rng: random.Random) -> dict[str, list[float]]:
    """Timed adds (new records) and searches at the current size."""
    new = [make_record(50_000_000 + level + i, rng) for i in range(ADDS)]
    queries = [rng.choice(QUERIES) + f" {rng.choice(WORDS)}" for _ in range(SEARCHES)]
    vectors = embed(queries)
    collection = store._collection("factors")  # noqa: SLF001
    where = parse_where("rank_icir>0.5")
    include: list[Any] = ["documents", "metadatas", "distances"]
    # What a user of chromadb alone would run: the same model embeds the query, then one query.
    search, bare = timed_pair(lambda q: store.search(q, kind="factors", limit=5),
                              lambda q: collection.query(query_embeddings=embed([q])[0], n_results=5, include=include),
                              [(q,) for q in queries])
    filtered, bare_filtered = timed_pair(
        lambda q: store.search(q, kind="factors", where="rank_icir>0.5", limit=5),
        lambda q: collection.query(query_embeddings=embed([q])[0], n_results=5, where=where, include=include),
        [(q,) for q in queries])
    result = {
        "add": timed(store.add, [(r,) for r in new]),
        "search": search,
        "search + filter": filtered,
        "vector query (Chroma only)": timed(lambda v: collection.query(query_embeddings=[v], n_results=5),
                                            [(v,) for v in vectors]),
        "bare chromadb: embed + query": bare,
        "bare chromadb: embed + query + filter": bare_filtered,
    }
    for r in new:
        store.delete(r.record_id())  # keep the level exact
    return result


#: Our operation -> the bare chromadb run it is compared with.
_BARE = {"search": "bare chromadb: embed + query", "search + filter": "bare chromadb: embed + query + filter"}


def table(rows: list[tuple[int, str, list[float]]]) -> str:
    lines = ["| records | operation | p50 (ms) | p99 (ms) | n | vs bare chromadb (p50) |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    by = {(level, name): values for level, name, values in rows}
    for level, name, values in rows:
        bare = by.get((level, _BARE.get(name, "")))
        ratio = f"{p(values, 50) / p(bare, 50):.2f}x" if bare else ""
        lines.append(f"| {level:,} | {name} | {p(values, 50):.1f} | {p(values, 99):.1f} | {len(values)} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="1000,10000,100000")
    parser.add_argument("--pool", type=int, default=1000, help="distinct real embeddings behind the fillers")
    parser.add_argument("--note", default="", help="a line added to the report (e.g. machine load)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    rng = random.Random(7)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = MemoryStore(MemoryConfig(path=Path(tmp) / "memory"))
        embed(["warm up the model"])
        pool, docs_per_s = pool_vectors(args.pool, rng)
        rows: list[tuple[int, str, list[float]]] = []
        fills: list[str] = []
        stored = 0
        loads = [os.getloadavg()[0]]
        for level in levels:
            rate = fill(store, pool, stored, level, rng)
            fills.append(f"{stored:,}->{level:,}: {rate:,.0f} records/s")
            stored = level
            assert store.stats().counts["factors"] == level
            loads.append(os.getloadavg()[0])
            rows += [(level, name, values) for name, values in measure(store, level, rng).items()]
            loads.append(os.getloadavg()[0])
            print(f"measured at {level:,}", flush=True)
        store.close()
    total = time.perf_counter() - began
    body = "\n".join([
        table(rows), "",
        f"- timed: {ADDS} adds of new records and {SEARCHES} searches per level (p99 of {ADDS} is near the max).",
        f"- embedding throughput of the model on this machine: {docs_per_s:.0f} documents/s "
        "(so a 100k fill through the model would take "
        f"{100_000 / docs_per_s / 60:.0f} min); fillers used {args.pool} real embeddings plus noise.",
        f"- filler upserts (Chroma only, batches of 1000): {'; '.join(fills)}.",
        f"- whole benchmark: {total / 60:.1f} min; 1-minute load average during it "
        f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores (this benchmark itself is about 1; "
        "the rest is other jobs on a shared machine).",
        *([f"- {args.note}"] if args.note else []),
    ])
    print(body)
    write_section("memory", "Memory: add and search latency (Chroma + all-MiniLM-L6-v2, local store)", body)


if __name__ == "__main__":
    main()
