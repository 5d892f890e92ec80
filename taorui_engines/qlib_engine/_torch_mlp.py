"""A small PyTorch MLP as a Qlib ``Model``, on CPU, with early stopping on the valid segment.

Qlib ships ``DNNModelPytorch``, but it logs every step through the mlflow recorder and
picks a GPU when one is visible; this one is deterministic for a seed, CPU-only, reports
progress per epoch, and keeps the weights of its best validation epoch.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from qlib.model.base import Model

from taorui_engines.progress import ProgressEvent, ProgressReporter
from taorui_engines.qlib_engine._models import ModelParams, _inference_frame, _learn_frames

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


def _network(n_inputs: int, hidden: tuple[int, ...]) -> torch.nn.Module:
    import torch

    layers: list[torch.nn.Module] = []
    width = n_inputs
    for size in hidden:
        layers += [torch.nn.Linear(width, size), torch.nn.ReLU(), torch.nn.Dropout(0.1)]
        width = size
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers)


class TorchMLP(Model):  # type: ignore[misc]
    """Feed-forward regression of the (z-scored) label on the features."""

    def __init__(self, params: ModelParams, progress: ProgressReporter) -> None:
        self.params = params
        self.progress = progress
        self.net: torch.nn.Module | None = None
        self.history: list[dict[str, float]] = []

    def fit(self, dataset: Any, reweighter: Any = None) -> None:
        """Train with Adam on MSE; stop when the valid loss has not improved for a while."""
        import torch

        torch.manual_seed(self.params.seed)
        x_train, y_train = (torch.from_numpy(a) for a in _learn_frames(dataset, "train"))
        x_valid, y_valid = (torch.from_numpy(a) for a in _learn_frames(dataset, "valid"))
        self.net = _network(x_train.shape[1], self.params.hidden)
        optimizer = torch.optim.Adam(self.net.parameters(), lr=self.params.mlp_learning_rate,
                                     weight_decay=1e-4)
        best = (float("inf"), self._state())
        stale = 0
        generator = torch.Generator().manual_seed(self.params.seed)
        for epoch in range(1, self.params.epochs + 1):
            train_loss = self._epoch(x_train, y_train, optimizer, generator)
            valid_loss = self._loss(x_valid, y_valid)
            self.history.append({"epoch": epoch, "train_loss": train_loss, "valid_loss": valid_loss})
            self.progress.update(ProgressEvent("train mlp", epoch, self.params.epochs, f"valid {valid_loss:.4f}"))
            if valid_loss < best[0]:
                best, stale = (valid_loss, self._state()), 0
            else:
                stale += 1
                if stale >= self.params.early_stopping_rounds:
                    break
        self.net.load_state_dict(best[1])
        self.progress.update(ProgressEvent("train mlp", self.params.epochs, self.params.epochs, "done"))

    def _state(self) -> dict[str, Any]:
        assert self.net is not None
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    def _epoch(self, x: torch.Tensor, y: torch.Tensor, optimizer: Any, generator: torch.Generator) -> float:
        import torch

        assert self.net is not None
        self.net.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), self.params.batch_size):
            batch = order[start : start + self.params.batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(self.net(x[batch]).squeeze(-1), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.detach().item() * len(batch)
        return total / len(x)

    def _loss(self, x: torch.Tensor, y: torch.Tensor) -> float:
        import torch

        return float(torch.nn.functional.mse_loss(self._forward(x), y))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch

        assert self.net is not None
        self.net.eval()
        with torch.no_grad():
            parts = [self.net(x[i : i + 65536]).squeeze(-1) for i in range(0, len(x), 65536)]
        return torch.cat(parts)

    def predict(self, dataset: Any, segment: str = "test") -> pd.Series:
        """Scores of ``segment`` indexed like Qlib's features (datetime, instrument)."""
        import torch

        if self.net is None:
            raise ValueError("the MLP is not trained yet")
        frame = _inference_frame(dataset, segment)
        x = np.nan_to_num(frame.to_numpy(dtype="float32"), nan=0.0)
        scores = self._forward(torch.from_numpy(x)).numpy()
        return pd.Series(scores.astype("float64"), index=frame.index)

    def save(self, folder: Path) -> list[str]:
        """Weights (``state_dict``) and the architecture and loss history as JSON."""
        import torch

        assert self.net is not None
        torch.save(self.net.state_dict(), folder / "model_mlp.pt")
        meta = {"hidden": list(self.params.hidden), "history": self.history}
        (folder / "model_mlp.json").write_text(json.dumps(meta))
        return ["model_mlp.pt", "model_mlp.json"]
