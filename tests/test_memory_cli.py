"""``taorui memory search|show|stats|sync`` and the agents' memory tools, as callers use them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memory import MemoryConfig, MemoryStore
from taorui.cli import main
from taorui_engines.data import DataCenter
from tools._context import ToolContext
from tools.memory_tools import RECALL_RUN, SEARCH_MEMORY
from tools.registry import all_tools

from .test_memory_hooks import make_run
from .test_memory_records import factor, journal, run, strategy

WEAK = factor("Std($close/Ref($close,1)-1,20)", name="VOL20", description="20-day volatility of daily returns",
              rank_icir=0.2, status="rejected", reason="too weak")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A memory folder holding a few records, written once per module."""
    path = tmp_path_factory.mktemp("seeded") / "memory"
    store = MemoryStore(MemoryConfig(path=path))
    store.add_many([factor(), WEAK, strategy(), run(), journal()])
    store.close()
    return path


@pytest.fixture
def home(tmp_path: Path, seeded: Path) -> Path:
    """A TAORUI_HOME with its own copy of the seeded memory (memory needs no market data)."""
    shutil.copytree(seeded, tmp_path / "memory")
    return tmp_path


def cli_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--home", str(home), *argv, "--json"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one JSON object, got {lines!r}"
    return code, json.loads(lines[0])


def test_search_prints_results_with_id_kind_score_text_metadata(home: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = cli_json(home, capsys, "memory", "search", "momentum factor", "--kind", "factors",
                             "--where", "rank_icir>0.5", "--limit", "3")

    assert code == 0 and list(payload) == ["results"]
    (hit,) = payload["results"]
    assert set(hit) == {"id", "kind", "score", "text", "metadata"}
    assert hit["id"] == factor().record_id() and hit["kind"] == "factors"
    assert hit["metadata"]["rank_icir"] == 0.62 and 0 < hit["score"] <= 1


def test_search_without_kind_merges_all_kinds_by_score(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = cli_json(home, capsys, "memory", "search", "gold", "--limit", "5")

    scores = [h["score"] for h in payload["results"]]
    assert code == 0 and len(scores) == 5 and scores == sorted(scores, reverse=True)
    assert {h["kind"] for h in payload["results"]} == {"factors", "strategies", "runs", "journal"}


def test_show_prints_the_record_and_its_metadata(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = cli_json(home, capsys, "memory", "show", strategy().record_id())

    assert code == 0 and payload["kind"] == "strategies"
    assert payload["record"]["parameters"] == {"fast": 10, "slow": 50}
    assert payload["metadata"]["oos_sharpe"] == 0.5


def test_stats_counts_each_kind(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = cli_json(home, capsys, "memory", "stats")

    assert code == 0 and payload["total"] == 5 and payload["backend"] == "local"
    assert payload["counts"] == {"runs": 1, "factors": 2, "strategies": 1, "journal": 1}
    assert payload["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2" and payload["embedding_dim"] == 384


def test_sync_indexes_run_folders_memory_lacks(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_run(home / "runs", state="failed", error="no data for WTI")

    code, payload = cli_json(home, capsys, "memory", "sync")

    assert code == 0 and payload["indexed"] == [f"run:{folder.run_id}"]


@pytest.mark.parametrize(
    ("argv", "error_type"),
    [
        (["search", "x", "--where", "rank_icir>>1"], "InvalidArgument"),
        (["search", "x", "--limit", "0"], "InvalidArgument"),
        (["search", "x", "--kind", "trades"], "InvalidArgument"),
        (["show", "factor:0000000000000000"], "NotFound"),
        (["show", "garbage"], "NotFound"),
    ],
)
def test_bad_input_exits_2_with_a_json_error(home: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                             error_type: str) -> None:
    code, payload = cli_json(home, capsys, "memory", *argv)

    assert code == 2 and payload["error"]["type"] == error_type and payload["error"]["message"]


def test_another_process_finds_what_this_one_wrote(home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAORUI_")}
    env["TAORUI_HOME"] = str(home)
    taorui = Path(sys.executable).with_name("taorui")

    proc = subprocess.run([str(taorui), "memory", "search", "how volatile are returns", "--kind", "factors",
                           "--limit", "1", "--json"], env=env, capture_output=True, text=True, timeout=300)

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["id"] == WEAK.record_id()


# -- tools -------------------------------------------------------------------------------


@pytest.fixture
def ctx(home: Path) -> Iterator[ToolContext]:
    store = MemoryStore(MemoryConfig(path=home / "memory"))
    yield ToolContext(data=DataCenter(home / "data"), runs_dir=home / "runs", state_dir=home / "state",
                      memory=store)
    store.close()


def test_memory_tools_are_registered_as_read_tools() -> None:
    tools = all_tools()

    assert tools["search_memory"].kind == "read" and tools["recall_run"].kind == "read"


def test_search_memory_tool_returns_filtered_hits(ctx: ToolContext) -> None:
    outcome = SEARCH_MEMORY.invoke({"query": "momentum", "kind": "factors", "where": "status=accepted"}, ctx)

    assert outcome.ok and outcome.result is not None
    assert [h["id"] for h in outcome.result["results"]] == [factor().record_id()]


def test_search_memory_tool_reports_a_bad_filter_as_an_error_the_model_can_read(ctx: ToolContext) -> None:
    outcome = SEARCH_MEMORY.invoke({"query": "momentum", "where": "rank_icir > high"}, ctx)

    assert not outcome.ok and outcome.error is not None
    assert outcome.error.type == "InvalidArgument" and "needs a number" in outcome.error.message


def test_search_memory_tool_refuses_unknown_kinds_and_large_limits(ctx: ToolContext) -> None:
    assert SEARCH_MEMORY.invoke({"query": "x", "kind": "trades"}, ctx).ok is False
    assert SEARCH_MEMORY.invoke({"query": "x", "limit": 500}, ctx).ok is False


def test_recall_run_tool_returns_a_remembered_run(ctx: ToolContext) -> None:
    outcome = RECALL_RUN.invoke({"run_id": run().run_id}, ctx)

    assert outcome.ok and outcome.result is not None
    assert outcome.result["source"] == "memory" and outcome.result["record"]["metrics"]["sharpe"] == 1.1


def test_recall_run_tool_reads_a_folder_memory_lacks_without_writing(ctx: ToolContext) -> None:
    folder = make_run(ctx.runs_dir, state="failed", error="reward became NaN")

    outcome = RECALL_RUN.invoke({"run_id": f"run:{folder.run_id}"}, ctx)

    assert outcome.ok and outcome.result is not None and outcome.result["source"] == "run_folder"
    assert outcome.result["record"]["error"] == "reward became NaN"
    assert ctx.require_memory().stats().counts["runs"] == 1  # still only the run the fixture stored


def test_recall_run_tool_says_how_to_find_an_unknown_run(ctx: ToolContext) -> None:
    outcome = RECALL_RUN.invoke({"run_id": "train_rl-19990101T000000-000000"}, ctx)

    assert not outcome.ok and outcome.error is not None
    assert outcome.error.type == "NotFound" and "search_memory" in outcome.error.message


def test_tools_without_memory_say_it_is_not_configured(tmp_path: Path) -> None:
    bare = ToolContext(data=DataCenter(tmp_path / "data"), runs_dir=tmp_path / "runs", state_dir=tmp_path / "s")

    outcome = SEARCH_MEMORY.invoke({"query": "gold"}, bare)

    assert not outcome.ok and outcome.error is not None and outcome.error.type == "Unavailable"
