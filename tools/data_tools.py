"""Market-data tools: ``get_price``.

The result is sized for a model's context: a per-symbol summary (span, first and last
close, change, provenance) plus the bars themselves, capped at ``max_rows`` (the latest
rows are kept; ``truncated`` says so). Synthetic data is named synthetic in the result.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from taorui_engines.errors import InvalidArgumentError
from tools._base import Tool, ToolArgs, ToolKind, ToolResult
from tools._context import ToolContext

__all__ = ["GET_PRICE", "TOOLS", "GetPriceArgs", "GetPriceResult", "PriceSummary"]

PriceField = Literal["open", "high", "low", "close", "volume", "vwap", "factor"]


def _default_fields() -> list[PriceField]:
    return ["open", "high", "low", "close", "volume"]


class GetPriceArgs(ToolArgs):
    """Arguments of ``get_price``."""

    symbols: list[str] = Field(
        min_length=1, max_length=50,
        description="Symbols or one universe name, e.g. ['GOLD'], ['SP500', 'NASDAQ'] or ['csi_syn'].",
    )
    start: date = Field(description="First day, YYYY-MM-DD.")
    end: date = Field(description="Last day, YYYY-MM-DD.")
    fields: list[PriceField] = Field(
        default_factory=_default_fields, min_length=1,
        description="Bar fields to return.",
    )
    freq: Literal["day", "1min"] = Field(default="day", description="Bar frequency.")
    max_rows: int = Field(default=300, ge=1, le=5000, description="Most bars returned (the latest are kept).")

    @field_validator("symbols")
    @classmethod
    def _non_blank(cls, value: list[str]) -> list[str]:
        if any(not s.strip() for s in value):
            raise ValueError("symbols must not be blank")
        return value


class PriceSummary(BaseModel):
    """One symbol over the requested window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str
    first_date: str
    last_date: str
    bars: int
    first_close: float | None
    last_close: float | None
    change: float | None = Field(description="last_close / first_close - 1.")
    synthetic: bool = Field(description="True when the series is SYNTHETIC (generated, not market data).")
    source: str


class GetPriceResult(ToolResult):
    """Bars (date, symbol, fields), per-symbol summaries, and whether rows were cut."""

    rows: list[dict[str, float | str | None]]
    summaries: list[PriceSummary]
    truncated: bool = Field(description="True when more bars exist than max_rows; the latest were kept.")
    total_rows: int


def _summary(ctx: ToolContext, symbol: str, part: pd.DataFrame) -> PriceSummary:
    info = ctx.data.info(symbol)
    closes = part["close"].dropna() if "close" in part else pd.Series(dtype="float64")
    first = float(closes.iloc[0]) if len(closes) else None
    last = float(closes.iloc[-1]) if len(closes) else None
    return PriceSummary(
        symbol=symbol, first_date=str(part["date"].iloc[0].date()), last_date=str(part["date"].iloc[-1].date()),
        bars=len(part), first_close=first, last_close=last,
        change=(last / first - 1) if first and last is not None else None,
        synthetic=info.synthetic, source=info.source,
    )


def _rows(frame: pd.DataFrame, freq: str) -> list[dict[str, float | str | None]]:
    fmt = "%Y-%m-%d" if freq == "day" else "%Y-%m-%d %H:%M:%S"
    out = frame.copy()
    out["date"] = out["date"].dt.strftime(fmt)
    records = out.astype(object).where(out.notna(), None).to_dict(orient="records")
    return [{str(k): v for k, v in r.items()} for r in records]


def _get_price(args: GetPriceArgs, ctx: ToolContext) -> GetPriceResult:
    if args.start > args.end:
        raise InvalidArgumentError(f"start {args.start} is after end {args.end}")
    fields = list(dict.fromkeys(["close", *args.fields]))
    frame = ctx.data.get_price(args.symbols, args.start, args.end, freq=args.freq, fields=fields)
    summaries = [_summary(ctx, str(sym), part) for sym, part in frame.groupby("symbol", sort=False)]
    shown = frame[["date", "symbol", *args.fields]]
    return GetPriceResult(
        rows=_rows(shown.tail(args.max_rows), args.freq), summaries=summaries,
        truncated=len(frame) > args.max_rows, total_rows=len(frame),
    )


GET_PRICE: Tool[GetPriceArgs, GetPriceResult, ToolContext] = Tool(
    name="get_price",
    description="Daily (or minute) bars of symbols or a universe between two dates, with a summary per symbol "
                "and where the data came from (synthetic series are marked).",
    kind=ToolKind.READ,
    args_model=GetPriceArgs,
    result_model=GetPriceResult,
    fn=_get_price,
)

TOOLS: tuple[Tool, ...] = (GET_PRICE,)  # type: ignore[type-arg]
