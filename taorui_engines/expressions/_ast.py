"""The tree a factor expression parses into: numbers, fields and operator calls.

Infix operators are calls too (``a + b`` is ``Call("Add", (a, b))``), so the checker, the
canonical printer and the describer each handle one shape. Positions are kept for error
messages and left out of equality, so two spellings of one factor compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Num:
    """A numeric constant. ``integral`` is True when it was written without '.' or 'e'."""

    value: float
    integral: bool = field(default=False, compare=False)
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Field:
    """A data field such as ``$close`` (``name`` is ``"close"``)."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """A whitelisted operator applied to its arguments."""

    op: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


Node = Num | Field | Call


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (iterative: no recursion limit)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        if isinstance(current, Call):
            stack.extend(reversed(current.args))
    return out


def depth(node: Node) -> int:
    """Height of the tree, 1 for a leaf; iterative, so any tree can be measured safely."""
    best = 0
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        if isinstance(current, Call):
            stack.extend((arg, level + 1) for arg in current.args)
    return best
