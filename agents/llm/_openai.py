"""The OpenAI-compatible backend: OpenAI itself, vLLM, llama.cpp, Ollama, ... via langchain-openai.

The client's own retry loop is switched off (``max_retries=0``): retries live in one place,
:mod:`agents.llm._client`, with tenacity, so they are counted, capped and testable. Every
request goes through :class:`~agents.llm._guard.GuardedTransport`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

import httpx
from langchain_core.language_models import BaseChatModel

from agents.llm._config import LLMConfig
from agents.llm._guard import GuardedTransport, is_loopback, remote_llm_calls_allowed
from taorui_engines.errors import InvalidArgumentError, UnavailableError, UnsafeError

__all__ = ["build_openai_model"]

logger = logging.getLogger(__name__)

_OPENAI_URL = "https://api.openai.com/v1"


def _check_endpoint(config: LLMConfig) -> str:
    url = config.base_url or _OPENAI_URL
    host = urlparse(url).hostname or ""
    if not host:
        raise InvalidArgumentError(f"TAORUI_LLM_BASE_URL {url!r} has no host (e.g. http://127.0.0.1:8000/v1)")
    remote_ok = config.allow_remote and remote_llm_calls_allowed()
    if not is_loopback(host) and not remote_ok:
        raise UnsafeError(f"refused to build an LLM client for {host}: remote LLM calls are switched off")
    if config.base_url is None and config.api_key is None:
        raise InvalidArgumentError(
            "the openai backend needs TAORUI_LLM_API_KEY for OpenAI, or TAORUI_LLM_BASE_URL for a "
            "local OpenAI-compatible server (vLLM, llama.cpp, Ollama)"
        )
    return url


def build_openai_model(config: LLMConfig) -> BaseChatModel:
    """A ``ChatOpenAI`` pointed at the configured endpoint, with our transport and no retries."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnavailableError(f"langchain-openai is not installed: {exc}") from exc
    url = _check_endpoint(config)
    transport = GuardedTransport(httpx.HTTPTransport(), allow_remote=config.allow_remote)
    client = httpx.Client(transport=transport, timeout=config.timeout_s)
    # Local servers ignore the key but the client insists on one.
    key = config.api_key.get_secret_value() if config.api_key else "not-needed"
    logger.info("openai-compatible backend: %s model %s", url, config.model)
    return ChatOpenAI(  # type: ignore[call-arg]
        model=config.model,
        base_url=url,
        api_key=key,  # type: ignore[arg-type]
        timeout=config.timeout_s,
        max_retries=0,
        http_client=client,
        temperature=config.temperature,
        seed=config.seed,
        stream_usage=False,
    )
