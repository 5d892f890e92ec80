"""Closing every held position ("close everything", "清仓所有持仓") through the real graph.

The offline planner reads the account, proposes one sell per held position of its whole size,
and the orders wait for a person; nothing held means nothing is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agents.planner import OfflinePlanner, PlannerDefaults
from graphs import ApprovalDecision
from taorui_engines.data import DataCenter
from tests._graph_env import GraphEnv, build_env


@pytest.fixture
def env(home: Path) -> GraphEnv:
    return build_env(home, OfflinePlanner(defaults=PlannerDefaults(rl_timesteps=300)))


def _two_cheap_members(data: DataCenter) -> list[str]:
    """Two csi_syn stocks whose 100-share lot costs under 10,000 at the last close."""
    members = list(data.universes()["csi_syn"].members)
    last = data.info(members[0]).end
    bars = data.get_price(members, datetime.fromisoformat(last) - timedelta(days=10), last, fields=["close"])
    closes = bars.groupby("symbol")["close"].last().sort_values()
    return [str(s) for s, price in closes.items() if 100 * price < 10_000][:2]


def _hold(env: GraphEnv, symbols: list[str]) -> None:
    """Buy 100 of each symbol through the graph (approved), so the account holds them."""
    for symbol in symbols:
        waiting = env.orchestrator.ask(f"buy 100 {symbol}, ask me before ordering")
        env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert sorted(f.symbol for f in env.broker.fills()) == sorted(symbols)


def test_close_everything_proposes_one_sell_per_held_position_and_waits(env: GraphEnv) -> None:
    held = _two_cheap_members(env.data)
    _hold(env, held)
    sent_before = len(env.broker.orders())

    waiting = env.orchestrator.ask("close everything")

    assert waiting.status == "needs_approval" and waiting.agent == "trader"
    assert [c.name for c in waiting.tool_calls][0] == "get_account"
    orders = sorted((a["order"]["symbol"], a["order"]["side"], a["order"]["qty"]) for a in waiting.approvals)
    assert orders == sorted((s, "sell", 100.0) for s in held)
    assert all(a["decision"] == "pending" for a in waiting.approvals)
    assert len(env.broker.orders()) == sent_before  # nothing sent before the person decides
    assert all(s in waiting.answer for s in held) and "whole lots of 100" in waiting.answer


def test_approved_close_all_sells_and_fills_every_position(env: GraphEnv) -> None:
    held = _two_cheap_members(env.data)
    _hold(env, held)
    waiting = env.orchestrator.ask("清仓所有持仓")

    done = env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))

    assert done.status == "done"
    sells = [(f.symbol, f.qty) for f in env.broker.fills() if f.side == "sell"]
    assert sorted(sells) == sorted((s, 100.0) for s in held)
    assert sorted(f["symbol"] for f in done.fills) == sorted(held)


def test_close_everything_with_no_positions_sends_nothing(env: GraphEnv) -> None:
    result = env.orchestrator.ask("sell all my positions")

    assert result.status == "done" and not result.approvals
    assert env.broker.orders() == []
    assert "Nothing is held" in result.answer
    assert [c.name for c in result.tool_calls] == ["get_account"]


def test_halving_every_position_sells_half_of_each_in_whole_lots_and_waits(env: GraphEnv) -> None:
    held = _two_cheap_members(env.data)
    for symbol in held:  # 200 of each: half is two whole lots of 100
        waiting = env.orchestrator.ask(f"buy 200 {symbol}, ask me before ordering")
        env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    sent_before = len(env.broker.orders())

    waiting = env.orchestrator.ask("把所有持仓减半")  # once read as "sell all of every position"

    assert waiting.status == "needs_approval"
    orders = sorted((a["order"]["symbol"], a["order"]["side"], a["order"]["qty"]) for a in waiting.approvals)
    assert orders == sorted((s, "sell", 100.0) for s in held)
    assert len(env.broker.orders()) == sent_before
    assert "50%" in waiting.answer
