"""Equity and drawdown pictures of a strategy against its buy-and-hold benchmark.

Drawn with matplotlib's object API on an Agg canvas: no pyplot, so no global backend or
figure registry is touched (safe in servers and threads).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_drawdown", "plot_equity"]


def _figure(width: float, height: float) -> Figure:
    """A figure on its own Agg canvas (matplotlib is imported only when drawing)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_equity(curve: pd.DataFrame, title: str, path: Path) -> Path:
    """Account value of the strategy and of buy-and-hold over the test window."""
    from matplotlib.ticker import StrMethodFormatter

    fig = _figure(9, 4.5)
    ax = fig.add_subplot(1, 1, 1)
    dates = pd.to_datetime(curve["date"])
    ax.plot(dates, curve["equity"], label="strategy", color="tab:blue", linewidth=1.4)
    ax.plot(dates, curve["benchmark_equity"], label="buy and hold", color="tab:gray", linewidth=1.1)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("account value")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))  # not "1e6" over the title
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    return _save(fig, path)


def plot_drawdown(curve: pd.DataFrame, title: str, path: Path) -> Path:
    """Drawdown (fall from the running peak) of the strategy and of buy-and-hold."""
    fig = _figure(9, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    dates = pd.to_datetime(curve["date"])
    ax.fill_between(dates, curve["drawdown"] * 100, 0, color="tab:red", alpha=0.35, label="strategy")
    ax.plot(dates, curve["benchmark_drawdown"] * 100, color="tab:gray", linewidth=1.0, label="buy and hold")
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("drawdown, %")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    return _save(fig, path)
