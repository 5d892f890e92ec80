"""Scoring a round's candidates as Ray tasks: batches of candidates, one store read per batch.

A task gets a :class:`~taorui_engines.factor_mining._evaluate.BatchJob` (the store's path, the
run's days and a batch of canonical texts, no frames), opens the store itself, and sends back
each candidate's values and mining-period statistics, computed by the code the loop runs
in-process; so a candidate gets the same numbers on Ray as here. The store must be at the
same path on every node (a local cluster, or a shared filesystem).

Candidates are cut into batches (at least :data:`MIN_BATCH`, about two batches per CPU of the
cluster) so that each task's overhead (a process, a store read, the close prices for the
forward returns) is paid for several candidates. A batch whose task raises, or whose worker
dies more often than Ray retries it, comes back as failed for each of its candidates: the loop
records them as failed (not evaluated, not counted as tried) and the result says so.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from taorui_engines.factor_mining._evaluate import BatchJob, Panel, Scored, score_batch

logger = logging.getLogger(__name__)

#: Fewest candidates in one Ray task (a task reads the close prices once, whatever its size).
MIN_BATCH = 4
#: Batches per CPU of the cluster: more than one, so a slow batch does not hold up a round.
BATCHES_PER_CPU = 2

#: Called as each batch finishes: (candidates finished so far, candidates in the round).
OnProgress = Callable[[int, int], None]


def batches(texts: Sequence[str], workers: int) -> list[tuple[str, ...]]:
    """``texts`` cut into contiguous batches: about ``BATCHES_PER_CPU`` per worker, each >= ``MIN_BATCH``."""
    if not texts:
        return []
    n = max(1, min(BATCHES_PER_CPU * workers, math.ceil(len(texts) / MIN_BATCH)))
    size = math.ceil(len(texts) / n)
    return [tuple(texts[i:i + size]) for i in range(0, len(texts), size)]


class RayScorer:
    """Scores candidates on the Ray cluster at ``address``."""

    def __init__(self, panel: Panel, address: str) -> None:
        from taorui_engines import _ray

        self.panel = panel
        self._ray = _ray.connect(address)
        self._task = _ray.remote(self._ray, score_batch)
        self.workers = max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def score(self, texts: Sequence[str], on_progress: OnProgress | None = None
              ) -> tuple[dict[str, Scored], dict[str, str]]:
        """``({text: scored}, {text: error})``: every text is in exactly one of the two."""
        from taorui_engines import _ray

        jobs = batches(list(dict.fromkeys(texts)), self.workers)
        scored: dict[str, Scored] = {}
        failed: dict[str, str] = {}
        total = sum(len(j) for j in jobs)

        def done(i: int, value: Any) -> None:
            if isinstance(value, _ray.TaskFailure):
                failed.update({t: f"ray: {value.error}" for t in jobs[i]})
            else:
                scored.update({s.text: s for s in value})
            if on_progress is not None:
                on_progress(len(scored) + len(failed), total)

        refs = [self._task.remote(BatchJob.of(self.panel, j)) for j in jobs]
        _ray.gather(self._ray, refs, done)
        if failed:
            logger.warning("%d of %d candidate(s) failed on ray", len(failed), total)
        return scored, failed
