"""Expression trees the genetic search breeds, printed as text for the project's parser.

A tree is only a candidate: its printed text (every operator spelled by name, for example
``Div(Ref($close, 5), $close)``) goes through :func:`~taorui_engines.expressions.parse_expression`
like any other expression, and only the canonical text the parser returns is evaluated.
Windows are attributes of a node, never subtrees, so a crossover cannot turn a window into
an expression; window bounds come from the grammar's own :data:`OPERATORS` table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from taorui_engines.expressions import OPERATORS

#: Windows (trading days) the search draws from; mutation moves to a neighbour.
WINDOWS: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 30, 60)

#: Operators that may replace one another in an operator mutation (same signature).
SWAP_GROUPS: tuple[tuple[str, ...], ...] = (
    ("Mean", "EMA", "WMA", "Med"),
    ("Std", "Mad"),
    ("Max", "Min"),
    ("Slope", "Delta"),
    ("Skew", "Kurt"),
    ("Sum", "Mean"),
    ("Corr", "Cov"),
    ("Add", "Sub"),
    ("Mul", "Div"),
)
PRICE_FIELDS: tuple[str, ...] = ("close", "vwap", "open", "high", "low")


@dataclass(frozen=True)
class Leaf:
    """A data field, without the ``$``."""

    field: str


@dataclass(frozen=True)
class Const:
    """A numeric constant."""

    value: float


@dataclass(frozen=True)
class Node:
    """An operator over sub-trees, with its window when the operator has one."""

    op: str
    args: tuple[Gene, ...]
    window: int | None = None


Gene = Leaf | Const | Node


def render(gene: Gene) -> str:
    """The tree as expression text (operators by name; the parser canonicalises it)."""
    if isinstance(gene, Leaf):
        return f"${gene.field}"
    if isinstance(gene, Const):
        return f"{gene.value:g}"
    parts = [render(a) for a in gene.args]
    if gene.window is not None:
        parts.append(str(gene.window))
    return f"{gene.op}({', '.join(parts)})"


def size(gene: Gene) -> int:
    """Number of fields, constants and operators (windows not counted, as in the parser)."""
    if isinstance(gene, Node):
        return 1 + sum(size(a) for a in gene.args)
    return 1


def paths(gene: Gene, here: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """Every position in the tree, as the argument indexes that lead to it."""
    out = [here]
    if isinstance(gene, Node):
        for i, arg in enumerate(gene.args):
            out.extend(paths(arg, (*here, i)))
    return out


def get(gene: Gene, path: tuple[int, ...]) -> Gene:
    """The sub-tree at ``path``."""
    for i in path:
        assert isinstance(gene, Node)
        gene = gene.args[i]
    return gene


def put(gene: Gene, path: tuple[int, ...], new: Gene) -> Gene:
    """A copy of ``gene`` with the sub-tree at ``path`` replaced by ``new``."""
    if not path:
        return new
    assert isinstance(gene, Node)
    args = list(gene.args)
    args[path[0]] = put(args[path[0]], path[1:], new)
    return replace(gene, args=tuple(args))


def _min_window(op: str) -> int:
    return OPERATORS[op].min_window


def _nodes(gene: Gene, kind: type) -> list[tuple[int, ...]]:
    return [p for p in paths(gene) if isinstance(get(gene, p), kind)]


def mutate_window(gene: Gene, rng: random.Random) -> Gene:
    """Move one window to a neighbouring value of :data:`WINDOWS` (within the operator's bounds)."""
    spots = [p for p in _nodes(gene, Node) if get(gene, p).window is not None]  # type: ignore[union-attr]
    if not spots:
        return gene
    path = rng.choice(spots)
    node = get(gene, path)
    assert isinstance(node, Node) and node.window is not None
    allowed = [w for w in WINDOWS if w >= _min_window(node.op) and w != node.window]
    here = _index(node.window)
    near = sorted(allowed, key=lambda w: (abs(_index(w) - here), w))
    pick = rng.choice(near[:2]) if rng.random() < 0.8 else rng.choice(allowed)
    return put(gene, path, replace(node, window=pick))


def _index(window: int) -> int:
    return min(range(len(WINDOWS)), key=lambda i: abs(WINDOWS[i] - window))


def mutate_operator(gene: Gene, rng: random.Random) -> Gene:
    """Swap one operator for another of its group (``Mean`` -> ``EMA``, ``Max`` -> ``Min``, ...)."""
    spots = [p for p in _nodes(gene, Node) if _group(get(gene, p).op)]  # type: ignore[union-attr]
    if not spots:
        return gene
    path = rng.choice(spots)
    node = get(gene, path)
    assert isinstance(node, Node)
    choices = [op for op in _group(node.op) if op != node.op]
    new_op = rng.choice(choices)
    window = node.window
    if window is not None:
        window = max(window, _min_window(new_op))
    return put(gene, path, replace(node, op=new_op, window=window))


def _group(op: str) -> tuple[str, ...]:
    merged: list[str] = []
    for group in SWAP_GROUPS:
        if op in group:
            merged.extend(g for g in group if g not in merged)
    return tuple(merged)


def mutate_field(gene: Gene, rng: random.Random, fields: tuple[str, ...]) -> Gene:
    """Replace one price field by another price field the universe has."""
    prices = [f for f in PRICE_FIELDS if f in fields]
    spots = [p for p in _nodes(gene, Leaf) if get(gene, p).field in prices]  # type: ignore[union-attr]
    if not spots or len(prices) < 2:
        return gene
    path = rng.choice(spots)
    old = get(gene, path)
    assert isinstance(old, Leaf)
    return put(gene, path, Leaf(rng.choice([f for f in prices if f != old.field])))


def wrap(gene: Gene, rng: random.Random) -> Gene:
    """Smooth the whole factor: ``Mean(x, N)`` or ``EMA(x, N)`` with a short window."""
    return Node(rng.choice(("Mean", "EMA")), (gene,), rng.choice((3, 5, 10)))


def crossover(a: Gene, b: Gene, rng: random.Random) -> Gene:
    """``a`` with one of its sub-trees replaced by a random sub-tree of ``b``."""
    into = rng.choice(paths(a))
    donor = get(b, rng.choice(paths(b)))
    return put(a, into, donor)


def from_text(text: str, fields: tuple[str, ...] | None = None) -> Gene | None:
    """The gene of a written expression, so the search can breed from it; None when it cannot.

    Expressions the gene shape does not hold (an operator with a fraction argument such as
    ``Quantile``) are evaluated as written but not bred from.
    """
    from taorui_engines.errors import InvalidInputError, UnsafeError
    from taorui_engines.expressions import expression_tree
    from taorui_engines.expressions._ast import Call, Field, Num

    try:
        tree = expression_tree(text, fields)
    except (InvalidInputError, UnsafeError):
        return None

    def convert(node: object) -> Gene | None:
        if isinstance(node, Field):
            return Leaf(node.name)
        if isinstance(node, Num):
            return Const(node.value)
        assert isinstance(node, Call)
        spec = OPERATORS[node.op]
        if "fraction" in spec.args:
            return None
        window = None
        args: list[Gene] = []
        for arg, kind in zip(node.args, spec.args, strict=True):
            if kind == "window":
                assert isinstance(arg, Num)
                window = int(arg.value)
                continue
            child = convert(arg)
            if child is None:
                return None
            args.append(child)
        return Node(node.op, tuple(args), window)

    return convert(tree)
