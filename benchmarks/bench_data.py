"""Data benchmark: close+volume of 100 symbols x 8 years through get_price, cold and warm,
against pandas reading the same data from one CSV per symbol.

Cold = a fresh process: import, Qlib init and first read (what a CLI call pays).
Warm = the same read again in a process that has read before.
Run: .venv/bin/python benchmarks/bench_data.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402

START, END = "2018-01-01", "2025-12-31"
SYMBOLS = [f"SYN{i:03d}" for i in range(100)]
REPEATS = 5

_COLD = """
import time, sys
t = time.perf_counter()
from taorui_engines.data import DataCenter
dc = DataCenter(sys.argv[1])
df = dc.get_price(sys.argv[2].split(","), sys.argv[3], sys.argv[4], fields=["close", "volume"])
print(time.perf_counter() - t, len(df))
"""


def cold_runs(data_dir: Path) -> list[float]:
    out = []
    for _ in range(REPEATS):
        proc = subprocess.run(
            [sys.executable, "-c", _COLD, str(data_dir), ",".join(SYMBOLS), START, END],
            capture_output=True, text=True, check=True,
        )
        out.append(float(proc.stdout.split()[0]))
    return out


def warm_runs(center: DataCenter) -> tuple[list[float], int]:
    center.get_price(SYMBOLS, START, END, fields=["close", "volume"])
    times, rows = [], 0
    for _ in range(REPEATS):
        t = time.perf_counter()
        rows = len(center.get_price(SYMBOLS, START, END, fields=["close", "volume"]))
        times.append(time.perf_counter() - t)
    return times, rows


def csv_runs(center: DataCenter, folder: Path) -> list[float]:
    import pandas as pd

    full = center.get_price(SYMBOLS, START, END, fields=["close", "volume"])
    for sym, part in full.groupby("symbol"):
        part.drop(columns="symbol").to_csv(folder / f"{sym}.csv", index=False)
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        frames = [pd.read_csv(folder / f"{s}.csv", parse_dates=["date"]).assign(symbol=s) for s in SYMBOLS]
        pd.concat(frames, ignore_index=True)
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        t = time.perf_counter()
        center = DataCenter(data_dir)
        ensure_sample_store(center)
        build = time.perf_counter() - t
        cold = cold_runs(data_dir)
        warm, rows = warm_runs(center)
        csv_dir = Path(tmp) / "csv"
        csv_dir.mkdir()
        csv = csv_runs(center, csv_dir)

    def fmt(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1000:.0f} ms (min {min(xs) * 1000:.0f}, max {max(xs) * 1000:.0f})"

    body = f"""
Workload: close and volume of {len(SYMBOLS)} symbols of `csi_syn` from {START} to {END}
({rows:,} rows), median of {REPEATS} runs.

| what | time |
| --- | --- |
| build the embedded sample store (first use) | {build:.1f} s |
| `get_price`, cold (fresh process: imports + Qlib init + read) | {fmt(cold)} |
| `get_price`, warm (same process, Qlib initialised) | {fmt(warm)} |
| pandas `read_csv` of the same data (100 files) + concat | {fmt(csv)} |

Cold time is dominated by importing pandas/Qlib and initialising Qlib; the read itself is the
warm figure. Qlib reads one float32 file per field and symbol and evaluates `$close` through
its expression engine, single process (`kernels=1`).
"""
    write_section("data", "Data center: get_price vs CSV", body)
    print(body)


if __name__ == "__main__":
    main()
