"""The answer's closing lines: a stated value the work cannot use is named as not used, never
dropped silently (the understanding issue's "nothing the user said is dropped")."""

from __future__ import annotations

import pytest

from agents.planner._plan import _notes
from agents.planner._text import Said
from agents.understand import understand
from evals.understanding import sample_catalog


def _closing(text: str) -> str:
    spec = understand([text], sample_catalog())
    return _notes(spec, Said()).render(spec.language)


@pytest.mark.parametrize(("text", "expected"), [
    ("evaluate Ref($close,5)/$close-1 on csi_syn with 3bp commission", "Not used: commission 3 bp (a factor evaluation"),
    ("评估因子 Mean($close,5)/$close，佣金万三", "未使用：佣金 3 bp（因子评估不交易"),
    ("mine 3 momentum factors on the sample universe, 2bp slippage", "Not used: slippage 2 bp (factor mining"),
])
def test_a_cost_stated_for_work_that_trades_nothing_is_named_unused(text: str, expected: str) -> None:
    assert expected in _closing(text)


@pytest.mark.parametrize("text", ["backtest a 10/30 sma cross on gold over 2015 with 3bp commission",
                                  "evaluate Ref($close,5)/$close-1 on csi_syn, then backtest macd on gold 2019, 3bp"])
def test_a_cost_some_step_uses_is_not_called_unused(text: str) -> None:
    assert "commission" not in _closing(text)


def test_a_single_length_of_a_channel_breakout_is_its_entry_channel() -> None:
    """"a 20-day Donchian breakout": the 20 is the channel broken to enter, never dropped as unknown."""
    from types import SimpleNamespace

    from agents.planner._rules import _map_params

    spec = understand(["backtest a 20-day Donchian breakout on WTI over 2010-2016"], sample_catalog())
    ctx = SimpleNamespace(step=spec.steps[0], said=Said())
    donchian = {"name": "donchian_breakout", "params": {"entry": {"type": "integer"}, "exit": {"type": "integer"}}}
    assert _map_params(ctx, donchian) == {"entry": 20}  # type: ignore[arg-type]
