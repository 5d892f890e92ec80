"""From run folders to memory: records of done and failed runs, sync, and the CLI hook."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrails import AUDIT_FILE, AuditKind, AuditLog
from memory import (
    MemoryConfig,
    MemoryStore,
    RunNotes,
    RunRecord,
    journal_record,
    mirror_audit,
    record_run,
    run_record,
    sync_runs,
)
from taorui.cli import main
from taorui.wiring import AppContext
from taorui_engines.errors import InvalidDataError, InvalidInputError
from taorui_engines.runs import RunFolder


def make_run(runs_dir: Path, kind: str = "train_rl", state: str = "done", error: str | None = None,
             config: dict[str, object] | None = None, metrics: dict[str, object] | None = None) -> RunFolder:
    """A run folder as an engine leaves it."""
    folder = RunFolder.create(runs_dir, kind, config or {"symbol": "GOLD", "algo": "ppo"})
    if metrics is not None:
        folder.write_metrics(metrics)
    if state == "done":
        folder.finish()
    elif state == "failed":
        folder.fail(error or "boom")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MemoryStore]:
    memory = MemoryStore(MemoryConfig(path=tmp_path / "memory"))
    yield memory
    memory.close()


def test_done_run_becomes_a_record_with_its_config_and_flat_metrics(tmp_path: Path) -> None:
    folder = make_run(tmp_path / "runs", metrics={"test": {"sharpe": 1.3, "annual_return": 0.12},
                                                  "trades": 14, "summary": "long gold next week"})

    record = run_record(folder.path)

    assert record.run_id == folder.run_id and record.run_kind == "train_rl" and record.state == "done"
    assert record.metrics == {"test_sharpe": 1.3, "test_annual_return": 0.12, "trades": 14.0}
    assert record.config == {"symbol": "GOLD", "algo": "ppo"} and record.run_dir == str(folder.path.resolve())
    assert record.notes == "long gold next week" and record.finished is not None


def test_failed_run_is_recorded_as_failed_with_the_reason(tmp_path: Path) -> None:
    folder = make_run(tmp_path / "runs", state="failed", error="benchmark SH000300 is not in the store")

    record = run_record(folder.path)

    assert record.state == "failed" and record.error == "benchmark SH000300 is not in the store"
    assert "Failed: benchmark SH000300 is not in the store" in record.document()


def test_folder_without_status_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()

    with pytest.raises(InvalidDataError, match="not a run folder"):
        run_record(tmp_path / "x")


def test_sync_indexes_new_folders_once(store: MemoryStore, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    a, b = make_run(runs), make_run(runs, kind="backtest", state="failed", error="no data")

    first = sync_runs(store, runs)
    second = sync_runs(store, runs)

    assert set(first.indexed) == {f"run:{a.run_id}", f"run:{b.run_id}"}
    assert second.indexed == () and second.up_to_date == 2
    assert store.stats().counts["runs"] == 2
    assert store.get(f"run:{b.run_id}").metadata["state"] == "failed"


def test_sync_updates_a_run_that_finished_since_it_was_indexed(store: MemoryStore, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = make_run(runs, state="running")
    sync_runs(store, runs)
    folder.write_metrics({"sharpe": 0.9})
    folder.finish()

    report = sync_runs(store, runs)

    assert report.indexed == (f"run:{folder.run_id}",)
    assert store.get(f"run:{folder.run_id}").metadata["sharpe"] == 0.9


def test_sync_keeps_what_the_agent_added_when_the_state_changes(store: MemoryStore, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    folder = make_run(runs, state="running")
    record_run(store, folder.path, RunNotes(instruction="train a gold RL strategy", agent="strategy_advisor",
                                            tools_called=("train_rl_agent",)))
    folder.fail("killed")

    sync_runs(store, runs)

    stored = store.get_record(f"run:{folder.run_id}")
    assert isinstance(stored, RunRecord) and stored.instruction == "train a gold RL strategy"
    assert stored.state == "failed" and stored.tools_called == ("train_rl_agent",)


def test_unreadable_folders_are_skipped_and_listed_not_guessed(store: MemoryStore, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    good = make_run(runs)
    bad = make_run(runs, kind="backtest")
    (bad.path / "metrics.json").write_text("{not json")

    report = sync_runs(store, runs)

    assert report.indexed == (f"run:{good.run_id}",)
    assert [run_id for run_id, _ in report.skipped] == [bad.run_id]
    assert "not readable JSON" in report.skipped[0][1]


def test_sync_of_a_missing_runs_folder_does_nothing(store: MemoryStore, tmp_path: Path) -> None:
    report = sync_runs(store, tmp_path / "nowhere")

    assert report.indexed == () and report.up_to_date == 0 and report.skipped == ()


# -- the CLI hook: a fake engine command group registered for these tests ------------------


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """A command group that leaves run folders behind, like the engines' commands do."""
    group = sub.add_parser("fakeengine")
    cmds = group.add_subparsers(dest="cmd", required=True, parser_class=type(group))
    cmds.add_parser("ok").set_defaults(func=_cmd_ok)
    cmds.add_parser("boom").set_defaults(func=_cmd_boom)
    cmds.add_parser("noop").set_defaults(func=lambda args, ctx: 0)
    cmds.add_parser("trade").set_defaults(func=_cmd_trade)


def _cmd_ok(args: argparse.Namespace, ctx: AppContext) -> int:
    make_run(ctx.settings.runs_dir, kind="backtest", metrics={"sharpe": 0.7})
    return 0


def _cmd_boom(args: argparse.Namespace, ctx: AppContext) -> int:
    folder = make_run(ctx.settings.runs_dir, kind="backtest", state="running")
    folder.fail("benchmark missing")
    raise InvalidInputError("benchmark missing")


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    import taorui.cli

    monkeypatch.setattr(taorui.cli, "GROUPS", (*taorui.cli.GROUPS, __name__))


def _runs_remembered(home: Path) -> list[RunRecord]:
    memory = MemoryStore(MemoryConfig(path=home / "memory"))
    records = [RunRecord.model_validate(i.record) for i in memory.recent(kind="runs", limit=100)]
    memory.close()
    return records


@pytest.mark.usefixtures("fake_engine")
def test_cli_indexes_the_run_a_command_created(tmp_path: Path) -> None:
    assert main(["--home", str(tmp_path), "fakeengine", "ok"]) == 0

    (record,) = _runs_remembered(tmp_path)
    assert record.run_kind == "backtest" and record.state == "done" and record.metrics == {"sharpe": 0.7}


@pytest.mark.usefixtures("fake_engine")
def test_cli_indexes_a_failed_run_even_when_the_command_fails(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(tmp_path), "fakeengine", "boom"]) == 2

    (record,) = _runs_remembered(tmp_path)
    assert record.state == "failed" and record.error == "benchmark missing"
    assert "benchmark missing" in capsys.readouterr().err


@pytest.mark.usefixtures("fake_engine")
def test_cli_does_not_open_memory_when_no_run_was_created(tmp_path: Path) -> None:
    assert main(["--home", str(tmp_path), "fakeengine", "noop"]) == 0

    assert not (tmp_path / "memory").exists()


# -- the journal mirror of the audit log ---------------------------------------------------

ORDER = {"key": "cycle-2025-01-06-gold-1", "symbol": "GOLD", "side": "buy", "qty": 2.0, "type": "market",
         "limit_price": None, "attribution": {"agent": "trader"}}


def _audit_rows(path: Path) -> AuditLog:
    log = AuditLog(path)
    log.append(AuditKind.PROPOSAL, {"attribution": {"agent": "trader"}, "order": ORDER})
    log.append(AuditKind.CHECK, {"attribution": {"agent": "trader"}, "order": ORDER, "decision": "allow"})
    log.append(AuditKind.DECISION, {"attribution": {"agent": "trader"}, "order": ORDER, "decision": "needs_approval",
                                    "reasons": [{"code": "order_value", "message": "above 5% of equity"}],
                                    "reference_price": 2050.0})
    log.append(AuditKind.APPROVAL_GRANTED, {"attribution": {"agent": "trader", "approver": "alice"}, "order": ORDER,
                                            "approval_id": "apr-1"})
    log.append(AuditKind.FILL, {"attribution": {"agent": "gate"}, "fill": {
        "fill_id": "f1", "order_key": ORDER["key"], "symbol": "GOLD", "side": "buy", "qty": 2.0, "price": 2051.2,
        "commission": 1.0, "time": "2025-01-06T14:30:00+00:00"}})
    return log


def test_audit_rows_become_readable_journal_entries_except_dry_run_checks(tmp_path: Path) -> None:
    log = _audit_rows(tmp_path / "audit.sqlite")
    rows = log.records()

    entries = [journal_record(r.seq, r.time, str(r.kind), r.payload) for r in rows]
    log.close()

    assert entries[1] is None  # a check is a dry run
    decision, approval, fill = entries[2], entries[3], entries[4]
    assert decision is not None and decision.event == "decision" and decision.outcome == "needs_approval"
    assert decision.reasons == ("order_value: above 5% of equity",) and decision.price == 2050.0
    assert approval is not None and approval.outcome == "approved" and approval.agent == "alice"
    assert fill is not None and fill.event == "fill" and fill.price == 2051.2 and fill.order_key == ORDER["key"]
    assert fill.document().startswith("Fill ") and "buy 2 GOLD at 2051.2" in fill.document()


def test_mirroring_the_audit_log_twice_writes_each_row_once(store: MemoryStore, tmp_path: Path) -> None:
    log = _audit_rows(tmp_path / "audit.sqlite")

    first = mirror_audit(store, log.records())
    second = mirror_audit(store, log.records())
    log.close()

    assert first == ("journal:audit-1", "journal:audit-3", "journal:audit-4", "journal:audit-5")
    assert second == () and store.stats().counts["journal"] == 4
    assert store.search("which gold orders were approved by a person?", kind="journal", limit=1)[0].id == \
        "journal:audit-4"


def _cmd_trade(args: argparse.Namespace, ctx: AppContext) -> int:
    _audit_rows(ctx.settings.state_dir / AUDIT_FILE).close()
    return 0


@pytest.mark.usefixtures("fake_engine")
def test_cli_mirrors_audit_rows_a_command_wrote(tmp_path: Path) -> None:
    assert main(["--home", str(tmp_path), "fakeengine", "trade"]) == 0

    memory = MemoryStore(MemoryConfig(path=tmp_path / "memory"))
    assert memory.stats().counts["journal"] == 4
    memory.close()
