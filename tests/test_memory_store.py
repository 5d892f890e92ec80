"""The memory store, on real Chroma with the real embedding model.

The contract tests run against both backends: a local persistent folder and a Chroma
server started for this module (``chroma run``, on localhost). The process tests (another
process writes, a writer is killed) and the model-mismatch test are about the local folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from memory import EMBEDDING_MODEL, MemoryConfig, MemoryStore, RunRecord
from taorui_engines.errors import InvalidArgumentError, InvalidInputError, NotFoundError, UnavailableError

from .test_memory_records import factor, journal, run, strategy

CHROMA = Path(sys.executable).with_name("chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Chroma server on localhost for this module; yields its port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("chroma-server") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([str(CHROMA), "run", "--path", str(log.parent / "db"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, proc, log)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError("chroma server did not answer within 120 s")


@pytest.fixture(params=["local", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MemoryStore]:
    """A fresh store on each backend (the server store gets its own collection names)."""
    if request.param == "local":
        config = MemoryConfig(path=tmp_path / "memory")
    else:
        port = request.getfixturevalue("chroma_server")
        config = MemoryConfig(host="127.0.0.1", port=port, collection_prefix=f"t{uuid.uuid4().hex[:12]}_")
    memory = MemoryStore(config)
    yield memory
    memory.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[MemoryStore]:
    memory = MemoryStore(MemoryConfig(path=tmp_path / "memory"))
    yield memory
    memory.close()


# -- contract: both backends -------------------------------------------------------------


def test_adding_the_same_record_twice_keeps_one(store: MemoryStore) -> None:
    first = store.add(factor())
    second = store.add(factor("$close / Ref($close, 20) - 1"))

    assert first == second
    assert store.stats().counts["factors"] == 1


def test_get_gives_back_the_typed_record(store: MemoryStore) -> None:
    record = strategy()
    store.add(record)

    item = store.get(record.record_id())

    assert item.kind == "strategies" and "sma_cross" in item.text
    assert item.metadata["oos_sharpe"] == 0.5 and "record" not in item.metadata
    assert store.get_record(record.record_id()) == record


def test_search_finds_by_meaning_and_filters_by_numbers(store: MemoryStore) -> None:
    strong = factor()
    weak = factor("Std($close/Ref($close,1)-1,20)", name="VOL20", description="20-day volatility of returns",
                  rank_icir=0.2, status="rejected")
    store.add_many([strong, weak, run(), journal()])

    best = store.search("price volatility factor", limit=1)
    filtered = store.search("price volatility factor", where="rank_icir>0.5", limit=5)

    assert best[0].id == weak.record_id() and 0 < best[0].score <= 1
    assert [h.id for h in filtered] == [strong.record_id()]


def test_search_in_one_kind_returns_only_that_kind(store: MemoryStore) -> None:
    store.add_many([factor(), strategy(), run(), journal()])

    hits = store.search("gold", kind="journal", limit=10)

    assert [h.kind for h in hits] == ["journal"]


def test_recent_lists_newest_first(store: MemoryStore) -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    runs = [run(f"train_rl-2025010{i}T000000-aaaaa{i}", started=t0 + timedelta(days=i)) for i in range(3)]
    store.add_many(runs)
    store.add(journal(time=t0 + timedelta(days=1, hours=1)))

    ids = [i.id for i in store.recent(limit=3)]

    assert ids == [runs[2].record_id(), "journal:audit-17", runs[1].record_id()]


def test_delete_removes_only_that_record(store: MemoryStore) -> None:
    keep, drop = factor(), factor(universe="SP500")
    store.add_many([keep, drop])

    store.delete(drop.record_id())

    assert store.stats().counts["factors"] == 1
    with pytest.raises(NotFoundError):
        store.get(drop.record_id())
    assert store.get(keep.record_id()).id == keep.record_id()


def test_deleting_an_unknown_id_is_not_found_and_changes_nothing(store: MemoryStore) -> None:
    store.add(factor())

    with pytest.raises(NotFoundError):
        store.delete("factor:0000000000000000")
    with pytest.raises(NotFoundError, match="not a memory id"):
        store.delete("nonsense")
    assert store.stats().total == 1


def test_same_canonical_form_is_an_exact_factor_duplicate(store: MemoryStore) -> None:
    stored = factor()
    store.add(stored)

    report = store.factor_duplicates(factor("$close / Ref($close, 20) - 1", universe="SP500", description=""))

    assert [h.id for h in report.exact] == [stored.record_id()]
    assert "canonical form" in report.exact[0].reason and report.is_duplicate


def test_near_identical_description_is_reported_as_a_near_duplicate(store: MemoryStore) -> None:
    stored = factor(description="20-day price momentum: return over the last 20 days")
    other = factor("Std($close/Ref($close,1)-1,20)", description="20-day volatility of daily returns")
    store.add_many([stored, other])

    report = store.factor_duplicates(
        factor("$close/Ref($close,20)", description="momentum of the price over the last 20 days")
    )

    assert report.exact == ()
    assert [h.id for h in report.near] == [stored.record_id()]
    assert report.near[0].similarity is not None and report.near[0].similarity >= 0.82


def test_same_words_with_another_window_is_not_a_near_duplicate(store: MemoryStore) -> None:
    store.add(factor(description="20-day price momentum"))

    report = store.factor_duplicates(factor("$close/Ref($close,60)-1", description="60-day price momentum"))

    assert not report.is_duplicate


def test_same_engine_name_and_parameters_is_a_strategy_duplicate(store: MemoryStore) -> None:
    stored = strategy()
    store.add(stored)

    same = store.strategy_duplicates(strategy(universe="WTI", test_span=None))
    other = store.strategy_duplicates(strategy(parameters={"fast": 5, "slow": 50}))

    assert [h.id for h in same.exact] == [stored.record_id()]
    assert not other.is_duplicate


def test_bad_filter_or_limit_is_refused(store: MemoryStore) -> None:
    store.add(factor())

    with pytest.raises(InvalidArgumentError, match="needs a number"):
        store.search("momentum", where="status>accepted")
    with pytest.raises(InvalidArgumentError, match="limit"):
        store.search("momentum", limit=0)
    with pytest.raises(InvalidArgumentError, match="empty"):
        store.search("  ")


# -- local folder: processes, crashes, model identity --------------------------------------

_WRITER = """
import sys
from datetime import UTC, datetime
from memory import JournalRecord, MemoryConfig, MemoryStore
store = MemoryStore(MemoryConfig(path=sys.argv[1]))
for i in range(int(sys.argv[2])):
    rid = store.add(JournalRecord(event_id=f"fill-{i}", event="fill", time=datetime(2025, 1, 1, tzinfo=UTC),
                                  symbol="GOLD", side="buy", quantity=i + 1, price=2000.0,
                                  text=f"paper fill number {i} of gold"))
    print(rid, flush=True)
"""


def _writer(path: Path, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(count)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def test_records_written_by_another_process_are_found_here_even_after_searching(local: MemoryStore) -> None:
    local.add(factor())
    assert local.search("paper fill of gold", kind="journal") == []  # this process now holds an index

    writer = _writer(local.config.path, 2)  # type: ignore[arg-type]
    assert writer.wait(timeout=300) == 0

    hits = local.search("paper fill of gold", kind="journal", limit=5)
    assert {h.id for h in hits} == {"journal:fill-0", "journal:fill-1"}


def test_store_survives_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "memory"
    writer = _writer(path, 10_000)
    assert writer.stdout is not None
    written = [writer.stdout.readline().strip() for _ in range(5)]
    os.kill(writer.pid, signal.SIGKILL)  # mid-loop: a write may be half done
    writer.wait(timeout=60)

    reopened = MemoryStore(MemoryConfig(path=path))
    found = reopened.get_many(written)
    hits = reopened.search("paper fill of gold", kind="journal", limit=100)
    reopened.add(factor())

    assert set(found) == set(written)
    assert set(written) <= {h.id for h in hits}
    assert reopened.stats().counts["factors"] == 1
    reopened.close()


def test_store_embedded_with_another_model_is_refused(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(tmp_path / "memory"), settings=Settings(anonymized_telemetry=False))
    client.create_collection("taorui_factors", embedding_function=None,
                             metadata={"embedding_model": "some/other-model", "embedding_dim": 768})
    client.close()  # type: ignore[attr-defined]
    store = MemoryStore(MemoryConfig(path=tmp_path / "memory"))

    with pytest.raises(InvalidInputError, match="not embedded with") as caught:
        store.search("momentum", kind="factors")
    assert EMBEDDING_MODEL in caught.value.message and "some/other-model" in caught.value.message
    store.close()


def test_unreachable_server_is_unavailable_not_a_crash() -> None:
    store = MemoryStore(MemoryConfig(host="127.0.0.1", port=_free_port()))

    with pytest.raises(UnavailableError, match="no Chroma server answers"):
        store.stats()


def test_english_query_finds_a_run_instructed_in_chinese(local: MemoryStore) -> None:
    chinese = run("train_rl-20250107T000000-zh0001", instruction="用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议",
                  config={}, metrics={})
    others = [run(f"backtest-20250108T00000{i}-en000{i}", run_kind="backtest", instruction=text, config={},
                  metrics={}) for i, text in enumerate(["backtest an SMA crossover on the S&P 500",
                                                        "mine volume factors on the synthetic universe",
                                                        "train a LightGBM model on csi_syn"])]
    local.add_many([chinese, *others])

    hits = local.search("gold reinforcement learning strategy", kind="runs", limit=1)

    assert hits[0].id == chinese.record_id()


def test_recent_over_a_large_collection_reads_back_in_time_windows(local: MemoryStore,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("memory._store._SCAN_ALL", 2)  # treat 5 records as "large"
    now = datetime.now(UTC)
    ages = [timedelta(days=d) for d in (0, 3, 40, 400, 4000)]
    local.add_many([journal(f"e{i}", time=now - age) for i, age in enumerate(ages)])

    newest = [i.id for i in local.recent(kind="journal", limit=3)]
    every = [i.id for i in local.recent(kind="journal", limit=10)]

    assert newest == ["journal:e0", "journal:e1", "journal:e2"]
    assert every == [f"journal:e{i}" for i in range(5)]


def test_a_rebuilt_run_record_keeps_its_id_and_replaces_the_old_state(local: MemoryStore) -> None:
    local.add(run(state="running", metrics={}))
    local.add(run(state="failed", error="out of memory", metrics={}))

    record = local.get_record(run().record_id())

    assert isinstance(record, RunRecord) and record.state == "failed" and record.error == "out of memory"
    assert local.stats().counts["runs"] == 1


def test_factor_window_dates_are_kept_as_dates(local: MemoryStore) -> None:
    record = factor(start=date(2019, 1, 2), end=date(2019, 12, 31))
    local.add(record)

    assert local.get(record.record_id()).metadata["start"] == "2019-01-02"


def test_the_numpy_encoder_gives_sentence_transformers_vectors() -> None:
    """Recall embeds with numpy (no torch in the answer's path); its vectors are the model's."""
    import sys

    import numpy as np
    from sentence_transformers import SentenceTransformer

    from memory._embedding import BULK, embed, model_path

    texts = ["train a gold RL strategy and tell me what to do next week", "用最近5年黄金价格训练一个强化学习策略",
             "Factor: 20-day mean of $close / $close. Accepted: passes every rule.", "", "x " * 400, "PPO"]
    reference = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True).encode(
        texts, normalize_embeddings=True, convert_to_numpy=True)
    assert np.abs(np.asarray(embed(texts), dtype=np.float32) - reference).max() < 1e-5
    # A bulk batch goes to torch; the two runtimes agree, so one store holds both.
    bulk = [f"run {i}: ppo on GOLD, seed {i}" for i in range(BULK + 1)]
    from memory._minilm import NumpyMiniLM

    light = NumpyMiniLM(model_path()).encode(bulk[:40])
    assert np.abs(np.asarray(embed(bulk)[:40], dtype=np.float32) - light).max() < 1e-5
    assert "sentence_transformers" in sys.modules


def test_recall_in_a_fresh_process_loads_no_torch(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom memory import MemoryConfig, MemoryStore\n"
            f"store = MemoryStore(MemoryConfig(path={str(tmp_path / 'mem')!r}))\n"
            "store.search('gold strategy returns')\n"
            "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
