"""Trading-cycle benchmark: wall time per replayed day, by node, and what a day costs.

One paper portfolio on the sample store (csi_syn, 120 synthetic names), a factor strategy
(5-day reversal, top 5 %), semi-auto with the shipped policy minus the new-symbol approval (so
the replay runs unattended), 100,000 of cash, replayed over ``--days`` sessions as the app
wires it (``taorui.wiring``). Each node's time is measured by wrapping the desk's graph nodes.

Run: ``.venv/bin/python benchmarks/bench_trading.py [--days 60] [--no-write]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

from benchmarks._report import write_section  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from graphs.trading import _graph
    from taorui.settings import Settings
    from taorui.wiring import AppContext
    from taorui_engines.data import DataCenter, ensure_sample_store
    from taorui_engines.trading import FactorStrategy, PortfolioSpec, TradingMode

    timings: dict[str, list[float]] = defaultdict(list)
    for name in ("update", "signal", "targets", "decide", "finish"):
        original = getattr(_graph._Nodes, name)

        def timed(self, state, _orig=original, _name=name):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return _orig(self, state)
            finally:
                timings[_name].append(time.perf_counter() - started)
        setattr(_graph._Nodes, name, timed)

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        source = Path.home() / ".taorui" / "data"
        if not source.exists():
            ensure_sample_store(DataCenter(source))
        subprocess.run(["cp", "-al", str(source), str(home / "data")], check=True)
        policy = (ROOT / "guardrails" / "default_policy.yaml").read_text().replace("new_symbol: true", "new_symbol: false")
        ctx = AppContext(settings=Settings(home=home), quiet=True)
        desk = ctx.trading_desk
        desk.create(PortfolioSpec(name="bench", strategy=FactorStrategy(expression="Ref($close,5)/$close-1"),
                                  mode=TradingMode.SEMI_AUTO, created=datetime.now(UTC), created_by="bench"), policy)
        days = [d.date() for d in DataCenter(home / "data").calendar("synthetic", "2024-01-02", "2024-12-31")]
        window = days[: args.days]
        started = time.perf_counter()
        result = desk.run("bench", window[0], window[-1])
        total = time.perf_counter() - started
        events = desk.bus("bench").count()
        orders = result.report.orders_sent + len(result.report.blocked)

    per_day = total / len(window)
    rows = "\n".join(f"| {name} | {statistics.median(v) * 1000:.0f} | {sum(v) / len(window) * 1000:.0f} |"
                     for name, v in timings.items())
    body = f"""
{len(window)} sessions replayed ({window[0]}..{window[-1]}): **{per_day:.2f} s per day**, {total:.0f} s in all
(the first day includes opening the store and the portfolio); {orders} orders decided
({orders / len(window):.1f} a day), {result.report.fills} fills, {events} events.

| node | median ms | mean ms per day |
|---|---|---|
{rows}

`update` settles the previous day's orders at today's open through the gate (one store read for
every symbol) and reads the day's closes; `signal` evaluates the factor from its lookback to the
day through the point-in-time view (one Qlib expression read of 120 names); `decide` proposes each
order to the gate (an fsynced audit row and ledger row per step). A Qlib model's signal is built
once per window instead (see `tests/test_trading_cycle.py`, a 260-day LightGBM replay in about
4 minutes with a person approving new names).
"""
    print(body)
    if not args.no_write:
        write_section("trading", "Trading cycle: a replayed day", body)


if __name__ == "__main__":
    main()
