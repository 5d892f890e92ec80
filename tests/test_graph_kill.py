"""A thread waiting for approval survives a killed process; the order fills exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.planner import OfflinePlanner
from graphs import ApprovalDecision
from graphs.adapters import GateDesk, GateMarket
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError
from tests._graph_env import build_env, cheap_member, session_clock

TAORUI = str(Path(sys.executable).with_name("taorui"))
# Runs `taorui ask`, says it is waiting, then hangs until killed (as a process would that
# holds the thread while a person thinks).
HOLD = "import sys, time\nfrom taorui.cli import main\nmain(sys.argv[1:])\nprint('HOLDING', flush=True)\ntime.sleep(600)\n"


def _fills(home: Path) -> list[tuple[str, float]]:
    data = DataCenter(home / "data")
    broker = PaperBroker(home / "state" / "paper_broker.sqlite", data, clock=session_clock(data, home / "state"))
    return [(f.symbol, f.qty) for f in broker.fills()]


def test_a_killed_process_waiting_for_approval_resumes_and_fills_exactly_once(home: Path, cli_env: dict[str, str]) -> None:
    symbol, _ = cheap_member(DataCenter(home / "data"))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, "ask", f"buy 100 {symbol}, ask me before ordering", "--json"],
                              env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert holder.stdout is not None
    waiting = json.loads(holder.stdout.readline())
    assert holder.stdout.readline().strip() == "HOLDING"
    holder.kill()
    holder.wait(timeout=30)
    assert {"thread_id", "status", "agent", "tool_calls", "answer", "language", "run_ids", "approvals"} <= set(waiting)
    assert waiting["status"] == "needs_approval" and _fills(home) == []

    resumed = subprocess.run([TAORUI, "resume", "--thread", waiting["thread_id"], "--approve", "--by", "ana", "--json"],
                             env=cli_env, capture_output=True, text=True, timeout=600)
    done = json.loads(resumed.stdout)
    assert resumed.returncode == 0 and done["status"] == "done"
    assert _fills(home) == [(symbol, 100.0)]

    with pytest.raises(InvalidArgumentError, match="not waiting"):
        build_env(home, OfflinePlanner()).orchestrator.resume(waiting["thread_id"], ApprovalDecision(approve=True, by="ana"))
    assert _fills(home) == [(symbol, 100.0)]


def test_replaying_an_approval_after_a_crash_never_submits_or_fills_twice(home: Path) -> None:
    env = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}")  # the default policy asks for a new symbol
    approval_id = waiting.approvals[0]["approval_id"]
    desk = GateDesk(env.gate)
    market = GateMarket(env.gate)
    first = desk.decide(approval_id, True, "ana", "")
    assert first.outcome is not None and first.outcome.order is not None
    key = first.outcome.order.key
    market.execute(key)
    replay = desk.decide(approval_id, True, "ana", "")  # what a re-run approval node does
    assert replay.outcome is not None and replay.outcome.order is not None
    market.execute(replay.outcome.order.key)
    assert replay.outcome.decision == "allow" and replay.outcome.order.key == key
    assert first.sent_by_this_call and not replay.sent_by_this_call
    assert [(o.order.symbol, o.status.value) for o in env.broker.orders()] == [(symbol, "filled")]
    assert len(env.broker.fills()) == 1
