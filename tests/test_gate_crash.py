"""kill -9 at each step of ``taorui resume --approve``, then resume again and verify the audit.

A real ``taorui resume`` process is killed (SIGKILL, nothing runs after it) before the
broker's submit, inside its transaction, right after it, inside the fill's transaction and
right after the fill. Each time the thread is resumed again, and then: the order is at the
broker once, filled once, the request says executed, and ``audit verify`` - the chain and
its cross-check of ledger, approvals, broker orders and fills - is clean.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.planner import OfflinePlanner
from graphs import ApprovalDecision
from guardrails import ApprovalStatus, AuditKind
from tests._graph_env import build_env, cheap_member

CRASHING_RESUME = """
import os, signal, sys
from taorui_engines.brokers import paper

point, thread = sys.argv[1], sys.argv[2]
Broker = paper.PaperBroker
submit, fill_at = Broker.submit, Broker.fill_at

def die(*_args, **_kw):
    os.kill(os.getpid(), signal.SIGKILL)

def submit_then_die(self, order):
    submit(self, order)
    die()

def fill_then_die(self, *args, **kw):
    fill_at(self, *args, **kw)
    die()

if point == "before_submit":
    Broker.submit = die
elif point == "inside_submit":      # inside the broker's transaction, after the key check
    Broker._rejection = die
elif point == "after_submit":
    Broker.submit = submit_then_die
elif point == "inside_fill":        # inside the fill's transaction, after the fill row
    paper._apply_position = die
elif point == "after_fill":
    Broker.fill_at = fill_then_die

from taorui.cli import main
main(["resume", "--thread", thread, "--approve", "--by", "ana", "--json"])
print("NOT KILLED", flush=True)
"""

POINTS = ["before_submit", "inside_submit", "after_submit", "inside_fill", "after_fill"]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_each_step_of_resume_loses_nothing_and_sends_nothing_twice(
        point: str, home: Path, cli_env: dict[str, str]) -> None:
    env = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}")  # a new symbol: the default policy asks a person
    assert waiting.status == "needs_approval"
    approval_id = waiting.approvals[0]["approval_id"]

    killed = subprocess.run([sys.executable, "-c", CRASHING_RESUME, point, waiting.thread_id], env=cli_env,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stdout + killed.stderr[-2000:]

    again = build_env(home, OfflinePlanner())  # a new process's objects over the same home
    done = again.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    assert done.status == "done"

    orders, fills = again.broker.orders(), again.broker.fills()
    assert [(o.order.symbol, o.status.value) for o in orders] == [(symbol, "filled")]
    assert [(f.symbol, f.qty) for f in fills] == [(symbol, 100.0)]
    assert [f["fill_id"] for f in done.fills] == [fills[0].fill_id]
    assert again.gate.approval(approval_id).status is ApprovalStatus.EXECUTED
    records = again.gate.audit_log.records()
    assert [r.payload["order"]["key"] for r in records if r.kind is AuditKind.SUBMISSION] == [orders[0].order.key]
    assert [r.payload["fill"]["fill_id"] for r in records if r.kind is AuditKind.FILL] == [fills[0].fill_id]
    report = again.gate.verify()
    assert report.ok, report.model_dump_json(indent=1)


def test_audit_verify_on_the_command_line_cross_checks_the_broker(home: Path, cli_env: dict[str, str]) -> None:
    env = build_env(home, OfflinePlanner())
    symbol, _ = cheap_member(env.data)
    waiting = env.orchestrator.ask(f"buy 100 {symbol}")
    env.orchestrator.resume(waiting.thread_id, ApprovalDecision(approve=True, by="ana"))
    taorui = str(Path(sys.executable).with_name("taorui"))
    clean = subprocess.run([taorui, "audit", "verify", "--json"], env=cli_env, capture_output=True, text=True,
                           timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr[-1500:]
    report = json.loads(clean.stdout)
    assert report["ok"] and report["checked"]["broker_fills"] == 1 and report["cross_check"] == []


# kill -9 between the log and the ledger ---------------------------------------------------
# The gate commits a submission's audit row and then settles its ledger row; the two live in
# different stores, so a kill can fall between them. The trading cycle's crash test on Postgres
# once found an order with two submission rows: recovery recorded again what the log held.
KILLED_GATE = """
import os, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from guardrails import FixedClock, Gate
from guardrails.audit import AuditKind, AuditLog
from guardrails.state import SubmissionStatus, TradingStateStore
from taorui_engines.brokers.paper import PaperBroker
from taorui_engines.data import DataCenter
from tests.test_guardrails_fakes import open_policy
from tools.order_tools import DataCenterReference

point, tmp, data = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
clock = FixedClock(datetime(2025, 12, 31, 16, 5, tzinfo=UTC))
center = DataCenter(data)
approvals = {"always": True} if point == "approval_after_ledger" else {}
gate = Gate(open_policy(approvals=approvals), PaperBroker(tmp / "paper.sqlite", center, clock=clock),
            DataCenterReference(center), tmp / "state", clock=clock, wall_clock=clock)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "after_the_row":          # the row committed when the lock went, the ledger not yet
    release = AuditLog.release
    def release_then_die(self):
        carried = any(kind is AuditKind.SUBMISSION for kind, _, _ in self._held_rows())
        release(self)
        if carried:
            die()
    AuditLog.release = release_then_die
elif point == "basket":               # order 1's row went with order 2's rows; its ledger row rides on order 2's
    begin = TradingStateStore.begin_submission
    def begin_or_die(self, sub):
        if self._settled_later:
            die()
        begin(self, sub)
    TradingStateStore.begin_submission = begin_or_die
elif point == "approval_after_ledger":  # an approval's execution settles the ledger at once
    end = TradingStateStore.end_submission
    def end_then_die(self, key, status, later=False):
        end(self, key, status, later)
        if status is SubmissionStatus.SENT:
            die()
    TradingStateStore.end_submission = end_then_die

orders = [{"key": f"kill-{point}-{i}", "symbol": "GOLD", "side": "buy", "qty": 1 + i} for i in range(2)]
if point == "basket":
    gate.propose_many(orders)
elif point == "approval_after_ledger":
    request = gate.propose(orders[0]).approval_id
    gate.approve(request, "ana")
    gate.execute_approved(request)
else:
    gate.propose(orders[0])
print("NOT KILLED", flush=True)
"""


@pytest.mark.parametrize("point", ["after_the_row", "basket", "approval_after_ledger"])
def test_a_kill_between_the_audit_row_and_the_ledger_records_each_submission_once(
        point: str, tmp_path: Path, sample_data_dir: Path) -> None:
    from datetime import UTC, datetime

    from guardrails import FixedClock, Gate
    from taorui_engines.brokers.paper import PaperBroker
    from taorui_engines.data import DataCenter
    from tests.test_guardrails_fakes import open_policy
    from tools.order_tools import DataCenterReference

    killed = subprocess.run([sys.executable, "-c", KILLED_GATE, point, str(tmp_path), str(sample_data_dir)],
                            cwd=Path(__file__).parents[1], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stdout + killed.stderr[-2000:]

    clock = FixedClock(datetime(2025, 12, 31, 16, 5, tzinfo=UTC))
    center = DataCenter(sample_data_dir)
    broker = PaperBroker(tmp_path / "paper.sqlite", center, clock=clock)
    approvals = {"always": True} if point == "approval_after_ledger" else {}
    gate = Gate(open_policy(approvals=approvals), broker, DataCenterReference(center), tmp_path / "state",
                clock=clock, wall_clock=clock)
    gate.recover()
    at_broker = sorted(s.order.key for s in broker.orders())
    assert at_broker, "the kill came after the broker took the order"
    rows = [r for r in gate.audit_log.records() if r.kind is AuditKind.SUBMISSION]
    assert sorted(r.payload["order"]["key"] for r in rows) == at_broker  # each once, none missing
    assert all(s.status.value == "sent" for s in gate._state.all_submissions())  # noqa: SLF001
    report = gate.verify()
    assert report.ok, report.model_dump_json(indent=1)
