"""A loopback OpenAI-compatible server for the llm tests (``tests.integration.llm.llm_loopback``).

``POST /v1/chat/completions`` answers per requested model name with a scripted
behaviour: a status code (429, 500 …), a delay (to force timeouts), a raw body (broken
JSON on the wire), or a sequence of message contents (e.g. malformed, then valid).
Every request is recorded (model and messages), so tests can assert the order litellm
called the models in.
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


@dataclass
class Behaviour:
    status: int = 200
    delay_s: float = 0.0
    raw_body: bytes | None = None
    contents: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    """Per-call status codes used before ``status`` (e.g. ``[500]``: fail once, then heal)."""
    prompt_tokens: int = 321
    completion_tokens: int = 45
    usage: bool = True
    """False: the answer carries no ``usage`` block (some OpenAI-compatible servers)."""

    def next_content(self, default: str) -> str:
        return self.contents.pop(0) if self.contents else default


@dataclass
class Hit:
    model: str
    messages: list[dict[str, Any]]
    body: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    usage: tuple[int, int] | None = None
    """(prompt, completion) tokens the answer reported; None: failed or no usage block."""


class Loopback:
    def __init__(self, default_content: str) -> None:
        self.default_content = default_content
        self.behaviours: dict[str, Behaviour] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                loopback._answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def set(self, model: str, **behaviour: Any) -> None:
        self.behaviours[model] = Behaviour(**behaviour)

    def hit_models(self) -> list[str]:
        with self._lock:
            return [h.model for h in self.hits]

    def _answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = str(body.get("model", ""))
        with self._lock:
            behaviour = self.behaviours.setdefault(model, Behaviour())
            content = behaviour.next_content(self.default_content)
            status = behaviour.statuses.pop(0) if behaviour.statuses else behaviour.status
            reported = (behaviour.prompt_tokens, behaviour.completion_tokens)
            usage = reported if status == 200 and behaviour.usage else None
            self.hits.append(Hit(model, list(body.get("messages", [])), body, status, usage))
        if behaviour.delay_s:
            time.sleep(behaviour.delay_s)
        if status != 200:
            payload = {"error": {"message": f"scripted {status}", "type": "server_error"}}
            self._send(handler, status, json.dumps(payload).encode())
            return
        if behaviour.raw_body is not None:
            self._send(handler, 200, behaviour.raw_body)
            return
        completion: dict[str, Any] = {
            "id": f"chatcmpl-loopback-{len(self.hits)}",
            "object": "chat.completion",
            "created": 1_740_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        if behaviour.usage:
            completion["usage"] = {
                "prompt_tokens": behaviour.prompt_tokens,
                "completion_tokens": behaviour.completion_tokens,
                "total_tokens": behaviour.prompt_tokens + behaviour.completion_tokens,
            }
        self._send(handler, 200, json.dumps(completion).encode())

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client timed out and left

    @contextmanager
    def running(self) -> Iterator[Loopback]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def http_model(loopback: Loopback, name: str, accuracy: float, **extra: Any) -> dict[str, Any]:
    """A model entry answered by ``loopback`` over the OpenAI wire format (a paid price, the
    test key)."""
    from tests.unit.llm.llm_kit import TEST_KEY_REF, model

    return model(
        name,
        accuracy=accuracy,
        litellm_model=f"openai/{name}",
        mock=None,
        api_base=loopback.base_url,
        price=("1.00", "4.00"),
        key_ref=TEST_KEY_REF,
        **extra,
    )
