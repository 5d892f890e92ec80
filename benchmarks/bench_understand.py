"""Intent router benchmark: static-table build, cold start of routing in a fresh process, accuracy.

What is measured, in a fresh temporary cache folder:

- the one-time build of the static table from the shipped MiniLM (a subprocess, so the torch
  and transformers imports count), and the first router load, which encodes the exemplar bank;
- a cold start as ``taorui ask --plan-only`` pays it: a new Python process that imports the
  router, loads the encoder (memory-maps the table) and the router (cached exemplar vectors)
  and routes one English and one Chinese instruction; median of 5 processes, per stage and in
  total (process start to exit, interpreter start-up included);
- warm routing latency, and leave-one-out accuracy on the exemplar bank per language, with the
  share routed confidently under the current thresholds.

Run: ``.venv/bin/python benchmarks/bench_understand.py [--runs 5] [--no-write]``. Without
``--no-write`` the section ``understand`` of docs/benchmarks.md is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._report import write_section  # noqa: E402

if TYPE_CHECKING:
    from agents.understand._router import CrossValidation

EN, ZH = "backtest a 20/60 moving average crossover on gold", "用PPO训练一个原油交易智能体，给出下周建议"

_BUILD = """
import json, sys, time
from pathlib import Path
start = time.perf_counter()
from agents.understand._embed import build_static_table
path = build_static_table(Path(sys.argv[1]))
print(json.dumps({"seconds": time.perf_counter() - start, "path": str(path)}))
"""

_COLD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from agents.understand._embed import StaticEncoder
from agents.understand._router import IntentRouter
t1 = time.perf_counter()
encoder = StaticEncoder.load(Path(sys.argv[1]), build_if_missing=False)
t2 = time.perf_counter()
router = IntentRouter.load(encoder)
t3 = time.perf_counter()
en = router.route(sys.argv[2])
t4 = time.perf_counter()
zh = router.route(sys.argv[3])
t5 = time.perf_counter()
heavy = [m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules]
print(json.dumps({"import": t1 - t0, "encoder": t2 - t1, "router": t3 - t2, "route_en": t4 - t3,
                  "route_zh": t5 - t4, "in_process": t5 - t0, "heavy": heavy,
                  "intents": [en.intent, zh.intent]}))
"""


def _python(code: str, *args: str) -> tuple[dict[str, Any], float]:
    """Run ``code`` in a fresh interpreter at the repo root; its JSON line and the wall time."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms"


def cold_starts(cache: Path, runs: int) -> tuple[dict[str, float], list[str], list[str]]:
    """Median per stage over ``runs`` fresh processes, the heavy modules seen, the routed intents."""
    samples: list[dict[str, Any]] = []
    walls: list[float] = []
    for _ in range(runs):
        sample, wall = _python(_COLD, str(cache), EN, ZH)
        samples.append(sample)
        walls.append(wall)
    keys = ("import", "encoder", "router", "route_en", "route_zh", "in_process")
    medians = {k: statistics.median(float(s[k]) for s in samples) for k in keys}
    medians["wall"] = statistics.median(walls)
    heavy = sorted({m for s in samples for m in s["heavy"]})
    return medians, heavy, list(samples[0]["intents"])


def warm_and_accuracy(cache: Path) -> dict[str, Any]:
    """In this process: warm routing latency, leave-one-out figures, suggested thresholds."""
    from agents.understand._embed import StaticEncoder
    from agents.understand._router import IntentRouter, calibrate, held_out, summarise

    router = IntentRouter.load(StaticEncoder.load(cache, build_if_missing=False))
    texts = [ex.text for ex in router.exemplars[::7]]
    start = time.perf_counter()
    for text in texts:
        router.route(text)
    per_route = (time.perf_counter() - start) / len(texts)
    start = time.perf_counter()
    held = held_out(router)
    loo_seconds = time.perf_counter() - start
    return {"per_route": per_route, "cv": summarise(held), "loo_seconds": loo_seconds,
            "suggest_95": calibrate(held, 0.95), "suggest_97": calibrate(held, 0.97)}


def sizes(cache: Path) -> str:
    """Name pattern and size of each cached file."""
    return ", ".join(f"`{p.name.split('-')[0]}-*{p.suffix}` {p.stat().st_size / 1e6:.2f} MB"
                     for p in sorted(cache.iterdir()) if not p.name.startswith("."))


def timing_table(build: dict[str, Any], build_wall: float, first: dict[str, Any], cold: dict[str, float],
                 runs: int, warm: dict[str, Any]) -> str:
    """The Markdown table of times."""
    rows = [
        "| step | time |", "|---|---:|",
        f"| build the static table (once; own process, torch import included) | {build['seconds']:.1f} s "
        f"(process {build_wall:.1f} s) |",
        f"| first router load: encode and cache {warm['cv'].count['all']} exemplars (once) | {_ms(first['router'])} |",
        f"| cold: imports | {_ms(cold['import'])} |",
        f"| cold: `StaticEncoder.load` (memory-map the table, tokenizer) | {_ms(cold['encoder'])} |",
        f"| cold: `IntentRouter.load` (cached exemplar vectors) | {_ms(cold['router'])} |",
        f"| cold: route 1 English + 1 Chinese instruction | {_ms(cold['route_en'] + cold['route_zh'])} |",
        f"| **cold total in the process** (median of {runs}) | **{_ms(cold['in_process'])}** |",
        f"| cold total, process start to exit | {_ms(cold['wall'])} |",
        f"| warm `route` | {warm['per_route'] * 1e3:.2f} ms |",
    ]
    return "\n".join(rows)


def accuracy_table(cv: CrossValidation) -> str:
    """The Markdown table of leave-one-out accuracy per language."""
    rows = ["| exemplars | leave-one-out accuracy |", "|---|---:|",
            *(f"| {k} ({cv.count[k]}) | {cv.accuracy[k]:.3f} |" for k in ("en", "zh", "all"))]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes for the cold start")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        build, build_wall = _python(_BUILD, str(cache))
        first, _ = _python(_COLD, str(cache), EN, ZH)  # encodes and caches the exemplar bank
        cold, heavy, routed = cold_starts(cache, args.runs)
        warm = warm_and_accuracy(cache)
        files = sizes(cache)
    cv = warm["cv"]
    notes = (
        f"Routed: `{EN}` -> {routed[0]}; `{ZH}` -> {routed[1]}. torch/transformers loaded in the cold "
        f"processes: {', '.join(heavy) or 'neither'}. Cache files: {files}. Routed confidently under the "
        f"current thresholds: {cv.confident_share:.0%} of held-out exemplars, {cv.confident_accuracy:.1%} of "
        f"them right; `calibrate` suggests (min score, min margin) {warm['suggest_95']} for 95 % and "
        f"{warm['suggest_97']} for 97 % precision. Leave-one-out took {warm['loo_seconds']:.2f} s. "
        f"1-minute load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end."
    )
    body = (timing_table(build, build_wall, first, cold, args.runs, warm) + "\n\n" + accuracy_table(cv)
            + "\n\n" + notes)
    print(body)
    if not args.no_write:
        write_section("understand", "Understanding: the static intent router", body)


if __name__ == "__main__":
    main()
