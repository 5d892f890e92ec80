"""Qlib engine benchmark.

1. Factor evaluation: 50 Alpha158 expressions over csi_syn (120 symbols) for 5 years, one
   data load, horizon 5 with the 1/5/10/20 decay profile; cold (fresh process, imports and
   Qlib init included) and warm (the same request again in that process).
2. Alpha158 dataset build over csi_syn for 5 years (Qlib handler + processors), first and second run
   (the second reads the raw features from the feature cache, ``<data>/cache/features``).
3. The acceptance command: ``taorui model train --model lightgbm --features alpha158
   --universe csi_syn ...`` end to end (train, predict, backtest, run folder) in a fresh process.

Run: .venv/bin/python benchmarks/bench_qlib.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402

START, END = "2019-01-01", "2023-12-31"
N_EXPRESSIONS = 50

_EVAL = """
import sys, time, json
t = time.perf_counter()
from qlib.contrib.data.loader import Alpha158DL
from taorui_engines.data import DataCenter
from taorui_engines.qlib_engine import FactorEvalRequest, evaluate_factors
exprs = tuple(Alpha158DL.get_feature_config()[0][::3][:int(sys.argv[2])])
request = FactorEvalRequest(expressions=exprs, universe="csi_syn", start=sys.argv[3], end=sys.argv[4], horizon=5)
center = DataCenter(sys.argv[1])
first = evaluate_factors(center, request)
cold = time.perf_counter() - t
t = time.perf_counter()
evaluate_factors(center, request)
warm = time.perf_counter() - t
best = max(first.results, key=lambda r: abs(r.rank_icir or 0))
print(json.dumps({"cold": cold, "warm": warm, "n": len(exprs), "days": first.results[0].n_days,
                  "best": best.canonical, "best_rank_ic": best.rank_ic_mean}))
"""

_DATASET = """
import sys, time, json
from taorui_engines.data import DataCenter, _qlib
from taorui_engines.qlib_engine._dataset import Segments, build_dataset, build_handler, feature_cache
import pandas as pd
center = DataCenter(sys.argv[1])
symbols = [i.symbol for i in center.resolve("csi_syn")]
seg = Segments(train=(pd.Timestamp("2019-01-01"), pd.Timestamp("2021-12-31")),
               valid=(pd.Timestamp("2022-01-01"), pd.Timestamp("2022-06-30")),
               test=(pd.Timestamp("2022-07-01"), pd.Timestamp("2023-12-31")))
with _qlib.lock():
    center.activate("synthetic")
    t = time.perf_counter()
    dataset = build_dataset(build_handler("alpha158", symbols, seg, 1, cache=feature_cache(center, "synthetic")), seg)
    rows = len(dataset.prepare("train", col_set="feature"))
    print(json.dumps({"seconds": time.perf_counter() - t, "train_rows": rows}))
"""


def _python(code: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def acceptance(home: Path) -> tuple[float, dict[str, Any]]:
    """The issue's one-command LightGBM/Alpha158 run, timed from process start."""
    taorui = Path(sys.executable).parent / "taorui"
    argv = [str(taorui), "model", "train", "--model", "lightgbm", "--features", "alpha158", "--universe", "csi_syn",
            "--train", "2019-01-01:2022-12-31", "--valid", "2023-01-01:2023-12-31",
            "--test", "2024-01-01:2025-12-31", "--json"]
    env = {**os.environ, "TAORUI_HOME": str(home), "MPLBACKEND": "Agg"}
    started = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - started, json.loads(proc.stdout)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} / {five:.1f}"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        ensure_sample_store(DataCenter(home / "data"))
        load_before = _load()
        factors = _python(_EVAL, str(home / "data"), str(N_EXPRESSIONS), START, END)
        dataset = _python(_DATASET, str(home / "data"))  # computes the features and caches them
        dataset_again = _python(_DATASET, str(home / "data"))  # a fresh process reading the cache
        seconds, run = acceptance(home)
        seconds_again, _ = acceptance(home)
    write_section("qlib", "Qlib engine: factor evaluation, Alpha158, LightGBM end to end", _body(
        factors, dataset, dataset_again, seconds, seconds_again, run, load_before))


def _body(factors: dict[str, Any], dataset: dict[str, Any], dataset_again: dict[str, Any], seconds: float,
          seconds_again: float, run: dict[str, Any], load: str) -> str:
    m, bt, s = run["metrics"], run["backtest"], run["seconds"]
    return f"""
Load average (1 / 5 min) when the run started: {load}. This machine was shared with other
work while these figures were taken; on an idle machine expect them lower.

| what | figure |
|---|---|
| evaluate {factors['n']} Alpha158 expressions, csi_syn (120 symbols), {START}..{END} ({factors['days']} days), horizon 5 + decay 1/5/10/20, one load: cold (fresh process) | {factors['cold']:.1f} s |
| the same, warm (second call in the process) | {factors['warm']:.1f} s ({float(factors['warm']) / int(factors['n']):.2f} s per expression) |
| Alpha158 dataset build, csi_syn, 2019-01-01..2023-12-31 (handler + processors), first run (features computed, then cached) | {dataset['seconds']:.1f} s ({dataset['train_rows']} train rows) |
| the same in a fresh process, features from the cache (same store version, window and expressions) | {dataset_again['seconds']:.1f} s ({dataset['seconds'] / dataset_again['seconds']:.1f}x faster) |
| `taorui model train --model lightgbm --features alpha158 --universe csi_syn --train 2019-01-01:2022-12-31 --valid 2023-01-01:2023-12-31 --test 2024-01-01:2025-12-31 --json`, whole command | {seconds:.1f} s |
| of which: dataset / train / predict / backtest | {s['dataset']:.1f} / {s['train']:.1f} / {s['predict']:.1f} / {s['backtest']:.1f} s |
| the same command again (features from the cache) | {seconds_again:.1f} s |

Acceptance run result (SYNTHETIC data): test IC {m['ic']:.4f}, Rank IC {m['rank_ic']:.4f}, Rank ICIR
{m['rank_icir']:.3f} over {m['n_test_days']} days; TopkDropout 30/3 backtest {bt['start']}..{bt['end']}:
annualized {bt['annualized_return']:.1%} without cost, {bt['annualized_return_with_cost']:.1%} with
(equal-weight benchmark {bt['benchmark_annualized_return']:.1%}), information ratio
{bt['information_ratio']:.2f} / {bt['information_ratio_with_cost']:.2f}, max drawdown
{bt['max_drawdown_with_cost']:.1%} with cost. Strongest of the 50 factors by |Rank ICIR|: `{factors['best']}`
(Rank IC {float(factors['best_rank_ic']):+.4f}).
"""


if __name__ == "__main__":
    main()
