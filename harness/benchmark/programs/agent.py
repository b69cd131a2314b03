"""`agent`: dspy.ReAct over the reviewed commit with read-only tools (read_file, grep, list_dir).

The tools are bound once (ReAct builds its prompt from them) and find the tree of the current
case through a ContextVar set in `forward`, so one module instance can review many cases from
many threads; the same ContextVar holds the per-case tool-call count.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import dspy

from harness.benchmark.programs.modules import ReviewProgram, _review_args
from harness.benchmark.programs.registry import register
from harness.benchmark.programs.signatures import ReviewDiff
from harness.benchmark.programs.workspace import CommitTree
from harness.core.errors import HarnessError


@dataclass
class _Session:
    tree: CommitTree | None
    calls: int = 0


_SESSION: ContextVar[_Session | None] = ContextVar("harness_agent_session", default=None)


def _use(tool: str):
    s = _SESSION.get()
    if s is None:
        raise HarnessError(f"{tool} called outside an agent review")
    s.calls += 1
    if s.tree is None:
        raise HarnessError("no checkout of the reviewed commit is available; review from the diff alone")
    return s.tree


def read_file(path: str, start_line: int = 1, end_line: int = 0) -> str:
    """Read a file of the repository at the reviewed commit, with line numbers.
    `path` is relative to the repository root; at most 400 lines from start_line."""
    return _use("read_file").read_file(path, start_line, end_line or None)


def grep(pattern: str, path: str = "") -> str:
    """Search the repository at the reviewed commit for an extended regular expression;
    optionally only under `path`. Returns path:line:text lines (at most 200)."""
    return _use("grep").grep(pattern, path)


def list_dir(path: str = "") -> str:
    """List a folder of the repository at the reviewed commit ('' = root); folders end in '/'."""
    return _use("list_dir").list_dir(path)


TOOLS = (read_file, grep, list_dir)


@register("agent")
class Agent(ReviewProgram):
    def __init__(self, max_iters: int = 12):
        super().__init__()
        self.max_iters = max_iters
        self.react = dspy.ReAct(ReviewDiff, tools=list(TOOLS), max_iters=max_iters)

    def forward(self, diff, changed_files="", context="", repo_path="", head=""):
        tree = CommitTree(repo_path, head) if repo_path and head else None
        token = _SESSION.set(session := _Session(tree))
        try:
            pred = self.react(**_review_args(diff, changed_files, context))
        finally:
            _SESSION.reset(token)
        return dspy.Prediction(findings=pred.findings, tool_calls=session.calls,
                               trajectory=pred.trajectory)
