"""Qlib's feature frame computed a whole panel at a time, with Qlib's own arithmetic.

Why: Qlib's expression engine evaluates every expression for one instrument at a time, each
operator a pandas call on a short Series, so Alpha158 over 120 symbols is ~19,000 expression
loads and ~100,000 small pandas calls; the Python around them is most of a first dataset
build. Here each operator runs once over a block of instruments (days x instruments), so the
same work is a few hundred array calls.

Why the values are Qlib's: every step does what Qlib 0.9.7's ``qlib/data/ops.py`` does, on
the same numbers in the same dtype, only on many columns at once:

- the store's float32 columns, read as Qlib's ``FileFeatureStorage`` reads them;
- each expression over the window Qlib loads for it: from ``start - left`` to ``end + right``
  calendar days, its ``get_extended_window_size``, cut to each instrument's own data. Instruments
  whose cut window is the same form one block, so a block holds exactly the rows Qlib's Series
  holds (no padding; a rolling statistic starts where Qlib's starts);
- element-wise operators are the NumPy ufuncs Qlib calls (float32 stays float32), rolling
  statistics are pandas' ``rolling(N, min_periods=1)`` on a frame (the same Cython routine per
  column as on Qlib's Series), ``Slope``/``Rsquare``/``Resi`` call Qlib's own Cython per column,
  ``Corr`` and ``Rsquare`` blank the same near-constant windows; ``IdxMax``/``IdxMin`` (a Python
  ``rolling.apply`` in Qlib, the slowest operator there) are vectorised here with
  ``rolling.apply``'s rules (inf read as NaN, the first NaN of a window wins, 1-based offsets);
- each result is cast to float32 and cut to [start, end], as ``LocalExpressionProvider`` does.

What is not done here goes to Qlib: an operator this module does not implement (``EMA``,
``WMA``, ``Mad``), an input of a kind Qlib would treat specially (a condition fed to ``Ref`` or
to arithmetic), or text our parser refuses (then Qlib evaluates it exactly as before). A store
whose fields of one instrument span different days, or a missing column, sends the whole load
to Qlib's ``QlibDataLoader``; so does a request for other than daily bars (only daily stores are
checked against Qlib) or a window without a trading day (Qlib answers it with an empty frame).
This module is the one place that decides what is computed here and what Qlib computes: the
Alpha158 dataset and the data center's expression reads both call :func:`load_features`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from taorui_engines.errors import TaoruiError
from taorui_engines.expressions import expression_tree
from taorui_engines.expressions._ast import Call, Field, Node, Num, walk

logger = logging.getLogger(__name__)

__all__ = ["GroupConfig", "load_features", "qlib_window"]

#: ``{group: (expressions, column names)}``, the config of Qlib's ``QlibDataLoader``.
GroupConfig = Mapping[str, tuple[Sequence[str], Sequence[str]]]
#: What a node evaluates to: a days x instruments array, or a constant as Python would hold it.
Value = np.ndarray | float | int

#: Where pandas' rolling method has the same name as ours (Qlib's ``Rolling(func=...)``).
_PANDAS_ROLLING: dict[str, str] = {
    "Mean": "mean", "Sum": "sum", "Std": "std", "Var": "var", "Skew": "skew", "Kurt": "kurt",
    "Max": "max", "Min": "min", "Med": "median", "Count": "count",
}
#: Qlib's ``NpPairOperator`` ufuncs.
_PAIR: dict[str, Callable[..., Any]] = {
    "Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Power": np.power,
    "Greater": np.maximum, "Less": np.minimum, "Gt": np.greater, "Ge": np.greater_equal,
    "Lt": np.less, "Le": np.less_equal, "Eq": np.equal, "Ne": np.not_equal,
}
_LOGICAL: dict[str, Callable[..., Any]] = {"And": np.bitwise_and, "Or": np.bitwise_or}
_REGRESSIONS = ("Slope", "Rsquare", "Resi")
_ROLLING_LIKE = frozenset({*_PANDAS_ROLLING, "Quantile", "Rank", "Delta", "IdxMax", "IdxMin", *_REGRESSIONS,
                           "EMA", "WMA", "Mad"})
#: Qlib's tolerance for "this window is constant" in ``Corr`` and ``Rsquare``.
_FLAT_ATOL = 2e-05


class _Unsupported(Exception):
    """This expression is left to Qlib's engine (an operator or input kind not done here)."""


class _StoreMismatch(Exception):
    """The store or the request is not one this module reads exactly; Qlib loads everything."""


def load_features(config: GroupConfig, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp,
                  trees: Mapping[str, Node] | None = None, freq: str = "day") -> pd.DataFrame:
    """What ``QlibDataLoader(config=config).load(symbols, start, end)`` returns, computed by blocks.

    ``trees`` gives the tree of a trusted expression our parser refuses on purpose (the label's
    negative ``Ref``), keyed by its text. Qlib must be initialised on the symbols' store.
    """
    try:
        return _PanelLoader(config, symbols, start, end, trees or {}, freq).load()
    except _StoreMismatch as exc:
        logger.info("features through Qlib's loader: %s", exc)
        from qlib.data.dataset.loader import QlibDataLoader

        frame: pd.DataFrame = QlibDataLoader(config={k: (list(e), list(n)) for k, (e, n) in config.items()},
                                             freq=freq).load(list(symbols), start, end)
        return frame


def qlib_window(node: Node) -> tuple[int, int]:
    """(days before, days after) that Qlib loads around the query for ``node``.

    Qlib's ``get_extended_window_size``: a rolling window of N (``Delta`` included) adds N - 1
    days before, ``Ref(x, N)`` adds N before (or -N after when N < 0), ``Corr``/``Cov`` add
    N - 1 to the larger need of their two inputs.
    """
    if not isinstance(node, Call):
        return 0, 0
    sides = [qlib_window(a) for a in node.args if not isinstance(a, Num)]
    left, right = max((s[0] for s in sides), default=0), max((s[1] for s in sides), default=0)
    if node.op == "Ref":
        n = _int(node.args[1])
        return max(left + n, left), max(right - n, right)
    if node.op in _ROLLING_LIKE or node.op in ("Corr", "Cov", "Quantile"):
        n = _int(node.args[2] if node.op in ("Corr", "Cov") else node.args[1])
        return max(left + n - 1, left), right
    return left, right


def qlib_window_or_none(node: Node | None) -> tuple[int, int]:
    """:func:`qlib_window`, with (-1, -1) for what it cannot size (those columns go to Qlib)."""
    try:
        return (-1, -1) if node is None else qlib_window(node)
    except _Unsupported:
        return -1, -1


def _int(node: Node) -> int:
    if not isinstance(node, Num) or node.value != int(node.value):
        raise _Unsupported("a window that is not a whole number")
    return int(node.value)


def _parse(text: str, trees: Mapping[str, Node]) -> Node | None:
    """The tree to evaluate for ``text``, or None when only Qlib should read it.

    Our grammar binds ``&``/``|`` looser than comparisons and Python tighter, so a text with
    them is evaluated here only when it is our canonical print (which brackets them for both).
    """
    if text in trees:
        return trees[text]
    try:
        tree = expression_tree(text)
    except TaoruiError:
        return None
    if ("&" in text or "|" in text):
        from taorui_engines.expressions._render import canonical

        if canonical(tree) != text:
            return None
    return tree


@dataclass
class _Column:
    """One requested column: its group, name, text and (if we evaluate it) its tree."""

    group: str
    name: str
    text: str
    tree: Node | None
    values: np.ndarray | None = None


@dataclass
class _Block:
    """Instruments whose loaded window is the same calendar span [lo, hi]; memo of their nodes."""

    lo: int
    hi: int
    members: np.ndarray  # positions in the sorted instrument list
    memo: dict[Node, Value] = field(default_factory=dict)


class _PanelLoader:
    """One load: the store columns, the blocks, and the frame in Qlib's layout."""

    def __init__(self, config: GroupConfig, symbols: Sequence[str], start: pd.Timestamp, end: pd.Timestamp,
                 trees: Mapping[str, Node], freq: str) -> None:
        from qlib.config import C
        from qlib.data.data import Cal
        from qlib.utils import code_to_fname

        if freq != "day":  # the block reads are checked against Qlib on daily stores only
            raise _StoreMismatch(f"{freq} bars are read by Qlib")
        if len(Cal.calendar(start, end, freq=freq)) == 0:  # locate_index would pick a wrong day
            raise _StoreMismatch(f"no trading day between {start} and {end}")
        self.config, self.freq = config, freq
        self.symbols = sorted(set(symbols))  # Qlib keys its result by instrument, sorted
        self.times = (start, end)
        self.calendar = Cal.calendar(freq=freq)
        _, _, self.start, self.end = Cal.locate_index(start, end, freq=freq)
        self.root = Path(C.dpm.get_data_uri(freq)) / "features"
        self.fname = code_to_fname
        self.columns = [_Column(g, str(n), str(t), _parse(str(t), trees))
                        for g, (texts, names) in config.items() for t, n in zip(texts, names, strict=True)]
        self.blocks: dict[tuple[int, int, bytes], _Block] = {}

    # store -------------------------------------------------------------------------------
    def _read_fields(self) -> None:
        """Every column the trees use, and each instrument's span [first, last] in the calendar."""
        names = sorted({n.name for c in self.columns if c.tree is not None for n in walk(c.tree)
                        if isinstance(n, Field)} or {"close"})
        self.raw: dict[str, list[np.ndarray]] = {name: [] for name in names}
        spans: list[tuple[int, int]] = []
        for symbol in self.symbols:
            seen: set[tuple[int, int]] = set()
            for name in names:
                path = self.root / self.fname(symbol).lower() / f"{name.lower()}.{self.freq.lower()}.bin"
                if not path.exists():
                    raise _StoreMismatch(f"{path} is missing")
                data = np.fromfile(path, dtype="<f4")
                first = int(data[0]) if data.size else 0
                seen.add((first, first + data.size - 2))
                self.raw[name].append(data[1:])
            if len(seen) != 1:
                raise _StoreMismatch(f"the fields of {symbol} span different days")
            spans.append(seen.pop())
        self.first = np.array([s[0] for s in spans], dtype=np.int64)
        self.last = np.array([s[1] for s in spans], dtype=np.int64)

    def _field(self, block: _Block, name: str) -> np.ndarray:
        """``$name`` over ``block``: float32, days x instruments, as Qlib's Feature reads it."""
        out = np.empty((block.hi - block.lo + 1, len(block.members)), dtype=np.float32)
        for k, j in enumerate(block.members):
            offset = block.lo - int(self.first[j])
            out[:, k] = self.raw[name][j][offset:offset + out.shape[0]]
        return out

    # evaluation --------------------------------------------------------------------------
    def _blocks(self, tree: Node) -> list[_Block]:
        """The blocks Qlib's per-instrument loads of ``tree`` fall into (empty ones left out)."""
        left, right = qlib_window(tree)
        lo = np.maximum(max(0, self.start - left), self.first)
        hi = np.minimum(self.end + right, self.last)
        out = []
        for a, b in sorted(set(zip(lo[lo <= hi].tolist(), hi[lo <= hi].tolist(), strict=True))):
            members = np.flatnonzero((lo == a) & (hi == b))
            key = (a, b, members.tobytes())
            if key not in self.blocks:
                self.blocks[key] = _Block(a, b, members)
            out.append(self.blocks[key])
        return out

    def _evaluate(self, column: _Column, grid: np.ndarray) -> bool:
        """Fill ``grid`` (output days x instruments) with ``column``; False when Qlib must do it."""
        assert column.tree is not None
        try:
            for block in self._blocks(column.tree):
                value = _Evaluator(self, block).value(column.tree)
                if not isinstance(value, np.ndarray):
                    raise _Unsupported("a constant expression")
                a, b = max(block.lo, self.start), min(block.hi, self.end)
                grid[a - self.start:b - self.start + 1, block.members] = \
                    value[a - block.lo:b - block.lo + 1].astype(np.float32)
        except _Unsupported as exc:
            logger.debug("%s through Qlib: %s", column.text, exc)
            return False
        return True

    # the frame ---------------------------------------------------------------------------
    def load(self) -> pd.DataFrame:
        self._read_fields()
        days = self.end - self.start + 1
        row0 = np.maximum(self.first, self.start) - self.start
        row1 = np.minimum(self.last, self.end) - self.start
        day = np.arange(days)[:, None]
        present = (day >= row0[None, :]) & (day <= row1[None, :])  # rows Qlib's Series have
        take = np.flatnonzero(present.ravel())  # date-major, instruments sorted: Qlib's order
        grid = np.empty((days, len(self.symbols)), dtype=np.float32)
        slow = [c for c in self.columns if c.tree is None]
        # Columns of one window share blocks; once a window is done its intermediate arrays are
        # dropped, so memory holds one window's nodes, not the whole feature set's.
        fast = sorted((c for c in self.columns if c.tree is not None), key=lambda c: qlib_window_or_none(c.tree))
        window: tuple[int, int] | None = None
        for column in fast:
            if qlib_window_or_none(column.tree) != window:
                window = qlib_window_or_none(column.tree)
                self.blocks.clear()
            grid.fill(np.nan)
            if self._evaluate(column, grid):
                column.values = grid.ravel().take(take)
            else:
                slow.append(column)
        self.blocks.clear()
        index = self._index(take)
        if slow:
            self._qlib_columns(slow, index)
        logger.info("features: %d of %d columns computed by blocks, %d by Qlib",
                    len(self.columns) - len(slow), len(self.columns), len(slow))
        groups = {}
        for group in self.config:
            cols = [c for c in self.columns if c.group == group]
            frame = pd.DataFrame(np.column_stack([c.values for c in cols]), index=index)  # type: ignore[misc]
            frame.columns = [c.name for c in cols]
            groups[group] = frame
        return pd.concat(groups, axis=1)

    def _index(self, take: np.ndarray) -> pd.MultiIndex:
        """Qlib's (datetime, instrument) index for the rows in ``take``."""
        day, sym = np.divmod(take, len(self.symbols))
        dates = pd.Index(self.calendar[self.start + day], name="datetime")
        insts = pd.Index(self.symbols, name="instrument").take(sym)
        return pd.MultiIndex.from_arrays([dates, insts])

    def _qlib_columns(self, slow: list[_Column], index: pd.MultiIndex) -> None:
        """Columns only Qlib evaluates, through ``D.features`` exactly as its loader calls it."""
        from qlib.data import D

        texts = list(dict.fromkeys(c.text for c in slow))  # Qlib keys its columns by text
        frame = D.features(self.symbols, texts, *self.times, freq=self.freq)
        frame = frame.swaplevel().sort_index()
        if not frame.index.equals(index):
            raise _StoreMismatch("Qlib's rows differ from the store's spans")
        for column in slow:
            column.values = frame.iloc[:, texts.index(column.text)].to_numpy(dtype=np.float32)


class _Evaluator:
    """Values of nodes over one block, memoised in the block (shared sub-expressions run once)."""

    def __init__(self, loader: _PanelLoader, block: _Block) -> None:
        self.loader, self.block = loader, block

    def value(self, node: Node) -> Value:
        found = self.block.memo.get(node)
        if found is not None:
            return found
        if isinstance(node, Num):
            return int(node.value) if node.integral else float(node.value)
        if isinstance(node, Field):
            made: Value = self.loader._field(self.block, node.name)
        else:
            made = self._call(node)
        self.block.memo[node] = made
        return made

    def _call(self, node: Call) -> Value:
        op = node.op
        if op in _PAIR:
            return _pair(op, self.value(node.args[0]), self.value(node.args[1]))
        if op in _LOGICAL:
            left, right = (_array(self.value(a), op, bool) for a in node.args)
            return np.asarray(_LOGICAL[op](left, right))
        if op in ("Abs", "Log", "Sign", "Not"):
            return _unary(op, self.value(node.args[0]))
        if op == "If":
            cond = _array(self.value(node.args[0]), op, bool)
            return np.asarray(np.where(cond, self.value(node.args[1]), self.value(node.args[2])))
        if op in ("Corr", "Cov"):
            return self._pair_rolling(node)
        series = _array(self.value(node.args[0]), op)
        n = _int(node.args[1])
        if op in _PANDAS_ROLLING:
            return _rolling(series, n, _PANDAS_ROLLING[op])
        return self._rolling_other(node, series, n)

    def _rolling_other(self, node: Call, series: np.ndarray, n: int) -> np.ndarray:
        op = node.op
        if op == "Ref":
            return _shift(series, n)
        if op == "Delta":
            return np.asarray(np.subtract(_float(series, op), _shift(series, n)))
        if op == "Quantile":
            return _rolling(series, n, "quantile", float(_const(node.args[2])))
        if op == "Rank":
            return _rolling(series, n, "rank", pct=True)
        if op in ("IdxMax", "IdxMin"):
            return rolling_arg_extreme(series, n, largest=op == "IdxMax")
        if op in _REGRESSIONS:
            return self._regression(op, series, n)
        raise _Unsupported(f"{op} is not implemented by blocks")

    def _regression(self, op: str, series: np.ndarray, n: int) -> np.ndarray:
        """Qlib's Cython ``rolling_slope``/``rsquare``/``resi``, column by column (its own code)."""
        from qlib.data._libs.rolling import rolling_resi, rolling_rsquare, rolling_slope

        func = {"Slope": rolling_slope, "Rsquare": rolling_rsquare, "Resi": rolling_resi}[op]
        out = np.empty(series.shape, dtype=np.float64)
        for k in range(series.shape[1]):
            out[:, k] = func(np.ascontiguousarray(series[:, k]), n)
        if op == "Rsquare":  # Qlib blanks windows whose input is flat
            out[np.isclose(_rolling(series, n, "std"), 0, atol=_FLAT_ATOL)] = np.nan
        return out

    def _pair_rolling(self, node: Call) -> np.ndarray:
        """``Corr``/``Cov``: pandas' pairwise rolling per column, plus Qlib's flat-window blanking."""
        left = _array(self.value(node.args[0]), node.op)
        right = _array(self.value(node.args[1]), node.op)
        n = _int(node.args[2])
        frame = _frame(left).rolling(n, min_periods=1)
        other = _frame(right)
        if node.op == "Cov":
            return frame.cov(other, pairwise=False).to_numpy()
        out = frame.corr(other, pairwise=False).to_numpy().copy()
        flat = np.isclose(_rolling(left, n, "std"), 0, atol=_FLAT_ATOL) | np.isclose(
            _rolling(right, n, "std"), 0, atol=_FLAT_ATOL)
        out[flat] = np.nan
        return out


def _const(node: Node) -> float:
    if not isinstance(node, Num):
        raise _Unsupported("a parameter that is not a constant")
    return node.value


def _array(value: Value, op: str, dtype: type | None = None) -> np.ndarray:
    """``value`` as an array, refusing what Qlib would handle another way (constants, bool/float mix-ups)."""
    if not isinstance(value, np.ndarray):
        raise _Unsupported(f"a constant where {op} reads a series")
    if dtype is bool and value.dtype != np.bool_:
        raise _Unsupported(f"{op} of a number (Qlib applies bitwise operators to it)")
    return value


def _float(value: Value, op: str) -> Value:
    """``value`` if it is a float array or a number: Qlib's pandas ops on bool Series go other ways."""
    if isinstance(value, np.ndarray) and value.dtype.kind != "f":
        raise _Unsupported(f"{op} of a condition")
    return value


def _pair(op: str, left: Value, right: Value) -> Value:
    if not isinstance(left, np.ndarray) and not isinstance(right, np.ndarray):
        raise _Unsupported(f"{op} of two constants")
    left, right = _float(left, op), _float(right, op)
    with np.errstate(all="ignore"):
        return np.asarray(_PAIR[op](_contiguous(left), _contiguous(right)))


def _contiguous(value: Value) -> Value:
    """C order, as Qlib's 1-D Series are: NumPy's transcendental loops differ by memory layout."""
    return np.ascontiguousarray(value) if isinstance(value, np.ndarray) else value


def _unary(op: str, value: Value) -> np.ndarray:
    series = _array(value, op, bool if op == "Not" else None)
    with np.errstate(all="ignore"):
        if op == "Not":
            return np.bitwise_not(series)
        if op == "Sign":  # Qlib casts to float32 first (a condition becomes 0/1)
            return np.sign(np.ascontiguousarray(series.astype(np.float32)))
        series = _float(series, op)  # type: ignore[assignment]
        return np.asarray((np.abs if op == "Abs" else np.log)(np.ascontiguousarray(series)))


def _shift(series: np.ndarray, n: int) -> np.ndarray:
    """pandas ``Series.shift(n)`` of every column: NaN where the block has no earlier (later) day."""
    series = _float(series, "Ref")  # type: ignore[assignment]  # a shifted condition becomes object in pandas
    out = np.full(series.shape, np.nan, dtype=series.dtype)
    if n > 0:
        out[n:] = series[:-n] if n < len(series) else series[:0]
    elif n < 0:
        out[:n] = series[-n:] if -n < len(series) else series[:0]
    else:
        raise _Unsupported("Ref(x, 0) reads the first loaded day")
    return out


def _rolling(series: np.ndarray, n: int, method: str, *args: Any, **kwargs: Any) -> np.ndarray:
    """``Series.rolling(n, min_periods=1).<method>()`` on every column (float64, like pandas)."""
    frame = _frame(series).rolling(n, min_periods=1)
    return np.asarray(getattr(frame, method)(*args, **kwargs).to_numpy(dtype=np.float64))


def _frame(series: np.ndarray) -> pd.DataFrame:
    """A frame over ``series`` without a copy: pandas keeps columns as rows of its block, so a
    Fortran-ordered array gives each column's rolling routine a contiguous run."""
    return pd.DataFrame(np.asfortranarray(series), copy=False)


def rolling_arg_extreme(series: np.ndarray, n: int, largest: bool) -> np.ndarray:
    """Qlib's ``IdxMax``/``IdxMin`` of every column, without its Python ``rolling.apply``.

    Qlib runs ``rolling(n, min_periods=1).apply(lambda x: x.argmax() + 1, raw=True)``. That
    lambda sees float64 values with inf turned into NaN (pandas' ``_prep_values``) over the
    window clipped at the first day, and is not called (NaN) when the window holds no number.
    The same ``argmax``/``argmin`` runs here on every window at once, so its rules (the first
    NaN wins, ties go to the earliest day) are NumPy's own; the first ``n - 1`` days, whose
    windows are shorter, are done one day at a time.
    """
    values = series.astype(np.float64)
    values[np.isinf(values)] = np.nan
    pick = np.argmax if largest else np.argmin
    days = values.shape[0]
    out = np.empty(values.shape, dtype=np.float64)
    for t in range(min(n - 1, days)):
        out[t] = pick(values[:t + 1], axis=0) + 1
    if days >= n:
        by_column = np.ascontiguousarray(values.T)  # each window a contiguous run
        windows = np.lib.stride_tricks.sliding_window_view(by_column, n, axis=1)  # instruments x days x n
        out[n - 1:] = (pick(windows, axis=2) + 1).T
    numbers = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(~np.isnan(values), axis=0)])
    first = np.maximum(np.arange(days) - n + 1, 0)
    out[(numbers[1:] - numbers[first]) == 0] = np.nan
    return out
