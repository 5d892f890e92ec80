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

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from taorui_engines.expressions._ast import Call, Node, Num
from taorui_engines.expressions._ast import Field as FieldNode

logger = logging.getLogger(__name__)

FeatureSet = Literal["alpha158", "alpha360", "custom", "alpha158+custom"]
#: How the raw frame is computed: by instrument blocks (``_fast_features``) or Qlib's own loader.
FeatureEngine = Literal["panel", "qlib"]

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


def label_tree(horizon: int) -> Node:
    """The tree of :func:`label_expression`, built here because the parser refuses its negative ``Ref``.

    The panel engine evaluates it like any feature; tests check it against Qlib's reading of the text.
    """
    def ref(lag: int) -> Call:
        return Call("Ref", (FieldNode("close"), Num(float(lag), True)))

    return Call("Sub", (Call("Div", (ref(-(horizon + 1)), ref(-1))), Num(1.0, True)))


def _processors(segments: Segments) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    fit_start, fit_end = segments.train
    infer: list[dict[str, Any]] = [
        {"class": "RobustZScoreNorm", "kwargs": {"fields_group": "feature", "clip_outlier": True,
                                                 "fit_start_time": fit_start, "fit_end_time": fit_end}},
        {"class": "Fillna", "kwargs": {"fields_group": "feature"}},
    ]
    learn: list[dict[str, Any]] = [{"class": "DropnaLabel"}, {"class": "CSZScoreNorm", "kwargs": {"fields_group": "label"}}]
    return infer, learn


def feature_config(features: FeatureSet, custom: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """(Qlib expressions, column names) of a feature set: exactly the lists Qlib's handlers load."""
    from qlib.contrib.data.loader import Alpha158DL, Alpha360DL

    if features in ("alpha158", "alpha158+custom"):
        fields, names = Alpha158DL.get_feature_config(
            {"kbar": {}, "price": {"windows": [0], "feature": ["OPEN", "HIGH", "LOW", "VWAP"]}, "rolling": {}})
        if features == "alpha158+custom":
            return [*fields, *custom], [*names, *_custom_names(custom)]
        return list(fields), list(names)
    if features == "alpha360":
        fields, names = Alpha360DL.get_feature_config()
        return list(fields), list(names)
    return list(custom), _custom_names(custom)


def build_handler(
    features: FeatureSet,
    symbols: Sequence[str],
    segments: Segments,
    label_horizon: int,
    custom: Sequence[str] = (),
    cache: FeatureCache | None = None,
    engine: FeatureEngine = "panel",
) -> Any:
    """A Qlib ``DataHandlerLP`` over ``symbols`` from the train start to the test end.

    ``custom`` holds *canonical* expressions (already through the parser) for ``custom`` and
    ``alpha158+custom`` (Alpha158's 158 columns, then ``F000``, ``F001``, ... for them).
    The raw frame (features and label before any processor) is what Qlib's ``Alpha158`` /
    ``Alpha360`` handlers load with their ``QlibDataLoader``; with a ``cache`` it is read from
    there when the same store version, symbols, window and expressions were loaded before, so
    a second run skips computing them. The processors then run on it as in Qlib's handlers.
    Qlib must be initialised on the symbols' market before this is called.

    ``engine="panel"`` (the default) computes that frame by blocks of instruments with Qlib's
    operator semantics (see :mod:`._fast_features`; what it does not implement still goes to
    Qlib), several times faster on a first run; ``"qlib"`` calls Qlib's loader itself (kept for
    the benchmark and the equality tests). Both give the frame the cache stores, so its key does
    not name the engine.
    """
    from qlib.data.dataset.handler import DataHandlerLP
    from qlib.data.dataset.loader import QlibDataLoader, StaticDataLoader

    from taorui_engines.qlib_engine._fast_features import load_features

    infer, learn = _processors(segments)
    fields, names = feature_config(features, custom)
    label = ([label_expression(label_horizon)], ["LABEL0"])
    start, end = segments.train[0], segments.test[1]
    config = {"feature": (fields, names), "label": label}

    def load() -> pd.DataFrame:
        if engine == "panel":
            return load_features(config, symbols, start, end, trees={label[0][0]: label_tree(label_horizon)})
        frame: pd.DataFrame = QlibDataLoader(config=config).load(list(symbols), start, end)
        return frame

    parts = {"fields": fields, "names": names, "label": label, "symbols": sorted(symbols),
             "start": str(start), "end": str(end)}
    raw = cache.frame(parts, load) if cache is not None else load()
    handler_class = _processed_cache_handler(cache, {**parts, "infer": infer, "learn": learn}) if cache else DataHandlerLP
    return handler_class(instruments=list(symbols), start_time=start, end_time=end,
                         data_loader=StaticDataLoader(config=raw), infer_processors=infer, learn_processors=learn)


def _processed_cache_handler(cache: FeatureCache, parts: dict[str, Any]) -> Any:
    """``DataHandlerLP`` whose processed frames (after the infer and learn processors) come from
    ``cache`` when the same raw frame was processed the same way before.

    The processors (a robust z-score fitted on the train window, a per-day z-score of the label)
    cost more than reading the cached raw frame, and their output depends only on that frame and
    their settings, which are in the key. On a cache hit the processors are not fitted: such a
    handler serves ``fetch`` (all this package does with it), not a later ``process_data`` on new
    data.
    """
    from qlib.data.dataset.handler import DataHandlerLP

    class ProcessedCacheHandler(DataHandlerLP):  # type: ignore[misc]
        def process_data(self, with_fit: bool = False) -> None:
            if not with_fit:
                super().process_data(with_fit=False)
                return
            infer = cache.get({**parts, "stage": "infer"})
            learn = cache.get({**parts, "stage": "learn"}) if infer is not None else None
            if infer is not None and learn is not None:
                self._infer, self._learn = infer, learn
                return
            super().process_data(with_fit=True)
            cache.put({**parts, "stage": "infer"}, self._infer)
            cache.put({**parts, "stage": "learn"}, self._learn)

    return ProcessedCacheHandler


def feature_cache(center: Any, market: str) -> FeatureCache:
    """The feature cache of ``center``'s store (``<data>/cache/features``), keyed on ``market``'s live version."""
    key = dict(center.version_key()).get(market, "")
    return FeatureCache(Path(center.data_dir) / "cache" / "features", f"{market}:{key}")


class FeatureCache:
    """Raw feature frames on disk, keyed by the store version and everything that made them.

    A store version never changes (an ingest writes a new one), so a frame computed from it
    stays right; the key also holds the expressions, names, label, symbols and window and the
    Qlib version. Files are Parquet, written to a temporary name and renamed (a killed run
    leaves no half file), uncompressed; the oldest are removed beyond :data:`MAX_FILES` or :data:`MAX_BYTES`.
    """

    MAX_FILES = 24  # three per dataset: the raw frame and the two processed ones
    MAX_BYTES = 4 * 2**30

    def __init__(self, folder: Path, store_key: str) -> None:
        self.folder = folder
        self.store_key = store_key

    def _path(self, parts: dict[str, Any]) -> Path:
        import qlib

        text = json.dumps({"store": self.store_key, "qlib": qlib.__version__, **parts}, sort_keys=True, default=str)
        return self.folder / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.parquet"

    def get(self, parts: dict[str, Any]) -> pd.DataFrame | None:
        """The cached frame for ``parts``, or None (an unreadable file counts as absent)."""
        path = self._path(parts)
        if not path.exists():
            return None
        try:
            frame = pd.read_parquet(path, engine="pyarrow")
        except Exception as exc:  # an unreadable file is recomputed, never trusted
            logger.warning("feature cache %s unreadable (%s); recomputing", path.name, exc)
            return None
        try:
            os.utime(path)  # recently used: kept longest
        except OSError:
            pass
        logger.info("features from cache %s", path.name)
        return frame

    def put(self, parts: dict[str, Any], frame: pd.DataFrame) -> None:
        """Store ``frame`` for ``parts`` (a cache that cannot be written costs time, not the run)."""
        path = self._path(parts)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            # Float columns neither compress nor dictionary-encode: pyarrow's default attempt at
            # both cost ~5x the write itself (1.0 s against 0.2 s for Alpha158 over 120 symbols x
            # 5 years), and the file comes out larger. Readers need no option.
            frame.to_parquet(tmp, engine="pyarrow", compression=None, use_dictionary=False)
            os.replace(tmp, path)
            self._prune()
        except Exception as exc:
            logger.warning("feature cache not written (%s)", exc)

    def frame(self, parts: dict[str, Any], load: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """The cached frame for ``parts``, or ``load()`` stored for next time."""
        found = self.get(parts)
        if found is not None:
            return found
        frame = load()
        self.put(parts, frame)
        return frame

    def _prune(self) -> None:
        files = sorted(self.folder.glob("*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for i, file in enumerate(files):
            total += file.stat().st_size
            if i >= self.MAX_FILES or total > self.MAX_BYTES:
                file.unlink(missing_ok=True)


def _custom_names(custom: Sequence[str]) -> list[str]:
    return [f"F{i:03d}" for i in range(len(custom))]


def build_dataset(handler: Any, segments: Segments) -> Any:
    """``DatasetH`` with the three time segments."""
    from qlib.data.dataset import DatasetH

    return DatasetH(handler, segments=segments.as_qlib())
