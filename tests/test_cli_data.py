"""``taorui data ...`` and ``taorui tour`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import arch.data.sp500
import numpy as np
import pandas as pd
import pytest

from taorui.cli import main

from .test_data_store import make_bars, store_digest


def run_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["--home", str(home), *argv, "--json"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line, got: {out!r}"
    return code, json.loads(lines[0])


def test_data_list_shows_every_instrument_with_provenance(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "data", "list")

    assert code == 0
    rows = {r["symbol"]: r for r in payload["instruments"]}
    assert {"SP500", "NASDAQ", "WTI", "GOLD", "SYN000"} <= rows.keys()
    assert rows["SP500"]["synthetic"] is False and "arch.data.sp500" in rows["SP500"]["source"]
    assert rows["GOLD"]["synthetic"] is True and rows["GOLD"]["seed"] is not None
    assert "open = previous close" in rows["WTI"]["notes"]
    assert payload["universes"]["csi_syn"]["members"] >= 100
    assert payload["universes"]["csi_syn"]["synthetic"] is True
    for row in rows.values():
        assert {"symbol", "source", "synthetic", "start", "end", "freq"} <= row.keys()


def test_data_show_sp500_matches_the_arch_file(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "data", "show", "SP500", "--start", "2008-09-01", "--end", "2008-10-31")

    assert code == 0
    assert payload["symbol"] == "SP500" and payload["provenance"]["synthetic"] is False
    ours = pd.Series({r["date"]: r["close"] for r in payload["rows"]})
    theirs = arch.data.sp500.load().loc["2008-09-01":"2008-10-31", "Close"]
    assert ours.index.tolist() == theirs.index.strftime("%Y-%m-%d").tolist()
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-6)  # float32 store
    assert set(payload["rows"][0]) == {"date", "open", "high", "low", "close", "volume"}


def test_data_show_labels_synthetic_series(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = run_json(home, capsys, "data", "show", "GOLD", "--start", "2024-01-01", "--end", "2024-01-31")

    assert code == 0
    assert payload["provenance"]["synthetic"] is True
    assert "SYNTHETIC" in payload["provenance"]["notes"]


@pytest.mark.parametrize(
    ("argv", "error_type", "fragment"),
    [
        (["data", "show", "SP5OO", "--start", "2008-01-01", "--end", "2008-02-01"], "UnknownSymbol", "SP500"),
        (["data", "show", "SP500", "--start", "2008-02-01", "--end", "2008-01-01"], "InvalidDateRange", "reversed"),
        (["data", "show", "SP500", "--start", "2030-01-01", "--end", "2030-02-01"], "InvalidDateRange", "no bars"),
        (["data", "show", "SP500", "--start", "yesterday-ish", "--end", "2008-02-01"], "InvalidDateRange", "not a date"),
        (["data", "nonsense"], "InvalidArgument", "invalid choice"),
    ],
)
def test_data_errors_exit_2_with_one_json_error(
    home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], error_type: str, fragment: str
) -> None:
    code, payload = run_json(home, capsys, *argv)

    assert code == 2
    assert payload["error"]["type"] == error_type
    assert fragment in payload["error"]["message"]


def test_ingest_csv_then_show(home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    csv = tmp_path / "acme.csv"
    make_bars(n=40, start="2021-01-04", seed=5).to_csv(csv, index=False)

    code, payload = run_json(home, capsys, "data", "ingest", "--csv", str(csv), "--symbol", "ACME")
    assert code == 0 and payload["ingested"][0]["symbol"] == "ACME"

    code, shown = run_json(home, capsys, "data", "show", "ACME", "--start", "2021-01-01", "--end", "2021-12-31")
    assert code == 0 and len(shown["rows"]) == 40
    assert shown["provenance"]["source"].startswith("csv:")


def test_ingest_folder_makes_a_universe(home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "uni"
    folder.mkdir()
    for i in range(3):
        make_bars(n=30, seed=i).to_csv(folder / f"st{i}.csv", index=False)

    code, payload = run_json(home, capsys, "data", "ingest", "--folder", str(folder), "--universe", "mine")

    assert code == 0 and len(payload["ingested"]) == 3
    code, listing = run_json(home, capsys, "data", "list")
    assert listing["universes"]["mine"]["members"] == 3


def test_bad_csv_ingest_exits_2_and_changes_nothing(
    home: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv = tmp_path / "broken.csv"
    bars = make_bars(n=10)
    bars.loc[4, "high"] = bars.loc[4, "low"] / 2
    bars.to_csv(csv, index=False)
    run_json(home, capsys, "data", "list")  # builds the store if needed
    before = store_digest(home / "data")

    code, payload = run_json(home, capsys, "data", "ingest", "--csv", str(csv), "--symbol", "BRK")

    assert code == 2 and payload["error"]["type"] == "InvalidData"
    assert "high < low" in payload["error"]["message"]
    assert store_digest(home / "data") == before


def test_tour_runs_as_a_console_command(cli_env: dict[str, str]) -> None:
    exe = Path(sys.executable).with_name("taorui")
    proc = subprocess.run([str(exe), "tour"], env=cli_env, capture_output=True, text=True, timeout=300)

    assert proc.returncode == 0, proc.stderr
    assert "SP500" in proc.stdout and "real" in proc.stdout
    assert "GOLD" in proc.stdout and "SYNTHETIC" in proc.stdout
    assert "csi_syn" in proc.stdout
