"""Recursive-descent parser and checker of factor expressions.

Grammar (loosest binding first; ``cmp`` does not chain)::

    expr   := and ( '|' and )*
    and    := cmp ( '&' cmp )*
    cmp    := sum ( ('>' | '>=' | '<' | '<=' | '==' | '!=') sum )?
    sum    := term ( ('+' | '-') term )*
    term   := unary ( ('*' | '/') unary )*
    unary  := ('-' | '+') unary | atom
    atom   := NUMBER | FIELD | NAME '(' expr ( ',' expr )* ')' | '(' expr ')'

The parser counts nesting and nodes as it goes, so a hostile input (ten thousand
parentheses) is refused at the limit instead of exhausting Python's stack. The checker
then types every node (constant, numeric series, condition), checks each operator's
arguments against the whitelist (:mod:`._operators`), folds constant arithmetic and puts
the operands of commutative operators in a fixed order, so equal factors print equally.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.errors import InvalidExpressionError, UnsafeExpressionError
from taorui_engines.expressions._ast import Call, Node, Num
from taorui_engines.expressions._ast import Field as FieldNode
from taorui_engines.expressions._operators import INFIX, MAX_WINDOW, OPERATORS, OperatorSpec
from taorui_engines.expressions._render import canonical, format_number
from taorui_engines.expressions._tokens import PYTHON_NAMES, Token, near, tokenize

Kind = Literal["const", "number", "condition"]

_LEVELS: tuple[tuple[str, ...], ...] = (
    ("|",), ("&",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/"),
)
_CMP_LEVEL = 2


class ExpressionLimits(BaseModel):
    """Size limits of one expression. The defaults fit every Alpha158/Alpha360 factor."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_length: int = Field(default=1000, ge=1, le=10_000, description="Most characters.")
    max_depth: int = Field(default=24, ge=1, le=64, description="Deepest nesting of the tree.")
    max_nodes: int = Field(default=200, ge=1, le=2000, description="Most numbers, fields and operators.")
    max_window: int = Field(default=MAX_WINDOW, ge=1, le=MAX_WINDOW, description="Longest window or lag, days.")
    max_lookback: int = Field(default=1000, ge=1, le=5000, description="Most history one value may need, days.")


def _at(text: str, pos: int) -> str:
    return f"at position {pos} (near {near(text, pos)!r})"


class Parser:
    """Turns one expression's tokens into a tree; one instance per expression."""

    def __init__(self, text: str, limits: ExpressionLimits) -> None:
        self.text = text
        self.limits = limits
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0
        self.nodes = 0

    # token helpers -----------------------------------------------------------------------
    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _next(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _expect(self, kind: str, what: str) -> Token:
        token = self._peek()
        if token.kind != kind:
            raise InvalidExpressionError(f"expected {what} {_at(self.text, token.pos)}, found {_shown(token)}")
        return self._next()

    def _count(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise InvalidExpressionError(
                f"expression has more than {self.limits.max_nodes} terms; split it into simpler factors"
            )
        return node

    def _enter(self, pos: int) -> None:
        self.nesting += 1
        if self.nesting > self.limits.max_depth:
            raise InvalidExpressionError(
                f"expression nests deeper than {self.limits.max_depth} levels {_at(self.text, pos)}"
            )

    # grammar -----------------------------------------------------------------------------
    def parse(self) -> Node:
        """The whole input as one expression; trailing tokens are an error."""
        node = self._level(0)
        token = self._peek()
        if token.kind != "end":
            raise InvalidExpressionError(f"unexpected {_shown(token)} {_at(self.text, token.pos)}")
        return node

    def _level(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self._unary()
        left = self._level(level + 1)
        while self._peek().kind == "op" and self._peek().text in _LEVELS[level]:
            op = self._next()
            right = self._level(level + 1)
            left = self._count(Call(INFIX[op.text], (left, right), op.pos))
            nxt = self._peek()
            if level == _CMP_LEVEL and nxt.kind == "op" and nxt.text in _LEVELS[_CMP_LEVEL]:
                raise InvalidExpressionError(
                    f"comparisons cannot be chained {_at(self.text, nxt.pos)}; "
                    "combine them with & or |, e.g. ($a > 1) & ($a < 2)"
                )
        return left

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind == "op" and token.text in "+-":
            self._next()
            self._enter(token.pos)
            operand = self._unary()
            self.nesting -= 1
            if token.text == "+":
                return operand
            if isinstance(operand, Num):
                return Num(-operand.value, operand.integral, token.pos)
            return self._count(Call("Mul", (operand, Num(-1.0, True, token.pos)), token.pos))
        return self._atom()

    def _atom(self) -> Node:
        token = self._next()
        if token.kind == "num":
            return self._count(_number(self.text, token))
        if token.kind == "field":
            return self._count(FieldNode(token.text[1:], token.pos))
        if token.kind == "name":
            return self._call(token)
        if token.kind == "(":
            self._enter(token.pos)
            inner = self._level(0)
            self._expect(")", "')'")
            self.nesting -= 1
            return inner
        raise InvalidExpressionError(
            f"expected a number, a field like $close, an operator call or '(' "
            f"{_at(self.text, token.pos)}, found {_shown(token)}"
        )

    def _call(self, name: Token) -> Node:
        if self._peek().kind != "(":
            raise _bare_name(self.text, name)
        spec = _operator(self.text, name)
        self._enter(name.pos)
        self._next()
        args = [self._level(0)]
        while self._peek().kind == ",":
            self._next()
            args.append(self._level(0))
        self._expect(")", f"',' or ')' to close {spec.name}(")
        self.nesting -= 1
        return self._count(Call(spec.name, tuple(args), name.pos))


def _shown(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


def _number(text: str, token: Token) -> Num:
    value = float(token.text)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidExpressionError(f"number {token.text!r} is out of range {_at(text, token.pos)}")
    integral = not any(c in token.text for c in ".eE")
    return Num(value, integral, token.pos)


def _operator(text: str, name: Token) -> OperatorSpec:
    """The spec of a called name, or the error that says why it cannot be called."""
    if name.text in OPERATORS:
        return OPERATORS[name.text]
    folded = {op.lower(): op for op in OPERATORS}
    if name.text.lower() in folded:
        raise InvalidExpressionError(
            f"unknown operator {name.text!r} {_at(text, name.pos)}; operators are case-sensitive: "
            f"did you mean {folded[name.text.lower()]}?"
        )
    if name.text in PYTHON_NAMES:
        raise UnsafeExpressionError(
            f"{name.text!r} {_at(text, name.pos)} is a Python built-in, not a factor operator; "
            "expressions cannot call Python"
        )
    close = difflib.get_close_matches(name.text, list(OPERATORS), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `taorui factor ops` lists them"
    raise InvalidExpressionError(f"unknown operator {name.text!r} {_at(text, name.pos)}{hint}")


def _bare_name(text: str, name: Token) -> Exception:
    if name.text in PYTHON_NAMES:
        return UnsafeExpressionError(
            f"{name.text!r} {_at(text, name.pos)} is a Python name, not part of the factor grammar"
        )
    if name.text in OPERATORS:
        return InvalidExpressionError(
            f"{name.text} {_at(text, name.pos)} is an operator: call it, e.g. {name.text}($close, 5)"
        )
    return InvalidExpressionError(
        f"unknown name {name.text!r} {_at(text, name.pos)}: fields start with '$', e.g. ${name.text.lower()}"
    )


# checking ------------------------------------------------------------------------------------
class Checker:
    """Types a parsed tree, validates operator arguments, folds constants, orders operands."""

    def __init__(self, text: str, limits: ExpressionLimits, fields: Collection[str] | None) -> None:
        self.text = text
        self.limits = limits
        self.fields = None if fields is None else frozenset(fields)

    def check(self, node: Node) -> tuple[Node, Kind]:
        """The checked (folded, ordered) node and its kind."""
        if isinstance(node, Num):
            return node, "const"
        if isinstance(node, FieldNode):
            return self._field(node), "number"
        return self._call(node)

    def _field(self, node: FieldNode) -> FieldNode:
        if self.fields is not None and node.name not in self.fields:
            have = ", ".join(f"${f}" for f in sorted(self.fields))
            raise InvalidExpressionError(
                f"unknown field ${node.name} {_at(self.text, node.pos)}; the data has {have}"
            )
        return node

    def _call(self, node: Call) -> tuple[Node, Kind]:
        spec = OPERATORS[node.op]
        if len(node.args) != len(spec.args):
            raise InvalidExpressionError(
                f"{spec.name} takes {len(spec.args)} argument(s) ({', '.join(spec.args)}), "
                f"got {len(node.args)} {_at(self.text, node.pos)}"
            )
        checked = [self._argument(spec, i, arg) for i, arg in enumerate(node.args)]
        args = tuple(a for a, _ in checked)
        kinds = [k for _, k in checked]
        if all(want == "number" for want in spec.args) and all(k == "const" for k in kinds):
            return self._fold(spec, args, node.pos), "const"
        if spec.name == "Div" and isinstance(args[1], Num) and args[1].value == 0:
            raise InvalidExpressionError(f"division by zero {_at(self.text, node.pos)}")
        if spec.commutative and _order_key(args[1]) < _order_key(args[0]):
            args = (args[1], args[0], *args[2:])
        return Call(spec.name, args, node.pos), spec.result

    def _argument(self, spec: OperatorSpec, index: int, arg: Node) -> tuple[Node, Kind]:
        want = spec.args[index]
        where = f"argument {index + 1} of {spec.name} {_at(self.text, getattr(arg, 'pos', 0))}"
        if want == "window":
            return self._window(spec, arg, where), "const"
        if want == "fraction":
            return self._fraction(arg, where), "const"
        node, kind = self.check(arg)
        _require(want, kind, where)
        return node, kind

    def _window(self, spec: OperatorSpec, arg: Node, where: str) -> Num:
        if isinstance(arg, Num) and spec.name == "Ref" and arg.value <= 0 and arg.integral:
            why = "reads the future (look-ahead)" if arg.value < 0 else "means the first loaded value"
            raise InvalidExpressionError(
                f"Ref with lag {format_number(arg.value)} {why}; {where} must be a lag of 1..{self.limits.max_window} days"
            )
        if not isinstance(arg, Num) or not arg.integral:
            raise InvalidExpressionError(f"{where} must be a whole number of days, like 20")
        low, high = spec.min_window, self.limits.max_window
        if not low <= arg.value <= high:
            raise InvalidExpressionError(f"{where} is {int(arg.value)} days; {spec.name} takes {low}..{high}")
        return arg

    def _fraction(self, arg: Node, where: str) -> Num:
        if not isinstance(arg, Num) or not 0.0 <= arg.value <= 1.0:
            raise InvalidExpressionError(f"{where} must be a constant between 0 and 1, like 0.8")
        return arg

    def _fold(self, spec: OperatorSpec, args: tuple[Node, ...], pos: int) -> Num:
        """Arithmetic on two constants becomes one constant; anything else is refused."""
        values = [a.value for a in args if isinstance(a, Num)]
        if spec.name not in ("Add", "Sub", "Mul", "Div"):
            raise InvalidExpressionError(
                f"{spec.name} of constants only {_at(self.text, pos)}: an operator needs a series "
                "(a field or an expression of fields); write the number instead"
            )
        left, right = values
        if spec.name == "Div" and right == 0:
            raise InvalidExpressionError(f"division by zero {_at(self.text, pos)}")
        result = {"Add": left + right, "Sub": left - right, "Mul": left * right}.get(spec.name)
        result = left / right if result is None else result
        if result != result or abs(result) == float("inf"):
            raise InvalidExpressionError(f"constant arithmetic overflows {_at(self.text, pos)}")
        integral = all(isinstance(a, Num) and a.integral for a in args) and spec.name != "Div"
        return Num(result, integral, pos)


def _require(want: str, kind: Kind, where: str) -> None:
    """Refuse an argument of the wrong kind with a message that says how to fix it."""
    if want == "series" and kind == "const":
        raise InvalidExpressionError(f"{where} must be a series (a field or an expression of fields), not a constant")
    if want == "number" and kind == "condition":
        raise InvalidExpressionError(
            f"{where} is a condition; use If(condition, 1, 0) to turn it into a number"
        )
    if want == "condition" and kind != "condition":
        raise InvalidExpressionError(f"{where} must be a condition, such as $close > Ref($close, 1)")


def _order_key(node: Node) -> tuple[bool, str]:
    """Series before constants, then by text: a total order on operands."""
    return isinstance(node, Num), canonical(node)

