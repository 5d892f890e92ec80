"""The understanding case bank and its grader (``python -m evals.understanding``).

The bank is data written by people who did not read the parser; the held-out split is never
used to tune anything. These tests pin the bank's shape, show the grader can fail, keep the
tuned splits from regressing, and hold the held-out score above the level it has reached
(issue 12 asks for 95 %; the current figure is in docs/agents.md and is not yet there).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agents.spec import INTENTS, TaskSpec
from evals.understanding import (
    HELD_OUT_SPLITS,
    TUNING_SPLITS,
    check_cases,
    grade,
    load_bank,
    offline_understander,
    run_bank,
)


@pytest.fixture(scope="module")
def understander() -> Callable[[str], TaskSpec]:
    from taorui.settings import Settings

    return offline_understander(Settings().cache_dir / "router")  # as `taorui ask` reads: router on


def test_the_bank_has_a_held_out_part_and_enough_chinese() -> None:
    held = load_bank("held_out_2")
    everything = [c for split in (*TUNING_SPLITS, *HELD_OUT_SPLITS) for c in load_bank(split)]
    assert len(everything) >= 300 and sum(c["language"] == "zh" for c in everything) >= 120
    assert len(held) >= 150 and sum(c["language"] == "zh" for c in held) >= 60
    assert len(held) == len({c["id"] for c in held})
    for case in everything:
        assert all(s["intent"] in INTENTS for s in case["expect"].get("steps") or []), case["id"]
    for split in (*TUNING_SPLITS, *HELD_OUT_SPLITS):
        assert check_cases(load_bank(split)) == []  # the format a case writer checks with --check


def test_the_grader_fails_a_wrong_reading(understander: Callable[[str], TaskSpec]) -> None:
    case = {"id": "t", "language": "en", "text": "sell half of my gold",
            "expect": {"steps": [{"intent": "place_order", "instruments": ["GOLD"], "side": "sell"}],
                       "stated": {"quantity": {"kind": "fraction_of_position", "value": 0.5}}, "clarify": False}}
    assert grade(case, understander(case["text"])) == []
    wrong = {**case, "expect": {**case["expect"], "stated": {"quantity": {"kind": "units", "value": 1}}}}
    assert grade(wrong, understander(case["text"]))  # "sell 1" is not what was said
    asks = {**case, "expect": {**case["expect"], "clarify": True}}
    assert grade(asks, understander(case["text"]))


@pytest.mark.parametrize("split", TUNING_SPLITS)
def test_the_splits_tuned_on_stay_read(split: str, understander: Callable[[str], TaskSpec]) -> None:
    report = run_bank(split, understander)
    floor = 0.97 if split in ("tuning", "dev_a", "dev_b", "dev_c", "dev_f") else 0.92
    assert report.rate >= floor, report.markdown()


@pytest.mark.parametrize(("split", "floor"), [("held_out", 0.92), ("held_out_2", 0.93), ("held_out_3", 0.93),
                                              ("held_out_4", 0.71)])
def test_the_held_out_score_does_not_fall(split: str, floor: float, understander: Callable[[str], TaskSpec]) -> None:
    report = run_bank(split, understander)
    print(f"\n{split}: {report.rate:.1%} of {len(report.cases)} fully right")
    assert report.rate >= floor, f"{split} fell to {report.rate:.1%} (floor {floor:.0%}; docs/agents.md has the last figure)"
