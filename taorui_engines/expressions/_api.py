"""``parse_expression``: from untrusted text to a checked, canonical, described factor."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.errors import InvalidExpressionError
from taorui_engines.expressions._ast import Call, Node, Num, depth, walk
from taorui_engines.expressions._ast import Field as FieldNode
from taorui_engines.expressions._operators import OPERATORS
from taorui_engines.expressions._parser import Checker, ExpressionLimits, Parser
from taorui_engines.expressions._render import canonical, describe

_DEFAULT_LIMITS = ExpressionLimits()


class ParsedExpression(BaseModel):
    """A factor expression that passed the grammar, with what a researcher wants to know."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="The expression as given.")
    canonical: str = Field(
        description="Normalised Qlib text (spacing, numbers, operand order): what Qlib evaluates, "
        "and the key for deduplication."
    )
    description: str = Field(description="The expression read out in English.")
    kind: Literal["number", "condition"] = Field(
        description="'condition' for a boolean expression (Qlib reads it as 1/0)."
    )
    fields: tuple[str, ...] = Field(description="Data fields used, without '$'.")
    operators: tuple[str, ...] = Field(description="Qlib operators used (infix ones by name, e.g. Div).")
    lookback: int = Field(
        description="Trading days of history before a date that the value at that date reads "
        "(Qlib extends its load by this much)."
    )
    depth: int = Field(description="Height of the expression tree.")
    size: int = Field(description="Number of fields, numbers and operators.")


def parse_expression(
    text: str,
    fields: Collection[str] | None = None,
    limits: ExpressionLimits = _DEFAULT_LIMITS,
) -> ParsedExpression:
    """Parse, check and canonicalise ``text``; raise before anything is evaluated.

    ``fields`` restricts the ``$field`` names (for example to the fields of a universe);
    ``None`` accepts any well-formed lower-case field name. Raises
    :class:`~taorui_engines.errors.UnsafeExpressionError` for input that tries to leave the
    grammar (code, strings, attribute access, dunders, lookalike characters) and
    :class:`~taorui_engines.errors.InvalidExpressionError` for anything else that is wrong
    (syntax, unknown operators or fields, arity, window bounds, look-ahead, size limits).
    """
    source = _check_text(text, limits)
    tree = Parser(source, limits).parse()
    height = depth(tree)
    if height > limits.max_depth:
        raise InvalidExpressionError(
            f"expression nests deeper than {limits.max_depth} levels ({height}); split it into simpler factors"
        )
    checked, kind = Checker(source, limits, fields).check(tree)
    if kind == "const":
        raise InvalidExpressionError("expression is a constant: it must use at least one field such as $close")
    need = lookback(checked)
    if need > limits.max_lookback:
        raise InvalidExpressionError(
            f"expression needs {need} trading days of history; at most {limits.max_lookback} are allowed"
        )
    return _summary(text, checked, kind, need)


def _check_text(text: object, limits: ExpressionLimits) -> str:
    if not isinstance(text, str):
        raise InvalidExpressionError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > limits.max_length:
        raise InvalidExpressionError(
            f"expression is {len(text)} characters long; at most {limits.max_length} are allowed"
        )
    if not text.strip():
        raise InvalidExpressionError("empty expression")
    return text


def _summary(text: str, tree: Node, kind: str, need: int) -> ParsedExpression:
    nodes = walk(tree)
    return ParsedExpression(
        source=text,
        canonical=canonical(tree),
        description=describe(tree),
        kind="condition" if kind == "condition" else "number",
        fields=tuple(sorted({n.name for n in nodes if isinstance(n, FieldNode)})),
        operators=tuple(sorted({n.op for n in nodes if isinstance(n, Call)})),
        lookback=need,
        depth=depth(tree),
        size=len(nodes),
    )


def lookback(node: Node) -> int:
    """History a value needs, counted like Qlib's ``get_extended_window_size``.

    A rolling window of N adds N-1 earlier days, a ``Ref`` of N adds N, and the operands
    of any operator need the most that either needs.
    """
    if not isinstance(node, Call):
        return 0
    spec = OPERATORS[node.op]
    inner = max((lookback(a) for a, want in zip(node.args, spec.args, strict=True)
                 if want in ("series", "number", "condition")), default=0)
    if "window" not in spec.args:
        return inner
    window = node.args[spec.args.index("window")]
    assert isinstance(window, Num)
    return inner + int(window.value) - (0 if spec.lag_only else 1)


def expression_tree(text: str, fields: Collection[str] | None = None,
                    limits: ExpressionLimits = _DEFAULT_LIMITS) -> Node:
    """The checked tree of ``text`` (raises like :func:`parse_expression`).

    For code that rewrites expressions (the factor-mining search breeds from written ones);
    whatever it builds is printed and parsed again before it is evaluated.
    """
    source = _check_text(text, limits)
    checked, _ = Checker(source, limits, fields).check(Parser(source, limits).parse())
    return checked


def canonicalize(text: str, fields: Collection[str] | None = None) -> str:
    """The canonical Qlib text of ``text`` (raises like :func:`parse_expression`)."""
    return parse_expression(text, fields).canonical
