"""Factor mining with a language model (issue 16): the LLM proposer through the loop, its budgets.

The model is the scripted OpenAI-compatible server on loopback (the only fake: the wire); the
client is the real ``ChatOpenAI`` behind :class:`agents.llm.ChatClient`, and everything the
model proposes is parsed, evaluated on the real sample store (csi_syn, SYNTHETIC) and judged
by the same acceptance rule as the genetic search.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from typing import Any

import pytest

from agents.llm import LLMConfig, ModelPrice, build_chat_model
from agents.mining import LLMFactorProposer
from taorui_engines.data import DataCenter
from taorui_engines.errors import InvalidArgumentError, UnavailableError
from taorui_engines.factor_mining import MiningRequest, MiningResult, mine_factors
from tests._scripted_llm import ScriptedLLM, Step, error, reply_text, scripted_llm
from tools import ToolContext
from tools.mining_tools import MINE_FACTORS, MineFactorsResult, factor_record

PERIODS = {"mining_start": date(2018, 1, 1), "mining_end": date(2019, 12, 31),
           "confirm_start": date(2020, 1, 1), "confirm_end": date(2020, 12, 31)}
REVERSAL = "Ref($close,5)/$close-1"  # a planted signal (docs/synthetic-data.md)


def _reply(*hypotheses: dict[str, Any], tokens: int = 400) -> Step:
    return reply_text(json.dumps({"hypotheses": list(hypotheses)}), prompt_tokens=tokens, completion_tokens=100)


def _proposer(server: ScriptedLLM, request: MiningRequest, **overrides: Any) -> LLMFactorProposer:
    config = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", max_retries=0,
                       price=ModelPrice(input=1.0, output=2.0), **overrides)
    return LLMFactorProposer(build_chat_model(config), config, request.token_budget, request.cost_budget_usd,
                             request.language)


def _request(**overrides: Any) -> MiningRequest:
    base: dict[str, Any] = {"universe": "csi_syn", "proposer": "llm", "rounds": 2, "population": 6, "seed": 0,
                            **PERIODS}
    return MiningRequest(**(base | overrides))


def _user_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content")) for m in body["messages"] if m.get("role") == "user")


def _by_expr(result: MiningResult) -> dict[str, Any]:
    return {f.expr: f for f in [*result.accepted, *result.rejected]}


# ---------------------------------------------------------------------------------------
# the loop with a model
# ---------------------------------------------------------------------------------------
def test_llm_proposals_are_parsed_judged_and_fed_back(data_center: DataCenter) -> None:
    """Valid ideas are evaluated under the rule; refusals come back with the parser's message."""
    request = _request()
    first = _reply(
        {"text": "Short-term losers bounce back.", "theme": "reversal", "expressions": [REVERSAL, "Foo($close, 5)"]},
        {"text": "Escape attempt.", "theme": "llm", "expressions": ["__import__('os').system('true')"]},
        {"text": "A kitchen sink.", "theme": "volatility", "expressions": [
            "Mean(Std($close,5),5)+Mean(Std($close,10),5)+Mean(Std($close,20),5)+Mean(Std($high,20),5)"
            "+Mean(Std($low,20),5)+Mean(Std($open,20),5)"]},
    )
    second = _reply({"text": "Quiet stocks do better.", "theme": "波动率",
                     "expressions": ["Std($close/Ref($close,1)-1,20)", REVERSAL]})
    with scripted_llm([first, second]) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
        requests = server.requests
    rows = _by_expr(result)
    assert rows[REVERSAL].status == "accepted" and rows[REVERSAL].origin == "llm"
    assert rows[REVERSAL].hypothesis == "Short-term losers bounce back." and rows[REVERSAL].theme == "reversal"
    assert rows["Foo($close, 5)"].status == "invalid" and "Foo" in rows["Foo($close, 5)"].reasons[0]
    unsafe = rows["__import__('os').system('true')"]
    assert unsafe.status == "invalid" and unsafe.reasons[0].startswith("Unsafe")
    sink = next(f for f in result.rejected if f.theme == "volatility" and f.status == "invalid")
    assert sink.reasons[0].startswith("too complex")
    # Only parsed, bounded, new expressions are evaluated and counted for the Bonferroni bar.
    assert result.n_tried == 2
    assert rows["Std($close/Ref($close,1)-1,20)"].theme == "volatility"
    assert any("repeated earlier candidates" in n for n in result.proposer_notes)
    # Round 1's prompt carries round 0's verdicts and the parser's message, not held-out numbers.
    feedback = _user_text(requests[1])
    assert "Foo" in feedback and "Accepted" in feedback and "Ref($close, 5) / $close - 1" in feedback
    assert "confirmation Rank ICIR" not in feedback
    assert result.llm_usage is not None and result.llm_usage.calls == 2
    assert result.llm_usage.total_tokens == 2 * 500
    assert result.llm_usage.cost_usd == pytest.approx(2 * (400 * 1.0 + 100 * 2.0) / 1e6)
    assert "llm:scripted" in result.proposer and "2 LLM calls" in result.summary


def test_token_budget_stops_the_run_with_what_was_found(data_center: DataCenter) -> None:
    request = _request(rounds=4, token_budget=1_500)
    steps = [_reply({"text": "Reversal.", "theme": "reversal", "expressions": [REVERSAL]}, tokens=1_400)]
    with scripted_llm(steps) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
        assert server.remaining == 0 and len(server.requests) == 1  # never asked again once spent
    assert result.stop_reason == "token_budget" and result.budget_stop
    assert [f.expr for f in result.accepted] == [REVERSAL]
    assert "BUDGET STOP: the LLM token budget ran out" in result.summary


def test_money_budget_stops_the_run(data_center: DataCenter) -> None:
    request = _request(rounds=3, cost_budget_usd=0.0005)
    steps = [_reply({"text": "Reversal.", "expressions": [REVERSAL]}, tokens=600)]  # $0.0008
    with scripted_llm(steps) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
    assert result.stop_reason == "cost_budget" and result.budget_stop and result.rounds_done == 1


def test_malformed_reply_gets_one_corrected_try_then_a_note(data_center: DataCenter) -> None:
    request = _request(rounds=2)
    steps = [reply_text("Here are some ideas: momentum is nice."),
             _reply({"text": "Reversal.", "expressions": [REVERSAL]}),
             reply_text('{"hypotheses": [{"text": "x", "expressions": []}]}'),
             reply_text("still not JSON")]
    with scripted_llm(steps) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
        retry_prompt = _user_text(server.requests[1])
    assert "could not be used" in retry_prompt
    assert [f.expr for f in result.accepted] == [REVERSAL]
    assert result.stop_reason == "no_new_candidates" and result.rounds_done == 1
    assert any("not usable" in n and "after a corrected try" in n for n in result.proposer_notes)


def test_unreachable_model_stops_with_proposer_failed(data_center: DataCenter) -> None:
    request = _request()
    with scripted_llm([error(500)]) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
    assert result.stop_reason == "proposer_failed" and not result.budget_stop and result.n_tried == 0
    assert "Unavailable" in result.proposer_notes[0] and "STOPPED: the LLM proposer failed" in result.summary


def test_hybrid_breeds_from_the_models_expressions(data_center: DataCenter) -> None:
    request = _request(proposer="hybrid", themes=("reversal",), rounds=2, population=8)
    steps = [_reply({"text": "Volume shocks precede gains.", "theme": "volume",
                     "expressions": ["Mean($volume,5)/Mean($volume,60)"]}),
             _reply({"text": "Range.", "theme": "volatility", "expressions": ["($high-$low)/$close"]})]
    with scripted_llm(steps) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
    origins = {f.origin for f in [*result.accepted, *result.rejected]}
    assert {"seed", "llm"} <= origins and origins & {"mutation", "crossover"}
    assert "Mean($volume, 5) / Mean($volume, 60)" in {f.canonical for f in result.accepted}


def test_llm_proposer_without_a_model_is_refused(data_center: DataCenter, tmp_path: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="needs a language model"):
        mine_factors(data_center, _request())
    ctx = ToolContext(data=data_center, runs_dir=tmp_path / "runs", state_dir=tmp_path / "state")
    outcome = MINE_FACTORS.invoke({"proposer": "llm"}, ctx)
    assert not outcome.ok and outcome.error is not None and "TAORUI_LLM_BACKEND" in outcome.error.message
    assert UnavailableError.type_name == outcome.error.type
    assert not (tmp_path / "runs").exists()


def test_tool_runs_the_llm_proposer_and_files_structured_records(data_center: DataCenter, tmp_path: Any) -> None:
    steps = [_reply({"text": "过去五天跌得多的股票会反弹。", "theme": "反转", "expressions": [REVERSAL]})]
    with scripted_llm(steps) as server:
        def factory(request: MiningRequest) -> LLMFactorProposer:
            return _proposer(server, request)

        ctx = ToolContext(data=data_center, runs_dir=tmp_path / "runs", state_dir=tmp_path / "state",
                          factor_proposer=factory)
        outcome = MINE_FACTORS.invoke({"proposer": "llm", "rounds": 1, "language": "zh",
                                       "mining_start": "2018-01-01", "mining_end": "2019-12-31",
                                       "confirm_start": "2020-01-01", "confirm_end": "2020-12-31"}, ctx)
        system = server.requests[0]["messages"][0]["content"]
    assert outcome.ok, outcome.error
    result = MineFactorsResult.model_validate(outcome.result)
    assert result.llm_calls == 1 and result.llm_tokens == 500 and result.proposer.startswith("llm")
    assert result.accepted[0].hypothesis == "过去五天跌得多的股票会反弹。" and result.accepted[0].theme == "reversal"
    assert "written in Chinese" in system
    run = json.loads((tmp_path / "runs" / result.run_id / "metrics.json").read_text())
    assert run["llm_usage"]["calls"] == 1


def test_factor_record_keeps_theme_round_hypothesis_and_confirmation(data_center: DataCenter) -> None:
    request = _request(rounds=1)
    steps = [_reply({"text": "Losers bounce.", "theme": "reversal", "expressions": [REVERSAL]})]
    with scripted_llm(steps) as server:
        result = mine_factors(data_center, request, proposer=_proposer(server, request))
    record = factor_record(result, result.accepted[0])
    assert (record.theme, record.round, record.hypothesis, record.n_tried) == ("reversal", 0, "Losers bounce.", 1)
    assert record.confirm_rank_icir == result.accepted[0].confirmation.rank_icir  # type: ignore[union-attr]
    meta = record.metadata()
    assert meta["theme"] == "reversal" and meta["round"] == 0.0 and "Hypothesis: Losers bounce." in record.document()


def test_cli_refuses_the_llm_proposer_on_the_offline_backend(cli_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "taorui", "factor", "mine", "--proposer", "llm", "--rounds", "1"],
                          env=cli_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "TAORUI_LLM_BACKEND=openai" in done.stderr


def test_cli_compare_windows_are_checked_before_mining(cli_env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "taorui", "factor", "mine", "--compare", "--test",
                           "2022-01-01:2022-06-30"], env=cli_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "must start after the confirmation period" in done.stderr


def test_the_app_gives_tools_a_proposer_only_with_an_llm_backend(home: Any, data_center: DataCenter) -> None:
    from taorui.settings import Settings
    from taorui.wiring import AppContext

    offline = AppContext(settings=Settings(home=home), quiet=True, with_memory=False)
    assert offline.tool_context().factor_proposer is None
    request = _request(rounds=1, language="zh")
    steps = [_reply({"text": "反转。", "theme": "reversal", "expressions": [REVERSAL]})]
    with scripted_llm(steps) as server:
        online = AppContext(settings=Settings(home=home, llm_backend="openai", llm_base_url=server.base_url,
                                              llm_model="scripted"), quiet=True, with_memory=False)
        build = online.tool_context().factor_proposer
        assert build is not None
        proposer = build(request)
        assert proposer.name == "llm:scripted"
        result = mine_factors(data_center, request, proposer=proposer)
    assert [f.hypothesis for f in result.accepted] == ["反转。"]
