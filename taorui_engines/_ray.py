"""Ray as the engines' optional executor: one connection, one way to wait for tasks.

Engines that fan out independent experiments (the grid search, multi-seed RL training) run
them as Ray tasks when the caller passes a Ray address, and in-process otherwise. Nothing here
reads the environment: the address comes from the app's settings. ``ray`` is imported only
when an address is given, so plain runs never load it.

Failures are said, never dropped: a task whose worker dies is retried by Ray (``max_retries``);
one that still fails, or raises, comes back as a :class:`TaskFailure` in its slot. When the
caller is interrupted (KeyboardInterrupt, a failed run), the outstanding tasks are cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from taorui_engines.errors import UnavailableError

__all__ = ["TASK_RETRIES", "TaskFailure", "connect", "gather", "remote"]

logger = logging.getLogger(__name__)

#: How many times Ray reruns a task whose worker process died (system failures only: a task
#: that raises is reported, not rerun, since it would raise again).
TASK_RETRIES = 3


@dataclass(frozen=True)
class TaskFailure:
    """A task that did not return: its error, in words."""

    error: str


def connect(address: str) -> Any:
    """The ``ray`` module, connected to the cluster at ``address`` (once per process)."""
    try:
        import ray
    except ImportError as exc:
        raise UnavailableError(f"a Ray address is configured ({address}) but the ray package is not installed; "
                               "pip install 'taorui[ray]' (ray==2.60.0)") from exc
    if not ray.is_initialized():
        try:
            ray.init(address=address, ignore_reinit_error=True, logging_level=logging.WARNING,
                     log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UnavailableError(f"no Ray cluster answers at {address} ({type(exc).__name__}: {exc}); "
                                   "start one with `ray start --head` or fix TAORUI_RAY_ADDRESS") from exc
    return ray


def remote(ray: Any, fn: Callable[..., Any], num_cpus: float = 1) -> Any:
    """``fn`` as a Ray task that is rerun when its worker dies, not when it raises."""
    return ray.remote(num_cpus=num_cpus, max_retries=TASK_RETRIES, retry_exceptions=False)(fn)


def gather(ray: Any, refs: Sequence[Any], on_done: Callable[[int, Any], None] | None = None) -> list[Any]:
    """Each task's value (or a :class:`TaskFailure`) in submission order, calling
    ``on_done(index, value)`` as each finishes; outstanding tasks are cancelled if this is
    interrupted (by KeyboardInterrupt or by ``on_done`` raising)."""
    index = {ref: i for i, ref in enumerate(refs)}
    out: list[Any] = [None] * len(refs)
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=None)
            for ref in ready:
                value = _value(ray, ref)
                out[index[ref]] = value
                if on_done is not None:
                    on_done(index[ref], value)
    except BaseException:
        cancel(ray, pending)
        raise
    return out


def _value(ray: Any, ref: Any) -> Any:
    from ray.exceptions import RayError

    try:
        return ray.get(ref)
    except RayError as exc:  # the task raised, or its worker died more often than it is retried
        cause = getattr(exc, "cause", None)
        text = f"{type(cause).__name__}: {cause}" if cause is not None else f"{type(exc).__name__}: {exc}"
        logger.warning("ray task failed: %s", text.splitlines()[0] if text else text)
        return TaskFailure(error=text.strip().splitlines()[0] if text.strip() else type(exc).__name__)


def cancel(ray: Any, refs: Sequence[Any]) -> None:
    """Cancel ``refs`` (running ones are killed); a task that already finished is left alone."""
    for ref in refs:
        try:
            ray.cancel(ref, force=True)
        except Exception as exc:  # noqa: BLE001 - cancelling is best effort; the run fails anyway
            logger.debug("could not cancel a ray task: %s", exc)
    if refs:
        logger.warning("cancelled %d outstanding ray task(s)", len(refs))
