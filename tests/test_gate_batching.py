"""Proposals decided together (group commit): callers proposing at once are served by one
leader, in arrival order, each decision seeing the ones before it; a basket is the same for
one caller. What must not change: every limit counts every earlier order, one order's failure
is its own, every row reaches the log, and a caller's answer is never given before it is
durable."""

from __future__ import annotations

import math
import random
import threading
from datetime import timedelta
from pathlib import Path

import pytest

import guardrails.gate as gate_module
from guardrails import AuditKind, Decision, ReasonCode
from guardrails.checks import CheckInputs, evaluate
from guardrails.gate import STATE_FILE
from guardrails.models import PriceQuote, TradingState
from guardrails.state import Submission, SubmissionStatus
from taorui_engines.brokers.models import Attribution, Order, OrderState
from tests._raw_store import RawStore, on_postgres
from tests.test_guardrails_fakes import T0, InMemoryBroker, make_gate, open_policy, order

WHO = Attribution(agent="trader", thread_id="t-1", instruction_id="i-1")


def _propose_from_threads(gate: gate_module.Gate, orders: list[dict[str, object]]) -> list[object]:
    """Each order from its own thread, all released at once; outcome or exception per order."""
    results: list[object] = [None] * len(orders)
    start = threading.Barrier(len(orders))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = gate.propose(orders[i], WHO)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each caller got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(orders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a caller never got its answer"
    return results


def test_concurrent_callers_each_see_the_orders_decided_before_them(tmp_path: Path) -> None:
    """A rate limit of 5 a minute against 12 simultaneous callers: exactly 5 are sent, and the
    other 7 are refused for the rate - never more sent because they were decided together."""
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(rates={"max_per_minute": 5}))
    orders = [order(qty=1 + i) for i in range(12)]
    outcomes = _propose_from_threads(gate, orders)
    sent = [o for o in outcomes if getattr(o, "submitted", False)]
    assert len(sent) == 5 and len(broker.submitted) == 5
    refused = [o for o in outcomes if not getattr(o, "submitted", True)]
    assert len(refused) == 7
    assert all(ReasonCode.RATE_PER_MINUTE in o.reason_codes() for o in refused)  # type: ignore[attr-defined]
    with RawStore(tmp_path / "state" / STATE_FILE) as raw:  # as another process reads the ledger
        statuses = [row[0] for row in raw.execute("SELECT status FROM submissions").fetchall()]
    assert sorted(statuses) == ["sent"] * 5  # settled before the callers were answered
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.PROPOSAL) == 12 and kinds.count(AuditKind.DECISION) == 12
    assert kinds.count(AuditKind.SUBMISSION) == 5
    assert gate.verify().ok


def test_many_callers_with_a_small_batch_all_get_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A leader hands the lead on when its batch is full: nobody waits forever."""
    monkeypatch.setattr(gate_module, "_BATCH_MAX", 2)
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(rates={"max_per_minute": 100}), cash=1e9)
    outcomes = _propose_from_threads(gate, [order(qty=1 + i) for i in range(16)])
    assert all(getattr(o, "submitted", False) for o in outcomes), [getattr(o, "reasons", o) for o in outcomes]
    assert len(broker.submitted) == 16
    assert gate.verify().ok


def test_a_basket_is_decided_in_order_and_answers_in_order(tmp_path: Path) -> None:
    gate, broker, _, _ = make_gate(tmp_path)
    basket = [order(qty=1, key="basket-0001"), order(qty=2, key="basket-0002"),
              order(qty=1, key="basket-0001"),  # the same key again: refused as already sent
              {"key": "basket-0004", "symbol": "SP500", "side": "buy", "qty": "lots"},  # malformed
              order(symbol="GOLD", qty=3, key="basket-0005")]
    outcomes = gate.propose_many(basket, WHO)
    assert [o.decision for o in outcomes] == [Decision.ALLOW, Decision.ALLOW, Decision.REJECT, Decision.REJECT,
                                              Decision.ALLOW]
    assert ReasonCode.DUPLICATE_KEY in outcomes[2].reason_codes()
    assert ReasonCode.MALFORMED_ORDER in outcomes[3].reason_codes()
    assert broker.submitted == ["basket-0001", "basket-0002", "basket-0005"]
    assert [o.order.key for o in outcomes if o.order is not None][:2] == ["basket-0001", "basket-0002"]
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.PROPOSAL) == 5
    assert gate.verify().ok


def test_a_basket_counts_its_own_orders_against_the_limits(tmp_path: Path) -> None:
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(rates={"max_per_minute": 3}))
    outcomes = gate.propose_many([order(qty=1 + i) for i in range(5)], WHO)
    assert [o.submitted for o in outcomes] == [True, True, True, False, False]
    assert len(broker.submitted) == 3


def test_one_failing_proposal_is_its_callers_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proposal whose evaluation raises raises in its own caller; the others in the same
    batch are decided and sent, and the failed one's proposal row is still in the log."""
    gate, broker, _, _ = make_gate(tmp_path)
    real = gate_module.Gate._evaluate

    def flaky(self: gate_module.Gate, order_: object, *args: object, **kwargs: object) -> object:
        if isinstance(order_, Order) and order_.key == "breaks-0001":
            raise RuntimeError("the price store fell over")
        return real(self, order_, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gate_module.Gate, "_evaluate", flaky)
    basket = [order(qty=1), order(qty=2, key="breaks-0001"), order(qty=3)]
    outcomes = _propose_from_threads(gate, basket)
    assert isinstance(outcomes[1], RuntimeError)
    assert getattr(outcomes[0], "submitted", False) and getattr(outcomes[2], "submitted", False)
    assert "breaks-0001" not in broker.submitted
    proposals = [r.payload["order"]["key"] for r in gate.audit_log.records() if r.kind is AuditKind.PROPOSAL]
    assert "breaks-0001" in proposals
    assert gate.verify().ok
    with pytest.raises(RuntimeError):
        gate.propose_many([order(qty=4), order(qty=5, key="breaks-0001")], WHO)
    assert gate.propose(order(qty=6), WHO).submitted  # the gate is not left stuck


@pytest.mark.skipif(on_postgres(), reason="Postgres commits are durable when they return: no durable point to wait for")
def test_an_answer_comes_after_its_durable_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No caller hears back before an fsync that began after its ledger row was committed."""
    import sqlite3

    import guardrails._db as db

    gate, _, _, _ = make_gate(tmp_path)
    ledger = tmp_path / "state" / STATE_FILE
    durable: set[str] = set()
    syncs: list[int] = []
    real_sync = db._sync_all

    def recording(targets: list[db.Syncable]) -> None:
        if not targets:
            return
        with sqlite3.connect(ledger) as raw:  # rows committed now are covered by the fsync below
            committed = {row[0] for row in raw.execute("SELECT key FROM submissions")}
        real_sync(targets)
        durable.update(committed)
        syncs.append(len(committed))

    monkeypatch.setattr(db, "_sync_all", recording)
    orders = [order(qty=1 + i) for i in range(6)]
    early: list[str] = []
    start = threading.Barrier(len(orders))

    def run(raw: dict[str, object]) -> None:
        start.wait()
        outcome = gate.propose(raw, WHO)
        if not outcome.submitted or raw["key"] not in durable:
            early.append(str(raw["key"]))

    threads = [threading.Thread(target=run, args=(raw,)) for raw in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert early == []
    assert 1 <= len(syncs) <= len(orders)  # shared: at most one durable point per caller


def test_a_kept_sent_status_is_written_before_anyone_else_reads_the_ledger(tmp_path: Path) -> None:
    """``end_submission(later=True)`` keeps the status for the next write; a read of the row or
    of the rows in flight writes it first, and closing the store writes it."""
    from guardrails.state import TradingStateStore

    path = tmp_path / "ledger.sqlite"
    store = TradingStateStore(path)
    store.begin_submission(Submission(key="kept-00001", symbol="SP500", side="buy", qty=1, time=T0.timestamp()))
    store.end_submission("kept-00001", SubmissionStatus.SENT, later=True)
    assert store.in_flight() == []
    sub = store.submission("kept-00001")
    assert sub is not None and sub.status is SubmissionStatus.SENT
    store.begin_submission(Submission(key="kept-00002", symbol="SP500", side="buy", qty=1, time=T0.timestamp()))
    store.end_submission("kept-00002", SubmissionStatus.SENT, later=True)
    store.close()
    with RawStore(path) as raw:
        assert raw.execute("SELECT status FROM submissions WHERE key = 'kept-00002'").fetchone()[0] == "sent"


def test_checks_read_the_same_by_bisection_as_by_scanning() -> None:
    """The rate, duplicate, aggregation and first-of-day rules give the same reasons whether the
    rows come in time order with their times (as the gate passes them) or in any order without
    them (a caller's own snapshot, put in order once by ``evaluate``), over random days of orders."""
    from guardrails import default_policy

    rng = random.Random(7)
    policy = default_policy()
    policy = policy.model_copy(update={"approvals": policy.approvals.model_copy(
        update={"above_notional": 50_000.0, "first_order_of_day": True, "new_symbol": False})})
    for trial in range(300):
        now = T0 + timedelta(seconds=rng.uniform(-3600, 3600))
        rows = sorted((Submission(key=f"row-{trial}-{i:04d}", symbol=rng.choice(["SP500", "GOLD"]),
                                  side=rng.choice(["buy", "sell"]), qty=float(rng.choice([1, 2, 3])),
                                  time=(now + timedelta(seconds=rng.uniform(-90_000, 30))).timestamp(),
                                  status=SubmissionStatus.SENT, notional=rng.choice([None, 9_000.0]))
                       for i in range(rng.randint(0, 40))), key=lambda s: s.time)
        candidate = {"key": f"cand-{trial:05d}", "symbol": rng.choice(["SP500", "GOLD"]),
                     "side": rng.choice(["buy", "sell"]), "qty": float(rng.choice([1, 2, 3]))}
        base = dict(now=now, state=TradingState.ACTIVE, allowed=frozenset({"SP500", "GOLD"}),
                    quote=PriceQuote(symbol=str(candidate["symbol"]), price=4000.0, time=now - timedelta(hours=1)),
                    recent=tuple(rows))
        shuffled = list(rows)
        rng.shuffle(shuffled)
        scanned = evaluate(candidate, CheckInputs(**{**base, "recent": tuple(shuffled)}), policy)  # type: ignore[arg-type]
        bisected = evaluate(candidate, CheckInputs(**base, recent_times=tuple(r.time for r in rows)),  # type: ignore[arg-type]
                            policy)
        assert (scanned.decision, scanned.reasons) == (bisected.decision, bisected.reasons), trial
        assert not math.isnan(scanned.notional or 0.0)


def test_a_broker_state_survives_a_basket_with_fills(tmp_path: Path) -> None:
    """Fills made while a basket is decided are audited once each, after their submission."""
    gate, broker, _, _ = make_gate(tmp_path)
    outcomes = gate.propose_many([order(qty=2), order(symbol="GOLD", qty=1)], WHO)
    assert all(o.submitted and o.fills for o in outcomes)
    kinds = [r.kind for r in gate.audit_log.records()]
    assert kinds.count(AuditKind.FILL) == 2
    first_fill = kinds.index(AuditKind.FILL)
    assert AuditKind.SUBMISSION in kinds[:first_fill]
    assert isinstance(broker, InMemoryBroker) and all(isinstance(s, OrderState) for s in broker.orders())
    assert gate.verify().ok


@pytest.mark.skipif(on_postgres(), reason="no group commit on Postgres")
def test_a_failed_durable_point_keeps_the_anchor_move_owed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The anchor is moved only after the fsync that covers its row; when that fsync fails the
    move stays owed and the next durable point makes it."""
    import guardrails._db as db
    from guardrails.audit import AuditLog

    log = AuditLog(tmp_path / "audit.sqlite", anchor_dir=tmp_path / "anchor")
    real = db.Database.sync
    monkeypatch.setattr(db.Database, "sync", lambda self: (_ for _ in ()).throw(OSError("disk gone")))
    with pytest.raises(OSError), db.group_commit():
        log.append(AuditKind.PROPOSAL, {"n": 1})
    monkeypatch.setattr(db.Database, "sync", real)
    log.sync()
    report = log.verify()
    assert report.ok and report.anchored_seq == 1


@pytest.mark.skipif(on_postgres(), reason="no group commit on Postgres")
def test_a_row_committed_during_an_fsync_is_not_anchored_by_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row another thread commits while a durable point's fsync runs may miss that fsync: its
    anchor move waits for its own durable point (an anchor ahead of the synced log would read as
    a truncated log after a power cut)."""
    import guardrails._db as db
    from guardrails.audit import AuditLog

    log = AuditLog(tmp_path / "audit.sqlite", anchor_dir=tmp_path / "anchor")
    real = db.Database.sync

    def racing(self: db.Database) -> None:
        log._unanchored = (2, "row-committed-meanwhile")  # as the next leader's write would set it
        real(self)

    with db.group_commit():
        log.append(AuditKind.PROPOSAL, {"n": 1})
        monkeypatch.setattr(db.Database, "sync", racing)
        log.sync()  # this durable point anchors row 1, which its fsync covers
        monkeypatch.undo()
        assert log._unanchored == (2, "row-committed-meanwhile")  # still owed to its own durable point
        log._unanchored = None  # (no such row: nothing to anchor at the scope's end)
    assert log.verify().anchored_seq == 1


def test_a_kept_sent_status_survives_a_ledger_write_that_rolls_back(tmp_path: Path) -> None:
    """The kept ``sent`` statuses ride with the next ledger write; if that write rolls back they
    are still kept (not lost with it) and the next write that commits carries them."""
    from guardrails.state import TradingStateStore

    path = tmp_path / "ledger.sqlite"
    store = TradingStateStore(path)
    store.begin_submission(Submission(key="kept-00003", symbol="SP500", side="buy", qty=1, time=T0.timestamp()))
    store.end_submission("kept-00003", SubmissionStatus.SENT, later=True)
    with pytest.raises(RuntimeError), store._ledger_write():
        raise RuntimeError("the write failed after the kept statuses were applied")
    with RawStore(path) as raw:
        assert raw.execute("SELECT status FROM submissions WHERE key = 'kept-00003'").fetchone()[0] == "sending"
    store.write_settled()
    with RawStore(path) as raw:
        assert raw.execute("SELECT status FROM submissions WHERE key = 'kept-00003'").fetchone()[0] == "sent"
    store.close()


@pytest.mark.skipif(on_postgres(), reason="a forked child shares the parent's Postgres socket")
def test_a_forked_child_is_not_stuck_behind_its_parents_batch(tmp_path: Path) -> None:
    """A child forked while the parent had a batch in flight (a leader, a queue, the lock held by
    another thread) proposes on its own: none of that is its process's."""
    import os
    import time

    gate, _, _, _ = make_gate(tmp_path)
    gate._leading = True  # as if another thread of the parent were leading a batch at the fork
    gate._queue.append(gate_module._Proposal(order(qty=1), WHO))
    gate._lock.acquire()  # and held the gate's lock
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            outcome = gate.propose(order(qty=2), WHO)
            os.write(write, b"sent" if outcome.submitted else b"not sent")
        finally:
            os._exit(0)
    gate._lock.release()
    os.close(write)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child never got an answer")
    assert os.read(read, 64) == b"sent"
