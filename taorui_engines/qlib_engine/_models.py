"""The models: LightGBM, a ridge regression and a small PyTorch MLP, all as Qlib ``Model``s.

Each takes a Qlib ``DatasetH``, learns on the ``train`` segment (processed, labels
z-scored per day), uses ``valid`` for early stopping, and predicts any segment from the
inference view of the features. None of them touches Qlib's ``R`` recorder (mlflow): the
run folder is ours. Each reports training progress and saves itself without pickle
(LightGBM's text format, JSON coefficients, a torch ``state_dict``).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from taorui_engines.progress import NullProgress, ProgressEvent, ProgressReporter

logger = logging.getLogger(__name__)

ModelKind = Literal["lightgbm", "linear", "mlp"]


class ModelParams(BaseModel):
    """Hyper-parameters; each model reads the ones that concern it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed (all models).")
    num_boost_round: int = Field(default=200, ge=1, le=5000, description="LightGBM: most trees.")
    early_stopping_rounds: int = Field(default=20, ge=1, le=1000, description="LightGBM/MLP patience.")
    learning_rate: float = Field(default=0.1, gt=0, le=1, description="LightGBM: shrinkage per tree.")
    num_leaves: int = Field(default=31, ge=2, le=1024, description="LightGBM: leaves per tree.")
    threads: int = Field(
        default=1, ge=1, le=64,
        description="LightGBM threads. 1 by default: on a shared machine OpenMP threads spin and can be "
        "many times slower; more only helps on an idle machine with a large dataset.",
    )
    ridge_alpha: float = Field(default=1.0, ge=0, le=1e6, description="Linear: L2 penalty (0 = OLS).")
    epochs: int = Field(default=20, ge=1, le=500, description="MLP: passes over the train segment.")
    hidden: tuple[int, ...] = Field(default=(64, 32), min_length=1, max_length=4, description="MLP layer sizes.")
    batch_size: int = Field(default=2048, ge=16, le=65536, description="MLP: rows per step.")
    mlp_learning_rate: float = Field(default=1e-3, gt=0, le=1, description="MLP: Adam step size.")


def _learn_frames(dataset: Any, segment: str) -> tuple[np.ndarray, np.ndarray]:
    from qlib.data.dataset.handler import DataHandlerLP

    frame = dataset.prepare(segment, col_set=["feature", "label"], data_key=DataHandlerLP.DK_L)
    if frame.empty:
        raise ValueError(f"the {segment} segment has no rows with a label")
    x = frame["feature"].to_numpy(dtype="float32")
    y = frame["label"].to_numpy(dtype="float32").reshape(-1)
    return np.nan_to_num(x, nan=0.0, copy=True), np.array(y, copy=True)


def _inference_frame(dataset: Any, segment: str) -> pd.DataFrame:
    from qlib.data.dataset.handler import DataHandlerLP

    frame = dataset.prepare(segment, col_set="feature", data_key=DataHandlerLP.DK_I)
    if frame.empty:
        raise ValueError(f"the {segment} segment has no rows")
    return frame


def _qlib_models() -> Any:
    """``qlib.contrib.model``, imported with its stdout chatter caught.

    Its ``__init__`` *prints* a line for every optional model it cannot import (CatBoost,
    XGBoost), which would corrupt the one-JSON-object output of ``--json`` commands.
    """
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        import qlib.contrib.model as models
    for line in chatter.getvalue().splitlines():
        logger.debug("qlib: %s", line)
    return models


def build_model(kind: ModelKind, params: ModelParams, progress: ProgressReporter | None = None) -> Any:
    """A fresh, untrained model of ``kind``."""
    reporter = progress or NullProgress()
    if kind == "lightgbm":
        return _lightgbm(params, reporter)
    if kind == "linear":
        return _linear(params)
    return _mlp(params, reporter)


def _lightgbm(params: ModelParams, progress: ProgressReporter) -> Any:
    _qlib_models()
    from qlib.contrib.model.gbdt import LGBModel

    class LightGBMModel(LGBModel):  # type: ignore[misc]
        """Qlib's LGBModel, trained without the mlflow recorder and with a progress bar."""

        def fit(self, dataset: Any, reweighter: Any = None, **_: Any) -> None:
            import lightgbm as lgb

            pairs = self._prepare_data(dataset, reweighter)
            sets, names = zip(*pairs, strict=True)
            total = params.num_boost_round

            def report(env: Any) -> None:
                progress.update(ProgressEvent("train lightgbm", env.iteration + 1, total))

            self.evals_result: dict[str, Any] = {}
            self.model = lgb.train(
                self.params, sets[0], num_boost_round=total, valid_sets=list(sets),
                valid_names=list(names),
                callbacks=[lgb.early_stopping(params.early_stopping_rounds, verbose=False),
                           lgb.record_evaluation(self.evals_result), report],
            )
            progress.update(ProgressEvent("train lightgbm", total, total, f"best {self.model.best_iteration}"))

        def save(self, folder: Path) -> list[str]:
            self.model.save_model(str(folder / "model_lightgbm.txt"))
            return ["model_lightgbm.txt"]

    return LightGBMModel(
        loss="mse", early_stopping_rounds=params.early_stopping_rounds,
        num_boost_round=params.num_boost_round, learning_rate=params.learning_rate,
        num_leaves=params.num_leaves, min_data_in_leaf=200, feature_fraction=0.7, max_bin=63,
        bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, seed=params.seed,
        deterministic=True, force_row_wise=True, num_threads=params.threads,
    )


def _linear(params: ModelParams) -> Any:
    _qlib_models()
    from qlib.contrib.model.linear import LinearModel

    class RidgeModel(LinearModel):  # type: ignore[misc]
        """Qlib's LinearModel (ridge, or OLS when alpha is 0) with a JSON save."""

        def save(self, folder: Path) -> list[str]:
            payload = {"estimator": self.estimator, "alpha": self.alpha,
                       "intercept": float(self.intercept_), "coef": [float(c) for c in self.coef_]}
            (folder / "model_linear.json").write_text(json.dumps(payload))
            return ["model_linear.json"]

    estimator = "ridge" if params.ridge_alpha > 0 else "ols"
    return RidgeModel(estimator=estimator, alpha=params.ridge_alpha, fit_intercept=True)


def _mlp(params: ModelParams, progress: ProgressReporter) -> Any:
    from taorui_engines.qlib_engine._torch_mlp import TorchMLP

    return TorchMLP(params, progress)
