"""A comparison names what sets its runs apart (issue 12: "say what decides").

Two backtests of one rule on one market and window, or two trainings that differ only by seed,
once came out as two identical lines and "best: the SMA cross on NASDAQ" - true, and useless.
"""

from __future__ import annotations

from agents.planner._compare import _told_apart


def _row(label: str, **extra: object) -> dict[str, object]:
    return {"label": label, "label_zh": label, "window": "2010-01-04..2015-12-31", "total": 0.1, "sharpe": 0.5,
            "mdd": -0.1, **extra}


def test_runs_that_differ_by_their_parameters_are_labelled_with_them() -> None:
    rows = _told_apart([_row("sma_cross on NASDAQ", params={"fast": 5, "slow": 20}),
                        _row("sma_cross on NASDAQ", params={"fast": 10, "slow": 60})], "en")
    assert [r["label"] for r in rows] == ["sma_cross on NASDAQ (fast=5, slow=20)", "sma_cross on NASDAQ (fast=10, slow=60)"]
    zh = _told_apart([_row("NASDAQ 上的双均线", params={"fast": 5, "slow": 20}),
                      _row("NASDAQ 上的双均线", params={"fast": 10, "slow": 60})], "zh")
    assert zh[0]["label_zh"] != zh[1]["label_zh"] and "5" in str(zh[0]["label_zh"])


def test_runs_that_differ_by_seed_or_run_are_labelled_and_distinct_runs_are_left_alone() -> None:
    rows = _told_apart([_row("PPO on GOLD", seed=1), _row("PPO on GOLD", seed=2)], "en")
    assert [r["label"] for r in rows] == ["PPO on GOLD (seed 1)", "PPO on GOLD (seed 2)"]
    rows = _told_apart([_row("PPO on GOLD", run_id="rl-a"), _row("PPO on GOLD", run_id="rl-b")], "en")
    assert rows[0]["label"] != rows[1]["label"]
    rows = _told_apart([_row("PPO on GOLD", seed=1), _row("SAC on GOLD", seed=1)], "en")
    assert [r["label"] for r in rows] == ["PPO on GOLD", "SAC on GOLD"]
