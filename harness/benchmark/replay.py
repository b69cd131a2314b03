"""Replay: the historical reviewers as a "model" the runner can benchmark offline.

`--model replay:Claude` (a family, when it is one model per report) or `replay:"Gemini 3.5 Flash"`
(a model label) answers each case with the review that reviewer actually wrote for that pull request (the report's appendix, `AgentReview.text`). The runner then takes the same
path as for a program's answer: parse -> findings -> score -> store, so recorded reviewers
and new models are measured by one code path. No model call is made.
"""

from __future__ import annotations

from typing import Any, Callable

from harness.core.errors import HarnessError
from harness.core.hashing import content_hash
from harness.core.models import AgentReview, Finding, Report
from harness.core.runs import REPLAY_PREFIX as PREFIX
from harness.core.runs import is_replay  # noqa: F401  (re-exported)


def replay_agent(model: str) -> str:
    agent = model[len(PREFIX):].strip()
    if not agent:
        raise HarnessError(f"replay needs an agent: --model {PREFIX}AGENT (e.g. {PREFIX}Claude)")
    return agent


def replay_program_hash(agent: str) -> str:
    """Stands in for the program hash in the run id: replay is defined by the agent (and parser)."""
    return content_hash({"replay": agent.lower(), "path": "parse_review"}, 16)


def reviewer_in(report: Report, name: str) -> str | None:
    """The reviewer of `report` that `name` means: its model label (`Gemini 3.5 Flash`), or a family
    or shorter name (`Gemini`, `Flash`) when it fits one reviewer of that report only."""
    labels = list(dict.fromkeys(r.agent for r in report.agent_reviews))
    for x in labels:
        if x.lower() == name.lower():
            return x
    from harness.gold.parse.agents import Roster

    got = Roster.from_labels(labels).candidates(name, strict=True)
    return got[0] if len(got) == 1 else None


class ReplayProvider:
    """LM-like: `answer(report)` returns the agent's recorded review text, or None when absent
    (or when the name fits two models of that report, e.g. `Gemini` beside two Geminis)."""

    def __init__(self, agent: str):
        self.agent = agent

    def answer(self, report: Report) -> str | None:
        label = reviewer_in(report, self.agent)
        reviews = [r for r in report.agent_reviews if r.agent == label]
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
    """Names to replay, one per recorded reviewer: its family where that family had one model in
    each report it reviewed (`Claude`), else the model labels (`Gemini 3.1 Pro`, `Gemini 3.5 Flash`)."""
    by_family: dict[str, set[str]] = {}
    shared: set[str] = set()
    for r in reports:
        labels: dict[str, set[str]] = {}
        for ar in r.agent_reviews:
            if ar.text.strip() and not ar.omitted:
                labels.setdefault(ar.family or ar.agent, set()).add(ar.agent)
        for fam, ls in labels.items():
            by_family.setdefault(fam, set()).update(ls)
            if len(ls) > 1:
                shared.add(fam)
    out: dict[str, str] = {}
    for fam, ls in by_family.items():
        for name in (sorted(ls) if fam in shared else [fam]):
            out.setdefault(name.lower(), name)
    return sorted(out.values())
