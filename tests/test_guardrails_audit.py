"""The audit log: a hash chain that verifies, names the first tampered row, and survives a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from guardrails import AuditKind, AuditLog
from guardrails.approvals import ApprovalStore
from guardrails.audit import GENESIS_HASH, _row_hash
from tests._raw_store import REFUSED, RawStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit = AuditLog(tmp_path / "audit.sqlite")
    for i in range(1, 7):
        audit.append(AuditKind.DECISION, {"n": i, "order": {"symbol": "SP500", "qty": i}})
    return audit


def tamper(path: Path, *statements: str) -> None:
    """What someone with a SQL shell could do: drop the guards, then edit."""
    with RawStore(path) as conn:
        conn.drop_audit_guards()
        for sql in statements:
            conn.execute(sql)


def test_an_untouched_log_verifies(log: AuditLog) -> None:
    report = log.verify()
    assert (report.ok, report.records, report.first_bad) == (True, 6, None)


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    report = AuditLog(tmp_path / "empty.sqlite").verify()
    assert (report.ok, report.records, report.first_bad) == (True, 0, None)


def test_rows_are_chained_from_the_genesis_hash(log: AuditLog) -> None:
    rows = log.records()
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]


def test_the_log_refuses_updates_and_deletes(log: AuditLog) -> None:
    with RawStore(log.path) as conn:
        with pytest.raises(REFUSED, match="append-only"):
            conn.execute("UPDATE audit SET payload = '{}' WHERE seq = 2")
        with pytest.raises(REFUSED, match="append-only"):
            conn.execute("DELETE FROM audit WHERE seq = 2")
    assert log.verify().ok


def test_an_edited_row_is_reported(log: AuditLog) -> None:
    tamper(log.path, "UPDATE audit SET payload = replace(payload, '\"qty\":3', '\"qty\":300') WHERE seq = 3")
    report = log.verify()
    assert (report.ok, report.first_bad) == (False, 3)
    assert "edited" in (report.problem or "")


def test_an_edited_row_with_a_recomputed_hash_has_no_valid_mac(log: AuditLog) -> None:
    with RawStore(log.path) as conn:
        row = conn.execute("SELECT time, kind, prev_hash FROM audit WHERE seq = 3").fetchone()
    payload = '{"n":3,"order":{"qty":300,"symbol":"SP500"}}'
    forged = _row_hash(row[2], 3, row[0], row[1], payload)
    tamper(log.path, f"UPDATE audit SET payload = '{payload}', hash = '{forged}' WHERE seq = 3")
    report = log.verify()
    assert (report.ok, report.first_bad) == (False, 3)
    assert "MAC" in (report.problem or "")


def test_a_deleted_row_is_reported(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit WHERE seq = 4")
    report = log.verify()
    assert (report.ok, report.records, report.first_bad) == (False, 5, 4)
    assert "missing" in (report.problem or "")


def test_a_deleted_last_row_is_reported(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit WHERE seq = 6")
    report = log.verify()
    assert (report.ok, report.first_bad) == (False, 6)


def test_swapped_rows_are_reported(log: AuditLog) -> None:
    tamper(
        log.path,
        "UPDATE audit SET seq = -2 WHERE seq = 2",
        "UPDATE audit SET seq = 2 WHERE seq = 3",
        "UPDATE audit SET seq = 3 WHERE seq = -2",
    )
    report = log.verify()
    assert (report.ok, report.first_bad) == (False, 2)


def test_a_row_added_behind_the_logs_back_is_reported(log: AuditLog) -> None:
    last = log.records()[-1]
    forged = _row_hash(last.hash, 7, last.time.isoformat(), "decision", "{}")
    tamper(log.path, f"INSERT INTO audit VALUES (7, '{last.time.isoformat()}', 'decision', '{{}}', "
                     f"'{last.hash}', '{forged}', NULL)")
    report = log.verify()
    assert (report.ok, report.first_bad) == (False, 7)


def test_rows_deleted_at_the_tail_with_the_head_moved_back_are_found_by_the_anchor(log: AuditLog) -> None:
    rows = log.records()
    tamper(log.path, "DELETE FROM audit WHERE seq > 4",
           f"UPDATE audit_head SET seq = 4, hash = '{rows[3].hash}' WHERE id = 1")
    report = log.verify()
    assert (report.ok, report.records, report.first_bad, report.anchored_seq) == (False, 4, 5, 6)
    assert "truncated" in (report.problem or "")


def test_an_emptied_log_does_not_verify(log: AuditLog) -> None:
    tamper(log.path, "DELETE FROM audit", "DELETE FROM audit_head")
    report = log.verify()
    assert (report.ok, report.records) == (False, 0)
    assert "missing" in (report.problem or "")


def test_a_deleted_log_file_replaced_by_a_fresh_one_does_not_verify(log: AuditLog) -> None:
    path = log.path
    log.close()
    with RawStore(path) as conn:
        conn.destroy(path)
    report = AuditLog(path).verify()
    assert (report.ok, report.records) == (False, 0)
    assert "replaced" in (report.problem or "")


def test_a_deleted_anchor_is_reported(log: AuditLog) -> None:
    log.anchor_path.unlink()
    report = log.verify()
    assert not report.ok and "anchor" in (report.problem or "")


def test_an_anchor_rewritten_without_the_key_is_reported(log: AuditLog) -> None:
    text = log.anchor_path.read_text().replace('"seq":6', '"seq":4')
    log.anchor_path.write_text(text)
    report = log.verify()
    assert not report.ok and "forged" in (report.problem or "")


def test_a_hostile_deeply_nested_payload_is_cut_and_recorded(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite")
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]  # type: ignore[assignment]
    record = audit.append(AuditKind.PROPOSAL, {"order": nested})
    assert "nested deeper" in json.dumps(record.payload)
    assert audit.verify().ok


def test_payloads_with_non_finite_numbers_and_odd_objects_are_stored(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.sqlite")
    record = audit.append(AuditKind.PROPOSAL, {"order": {"qty": float("nan")}, "blob": object(), "t": (1, 2)})
    assert record.payload["order"]["qty"] == "nan"
    assert audit.verify().ok


def test_tail_returns_the_last_rows_oldest_first(log: AuditLog) -> None:
    assert [r.seq for r in log.tail(3)] == [4, 5, 6]
    assert [r.payload["n"] for r in log.tail(2, AuditKind.DECISION)] == [5, 6]


def test_appends_continue_the_chain_after_reopening(log: AuditLog) -> None:
    again = AuditLog(log.path)
    again.append(AuditKind.STATE_CHANGE, {"state": "halted"})
    assert again.verify().ok
    assert again.count() == 7


_CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from guardrails import default_policy, Policy
    from tests.test_guardrails_fakes import make_gate, order

    data = default_policy().model_dump(mode="json")
    data["approvals"]["always"] = True
    gate, broker, reference, clock = make_gate(Path(sys.argv[1]), policy=Policy.model_validate(data))
    while True:
        outcome = gate.propose(order(symbol="SP500", qty=1))
        print(outcome.approval_id, gate.audit_log.count(), flush=True)
""")


def test_a_killed_process_loses_no_audit_row_and_no_approval_request(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    assert child.stdout is not None
    reported = [child.stdout.readline().split() for _ in range(25)]
    os.kill(child.pid, signal.SIGKILL)
    rest, err = child.communicate(timeout=60)
    reported += [line.split() for line in rest.splitlines() if line.strip()]
    assert all(len(r) == 2 for r in reported), err[-2000:]

    audit = AuditLog(tmp_path / "state" / "audit.sqlite")
    store = ApprovalStore(tmp_path / "state" / "guardrails.sqlite")
    from datetime import UTC, datetime

    stored_ids = {r.id for r in store.list(datetime.now(UTC), limit=10_000)}
    assert {approval_id for approval_id, _ in reported} <= stored_ids
    assert audit.count() >= max(int(count) for _, count in reported)
    report = audit.verify()
    assert report.ok, report.problem
