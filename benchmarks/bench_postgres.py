"""The gate on SQLite vs on Postgres, same run, same machine: what moving durable state to a
database server costs a desk.

Starts Debian's PostgreSQL on loopback in a temp folder (``scripts/postgres.sh``, as the
suite does), then measures, on each backend in turn: ``Gate.check`` (dry run) and
``Gate.propose`` sending every order (durable: on SQLite the call returns after the fsync
of its durable point; on Postgres after ``COMMIT`` returned with ``synchronous_commit`` on),
one caller and four callers. The server runs with its defaults apart from ``fsync=on``.

Run: ``.venv/bin/python benchmarks/bench_postgres.py [--n 1000] [--no-write]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._report import write_section  # noqa: E402
from benchmarks.bench_guardrails import bench_gate_fake, bench_propose, bench_propose_threads, row  # noqa: E402

SCRIPT = ROOT / "scripts" / "postgres.sh"


def on_backend(url: str | None, fn: Callable[[], dict[str, float]]) -> dict[str, float]:
    """Run ``fn`` with ``TAORUI_DATABASE_URL`` set to ``url`` (None: SQLite files)."""
    old = os.environ.pop("TAORUI_DATABASE_URL", None)
    if url:
        os.environ["TAORUI_DATABASE_URL"] = url
    try:
        return fn()
    finally:
        os.environ.pop("TAORUI_DATABASE_URL", None)
        if old is not None:
            os.environ["TAORUI_DATABASE_URL"] = old


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000, help="calls per level")
    parser.add_argument("--port", type=int, default=55471)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="taorui-bench-pg-"))
    folder.chmod(0o711)
    load = os.getloadavg()
    try:
        url = subprocess.run(["bash", str(SCRIPT), "start", str(folder / "data"), str(args.port)],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        version = subprocess.run(["psql", url, "-tAc", "SHOW server_version"], capture_output=True,
                                 text=True).stdout.strip() or "?"
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for label, backend in (("SQLite", None), ("Postgres", url)):
                base = Path(tmp) / label
                rows += [
                    (f"`Gate.check`, {label}", on_backend(backend, partial(bench_gate_fake, args.n, base))),
                    (f"`Gate.propose` (durable, sent), 1 caller, {label}",
                     on_backend(backend, partial(bench_propose, args.n // 2, base))),
                    (f"`Gate.propose` (durable, sent), 4 callers, {label}",
                     on_backend(backend, partial(bench_propose_threads, args.n // 2, base))),
                ]
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder / "data")], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    table = "\n".join(["| level | calls | calls/s | p50 (us) | p99 (us) |", "|---|---:|---:|---:|---:|",
                       *(row(name, r) for name, r in rows)])
    body = (
        f"The same gate code on each backend, one after the other in one process (PostgreSQL {version} from "
        "Debian's packages on loopback, started by `scripts/postgres.sh`, `fsync=on`, `synchronous_commit` on). "
        "Postgres has no cheap `data_version`, so a check's state, ledger and approval reads are queries every "
        "time (SQLite keeps them until the file changes), and every write is a round trip plus the advisory lock "
        "that stands in for SQLite's `BEGIN IMMEDIATE`; what it buys is several machines and approvers on one "
        "state (see docs/deploy.md).\n\n" + table + "\n\n"
        f"1-minute load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (2 cores; the "
        "server shares them with the benchmark)."
    )
    print(table)
    if not args.no_write:
        write_section("postgres", "Guardrails on SQLite vs Postgres", body)


if __name__ == "__main__":
    main()
