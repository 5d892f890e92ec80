"""The trading cycle through the agent graph: the offline planner, the real tools, the same desk.

"run today's cycle with the LightGBM model and ask me before any order" trains the model and
runs *the* trading cycle (the same one `taorui trade run` runs) on a supervised portfolio;
"为什么模型建议买入这些股票？" is answered in Chinese from the model's own contributions; an
agent cannot loosen a portfolio's mode, not even by a hostile tool argument.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphs.trading import PersonPending
from taorui.settings import Settings
from taorui.wiring import AppContext
from tools.order_tools import EXECUTE_TOOLS
from tools.trading_tools import CycleArgs


@pytest.mark.slow
def test_todays_cycle_by_instruction_runs_the_same_cycle_supervised_and_explains_in_chinese(home: Path) -> None:
    ctx = AppContext(settings=Settings(home=home), quiet=True, with_memory=False)
    orchestrator = ctx.build_orchestrator("offline")
    result = orchestrator.ask("run today's trading cycle with the LightGBM model and ask me before any order")
    names = [c.name for c in result.tool_calls]
    assert "train_qlib_model" in names and "run_trading_cycle" in names and "place_order" not in names
    assert result.status == "done" and "supervised" in result.answer and "taorui trade approve" in result.answer
    desk = ctx.trading_desk
    [portfolio] = desk.names()
    status = desk.status(portfolio)
    assert status.mode == "supervised" and status.pending
    assert all(isinstance(p, PersonPending) for p in status.pending)
    assert desk.gate(portfolio).fills() == [] and desk.gate(portfolio).account().open_orders == ()

    why = orchestrator.ask("为什么模型建议买入这些股票？")
    assert [c.name for c in why.tool_calls] == ["explain_trades"] and why.language == "zh"
    assert "主要因素" in why.answer and "百分位" in why.answer
    picked = {p.intent.symbol for p in status.pending}
    assert any(symbol in why.answer for symbol in picked)


def test_an_agent_cannot_pick_or_loosen_a_portfolios_mode() -> None:
    tool = next(t for t in EXECUTE_TOOLS if t.name == "run_trading_cycle")
    assert tool.kind.value == "execute"
    for hostile in ({"mode": "semi-auto"}, {"ask_before_orders": "no"}, {"portfolio": "../../etc"},
                    {"top_k": 3, "top_pct": 5.0}, {"end": "2024-01-05"}):
        outcome = tool.invoke(hostile, None)
        assert not outcome.ok and outcome.error is not None and outcome.error.type == "InvalidArgument"
    assert "mode" not in CycleArgs.model_fields


def test_finished_cycle_days_become_journal_entries(tmp_path: Path) -> None:
    from datetime import date

    from graphs.trading._memory import cycle_records
    from taorui_engines.trading import CycleFinished, EventBus, Journal, OrderDecided

    bus, journal = EventBus(tmp_path / "e.sqlite"), Journal(tmp_path / "j.sqlite")
    journal.attach(bus)
    day = date(2024, 1, 3)
    bus.publish(OrderDecided(id="p:d:1", portfolio="p", day=day, key="k1", symbol="SYN001", side="buy", qty=100,
                             price=10.0, decision="sent"))
    bus.publish(CycleFinished(id="p:f:1", portfolio="p", day=day, mode="semi-auto", cash=99_000.0, value=100_010.0,
                              positions={"SYN001": (100.0, 10.1)}, data_through=day, sent=1, blocked=0, pending=0,
                              status="done"))
    [record] = cycle_records("p", journal)
    assert record.record_id() == "journal:cycle-p-2024-01-03"
    assert "sent buy 100 SYN001" in record.text and "value 100,010" in record.text


@pytest.mark.slow
def test_a_cycle_by_instruction_with_a_named_factor_and_window_replays_that_window_without_training(
        home: Path) -> None:
    ctx = AppContext(settings=Settings(home=home), quiet=True, with_memory=False)
    result = ctx.build_orchestrator("offline").ask(
        "run the trading cycle for the first week of March 2024 ranking csi_syn by the factor Ref($close,5)/$close-1")
    [call] = [c for c in result.tool_calls if c.name == "run_trading_cycle"]
    assert "train_qlib_model" not in [c.name for c in result.tool_calls]
    assert call.args["expression"] == "Ref($close,5)/$close-1"
    assert (call.args["start"], call.args["end"]) == ("2024-03-04", "2024-03-10")
    assert "supervised" in result.answer and "--from 2024-03-04 --to 2024-03-10" in result.answer
