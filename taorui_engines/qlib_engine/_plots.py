"""PNG pictures of factor ICs and backtests (matplotlib, headless Agg backend)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)


def _pyplot() -> Any:
    """pyplot on the Agg backend: never opens a window, works without a display."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _plain(text: str) -> str:
    """Escape '$' so matplotlib prints factor text instead of reading it as math."""
    return text.replace("$", r"\$")


def plot_ic(rank_ic: pd.Series, title: str, path: Path, window: int = 20) -> Path:
    """Daily Rank IC (bars), its rolling mean, and the cumulative Rank IC on a second axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    try:
        series = rank_ic.dropna()
        ax.bar(series.index, series.to_numpy(), width=1.0, color="#9bb7d4", label="daily Rank IC")
        rolling = series.rolling(window, min_periods=max(2, window // 2)).mean()
        ax.plot(rolling.index, rolling.to_numpy(), color="#1f4e79", lw=1.5, label=f"{window}-day mean")
        ax.axhline(0.0, color="black", lw=0.6)
        ax.set_ylabel("Rank IC")
        twin = ax.twinx()
        twin.plot(series.index, series.cumsum().to_numpy(), color="#c55a11", lw=1.2, label="cumulative")
        twin.set_ylabel("cumulative Rank IC")
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, loc="upper left", fontsize=8)
        ax.set_title(_plain(title), fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path


def plot_equity(daily: pd.DataFrame, title: str, path: Path) -> Path:
    """Equity of the strategy (with and without cost) and the benchmark, and the drawdown.

    ``daily`` has the columns ``return``, ``return_with_cost`` and ``benchmark``
    (daily simple returns), indexed by date.
    """
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    try:
        curves = {"strategy (no cost)": "return", "strategy (with cost)": "return_with_cost",
                  "benchmark (equal weight)": "benchmark"}
        for label, column in curves.items():
            top.plot(daily.index, (1 + daily[column]).cumprod().to_numpy(), lw=1.3, label=label)
        top.set_ylabel("growth of 1")
        top.legend(loc="upper left", fontsize=8)
        top.set_title(_plain(title), fontsize=9)
        equity = (1 + daily["return_with_cost"]).cumprod()
        drawdown = equity / equity.cummax() - 1
        bottom.fill_between(daily.index, drawdown.to_numpy(), 0.0, color="#c00000", alpha=0.4)
        bottom.set_ylabel("drawdown (with cost)")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)
    return path
