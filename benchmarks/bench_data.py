"""Data benchmark: OHLCV of 100 symbols x 8 years through get_price, cold and warm, against
Qlib's expression engine on the same store, one Parquet file (pyarrow) and one CSV per symbol.

Cold = a fresh process: imports and the first read (what a CLI call pays).
Warm = the same read again in a process that has read before (the calendar decoded and the
fields' grids filled once per store version). The warm methods run interleaved, one of each per round,
so a busy moment hits them all alike.
Run: .venv/bin/python benchmarks/bench_data.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_section  # noqa: E402
from taorui_engines.data import DataCenter, ensure_sample_store  # noqa: E402

START, END = "2018-01-01", "2025-12-31"
SYMBOLS = [f"SYN{i:03d}" for i in range(100)]
FIELDS = ["open", "high", "low", "close", "volume"]
REPEATS = 15
COLD_REPEATS = 5

_COLD = """
import time, sys
t = time.perf_counter()
from taorui_engines.data import DataCenter
dc = DataCenter(sys.argv[1])
df = dc.get_price(sys.argv[2].split(","), sys.argv[3], sys.argv[4])
print(time.perf_counter() - t, len(df), int("qlib" in sys.modules))
"""


def cold_runs(data_dir: Path) -> tuple[list[float], bool]:
    out, qlib = [], False
    for _ in range(COLD_REPEATS):
        proc = subprocess.run(
            [sys.executable, "-c", _COLD, str(data_dir), ",".join(SYMBOLS), START, END],
            capture_output=True, text=True, check=True,
        )
        seconds, _, loaded = proc.stdout.split()
        out.append(float(seconds))
        qlib = qlib or loaded == "1"
    return out, qlib


def main() -> None:
    import pandas as pd

    from taorui_engines.data._validate import parse_range

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        t = time.perf_counter()
        center = DataCenter(data_dir)
        ensure_sample_store(center)
        build = time.perf_counter() - t
        cold, qlib_loaded = cold_runs(data_dir)

        full = center.get_price(SYMBOLS, START, END)
        rows = len(full)
        parquet = Path(tmp) / "bars.parquet"
        full.to_parquet(parquet, engine="pyarrow", index=False)
        csv_dir = Path(tmp) / "csv"
        csv_dir.mkdir()
        for sym, part in full.groupby("symbol"):
            part.drop(columns="symbol").to_csv(csv_dir / f"{sym}.csv", index=False)
        s, e = parse_range(START, END)
        infos = center.resolve(SYMBOLS)
        exprs = {f: f"${f}" for f in FIELDS}

        def qlib_engine() -> object:  # what get_price did before: Qlib's D.features on $fields
            raw = center._features(infos[0].market, infos, exprs, s, e, "day").reset_index()
            return raw.dropna(subset=FIELDS, how="all").sort_values(["date", "symbol"], kind="stable")

        methods: dict[str, Callable[[], object]] = {
            "get_price (warm)": lambda: center.get_price(SYMBOLS, START, END),
            "Qlib D.features on the same store (warm)": qlib_engine,
            "one Parquet file, pyarrow": lambda: pd.read_parquet(parquet, engine="pyarrow"),
            "pandas read_csv, 100 files + concat": lambda: pd.concat(
                [pd.read_csv(csv_dir / f"{sym}.csv", parse_dates=["date"]).assign(symbol=sym) for sym in SYMBOLS],
                ignore_index=True),
        }
        pd.testing.assert_frame_equal(center.get_price(SYMBOLS, START, END),
                                      qlib_engine().reset_index(drop=True))  # type: ignore[attr-defined]
        times: dict[str, list[float]] = {name: [] for name in methods}
        for fn in methods.values():
            fn()
        load = [os.getloadavg()[0]]
        for _ in range(REPEATS):
            for name, fn in methods.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        load.append(os.getloadavg()[0])

    def ms(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})"

    shared = ("the machine was shared with other work" if max(load) > 1.5
              else "the machine was otherwise idle")
    ours = statistics.median(times["get_price (warm)"])
    lines = "\n".join(f"| {name} | {ms(xs)} | {statistics.median(xs) / ours:.1f}x |" for name, xs in times.items())
    body = f"""
Workload: OHLCV of {len(SYMBOLS)} symbols of `csi_syn` from {START} to {END} ({rows:,} rows),
median of {REPEATS} interleaved rounds (cold: {COLD_REPEATS} fresh processes).

| what | time | vs get_price warm |
| --- | --- | --- |
{lines}
| `get_price`, cold (fresh process: imports + first read) | {ms(cold)} | |
| build the embedded sample store (first use) | {build:.1f} s | |

Load average (1 min) at the start and end of the timed rounds: {load[0]:.2f} / {load[1]:.2f}
on {os.cpu_count()} cores; this benchmark alone accounts for about 1, so {shared} (the ratios
come from the same interleaved rounds either way).

`get_price` reads the store's float32 columns directly (`taorui_engines/data/_bars.py`): a
version never changes (an ingest writes a new one), so per version the calendar is decoded
once and each field is kept as a date-major (days x symbols) grid whose columns are read from
their files once. A warm read copies one slice per field into a fresh float64 block, repeats
the dates and tiles the symbols: no per-symbol work, no transpose, no sort, no concat. Its
output is identical to Qlib's `D.features` on `$open..$volume` (checked here and in
tests/test_data_store.py, tests/test_get_price_fast.py). Qlib stays the engine for
expressions (`get_features`). A cold `get_price` imports Qlib: {"yes" if qlib_loaded else "no"}.
"""
    write_section("data", "Data center: get_price vs Qlib, Parquet and CSV", body)
    print(body)


if __name__ == "__main__":
    main()
