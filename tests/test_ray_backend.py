"""Grid search, multi-seed RL training, factor-mining evaluation and multi-universe model training
on a real local Ray cluster give the in-process results.

One head node is started on loopback for the module (2 CPUs, no dashboard) in its own temp
folder, and torn down by killing exactly the processes of that cluster (``ray stop --force``
would stop every Ray cluster of this user on the machine, other jobs' included).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

from taorui_engines.backtest import BacktestSpec, OptimizeSpec, optimize  # noqa: E402
from taorui_engines.backtest import _search as search_module  # noqa: E402
from taorui_engines.backtest._bars import load_bars  # noqa: E402
from taorui_engines.data import DataCenter  # noqa: E402
from taorui_engines.factor_mining import MiningRequest, MiningResult, mine_factors  # noqa: E402
from taorui_engines.factor_mining import _loop as mining_loop  # noqa: E402
from taorui_engines.factor_mining._evaluate import Panel  # noqa: E402
from taorui_engines.factor_mining._remote import RayScorer  # noqa: E402
from taorui_engines.progress import RecordingProgress  # noqa: E402
from taorui_engines.qlib_engine import ModelParams, TrainConfig, train_universes  # noqa: E402
from taorui_engines.qlib_engine import _universes as universes_module  # noqa: E402
from taorui_engines.rl import RLTrainRequest, train_seeds  # noqa: E402

RAY = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "ray"
OOS = (date(2011, 1, 3), date(2012, 6, 29))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cluster_processes(temp_dir: str) -> list[Any]:
    """The processes of the cluster whose session lives under ``temp_dir``, and their children."""
    roots = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(temp_dir in part for part in proc.info["cmdline"] or ()):
            roots.append(proc)
    found = {p.pid: p for p in roots}
    for proc in roots:
        try:
            found.update({c.pid: c for c in proc.children(recursive=True)})
        except psutil.NoSuchProcess:
            pass
    return list(found.values())


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A Ray head on 127.0.0.1 with 2 CPUs, this driver connected to it."""
    temp_dir = tempfile.mkdtemp(prefix="tr", dir="/tmp")  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    cmd = [str(RAY if RAY.exists() else shutil.which("ray")), "start", "--head", "--node-ip-address", "127.0.0.1",
           "--port", str(port), "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats",
           "--ray-client-server-port", str(_free_port()), "--temp-dir", temp_dir]
    subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
                   timeout=120)
    address = f"127.0.0.1:{port}"
    try:
        ray.init(address=address, logging_level="WARNING", log_to_driver=False)
        yield address
    finally:
        ray.shutdown()
        procs = _cluster_processes(temp_dir)
        for proc in procs:
            try:
                proc.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(procs, timeout=5)
        for proc in alive:
            proc.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _spec(grid: dict[str, tuple[int, ...]], start: date = date(2009, 1, 2), end: date = date(2010, 12, 31),
          oos: tuple[date, date] = OOS) -> OptimizeSpec:
    base = BacktestSpec(strategy="sma_cross", symbols=("SP500",), start=start, end=end)
    return OptimizeSpec(base=base, grid=grid, oos_start=oos[0], oos_end=oos[1], metric="sharpe", top=3, workers=1)


def test_a_small_grid_on_ray_ranks_and_scores_as_in_process(data_center: DataCenter, ray_address: str) -> None:
    spec = _spec({"fast": (5, 10, 30), "slow": (20, 40)})

    here = optimize(spec, data_center)
    there = optimize(spec, data_center, ray_address=ray_address)

    assert there.executor == "ray" and not there.screened and there.workers == 2
    assert there.ranking == here.ranking
    assert (there.n_failed, there.failed) == (0, ())


def test_a_screened_grid_on_ray_ranks_and_scores_as_in_process(data_center: DataCenter, ray_address: str) -> None:
    spec = _spec({"fast": (5, 10, 15, 20, 25, 30), "slow": (40, 60, 80, 100, 120)})  # 30 points: the screen runs

    here = optimize(spec, data_center)
    there = optimize(spec, data_center, ray_address=ray_address)

    assert there.screened and here.screened
    assert there.ranking == here.ranking and there.n_screened_only == here.n_screened_only


def test_a_task_that_raises_comes_back_as_a_failed_point(data_center: DataCenter, ray_address: str) -> None:
    spec = _spec({"fast": (5,), "slow": (20,)})
    bars = {"is": load_bars(data_center, ("SP500",), spec.base.start, spec.base.end, 20)}
    ticks: list[int] = []
    executor = search_module._RayExecutor(bars, ray_address, lambda: ticks.append(1))

    results = executor.run([("is", "{not a spec"), ("is", spec.base.model_dump_json())])

    assert not results[0]["ok"] and "ValidationError" in results[0]["error"]
    assert results[1]["ok"] and len(ticks) == 2


def _kill_one_busy_worker(stop: threading.Event, killed: list[int]) -> None:
    """SIGKILL the first Ray worker seen running a backtest."""
    while not stop.is_set():
        for proc in psutil.process_iter(["cmdline"]):
            if " ".join(proc.info["cmdline"] or ()).startswith("ray::_ray_evaluate"):
                os.kill(proc.pid, signal.SIGKILL)
                killed.append(proc.pid)
                return
        time.sleep(0.02)


def test_a_worker_killed_mid_search_is_retried_or_its_points_reported(
        data_center: DataCenter, ray_address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "SCREEN_MIN_COMBOS", 10**9)  # every point on Backtrader: a longer search
    spec = _spec({"fast": (5, 10, 15, 20, 25), "slow": (30, 40, 50, 60, 70, 80)}, start=date(2003, 1, 1),
                 end=date(2010, 12, 31))
    stop, killed = threading.Event(), []  # type: ignore[var-annotated]
    killer = threading.Thread(target=_kill_one_busy_worker, args=(stop, killed), daemon=True)
    killer.start()
    try:
        there = optimize(spec, data_center, ray_address=ray_address)
    finally:
        stop.set()
        killer.join()

    assert killed, "no busy worker was seen to kill"
    in_sample_failed = [f for f in there.failed if f.window == "in_sample"]
    assert len(there.ranking) + len(in_sample_failed) == 30 and there.n_failed == len(in_sample_failed)
    if not there.failed:  # Ray retried the lost task: the search is the in-process one
        assert there.ranking == optimize(spec, data_center).ranking


def test_two_seeds_trained_on_ray_match_two_trained_here(data_center: DataCenter, ray_address: str,
                                                         tmp_path: Path) -> None:
    request = RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=300)

    here = train_seeds(data_center, tmp_path / "here", request, (1, 2))
    there = train_seeds(data_center, tmp_path / "there", request, (1, 2), ray_address=ray_address)

    assert (here.executor, there.executor) == ("local", "ray") and not here.failed and not there.failed
    for a, b in zip(here.runs, there.runs, strict=True):
        assert a.trained_timesteps == b.trained_timesteps
        assert a.metrics == b.metrics and a.next_action.position == b.next_action.position
        assert (Path(b.run_dir) / "model.zip").exists() and a.run_id != b.run_id
    assert [r.next_action.backtest.run_id for r in there.runs] == [r.run_id for r in there.runs]


# --- factor mining: a round's candidates scored as Ray tasks ------------------------------------
MINING = {"universe": "csi_syn", "mining_start": date(2017, 1, 1), "mining_end": date(2019, 12, 31),
          "confirm_start": date(2020, 1, 1), "confirm_end": date(2021, 12, 31), "rounds": 2, "population": 8,
          "seed": 0, "library": ("Ref($close,5)/$close-1",)}


def _comparable(result: MiningResult) -> dict[str, Any]:
    return result.model_dump(exclude={"elapsed_s", "summary", "executor"})


def test_factor_mining_on_ray_tries_judges_and_accepts_as_in_process(data_center: DataCenter,
                                                                     ray_address: str) -> None:
    request = MiningRequest(**MINING)  # type: ignore[arg-type]
    progress = RecordingProgress()

    here = mine_factors(data_center, request)
    there = mine_factors(data_center, request, progress=progress, ray_address=ray_address)

    assert (here.executor, there.executor) == ("local", "ray") and not there.failed
    assert _comparable(there) == _comparable(here) and here.accepted
    counts = [e for e in progress.events if e.task == mining_loop.CANDIDATES_TASK]
    assert len(counts) > 2 and counts[-1].done == counts[-1].total == there.n_tried - counts[0].total


def _panel_on_a_missing_store(center: DataCenter, where: Path) -> Panel:
    universe = mining_loop.resolve_universe(center, "csi_syn")
    periods = (date(2017, 1, 1), date(2019, 12, 31), date(2020, 1, 1), date(2021, 12, 31))
    panel = Panel.open(center, universe, periods, 1, 10)
    panel.center = DataCenter(where / "no-store")  # the workers look for the store where there is none
    return panel


def test_a_batch_whose_task_fails_comes_back_failed_for_each_of_its_candidates(
        data_center: DataCenter, ray_address: str, tmp_path: Path) -> None:
    texts = [f"Mean($close,{n})/$close" for n in range(2, 12)]
    seen: list[tuple[int, int]] = []

    scored, failed = RayScorer(_panel_on_a_missing_store(data_center, tmp_path), ray_address).score(
        texts, lambda done, total: seen.append((done, total)))

    assert not scored and sorted(failed) == sorted(texts)
    assert all(error.startswith("ray: ") for error in failed.values())
    assert seen[-1] == (10, 10)


def test_a_mining_run_whose_tasks_fail_says_so_and_counts_none_of_them(
        data_center: DataCenter, ray_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = RayScorer(_panel_on_a_missing_store(data_center, tmp_path), ray_address)
    monkeypatch.setattr(mining_loop, "_scorer", lambda _panel, _address: broken)

    result = mine_factors(data_center, MiningRequest(**MINING), ray_address=ray_address)  # type: ignore[arg-type]

    assert result.executor == "ray" and result.failed and result.n_tried == 0 and not result.accepted
    assert all(f.error.startswith("ray: ") for f in result.failed)
    assert f"{len(result.failed)} more sent to Ray failed" in result.summary


# --- Qlib models: one Ray task per universe ------------------------------------------------------
HALVES = (tuple(f"SYN{i:03d}" for i in range(15)), tuple(f"SYN{i:03d}" for i in range(15, 30)))
PLANTED = ("Ref($close,5)/$close-1", "Mean($volume,5)/Mean($volume,60)", "Std($close/Ref($close,1)-1,20)")


def _train_config() -> TrainConfig:
    return TrainConfig(model="lightgbm", features="custom", expressions=PLANTED, backtest=None,
                       train=(date(2019, 1, 1), date(2020, 12, 31)), valid=(date(2021, 1, 1), date(2021, 6, 30)),
                       test=(date(2021, 7, 1), date(2021, 12, 31)), params=ModelParams(num_boost_round=40, seed=3))


def test_two_universes_trained_on_ray_match_two_trained_here(data_center: DataCenter, ray_address: str,
                                                             tmp_path: Path) -> None:
    here = train_universes(data_center, _train_config(), HALVES, tmp_path / "here")
    there = train_universes(data_center, _train_config(), HALVES, tmp_path / "there", ray_address=ray_address)

    assert (here.executor, there.executor) == ("local", "ray") and not here.failed and not there.failed
    for a, b in zip(here.runs, there.runs, strict=True):
        assert (a.universe, a.metrics, a.latest_signal, a.fit) == (b.universe, b.metrics, b.latest_signal, b.fit)
        folder = Path(b.run_dir)
        assert folder.parent == tmp_path / "there" and (folder / "status.json").exists()
        for name in ("predictions.csv", "model_lightgbm.txt"):
            assert (folder / name).read_bytes() == (Path(a.run_dir) / name).read_bytes()


def test_a_universe_whose_task_fails_is_reported_not_dropped(data_center: DataCenter, ray_address: str,
                                                             tmp_path: Path) -> None:
    configs = [_train_config().model_copy(update={"universe": u}) for u in HALVES]
    missing = DataCenter(tmp_path / "no-store")  # the workers look for the store where there is none

    out = universes_module._on_ray(missing, configs, tmp_path / "runs", RecordingProgress(), ray_address)

    assert [type(o).__name__ for o in out] == ["UniverseFailure", "UniverseFailure"]
    assert all(o.error.startswith("ray: ") for o in out)  # type: ignore[union-attr]
