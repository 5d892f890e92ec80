"""The task spec is the one contract: an OpenAI-compatible model submits it, the executor runs it.

The model is a scripted server on 127.0.0.1 that answers the supervisor's turn with a
``submit_task`` call (the task draft, as structured tool-call arguments). Everything after
that is the same executor the offline backend uses, so the two backends can be compared
call for call.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.brief import catalog_entries
from agents.llm import LLMConfig, build_chat_model, build_executor, refuse_remote_llm_calls
from agents.planner import PlannerDefaults
from agents.preview import offline_preview
from agents.understand import load_router
from taorui.settings import Settings
from taorui_engines.data import StoreListing
from tests._graph_env import GraphEnv, build_env
from tests._scripted_llm import ScriptedLLM, reply_tools, scripted_llm

TEXT = "backtest a 10/30 SMA cross on gold from 2015 to 2020 with a commission of 4 bps"
DRAFT: dict[str, Any] = {
    "language": "en",
    "steps": [{"intent": "backtest_strategy", "instruments": ["GOLD"], "strategy": "sma_cross",
               "params": {"fast": 10, "slow": 30}, "data_window": "2015-01-01..2020-12-31", "commission": 0.0004,
               "said": {"instruments": "gold", "strategy": "SMA cross", "params.fast": "10/30",
                        "params.slow": "10/30", "data_window": "2015 to 2020", "commission": "4 bps"}}],
}


@pytest.fixture(autouse=True)
def _no_remote_llm() -> Iterator[None]:
    with refuse_remote_llm_calls():
        yield


def _env(home: Path, server: ScriptedLLM) -> GraphEnv:
    llm = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", timeout_s=5, max_retries=1,
                    backoff_initial_s=0.01)
    return build_env(home, build_chat_model(llm), llm, sleep=lambda _: None,
                     executor=build_executor(PlannerDefaults(rl_timesteps=300)))


def test_the_model_submits_a_spec_through_a_structured_call_and_the_executor_runs_it(home: Path) -> None:
    with scripted_llm([reply_tools(("submit_task", DRAFT))]) as server:
        result = _env(home, server).orchestrator.ask(TEXT)
        sent = server.requests
    assert result.status == "done", result.answer
    offered = {t["function"]["name"]: t["function"] for t in sent[0]["tools"]}
    assert "submit_task" in offered and "steps" in offered["submit_task"]["parameters"]["properties"]
    assert len(sent) == 1  # the model only read the instruction; the executor ran the steps
    backtest = next(c for c in result.tool_calls if c.name == "backtest_strategy")
    assert backtest.ok and backtest.args["commission"] == pytest.approx(0.0004)
    assert backtest.args["params"] == {"fast": 10, "slow": 30}
    assert (backtest.args["start"], backtest.args["end"]) == ("2015-01-01", "2020-12-31")
    assert "As you asked" in result.answer and "4 bp" in result.answer


def test_both_backends_read_the_same_instruction_into_the_same_calls(home: Path, sample_data_dir: Path) -> None:
    catalog = catalog_entries(StoreListing(sample_data_dir))
    offline = offline_preview(TEXT, catalog, load_router(str(Settings().cache_dir / "router")))
    with scripted_llm([reply_tools(("submit_task", DRAFT))]) as server:
        llm = _env(home, server).orchestrator.plan_only(TEXT)
    assert llm.spec is not None and llm.spec["backend"] == "openai"
    assert [(c["name"], c["args"]) for c in llm.tool_calls] == [(c["name"], c["args"]) for c in offline.tool_calls]


def test_a_value_the_model_cannot_quote_from_the_instruction_is_inferred_not_stated(home: Path) -> None:
    draft = {**DRAFT, "steps": [{**DRAFT["steps"][0], "slippage": 0.002}]}  # the instruction says no slippage
    with scripted_llm([reply_tools(("submit_task", draft))]) as server:
        preview = _env(home, server).orchestrator.plan_only(TEXT)
    assert preview.spec is not None
    costs = preview.spec["steps"][0]["costs"]
    assert costs["slippage"]["source"] == "inferred" and costs["commission"]["source"] == "stated"


def test_a_relative_order_from_the_model_is_marked_for_a_person(home: Path) -> None:
    draft = {"language": "zh", "steps": [{"intent": "place_order", "instruments": ["GOLD"], "side": "sell",
                                          "quantity_kind": "fraction_of_position", "quantity": 0.5,
                                          "said": {"instruments": "黄金", "side": "减", "quantity": "一半"}}]}
    with scripted_llm([reply_tools(("submit_task", draft))]) as server:
        preview = _env(home, server).orchestrator.plan_only("把黄金仓位减掉一半")
    assert preview.needs_approval and preview.language == "zh"
    assert preview.spec is not None and preview.spec["steps"][0]["quantity"]["source"] == "stated"


def test_a_malformed_task_ends_the_run_and_runs_nothing(home: Path) -> None:
    bad = {"language": "en", "steps": [{"intent": "backtest_strategy", "commission": 3}]}  # 300 % is no commission
    with scripted_llm([reply_tools(("submit_task", bad))]) as server:
        env = _env(home, server)
        result = env.orchestrator.ask(TEXT)
    assert result.status == "failed" and result.tool_calls == []
    assert result.error is not None and result.error["type"] == "MalformedTask"
    assert env.broker.orders() == []
