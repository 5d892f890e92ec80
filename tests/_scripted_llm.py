"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1, for tests.

Each request to ``/v1/chat/completions`` takes the next step of the script: a reply (text or
tool calls, whose ``arguments`` may be any string, malformed JSON included), an HTTP error
status (429, 500, 401, ...) with optional headers, or a delay longer than the client's
timeout. Every request body is kept in ``requests`` so a test can check what the client sent
(for example that a tool result went back to the model). ``GET /v1/models`` lists ``models``
(not a script step). No network beyond loopback.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ScriptedLLM", "Step", "error", "reply_text", "reply_tools", "scripted_llm", "slow"]


@dataclass
class Step:
    """One scripted answer."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def _completion(message: dict[str, Any], finish: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {"id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def reply_text(content: str, prompt_tokens: int = 10, completion_tokens: int = 5) -> Step:
    """An assistant message with text only (a final answer)."""
    return Step(body=_completion({"role": "assistant", "content": content}, "stop", prompt_tokens, completion_tokens))


def reply_tools(*calls: tuple[str, str | dict[str, Any]], prompt_tokens: int = 10, completion_tokens: int = 5) -> Step:
    """An assistant message with tool calls; ``arguments`` is sent verbatim when it is a string."""
    tool_calls = [{"id": f"call_{i}_{name}", "type": "function",
                   "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
                  for i, (name, args) in enumerate(calls)]
    message = {"role": "assistant", "content": None, "tool_calls": tool_calls}
    return Step(body=_completion(message, "tool_calls", prompt_tokens, completion_tokens))


def error(status: int, headers: dict[str, str] | None = None) -> Step:
    """An HTTP error response with an OpenAI-style error body."""
    return Step(status=status, headers=headers or {},
                body={"error": {"message": f"scripted {status}", "type": "scripted", "code": status}})


def slow(seconds: float, then: Step | None = None) -> Step:
    """Wait ``seconds`` before answering (longer than the client's timeout: a timeout)."""
    step = then or reply_text("late")
    return Step(status=step.status, body=step.body, headers=step.headers, delay_s=seconds)


class ScriptedLLM:
    """The server: ``base_url`` to point a client at, ``requests`` to inspect afterwards."""

    def __init__(self, steps: list[Step], models: tuple[str, ...] = ("scripted",)) -> None:
        self.steps = list(steps)
        self.models = models
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def remaining(self) -> int:
        """Steps not used yet."""
        return len(self.steps)

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            if not self.steps:
                return error(500)
            return self.steps.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                found = self.path.rstrip("/") == "/v1/models"
                data = [{"id": m, "object": "model", "owned_by": "scripted"} for m in owner.models]
                payload = json.dumps({"object": "list", "data": data} if found else {"error": "not found"}).encode()
                self.send_response(200 if found else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                step = owner._next(body)
                if step.delay_s:
                    time.sleep(step.delay_s)
                payload = json.dumps(step.body or {}).encode()
                try:
                    self.send_response(step.status)
                    for key, value in {"content-type": "application/json", **step.headers}.items():
                        self.send_header(key, value)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the log
                return

        return Handler

    def start(self) -> ScriptedLLM:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def scripted_llm(steps: list[Step], models: tuple[str, ...] = ("scripted",)) -> Iterator[ScriptedLLM]:
    """Run a scripted server for the duration of the block."""
    server = ScriptedLLM(steps, models).start()
    try:
        yield server
    finally:
        server.stop()
