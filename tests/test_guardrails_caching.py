"""What the check's shortcuts must not change: a kill switch thrown elsewhere blocks the
very next check although the gate remembers its reads, and buffered check rows reach the
log in their place in the chain."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from guardrails import AuditKind, Decision, ReasonCode, TradingState
from guardrails.audit import AuditLog
from guardrails.gate import AUDIT_FILE, STATE_FILE
from guardrails.state import TradingStateStore
from tests._raw_store import RawStore
from tests.test_guardrails_fakes import T0, make_gate, order

REPO = Path(__file__).resolve().parents[1]


def test_a_halt_from_a_second_connection_blocks_the_next_check(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    assert gate.check(order(qty=1)).decision is Decision.ALLOW
    assert gate.check(order(qty=1)).decision is Decision.ALLOW  # now served from the cache
    other = TradingStateStore(tmp_path / "state" / STATE_FILE)  # its own connection, as `taorui risk halt`
    other.escalate(TradingState.HALTED, "kill switch", "ana", T0)
    result = gate.check(order(qty=1))
    assert result.decision is Decision.REJECT
    assert ReasonCode.TRADING_HALTED in {r.code for r in result.reasons}
    other.close()


def test_a_halt_from_another_process_blocks_the_next_check(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    assert gate.check(order(qty=1)).decision is Decision.ALLOW
    script = textwrap.dedent("""
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from guardrails import TradingState
        from guardrails.state import TradingStateStore
        TradingStateStore(Path(sys.argv[1])).escalate(TradingState.HALTED, "kill switch", "ana", datetime.now(UTC))
    """)
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "state" / STATE_FILE)], check=True, cwd=REPO)
    assert gate.check(order(qty=1)).decision is Decision.REJECT


def test_buffered_check_rows_are_written_at_close(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    for _ in range(5):
        gate.check(order(qty=1))
    path = tmp_path / "state" / AUDIT_FILE
    gate.close()
    with RawStore(path) as conn:  # a plain reader, as another process would be
        kinds = [row[0] for row in conn.execute("SELECT kind FROM audit ORDER BY seq").fetchall()]
    assert kinds.count(AuditKind.CHECK.value) == 5
    assert AuditLog(path).verify().ok


def test_buffered_check_rows_keep_their_place_before_a_proposal(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    gate.check(order(qty=1))
    gate.propose(order(qty=2))
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds[0] is AuditKind.CHECK and AuditKind.PROPOSAL in kinds[1:]
    assert gate.verify().ok


def test_buffered_check_rows_are_written_within_the_flush_interval(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    gate.check(order(qty=1))
    path = tmp_path / "state" / AUDIT_FILE
    deadline = time.monotonic() + 5
    count = 0
    while time.monotonic() < deadline and count == 0:
        with RawStore(path) as conn:
            count = conn.execute("SELECT COUNT(*) FROM audit WHERE kind = 'check'").fetchone()[0]
        time.sleep(0.05)
    assert count == 1
