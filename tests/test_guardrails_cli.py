"""The command line of the guardrails: risk, approvals, audit (JSON contracts and exit codes)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from guardrails import FixedClock, default_policy
from taorui.cli import main
from taorui.settings import Settings
from taorui.wiring import AppContext
from taorui_engines.brokers.models import Attribution
from tests._raw_store import RawStore

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = '{"symbol": "SP500", "side": "buy", "qty": 10, "type": "limit", "limit_price": 2700}'
AS_OF = "2018-06-04T20:00"


def run(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--home", str(home), *argv])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def test_risk_check_prints_the_decision_reasons_and_policy_hash(home: Path, cli_env: dict[str, str]) -> None:
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "taorui"), "risk", "check", "--order", EXAMPLE,
                           "--as-of", AS_OF, "--json"], env=cli_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["decision"] == "needs_approval"
    assert [r["code"] for r in payload["reasons"]] == ["approval_notional", "approval_new_symbol"]
    assert all(r["message"] for r in payload["reasons"])
    assert payload["policy_hash"] == default_policy().version_hash


def test_risk_check_on_the_wall_clock_rejects_the_old_sample_prices(home: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(home, capsys, "risk", "check", "--order", EXAMPLE, "--json")
    assert code == 0
    assert (payload["decision"], [r["code"] for r in payload["reasons"]]) == ("reject", ["stale_price"])


def test_risk_check_turns_a_malformed_order_into_a_rejection(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(home, capsys, "risk", "check", "--order", '{"symbol": "SP500", "side": "buy", "qty": "ten"}',
                        "--as-of", AS_OF, "--json")
    assert code == 0
    assert payload["decision"] == "reject"
    assert {r["code"] for r in payload["reasons"]} == {"malformed_order"}


def test_risk_check_with_another_policy_file_reports_its_hash(home: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    text = (REPO / "guardrails" / "default_policy.yaml").read_text().replace("max_notional: 50000",
                                                                             "max_notional: 20000")
    (tmp_path / "tight.yaml").write_text(text)
    code, payload = run(home, capsys, "risk", "check", "--order", EXAMPLE, "--as-of", AS_OF,
                        "--policy", str(tmp_path / "tight.yaml"), "--json")
    assert code == 0
    assert [r["code"] for r in payload["reasons"]] == ["max_notional"]
    assert payload["policy_hash"] != default_policy().version_hash


def test_an_invalid_policy_file_is_an_input_error(home: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\norders: {max_qty: -1}\n")
    code, payload = run(home, capsys, "risk", "policy", "--policy", str(tmp_path / "bad.yaml"), "--json")
    assert code == 2
    assert payload["error"]["type"] == "InvalidArgument"
    assert "orders.max_qty" in payload["error"]["message"]


def test_risk_policy_prints_the_default_policy_and_its_hash(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(home, capsys, "risk", "policy", "--json")
    assert code == 0
    assert payload["policy_hash"] == default_policy().version_hash
    assert payload["policy"]["loss"]["drawdown_action"] == "reducing"


def test_halt_and_resume_from_the_command_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, halted = run(home, capsys, "risk", "halt", "--reason", "fat finger", "--by", "alice", "--json")
    assert (code, halted["state"], halted["changed"]) == (0, "halted", True)
    _, status = run(home, capsys, "risk", "status", "--json")
    assert (status["state"], status["state_reason"], status["state_changed_by"]) == ("halted", "fat finger", "alice")
    _, check = run(home, capsys, "risk", "check", "--order", EXAMPLE, "--as-of", AS_OF, "--json")
    assert [r["code"] for r in check["reasons"]] == ["trading_halted"]
    code, resumed = run(home, capsys, "risk", "resume", "--by", "alice", "--json")
    assert (code, resumed["state"]) == (0, "active")


def test_resume_while_active_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(home, capsys, "risk", "resume", "--json")
    assert code == 2
    assert "already ACTIVE" in payload["error"]["message"]


def _pending_request(home: Path) -> str:
    ctx = AppContext(settings=Settings(home=home))
    gate = ctx.make_gate(clock=FixedClock(datetime(2018, 6, 4, 20, tzinfo=UTC)))
    outcome = gate.propose(json.loads(EXAMPLE) | {"key": "cli-approval-1"}, Attribution(agent="trader"))
    assert outcome.approval_id is not None
    return outcome.approval_id


def test_a_person_lists_and_approves_a_request_which_is_rechecked_at_submit(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request_id = _pending_request(home)
    code, listed = run(home, capsys, "approvals", "list", "--json")
    assert code == 0
    assert [(r["id"], r["order"]["key"]) for r in listed["requests"]] == [(request_id, "cli-approval-1")]
    code, approved = run(home, capsys, "approve", request_id, "--by", "alice", "--submit", "--as-of", AS_OF,
                         "--json")
    assert code == 0
    assert approved["outcome"]["decision"] == "allow"
    assert (approved["outcome"]["submitted"], approved["outcome"]["status"]) == (True, "accepted")
    assert approved["approval"]["status"] == "executed"
    _, again = run(home, capsys, "approvals", "list", "--json")
    assert again["requests"] == []


def test_submitting_on_the_wall_clock_fails_the_recheck_on_old_prices(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request_id = _pending_request(home)
    _, approved = run(home, capsys, "approve", request_id, "--by", "alice", "--submit", "--json")
    assert approved["outcome"]["decision"] == "reject"
    assert [r["code"] for r in approved["outcome"]["reasons"]] == ["stale_price"]
    assert approved["approval"]["status"] == "failed"


def test_a_person_rejects_a_request_with_a_reason(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request_id = _pending_request(home)
    code, rejected = run(home, capsys, "reject", request_id, "--reason", "not today", "--by", "bob", "--json")
    assert code == 0
    assert (rejected["approval"]["status"], rejected["approval"]["decision_reason"]) == ("rejected", "not today")


def test_approving_an_unknown_request_is_an_input_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run(home, capsys, "approve", "apr-000000000000", "--json")
    assert code == 2
    assert payload["error"]["type"] == "NotFound"


def test_audit_verify_and_tail_read_the_log(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(home, capsys, "risk", "check", "--order", EXAMPLE, "--as-of", AS_OF, "--json")
    code, verified = run(home, capsys, "audit", "verify", "--json")
    assert (code, verified["ok"], verified["records"], verified["first_bad"]) == (0, True, 1, None)
    code, tail = run(home, capsys, "audit", "tail", "--json")
    assert [r["kind"] for r in tail["records"]] == ["check"]


def test_audit_verify_names_the_first_tampered_row_and_exits_1(home: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        run(home, capsys, "risk", "check", "--order", EXAMPLE, "--as-of", AS_OF, "--json")
    with RawStore(home / "state" / "audit.sqlite") as conn:
        conn.drop_audit_guards()
        conn.execute("DELETE FROM audit WHERE seq = 2")
    code, verified = run(home, capsys, "audit", "verify", "--json")
    assert (code, verified["ok"], verified["records"], verified["first_bad"]) == (1, False, 2, 2)


def test_a_deeply_nested_order_on_the_command_line_is_a_rejection_not_a_traceback(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = '{"symbol": "SP500", "side": "buy", "qty": 1, "x": ' * 5000 + "1" + "}" * 5000
    code, payload = run(home, capsys, "risk", "check", "--order", deep, "--as-of", AS_OF, "--json")
    assert code == 0
    assert payload["decision"] == "reject"
    assert {r["code"] for r in payload["reasons"]} == {"malformed_order"}
    code, report = run(home, capsys, "audit", "verify", "--json")
    assert code == 0 and report["ok"]
