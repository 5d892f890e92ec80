"""What the check's shortcuts must not change: a kill switch thrown elsewhere blocks the
very next check although the gate remembers its reads, and buffered check rows reach the
log in their place in the chain."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from guardrails import AuditKind, Decision, ReasonCode
from guardrails.audit import AuditLog
from guardrails.gate import AUDIT_FILE, STATE_FILE
from guardrails.state import Submission, SubmissionStatus, TradingStateStore
from tests._raw_store import RawStore, on_postgres
from tests.test_guardrails_fakes import T0, make_gate, order

REPO = Path(__file__).resolve().parents[1]


def test_a_halt_from_a_second_connection_blocks_the_next_check(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    assert gate.check(order(qty=1)).decision is Decision.ALLOW
    assert gate.check(order(qty=1)).decision is Decision.ALLOW  # now served from the cache
    with RawStore(tmp_path / "state" / STATE_FILE) as other:  # its own connection, as another process's
        other.execute("INSERT INTO trading_state VALUES (1, 'halted', 'kill switch', 'ana', 0) ON CONFLICT (id)"
                      " DO UPDATE SET state = excluded.state")
        other.commit()
    result = gate.check(order(qty=1))
    assert result.decision is Decision.REJECT
    assert ReasonCode.TRADING_HALTED in {r.code for r in result.reasons}


def test_a_halt_from_another_process_blocks_the_next_check(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    assert gate.check(order(qty=1)).decision is Decision.ALLOW
    script = textwrap.dedent("""
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from guardrails import TradingState
        from guardrails.state import Submission, SubmissionStatus, TradingStateStore
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


# The ledger's remembered reads are edited by the gate's own writes (Database.keep_cache)
# instead of being read again; they must equal a fresh read after any sequence of writes.
def _fresh(path: Path, floor: float) -> tuple[list[tuple[str, str]], list[str], set[str]]:
    with RawStore(path) as conn:  # outside our code: no cache at all
        since = [(r[0], r[1]) for r in conn.execute(
            "SELECT key, status FROM submissions WHERE time >= ? AND status IN ('sending', 'sent') ORDER BY time, rowid",
            (floor,)).fetchall()]
        flying = [r[0] for r in conn.execute("SELECT key FROM submissions WHERE status = 'sending'").fetchall()]
        symbols = {r[0] for r in conn.execute(
            "SELECT DISTINCT symbol FROM submissions WHERE status IN ('sending', 'sent')").fetchall()}
    return since, sorted(flying), symbols


def _cached(store: TradingStateStore, since: datetime) -> tuple[list[tuple[str, str]], list[str], set[str]]:
    flying = sorted(r.key for r in store.in_flight())  # first: it writes kept ``sent`` statuses
    rows = store.submissions_since(since)
    return [(r.key, r.status.value) for r in rows], flying, set(store.symbols_sent())


def test_the_ledger_cache_edited_by_writes_equals_a_fresh_read(tmp_path: Path) -> None:
    path = tmp_path / STATE_FILE
    store = TradingStateStore(path)
    rng = random.Random(7)
    day = T0.replace(hour=0)
    keys: list[str] = []
    for step in range(300):
        since = day + timedelta(hours=rng.choice([0, 0, 6]))
        assert _cached(store, since) == _fresh(path, since.timestamp()), step  # warms (or checks) the cache
        move = rng.random()
        if move < 0.5 or not keys:  # a new row, at times in and out of order, sometimes another day
            key = f"k{step}"
            keys.append(key)
            at = day + timedelta(hours=rng.uniform(-30, 30))
            store.begin_submission(Submission(key=key, symbol=rng.choice(["SP500", "NDX", "GOLD"]), side="buy",
                                              qty=1, time=at.timestamp()))
        elif move < 0.7:  # a row settles: sent, refused or never sent
            store.end_submission(rng.choice(keys), rng.choice(list(SubmissionStatus)))
        elif move < 0.85:  # the gate's ``sent`` kept for the next write (a new row's, or a read's)
            store.end_submission(rng.choice(keys), SubmissionStatus.SENT, later=True)
            if rng.random() < 0.5:
                key = f"k{step}"
                keys.append(key)
                store.begin_submission(Submission(key=key, symbol="SP500", side="buy", qty=1,
                                                  time=(day + timedelta(hours=rng.uniform(-2, 20))).timestamp()))
        else:  # a refused or unsent key tried again (or a taken key, which changes nothing)
            key = rng.choice(keys)
            store.begin_submission(Submission(key=key, symbol="GOLD", side="sell", qty=2,
                                              time=(day + timedelta(hours=rng.uniform(0, 20))).timestamp()))
        if step % 50 == 49:  # another connection writes: the cache must notice, not patch over it
            with RawStore(path) as conn:
                conn.execute("UPDATE submissions SET status = 'refused' WHERE key = ?", (rng.choice(keys),))
                conn.commit()
    store.close()


def test_a_mark_that_changes_nothing_writes_nothing(tmp_path: Path) -> None:
    store = TradingStateStore(tmp_path / STATE_FILE)
    first = store.mark(100.0, T0)
    with RawStore(tmp_path / STATE_FILE) as conn:
        # SQLite's data_version moves with every commit another connection makes (Postgres has none)
        version = (lambda: None) if on_postgres() else (lambda: conn.execute("PRAGMA data_version").fetchone()[0])
        before = version()
        assert store.mark(100.0, T0 + timedelta(minutes=5)) == first
        assert version() == before  # no commit happened
        assert store.mark(90.0, T0 + timedelta(minutes=6)).last_equity == 90.0
        assert on_postgres() or version() != before
    later = store.mark(95.0, T0 + timedelta(days=1))
    assert (later.day_start_equity, later.high_water_mark) == (95.0, 100.0)
    store.close()


def test_the_anchor_of_a_gate_operation_is_written_soon_and_before_a_verify(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)
    gate.propose(order(qty=2))
    report = gate.verify()  # writes the pending move first
    assert report.ok and report.anchored_seq == report.records
    gate.propose(order(qty=3, key="later"))
    anchor = gate.audit_log.anchor_path
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and f'"seq":{gate.audit_log.count()}' not in anchor.read_text():
        time.sleep(0.01)  # the background writer, without anyone reading
    assert f'"seq":{gate.audit_log.count()}' in anchor.read_text()
    gate.close()


def test_a_proposal_row_held_for_its_decision_is_written_when_the_decision_fails(tmp_path: Path) -> None:
    gate, _, _, _ = make_gate(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("price source exploded")

    gate._evaluate = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        gate.propose(order(qty=2, key="held"))
    rows = gate.audit_log.records()
    assert [r.kind for r in rows] == [AuditKind.PROPOSAL]
    assert rows[0].payload["order"]["key"] == "held"
    assert gate.verify().ok
    gate.close()
