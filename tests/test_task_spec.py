"""The task spec contract: a model's draft becomes a spec, provenance is checked, not trusted."""

from __future__ import annotations

from datetime import date

import pytest

from agents.draft import TaskDraft, draft_to_spec, spec_to_draft
from agents.spec import Quantity, Sourced, StepSpec, TaskSpec, Window, Windows, needs_person, stated


def _spec(**step: object) -> TaskSpec:
    return TaskSpec(text="x", language="en", steps=(StepSpec(intent="place_order", agent="trader", **step),),  # type: ignore[arg-type]
                    approval=Sourced[bool](value=False, source="default"))


def test_a_value_the_model_quotes_from_the_instruction_is_stated() -> None:
    text = "backtest a 10/30 SMA cross on the S&P 500 with 3 bps commission"
    draft = {"language": "en", "steps": [{"intent": "backtest_strategy", "instruments": ["SP500"], "strategy": "sma_cross",
                                          "params": {"fast": 10, "slow": 30}, "commission": 0.0003,
                                          "said": {"commission": "3 bps commission", "instruments": "S&P 500"}}]}
    spec = draft_to_spec(draft, text)
    step = spec.steps[0]
    assert step.costs.commission is not None and step.costs.commission.source == "stated"
    assert step.instruments[0].source == "stated" and step.params["fast"].source == "stated"


def test_a_value_the_instruction_never_states_is_marked_inferred() -> None:
    text = "train an RL strategy on gold"
    draft = {"language": "en", "steps": [{"intent": "train_rl", "instruments": ["GOLD"], "algo": "sac",
                                          "timesteps": 99999, "said": {"instruments": "gold"}}]}
    step = draft_to_spec(draft, text).steps[0]
    assert step.algo is not None and step.algo.source == "inferred"
    assert step.timesteps is not None and step.timesteps.source == "inferred"
    assert step.instruments[0].source == "stated"


def test_a_malformed_draft_is_refused_with_its_problems() -> None:
    with pytest.raises(ValueError, match="malformed"):
        draft_to_spec({"language": "en", "steps": [{"intent": "fly_to_the_moon"}]}, "x")
    with pytest.raises(ValueError, match="malformed"):
        draft_to_spec({"language": "en", "steps": []}, "x")


def test_a_spec_survives_the_round_trip_through_the_models_draft() -> None:
    window = Sourced[Window](value=Window(start=date(2023, 1, 1), end=date(2023, 12, 31)), source="stated", said="2023")
    spec = TaskSpec(text="use 2023 as the test year for a PPO agent on gold", language="en", steps=(
        StepSpec(intent="train_rl", agent="strategy_advisor", instruments=(stated("GOLD", "gold"),),
                 algo=stated("ppo", "PPO"), windows=Windows(test=window)),),
        approval=Sourced[bool](value=False, source="default"))
    again = draft_to_spec(spec_to_draft(spec), spec.text, backend="offline")
    assert again.intents == spec.intents
    assert again.steps[0].windows.test is not None and again.steps[0].windows.test.value == window.value
    assert TaskDraft.model_validate(spec_to_draft(spec).model_dump()) == spec_to_draft(spec)


def test_a_fraction_of_a_position_always_needs_a_person() -> None:
    half = Sourced[Quantity](value=Quantity(kind="fraction_of_position", value=0.5), source="stated", said="half")
    assert needs_person(_spec(instruments=(stated("WTI"),), side=stated("sell"), quantity=half))


def test_a_stated_unit_quantity_follows_the_policy_alone() -> None:
    ten = Sourced[Quantity](value=Quantity(kind="units", value=10), source="stated", said="10")
    assert not needs_person(_spec(instruments=(stated("GOLD"),), side=stated("buy"), quantity=ten))


def test_an_inferred_side_or_instrument_needs_a_person() -> None:
    ten = Sourced[Quantity](value=Quantity(kind="units", value=10), source="stated", said="10")
    guessed = Sourced[str](value="sell", source="inferred")
    assert needs_person(_spec(instruments=(stated("GOLD"),), side=guessed, quantity=ten))


def test_quantities_outside_their_range_are_refused() -> None:
    with pytest.raises(ValueError):
        Quantity(kind="fraction_of_position", value=1.5)
    with pytest.raises(ValueError):
        Quantity(kind="pct_equity", value=150)


def test_a_reversed_window_is_refused() -> None:
    with pytest.raises(ValueError):
        Window(start=date(2020, 1, 1), end=date(2019, 1, 1))
