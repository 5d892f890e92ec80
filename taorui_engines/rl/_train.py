"""Stable-Baselines3 training as FinRL's DRLAgent configures it, seeded and reproducible.

The algorithm settings are FinRL's (``finrl.config.<ALGO>_PARAMS``, what ``DRLAgent
.get_model`` passes to SB3), with two adjustments for short runs, both recorded in the run's
config: PPO's rollout length is capped at the requested timesteps (rounded to its batch
size), and replay buffers are no larger than the run. Reproducibility: SB3's ``seed``
seeds Python, NumPy, torch and the action space; the environments hold no randomness; and
torch runs on one CPU thread during training (multi-threaded reductions may change the
order of float additions between runs).
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from taorui_engines.errors import InternalError
from taorui_engines.progress import ProgressEvent, ProgressReporter, default_progress
from taorui_engines.rl._finrl import finrl_config
from taorui_engines.rl._models import ALGOS, Algo

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env import VecEnv

__all__ = ["algo_class", "hyperparams", "load_model", "train_model"]

logger = logging.getLogger(__name__)

TASK = "rl-train"


def _import_sb3() -> Any:
    """Import stable_baselines3 once, keeping the stderr banner of the legacy ``gym``.

    SB3 tries ``import gym`` to support old environments; pyqlib installs gym 0.26, whose
    import prints a deprecation banner on stderr. It is noise for our users (we use
    gymnasium), so it goes to the debug log instead.
    """
    if "stable_baselines3" in sys.modules:
        return sys.modules["stable_baselines3"]
    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        import stable_baselines3
    if buffer.getvalue().strip():
        logger.debug("stderr while importing stable_baselines3: %s", buffer.getvalue().strip())
    return stable_baselines3


def algo_class(algo: Algo) -> Any:
    """The SB3 class of ``algo``."""
    _import_sb3()
    from stable_baselines3 import A2C, DDPG, PPO, SAC, TD3

    classes = {"ppo": PPO, "a2c": A2C, "sac": SAC, "td3": TD3, "ddpg": DDPG}
    if algo not in classes:
        raise InternalError(f"unknown algorithm {algo!r} (allowed: {', '.join(ALGOS)})")
    return classes[algo]


def hyperparams(algo: Algo, timesteps: int, n_envs: int = 1) -> dict[str, float | int | str]:
    """FinRL's settings for ``algo``, fitted to a run of ``timesteps`` steps over ``n_envs`` envs.

    SB3's ``n_steps`` counts steps *per env*. PPO keeps FinRL's rollout size in total (so
    ``n_envs`` changes how a rollout is gathered, not how much one update sees), rounded up so
    that it splits into whole mini-batches; A2C keeps FinRL's ``n_steps`` per env, as SB3 does.
    """
    params: dict[str, Any] = dict(getattr(finrl_config(), f"{algo.upper()}_PARAMS"))
    if algo == "ppo":
        batch = int(params["batch_size"])
        rollout = max(batch, min(int(params["n_steps"]), timesteps // batch * batch))
        step = batch // math.gcd(batch, n_envs)  # n_steps * n_envs is a multiple of batch
        params["n_steps"] = -(-rollout // (n_envs * step)) * step
    if "buffer_size" in params:
        params["buffer_size"] = min(int(params["buffer_size"]), max(timesteps, 1000))
    return params


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _progress_callback(progress: ProgressReporter, total: int) -> Any:
    """An SB3 callback that reports steps to ``progress`` about a hundred times a run."""
    _import_sb3()  # first: its gym banner goes to the log, not the terminal
    from stable_baselines3.common.callbacks import BaseCallback

    class _Progress(BaseCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(verbose=0)
            self._every = max(1, total // 100)
            self._last = 0

        def _on_training_start(self) -> None:
            progress.update(ProgressEvent(TASK, 0, total, "training"))

        def _on_step(self) -> bool:
            if self.num_timesteps - self._last >= self._every:
                self._last = self.num_timesteps
                progress.update(ProgressEvent(TASK, min(self.num_timesteps, total), total, "training"))
            return True

        def _on_training_end(self) -> None:
            progress.update(ProgressEvent(TASK, total, total, f"{self.num_timesteps} steps"))

    return _Progress()


def _early_stopping(valid_env: gym.Env, workdir: Path, timesteps: int, n_envs: int) -> Any:  # type: ignore[type-arg]
    """Evaluate on the validation window now and then; keep the best; stop when it stalls.

    The validation rewards (one episode per evaluation) are kept in ``evaluations.npz``.
    SB3 counts ``eval_freq`` in vectorised steps, so it is divided by ``n_envs`` to keep the
    same spacing in env steps.
    """
    _import_sb3()  # first: its gym banner goes to the log, not the terminal
    from stable_baselines3.common.callbacks import EvalCallback, StopTrainingOnNoModelImprovement
    from stable_baselines3.common.monitor import Monitor

    stop = StopTrainingOnNoModelImprovement(max_no_improvement_evals=3, min_evals=2, verbose=0)
    return EvalCallback(
        Monitor(valid_env), callback_after_eval=stop, eval_freq=max(1, max(500, timesteps // 10) // n_envs),
        n_eval_episodes=1, deterministic=True, best_model_save_path=str(workdir), log_path=str(workdir),
        verbose=0,
    )


def train_model(
    make_env: Callable[[], gym.Env | VecEnv],  # type: ignore[type-arg]
    algo: Algo,
    timesteps: int,
    seed: int,
    progress: ProgressReporter | None = None,
    valid_env: gym.Env | None = None,  # type: ignore[type-arg]
    workdir: Path | None = None,
) -> tuple[Any, int]:
    """Train ``algo`` for ``timesteps`` steps; return the model and the steps really taken.

    With ``valid_env`` (and a ``workdir`` for the checkpoint), training stops early when
    the validation reward stops improving, and the best validated model is returned.
    ``make_env`` may build a ``VecEnv`` (several envs stepped together); the rollout settings
    follow its ``num_envs`` (see :func:`hyperparams`).
    """
    _import_sb3()  # first: its gym banner goes to the log, not the terminal
    from stable_baselines3.common.callbacks import CallbackList

    cls = algo_class(algo)
    env = make_env()
    n_envs = int(getattr(env, "num_envs", 1))
    callbacks = [_progress_callback(default_progress(progress), timesteps)]
    if valid_env is not None and workdir is not None:
        callbacks.append(_early_stopping(valid_env, workdir, timesteps, n_envs))
    with _one_thread():
        model = cls("MlpPolicy", env, seed=seed, verbose=0, device="cpu", **hyperparams(algo, timesteps, n_envs))
        with warnings.catch_warnings():  # a batched env is validated on a plain one, by design
            warnings.filterwarnings("ignore", "Training and eval env are not of the same type", UserWarning)
            model.learn(total_timesteps=timesteps, callback=CallbackList(callbacks))
        trained = int(model.num_timesteps)
        best = workdir / "best_model.zip" if workdir is not None else None
        if valid_env is not None and best is not None and best.exists():
            model = cls.load(best, device="cpu")
            best.unlink()
    logger.info("trained %s for %d steps (asked %d, seed %d)", algo, trained, timesteps, seed)
    return model, trained


def load_model(algo: Algo, path: Path) -> Any:
    """A saved SB3 model, on the CPU."""
    with _one_thread():
        return algo_class(algo).load(path, device="cpu")
