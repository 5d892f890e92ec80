"""Evaluating candidates in batches: one Qlib read per batch, Rank IC statistics per period.

The IC conventions are those of factor evaluation (``taorui_engines.qlib_engine``: daily
Rank IC, its summary, forward returns, rank autocorrelation, top-quintile turnover); this
module only cuts the load into a mining and a confirmation period. The last ``h`` days of
the mining period are left out of its IC, so no mining-period forward return reaches into
the confirmation period.

:func:`score_batch` is the unit of work that can run away from the loop (as a Ray task): it
opens the store at its path, loads a batch of candidates and scores them on the mining
period with the same code the loop uses, so a candidate gets the same numbers wherever it ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from taorui_engines import metrics
from taorui_engines.data import DataCenter
from taorui_engines.factor_mining._models import PeriodStats, finite
from taorui_engines.qlib_engine import (
    DECAY_HORIZONS,
    Universe,
    daily_rank_ic,
    forward_returns,
    rank_autocorrelation,
    summarize,
    top_quantile_turnover,
)
from taorui_engines.qlib_engine._panel import load_wide, trading_window


@dataclass
class Panel:
    """The days and forward returns of a run; frames of candidates are loaded per batch."""

    center: DataCenter
    universe: Universe
    horizon: int
    min_count: int
    mining_days: pd.DatetimeIndex
    confirm_days: pd.DatetimeIndex
    loaded_days: pd.DatetimeIndex
    returns: dict[int, pd.DataFrame] = field(default_factory=dict)
    traded: pd.DataFrame | None = None

    @classmethod
    def open(cls, center: DataCenter, universe: Universe, periods: tuple[date, date, date, date],
             horizon: int, min_count: int) -> Panel:
        """Resolve both periods on the market's calendar (with room for forward returns)."""
        m_start, m_end, c_start, c_end = periods
        extra = max(horizon, *DECAY_HORIZONS)
        _, loaded = trading_window(center, universe.market, m_start, c_end, extra)
        mining, _ = trading_window(center, universe.market, m_start, m_end)
        confirm, _ = trading_window(center, universe.market, c_start, c_end)
        return cls(center, universe, horizon, min_count, mining, confirm, loaded)

    @property
    def scored_mining_days(self) -> pd.DatetimeIndex:
        """Mining days whose forward return ends inside the mining period."""
        return self.mining_days[: max(0, len(self.mining_days) - self.horizon)]

    def load(self, texts: Sequence[str]) -> dict[str, pd.DataFrame]:
        """``{canonical text: date x symbol frame}`` for every text, in one ``get_features`` call."""
        names = {f"c{i}": text for i, text in enumerate(texts)}
        wide = load_wide(self.center, self.universe, names, self.loaded_days)
        if not self.returns:
            close = wide["close"]
            self.returns = {h: forward_returns(close, h) for h in sorted({self.horizon, *DECAY_HORIZONS})}
            self.traded = close.notna()
        # +-inf (a division by zero, a log of 0) is no signal: it is missing, not an extreme rank.
        return {text: wide[name].mask(~np.isfinite(wide[name])) for name, text in names.items()}

    def stats(self, factor: pd.DataFrame, days: pd.DatetimeIndex) -> tuple[PeriodStats, pd.Series]:
        """Rank IC statistics of ``factor`` over ``days`` at the run's horizon, and the daily series."""
        sub = factor.reindex(days)
        rank_ic = daily_rank_ic(sub, self.returns[self.horizon].reindex(days), self.min_count)
        summary = summarize(rank_ic)
        assert self.traded is not None
        traded = self.traded.reindex(days).fillna(False).to_numpy(dtype=bool)
        cells = int(traded.sum())
        coverage = float((sub.notna().to_numpy() & traded).sum() / cells) if cells else 0.0
        stats = PeriodStats(
            rank_ic_mean=finite(summary.mean), rank_ic_std=finite(summary.std), rank_icir=finite(summary.ir),
            rank_ic_t_nw=_nw_t(rank_ic, self.horizon), positive_ratio=summary.positive_ratio,
            n_days=summary.n_days, coverage=coverage,
        )
        return stats, rank_ic

    def extras(self, factor: pd.DataFrame) -> tuple[float | None, float | None, dict[str, float | None]]:
        """Mining-period rank autocorrelation, top-quintile turnover and decay profile."""
        sub = factor.reindex(self.mining_days)
        decay = {str(h): finite(summarize(daily_rank_ic(sub, self.returns[h].reindex(self.mining_days),
                                                         self.min_count)).mean)
                 for h in DECAY_HORIZONS}
        return (finite(rank_autocorrelation(sub, 1, self.min_count)), finite(top_quantile_turnover(sub)), decay)

    def residual(self, factor: pd.DataFrame, others: Sequence[pd.DataFrame]) -> pd.DataFrame:
        """Per mining day: the factor's cross-sectional ranks less their regression on the others' ranks.

        What remains is the part of the factor the known factors do not explain; its Rank IC is
        the factor's incremental information.
        """
        days = self.mining_days
        y = _centered_ranks(factor.reindex(days))
        xs = np.stack([_centered_ranks(o.reindex(days)) for o in others], axis=2)
        out = np.full(y.shape, np.nan)
        for i in range(len(days)):
            ok = np.isfinite(y[i]) & np.isfinite(xs[i]).all(axis=1)
            if ok.sum() < self.min_count + xs.shape[2]:
                continue
            design = np.column_stack([np.ones(ok.sum()), xs[i][ok]])
            beta, *_ = np.linalg.lstsq(design, y[i][ok], rcond=None)
            out[i, ok] = y[i][ok] - design @ beta
        return pd.DataFrame(out, index=days, columns=factor.columns)

    def correlation(self, a: pd.DataFrame, b: pd.DataFrame) -> float:
        """Mean over mining days of the cross-sectional rank correlation of two factors."""
        days = self.mining_days
        series = daily_rank_ic(a.reindex(days), b.reindex(days), self.min_count).dropna()
        return float(series.mean()) if len(series) else 0.0


@dataclass(frozen=True)
class BatchJob:
    """What a worker needs to score candidates: the store's path and the run's panel, no frames."""

    data_dir: str
    universe: Universe
    horizon: int
    min_count: int
    mining_days: pd.DatetimeIndex
    confirm_days: pd.DatetimeIndex
    loaded_days: pd.DatetimeIndex
    texts: tuple[str, ...]

    @classmethod
    def of(cls, panel: Panel, texts: Sequence[str]) -> BatchJob:
        """The job that scores ``texts`` on ``panel`` (by the path of its store)."""
        return cls(str(panel.center.data_dir), panel.universe, panel.horizon, panel.min_count,
                   panel.mining_days, panel.confirm_days, panel.loaded_days, tuple(texts))


@dataclass(frozen=True)
class Scored:
    """One candidate's values over the loaded days and its mining-period statistics."""

    text: str
    frame: pd.DataFrame
    stats: PeriodStats


def score(panel: Panel, texts: Sequence[str]) -> dict[str, Scored]:
    """Load ``texts`` in one read and score each on the mining period."""
    frames = panel.load(texts)
    return {t: Scored(t, frames[t], panel.stats(frames[t], panel.scored_mining_days)[0]) for t in texts}


def score_batch(job: BatchJob) -> list[Scored]:
    """Ray task (or plain call): open the store at ``job.data_dir`` and score ``job.texts``."""
    panel = Panel(DataCenter(Path(job.data_dir)), job.universe, job.horizon, job.min_count,
                  job.mining_days, job.confirm_days, job.loaded_days)
    return list(score(panel, job.texts).values())


def _nw_t(daily: pd.Series, horizon: int) -> float | None:
    """Newey-West t of a daily IC mean whose forward returns overlap by ``horizon`` days."""
    values = daily.dropna().to_numpy()
    if len(values) <= max(2, horizon):
        return None
    return finite(metrics.newey_west_t(values, overlap=horizon))


def _centered_ranks(frame: pd.DataFrame) -> np.ndarray:
    """Cross-sectional percentile ranks minus one half (NaN stays NaN)."""
    return frame.rank(axis=1, pct=True).to_numpy(dtype="float64") - 0.5

