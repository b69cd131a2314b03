"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

`POST /v1/chat/completions` (non-streaming) answers from a script: each request takes the next
scripted `Reply` (a queue), else whatever the `responder(body)` callable returns, else a plain
"ok" answer. Replies cover the fault matrix: normal answers, 429 with or without retry-after,
5xx, a connection reset, a delay (for timeouts), a malformed JSON body, empty content and an
answer cut off at max tokens. The server counts requests and keeps their bodies.

It is a ThreadingHTTPServer on an ephemeral port, HTTP/1.1 keep-alive (as real providers), run
in a daemon thread: `with OpenAIServer() as srv: ... srv.url` (".../v1", for `api_base`).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class Reply:
    """One scripted answer. `kind`: ok | error | reset | malformed."""

    content: str | None = "ok"
    kind: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    cached_tokens: int | None = None  # usage.prompt_tokens_details.cached_tokens (the provider's prompt cache)


def ok(content: str, **kw: Any) -> Reply:
    return Reply(content=content, **kw)


def rate_limited(retry_after: float | None = None) -> Reply:
    headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
    return Reply(kind="error", status=429, headers=headers, content="rate limited")


def server_error(status: int = 500) -> Reply:
    return Reply(kind="error", status=status, content=f"upstream failure {status}")


def reset() -> Reply:
    """Close the connection abruptly (TCP RST) without any response."""
    return Reply(kind="reset")


def slow(delay: float, content: str = "ok") -> Reply:
    return Reply(content=content, delay=delay)


def malformed() -> Reply:
    """HTTP 200 whose body is not JSON."""
    return Reply(kind="malformed")


def empty() -> Reply:
    return Reply(content="")


def truncated(content: str) -> Reply:
    return Reply(content=content, finish_reason="length")


def chat_answer(**fields: Any) -> str:
    """An answer in DSPy's ChatAdapter format: `[[ ## name ## ]]` blocks, values JSON if not str."""
    parts = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f"[[ ## {name} ## ]]\n{text}\n")
    parts.append("[[ ## completed ## ]]")
    return "\n".join(parts)


# OpenAI's chat format around the messages' text (the cookbook's `num_tokens_from_messages`, which
# litellm's token_counter follows: litellm_core_utils/token_counter.py _count_messages/_count_extra):
# 3 tokens per message (<|start|>{role}\n ... <|end|>\n), plus the tokens of each string field
# (role, content, name; a name adds 1 more), plus 3 priming the reply (<|start|>assistant<|message|>).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def message_text(content: Any) -> str:
    """A message's text: the string, or its text parts joined (image parts carry no text)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") or "" for p in content if isinstance(p, dict))
    return ""


def chat_prompt_tokens(body: dict, count: Callable[[str], int]) -> int:
    """`usage.prompt_tokens` of a chat request as OpenAI counts it, with `count` as the tokenizer."""
    n = REPLY_PRIMING
    for m in body.get("messages", []):
        n += TOKENS_PER_MESSAGE
        for key, value in m.items():
            if key == "content":
                n += count(message_text(value))
            elif isinstance(value, str):
                n += count(value)
                if key == "name":
                    n += TOKENS_PER_NAME
    return n


class Counted:
    """A responder whose answers report the prompt's tokens as a provider with tokenizer `count` would
    (chat_prompt_tokens over the messages received) and the answer's tokens; `prompt_tokens` sums them."""

    def __init__(self, responder: Callable[[dict], Reply], count: Callable[[str], int]):
        self.responder = responder
        self.count = count
        self.prompt_tokens = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict) -> Reply:
        reply = self.responder(body)
        reply.prompt_tokens = chat_prompt_tokens(body, self.count)
        reply.completion_tokens = self.count(reply.content or "")
        with self._lock:
            self.prompt_tokens += reply.prompt_tokens
        return reply


class OpenAIServer:
    def __init__(self, responder: Callable[[dict], Reply] | None = None, *, delay: float = 0.0):
        self.responder = responder
        self.delay = delay  # added to every reply (the benchmark's fixed latency)
        self.script: deque[Reply] = deque()
        self.requests = 0
        self.in_flight = 0  # requests received and not yet answered
        self.max_in_flight = 0
        self.bodies: list[dict] = []
        self.auth_headers: list[str | None] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting --------------------------------------------------------------------
    def push(self, *replies: Reply) -> "OpenAIServer":
        self.script.extend(replies)
        return self

    def _next(self, body: dict) -> Reply:
        with self._lock:
            self.requests += 1
            self.bodies.append(body)
            if self.script:
                return self.script.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Reply()

    # -- lifecycle --------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "OpenAIServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 256
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms on Linux loopback) and every answer pays that latency
    disable_nagle_algorithm = True
    owner: OpenAIServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        self.owner.auth_headers.append(self.headers.get("authorization"))
        with self.owner._lock:
            self.owner.in_flight += 1
            self.owner.max_in_flight = max(self.owner.max_in_flight, self.owner.in_flight)
        try:
            self._answer(body)
        finally:
            with self.owner._lock:
                self.owner.in_flight -= 1

    def _answer(self, body: dict) -> None:
        reply = self.owner._next(body)
        wait = self.owner.delay + reply.delay
        if wait:
            time.sleep(wait)
        if reply.kind == "reset":
            # SO_LINGER 0 makes close() send RST: the client sees a connection reset.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if reply.kind == "malformed":
            self._send(200, None, raw=b'{"id": "x", "choices": [ {"message": ', headers=reply.headers)
            return
        if reply.kind == "error":
            self._send(reply.status, {"error": {"message": reply.content, "type": "error",
                                                "code": str(reply.status)}}, headers=reply.headers)
            return
        self._send(200, {
            "id": f"chatcmpl-{self.owner.requests}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "test-model"),
            "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                         "message": {"role": "assistant", "content": reply.content}}],
            "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                      "total_tokens": reply.prompt_tokens + reply.completion_tokens,
                      **({"prompt_tokens_details": {"cached_tokens": reply.cached_tokens}}
                         if reply.cached_tokens is not None else {})},
        }, headers=reply.headers)

    def _send(self, status: int, obj: Any, *, raw: bytes | None = None,
              headers: dict[str, str] | None = None) -> None:
        data = raw if raw is not None else json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout)
            self.close_connection = True
