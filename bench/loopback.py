"""The loopback OpenAI server (tests/openai_server.py) in its own process, for benchmarks.

A real provider does not share our interpreter: run in-process, the server's 32 handler
threads compete with the runner for the GIL and its CPU is booked as runner overhead. Here
it runs in a child process answering with `runner_data.answer_for` (one gold-matching
finding per report) after a fixed latency; `requests()` asks it how many it has answered.

`tokenizer_model`: the usage it reports counts the prompt as OpenAI does (openai_server.Counted:
the chat format's per-message tokens around the messages it received), with the tokenizer the
dry run uses for that model string (harness.lm.tokens.model_tokenizer); `prompt_tokens()` is
the sum over every request answered. Without it the prompt is reported as 10 tokens (or as the
limit-enforcing provider counts it: characters / 4).

    with LoopbackServer(latency=0.5) as srv:
        run(api_base=srv.url); srv.requests()
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, sys
sys.path[:0] = [{tests!r}]
from openai_server import OpenAIServer
from runner_data import answer_for
limits = {limits!r}
tokenizer_model = {tokenizer_model!r}
responder = answer_for
if tokenizer_model is not None:
    from harness.lm.tokens import model_tokenizer
    from openai_server import Counted
    responder = counted = Counted(answer_for, model_tokenizer(tokenizer_model)[1])
if limits is not None:
    from limited_server import Limits, LimitedProvider
    responder = LimitedProvider(Limits(**limits), answer_for)
srv = OpenAIServer(responder=responder, delay={latency!r}).start()
print(srv.url, flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "count":
        print(srv.requests, flush=True)
    elif cmd == "prompt_tokens":
        print(counted.prompt_tokens if tokenizer_model is not None else -1, flush=True)
    elif cmd == "stats":
        out = responder.stats() if limits is not None else {{}}
        out["max_in_flight"] = srv.max_in_flight
        print(json.dumps(out), flush=True)
    elif cmd == "reset" and limits is not None:
        responder = LimitedProvider(Limits(**limits), answer_for)
        srv.responder = responder
        srv.max_in_flight = 0
        print("ok", flush=True)
srv.stop()
"""


class LoopbackServer:
    """`limits`: keyword arguments of tests/limited_server.Limits (a limit-enforcing provider)."""

    def __init__(self, latency: float = 0.5, limits: dict | None = None, tokenizer_model: str | None = None):
        if limits is not None and tokenizer_model is not None:
            raise ValueError("the limit-enforcing provider counts characters / 4: no tokenizer_model with limits")
        self.latency = latency
        self.limits = limits
        self.tokenizer_model = tokenizer_model
        self.url = ""
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> "LoopbackServer":
        code = _CHILD.format(tests=str(ROOT / "tests"), latency=self.latency, limits=self.limits,
                             tokenizer_model=self.tokenizer_model)
        self._proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, cwd=ROOT)
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("loopback server did not start")
        return self

    def _ask(self, cmd: str) -> str:
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(cmd + "\n")
        self._proc.stdin.flush()
        return self._proc.stdout.readline()

    def stats(self) -> dict:
        """The limit-enforcing provider's admissions (limited_server.LimitedProvider.stats)."""
        return json.loads(self._ask("stats"))

    def reset(self) -> None:
        """A fresh provider (full buckets, no history) on the same port."""
        self._ask("reset")

    def requests(self) -> int:
        return int(self._ask("count"))

    def prompt_tokens(self) -> int:
        """Prompt tokens of every request answered, counted with `tokenizer_model`'s tokenizer."""
        if self.tokenizer_model is None:
            raise ValueError("the server counts prompt tokens only with a tokenizer_model")
        return int(self._ask("prompt_tokens"))

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
