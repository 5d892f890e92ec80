"""Printing a checked tree: the canonical Qlib text, and a sentence in English.

The canonical text is what Qlib evaluates, so it must mean the same thing to our grammar
and to Python (Qlib rewrites ``$x`` and ``Op(`` and hands the rest to ``eval``). The two
disagree on one point: Python binds ``&`` and ``|`` tighter than comparisons, we (like
most people reading ``$a > 1 & $b < 2``) bind them looser. The printer therefore adds
parentheses wherever *either* reading would group differently, and around a chained
comparison or a right operand of equal precedence, so the tree is printed exactly.
"""

from __future__ import annotations

from taorui_engines.expressions._ast import Call, Field, Node, Num
from taorui_engines.expressions._operators import OPERATORS

_COMPARISONS = frozenset({"Gt", "Ge", "Lt", "Le", "Eq", "Ne"})
#: Binding strength in our grammar.
_OURS = {"Or": 1, "And": 2, **dict.fromkeys(_COMPARISONS, 3), "Add": 4, "Sub": 4, "Mul": 5, "Div": 5}
#: Binding strength in Python (the language Qlib's eval speaks).
_PYTHON = {"Or": 4, "And": 6, **dict.fromkeys(_COMPARISONS, 3), "Add": 8, "Sub": 8, "Mul": 9, "Div": 9}


def format_number(value: float) -> str:
    """Shortest text that reads back as ``value``: ``5`` not ``5.0``, ``1e-12`` as is."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def is_infix(node: Node) -> bool:
    """Whether ``node`` prints as ``left <symbol> right``."""
    return isinstance(node, Call) and node.op in _OURS


def canonical(node: Node) -> str:
    """The normalised Qlib text of a checked tree."""
    if isinstance(node, Num):
        return format_number(node.value)
    if isinstance(node, Field):
        return f"${node.name}"
    if is_infix(node):
        left, right = node.args
        symbol = OPERATORS[node.op].symbol
        return f"{_operand(left, node.op, False)} {symbol} {_operand(right, node.op, True)}"
    return f"{node.op}({', '.join(canonical(arg) for arg in node.args)})"


def _operand(child: Node, parent: str, right: bool) -> str:
    text = canonical(child)
    if isinstance(child, Num) and child.value < 0:
        return f"({text})"
    if not isinstance(child, Call) or not is_infix(child):
        return text
    looser = _OURS[child.op] < _OURS[parent] or _PYTHON[child.op] < _PYTHON[parent]
    same_right = right and _OURS[child.op] == _OURS[parent]
    chained = child.op in _COMPARISONS and parent in _COMPARISONS
    return f"({text})" if looser or same_right or chained else text


# description ------------------------------------------------------------------------------
_FIELD_WORDS = {
    "open": "open price", "high": "high price", "low": "low price", "close": "close price",
    "volume": "volume", "vwap": "VWAP", "factor": "adjustment factor",
}
_INFIX_WORDS = {
    "Add": "plus", "Sub": "minus", "Mul": "times", "Div": "divided by",
    "Gt": "is above", "Ge": "is at least", "Lt": "is below", "Le": "is at most",
    "Eq": "equals", "Ne": "differs from", "And": "and", "Or": "or",
}
_ROLLING_WORDS = {
    "Mean": "{n}-day mean of {x}", "Sum": "{n}-day sum of {x}",
    "Std": "{n}-day standard deviation of {x}", "Var": "{n}-day variance of {x}",
    "Skew": "{n}-day skewness of {x}", "Kurt": "{n}-day kurtosis of {x}",
    "Max": "{n}-day high of {x}", "Min": "{n}-day low of {x}",
    "IdxMax": "position of the {n}-day high of {x} (1 = oldest day)",
    "IdxMin": "position of the {n}-day low of {x} (1 = oldest day)",
    "Med": "{n}-day median of {x}", "Mad": "{n}-day mean absolute deviation of {x}",
    "Rank": "percentile of today's {x} among its last {n} days",
    "Count": "number of days with a value of {x} in the last {n}",
    "Delta": "change in {x} over {n} days", "Slope": "{n}-day trend slope of {x}",
    "Rsquare": "R-squared of the {n}-day trend of {x}",
    "Resi": "residual of {x} from its {n}-day trend", "WMA": "{n}-day weighted average of {x}",
    "EMA": "{n}-day exponential average of {x}", "Ref": "{x} {n} days ago",
}
_UNARY_WORDS = {"Abs": "absolute value of {x}", "Sign": "sign of {x}", "Log": "log of {x}",
                "Not": "not {x}"}


def describe(node: Node) -> str:
    """A plain-English reading of a checked tree, e.g. "close price 5 days ago"."""
    if isinstance(node, Num):
        return format_number(node.value)
    if isinstance(node, Field):
        return _FIELD_WORDS.get(node.name, f"field {node.name}")
    if is_infix(node):
        left, right = node.args
        return f"{_wrapped(left)} {_INFIX_WORDS[node.op]} {_wrapped(right)}"
    return _describe_call(node)


def _wrapped(node: Node) -> str:
    text = describe(node)
    return f"({text})" if is_infix(node) else text


def _describe_call(node: Call) -> str:
    args = node.args
    if node.op in _ROLLING_WORDS:
        days = format_number(_num(args[1]))
        text = _ROLLING_WORDS[node.op].format(x=_wrapped(args[0]), n=days)
        return text.replace(" 1 days", " 1 day")
    if node.op in _UNARY_WORDS:
        return _UNARY_WORDS[node.op].format(x=_wrapped(args[0]))
    words = [_wrapped(a) for a in args]
    if node.op == "Quantile":
        return f"{format_number(_num(args[1]))}-day {format_number(_num(args[2]))}-quantile of {words[0]}"
    if node.op in ("Corr", "Cov"):
        name = "correlation" if node.op == "Corr" else "covariance"
        return f"{format_number(_num(args[2]))}-day {name} of {words[0]} and {words[1]}"
    if node.op == "If":
        return f"{_wrapped(args[1])} if {words[0]}, else {_wrapped(args[2])}"
    templates = {"Power": "{0} to the power {1}", "Greater": "the larger of {0} and {1}",
                 "Less": "the smaller of {0} and {1}"}
    return templates[node.op].format(*(_wrapped(a) for a in args))


def _num(node: Node) -> float:
    assert isinstance(node, Num)
    return node.value
