"""Replay: the historical reviewers as a "model" the runner can benchmark offline.

`--model replay:Claude` answers each case with the review that agent actually wrote for that
pull request (the report's appendix, `AgentReview.text`). The runner then takes the same
path as for a program's answer: parse -> findings -> score -> store, so recorded reviewers
and new models are measured by one code path. No model call is made.
"""

from __future__ import annotations

from typing import Any, Callable

from harness.core.errors import HarnessError
from harness.core.hashing import content_hash
from harness.core.models import AgentReview, Finding, Report

PREFIX = "replay:"


def is_replay(model: str) -> bool:
    return model.lower().startswith(PREFIX)


def replay_agent(model: str) -> str:
    agent = model[len(PREFIX):].strip()
    if not agent:
        raise HarnessError("replay needs an agent: --model replay:AGENT (e.g. replay:Claude)")
    return agent


def replay_program_hash(agent: str) -> str:
    """Stands in for the program hash in the run id: replay is defined by the agent (and parser)."""
    return content_hash({"replay": agent.lower(), "path": "parse_review"}, 16)


class ReplayProvider:
    """LM-like: `answer(report)` returns the agent's recorded review text, or None when absent."""

    def __init__(self, agent: str):
        self.agent = agent

    def answer(self, report: Report) -> str | None:
        reviews = [r for r in report.agent_reviews if r.agent.lower() == self.agent.lower()]
        texts = [r.text for r in reviews if not r.omitted and r.text.strip()]
        # several passes of one agent: the review is their concatenation, as the report shows it
        return "\n\n".join(texts) if texts else None


def default_parser() -> Callable[..., AgentReview]:
    from harness.gold.parse import parse_review  # provided by the gold-set parser

    return parse_review


def replay_findings(text: str, agent: str, parse: Callable[..., Any] | None = None) -> list[Finding]:
    """Findings of a recorded review; the ones the agent withdrew itself are not predictions."""
    review = (parse or default_parser())(text, agent=agent)
    return [f for f in review.findings if not f.withdrawn]


def agents_in_gold(reports: list[Report]) -> list[str]:
    """Agent families with at least one recorded review (for error messages and the demo)."""
    seen: dict[str, str] = {}
    for r in reports:
        for ar in r.agent_reviews:
            if ar.text.strip() and not ar.omitted:
                seen.setdefault(ar.agent.lower(), ar.agent)
    return sorted(seen.values())
