"""Factor-mining benchmark (issue 16, offline loop).

1. Recovery: the loop on csi_syn (SYNTHETIC, three planted signals) at the test's budget and
   at a larger one; wall time, candidates tried, accepted factors.
2. Noise: seeded runs on a random-walk universe (SYNTHETIC, no signal); how many accept
   anything, and the largest mining-period |t| seen against the Bonferroni threshold.

Run: .venv/bin/python benchmarks/bench_factor_mining.py [--write]
(``--write`` replaces this benchmark's section of docs/benchmarks.md.)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from benchmarks._report import write_section  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402
from taorui_engines.factor_mining import MiningRequest, MiningResult, mine_factors  # noqa: E402

PERIODS = {"mining_start": date(2017, 1, 1), "mining_end": date(2019, 12, 31),
           "confirm_start": date(2020, 1, 1), "confirm_end": date(2021, 12, 31)}


def _timed(center: DataCenter, request: MiningRequest) -> tuple[MiningResult, float]:
    started = time.perf_counter()
    result = mine_factors(center, request)
    return result, time.perf_counter() - started


def _recovery(center: DataCenter) -> list[str]:
    lines = ["| budget | wall s | tried | accepted |", "|---|---|---|---|"]
    for rounds, population in ((4, 20), (8, 30)):
        request = MiningRequest(universe="csi_syn", rounds=rounds, population=population, seed=0, **PERIODS)
        result, wall = _timed(center, request)
        names = "<br>".join(f"`{f.canonical}`" for f in result.accepted)
        lines.append(f"| {rounds} rounds x {population} | {wall:.1f} | {result.n_tried} | {names} |")
    return lines


def _noise(root: Path, runs: int = 20) -> list[str]:
    from test_factor_mining import _noise_center

    center = _noise_center(root)
    accepted, worst, threshold, walls = 0, 0.0, 0.0, []
    for seed in range(101, 101 + runs):
        request = MiningRequest(universe="noise_rw", rounds=3, population=20, seed=seed, **PERIODS)
        result, wall = _timed(center, request)
        walls.append(wall)
        accepted += bool(result.accepted)
        ts = [abs(f.mining.rank_ic_t_nw) for f in [*result.accepted, *result.rejected]
              if f.mining and f.mining.rank_ic_t_nw is not None]
        worst, threshold = max(worst, *ts), result.t_threshold
    return [f"- noise: {accepted} of {runs} seeded runs accepted a factor; largest mining |NW t| {worst:.2f} "
            f"(final Bonferroni threshold ~{threshold:.2f}); {sum(walls) / runs:.1f} s a run"]


def main() -> None:
    """Run both parts, print the section, and write it with ``--write``."""
    with tempfile.TemporaryDirectory() as tmp:
        center = DataCenter(Path(tmp) / "sample" / "data")
        ensure_sample_store(center)
        body = "\n".join([*_recovery(center), "", *_noise(Path(tmp) / "noise")])
    print(body)
    if "--write" in sys.argv:
        write_section("factor_mining", "Factor mining: planted-signal recovery and noise", body)


if __name__ == "__main__":
    main()
