"""The whitelist: every Qlib operator a factor expression may use, with its signature.

Qlib defines more operators than this (``Mask``, ``ChangeInstrument``, ``TResample``,
``$$`` point-in-time fields); those take strings or reach other instruments and stay out.
Each entry says what kind of value each argument must be, so that a wrong call is refused
with a message before Qlib builds anything:

- ``series``: a per-instrument time series (a field or an expression of fields); a
  condition (a comparison) is accepted too, as Qlib's rolling operators read it as 0/1.
- ``number``: a numeric series or a constant.
- ``condition``: a boolean series (a comparison, ``And``/``Or``/``Not`` of them).
- ``window``: a constant integer count of trading days, within the operator's bounds.
- ``fraction``: a constant in [0, 1] (the quantile of ``Quantile``).

Windows start at the smallest size for which the statistic is defined (a standard deviation
needs two points) and stop at :data:`MAX_WINDOW`. ``Ref`` only looks back: a negative
``Ref`` reads the future (look-ahead) and ``Ref(x, 0)`` means "the first value of the
loaded window", which depends on the query dates; both are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Largest rolling window or Ref lag, in trading days (about one year).
MAX_WINDOW = 250

ArgKind = Literal["series", "number", "condition", "window", "fraction"]
ResultKind = Literal["number", "condition"]


@dataclass(frozen=True)
class OperatorSpec:
    """Signature of one whitelisted operator."""

    name: str
    args: tuple[ArgKind, ...]
    result: ResultKind = "number"
    #: Smallest allowed window (only for operators with a ``window`` argument).
    min_window: int = 1
    #: Infix symbol when the operator has one (``Add`` is ``+``).
    symbol: str | None = None
    #: Whether swapping the first two arguments gives bit-identical results.
    commutative: bool = False
    #: How a window adds history: rolling windows need N-1 earlier days, Ref needs N.
    lag_only: bool = False
    summary: str = ""


def _rolling(name: str, min_window: int, summary: str) -> OperatorSpec:
    return OperatorSpec(name, ("series", "window"), min_window=min_window, summary=summary)


def _pair(name: str, symbol: str, result: ResultKind, commutative: bool, summary: str) -> OperatorSpec:
    return OperatorSpec(
        name, ("number", "number"), result=result, symbol=symbol, commutative=commutative,
        summary=summary,
    )


_SPECS: tuple[OperatorSpec, ...] = (
    # element-wise
    OperatorSpec("Abs", ("series",), summary="absolute value"),
    OperatorSpec("Sign", ("series",), summary="sign: -1, 0 or 1"),
    OperatorSpec("Log", ("series",), summary="natural logarithm"),
    OperatorSpec("Power", ("number", "number"), summary="x to the power y"),
    OperatorSpec("Greater", ("number", "number"), commutative=True, summary="element-wise maximum"),
    OperatorSpec("Less", ("number", "number"), commutative=True, summary="element-wise minimum"),
    OperatorSpec("If", ("condition", "number", "number"), summary="x if the condition holds else y"),
    OperatorSpec("Not", ("condition",), result="condition", summary="logical not"),
    # arithmetic, comparison and logic (also written infix)
    _pair("Add", "+", "number", True, "sum"),
    _pair("Sub", "-", "number", False, "difference"),
    _pair("Mul", "*", "number", True, "product"),
    _pair("Div", "/", "number", False, "quotient"),
    _pair("Gt", ">", "condition", False, "greater than"),
    _pair("Ge", ">=", "condition", False, "greater than or equal"),
    _pair("Lt", "<", "condition", False, "less than"),
    _pair("Le", "<=", "condition", False, "less than or equal"),
    _pair("Eq", "==", "condition", True, "equal"),
    _pair("Ne", "!=", "condition", True, "not equal"),
    OperatorSpec("And", ("condition", "condition"), result="condition", symbol="&",
                 commutative=True, summary="logical and"),
    OperatorSpec("Or", ("condition", "condition"), result="condition", symbol="|",
                 commutative=True, summary="logical or"),
    # rolling over the last N trading days (the current day included)
    OperatorSpec("Ref", ("series", "window"), lag_only=True, summary="value N days ago"),
    _rolling("Mean", 1, "rolling mean"),
    _rolling("Sum", 1, "rolling sum"),
    _rolling("Std", 2, "rolling standard deviation"),
    _rolling("Var", 2, "rolling variance"),
    _rolling("Skew", 3, "rolling skewness"),
    _rolling("Kurt", 4, "rolling kurtosis"),
    _rolling("Max", 1, "rolling maximum"),
    _rolling("Min", 1, "rolling minimum"),
    _rolling("IdxMax", 1, "position of the rolling maximum (1 = oldest day of the window)"),
    _rolling("IdxMin", 1, "position of the rolling minimum (1 = oldest day of the window)"),
    _rolling("Med", 1, "rolling median"),
    _rolling("Mad", 2, "rolling mean absolute deviation"),
    _rolling("Rank", 2, "percentile of today's value among the last N days (time-series rank)"),
    _rolling("Count", 1, "number of non-missing values in the window"),
    _rolling("Delta", 1, "change over N days: x - Ref(x, N)"),
    _rolling("Slope", 2, "slope of a linear regression of x on time"),
    _rolling("Rsquare", 2, "R-squared of a linear regression of x on time"),
    _rolling("Resi", 2, "last residual of a linear regression of x on time"),
    _rolling("WMA", 1, "linearly weighted moving average"),
    _rolling("EMA", 1, "exponential moving average with span N"),
    OperatorSpec("Quantile", ("series", "window", "fraction"), min_window=2,
                 summary="rolling q-quantile"),
    OperatorSpec("Corr", ("series", "series", "window"), min_window=2, summary="rolling correlation"),
    OperatorSpec("Cov", ("series", "series", "window"), min_window=2, summary="rolling covariance"),
)

#: Name -> spec of every operator an expression may call.
OPERATORS: dict[str, OperatorSpec] = {spec.name: spec for spec in _SPECS}
#: Infix symbol -> operator name.
INFIX: dict[str, str] = {spec.symbol: spec.name for spec in _SPECS if spec.symbol}
#: Fields every store has (the data center writes vwap and factor next to the bars).
BASE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "vwap", "factor")
