"""The offline proposer: a seeded genetic search over expression trees.

Round 0 evaluates the seeds of the run's themes (and any given expressions). Every later
round breeds ``population`` new candidates from an elite archive: tournament selection on
the search score, then crossover (a sub-tree of one parent grafted into another) or a
mutation (a window to a neighbouring value, an operator to a sibling, a price field to
another, a smoothing wrapper). Every child is printed and sent through the parser; a child
the parser refuses is kept as an invalid candidate with the parser's message. Children
over the complexity bound or already tried are discarded before evaluation.

The score the search climbs sees only the mining period::

    fitness = |Rank ICIR| - SIZE_PENALTY * size - (|Rank ICIR| / 2 if it duplicates an accepted factor)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from taorui_engines.errors import InvalidInputError, UnsafeError
from taorui_engines.expressions import ParsedExpression, parse_expression
from taorui_engines.factor_mining import _tree
from taorui_engines.factor_mining._models import Origin
from taorui_engines.factor_mining._tree import Gene

#: Score lost per tree node (the complexity penalty).
SIZE_PENALTY = 0.004
#: Tournament size for parent selection.
TOURNAMENT = 3


@dataclass
class Candidate:
    """A proposed factor on its way through the loop (mutable while the round runs)."""

    expr: str
    theme: str
    origin: Origin
    round: int
    gene: Gene | None = None
    parsed: ParsedExpression | None = None
    error: str | None = None
    fitness: float | None = None
    frame: pd.DataFrame | None = None  # mining-period values, kept while in the archive
    hypothesis: str | None = None


def fitness(icir: float | None, size: int, redundant: bool) -> float:
    """The search score of a candidate (mining-period numbers only)."""
    strength = abs(icir) if icir is not None else 0.0
    return strength - SIZE_PENALTY * size - (strength / 2 if redundant else 0.0)


class Proposer:
    """Breeds candidates; deterministic for a seed (one ``random.Random`` drives every choice)."""

    def __init__(self, seed: int, fields: tuple[str, ...], max_size: int, max_depth: int) -> None:
        self.rng = random.Random(seed)
        self.fields = fields
        self.max_size = max_size
        self.max_depth = max_depth
        self.discarded = 0

    def check(self, candidate: Candidate) -> Candidate:
        """Run the parser on the candidate's text; a refusal is recorded, not raised."""
        try:
            candidate.parsed = parse_expression(candidate.expr, fields=self.fields)
        except (InvalidInputError, UnsafeError) as exc:
            candidate.error = f"{exc.type_name}: {exc.message}"
        return candidate

    def _fits(self, parsed: ParsedExpression) -> bool:
        return parsed.size <= self.max_size and parsed.depth <= self.max_depth

    def initial(self, seeds: list[tuple[str, Gene]], population: int, seen: set[str]) -> list[Candidate]:
        """The seeds, then mutated seeds until there are ``population`` candidates."""
        out = self._admit([Candidate(_tree.render(g), theme, "seed", 0, gene=g) for theme, g in seeds], seen)
        attempts = 0
        while len(out) < population and seeds and attempts < population * 20:
            attempts += 1
            theme, gene = self.rng.choice(seeds)
            out += self._admit([self._mutant(gene, theme, 0)], seen)
        return out

    def breed(self, archive: list[Candidate], population: int, round_: int, seen: set[str]) -> list[Candidate]:
        """``population`` new candidates from the archive (fewer if the search runs dry)."""
        parents = [c for c in archive if c.gene is not None and c.fitness is not None]
        out: list[Candidate] = []
        attempts = 0
        while len(out) < population and parents and attempts < population * 30:
            attempts += 1
            first = self._select(parents)
            if self.rng.random() < 0.4 and len(parents) > 1:
                second = self._select(parents)
                assert first.gene is not None and second.gene is not None
                child = Candidate("", first.theme, "crossover", round_,
                                  gene=_tree.crossover(first.gene, second.gene, self.rng))
                child.expr = _tree.render(child.gene)  # type: ignore[arg-type]
            else:
                assert first.gene is not None
                child = self._mutant(first.gene, first.theme, round_)
            out += self._admit([child], seen)
        return out

    def _select(self, parents: list[Candidate]) -> Candidate:
        picks = [self.rng.choice(parents) for _ in range(TOURNAMENT)]
        return max(picks, key=lambda c: (c.fitness or 0.0, c.expr))

    def _mutant(self, gene: Gene, theme: str, round_: int) -> Candidate:
        roll = self.rng.random()
        mutate: Callable[[Gene, random.Random], Gene]
        if roll < 0.45:
            mutate = _tree.mutate_window
        elif roll < 0.75:
            mutate = _tree.mutate_operator
        elif roll < 0.9:
            def mutate(g: Gene, r: random.Random) -> Gene:
                return _tree.mutate_field(g, r, self.fields)
        else:
            mutate = _tree.wrap
        child = mutate(gene, self.rng)
        return Candidate(_tree.render(child), theme, "mutation", round_, gene=child)

    def _admit(self, batch: list[Candidate], seen: set[str]) -> list[Candidate]:
        """Parse each candidate; keep the new ones within the bounds and the parser's refusals."""
        out = []
        for candidate in batch:
            self.check(candidate)
            if candidate.parsed is None:
                if candidate.expr not in seen:
                    seen.add(candidate.expr)
                    out.append(candidate)
                continue
            key = candidate.parsed.canonical
            if key in seen or not self._fits(candidate.parsed):
                self.discarded += 1
                continue
            seen.add(key)
            out.append(candidate)
        return out
