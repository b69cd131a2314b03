"""The loopback OpenAI server (tests/openai_server.py) in its own process, for benchmarks.

A real provider does not share our interpreter: run in-process, the server's 32 handler
threads compete with the runner for the GIL and its CPU is booked as runner overhead. Here
it runs in a child process answering with `runner_data.answer_for` (one gold-matching
finding per report) after a fixed latency; `requests()` asks it how many it has answered.

    with LoopbackServer(latency=0.5) as srv:
        run(api_base=srv.url); srv.requests()
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import sys
sys.path[:0] = [{tests!r}]
from openai_server import OpenAIServer
from runner_data import answer_for
srv = OpenAIServer(responder=answer_for, delay={latency!r}).start()
print(srv.url, flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(srv.requests, flush=True)
srv.stop()
"""


class LoopbackServer:
    def __init__(self, latency: float = 0.5):
        self.latency = latency
        self.url = ""
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> "LoopbackServer":
        code = _CHILD.format(tests=str(ROOT / "tests"), latency=self.latency)
        self._proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, cwd=ROOT)
        assert self._proc.stdout is not None
        self.url = self._proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("loopback server did not start")
        return self

    def requests(self) -> int:
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write("count\n")
        self._proc.stdin.flush()
        return int(self._proc.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
