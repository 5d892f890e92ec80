"""Equity and drawdown picture of a backtest (PNG).

Built on a bare ``matplotlib.figure.Figure`` with the Agg canvas: no pyplot global state, so
it is safe in worker threads and never opens a window.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["plot_equity"]


def plot_equity(equity: pd.Series, drawdown: pd.Series, title: str, path: Path,
                benchmark: pd.Series | None = None) -> Path:
    """Two panels: account value (beside buy and hold of the same symbols, when given), and
    drawdown below it (shaded, in percent)."""
    fig = Figure(figsize=(10, 6), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.plot(equity.index, equity.to_numpy(), color="#1f5fa8", linewidth=1.2, label="strategy")
    if benchmark is not None:
        top.plot(benchmark.index, benchmark.to_numpy(), color="#7f7f7f", linewidth=1.0, linestyle="--",
                 label="buy and hold (same costs)")
        top.legend(loc="upper left", fontsize=8)
    top.set_ylabel("account value")
    top.set_title(title, fontsize=10)
    top.grid(alpha=0.3)
    bottom.fill_between(drawdown.index, 100 * drawdown.to_numpy(), 0.0, color="#c0392b", alpha=0.5)
    bottom.set_ylabel("drawdown %")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path
