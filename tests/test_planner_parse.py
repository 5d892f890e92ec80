"""The offline planner's reading of instructions: the parse table, periods, questions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.planner import Period, detect_language, parse_conversation, parse_instruction, resolve_period

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "test_planner_cases.yaml").read_text())


def _slot(value: Any, expected: Any) -> Any:
    if isinstance(expected, dict) and isinstance(value, dict):
        return {k: value.get(k) for k in expected}
    return list(value) if isinstance(value, tuple) else value


def test_parse_table_has_at_least_sixty_instructions_half_chinese() -> None:
    chinese = [c for c in CASES if c["language"] == "zh"]
    assert len(CASES) >= 60
    assert len(chinese) >= len(CASES) / 2


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_instruction_is_read_as_the_table_says(case: dict[str, Any]) -> None:
    parsed = parse_instruction(case["text"], case.get("symbols", []))
    slots = parsed.slots.model_dump(mode="json")
    assert parsed.language == case["language"]
    assert parsed.intent == case["intent"]
    if "agent" in case:
        assert parsed.agent == case["agent"]
    for name, expected in (case.get("slots") or {}).items():
        assert _slot(slots[name], expected) == expected, name
    assert list(parsed.missing) == case["missing"]


def test_a_missing_required_slot_gives_exactly_one_question_in_the_instruction_language() -> None:
    english = parse_instruction("buy some gold")
    chinese = parse_instruction("买一点纳指")
    assert english.question is not None and english.question.count("?") + english.question.count(".") >= 1
    assert "how many" in english.question
    assert chinese.question is not None and "数量" in chinese.question


def test_nothing_is_asked_when_every_required_slot_is_given() -> None:
    parsed = parse_instruction("用最近5年黄金价格训练一个强化学习策略，并给出下周操作建议")
    assert parsed.question is None and parsed.missing == ()


def test_a_reply_fills_the_slot_the_question_asked_for() -> None:
    parsed = parse_conversation(["buy some gold", "10"])
    assert parsed.intent == "place_order"
    assert parsed.slots.quantity == 10.0 and parsed.slots.assets == ("GOLD",)
    assert parsed.missing == ()


def test_a_reply_naming_the_asset_completes_an_rl_instruction_in_chinese() -> None:
    parsed = parse_conversation(["训练一个强化学习策略", "黄金"])
    assert parsed.intent == "train_rl" and parsed.slots.assets == ("GOLD",)
    assert parsed.language == "zh" and parsed.missing == ()


def test_a_complete_new_instruction_replaces_the_one_that_was_unclear() -> None:
    parsed = parse_conversation(["hello", "backtest macd on WTI"])
    assert parsed.intent == "backtest_strategy" and parsed.slots.assets == ("WTI",)


def test_language_is_chinese_when_the_text_holds_chinese_words() -> None:
    assert detect_language("用csi_syn训练LightGBM") == "zh"
    assert detect_language("train LightGBM on csi_syn") == "en"


def test_store_symbols_are_recognised_only_when_the_store_lists_them() -> None:
    assert parse_instruction("buy 100 SYN042", ["SYN042"]).slots.assets == ("SYN042",)
    assert parse_instruction("buy 100 SYN042").slots.assets == ()


def test_last_five_years_ends_at_the_last_bar_of_the_store() -> None:
    span = resolve_period(Period(kind="last", amount=5, unit="years"), date(2006, 1, 2), date(2025, 12, 31))
    assert span == (date(2021, 1, 1), date(2025, 12, 31))


def test_a_window_is_clipped_to_what_the_store_holds() -> None:
    span = resolve_period(Period(kind="range", start="1990-01-01", end="2030-12-31"), date(1999, 1, 4), date(2018, 12, 31))
    assert span == (date(1999, 1, 4), date(2018, 12, 31))


def test_chinese_numerals_are_read_as_numbers() -> None:
    parsed = parse_instruction("卖出十二手原油，训练三百步")
    assert parsed.slots.quantity == 12.0
