"""The OpenAI-compatible backend against a scripted server on loopback: retries, repair, budgets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agents.llm import (
    ChatClient,
    LLMConfig,
    ModelPrice,
    UsageMeter,
    build_chat_model,
    refuse_remote_llm_calls,
)
from taorui_engines.errors import BudgetExceededError, InvalidArgumentError, UnavailableError, UnsafeError
from tests._scripted_llm import ScriptedLLM, Step, error, reply_text, reply_tools, scripted_llm, slow

TOOL = {"type": "function", "function": {"name": "get_price", "description": "prices", "parameters": {
    "type": "object", "properties": {"symbols": {"type": "array", "items": {"type": "string"}}}}}}


@pytest.fixture(autouse=True)
def _no_remote_llm() -> Iterator[None]:
    with refuse_remote_llm_calls():
        yield


class Sleeps:
    """Records the backoff waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _client(server: ScriptedLLM, sleeps: Sleeps | None = None, **overrides: Any) -> ChatClient:
    settings: dict[str, Any] = {"timeout_s": 2.0, "max_retries": 3, "backoff_initial_s": 0.5, "backoff_max_s": 4.0}
    config = LLMConfig(backend="openai", base_url=server.base_url, model="scripted", **(settings | overrides))
    meter = UsageMeter(config.token_budget, config.cost_budget_usd, config.model_price())
    return ChatClient(build_chat_model(config), config, meter, sleep=sleeps or Sleeps())


def _ask(client: ChatClient) -> Any:
    return client.complete([HumanMessage(content="price of gold?")], [TOOL])


def test_tool_calls_come_back_as_runnable_calls_with_token_counts() -> None:
    with scripted_llm([reply_tools(("get_price", {"symbols": ["GOLD"]}), prompt_tokens=30, completion_tokens=7)]) as s:
        client = _client(s)
        done = _ask(client)
    assert [(c["name"], c["args"]) for c in done.message.tool_calls] == [("get_price", {"symbols": ["GOLD"]})]
    assert client.meter.usage.input_tokens == 30 and client.meter.usage.output_tokens == 7
    assert s.requests[0]["tools"][0]["function"]["name"] == "get_price"


def test_a_429_is_retried_with_exponential_backoff_and_then_succeeds() -> None:
    sleeps = Sleeps()
    with scripted_llm([error(429), error(429), reply_text("done")]) as s:
        client = _client(s, sleeps)
        done = _ask(client)
    assert done.message.content == "done" and done.attempts == 3
    assert sleeps.waits == [0.5, 1.0]
    assert client.meter.usage.retries == 2


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    sleeps = Sleeps()
    with scripted_llm([error(429, {"retry-after": "2"}), error(429, {"retry-after": "60"}), reply_text("ok")]) as s:
        _ask(_client(s, sleeps))
    assert sleeps.waits == [2.0, 4.0]


def test_server_errors_are_retried_but_give_up_after_the_cap() -> None:
    sleeps = Sleeps()
    with scripted_llm([error(503)] * 5) as s:
        with pytest.raises(UnavailableError, match="failed 4 time"):
            _ask(_client(s, sleeps))
        assert len(s.requests) == 4  # the first try and max_retries=3 retries, no more
    assert len(sleeps.waits) == 3


def test_a_timeout_is_retried() -> None:
    with scripted_llm([slow(1.5), reply_text("after the timeout")]) as s:
        done = _ask(_client(s, timeout_s=0.5))
    assert done.message.content == "after the timeout" and done.attempts == 2


def test_a_refused_key_is_not_retried_and_says_what_to_fix() -> None:
    with scripted_llm([error(401), reply_text("never")]) as s:
        with pytest.raises(InvalidArgumentError, match="TAORUI_LLM_API_KEY"):
            _ask(_client(s))
        assert s.remaining == 1


def test_arguments_in_a_code_fence_with_python_literals_are_repaired() -> None:
    with scripted_llm([reply_tools(("get_price", "```json\n{'symbols': ['GOLD'], 'adjusted': True,}\n```"))]) as s:
        done = _ask(_client(s))
    assert done.message.tool_calls[0]["args"] == {"symbols": ["GOLD"], "adjusted": True}
    assert done.repaired[0].name == "get_price" and done.malformed == ()


def test_truncated_arguments_are_reported_and_never_turned_into_a_call() -> None:
    with scripted_llm([reply_tools(("get_price", '{"symbols": ["GOLD"], "days": 30'))]) as s:
        done = _ask(_client(s))
    assert done.message.tool_calls == []
    assert done.malformed[0].name == "get_price"
    assert "nothing was executed" in done.malformed[0].message()


def test_the_token_budget_refuses_the_next_call_before_it_is_sent() -> None:
    with scripted_llm([reply_text("one", prompt_tokens=40, completion_tokens=20), reply_text("two")]) as s:
        client = _client(s, token_budget=50)
        _ask(client)
        with pytest.raises(BudgetExceededError, match="token budget"):
            _ask(client)
        assert len(s.requests) == 1


def test_cost_is_counted_from_the_price_and_the_money_budget_stops_the_run() -> None:
    steps: list[Step] = [reply_text("a", prompt_tokens=1_000_000, completion_tokens=0), reply_text("b")]
    with scripted_llm(steps) as s:
        client = _client(s, price=ModelPrice(input=1.0, output=2.0), cost_budget_usd=0.5, token_budget=10_000_000)
        _ask(client)
        assert client.meter.usage.cost_usd == pytest.approx(1.0)
        with pytest.raises(BudgetExceededError, match="cost budget"):
            _ask(client)


def test_remote_endpoints_are_refused_while_the_switch_is_on() -> None:
    config = LLMConfig(backend="openai", base_url="https://api.openai.com/v1", api_key="sk-test")
    with pytest.raises(UnsafeError, match="remote LLM calls are switched off"):
        build_chat_model(config)


def test_the_openai_backend_without_key_or_url_asks_for_one() -> None:
    with pytest.raises((InvalidArgumentError, UnsafeError)):
        build_chat_model(LLMConfig(backend="openai"))
