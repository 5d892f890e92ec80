"""What a Qlib model training run reads from the store, for its manifest.

Qlib evaluates the feature expressions itself, so the reads are bounded by what its
operators can reach rather than listed call by call:

- left: rolling operators (Alpha158/Alpha360 windows, ``Ref``, ``Mean``, ...) extend a load
  backwards by their window, so each series is taken from its first bar;
- right: the label of the last test day ``t`` reads ``close(t + 1 + h)`` and the backtest's
  last trade reads bar ``t + 1``, so each series is taken to ``h + 1`` trading days after the
  test end (the calendar's end at most).

Every field the universe has in common is hashed (the expressions may use any of them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from taorui_engines.data import DataCenter
from taorui_engines.manifest import RunInputs, SeriesRead
from taorui_engines.qlib_engine._dataset import Segments
from taorui_engines.qlib_engine._panel import Universe

if TYPE_CHECKING:
    from taorui_engines.qlib_engine._train import TrainConfig

__all__ = ["training_inputs"]


def training_inputs(center: DataCenter, universe: Universe, segments: Segments, config: TrainConfig) -> RunInputs:
    """The series, store and seed of one training run (see the module docstring)."""
    calendar = center.calendar(universe.market)
    position = int(calendar.searchsorted(segments.test[1], side="right")) - 1 + config.label_horizon + 1
    last = calendar[min(len(calendar) - 1, max(position, 0))].date()
    reads = tuple(SeriesRead(symbol=s, market=universe.market, columns=universe.fields, end=last)
                  for s in universe.symbols)
    return RunInputs(data_dir=center.data_dir, reads=reads, seeds={"seed": config.params.seed})
