"""``taorui mcp``: Taorui's tools as another agent or IDE sees them through the MCP SDK's client.

Most tests connect the SDK's client to the server in-process (no pipes, same handlers); one
spawns ``python -m taorui mcp`` over stdio and one serves streamable HTTP on 127.0.0.1, as
an IDE would use them. Orders: the server only proposes, and a proposal is what
``taorui approvals list`` shows, with nothing sent to the broker.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, Implementation, TextContent

from guardrails import ApprovalStatus, AuditKind
from taorui.cli import main
from taorui.mcp_server import LEFT_OUT, build_server, client_agent
from taorui.settings import Settings
from taorui.wiring import AppContext

CLIENT = Implementation(name="test-ide", version="1.0")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(settings: Settings) -> AppContext:
    return AppContext(settings=settings, quiet=True, with_memory=False)


def call(app: AppContext, name: str, arguments: dict[str, Any]) -> CallToolResult:
    """One tool call through the SDK's client, connected in-process."""
    async def go(client: Client) -> CallToolResult:
        return await client.call_tool(name, arguments)

    return with_client(app, go)


def with_client(app: AppContext, body: Callable[[Client], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with Client(build_server(app), client_info=CLIENT) as client:
            return await body(client)

    return anyio.run(run)


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


# listing ---------------------------------------------------------------------------------
def test_the_server_lists_the_read_and_compute_tools_with_their_schemas(app: AppContext) -> None:
    async def go(client: Client) -> Any:
        return (await client.list_tools()).tools

    tools = {t.name: t for t in with_client(app, go)}

    assert {"get_price", "backtest_strategy", "evaluate_factors", "search_memory", "propose_order"} <= set(tools)
    assert all(t.input_schema["type"] == "object" and t.output_schema is not None for t in tools.values())
    assert tools["get_price"].input_schema["required"] == ["symbols", "start", "end"]
    assert tools["get_price"].annotations is not None and tools["get_price"].annotations.read_only_hint


def test_no_tool_that_sends_an_order_is_served(app: AppContext) -> None:
    async def go(client: Client) -> Any:
        return [t.name for t in (await client.list_tools()).tools]

    names = set(with_client(app, go))

    assert names.isdisjoint({"place_order", "cancel_order", "run_trading_cycle"})
    assert set(LEFT_OUT) == {"place_order", "cancel_order", "run_trading_cycle"}


# calls -----------------------------------------------------------------------------------
def test_get_price_returns_real_bars_as_structured_content(app: AppContext) -> None:
    result = call(app, "get_price", {"symbols": ["SP500"], "start": "2010-01-04", "end": "2010-01-29",
                                     "fields": ["close"]})

    assert not result.is_error, text_of(result)
    rows = result.structured_content["rows"]
    assert len(rows) == result.structured_content["total_rows"] > 10
    assert all(1000 < r["close"] < 1200 for r in rows)  # the S&P 500 in January 2010
    assert text_of(result).startswith("get_price:")


def test_backtest_strategy_returns_metrics_and_a_run_folder(app: AppContext, settings: Settings) -> None:
    result = call(app, "backtest_strategy", {"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01",
                                             "end": "2011-12-31", "params": {"fast": 10, "slow": 30}})

    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data["metrics"]["n_trades"] > 0 and isinstance(data["metrics"]["total_return"], float)
    assert Path(data["run_dir"]).parent == settings.runs_dir
    assert "total_return=" in text_of(result)


def test_a_bad_argument_is_a_tool_error_with_our_message(app: AppContext) -> None:
    result = call(app, "get_price", {"symbols": ["SP500"], "start": "2010-01-01", "end": "soon"})

    assert result.is_error and result.structured_content is None
    assert text_of(result).startswith("InvalidArgument: invalid arguments: end:")
    assert "Traceback" not in text_of(result)


def test_a_refusal_of_the_engine_is_a_tool_error_that_says_what_to_change(app: AppContext) -> None:
    result = call(app, "backtest_strategy", {"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01",
                                             "end": "2011-12-31", "params": {"fast": 40, "slow": 30}})

    assert result.is_error and "fast (40) must be smaller than slow" in text_of(result)


def test_asking_for_place_order_says_it_is_not_served_and_why(app: AppContext) -> None:
    result = call(app, "place_order", {"symbol": "GOLD", "side": "buy", "qty": 1})

    assert result.is_error and "no tool 'place_order'" in text_of(result) and "propose_order" in text_of(result)


# orders ----------------------------------------------------------------------------------
def inbox(home: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """What ``taorui approvals list --json`` shows."""
    capsys.readouterr()
    assert main(["--home", str(home), "approvals", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["requests"]


def test_an_order_proposal_waits_in_the_approval_inbox_and_nothing_is_sent(
    app: AppContext, home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    result = call(app, "propose_order", {"symbol": "GOLD", "side": "buy", "qty": 1})

    assert not result.is_error, text_of(result)
    proposal = result.structured_content
    assert proposal["decision"] == "needs_approval" and proposal["sent"] is False
    assert "waits for a person's approval" in text_of(result)
    pending = inbox(home, capsys)
    assert [r["id"] for r in pending] == [proposal["approval_id"]]
    assert pending[0]["order"]["attribution"]["agent"] == "mcp:test-ide"
    assert app.broker.orders() == [] and app.broker.fills() == []


def test_a_person_approving_the_proposal_through_the_cli_sends_it_once(
    app: AppContext, home: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    approval_id = call(app, "propose_order", {"symbol": "GOLD", "side": "buy", "qty": 1}).structured_content[
        "approval_id"]

    assert main(["--home", str(home), "approve", approval_id, "--submit", "--by", "alice", "--json"]) == 0

    orders = AppContext(settings=app.settings, quiet=True, with_memory=False).broker.orders()
    assert [(o.order.symbol, o.order.qty, o.order.attribution.approver) for o in orders] == [("GOLD", 1.0, "alice")]


def test_the_audit_log_records_the_mcp_client_as_the_proposer(app: AppContext) -> None:
    call(app, "propose_order", {"symbol": "GOLD", "side": "buy", "qty": 2})

    proposals = app.audit_log.records(kinds=(AuditKind.PROPOSAL, AuditKind.APPROVAL_REQUESTED))
    assert [r.kind for r in proposals] == [AuditKind.PROPOSAL, AuditKind.APPROVAL_REQUESTED]
    assert all(r.payload["attribution"]["agent"] == "mcp:test-ide" for r in proposals)


def test_a_proposal_the_gate_refuses_is_rejected_with_reasons_and_not_queued(app: AppContext) -> None:
    result = call(app, "propose_order", {"symbol": "SP500", "side": "buy", "qty": 1})  # its prices end in 2018

    assert result.structured_content["decision"] == "reject"
    assert result.structured_content["reasons"][0]["code"] == "stale_price"
    assert app.session_gate.approvals(ApprovalStatus.PENDING) == []


def test_a_client_name_becomes_a_safe_attribution() -> None:
    assert client_agent("Claude Desktop/1.2") == "mcp:Claude-Desktop-1.2"
    assert client_agent(None) == "mcp:unknown-client"
    assert len(client_agent("x" * 200)) <= 64


# transports ------------------------------------------------------------------------------
def test_the_cli_module_does_not_import_the_sdk() -> None:
    code = "import sys, taorui.cli.mcp; print('mcp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_taorui_mcp_serves_over_stdio(cli_env: dict[str, str]) -> None:
    params = StdioServerParameters(command=sys.executable, args=["-m", "taorui", "mcp"], env=cli_env, cwd=str(REPO))

    async def go() -> tuple[list[str], CallToolResult]:
        async with Client(params, client_info=CLIENT, read_timeout_seconds=120) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            return names, await client.call_tool("describe_factor", {"expression": "Ref($close, 5) / $close - 1"})

    names, result = anyio.run(go)

    assert "propose_order" in names and "place_order" not in names
    assert not result.is_error, text_of(result)
    assert "$close" in json.dumps(result.structured_content)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def http_server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "mcp_http.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "taorui", "mcp", "--http", "--port", str(port)], env=cli_env,
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        assert proc.poll() is None, (tmp_path / "mcp_http.log").read_text()
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_taorui_mcp_serves_streamable_http_on_localhost(http_server: str) -> None:
    async def go() -> CallToolResult:
        async with Client(http_server, client_info=CLIENT) as client:
            return await client.call_tool("get_price", {"symbols": ["GOLD"], "start": "2024-01-02",
                                                        "end": "2024-01-31", "fields": ["close"]})

    result = anyio.run(go)

    assert not result.is_error, text_of(result)
    assert result.structured_content["total_rows"] > 10


def test_long_work_reports_progress_to_a_client_that_asks(app: AppContext) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async def go(client: Client) -> CallToolResult:
        return await client.call_tool(
            "optimize_strategy", {"strategy": "sma_cross", "symbols": ["SP500"], "start": "2010-01-01",
                                  "end": "2011-12-31", "oos_start": "2012-01-01", "oos_end": "2012-12-31",
                                  "grid": {"fast": [5, 10], "slow": [30]}, "top": 2},
            progress_callback=on_progress)

    result = with_client(app, go)

    assert not result.is_error, text_of(result)
    assert seen and seen[-1][1] is not None and seen[-1][0] == seen[-1][1]
