"""Trading-cycle tools: run a portfolio's cycle (execute, built in ``tools.order_tools``) and
explain what the strategy picked (read).

Tools do not hold the cycle: the app injects a :class:`TradingPort` (``ToolContext.trading``)
whose every order goes through the portfolio's own guardrail gate. An agent cannot choose or
loosen a portfolio's mode: a portfolio made through an instruction runs *supervised* (a
person approves every order), and ``ask_before_orders`` can only make one run stricter.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, model_validator

from taorui_engines.errors import UnavailableError
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = ["EXPLAIN_TRADES", "TOOLS", "CycleArgs", "CycleResult", "ExplainArgs", "ExplainResult", "TradingPort",
           "require_trading"]


class CycleArgs(ToolArgs):
    """Arguments of ``run_trading_cycle``."""

    portfolio: str | None = Field(default=None, min_length=1, max_length=48, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$",
                                  description="Portfolio name; default: one named after the strategy.")
    model_run_id: str | None = Field(default=None, max_length=128, pattern=r"^[A-Za-z0-9_.\-]+$",
                                     description="A trained Qlib model run to score with (default: the newest "
                                                 "LightGBM run) when no factor expression is given.")
    expression: str | None = Field(default=None, max_length=500, description="A factor expression to rank by "
                                   "instead of a model, e.g. 'Ref($close,5)/$close-1'.")
    universe: str = Field(default="csi_syn", min_length=1, max_length=64)
    top_k: int | None = Field(default=None, ge=1, le=1000, description="Hold the top K names.")
    top_pct: float | None = Field(default=None, gt=0, le=100, description="Hold the top X percent (default 5).")
    ask_before_orders: bool = Field(default=False, description="The person asked to approve every order.")
    commission_rate: float | None = Field(default=None, ge=0, le=0.05, description="Commission the person stated "
                                          "(fraction of value); a new portfolio's paper costs (default 10 bp).")
    slippage: float | None = Field(default=None, ge=0, le=0.05, description="Slippage the person stated (fraction).")
    start: date | None = Field(default=None, description="Replay from this day (default: today's cycle only).")
    end: date | None = Field(default=None, description="Replay to this day (default: start).")

    @model_validator(mode="after")
    def _one_source(self) -> CycleArgs:
        if self.top_k is not None and self.top_pct is not None:
            raise ValueError("give top_k or top_pct, not both")
        if self.end is not None and self.start is None:
            raise ValueError("end needs start")
        return self


class PendingOrder(BaseModel):
    """An order that waits for a person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    symbol: str
    side: Literal["buy", "sell"]
    qty: float
    price: float
    why: str
    reasons: list[str]


class CycleResult(ToolResult):
    """What the cycle did (the report's headline and what waits)."""

    portfolio: str
    created: bool = Field(description="True if this call made the portfolio.")
    mode: str
    mode_note: str
    strategy: str
    construction: str
    days: list[date]
    paused_on: date | None
    pending: list[PendingOrder]
    decisions: list[dict[str, object]] = Field(description="The days' orders and what became of them.")
    report: dict[str, object]
    live_note: str | None
    approve_command: str | None
    text_en: str
    text_zh: str


class ExplainArgs(ToolArgs):
    """Arguments of ``explain_trades``."""

    portfolio: str | None = Field(default=None, max_length=48, description="Portfolio (default: the one that "
                                  "traded most recently).")
    day: date | None = Field(default=None, description="The day (default: the last day with a signal).")
    symbol: str | None = Field(default=None, max_length=32, description="One name (default: the names picked).")


class ExplainResult(ToolResult):
    """Why the strategy picked names, from the model itself."""

    portfolio: str
    day: date
    items: list[dict[str, object]]
    method: str
    text_en: str
    text_zh: str


@runtime_checkable
class TradingPort(Protocol):
    """The trading desk as tools see it (the app builds it; every order goes through a gate)."""

    def run_cycle(self, args: CycleArgs, agent: str) -> CycleResult:
        """Make the portfolio if needed (supervised) and run its cycle."""

    def explain(self, args: ExplainArgs) -> ExplainResult:
        """Explain a day's picks."""


def require_trading(ctx: ToolContext) -> TradingPort:
    """The context's trading desk, or a clear error."""
    port = getattr(ctx, "trading", None)
    if port is None:
        raise UnavailableError("no trading desk is configured for this session")
    return port  # type: ignore[no-any-return]


def _explain(args: ExplainArgs, ctx: ToolContext) -> ExplainResult:
    return require_trading(ctx).explain(args)


EXPLAIN_TRADES: Tool[ExplainArgs, ExplainResult, ToolContext] = Tool(
    name="explain_trades",
    description="Explain why the trading cycle's strategy picked (or did not pick) names on a day: the model's own "
    "per-feature contributions, the factor's value, or the policy's inputs. Places no order.",
    kind=ToolKind.READ,
    args_model=ExplainArgs,
    result_model=ExplainResult,
    fn=_explain,
)

TOOLS: tuple[Tool, ...] = (EXPLAIN_TRADES,)  # type: ignore[type-arg]
