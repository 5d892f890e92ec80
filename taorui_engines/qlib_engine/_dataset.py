"""Qlib datasets for model training: Alpha158, Alpha360, our own expressions, or Alpha158 plus ours.

Label (the target every model learns), with ``h`` the label horizon in trading days::

    LABEL0(t) = close(t + 1 + h) / close(t + 1) - 1      Qlib: Ref($close, -(h+1)) / Ref($close, -1) - 1

It starts one day after the features' day ``t``: a prediction made with the close of ``t``
can be traded at the close of ``t + 1`` at the earliest, and the Qlib backtest does exactly
that (the score of ``t`` drives the trade of ``t + 1``). ``h = 1`` is Qlib's own Alpha158
label. The label expression is built here from an integer and never comes from a user, so
its negative ``Ref`` (look-ahead by design: it *is* the future being predicted) does not
pass through the expression parser, which refuses negative ``Ref`` in features.

Processing: features are robust-z-scored with statistics fitted on the *train* segment
only, clipped to [-3, 3] and missing values filled with 0; for learning, rows without a
label are dropped and the label is z-scored across symbols each day. Evaluation uses the
raw label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

FeatureSet = Literal["alpha158", "alpha360", "custom", "alpha158+custom"]

#: Feature sets that take expressions (``TrainConfig.expressions``), checked by the parser.
WITH_EXPRESSIONS: frozenset[str] = frozenset({"custom", "alpha158+custom"})


@dataclass(frozen=True)
class Segments:
    """Train / valid / test date spans (inclusive), in time order, not overlapping."""

    train: tuple[pd.Timestamp, pd.Timestamp]
    valid: tuple[pd.Timestamp, pd.Timestamp]
    test: tuple[pd.Timestamp, pd.Timestamp]

    def as_qlib(self) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
        """The ``segments`` argument of :class:`qlib.data.dataset.DatasetH`."""
        return {"train": self.train, "valid": self.valid, "test": self.test}


def label_expression(horizon: int) -> str:
    """Qlib text of the label for ``horizon`` trading days (see the module docstring)."""
    return f"Ref($close, -{horizon + 1}) / Ref($close, -1) - 1"


def _processors(segments: Segments) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    fit_start, fit_end = segments.train
    infer: list[dict[str, Any]] = [
        {"class": "RobustZScoreNorm", "kwargs": {"fields_group": "feature", "clip_outlier": True,
                                                 "fit_start_time": fit_start, "fit_end_time": fit_end}},
        {"class": "Fillna", "kwargs": {"fields_group": "feature"}},
    ]
    learn: list[dict[str, Any]] = [{"class": "DropnaLabel"}, {"class": "CSZScoreNorm", "kwargs": {"fields_group": "label"}}]
    return infer, learn


def build_handler(
    features: FeatureSet,
    symbols: Sequence[str],
    segments: Segments,
    label_horizon: int,
    custom: Sequence[str] = (),
) -> Any:
    """A Qlib ``DataHandlerLP`` over ``symbols`` from the train start to the test end.

    ``custom`` holds *canonical* expressions (already through the parser) for ``custom`` and
    ``alpha158+custom`` (Alpha158's 158 columns, then ``F000``, ``F001``, ... for them).
    Qlib must be initialised on the symbols' market before this is called.
    """
    from qlib.contrib.data.handler import Alpha158, Alpha360
    from qlib.data.dataset.handler import DataHandlerLP

    infer, learn = _processors(segments)
    label = ([label_expression(label_horizon)], ["LABEL0"])
    common: dict[str, Any] = {
        "instruments": list(symbols), "start_time": segments.train[0], "end_time": segments.test[1],
        "infer_processors": infer, "learn_processors": learn,
    }
    fit = {"fit_start_time": segments.train[0], "fit_end_time": segments.train[1]}
    if features == "alpha158":
        return Alpha158(**common, **fit, label=label)
    if features == "alpha360":
        return Alpha360(**common, **fit, label=label)
    if features == "alpha158+custom":
        return _alpha158_plus(custom)(**common, **fit, label=label)
    loader = {"class": "QlibDataLoader",
              "kwargs": {"config": {"feature": (list(custom), _custom_names(custom)), "label": label}}}
    return DataHandlerLP(**common, data_loader=loader)


def _custom_names(custom: Sequence[str]) -> list[str]:
    return [f"F{i:03d}" for i in range(len(custom))]


def _alpha158_plus(custom: Sequence[str]) -> Any:
    """Alpha158 whose feature list ends with ``custom``: same loader, same processors, one dataset."""
    from qlib.contrib.data.handler import Alpha158

    extra, names = list(custom), _custom_names(custom)

    class Alpha158Plus(Alpha158):  # type: ignore[misc]
        def get_feature_config(self) -> tuple[list[str], list[str]]:
            fields, columns = super().get_feature_config()
            return [*fields, *extra], [*columns, *names]

    return Alpha158Plus


def build_dataset(handler: Any, segments: Segments) -> Any:
    """``DatasetH`` with the three time segments."""
    from qlib.data.dataset import DatasetH

    return DatasetH(handler, segments=segments.as_qlib())
