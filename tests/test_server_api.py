"""The console API (`taorui serve`): auth and roles, ask -> approve -> fill, the kill switch,
runs and their files, the event stream, and the same race guarantees as the CLI."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from graphs import ApprovalDecision
from taorui.server._auth import TOKEN_FILE
from taorui.server._service import CONSOLE_AUDIT_FILE
from taorui_engines.errors import InvalidArgumentError
from tests._graph_env import cheap_member
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
    stored = (api.ctx.settings.state_dir / TOKEN_FILE).read_bytes()
    with sqlite3.connect(api.ctx.settings.state_dir / TOKEN_FILE) as conn:
        rows = conn.execute("SELECT salt, digest FROM tokens").fetchall()
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
    assert (api.ctx.settings.state_dir / CONSOLE_AUDIT_FILE).exists()


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
