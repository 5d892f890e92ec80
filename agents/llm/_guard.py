"""The switch that refuses real network LLM calls (tests turn it on).

Like pydantic-ai's ``ALLOW_MODEL_REQUESTS``: a process-wide flag checked by the transport of
every OpenAI-compatible client we build, so a test that forgets to point the backend at the
loopback scripted server fails loudly instead of calling a paid API. A config may also ask
for loopback-only on its own (``LLMConfig.allow_remote=False``).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from taorui_engines.errors import UnsafeError

__all__ = ["GuardedTransport", "is_loopback", "refuse_remote_llm_calls", "remote_llm_calls_allowed"]

logger = logging.getLogger(__name__)

_state = {"allow_remote": True}


def remote_llm_calls_allowed() -> bool:
    """Whether this process may call non-loopback LLM endpoints."""
    return _state["allow_remote"]


@contextmanager
def refuse_remote_llm_calls() -> Iterator[None]:
    """Within the block, any LLM request to a non-loopback host raises ``UnsafeError``."""
    previous = _state["allow_remote"]
    _state["allow_remote"] = False
    try:
        yield
    finally:
        _state["allow_remote"] = previous


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 and ::1."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that refuses remote hosts when told to, then delegates."""

    def __init__(self, inner: httpx.BaseTransport, allow_remote: bool) -> None:
        self._inner = inner
        self._allow_remote = allow_remote

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check the host, then send."""
        host = request.url.host
        if not is_loopback(host) and not (self._allow_remote and remote_llm_calls_allowed()):
            raise UnsafeError(
                f"refused an LLM request to {host}: remote LLM calls are switched off here "
                "(tests run against the loopback scripted server only)"
            )
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
