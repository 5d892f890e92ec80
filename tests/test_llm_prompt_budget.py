"""Every first request to an OpenAI-compatible server fits a 4k-token context.

The request bodies are the ones the client really sends (captured by the scripted server on
127.0.0.1). Tokens are estimated conservatively (:func:`agents.llm._schema.estimate_tokens`:
a token per three ASCII characters, one per other character) plus what a chat template adds;
a real BPE tokenizer (Qwen's) counts fewer (docs/llm.md gives both).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.llm import LLMConfig, build_chat_model, refuse_remote_llm_calls
from agents.llm._schema import TEMPLATE_TOKENS, compact_tool, estimate_tokens, messages_tokens
from tests._graph_env import build_env
from tests._scripted_llm import Step, reply_text, reply_tools, scripted_llm
from tools.registry import get_tool

CONTEXT = 4096

EN = ("Use the last five years of daily gold prices to train a PPO reinforcement learning strategy with 3 bp "
      "commission and 2 bp slippage, test it on the most recent year out of sample against buy and hold, compare "
      "it with an SMA crossover (fast 10, slow 30) and a LightGBM Alpha158 model on csi_syn, then tell me what to "
      "do next week with gold, how many lots, and why; ask me before any order is placed.")
ZH = ("用最近5年的黄金日线价格训练一个PPO强化学习策略，手续费万分之三、滑点万分之二，用最近一年做样本外测试并与买入持有比较，"
      "再和均线交叉策略（快线10日、慢线30日）以及在csi_syn上用Alpha158特征训练的LightGBM模型对比，"
      "然后告诉我下周黄金应该怎么操作、买几手、理由是什么；下任何订单之前先问我。")

#: The supervisor's reading of the long instruction: four steps for the strategy advisor.
DRAFT: dict[str, Any] = {"approval": True, "steps": [
    {"intent": "train_rl", "instruments": ["GOLD"], "algo": "ppo", "data_window": "2020-12-31..2025-12-31",
     "test_window": "2025-01-01..2025-12-31", "commission": 0.0003, "slippage": 0.0002, "horizon": "week",
     "suggest": True, "said": {"algo": "PPO", "commission": "3 bp", "slippage": "2 bp"}},
    {"intent": "backtest_strategy", "instruments": ["GOLD"], "strategy": "sma_cross", "params": {"fast": 10, "slow": 30},
     "commission": 0.0003, "slippage": 0.0002, "said": {"strategy": "SMA crossover"}},
    {"intent": "train_model", "universe": "csi_syn", "model": "lightgbm", "features": "alpha158"},
    {"intent": "compare"}]}


@pytest.fixture(autouse=True)
def _no_remote_llm() -> Iterator[None]:
    with refuse_remote_llm_calls():
        yield


def request_tokens(body: dict[str, Any]) -> int:
    """Estimated prompt tokens of one chat-completions request body (messages, tools, template)."""
    contents = [str(m.get("content") or "") for m in body["messages"]]
    tools = sum(estimate_tokens(json.dumps(t, ensure_ascii=False)) for t in body.get("tools", []))
    return TEMPLATE_TOKENS + messages_tokens(contents) + tools


def first_requests(home: Path, instruction: str, first: Step) -> list[dict[str, Any]]:
    """The supervisor's request and the routed agent's first request, as sent."""
    with scripted_llm([first, reply_text("done")]) as server:
        llm = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", timeout_s=5, max_retries=0)
        build_env(home, build_chat_model(llm), llm, sleep=lambda _: None).orchestrator.ask(instruction)
        return list(server.requests)


@pytest.mark.parametrize("instruction", [EN, ZH], ids=["en", "zh"])
@pytest.mark.parametrize("agent", ["strategy_advisor", "factor_miner", "trader"])
def test_the_supervisor_and_each_routed_agent_send_requests_that_fit_a_4k_context(
        home: Path, agent: str, instruction: str) -> None:
    route = reply_tools(("route_to_agent", {"agent": agent, "task": instruction}))
    supervisor, first = first_requests(home, instruction, route)
    assert [t["function"]["name"] for t in supervisor["tools"]] == ["submit_task", "ask_user"]
    for body in (supervisor, first):
        assert body["tool_choice"] == "auto"
        assert request_tokens(body) <= CONTEXT
    assert first["tools"], "the agent is offered its tools"


@pytest.mark.parametrize("instruction", [EN, ZH], ids=["en", "zh"])
def test_a_four_step_task_leaves_the_advisor_room_to_answer_within_4k(home: Path, instruction: str) -> None:
    submit = reply_tools(("submit_task", {**DRAFT, "language": "zh" if instruction == ZH else "en"}))
    _, first = first_requests(home, instruction, submit)
    names = [t["function"]["name"] for t in first["tools"]]
    assert first["tool_choice"] == "auto"
    assert request_tokens(first) <= 3500  # at least 596 tokens left for the answer
    assert "train_rl_agent" in names and "train_qlib_model" not in names  # the first step's tools
    assert '"text"' not in first["messages"][1]["content"]  # the instruction is not repeated in the spec


def test_a_compacted_schema_keeps_what_a_call_needs_and_the_tool_still_validates() -> None:
    tool = get_tool("train_qlib_model")
    compact = compact_tool({"type": "function", "function": tool.json_schema()})["function"]["parameters"]
    full = tool.args_model.model_json_schema()
    assert compact["required"] == full["required"] and set(compact["properties"]) == set(full["properties"])
    assert compact["properties"]["model"]["enum"] == ["lightgbm", "linear", "mlp"]
    assert "maximum" not in json.dumps(compact) and "title" not in json.dumps(compact)
    outcome = tool.invoke({"train": {"start": "2020-01-01", "end": "2021-12-31"},
                           "test": {"start": "2022-01-01", "end": "2022-12-31"}, "topk": 5000}, None)
    assert not outcome.ok and outcome.error is not None and "topk" in outcome.error.message
