"""The check that stands between a user's factor expression and Qlib's ``eval``.

Qlib turns an expression into Python source and evaluates it, so nothing may reach Qlib
that is not a plain expression of fields, numbers, operators and whitelisted functions.
This module is the single hook :class:`DataCenter` calls in front of every expression; it
delegates to the safe-expression parser (:mod:`taorui_engines.expressions`) and returns the
*canonical* text that parser prints, so Qlib never sees the user's own spelling.
"""

from __future__ import annotations

from taorui_engines.expressions import parse_expression


def check_expression(expression: str) -> str:
    """The canonical Qlib text of ``expression``, or ``InvalidExpressionError``/``UnsafeExpressionError``.

    Field names are only checked for form here (the data center does not say which
    universe an expression is for); callers that know the universe pass its fields to
    :func:`~taorui_engines.expressions.parse_expression` themselves.
    """
    return parse_expression(expression).canonical
