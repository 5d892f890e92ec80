"""The check that stands between a user's factor expression and Qlib's ``eval``.

Qlib turns an expression into Python source and evaluates it, so nothing may reach Qlib
that is not a plain expression of fields, numbers, operators and whitelisted functions.
This module is the single hook :class:`DataCenter` calls; it delegates to the full parser of
the factor-expression module when that is available.
"""

from __future__ import annotations

import re

from taorui_engines.errors import InvalidExpressionError, UnsafeExpressionError

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<field>\$[a-z][a-z0-9_]{0,31})"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|[-+*/(),<>&|]))"
)
_OPERATORS = frozenset(
    "Ref Mean Std Sum Max Min Delta Slope Rsquare Resi Corr Cov Rank Quantile EMA WMA Abs "
    "Log Sign Power If Greater Less IdxMax IdxMin Mad Med Skew Kurt Count Var Not And Or "
    "Mask ChangeInstrument".split()
)
_MAX_LEN = 2000


def check_expression(expression: str) -> str:
    """Return ``expression`` if it only uses the factor grammar's tokens, else raise."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidExpressionError("empty expression")
    if len(expression) > _MAX_LEN:
        raise InvalidExpressionError(f"expression longer than {_MAX_LEN} characters")
    pos = 0
    text = expression.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsafeExpressionError(
                f"character {text[pos]!r} at position {pos} is not part of the factor grammar"
            )
        name = match.group("name")
        if name is not None and (name not in _OPERATORS or "__" in name):
            raise UnsafeExpressionError(f"{name!r} at position {match.start('name')} is not an allowed operator")
        pos = match.end()
    return text
