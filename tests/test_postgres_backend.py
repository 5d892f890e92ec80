"""Durable state on Postgres: a server of our own on loopback, killed mid-approval.

The test starts Debian's PostgreSQL (``scripts/postgres.sh``, the one ``.ci/run`` uses) in a
temp folder on a free port, points ``TAORUI_DATABASE_URL`` at it, and kills it (an immediate
shutdown: clients see the connection drop) at the worst moments of an approval: after the
broker took the order and before the gate recorded it, and between the decision and the
send. When the server is back, the order has been sent exactly once. The broker is the
in-memory one: a real broker's book does not live in our database.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrails import ApprovalStatus, Decision, Gate
from taorui_engines.brokers.models import Order, OrderState
from taorui_engines.errors import UnavailableError
from tests.test_guardrails_fakes import InMemoryBroker, make_gate, open_policy, order

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One PostgreSQL cluster in a folder: start, kill (immediate), start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.url = ""

    def start(self) -> str:
        done = subprocess.run(["bash", str(SCRIPT), "start", str(self.folder), str(self.port)],
                              capture_output=True, text=True, timeout=180)
        if done.returncode != 0:
            pytest.skip(f"no PostgreSQL server here: {done.stderr.strip()[-300:]}")
        self.url = done.stdout.strip().splitlines()[-1]
        return self.url

    def kill(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "kill", str(self.folder)], check=True, timeout=60)

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop", str(self.folder)], timeout=60)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to start PostgreSQL")
    # not under pytest's tmp folders: they are private to us, and as root the cluster runs as
    # the `postgres` user, who must be able to reach its folder
    folder = Path(tempfile.mkdtemp(prefix="taorui-pg-"))
    folder.chmod(0o711)
    pg = Server(folder / "data")
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def on_server(server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    monkeypatch.setenv("TAORUI_DATABASE_URL", server.url)
    return server


def _approve_with_a_server_crash(tmp_path: Path, server: Server, crash_after_broker: bool
                                 ) -> tuple[Gate, InMemoryBroker, str, str]:
    gate, broker, _, _ = make_gate(tmp_path, policy=open_policy(approvals={"always": True}))
    key = f"k-pg-{'after' if crash_after_broker else 'before'}"
    proposed = gate.propose(order(qty=2, key=key))
    assert proposed.decision is Decision.NEEDS_APPROVAL and proposed.approval_id is not None
    gate.approve(proposed.approval_id, "alice", "fine")
    real_submit = broker.submit

    def submit_then_crash(o: Order) -> OrderState:
        state = real_submit(o)
        server.kill()  # the broker has the order; the gate has not written that it was sent
        return state

    def crash_then_submit(o: Order) -> OrderState:
        server.kill()  # the gate wrote 'sending'; the server dies before the broker is called
        return real_submit(o)

    broker.submit = submit_then_crash if crash_after_broker else crash_then_submit  # type: ignore[method-assign]
    try:
        with pytest.raises(UnavailableError, match="Postgres"):
            gate.execute_approved(proposed.approval_id)
    finally:
        broker.submit = real_submit  # type: ignore[method-assign]
        server.start()
    return gate, broker, proposed.approval_id, key


@pytest.mark.parametrize("crash_after_broker", [True, False], ids=["after_the_broker_took_it", "before_the_broker"])
def test_a_server_killed_mid_approval_sends_the_order_once_when_it_is_back(
        tmp_path: Path, on_server: Server, crash_after_broker: bool) -> None:
    gate, broker, approval_id, key = _approve_with_a_server_crash(tmp_path, on_server, crash_after_broker)
    sent_before_retry = list(broker.submitted)

    retried = gate.execute_approved(approval_id)  # the person (or the graph) tries again
    again = gate.execute_approved(approval_id)
    assert broker.submitted.count(key) == 1
    assert retried.decision is Decision.ALLOW and not again.submitted
    assert gate.approval(approval_id).status is ApprovalStatus.EXECUTED
    if crash_after_broker:
        assert sent_before_retry == [key] and not retried.submitted  # settled from the broker's keys
    assert gate.verify().ok


def test_a_new_process_after_the_server_came_back_settles_the_order_once(tmp_path: Path, on_server: Server) -> None:
    gate, broker, approval_id, key = _approve_with_a_server_crash(tmp_path, on_server, crash_after_broker=True)
    gate.close()
    fresh = Gate(gate.policy, broker, gate._reference, tmp_path / "state")  # noqa: SLF001 - same reference data
    outcome = fresh.execute_approved(approval_id)
    assert broker.submitted == [key] and not outcome.submitted
    assert fresh.approval(approval_id).status is ApprovalStatus.EXECUTED
    assert fresh.verify().ok


def test_state_written_on_postgres_is_not_in_sqlite_files(tmp_path: Path, on_server: Server) -> None:
    gate, _, _, _ = make_gate(tmp_path, policy=open_policy(approvals={"always": True}))
    proposed = gate.propose(order(qty=1))
    assert proposed.approval_id is not None
    assert not list((tmp_path / "state").glob("*.sqlite"))  # the lock file may exist; no SQLite store does
    assert gate.approvals()[0].id == proposed.approval_id


def test_an_unreachable_server_is_a_clear_error_that_changes_nothing(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAORUI_DATABASE_URL", f"postgresql://taorui@127.0.0.1:{_free_port()}/taorui")
    with pytest.raises(UnavailableError, match="cannot reach Postgres.*TAORUI_DATABASE_URL"):
        make_gate(tmp_path)
    assert not (tmp_path / "state").exists() or not list((tmp_path / "state").glob("*.sqlite"))


def test_doctor_reports_the_server_it_will_use(tmp_path: Path, on_server: Server,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from taorui.cli import main
    from taorui.doctor import DoctorReport

    code = main(["--home", str(tmp_path / "home"), "doctor", "--json", "--timeout", "5"])
    report = DoctorReport.model_validate_json(capsys.readouterr().out)
    database = next(c for c in report.checks if c.name == "database")
    assert database.status == "ok" and database.summary.startswith("Postgres 1"), database
    console = next(c for c in report.checks if c.name == "console")
    assert console.status == "ok" and "no console tokens yet" in console.summary  # read from its schema
    assert code in (0, 1)  # other checks (the LLM endpoint, the data) are not this test's business


def test_console_tokens_live_in_postgres_and_any_machine_sees_them(tmp_path: Path, on_server: Server) -> None:
    from taorui.server import Role, TokenStore

    path = tmp_path / "state" / "console_tokens.sqlite"
    issued = TokenStore(path).add("ana", Role.APPROVER)
    assert not path.exists()  # a schema in Postgres, not a file
    again = TokenStore(path)  # another process (or machine with the home at the same path)
    assert again.authenticate(issued.token) is not None
    assert [t.name for t in again.list()] == ["ana"]


# the translation layer, no server needed ----------------------------------------------------

def test_sqlite_placeholders_and_percent_signs_are_translated_outside_literals() -> None:
    from taorui_engines.sqlstore import _pg_sql

    assert _pg_sql("SELECT * FROM t WHERE a = ? AND b LIKE '50%?' AND c = ?") == \
        "SELECT * FROM t WHERE a = %s AND b LIKE '50%%?' AND c = %s"
    assert _pg_sql("SELECT 1 FROM s WHERE time >= ? ORDER BY time, rowid") == \
        "SELECT 1 FROM s WHERE time >= %s ORDER BY time, key"


def test_sqlite_ddl_becomes_postgres_ddl_without_losing_precision() -> None:
    from guardrails.audit import _SCHEMA as AUDIT_SCHEMA
    from taorui_engines.brokers._paper_db import _SCHEMA as PAPER_SCHEMA
    from taorui_engines.sqlstore import pg_ddl

    audit = pg_ddl(AUDIT_SCHEMA)
    assert len(audit) == 3 and not any("TRIGGER" in s for s in audit)  # the store states its own triggers
    paper = " ".join(pg_ddl(PAPER_SCHEMA))
    assert "REAL" not in paper.replace("DOUBLE PRECISION", "")  # REAL is single precision in Postgres
    assert "AUTOINCREMENT" not in paper and "GENERATED BY DEFAULT AS IDENTITY" in paper


def test_a_namespace_is_per_file_stable_and_a_legal_identifier(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from taorui_engines.sqlstore import namespace

    one = namespace(tmp_path / "state" / "guardrails.sqlite")
    monkeypatch.setenv("TAORUI_HOME", str(tmp_path))  # the environment does not move it
    assert namespace(tmp_path / "state" / "guardrails.sqlite") == one
    assert namespace(tmp_path / "state" / "audit.sqlite") != one
    assert namespace(tmp_path / "other" / "guardrails.sqlite") != one
    deep = namespace(tmp_path / ("x" * 200) / "y.sqlite")
    assert len(deep) <= 63 and deep.replace("_", "").isalnum()


def test_a_database_url_that_is_not_postgres_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from taorui_engines.sqlstore import database_url

    monkeypatch.setenv("TAORUI_DATABASE_URL", "mysql://db/x")
    with pytest.raises(UnavailableError, match="not a Postgres URL"):
        database_url()
    monkeypatch.setenv("TAORUI_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql://u@h/db"
    monkeypatch.setenv("TAORUI_DATABASE_URL", "  ")
    assert database_url() is None
