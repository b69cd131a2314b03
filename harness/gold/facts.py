"""What the gold holds about each reviewer of a report, and keeping it fresh in the store.

- reading the published retro Summary table: `metric_key` (which recomputation a printed row
  needs), `columns` / `model_of` (agent columns and their model labels), `findings_convention`
  (whether the published `Findings` cell counts original or credited findings);
- `refresh`: compute and store, for reports whose stored ones are missing or stale, each original
  finding's fate (harness.gold.fates) and one facts row per reviewer (`agent_fact_rows`: credited
  findings by severity, unique insights, published duration and tool calls); `stored_fates` reads
  the fates back. Every path that needs fates (the gold builder, retro tables, the leaderboard)
  refreshes through here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from harness.core.models import Report, Severity
from harness.gold.fates import RULES_VERSION, FindingFate, Matcher, description_matcher, report_fates, scorer_matcher


# -- metric names ---------------------------------------------------------------------------

def plain(s: str) -> str:
    return re.sub(r"\*|`", "", s).strip()


def metric_key(name: str) -> str:
    """Which recomputation a Summary-table row needs, from its printed name."""
    m = plain(name).lower()
    rules = (
        (r"duration|wall|elapsed|\btime\b", "duration"), (r"tool", "tool_calls"), (r"downgrad", "downgraded"),
        (r"^dropped", "dropped"), (r"false pos", "false_positives"), (r"^design", "design_observations"),
        (r"^unique", "unique_insights"), (r"files? reviewed|reviewed files", "files_reviewed"),
        (r"coverage miss", "coverage_misses"), (r"^totals?$", "totals"), (r"^(raw )?findings$", "findings"),
        (r"^critical( findings| issues)?$", "critical"), (r"^important( findings| issues)?$", "important"),
        (r"^suggestions?( findings)?$", "suggestion"), (r"^kept rate$", "kept_rate"),
        (r"^precision$", "precision"), (r"^recall$", "recall"),
    )
    for pat, key in rules:
        if re.search(pat, m):
            return key
    return "other"


# -- per-agent facts ------------------------------------------------------------------------

def columns(report: Report) -> tuple[list[str], list[str]]:
    """Agent columns and their printed labels: the published table's, else the reviewers'."""
    s = report.published_retro.summary
    if s is not None and s.columns:
        labels = [s.column_labels[i] if i < len(s.column_labels) else c for i, c in enumerate(s.columns)]
        return list(s.columns), labels
    agents = [r.agent for r in report.reviewers if r.available] or [a.agent for a in report.agent_reviews]
    agents = list(dict.fromkeys(agents))
    return agents, [model_of(report, a) for a in agents]


def model_of(report: Report, agent: str) -> str:
    for r in report.reviewers:
        if r.agent.lower() == agent.lower() and r.model:
            return r.model
    ar = report.agent_review(agent)
    return (ar.model if ar and ar.model else None) or agent


def credited_findings(report: Report, agent: str):
    a = agent.lower()
    return [f for f in report.findings if any(x.lower() == a for x in f.agents)]


def original_findings(report: Report, agent: str):
    a = agent.lower()
    return [f for ar in report.agent_reviews if ar.agent.lower() == a for f in ar.findings]


def severity_counts(findings) -> dict[str, int]:
    return {s.value: sum(f.severity == s for f in findings) for s in Severity}


def published_counts(report: Report, agent: str) -> dict[str, int] | None:
    """The published Findings (or Critical / Important / Suggestion rows) of one agent, zero-filled."""
    pub = report.published_retro.summary
    if pub is None:
        return None
    for row in pub.rows:
        if metric_key(row.metric) == "findings":
            c = row.cells.get(agent)
            if c is not None and isinstance(c.value, dict):
                return {s.value: int(c.value.get(s.value, 0) or 0) for s in Severity}
            return None
    got, seen = {s.value: 0 for s in Severity}, False
    for row in pub.rows:
        key = metric_key(row.metric)
        if key in got:
            c = row.cells.get(agent)
            if c is not None and isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                got[key], seen = int(c.value), True
    return got if seen else None


ORIGINAL = "original"
CREDITED = "credited"


def findings_convention(report: Report) -> tuple[str, str]:
    """What this report's published `Findings` cell counts, decided from its own numbers.

    Older reports count each agent's own original findings (by its own severity); most later
    ones count the consolidated findings credited to the agent, listing the agent's dropped
    findings in a `Dropped` row. Per agent column we see which of the two the published cell
    equals; the majority decides. On a tie (neither or both fit as often), a `Dropped` row
    means `credited`, its absence `original`; with no published table, `credited`."""
    pub = report.published_retro.summary
    if pub is None:
        return CREDITED, "no published Summary table"
    orig = cred = n = 0
    for agent in pub.columns:
        got = published_counts(report, agent)
        if got is None or not original_findings(report, agent):
            continue
        n += 1
        orig += got == severity_counts(original_findings(report, agent))
        cred += got == severity_counts(credited_findings(report, agent))
    has_dropped = any(metric_key(r.metric) == "dropped" for r in pub.rows)
    why = (f"published Findings equal the agent's original findings for {orig} of {n} agents, "
           f"the consolidated findings credited to it for {cred} of {n}")
    if orig != cred:
        return (ORIGINAL if orig > cred else CREDITED), why
    return ((CREDITED, why + "; tie: the table has a Dropped row") if has_dropped else
            (ORIGINAL, why + "; tie: the table has no Dropped row"))


# -- stored fates and reviewer facts -----------------------------------------------------------------------------

def agent_fact_rows(report: Report) -> list[list[Any]]:
    """One `retro_agents` row per reviewer of the report."""
    cols, _ = columns(report)
    agents = list(dict.fromkeys(cols + [a.agent for a in report.agent_reviews]))
    if report.reviewers:  # the header's list is the authority: a column for a model it does not list
        listed = {r.agent for r in report.reviewers}  # (a run that failed at startup) is no reviewer
        agents = [a for a in agents if a in listed]
    pub = report.published_retro.summary
    out = []
    for agent in agents:
        credited = credited_findings(report, agent)
        by = Counter(f.severity.value for f in credited)
        unique = sum(len({a.lower() for a in f.agents}) == 1 for f in credited)
        duration = tools = None
        if pub is not None:
            for r in pub.rows:
                c = r.cells.get(agent)
                if c is None or c.value is None:
                    continue
                key = metric_key(r.metric)
                if key == "duration" and isinstance(c.value, (int, float)):
                    duration = float(c.value)
                elif key == "tool_calls":
                    v = c.value
                    tools = int(v.get("total")) if isinstance(v, dict) and v.get("total") is not None else \
                        (int(v) if isinstance(v, (int, float)) else None)
        out.append([report.id, agent, model_of(report, agent), report.content_hash, report.date, report.pr,
                     by["critical"], by["important"], by["suggestion"], unique, len(report.findings),
                     duration, tools])
    return out


def refresh(st, ids: Sequence[str] | None = None, *, force: bool = False, matcher: Matcher | None = None) -> int:
    """Compute and store fates for reports whose stored fates are missing or stale. Returns how many."""
    from harness.store import fates as retro_store
    from harness.store import gold as gold_store

    todo = list(ids) if force and ids is not None else retro_store.stale_report_ids(st, RULES_VERSION)
    if ids is not None and not force:
        todo = [i for i in todo if i in set(ids)]
    if force and ids is None:
        todo = gold_store.report_ids(st)
    if not todo:
        return 0
    matcher = matcher or scorer_matcher()
    describe = description_matcher()
    fate_rows, agent_rows, report_rows = [], [], []
    for report in gold_store.iter_reports(st, todo):
        fate_rows += [f.row() for f in report_fates(report, matcher, describe)]
        agent_rows += agent_fact_rows(report)
        conv, why = findings_convention(report)
        report_rows.append([report.id, report.content_hash, RULES_VERSION, conv, why])
    retro_store.put_fates(st, todo, fate_rows, agent_rows, report_rows)
    return len(todo)


def stored_fates(st, report_id: str) -> list[FindingFate]:
    from harness.store import fates as retro_store

    return [FindingFate.from_row(r) for r in retro_store.fate_rows(st, report_id)]
