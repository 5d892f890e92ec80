"""Themes: the families of factors a search starts from, named in English or Chinese.

A theme is a list of seed trees (classic factors of the family, at several windows). The
initial population of a run is the seeds of its themes; later rounds breed from whatever
the evaluation rewarded, so a theme steers where the search starts, not where it may go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from taorui_engines.errors import InvalidArgumentError
from taorui_engines.factor_mining._tree import Const, Gene, Leaf, Node

THEMES: tuple[str, ...] = ("momentum", "reversal", "volatility", "volume", "liquidity")

#: Other names of each theme (matched case-insensitively after trimming spaces).
ALIASES: dict[str, str] = {
    "momentum": "momentum", "trend": "momentum", "动量": "momentum", "趋势": "momentum",
    "reversal": "reversal", "mean reversion": "reversal", "mean-reversion": "reversal", "反转": "reversal",
    "volatility": "volatility", "risk": "volatility", "波动率": "volatility", "波动": "volatility",
    "volume": "volume", "price-volume": "volume", "price volume": "volume", "成交量": "volume",
    "量价": "volume", "liquidity": "liquidity", "turnover": "liquidity", "流动性": "liquidity",
    "换手率": "liquidity", "换手": "liquidity",
}
MAX_THEME_LENGTH = 40


def theme_key(text: str) -> str:
    """The canonical theme for ``text`` (``"波动率"`` -> ``"volatility"``), or a clear refusal."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"a theme must be text, not {type(text).__name__}")
    key = " ".join(text.strip().lower().split())
    if len(key) > MAX_THEME_LENGTH or key not in ALIASES:
        shown = text if len(text) <= MAX_THEME_LENGTH else text[:MAX_THEME_LENGTH] + "..."
        raise InvalidArgumentError(
            f"unknown factor theme {shown!r}; themes are {', '.join(THEMES)} "
            "(also 动量, 反转, 波动率, 成交量/量价, 流动性/换手率)"
        )
    return ALIASES[key]


def _f(name: str) -> Leaf:
    return Leaf(name)


def _op(name: str, *args: Gene, window: int | None = None) -> Node:
    return Node(name, args, window)


def _ret(n: int) -> Node:
    """``$close / Ref($close, n) - 1``: the n-day return."""
    return _op("Sub", _op("Div", _f("close"), _op("Ref", _f("close"), window=n)), Const(1))


def _momentum() -> list[Gene]:
    close = _f("close")
    out: list[Gene] = [_ret(n) for n in (5, 10, 20, 60)]
    out += [_op("Sub", _op("Div", close, _op("Mean", close, window=n)), Const(1)) for n in (10, 20)]
    out += [_op("Div", _op("Slope", close, window=n), close) for n in (10, 20)]
    return out


def _reversal() -> list[Gene]:
    close = _f("close")
    out: list[Gene] = [_op("Sub", _op("Div", _op("Ref", close, window=n), close), Const(1)) for n in (1, 3, 5, 10)]
    out += [_op("Sub", _op("Div", _op("Mean", close, window=n), close), Const(1)) for n in (5, 10)]
    out.append(_op("Div", _op("Sub", _op("Max", _f("high"), window=5), close), close))
    return out


def _volatility() -> list[Gene]:
    out: list[Gene] = [_op("Std", _ret(1), window=n) for n in (10, 20, 60)]
    spread = _op("Div", _op("Sub", _f("high"), _f("low")), _f("close"))
    out += [_op("Mean", spread, window=n) for n in (10, 20)]
    out.append(_op("Div", _op("Std", _ret(1), window=5), _op("Std", _ret(1), window=60)))
    out.append(_op("Skew", _ret(1), window=20))
    return out


def _volume() -> list[Gene]:
    volume = _f("volume")
    out: list[Gene] = [_op("Div", _op("Mean", volume, window=a), _op("Mean", volume, window=b))
                       for a, b in ((5, 20), (5, 60), (10, 60))]
    out.append(_op("Div", volume, _op("Mean", volume, window=20)))
    out += [_op("Corr", _f("close"), _op("Log", _op("Add", volume, Const(1))), window=n) for n in (10, 20)]
    out.append(_op("Div", _op("Std", volume, window=20), _op("Mean", volume, window=20)))
    return out


def _liquidity() -> list[Gene]:
    volume, close = _f("volume"), _f("close")
    amihud = _op("Div", _op("Abs", _ret(1)), _op("Mul", volume, close))
    out: list[Gene] = [_op("Mean", amihud, window=n) for n in (5, 20)]
    out.append(_op("Log", _op("Mean", _op("Mul", volume, close), window=20)))
    out.append(_op("Div", _op("Sum", volume, window=5), _op("Sum", volume, window=60)))
    out.append(_op("Std", _op("Log", volume), window=20))
    return out


_SEEDS: dict[str, Callable[[], list[Gene]]] = {
    "momentum": _momentum, "reversal": _reversal, "volatility": _volatility,
    "volume": _volume, "liquidity": _liquidity,
}


def seeds(themes: Iterable[str]) -> list[tuple[str, Gene]]:
    """``(theme, tree)`` for every seed of ``themes`` (canonical keys), in a fixed order."""
    return [(theme, tree) for theme in themes for tree in _SEEDS[theme]()]


def uses_only(tree: Gene, fields: Iterable[str]) -> bool:
    """True when every field of ``tree`` is one of ``fields``."""
    have = set(fields)
    if isinstance(tree, Leaf):
        return tree.field in have
    if isinstance(tree, Node):
        return all(uses_only(a, have) for a in tree.args)
    return True
