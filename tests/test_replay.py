"""Replayable runs: every run folder carries a manifest, and `replay` reruns it and compares.

Real engines throughout: a short PPO run on GOLD, a LightGBM model on part of csi_syn and an
SMA-cross backtest on SP500, each replayed and expected bit for bit; then changed data, on
private copies of the store, which a replay must refuse (or, when told, report).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from taorui.cli import main
from taorui.settings import Settings
from taorui_engines.backtest import BacktestResult, BacktestSpec, run_backtest
from taorui_engines.data import DataCenter, Provenance
from taorui_engines.errors import InvalidArgumentError, NotFoundError
from taorui_engines.manifest import (
    MANIFEST_FILE,
    PACKAGES,
    REPLAY_FILE,
    DataChangedError,
    RunManifest,
    compare_metrics,
    replay,
    series_record,
)
from taorui_engines.qlib_engine import BacktestConfig, TrainConfig, TrainResult, train_model
from taorui_engines.rl import RLRunResult, RLTrainRequest, train_agent
from taorui_engines.runs import RunFolder

SMA = BacktestSpec(strategy="sma_cross", symbols=("SP500",), start=date(2015, 1, 1), end=date(2016, 12, 31))
UNIVERSE = tuple(f"SYN{i:03d}" for i in range(20))
FEATURES = ("Ref($close,5)/$close-1", "Mean($volume,5)/Mean($volume,60)", "Std($close/Ref($close,1)-1,20)")


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="module")
def rl_run(data_center: DataCenter, runs_dir: Path) -> RLRunResult:
    request = RLTrainRequest(assets=("GOLD",), algo="ppo", timesteps=300, seed=7)  # `taorui rl train ...`
    return train_agent(data_center, runs_dir, request)


@pytest.fixture(scope="module")
def qlib_run(data_center: DataCenter, runs_dir: Path) -> TrainResult:
    config = TrainConfig(model="lightgbm", features="custom", expressions=FEATURES, universe=UNIVERSE,
                         train=(date(2019, 1, 1), date(2020, 12, 31)), valid=(date(2021, 1, 1), date(2021, 6, 30)),
                         test=(date(2021, 7, 1), date(2021, 12, 31)), backtest=BacktestConfig(topk=8, n_drop=2))
    return train_model(data_center, config, runs_dir)


@pytest.fixture(scope="module")
def bt_run(data_center: DataCenter, runs_dir: Path) -> BacktestResult:
    return run_backtest(SMA, data_center, runs_dir)


def _manifest(run_dir: str | Path) -> RunManifest:
    return RunManifest.model_validate_json((Path(run_dir) / MANIFEST_FILE).read_text())


def _folders(runs: Path) -> set[str]:
    return {p.name for p in runs.iterdir()}


def _private_store(sample_data_dir: Path, tmp_path: Path) -> DataCenter:
    """A real copy (not hard links) of the sample store: its files may be edited in place."""
    shutil.copytree(sample_data_dir, tmp_path / "data", symlinks=True)
    return DataCenter(tmp_path / "data")


def _scale_closes_in_place(center: DataCenter, symbol: str, start: str, end: str, factor: float) -> None:
    """Tamper with the store's binary close file directly, as a stray edit would (no new version)."""
    version = (center.data_dir / "markets" / "us" / "current").resolve()
    path = version / "features" / symbol.lower() / "close.day.bin"
    raw = np.fromfile(path, dtype="<f4")
    calendar = pd.DatetimeIndex(pd.to_datetime((version / "calendars" / "day.txt").read_text().split()))
    rows = np.nonzero((calendar >= pd.Timestamp(start)) & (calendar <= pd.Timestamp(end)))[0]
    raw[rows - int(raw[0]) + 1] *= factor
    raw.tofile(path)


def _reingest_scaled(center: DataCenter, symbol: str, start: str, end: str, factor: float) -> None:
    """Replace ``symbol`` through the ingest path (a new store version), its prices scaled on some days."""
    bars = center.get_price(symbol, "1990-01-01", "2030-01-01").drop(columns="symbol").set_index("date")
    days = (bars.index >= pd.Timestamp(start)) & (bars.index <= pd.Timestamp(end))
    bars.loc[days, ["open", "high", "low", "close"]] *= factor
    center.ingest_frame(bars.reset_index(), symbol, market="us", if_exists="replace",
                        provenance=Provenance(source="test: scaled copy", synthetic=False))


# --- the manifest -------------------------------------------------------------------------------------
def test_every_run_folder_carries_a_manifest_with_code_packages_and_config(tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, "instruction", {"text": "hello"})

    manifest = _manifest(run.path)
    assert manifest.run_id == run.run_id and manifest.kind == "instruction"
    assert manifest.config == {"text": "hello"}
    assert set(manifest.packages) == {"python", *PACKAGES}
    assert manifest.packages["numpy"] == np.__version__
    assert manifest.code.taorui is not None
    assert manifest.series == () and manifest.seeds == {} and manifest.llm is None


def test_rl_manifest_records_the_series_read_its_hash_and_the_seed(
    rl_run: RLRunResult, data_center: DataCenter
) -> None:
    manifest = _manifest(rl_run.run_dir)

    (series,) = manifest.series
    assert (series.symbol, series.columns) == ("GOLD", ("open", "high", "low", "close"))
    assert series.first_date < rl_run.train.start.isoformat() and series.rows > 1000
    assert series_record(data_center.data_dir, series) == series  # the hash is of the store's values
    assert manifest.seeds == {"seed": 7}
    assert [s.market for s in manifest.stores] == ["synthetic"]
    assert manifest.config == json.loads((Path(rl_run.run_dir) / "config.json").read_text())


def test_qlib_and_backtest_manifests_record_every_series_they_read(qlib_run: TrainResult, bt_run: BacktestResult) -> None:
    qlib = _manifest(qlib_run.run_dir)
    backtest = _manifest(str(bt_run.run_dir))

    assert [s.symbol for s in qlib.series] == list(UNIVERSE)
    assert all(s.end is not None and s.end > date(2021, 12, 31) for s in qlib.series)  # the label reads ahead
    assert qlib.seeds == {"seed": 0}
    assert [s.symbol for s in backtest.series] == ["SP500"], "the backtest runner must pass bars.run_inputs()"
    assert backtest.series[0].start == bt_run.warmup_start and backtest.series[0].end == SMA.end


# --- replays that match -------------------------------------------------------------------------------
def test_an_rl_run_with_a_fixed_seed_replays_bit_for_bit(
    rl_run: RLRunResult, data_center: DataCenter, runs_dir: Path
) -> None:
    result = replay(rl_run.run_id, runs_dir, data_center)

    assert result.verdict == "identical" and result.rtol == 0.0, [m for m in result.metrics if m.status != "identical"]
    assert result.n_different == 0 and result.n_identical > 20
    assert result.replay_run_id != rl_run.run_id and not result.data_changed
    assert all("split_note" in line for line in result.config_differences)
    saved = json.loads((Path(result.replay_dir) / REPLAY_FILE).read_text())
    assert saved["run_id"] == rl_run.run_id and saved["verdict"] == "identical"


def test_a_qlib_model_run_replays_bit_for_bit_apart_from_its_timings(
    qlib_run: TrainResult, data_center: DataCenter, runs_dir: Path
) -> None:
    result = replay(qlib_run.run_id, runs_dir, data_center)

    assert result.verdict == "identical", [m for m in result.metrics if m.status not in ("identical", "ignored")]
    ignored = {m.key for m in result.metrics if m.status == "ignored"}
    assert ignored and all(key.startswith("seconds.") for key in ignored)
    assert result.config_differences == ()


def test_a_backtest_replays_bit_for_bit(bt_run: BacktestResult, data_center: DataCenter, runs_dir: Path) -> None:
    assert bt_run.run_id is not None
    result = replay(bt_run.run_id, runs_dir, data_center)

    assert result.verdict == "identical" and result.n_different == 0
    assert result.config_differences == () and all(p.same for p in result.packages)


def test_a_new_store_version_with_the_same_series_still_replays(home: Path, own_center: DataCenter) -> None:
    runs = Settings(home=home).runs_dir
    original = run_backtest(SMA, own_center, runs)
    assert original.run_id is not None
    _reingest_scaled(own_center, "NASDAQ", "2015-01-01", "2016-12-31", 1.5)  # another series of the market

    result = replay(original.run_id, runs, own_center)

    assert result.verdict == "identical" and not result.data_changed
    (store,) = result.stores
    assert store.name == "us" and not store.same


# --- refusals -----------------------------------------------------------------------------------------
def test_replay_refuses_when_the_data_read_was_edited_in_place(sample_data_dir: Path, tmp_path: Path) -> None:
    center = _private_store(sample_data_dir, tmp_path)
    runs = tmp_path / "runs"
    original = run_backtest(SMA, center, runs)
    assert original.run_id is not None
    _scale_closes_in_place(center, "SP500", "2016-01-01", "2016-06-30", 1.1)
    before = _folders(runs)

    with pytest.raises(DataChangedError) as refused:
        replay(original.run_id, runs, center)

    assert [c.symbol for c in refused.value.changes] == ["SP500"]
    assert "SP500" in refused.value.message and "allow_data_change" in refused.value.message
    assert _folders(runs) == before


def test_replay_with_allow_data_change_reports_the_series_and_the_metrics_that_moved(
    home: Path, own_center: DataCenter
) -> None:
    runs = Settings(home=home).runs_dir
    original = run_backtest(SMA, own_center, runs)
    assert original.run_id is not None
    _reingest_scaled(own_center, "SP500", "2016-01-01", "2016-06-30", 1.2)

    result = replay(original.run_id, runs, own_center, allow_data_change=True)

    assert result.data_changed and result.verdict == "different"
    (check,) = result.series
    assert check.changed and any("values differ" in d for d in check.differences)
    moved = {m.key: m for m in result.metrics if m.status == "different"}
    assert "final_value" in moved and moved["final_value"].abs_diff is not None and moved["final_value"].abs_diff > 0


def test_replay_refuses_an_unknown_run_and_a_run_without_manifest(
    bt_run: BacktestResult, data_center: DataCenter, runs_dir: Path, tmp_path: Path
) -> None:
    assert bt_run.run_id is not None
    with pytest.raises(NotFoundError):
        replay("backtest-20000101T000000-abcdef", runs_dir, data_center)
    old = tmp_path / "old_runs"
    shutil.copytree(Path(str(bt_run.run_dir)), old / bt_run.run_id)
    (old / bt_run.run_id / MANIFEST_FILE).unlink()

    with pytest.raises(NotFoundError, match="manifest"):
        replay(bt_run.run_id, old, data_center)


def test_replay_refuses_runs_it_cannot_rerun(data_center: DataCenter, tmp_path: Path) -> None:
    run = RunFolder.create(tmp_path, "instruction", {"text": "hello"})
    run.finish()

    with pytest.raises(InvalidArgumentError, match="replayable kinds"):
        replay(run.run_id, tmp_path, data_center)


def test_a_tolerance_is_explicit_and_only_numbers_can_be_within_it() -> None:
    then = {"sharpe": 1.0, "n": 3, "name": "a", "nested": {"x": 0.0}}
    now = {"sharpe": 1.0 + 1e-12, "n": 3, "name": "b", "nested": {"x": -0.0}}

    exact = {m.key: m.status for m in compare_metrics(then, now)}
    loose = {m.key: m.status for m in compare_metrics(then, now, rtol=1e-9)}

    # 0.0 and -0.0 are equal numbers but not the same bits: never "identical", whatever the tolerance
    assert exact == {"sharpe": "different", "n": "identical", "name": "different", "nested.x": "within_tolerance"}
    assert loose["sharpe"] == "within_tolerance" and loose["name"] == "different"


# --- the command --------------------------------------------------------------------------------------
def _cli(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["--home", str(home), "replay", *argv, "--json"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


def test_taorui_replay_reports_identical_then_refuses_changed_data_with_exit_2(
    home: Path, own_center: DataCenter, capsys: pytest.CaptureFixture[str]
) -> None:
    original = run_backtest(SMA, own_center, Settings(home=home).runs_dir)
    assert original.run_id is not None

    code, same = _cli(capsys, home, original.run_id)
    assert code == 0 and same["verdict"] == "identical"

    _reingest_scaled(own_center, "SP500", "2016-01-01", "2016-06-30", 1.2)
    code, refused = _cli(capsys, home, original.run_id)
    assert code == 2 and refused["error"]["type"] == "DataChanged"
    assert [c["symbol"] for c in refused["error"]["changed"]] == ["SP500"]

    code, anyway = _cli(capsys, home, original.run_id, "--allow-data-change")
    assert code == 1 and anyway["data_changed"] is True and anyway["verdict"] == "different"


def test_taorui_replay_of_an_unknown_run_is_a_json_error_with_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload = _cli(capsys, home, "rl-20000101T000000-abcdef")

    assert code == 2 and payload["error"]["type"] == "NotFound"
