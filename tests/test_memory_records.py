"""Memory records: stable ids, searchable text, filterable metadata, strict validation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from memory import FactorRecord, JournalRecord, RunRecord, StrategyRecord
from memory._glossary import bridge
from memory._records import kind_of_id, metadata_key

T0 = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)


def factor(expression: str = "$close/Ref($close,20)-1", **over: object) -> FactorRecord:
    """A 20-day momentum factor on csi_syn (fields overridable)."""
    fields: dict[str, object] = dict(
        name="MOM20", expression=expression, description="20-day price momentum", universe="csi_syn",
        start=date(2018, 1, 1), end=date(2022, 12, 31), horizon=5, ic=0.031, icir=0.41, rank_ic=0.045,
        rank_icir=0.62, status="accepted", reason="rank ICIR above 0.5", created=T0,
    )
    fields.update(over)
    return FactorRecord(**fields)  # type: ignore[arg-type]


def strategy(**over: object) -> StrategyRecord:
    """An SMA crossover on GOLD (fields overridable)."""
    fields: dict[str, object] = dict(
        engine="backtrader", name="sma_cross", parameters={"fast": 10, "slow": 50}, universe="GOLD",
        description="moving average crossover", in_sample={"sharpe": 0.8}, out_of_sample={"sharpe": 0.5},
        train_span=(date(2010, 1, 1), date(2018, 12, 31)), test_span=(date(2019, 1, 1), date(2024, 12, 31)),
        created=T0,
    )
    fields.update(over)
    return StrategyRecord(**fields)  # type: ignore[arg-type]


def run(run_id: str = "train_rl-20250106T093000-abc123", **over: object) -> RunRecord:
    """A finished gold PPO run (fields overridable)."""
    fields: dict[str, object] = dict(
        run_id=run_id, run_kind="train_rl", state="done", instruction="train a gold RL strategy",
        agent="strategy_advisor", tools_called=("train_rl_agent",),
        config={"symbol": "GOLD", "algo": "ppo", "timesteps": 5000, "test": {"start": "2024-01-01"}},
        metrics={"sharpe": 1.1, "annual_return": 0.14}, started=T0,
    )
    fields.update(over)
    return RunRecord(**fields)  # type: ignore[arg-type]


def journal(event_id: str = "audit-17", **over: object) -> JournalRecord:
    """An approved buy order on GOLD (fields overridable)."""
    fields: dict[str, object] = dict(
        event_id=event_id, event="approval", time=T0, symbol="GOLD", side="buy", quantity=2, price=2050.5,
        order_key="ord-1", outcome="approved", reasons=("order above 5% of equity",), agent="trader",
    )
    fields.update(over)
    return JournalRecord(**fields)  # type: ignore[arg-type]


def test_same_factor_written_differently_has_one_id_and_one_canonical_key() -> None:
    a = factor("$close/Ref($close,20)-1")
    b = factor("$close / Ref($close, 20) - 1", name="other name", created=datetime(2026, 1, 1, tzinfo=UTC))

    assert a.canonical == b.canonical == "$close / Ref($close, 20) - 1"
    assert a.record_id() == b.record_id() and a.canonical_key() == b.canonical_key()


def test_commutative_operands_share_the_canonical_key() -> None:
    assert factor("$open+$close").canonical_key() == factor("$close + $open").canonical_key()


def test_same_factor_on_another_universe_is_another_record_with_the_same_canonical_key() -> None:
    a, b = factor(), factor(universe="SP500")

    assert a.record_id() != b.record_id()
    assert a.canonical_key() == b.canonical_key()


def test_unparseable_expression_keeps_a_whitespace_free_canonical_form() -> None:
    bad = factor("Foo( $close ,, 3)", status="rejected", reason="does not parse")

    assert bad.canonical == "Foo($close,,3)"


def test_factor_numbers_are_float_metadata_filterable_by_name() -> None:
    meta = factor().metadata()

    assert meta["rank_icir"] == 0.62 and isinstance(meta["rank_icir"], float)
    assert meta["horizon"] == 5.0 and meta["status"] == "accepted" and meta["kind"] == "factors"
    assert json.loads(str(meta["record"]))["expression"] == "$close/Ref($close,20)-1"


def test_factor_text_carries_description_expression_and_verdict() -> None:
    text = factor().document()

    assert "20-day price momentum" in text and "$close/Ref($close,20)-1" in text
    assert "csi_syn" in text and "Accepted: rank ICIR above 0.5" in text


def test_factor_window_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="before start"):
        factor(start=date(2022, 1, 1), end=date(2021, 1, 1))


def test_records_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="extra"):
        factor(sharpe=1.0)


def test_strategy_key_depends_on_engine_name_and_parameters_only() -> None:
    base = strategy()

    assert strategy(universe="WTI", created=datetime(2026, 1, 1, tzinfo=UTC)).strategy_key() == base.strategy_key()
    assert strategy(parameters={"fast": 10, "slow": 60}).strategy_key() != base.strategy_key()
    assert strategy(engine="qlib").strategy_key() != base.strategy_key()


def test_strategy_metrics_are_prefixed_in_and_out_of_sample() -> None:
    meta = strategy().metadata()

    assert meta["is_sharpe"] == 0.8 and meta["oos_sharpe"] == 0.5 and meta["engine"] == "backtrader"


def test_run_metadata_holds_state_metrics_and_top_level_config() -> None:
    meta = run().metadata()

    assert meta["state"] == "done" and meta["sharpe"] == 1.1 and meta["cfg_symbol"] == "GOLD"
    assert meta["cfg_timesteps"] == 5000.0 and "cfg_test" not in meta


def test_failed_run_text_says_why() -> None:
    text = run(state="failed", error="reward became NaN", metrics={}).document()

    assert "(failed)" in text and "Failed: reward became NaN" in text


def test_metric_named_like_a_reserved_key_is_prefixed_not_lost() -> None:
    meta = run(metrics={"state": 3.0, "kind": 1.0}).metadata()

    assert meta["state"] == "done" and meta["metric_state"] == 3.0 and meta["metric_kind"] == 1.0


def test_journal_id_is_its_audit_event_id() -> None:
    assert journal("audit-17").record_id() == "journal:audit-17"


def test_journal_event_id_must_be_a_plain_token() -> None:
    with pytest.raises(ValidationError):
        journal("audit 17; drop")


def test_journal_text_reads_as_a_sentence() -> None:
    text = journal().document()

    assert text.startswith("Approval 2025-01-06 09:30: buy 2 GOLD at 2050.5.")
    assert "Outcome: approved." in text and "order above 5% of equity" in text


def test_id_prefix_names_the_collection() -> None:
    assert kind_of_id("factor:abc") == "factors" and kind_of_id("run:x") == "runs"
    assert kind_of_id("strategy:1") == "strategies" and kind_of_id("journal:1") == "journal"
    assert kind_of_id("nothing:1") is None and kind_of_id("run:") is None and kind_of_id("run") is None


def test_metadata_keys_are_lower_snake_case() -> None:
    assert metadata_key("Rank IC") == "rank_ic" and metadata_key("max-drawdown %") == "max_drawdown"


def test_glossary_bridge_adds_english_terms_to_chinese_text_only() -> None:
    assert bridge("黄金强化学习策略的夏普") == "黄金强化学习策略的夏普 (gold reinforcement learning strategy sharpe)"
    assert bridge("gold strategy") == "gold strategy"


def test_public_surface_of_the_memory_package_is_pinned() -> None:
    import memory

    assert set(memory.__all__) == {
        "EMBEDDING_DIM", "EMBEDDING_MODEL", "KINDS", "MAX_LIMIT", "NEAR_DUPLICATE", "AuditRow", "DuplicateHit",
        "DuplicateReport", "FactorRecord", "JournalRecord", "MemoryConfig", "MemoryItem", "MemoryKind",
        "MemoryRecord", "MemoryStats", "MemoryStore", "RunNotes", "RunRecord", "SearchHit", "StrategyRecord",
        "SyncReport", "journal_record", "mirror_audit", "parse_where", "record_run", "run_record",
        "snapshot_run_ids", "sync_runs",
    }
    assert all(hasattr(memory, name) for name in memory.__all__)


def test_importing_memory_loads_neither_chroma_nor_the_model() -> None:
    import subprocess
    import sys

    code = "import sys, memory; print('chromadb' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.split() == ["False", "False"]
