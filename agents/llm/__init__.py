"""LLM backends behind one setting: the offline planner (default) or any OpenAI-compatible API.

Public surface::

    LLMConfig(backend="offline"|"openai", base_url, model, api_key, timeouts, budgets, ...)
    build_chat_model(config, planner_defaults=None) -> BaseChatModel
    ChatClient(model, config, meter).complete(messages, tools) -> Completion
    UsageMeter / Usage          token and cost counting with per-instruction budgets
    refuse_remote_llm_calls()   the switch tests use: non-loopback LLM requests raise
"""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from agents.llm._client import ChatClient, Completion, RepairNote, is_transient
from agents.llm._config import PRICES_PER_MTOK, LLMConfig, ModelPrice
from agents.llm._guard import refuse_remote_llm_calls, remote_llm_calls_allowed
from agents.llm._openai import build_openai_model
from agents.llm._repair import MalformedCall, RepairResult, repair_arguments
from agents.llm._usage import Usage, UsageMeter
from agents.planner import OfflinePlanner, PlannerDefaults

__all__ = [
    "PRICES_PER_MTOK",
    "ChatClient",
    "Completion",
    "LLMConfig",
    "MalformedCall",
    "ModelPrice",
    "RepairNote",
    "RepairResult",
    "Usage",
    "UsageMeter",
    "build_chat_model",
    "build_executor",
    "is_transient",
    "refuse_remote_llm_calls",
    "remote_llm_calls_allowed",
    "repair_arguments",
]


def build_chat_model(config: LLMConfig, planner_defaults: PlannerDefaults | None = None,
                     router_dir: str | None = None) -> BaseChatModel:
    """The chat model the config names (``router_dir``: the offline planner's router cache)."""
    if config.backend == "offline":
        return OfflinePlanner(defaults=planner_defaults or PlannerDefaults(), router_dir=router_dir)
    return build_openai_model(config)


def build_executor(planner_defaults: PlannerDefaults | None = None, router_dir: str | None = None) -> BaseChatModel:
    """The task executor that runs every backend's spec (the offline planner)."""
    return OfflinePlanner(defaults=planner_defaults or PlannerDefaults(), router_dir=router_dir)
