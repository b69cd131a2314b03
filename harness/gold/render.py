"""Render a Report back into the house format (the deep-review reports' own markdown).

`harness show` prints this; later issues reuse `render_retro_table` to print regenerated
retro tables beside the published ones. The output is the *canonical* dialect of the
format, the one the parser must read back losslessly (the hypothesis round trip in
tests/test_roundtrip.py holds both sides to it):

    # Deep Review: <id>
    | | |  header table: Date, Repo, Round, Author, PR, Branch, Commits, Reviewers, Verdict,
    |---|---|  Wall-clock time, then any other raw header rows
    ## Critical Issues / ## Important Issues / ## Suggestions
        C1. **Title** — `path:10-20`, `other.go:7` [Claude Opus 4.6, Codex GPT 5.4] (critical, regression)
        <body markdown>
        Reconciliation note: <text>
        ---                                   (between findings)
    ## Design Observations (### Concerns / ### Strengths), ## Testing Gaps,
    ## Acknowledged Limitations: numbered items `1. **Title** (tag) [Agents] — text`
    ## Agent Performance Retro: ### [Agent] paragraphs, ### Summary table,
        **Reconciliation:** paragraph, closing prose
    ## Resolution: | # | Finding | Action | Note |
    ## Appendix: Original Reviews: ### [Agent] (— Pass N) with the agent's own review,
        its findings under #### Critical Issues / #### Important Issues / #### Suggestions,
        a withdrawn finding carrying a final `**Withdrawn.**` line.

Agents are printed by full model name where the report's reviewers name one, so
`[Claude Opus 4.6]` reads back as family `Claude`.
"""

from __future__ import annotations

import re
from functools import partial

from harness.core import tables as _tables
from harness.core.models import (
    AgentReview,
    Finding,
    Location,
    Observation,
    ObservationKind,
    PublishedRetro,
    Report,
    RetroTable,
    Reviewer,
    Severity,
)

# the reports' own markdown is reproduced as written (a header cell keeps its `<br>`); listings escape
cell = partial(_tables.cell, html=True)
table = partial(_tables.markdown_table, html=True)

SECTION_TITLES = {
    Severity.critical: "Critical Issues",
    Severity.important: "Important Issues",
    Severity.suggestion: "Suggestions",
}
OBSERVATION_SECTIONS = (
    # (heading, sub-heading or None, kind)
    ("Design Observations", "Concerns", ObservationKind.design_concern),
    ("Design Observations", "Strengths", ObservationKind.design_strength),
    ("Testing Gaps", None, ObservationKind.testing_gap),
    ("Acknowledged Limitations", None, ObservationKind.limitation),
    ("Declined in Prior Rounds", None, ObservationKind.declined),
)
WITHDRAWN_MARK = "**Withdrawn.**"
_SAYS_WITHDRAWN = re.compile(r"^\W*withdrawn\b", re.I | re.M)  # the body already says so
OMITTED_APPENDIX = "The original reviews are omitted from this report."
_DASH = "\u2014"


# -- small pieces ------------------------------------------------------------------------


def format_location(loc: Location) -> str:
    if loc.line_start is None:
        return f"`{loc.path}`"
    if loc.line_end is None or loc.line_end == loc.line_start:
        return f"`{loc.path}:{loc.line_start}`"
    return f"`{loc.path}:{loc.line_start}-{loc.line_end}`"


def format_duration(seconds: float) -> str:
    """`16 min 32 s` / `1 h 2 min 3 s`, the header's wall-clock style."""
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    parts = ([f"{h} h"] if h else []) + ([f"{m} min"] if h or m else []) + [f"{sec} s"]
    return " ".join(parts)


def _model_names(report: Report) -> dict[str, str]:
    return {r.agent.lower(): r.model for r in report.reviewers}


def format_agents(agents: list[str], models: dict[str, str]) -> str:
    if not agents:
        return ""
    return "[" + ", ".join(models.get(a.lower(), a) for a in agents) + "]"


def _finding_line(f: Finding, models: dict[str, str], number: int) -> str:
    fid = f.id or f"{f.severity.letter}{number}"
    parts = [f"{fid}. **{f.title}**"]
    locs = ", ".join(format_location(l) for l in f.locations)
    if locs:
        parts.append(f"{_DASH} {locs}")
    agents = format_agents(f.agents, models)
    if agents:
        parts.append(agents)
    parts.append("(" + ", ".join([f.severity.value, *f.tags]) + ")")
    return " ".join(parts)


def render_finding(f: Finding, models: dict[str, str], number: int) -> str:
    out = [_finding_line(f, models, number)]
    if f.body.strip():
        out.append(f.body.strip())
    if f.reconciliation:
        out.append(f"Reconciliation note: {f.reconciliation.strip()}")
    if f.withdrawn and not _SAYS_WITHDRAWN.search(f.body):
        out.append(WITHDRAWN_MARK)
    return "\n\n".join(out)


def render_findings(findings: list[Finding], models: dict[str, str], level: int) -> str:
    """The three severity sections; `None.` under an empty one."""
    hashes = "#" * level
    blocks = []
    for sev in Severity:
        items = [f for f in findings if f.severity == sev]
        body = "\n\n---\n\n".join(render_finding(f, models, i) for i, f in enumerate(items, 1))
        blocks.append(f"{hashes} {SECTION_TITLES[sev]}\n\n{body or 'None.'}")
    return "\n\n".join(blocks)


def render_observation(o: Observation, models: dict[str, str], number: int) -> str:
    """`N. **Title** (tag) (`loc`) [Agents] — text`; a parsed observation's text is the whole
    item already (title included), printed as is."""
    text = o.text.strip()
    if not o.title or text.startswith("**"):
        agents = format_agents(o.agents, models) if not text.startswith("**") else ""
        return f"{number}. {text}" + (f" {agents}" if agents else "")
    head = f"**{o.title}**"
    if o.tags:
        head += " " + " ".join(f"({t})" for t in o.tags)
    locs = ", ".join(format_location(l) for l in o.locations)
    if locs:
        head += f" ({locs})"
    agents = format_agents(o.agents, models)
    if agents:
        head += " " + agents
    return f"{number}. {head} {_DASH} {text}" if text else f"{number}. {head}"


def render_observations(observations: list[Observation], models: dict[str, str], level: int) -> str:
    hashes = "#" * level
    out: list[str] = []
    current_top = None
    for top, sub, kind in OBSERVATION_SECTIONS:
        items = [o for o in observations if o.kind == kind]
        if not items:
            continue
        if top != current_top:
            out.append(f"{hashes} {top}")
            current_top = top
        if sub:
            out.append(f"{hashes}# {sub}")
        out.append("\n\n".join(render_observation(o, models, i) for i, o in enumerate(items, 1)))
    return "\n\n".join(out)


# -- header --------------------------------------------------------------------------------


def format_reviewer(r: Reviewer) -> str:
    if not r.available:
        return f"~~{r.model}~~" + (f" ({r.note})" if r.note else "")
    out = r.model
    if r.effort:
        out += f" (effort: {r.effort})"
    return out


def format_verdict(verdict: str) -> str:
    """`**Merge with fixes** — why`: the stored verdict is plain text, the house style bolds the call."""
    if "**" in verdict:
        return verdict
    call, sep, why = verdict.partition(f" {_DASH} ")
    return f"**{call.strip()}**" + (f" {_DASH} {why.strip()}" if sep else "")


_KNOWN_HEADER = ("date", "repo", "round", "author", "pr", "branch", "commits", "reviewers",
                 "verdict", "wall-clock time", "wall-clock")


def render_header(report: Report) -> str:
    rows: list[tuple[str, str]] = []
    if report.date:
        rows.append(("Date", report.date.replace("T", " ")))
    if report.repo:
        rows.append(("Repo", f"[{report.repo}](https://github.com/{report.repo})"))
    if report.round is not None:
        rows.append(("Round", str(report.round)))
    if report.author:
        rows.append(("Author", report.author))
    if report.pr is not None:
        pr = f"#{report.pr}"
        if report.repo:
            pr = f"[{pr}](https://github.com/{report.repo}/pull/{report.pr})"
        rows.append(("PR", pr + (f" {_DASH} {report.pr_title}" if report.pr_title else "")))
    if report.branch:
        rows.append(("Branch", f"`{report.branch}`"))
    if report.commits:
        rows.append(("Commits", "<br>".join(
            f"`{c.sha}` {c.message}".rstrip() for c in report.commits)))
    if report.reviewers:
        rows.append(("Reviewers", ", ".join(format_reviewer(r) for r in report.reviewers)))
    if report.verdict:
        rows.append(("Verdict", format_verdict(report.verdict)))
    if report.wall_clock_s is not None:
        rows.append(("Wall-clock time", format_duration(report.wall_clock_s)))
    for key, raw in report.header.items():  # rows the model has no field for
        if key.strip().lower() not in _KNOWN_HEADER:
            rows.append((key, raw))
    return table(["", ""], ([f"**{k}**", cell(v)] for k, v in rows))


# -- retro -----------------------------------------------------------------------------------


def render_retro_table(tbl: RetroTable) -> str:
    """The Summary table in the reports' format: metric rows x one column per agent."""
    labels = [tbl.column_labels[i] if i < len(tbl.column_labels) and tbl.column_labels[i] else c
              for i, c in enumerate(tbl.columns)]
    rows = []
    for r in tbl.rows:
        rows.append([r.metric] + [cell(r.cells[c].raw) if c in r.cells else _DASH
                                  for c in tbl.columns])
    return table([""] + labels, rows)


def _agent_heading(name: str) -> str:
    return f"[{name}]" if " " not in name.strip() and not name.startswith("[") else name


def render_retro(retro: PublishedRetro) -> str:
    out = ["## Agent Performance Retro"]
    for agent, text in retro.agent_notes.items():
        out.append(f"### {_agent_heading(agent)}\n\n{text.strip()}")
    if retro.summary is not None:
        out.append("### Summary\n\n" + render_retro_table(retro.summary))
    if retro.reconciliation:
        text = retro.reconciliation.strip()  # parsed ones keep their own lead-in
        out.append(text if re.match(r"\W*reconciliation", text, re.I) else f"**Reconciliation:** {text}")
    if retro.closing:
        out.append(retro.closing.strip())
    return "\n\n".join(out)


# -- appendix --------------------------------------------------------------------------------


def render_agent_review(review: AgentReview, models: dict[str, str]) -> str:
    heading = f"### [{review.agent}]" + (f" {_DASH} Pass {review.pass_}" if review.pass_ else "")
    if review.text.strip():
        return f"{heading}\n\n{review.text.strip()}"
    if review.omitted:
        return f"{heading}\n\nThe original review is omitted from this report."
    parts = [heading]
    if review.verdict:
        parts.append(f"**Verdict:** {review.verdict}")
    parts.append(render_findings(review.findings, models, 4))
    obs = render_observations(review.observations, models, 4)
    if obs:
        parts.append(obs)
    if review.coverage:
        parts.append("#### Coverage Summary\n\n" + table(
            ["File", "Finding(s)"], ([f"`{p}`", cell(v)] for p, v in review.coverage.items())))
    return "\n\n".join(parts)


def render_appendix(report: Report) -> str:
    head = "## Appendix: Original Reviews\n\n"
    if report.agent_reviews and all(r.omitted and not r.text.strip() for r in report.agent_reviews):
        return head + OMITTED_APPENDIX
    models = _model_names(report)
    return head + "\n\n---\n\n".join(render_agent_review(r, models) for r in report.agent_reviews)


# -- whole report ----------------------------------------------------------------------------


def render_resolutions(report: Report) -> str:
    with_note = any(r.note for r in report.resolutions)
    header = ["#", "Finding", "Action"] + (["Note"] if with_note else [])
    rows = []
    for i, r in enumerate(report.resolutions, 1):
        row = [str(i), cell(r.ref), cell(r.action)]
        if with_note:
            row.append(cell(r.note, empty=""))
        rows.append(row)
    return "## Resolution\n\n" + table(header, rows)


def render_report(report: Report) -> str:
    models = _model_names(report)
    parts = [f"# Deep Review: {report.id}", render_header(report), "---",
             render_findings(report.findings, models, 2)]
    obs = render_observations(report.observations, models, 2)
    if obs:
        parts.append(obs)
    if report.published_retro.present:
        parts += ["---", render_retro(report.published_retro)]
    if report.resolutions:
        parts += ["---", render_resolutions(report)]
    if report.agent_reviews:
        parts += ["---", render_appendix(report)]
    return "\n\n".join(parts) + "\n"


# -- CLI summaries -----------------------------------------------------------------------------


def render_ingest_summary(result) -> str:
    """The end-of-ingest summary: failures and warnings per file, then the totals."""
    t = result.totals
    lines = []
    for e in result.reports:
        if e.status == "failed":
            lines.append(f"FAILED  {e.source}: {e.warnings[0].message if e.warnings else 'unknown'}")
        elif e.status == "warning":
            lines.append(f"warning {e.source}: {len(e.warnings)} parse warning(s)")
    sev = t.findings
    lines.append(
        f"{t.reports} report(s) stored from {t.files} file(s): {t.new} new, {t.replaced} replaced, "
        f"{t.unchanged} unchanged, {t.failed} failed")
    lines.append(
        f"findings: {sev.get('critical', 0)} critical, {sev.get('important', 0)} important, "
        f"{sev.get('suggestion', 0)} suggestion; agent findings: {t.agent_findings}; "
        f"parse warnings: {t.warnings}")
    return "\n".join(lines)


def render_report_list(listing: dict[str, list[dict]]) -> str:
    parts = [_tables.rows_table(listing["reports"], ["id", "date", "pr", "round", "has_retro",
                                                      "critical", "important", "suggestion", "agent_findings", "warnings"])]
    if "warnings" in listing:
        parts.append("Parse warnings\n\n" + _tables.rows_table(listing["warnings"]))
    if listing.get("failures"):
        parts.append("Files that failed to ingest\n\n" + _tables.rows_table(listing["failures"], ["source", "reason"]))
    return "\n\n".join(parts)
