"""Safe factor expressions: our own grammar in front of Qlib's ``eval``.

Qlib turns an expression string into Python source and evaluates it, so a crafted string
can run code on the host. Every expression that reaches Qlib in Taorui has gone through
:func:`parse_expression` first: a hand-written tokenizer and recursive-descent parser over
a closed alphabet, a whitelist of Qlib operators with their argument kinds and window
bounds, size and depth limits, and a printer that emits the canonical text Qlib then sees
(never the user's text).

Public surface::

    parse_expression(text, fields=None, limits=ExpressionLimits()) -> ParsedExpression
    canonicalize(text) -> str
    expression_tree(text, fields=None) -> Num | Field | Call   (the checked tree)
    OPERATORS, BASE_FIELDS, MAX_WINDOW, OperatorSpec, ExpressionLimits
"""

from taorui_engines.expressions._api import ParsedExpression, canonicalize, expression_tree, parse_expression
from taorui_engines.expressions._operators import BASE_FIELDS, MAX_WINDOW, OPERATORS, OperatorSpec
from taorui_engines.expressions._parser import ExpressionLimits

__all__ = [
    "BASE_FIELDS",
    "MAX_WINDOW",
    "OPERATORS",
    "ExpressionLimits",
    "OperatorSpec",
    "ParsedExpression",
    "canonicalize",
    "expression_tree",
    "parse_expression",
]
