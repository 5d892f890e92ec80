"""Taorui's tools for other agents and IDEs, over the Model Context Protocol (``taorui mcp``).

The server is built from the tool registry (``tools.registry``): every registered tool is a
read or compute tool with a pydantic ``Args`` and ``Result`` model, and each is served with
those models' JSON Schemas as its input and output schema. A call is validated and run by
:meth:`tools.Tool.invoke`, exactly as for the agents, so a bad argument or a refusal comes
back as an MCP tool error carrying our message (never a traceback); a result comes back as
structured content plus one short line of text. Long work (training, mining, backtests)
reports progress to a client that asks for it.

Orders: the execute tools (``place_order``, ``cancel_order``, ``run_trading_cycle``) are not
served. In their place ``propose_order`` puts an order through the guardrail gate under the
home's policy with "a person approves every order" switched on, so the order is either
rejected by the gate or lands as a pending request in the approval inbox that
``taorui approvals list`` shows; nothing reaches the broker from here. The MCP client's name
is the order's attribution (``mcp:<client>``), so the audit log says who proposed it.

Tool calls run one at a time in a worker thread (the engines share global state, such as
Qlib's), and each call's new run folders and audit rows are queued for memory as the CLI's
post-command hook does.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from taorui import __version__
from tools._base import Tool, ToolKind, ToolOutcome, ToolResult
from tools.order_tools import OrderReasonOut, PlaceOrderArgs, order_key
from tools.registry import all_tools

if TYPE_CHECKING:
    import mcp_types
    from mcp.server import Server, ServerRequestContext
    from mcp.server.session import ServerSession

    from guardrails import Gate, Policy
    from taorui.wiring import AppContext
    from taorui_engines.brokers.models import Attribution
    from taorui_engines.progress import ProgressEvent
    from tools._context import ToolContext

__all__ = [
    "LEFT_OUT",
    "PROPOSE_ORDER",
    "ProposeOrderResult",
    "build_server",
    "client_agent",
    "run_http",
    "run_stdio",
    "served_tools",
]

logger = logging.getLogger(__name__)

#: Tools the project has that this server does not serve, and why.
LEFT_OUT: dict[str, str] = {
    "place_order": "sends an order when the gate allows it; served as propose_order, which only asks a person",
    "cancel_order": "acts on the broker; a person cancels through the CLI",
    "run_trading_cycle": "its orders can go to the broker without a person; run it with `taorui trade`",
}

#: Most characters of the text part of a result.
_TEXT_LIMIT = 600
#: Least seconds between two progress notifications of one call (engines report in tight loops).
_PROGRESS_EVERY_S = 0.5


# propose_order ---------------------------------------------------------------------------
class ProposeOrderResult(ToolResult):
    """What became of a proposed order: it waits for a person, or the gate rejected it."""

    decision: Literal["needs_approval", "reject"] = Field(
        description="needs_approval: in the approval inbox, waiting for a person; reject: refused by the gate.")
    approval_id: str | None = Field(description="The approval request id (apr-...) when it waits for a person.")
    order_key: str = Field(description="Idempotency key of the order.")
    reasons: list[OrderReasonOut] = Field(description="The gate's reasons (why approval is needed, or why rejected).")
    proposed_by: str = Field(description="Who proposed it, as the audit log records it (mcp:<client>).")
    trading_state: str = Field(description="active, reducing or halted.")
    policy_hash: str = Field(description="Version of the risk policy that decided (with approval always on).")
    sent: bool = Field(description="Always false: nothing is sent to the broker from the MCP server.")
    message: str = Field(description="One-line summary, with how a person approves it.")


@dataclass(frozen=True)
class ProposalDesk:
    """What ``propose_order`` runs with: a gate whose policy asks a person for every order."""

    gate: Gate
    attribution: Attribution


def supervised_policy(policy: Policy) -> Policy:
    """``policy`` with ``approvals.always`` on: every order that passes the limits waits for a person."""
    from guardrails import Policy

    data = policy.model_dump(mode="json")
    data["approvals"] = {**data["approvals"], "always": True}
    return Policy.model_validate(data)


def _propose(args: PlaceOrderArgs, desk: ProposalDesk) -> ProposeOrderResult:
    from taorui_engines.errors import InternalError

    if not desk.gate.policy.approvals.always:  # fail closed: this path must never be able to send
        raise InternalError("the MCP proposal gate must ask a person for every order")
    key = order_key(args, desk.attribution)
    raw = {"key": key, "symbol": args.symbol, "side": args.side, "qty": args.qty, "type": args.order_type,
           "limit_price": args.limit_price}
    outcome = desk.gate.propose(raw, desk.attribution)
    if outcome.submitted or outcome.decision.value == "allow":
        raise InternalError(f"order {key} was allowed by a gate that asks a person for every order")
    reasons = [OrderReasonOut(code=r.code.value, message=r.message) for r in outcome.reasons]
    decision: Literal["needs_approval", "reject"] = (
        "needs_approval" if outcome.decision.value == "needs_approval" else "reject")
    return ProposeOrderResult(
        decision=decision, approval_id=outcome.approval_id, order_key=key, reasons=reasons,
        proposed_by=desk.attribution.agent, trading_state=outcome.trading_state.value,
        policy_hash=outcome.policy_hash, sent=False, message=_proposal_message(decision, key, outcome.approval_id,
                                                                              reasons))


def _proposal_message(decision: str, key: str, approval_id: str | None, reasons: list[OrderReasonOut]) -> str:
    if decision == "needs_approval":
        return (f"order {key} waits for a person's approval (request {approval_id}); nothing was sent. "
                f"A person decides with `taorui approvals list` and `taorui approve {approval_id} --submit` "
                f"or `taorui reject {approval_id} --reason ...`")
    return f"order {key} was rejected by the risk gate: " + "; ".join(r.message for r in reasons)


PROPOSE_ORDER: Tool[PlaceOrderArgs, ProposeOrderResult, ProposalDesk] = Tool(
    name="propose_order", kind=ToolKind.COMPUTE, args_model=PlaceOrderArgs, result_model=ProposeOrderResult,
    fn=_propose,
    description="Propose an order for a person to approve: the risk gate checks it and it either waits in "
                "Taorui's approval inbox for a person's decision or is rejected with reasons. It is never sent "
                "to the broker from here.",
)


# the catalogue ---------------------------------------------------------------------------
def served_tools() -> dict[str, Tool]:  # type: ignore[type-arg]
    """Name -> tool for everything the server serves: the registry's tools and ``propose_order``."""
    tools = {name: tool for name, tool in all_tools().items() if tool.kind is not ToolKind.EXECUTE}
    return {**tools, PROPOSE_ORDER.name: PROPOSE_ORDER}


def _mcp_tool(tool: Tool) -> mcp_types.Tool:  # type: ignore[type-arg]
    import mcp_types

    read_only = tool.kind is ToolKind.READ
    annotations = mcp_types.ToolAnnotations(
        title=tool.name.replace("_", " "), read_only_hint=read_only, destructive_hint=False,
        idempotent_hint=read_only, open_world_hint=False)
    return mcp_types.Tool(
        name=tool.name, description=tool.description, annotations=annotations,
        input_schema=tool.args_model.model_json_schema(),
        output_schema=tool.result_model.model_json_schema(mode="serialization"),
    )


def client_agent(client_name: str | None) -> str:
    """The attribution of an MCP client: ``mcp:<name>`` (safe characters, fits the audit's 64)."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", client_name or "").strip("-")[:56]
    return f"mcp:{name or 'unknown-client'}"


def _finite(value: Any) -> Any:
    """JSON data with NaN and infinities as null (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def summary_text(tool: str, result: Mapping[str, Any]) -> str:
    """A short line for the text part of a result; the full result is the structured content."""
    for key in ("message", "summary", "answer"):
        if isinstance(result.get(key), str) and result[key]:
            return f"{tool}: {result[key]}"[:_TEXT_LIMIT]
    metrics = result.get("metrics")
    parts = [f"{k}={_short(v)}" for k, v in metrics.items() if isinstance(v, int | float)][:8] \
        if isinstance(metrics, dict) else []
    parts += [f"{k}={_short(v)}" for k, v in result.items() if isinstance(v, str | int | float | bool)
              and len(str(v)) < 60]
    parts += [f"{k}: {len(v)} item(s)" for k, v in result.items() if isinstance(v, list) and v]
    text = f"{tool}: " + ", ".join(parts) + " (full result in the structured content)"
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 3] + "..."


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _result(outcome: ToolOutcome) -> mcp_types.CallToolResult:
    import mcp_types

    if not outcome.ok or outcome.result is None:
        error = outcome.error
        text = f"{error.type}: {error.message}" if error else "the tool failed without saying why"
        return mcp_types.CallToolResult(content=[mcp_types.TextContent(text=text)], is_error=True)
    data = _finite(outcome.result)
    return mcp_types.CallToolResult(content=[mcp_types.TextContent(text=summary_text(outcome.tool, data))],
                                    structured_content=data)


# progress --------------------------------------------------------------------------------
@dataclass
class McpProgress:
    """Forwards an engine's progress to the MCP client from the worker thread a tool runs in.

    At most one notification per ``every_s`` (plus the last of each task), so a training loop
    does not flood the pipe. A client that did not ask for progress gets none (the SDK
    drops it); one that went away costs a debug line, never the tool's result.
    """

    session: ServerSession
    every_s: float = _PROGRESS_EVERY_S
    _last: float = 0.0

    def update(self, event: ProgressEvent) -> None:
        """Send ``event`` unless the last one went out less than ``every_s`` ago."""
        import anyio.from_thread

        finished = event.total is not None and event.done >= event.total
        now = time.monotonic()
        if not finished and now - self._last < self.every_s:
            return
        self._last = now
        message = f"{event.task}: {event.message}" if event.message else event.task
        try:
            anyio.from_thread.run(self.session.report_progress, float(event.done),
                                  None if event.total is None else float(event.total), message)
        except Exception as exc:  # progress is a courtesy; the work goes on
            logger.debug("progress not delivered: %s", exc)


# the server ------------------------------------------------------------------------------
class TaoruiMcp:
    """The request handlers: list the served tools, run one call at a time in a worker thread."""

    def __init__(self, app: AppContext, tools: Mapping[str, Tool] | None = None) -> None:  # type: ignore[type-arg]
        import anyio

        self._app = app
        self._tools = dict(tools) if tools is not None else served_tools()
        self._lock = anyio.Lock()
        self._proposal_gate: Gate | None = None

    async def list_tools(self, ctx: ServerRequestContext[Any], params: mcp_types.PaginatedRequestParams | None,
                         ) -> mcp_types.ListToolsResult:
        """Every served tool with its input and output JSON Schema."""
        import mcp_types

        return mcp_types.ListToolsResult(tools=[_mcp_tool(t) for t in self._tools.values()])

    async def call_tool(self, ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams,
                        ) -> mcp_types.CallToolResult:
        """Validate and run one tool; errors come back as tool errors with our message."""
        import anyio.to_thread

        tool = self._tools.get(params.name)
        if tool is None:
            return _result(ToolOutcome(tool=params.name, ok=False, error=_unknown(params.name, self._tools)))
        agent = client_agent(_client_name(ctx))
        logger.info("mcp: %s calls %s", agent, tool.name)
        run = self._runner(tool, params.arguments or {}, agent, McpProgress(ctx.session))
        async with self._lock:
            outcome = await anyio.to_thread.run_sync(run)
        return _result(outcome)

    def _runner(self, tool: Tool, raw: Mapping[str, Any], agent: str,  # type: ignore[type-arg]
                progress: McpProgress) -> Callable[[], ToolOutcome]:
        def run() -> ToolOutcome:
            if tool is PROPOSE_ORDER:
                return tool.invoke(raw, self._desk(agent))
            return self._with_memory_hook(lambda: tool.invoke(raw, self._tool_context(agent, progress)))

        return run

    def _tool_context(self, agent: str, progress: McpProgress) -> ToolContext:
        return dataclasses.replace(self._app.tool_context(agent=agent), progress=progress)

    def _desk(self, agent: str) -> ProposalDesk:
        from taorui_engines.brokers.models import Attribution

        if self._proposal_gate is None:
            app = self._app
            self._proposal_gate = app.make_gate(policy=supervised_policy(app.risk_policy), clock=app.session_clock)
        return ProposalDesk(gate=self._proposal_gate, attribution=Attribution(agent=agent))

    def _with_memory_hook(self, call: Callable[[], ToolOutcome]) -> ToolOutcome:
        """Run ``call``; queue the run folders and audit rows it made for memory (as the CLI does)."""
        if not self._app.with_memory:
            return call()
        from taorui.cli._hooks import remember_new_work, work_snapshot

        before = work_snapshot(self._app)
        try:
            return call()
        finally:
            remember_new_work(self._app, before)


def _client_name(ctx: ServerRequestContext[Any]) -> str | None:
    params = ctx.session.client_params
    return params.client_info.name if params is not None else None


def _unknown(name: str, tools: Mapping[str, Tool]) -> Any:  # type: ignore[type-arg]
    from tools._base import ErrorInfo

    why = f" ({LEFT_OUT[name]})" if name in LEFT_OUT else ""
    return ErrorInfo(type="NotFound", message=f"no tool {name!r} on this server{why}; known: {', '.join(sorted(tools))}")


_INSTRUCTIONS = (
    "Taorui: quant research tools over a local data store (prices, factor evaluation, Qlib models, Backtrader "
    "and RL backtests, long-term memory of past runs). Results say which series are synthetic and which "
    "train/valid/test windows and costs were used. Orders are proposals only: propose_order puts an order in "
    "the approval inbox for a person; nothing is sent to a broker from this server."
)


def build_server(app: AppContext) -> Server[Any]:
    """The MCP server over ``app``'s tools (one per process; handlers share ``app``'s services)."""
    from mcp.server import Server

    handlers = TaoruiMcp(app)
    return Server("taorui", version=__version__, title="Taorui", instructions=_INSTRUCTIONS,
                  on_list_tools=handlers.list_tools, on_call_tool=handlers.call_tool)


async def run_stdio(server: Server[Any]) -> None:
    """Serve one client over stdin/stdout until it closes the pipe."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run_http(server: Server[Any], port: int, host: str = "127.0.0.1") -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` (localhost only by default; DNS-rebinding checks on)."""
    import uvicorn

    app = server.streamable_http_app(host=host)
    logger.info("mcp: serving streamable HTTP at http://%s:%d/mcp", host, port)
    uvicorn.run(app, host=host, port=port, log_level="warning")
