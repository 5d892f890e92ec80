"""The console API (`taorui serve`): auth and roles, ask -> approve -> fill, the kill switch,
runs and their files, the event stream, and the same race guarantees as the CLI."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from graphs import ApprovalDecision
from taorui.server._auth import TOKEN_FILE
from taorui.server._service import CONSOLE_AUDIT_FILE
from taorui_engines.errors import InvalidArgumentError
from tests._graph_env import cheap_member
from tests._raw_store import RawStore, on_postgres
from tests._server_env import Console, app_context, console


@pytest.fixture
def api(home: Path) -> Console:
    return console(home)


def _waiting_ask(api: Console, who: str = "alice") -> dict[str, Any]:
    symbol, _ = cheap_member(api.ctx.data)
    answer = api.client.post("/api/ask", json={"instruction": f"buy 100 {symbol}, ask me before ordering"},
                             headers=api.auth(who))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["status"] == "needs_approval"
    return body


def _console_rows(api: Console) -> list[dict[str, Any]]:
    page = api.client.get("/api/audit", params={"log": "console", "n": 100}, headers=api.auth("vic")).json()
    return [r["payload"] for r in page["records"]]


# auth and roles ----------------------------------------------------------------------------

def test_a_request_without_a_token_is_refused_with_401(api: Console) -> None:
    answer = api.client.get("/api/risk")
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
    assert answer.json()["error"]["type"] == "Unauthorized"


def test_a_bad_or_forged_token_is_refused_with_401(api: Console) -> None:
    forged = api.tokens["root"][:-4] + "AAAA"
    for token in ("nonsense", forged):
        assert api.client.get("/api/risk", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_viewer_reads_but_cannot_ask(api: Console) -> None:
    assert api.client.get("/api/me", headers=api.auth("vic")).json() == {"name": "vic", "role": "viewer"}
    assert api.client.get("/api/risk", headers=api.auth("vic")).status_code == 200
    answer = api.client.post("/api/ask", json={"instruction": "show my positions"}, headers=api.auth("vic"))
    assert answer.status_code == 403 and answer.json()["error"]["type"] == "Forbidden"


def test_tokens_are_stored_hashed_and_never_logged(api: Console, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.client.get("/api/me", headers=api.auth("bob"))
    api.client.get("/api/me", headers={"Authorization": "Bearer tr_000000000000_wrongwrongwrongwrongwrong"})
    path = api.ctx.settings.state_dir / TOKEN_FILE
    with RawStore(path) as conn:
        rows = conn.execute("SELECT salt, digest FROM tokens").fetchall()
        every_value = " ".join(str(v) for row in conn.execute("SELECT * FROM tokens").fetchall() for v in row)
    stored = path.read_bytes() if path.exists() else every_value.encode()  # the file, or what Postgres holds
    for token in api.tokens.values():
        secret = token.split("_", 2)[2]
        assert secret.encode() not in stored and secret not in caplog.text
    assert len({salt for salt, _ in rows}) == len(rows)  # a salt per token


def test_a_revoked_token_stops_working(api: Console, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from taorui.cli import main

    assert main(["--home", str(home), "serve", "token", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["tokens"]
    assert all("token" not in t and "digest" not in t for t in listed)
    bob = next(t["id"] for t in listed if t["name"] == "bob")
    assert main(["--home", str(home), "serve", "token", "revoke", bob, "--json"]) == 0
    assert api.client.get("/api/me", headers=api.auth("bob")).status_code == 401


def test_token_add_prints_the_token_once_and_it_authenticates(api: Console, home: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from taorui.cli import main

    assert main(["--home", str(home), "serve", "token", "add", "--name", "dana", "--role", "approver", "--json"]) == 0
    issued = json.loads(capsys.readouterr().out)
    me = api.client.get("/api/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert me.json() == {"name": "dana", "role": "approver"}


# ask, approve, fill ------------------------------------------------------------------------

def test_an_ask_waits_in_the_inbox_and_an_approver_fills_it(api: Console) -> None:
    waiting = _waiting_ask(api)
    inbox = api.client.get("/api/approvals", headers=api.auth("vic")).json()
    item = next(i for i in inbox if i["id"] == waiting["thread_id"])
    assert item["proposed_by"] == "alice" and item["source"] == "thread"
    assert item["requests"][0]["reasons"][0]["code"] == "person_asked" and item["seconds_left"] > 0
    assert api.ctx.broker.fills() == []
    done = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", json={"reason": "fine"},
                           headers=api.auth("bob"))
    assert done.status_code == 200, done.text
    assert len(done.json()["fills"]) == 1 and len(api.ctx.broker.fills()) == 1
    thread = api.client.get(f"/api/threads/{waiting['thread_id']}", headers=api.auth("vic")).json()
    assert thread["status"] == "done" and "approved by bob" in thread["answer"]
    assert api.client.get("/api/approvals", headers=api.auth("vic")).json() == []
    actions = [(r["action"], r["by"]) for r in _console_rows(api)]
    assert ("ask", "alice") in actions and ("approve", "bob") in actions


def test_a_viewer_or_trader_cannot_approve(api: Console) -> None:
    waiting = _waiting_ask(api)
    for who in ("vic", "alice"):
        answer = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", headers=api.auth(who))
        assert answer.status_code == 403
    assert api.ctx.broker.orders() == []


def test_an_approver_cannot_approve_an_order_they_proposed(api: Console) -> None:
    waiting = _waiting_ask(api, who="bob")
    own = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", headers=api.auth("bob"))
    assert own.status_code == 403 and "another approver" in own.json()["error"]["message"]
    assert api.ctx.broker.orders() == []
    other = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", headers=api.auth("carol"))
    assert other.status_code == 200 and len(api.ctx.broker.fills()) == 1
    assert any(r["action"] == "approve" and r["by"] == "bob" and "message" in r for r in _console_rows(api))


def test_a_rejection_needs_a_reason_and_sends_nothing(api: Console) -> None:
    waiting = _waiting_ask(api)
    url = f"/api/approvals/{waiting['thread_id']}/reject"
    assert api.client.post(url, json={}, headers=api.auth("bob")).status_code == 400
    done = api.client.post(url, json={"reason": "too big"}, headers=api.auth("bob"))
    assert done.status_code == 200 and done.json()["thread"]["approvals"][0]["decision"] == "rejected"
    assert api.ctx.broker.orders() == []


def test_two_concurrent_approvals_of_one_order_fill_it_once(api: Console) -> None:
    waiting = _waiting_ask(api)
    codes: list[int] = []
    start = threading.Barrier(2)

    def approve(who: str) -> None:
        start.wait()
        answer = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", headers=api.auth(who))
        codes.append(answer.status_code)

    workers = [threading.Thread(target=approve, args=(who,)) for who in ("bob", "carol")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(codes) == [200, 409]
    assert len(api.ctx.broker.fills()) == 1


def test_an_api_approval_racing_a_cli_resume_fills_once(api: Console, home: Path) -> None:
    waiting = _waiting_ask(api)
    cli = app_context(home).build_orchestrator("offline")  # what `taorui resume` builds in its own process
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def by_api() -> None:
        start.wait()
        answer = api.client.post(f"/api/approvals/{waiting['thread_id']}/approve", headers=api.auth("bob"))
        outcomes.append(f"api {answer.status_code}")

    def by_cli() -> None:
        start.wait()
        try:
            cli.resume(waiting["thread_id"], ApprovalDecision(approve=True, by="carol"))
            outcomes.append("cli ok")
        except InvalidArgumentError:
            outcomes.append("cli refused")

    workers = [threading.Thread(target=by_api), threading.Thread(target=by_cli)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) in (["api 200", "cli refused"], ["api 409", "cli ok"])
    assert len(api.ctx.broker.fills()) == 1


# risk, audit, health -----------------------------------------------------------------------

def test_the_kill_switch_halts_and_the_next_order_is_rejected(api: Console) -> None:
    switch = {"on": True, "reason": "drill"}
    assert api.client.post("/api/risk/kill-switch", json=switch, headers=api.auth("alice")).status_code == 403
    halted = api.client.post("/api/risk/kill-switch", json=switch, headers=api.auth("bob"))
    assert halted.status_code == 200 and halted.json()["state"] == "halted"
    assert api.client.get("/api/risk", headers=api.auth("vic")).json()["status"]["state"] == "halted"
    symbol, _ = cheap_member(api.ctx.data)
    answer = api.client.post("/api/ask", json={"instruction": f"buy 100 {symbol}"}, headers=api.auth("alice")).json()
    assert answer["fills"] == [] and api.ctx.broker.orders() == []
    assert "halted" in answer["answer"].lower()
    resumed = api.client.post("/api/risk/kill-switch", json={"on": False, "reason": "drill over"},
                              headers=api.auth("carol"))
    assert resumed.json()["state"] == "active"
    rows = api.client.get("/api/audit", params={"kind": "state_change"}, headers=api.auth("vic")).json()["records"]
    assert [r["payload"]["attribution"]["agent"] for r in rows][:1] == ["bob"]


def test_the_audit_logs_verify(api: Console) -> None:
    _waiting_ask(api)
    report = api.client.post("/api/audit/verify", headers=api.auth("vic")).json()
    assert report["ok"] and report["console"]["records"] >= 1
    assert (api.ctx.settings.state_dir / CONSOLE_AUDIT_FILE).exists() or on_postgres()  # a schema there


def test_health_names_each_market_and_the_broker(api: Console) -> None:
    health = api.client.get("/api/health", headers=api.auth("vic")).json()
    markets = {m["market"]: m for m in health["markets"]}
    assert markets and all(m["instruments"] > 0 and m["newest_bar"] for m in markets.values())
    assert health["broker"]["trading_state"] == "active"


# runs --------------------------------------------------------------------------------------

@pytest.fixture
def run(api: Console) -> str:
    folder = api.ctx.settings.runs_dir / "bt-20260101-abc"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps({"sharpe": 1.2, "ic": float("nan")}))
    (folder / "config.json").write_text(json.dumps({"asset": "GOLD"}))
    (folder / "equity.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    return folder.name


def test_runs_list_metrics_config_and_picture_links(api: Console, run: str) -> None:
    listed = api.client.get("/api/runs", headers=api.auth("vic")).json()
    assert listed[0]["id"] == run and listed[0]["metrics"] == {"sharpe": 1.2, "ic": None}
    detail = api.client.get(f"/api/runs/{run}", headers=api.auth("vic")).json()
    assert detail["config"] == {"asset": "GOLD"} and detail["pictures"] == [f"/api/runs/{run}/files/equity.png"]
    picture = api.client.get(detail["pictures"][0], headers=api.auth("vic"))
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("path", ["{run}/files/..%2F..%2Fstate%2F" + TOKEN_FILE, "{run}/files/%2E%2E/%2E%2E/.env",
                                  "{run}/files/%2Fetc%2Fpasswd", "..%2Fstate/files/" + TOKEN_FILE,
                                  "%2E%2E/files/state%2F" + TOKEN_FILE])
def test_a_path_outside_the_run_folder_is_refused(api: Console, run: str, path: str) -> None:
    answer = api.client.get("/api/runs/" + path.format(run=run), headers=api.auth("root"))
    assert answer.status_code == 404, answer.text
    assert b"digest" not in answer.content


def test_a_name_or_link_leading_out_of_the_run_folder_is_not_found(api: Console, run: str) -> None:
    from taorui_engines.errors import NotFoundError

    folder = api.ctx.settings.runs_dir / run
    (folder / "out.json").symlink_to(api.ctx.settings.state_dir / TOKEN_FILE)
    for name in ("../../state/" + TOKEN_FILE, "/etc/passwd", "out.json", "../" + run + "/metrics.json/.."):
        with pytest.raises(NotFoundError):
            api.app_service.run_file(run, name)
    assert api.app_service.run_file(run, "metrics.json") == folder.resolve() / "metrics.json"


# events ------------------------------------------------------------------------------------

def test_the_event_stream_carries_an_asks_progress(api: Console) -> None:
    thread_id = "t-sse-test-1"
    asker = threading.Thread(target=lambda: api.client.post(
        "/api/ask", json={"instruction": "show my positions", "thread_id": thread_id}, headers=api.auth("alice")))
    asker.start()
    stream = api.client.get("/api/events", params={"thread_id": thread_id, "after": 0, "until_done": True,
                                                   "timeout_s": 60}, headers=api.auth("vic"))
    asker.join()
    assert stream.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: "):]) for line in stream.text.splitlines() if line.startswith("data: ")]
    nodes = [e["node"] for e in events if e["kind"] == "graph"]
    assert "supervisor" in nodes and events[-1]["kind"] == "ask" and events[-1]["user"] == "alice"
    assert all(e["thread_id"] == thread_id for e in events)


# the trading cycle -------------------------------------------------------------------------

def _supervised_cycle(api: Console, name: str = "sup") -> Any:
    """A supervised paper portfolio whose first day waits for a person (as `taorui trade run`)."""
    from datetime import UTC, date, datetime

    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    desk = api.ctx.trading_desk
    desk.create(PortfolioSpec(name=name, strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                              mode=TradingMode.SUPERVISED, initial_cash=100_000.0, created=datetime.now(UTC),
                              created_by="alice"))
    run = desk.run(name, date(2024, 1, 2), date(2024, 1, 2))
    assert run.paused_on == date(2024, 1, 2) and run.pending
    return run


def test_the_trading_page_data_lists_portfolios_positions_decisions_and_blocked_orders(api: Console) -> None:
    from datetime import date

    from graphs.trading import CycleDecision

    assert api.client.get("/api/trading", headers=api.auth("vic")).json() == {"portfolios": []}
    run = _supervised_cycle(api)
    listed = api.client.get("/api/trading", headers=api.auth("vic")).json()["portfolios"]
    assert [(p["name"], p["mode"], p["paused_on"], p["pending"]) for p in listed] == [
        ("sup", "supervised", "2024-01-02", len(run.pending))]
    keep = run.pending[0].intent.key
    api.ctx.trading_desk.decide("sup", CycleDecision(approve=False, by="bob", reason="only one",
                                                     orders={keep: True}))
    api.ctx.trading_desk.run("sup", date(2024, 1, 3), date(2024, 1, 3))  # the approved order fills at the open
    view = api.client.get("/api/trading/sup", headers=api.auth("vic"))
    assert view.status_code == 200, view.text
    body = view.json()
    assert body["today"] == "2024-01-03" and body["status"]["paused_on"] == "2024-01-03"  # the next day waits
    assert [p["symbol"] for p in body["positions"]] == [run.pending[0].intent.symbol]  # filled at its open
    assert body["report"]["days"] == 1 and "pnl_after_costs" in body["report"]
    assert body["decisions"] and all(d["day"] == "2024-01-03" for d in body["decisions"])
    blocked = {b["key"]: b for b in body["blocked"]}
    assert keep not in blocked and blocked and all(b["decision"] == "rejected_by_person" for b in blocked.values())
    assert all(b["reasons"] for b in blocked.values())
    assert body["risk"]["state"] == "active"
    for bad in ("nope", "../state"):
        assert api.client.get(f"/api/trading/{bad}", headers=api.auth("vic")).status_code in (404, 422)
    assert api.client.get("/api/trading/sup").status_code == 401


def test_a_waiting_cycle_is_in_the_inbox_and_approved_once_by_another_approver(api: Console) -> None:
    run = _supervised_cycle(api)
    inbox = api.client.get("/api/approvals", headers=api.auth("vic")).json()
    item = next(i for i in inbox if i["source"] == "cycle")
    assert item["id"] == "cycle:sup" and item["portfolio"] == "sup" and item["proposed_by"] == "alice"
    assert len(item["requests"]) == len(run.pending) and item["requests"][0]["intent"]["symbol"]
    url = "/api/approvals/cycle:sup/approve"
    assert api.client.post(url, headers=api.auth("alice")).status_code == 403  # a trader
    assert api.client.post("/api/approvals/cycle:sup/reject", json={}, headers=api.auth("bob")).status_code == 400
    codes: list[int] = []
    start = threading.Barrier(2)

    def approve(who: str) -> None:
        start.wait()
        codes.append(api.client.post(url, json={"reason": "ok"}, headers=api.auth(who)).status_code)

    workers = [threading.Thread(target=approve, args=(who,)) for who in ("bob", "carol")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(codes) == [200, 409]
    decisions = api.ctx.trading_desk.journal("sup").decisions()
    assert decisions and {d.decision for d in decisions} <= {"sent", "approved"}
    assert not [i for i in api.client.get("/api/approvals", headers=api.auth("vic")).json() if i["source"] == "cycle"]
    assert any(r["action"] == "approve" and r["target"] == "cycle:sup" for r in _console_rows(api))
    assert api.ctx.trading_desk.gate("sup").verify().ok


def test_an_approver_cannot_approve_a_cycle_of_a_portfolio_they_made(api: Console) -> None:
    from datetime import UTC, date, datetime

    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    desk = api.ctx.trading_desk
    desk.create(PortfolioSpec(name="bobs", strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                              mode=TradingMode.SUPERVISED, initial_cash=100_000.0, created=datetime.now(UTC),
                              created_by="bob"))
    desk.run("bobs", date(2024, 1, 2), date(2024, 1, 2))
    own = api.client.post("/api/approvals/cycle:bobs/approve", headers=api.auth("bob"))
    assert own.status_code == 403 and "another approver" in own.json()["error"]["message"]
    assert desk.status("bobs").pending
    done = api.client.post("/api/approvals/cycle:bobs/reject", json={"reason": "no"}, headers=api.auth("carol"))
    assert done.status_code == 200 and not desk.status("bobs").pending
    assert {d.decision for d in desk.journal("bobs").decisions()} == {"rejected_by_person"}


def _portfolio(api: Console, name: str, made_by: str = "alice") -> None:
    """A supervised factor portfolio, made as the first `taorui trade run --strategy` makes it."""
    from datetime import UTC, datetime

    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    api.ctx.trading_desk.create(PortfolioSpec(name=name, strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                                              mode=TradingMode.SUPERVISED, initial_cash=100_000.0,
                                              created=datetime.now(UTC), created_by=made_by))


def _sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data: "):]) for line in text.splitlines() if line.startswith("data: ")]


def test_a_trader_runs_a_cycle_and_its_events_stream_in_order_to_trading_done(api: Console) -> None:
    from taorui_engines.locks import file_lock

    _portfolio(api, "live1")
    url = "/api/trading/live1/run"
    body = {"day": "2024-01-02"}
    assert api.client.post(url, json=body, headers=api.auth("vic")).status_code == 403
    assert api.client.post(url, json=body).status_code == 401
    # the portfolio's run lock held (as by a `taorui trade run` in another process): the run waits on it
    with file_lock(api.ctx.trading_desk.folder("live1") / ".run.lock"):
        started = api.client.post(url, json=body, headers=api.auth("alice"))
        assert started.status_code == 202, started.text
        handle = started.json()
        again = api.client.post(url, json=body, headers=api.auth("bob"))
        assert again.status_code == 409 and handle["run_id"] in again.json()["error"]["message"]
    assert handle["portfolio"] == "live1" and handle["by"] == "alice" and handle["until"] == "2024-01-02"
    stream = api.client.get("/api/events", params={"portfolio": "live1", "after": handle["after"], "until_done": True,
                                                   "timeout_s": 120}, headers=api.auth("vic"))
    events = _sse_events(stream.text)
    assert events and all(e["portfolio"] == "live1" and e["run_id"] == handle["run_id"] for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    trading = [e for e in events if e["kind"] == "trading"]
    types = [e["node"] for e in trading]
    assert types[0] == "data_updated" and types.index("signal_produced") < types.index("orders_proposed")
    assert types.index("orders_proposed") < types.index("approval_requested")  # supervised: the orders wait
    assert all(e["data"]["type"] == e["node"] and e["data"]["day"] == "2024-01-02" and e["text"] for e in trading)
    assert all(e["user"] == "alice" for e in events)
    done = events[-1]
    assert done["kind"] == "trading_done" and [e["kind"] for e in events].count("trading_done") == 1
    assert done["data"]["status"] == "waiting_for_approval" and done["data"]["waiting_for_approval"] is True
    assert done["data"]["days_run"] == ["2024-01-02"] and done["data"]["paused_on"] == "2024-01-02"
    assert api.ctx.trading_desk.status("live1").pending  # in the inbox, as after `taorui trade run`
    assert any(r["action"] == "trade_run" and r["by"] == "alice" and r["run_id"] == handle["run_id"]
               for r in _console_rows(api))
    # the run is over: the next one starts (and, with the day still waiting, says so in its trading_done)
    next_run = api.client.post(url, json={"day": "2024-01-03"}, headers=api.auth("alice"))
    assert next_run.status_code == 202, next_run.text
    after = next_run.json()["after"]
    stream = api.client.get("/api/events", params={"portfolio": "live1", "after": after, "until_done": True,
                                                   "timeout_s": 120}, headers=api.auth("vic"))
    last = _sse_events(stream.text)[-1]
    assert last["kind"] == "trading_done" and last["data"]["status"] == "failed"
    assert "unfinished day 2024-01-02" in last["text"]


def test_a_cycle_run_refuses_an_unknown_portfolio_a_bad_window_or_a_looser_mode(api: Console) -> None:
    _portfolio(api, "sup2")
    who = api.auth("alice")
    assert api.client.post("/api/trading/nope/run", headers=who).status_code == 404
    for body in ({"until": "2024-01-03"}, {"day": "2024-01-03", "until": "2024-01-02"}, {"mode": "semi-auto"}):
        answer = api.client.post("/api/trading/sup2/run", json=body, headers=who)
        assert answer.status_code == 400, (body, answer.text)
    assert api.client.post("/api/trading/sup2/run", json={"mode": "live"}, headers=who).status_code == 422
    assert api.app_service.running_cycle("sup2") is None


# run again ---------------------------------------------------------------------------------

def test_run_again_replays_a_backtest_run_for_a_trader(api: Console) -> None:
    from datetime import date

    from taorui_engines.backtest import BacktestSpec, run_backtest

    spec = BacktestSpec(strategy="sma_cross", symbols=("SP500",), start=date(2015, 1, 1), end=date(2015, 12, 31))
    original = run_backtest(spec, api.ctx.data, api.ctx.settings.runs_dir).run_id
    assert original is not None
    url = f"/api/runs/{original}/replay"
    assert api.client.post(url, headers=api.auth("vic")).status_code == 403
    done = api.client.post(url, headers=api.auth("alice"))
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["run_id"] == original and body["verdict"] == "identical" and body["replay_run_id"] != original
    listed = [r["id"] for r in api.client.get("/api/runs", headers=api.auth("vic")).json()]
    assert body["replay_run_id"] in listed
    assert api.client.post("/api/runs/no-such-run/replay", headers=api.auth("alice")).status_code == 404
    assert any(r["action"] == "replay" and r["run_id"] == original for r in _console_rows(api))


# a server killed mid-request ---------------------------------------------------------------

def _serve(env: dict[str, str], port: int) -> Any:
    """`taorui serve` (uvicorn) as a real process on ``port``."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "taorui", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_up(proc: Any, base: str, headers: dict[str, str]) -> None:
    import time

    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        try:
            if httpx.get(base + "/api/me", headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("`taorui serve` did not start")


def test_a_server_killed_mid_request_loses_nothing(home: Path, cli_env: dict[str, str]) -> None:
    import os
    import signal
    import socket

    import httpx

    from taorui.cli import main
    from taorui.server import Role, TokenStore

    ctx = app_context(home)
    store = TokenStore(ctx.settings.state_dir / TOKEN_FILE)
    tokens = {name: {"Authorization": f"Bearer {store.add(name, role).token}"}
              for name, role in (("alice", Role.TRADER), ("bob", Role.APPROVER), ("carol", Role.APPROVER))}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    symbol, _ = cheap_member(ctx.data)
    server = _serve(cli_env, port)
    try:
        _wait_up(server, base, tokens["alice"])
        asked = httpx.post(base + "/api/ask", json={"instruction": f"buy 100 {symbol}, ask me before ordering"},
                           headers=tokens["alice"], timeout=120).json()
        assert asked["status"] == "needs_approval", asked
        # a second ask is in flight when the server dies (SIGKILL: nothing runs after it)
        in_flight: list[str] = []
        second = {"instruction": "backtest GOLD momentum", "thread_id": "t-killed-mid-ask"}
        flying = threading.Thread(target=lambda: in_flight.append(_post_or_error(
            base + "/api/ask", second, tokens["alice"])))
        flying.start()
        events = {"thread_id": second["thread_id"], "after": 0, "follow": False}
        while not httpx.get(base + "/api/events", params=events, headers=tokens["alice"], timeout=30).text.strip():
            threading.Event().wait(0.02)  # until the graph has started on it
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)
        flying.join(30)
        assert in_flight and in_flight[0] == "no answer"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(30)

    server = _serve(cli_env, port)
    try:
        _wait_up(server, base, tokens["bob"])
        inbox = httpx.get(base + "/api/approvals", headers=tokens["bob"], timeout=60).json()
        assert [i["id"] for i in inbox if i["id"] == asked["thread_id"]] == [asked["thread_id"]]
        url = f"{base}/api/approvals/{asked['thread_id']}/approve"
        first = httpx.post(url, json={"reason": "after the crash"}, headers=tokens["bob"], timeout=120)
        assert first.status_code == 200, first.text
        assert len(first.json()["fills"]) == 1
        again = httpx.post(url, headers=tokens["carol"], timeout=120)
        assert again.status_code == 409
        verified = httpx.post(base + "/api/audit/verify", headers=tokens["bob"], timeout=60).json()
        assert verified["ok"], verified
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)
    fills = app_context(home).broker.fills()
    assert len(fills) == 1 and fills[0].symbol == symbol
    assert main(["--home", str(home), "audit", "verify", "--json"]) == 0


def _post_or_error(url: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    import httpx

    try:
        return str(httpx.post(url, json=body, headers=headers, timeout=120).status_code)
    except httpx.HTTPError:
        return "no answer"
