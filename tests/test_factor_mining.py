"""Factor mining (issue 16, offline loop): recovery of planted signals, honesty on noise, safety.

The recovery and noise runs use real Qlib reads of a real store: the session sample store
(csi_syn, SYNTHETIC with three planted signals, docs/synthetic-data.md) and a seeded
random-walk universe ingested into a temporary store (SYNTHETIC, no signal at all).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from taorui_engines.data import DataCenter, Provenance
from taorui_engines.errors import InvalidExpressionError, UnsafeExpressionError
from taorui_engines.factor_mining import (
    THEMES,
    MiningRequest,
    MiningResult,
    mine_factors,
    theme_key,
)
from taorui_engines.progress import RecordingProgress
from taorui_engines.qlib_engine import daily_rank_ic
from taorui_engines.qlib_engine._panel import load_wide, resolve_universe, trading_window

MINING = {"mining_start": date(2017, 1, 1), "mining_end": date(2019, 12, 31),
          "confirm_start": date(2020, 1, 1), "confirm_end": date(2021, 12, 31)}
#: The stated budget of the recovery test: 4 rounds of 20 (about 90 candidates), one seed.
RECOVERY_BUDGET = {"rounds": 4, "population": 20, "seed": 0}
#: Planted signals (docs/synthetic-data.md): expression and sign of its IC.
PLANTED = {
    "reversal_5d": ("Ref($close,5)/$close-1", +1),
    "volume_shock": ("Mean($volume,5)/Mean($volume,60)", +1),
    "low_volatility": ("Std($close/Ref($close,1)-1,20)", -1),
}
NOISE_SEEDS = tuple(range(101, 121))  # 20 seeded runs


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _kernel(signal: pd.DataFrame) -> pd.DataFrame:
    """A planted signal as it enters returns: ranks decayed by 0.6 per day over ten days."""
    z = signal.rank(axis=1, pct=True) - 0.5
    return sum((0.6 ** k) * z.shift(k) for k in range(10))  # type: ignore[return-value]


def _planted_match(center: DataCenter, result: MiningResult) -> dict[str, tuple[str, float]]:
    """For each accepted factor: the planted signal it matches best and the oriented correlation.

    Correlation = mean over mining days of the cross-sectional rank correlation, oriented by
    the factor's direction and the planted sign, taken with the planted expression itself or
    with its decayed form (the kernel through which it moves returns), whichever is higher.
    """
    universe = resolve_universe(center, "csi_syn")
    days, _ = trading_window(center, universe.market, MINING["mining_start"], MINING["mining_end"])
    names = {name: expr for name, (expr, _) in PLANTED.items()}
    names |= {f"a{i}": f.canonical for i, f in enumerate(result.accepted) if f.canonical}
    wide = load_wide(center, universe, names, days)
    out = {}
    for i, factor in enumerate(result.accepted):
        best = ("", -1.0)
        for name, (_, sign) in PLANTED.items():
            for target in (wide[name], _kernel(wide[name])):
                corr = float(daily_rank_ic(wide[f"a{i}"], target).mean()) * sign * (factor.direction or 0)
                best = max(best, (name, corr), key=lambda x: x[1])
        out[str(factor.canonical)] = best
    return out


def _noise_center(root: Path, seed: int = 7, n: int = 40) -> DataCenter:
    """A store holding ``n`` seeded random walks (no signal), labelled synthetic."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2016-01-01", "2021-12-31")
    frames = {}
    for i in range(n):
        close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, len(dates))))
        open_ = close * np.exp(rng.normal(0, 0.005, len(dates)))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, len(dates)))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, len(dates)))
        volume = np.exp(rng.normal(13, 0.5, len(dates)))
        frames[f"RW{i:03d}"] = pd.DataFrame(
            {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
            index=pd.Index(dates, name="date"))
    center = DataCenter(root / "data")
    prov = Provenance(source="tests (random walks)", synthetic=True, generator="tests.noise", seed=seed,
                      notes="SYNTHETIC pure noise: independent random walks, no factor structure")
    center.ingest_frames(frames, "noise", prov, universe="noise_rw", region="us")
    return center


@pytest.fixture(scope="module")
def noise_center(tmp_path_factory: pytest.TempPathFactory) -> DataCenter:
    return _noise_center(tmp_path_factory.mktemp("noise"))


def _noise_request(seed: int, **kw: object) -> MiningRequest:
    args: dict[str, object] = {"universe": "noise_rw", **MINING, "rounds": 3, "population": 20, "seed": seed}
    return MiningRequest(**(args | kw))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def recovery(data_center: DataCenter, tmp_path_factory: pytest.TempPathFactory) -> tuple[MiningResult, Path]:
    runs = tmp_path_factory.mktemp("runs")
    request = MiningRequest(universe="csi_syn", **MINING, **RECOVERY_BUDGET)  # type: ignore[arg-type]
    return mine_factors(data_center, request, runs_dir=runs, progress=RecordingProgress()), runs


# ---------------------------------------------------------------------------------------
# (a) recovery of the planted signals
# ---------------------------------------------------------------------------------------
def test_every_accepted_factor_on_csi_syn_is_one_of_the_planted_signals(
    data_center: DataCenter, recovery: tuple[MiningResult, Path]
) -> None:
    result, _ = recovery
    matches = _planted_match(data_center, result)

    assert result.accepted, result.summary
    assert all(corr > 0.7 for _, corr in matches.values()), matches
    assert {name for name, _ in matches.values()} == set(PLANTED), matches


def test_a_mining_result_shows_the_rule_the_count_tried_and_the_synthetic_label(
    recovery: tuple[MiningResult, Path]
) -> None:
    result, _ = recovery

    assert result.synthetic and "[SYNTHETIC data]" in result.summary
    assert "Bonferroni" in result.rule_text and f"{result.n_tried} candidates" in result.rule_text
    assert result.stop_reason == "rounds_done" and not result.budget_stop
    for factor in result.accepted:
        assert factor.n_tried == result.n_tried and factor.t_threshold == pytest.approx(result.t_threshold)
        assert factor.mining and abs(factor.mining.rank_ic_t_nw or 0) >= result.t_threshold
        assert factor.confirmation and factor.confirmation.rank_icir is not None
        assert f"1 of {result.n_tried} candidates tried" in result.summary
    assert all(r.reasons and r.reasons != ["passes every rule"] for r in result.rejected)


def test_a_mining_run_leaves_config_metrics_and_an_ic_picture_per_accepted_factor(
    recovery: tuple[MiningResult, Path]
) -> None:
    result, runs = recovery
    run_dir = Path(str(result.run_dir))

    assert run_dir.parent == runs
    assert json.loads((run_dir / "config.json").read_text())["universe"] == "csi_syn"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["n_accepted"] == len(result.accepted) and metrics["rule_text"] == result.rule_text
    assert len(list(run_dir.glob("ic_*.png"))) == len(result.accepted)
    assert json.loads((run_dir / "status.json").read_text())["state"] == "done"


# ---------------------------------------------------------------------------------------
# (b) pure noise: nothing accepted
# ---------------------------------------------------------------------------------------
def test_on_pure_noise_no_seeded_run_accepts_a_factor(noise_center: DataCenter) -> None:
    """False-acceptance rate tested: 0 of 20 seeded runs (the rule targets <= 5% family-wise per run)."""
    results = [mine_factors(noise_center, _noise_request(seed)) for seed in NOISE_SEEDS]

    assert all(r.synthetic for r in results)
    assert [len(r.accepted) for r in results] == [0] * len(NOISE_SEEDS), [r.summary for r in results]
    assert all(r.n_tried >= 40 for r in results)


# ---------------------------------------------------------------------------------------
# (c) determinism, budgets, progress
# ---------------------------------------------------------------------------------------
def _comparable(result: MiningResult) -> dict[str, object]:
    return result.model_dump(mode="json", exclude={"elapsed_s", "summary", "run_id", "run_dir"})


def test_the_same_seed_gives_the_same_run_and_another_seed_another(noise_center: DataCenter) -> None:
    first = mine_factors(noise_center, _noise_request(5, rounds=2))
    again = mine_factors(noise_center, _noise_request(5, rounds=2))
    other = mine_factors(noise_center, _noise_request(6, rounds=2))

    assert _comparable(first) == _comparable(again)
    assert [r.canonical for r in first.rejected] != [r.canonical for r in other.rejected]


def test_a_candidate_budget_stop_is_reported_with_what_was_found_so_far(noise_center: DataCenter) -> None:
    progress = RecordingProgress()
    result = mine_factors(noise_center, _noise_request(1, rounds=5, max_candidates=45), progress=progress)

    assert result.stop_reason == "candidate_budget" and result.budget_stop
    assert result.n_tried == 45 and result.rounds_done == 2  # 34 seeds, then 11 of round 1
    assert "BUDGET STOP" in result.summary
    assert [e.done for e in progress.events if e.task == "factor mining"] == [1, 2]


def test_a_time_budget_stop_is_reported_as_such(noise_center: DataCenter) -> None:
    ticks = iter(range(0, 10_000, 40))  # every reading of the clock is 40 s later

    result = mine_factors(noise_center, _noise_request(1, rounds=5, budget_s=60),
                          clock=lambda: float(next(ticks)))

    assert result.stop_reason == "time_budget" and result.budget_stop
    assert 1 <= result.rounds_done < 5 and result.n_tried > 0


# ---------------------------------------------------------------------------------------
# (d) themes and hostile input
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "theme"), [
    ("momentum", "momentum"), ("动量", "momentum"), ("反转", "reversal"), ("波动率", "volatility"),
    ("成交量", "volume"), ("量价", "volume"), ("流动性", "liquidity"), ("换手率", "liquidity"),
    ("  Volatility ", "volatility"),
])
def test_themes_are_understood_in_english_and_chinese(text: str, theme: str) -> None:
    assert theme_key(text) == theme
    assert MiningRequest(universe="csi_syn", themes=(text,), **MINING).themes == (theme,)  # type: ignore[arg-type]


@pytest.mark.parametrize("theme", [
    "__import__('os').system('touch /tmp/pwned')", "momentum; rm -rf /", "x" * 5000, "", "ｍｏｍｅｎｔｕｍ",
])
def test_a_hostile_or_unknown_theme_is_refused_with_the_list_of_themes(theme: str) -> None:
    with pytest.raises(ValidationError) as info:
        MiningRequest(universe="csi_syn", themes=(theme,), **MINING)  # type: ignore[arg-type]

    assert "unknown factor theme" in str(info.value) and all(t in str(info.value) for t in THEMES)


@pytest.mark.parametrize(("field", "expr", "error"), [
    ("seed_expressions", "__import__('os').system('touch pwned')", UnsafeExpressionError),
    ("seed_expressions", "(lambda: exec)()", UnsafeExpressionError),
    ("library", "Ref($close, -5) / $close", InvalidExpressionError),
    ("library", "Mean($close, 5)).__class__", UnsafeExpressionError),
])
def test_a_hostile_given_expression_refuses_the_run_before_anything_is_written(
    noise_center: DataCenter, tmp_path: Path, field: str, expr: str, error: type[Exception]
) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(error):
        mine_factors(noise_center, _noise_request(1, **{field: (expr,)}), runs_dir=runs)

    assert not runs.exists() or not any(runs.iterdir())


def test_periods_out_of_order_are_refused() -> None:
    with pytest.raises(ValidationError, match="confirmation period comes after"):
        MiningRequest(universe="csi_syn", mining_start=date(2019, 1, 1), mining_end=date(2020, 12, 31),
                      confirm_start=date(2020, 6, 1), confirm_end=date(2021, 12, 31))


def test_a_given_expression_is_evaluated_and_judged_like_any_candidate(noise_center: DataCenter) -> None:
    result = mine_factors(noise_center, _noise_request(1, rounds=1, seed_expressions=("Ref($close, 7) / $close",)))

    given = [r for r in result.rejected if r.origin == "user"]
    assert len(given) == 1 and given[0].canonical == "Ref($close, 7) / $close" and given[0].reasons


# ---------------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------------
def _cli_json(home: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    from taorui.cli import main

    code = main(["--home", str(home), *argv, "--json"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return code, json.loads(lines[0])


def test_factor_mine_command_on_a_momentum_theme_finds_the_reversal_signal(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload = _cli_json(home, capsys, "factor", "mine", "--universe", "csi_syn", "--theme", "动量",
                              "--rounds", "2", "--population", "12", "--budget-s", "120", "--seed", "3",
                              "--mining-start", "2017-01-01", "--mining-end", "2019-12-31",
                              "--confirm-start", "2020-01-01", "--confirm-end", "2021-12-31")

    assert code == 0 and payload["themes"] == ["momentum"] and payload["synthetic"] is True
    accepted = payload["accepted"]
    assert isinstance(accepted, list) and accepted
    assert all(f["direction"] == -1 for f in accepted)  # a past winner falls back: the planted reversal
    assert Path(str(payload["run_dir"])).is_dir()


def test_factor_mine_command_refuses_a_hostile_theme_with_exit_2(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload = _cli_json(home, capsys, "factor", "mine", "--theme", "__import__('os')")

    assert code == 2
    error = payload["error"]
    assert isinstance(error, dict) and "unknown factor theme" in str(error["message"])


def test_the_factor_mining_package_exports_its_public_names() -> None:
    import taorui_engines.factor_mining as fm

    assert sorted(fm.__all__) == sorted([
        "THEMES", "AcceptanceRule", "MinedFactor", "MiningRequest", "MiningResult", "PeriodStats",
        "StopReason", "mine_factors", "theme_key", "ExternalProposer", "FeedbackFactor", "Hypothesis",
        "ProposalBatch", "ProposerMode", "ProposerUsage", "RoundFeedback", "FailedCandidate"])
