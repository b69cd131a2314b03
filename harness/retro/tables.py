"""Recompute a report's per-agent retro Summary table from stored data, and check the published one.

Rows follow the report's own Summary table (its names and order, per-severity rows in older
reports); standard rows it lacks are appended, then rows no published table has: kept rate
and the precision / recall of the agent's original findings against the consolidated set
(via the scorer, with the fates' rejected findings as known false positives).

Definitions (each matches how the published tables are written, see `--check`):

* Findings / Totals (and Critical / Important / Suggestion rows): under the report's own
  convention (`findings_convention`, decided per report from its published numbers): either
  the consolidated findings whose `[Agent]` attribution names the agent, by consolidated
  severity (`credited`), or the agent's own original findings by its own severity (`original`).
* Downgraded: the agent's findings whose fate is `downgraded` or `demoted` (the reports count a
  finding reframed as a design observation as a downgrade), with the severity-change labels
  (`I→S`, `C→I`, `S→obs`); `--check` compares the labels too, not only the count.
* Dropped: fates `dropped` + `false_positive`; False positives: fate `false_positive`.
* Unique insights: consolidated findings credited to that agent alone.
* Design observations: observations in the agent's own review; Files reviewed: rows of its
  Coverage Summary; Coverage misses: files another agent's coverage lists and its own lacks.
* Duration, Tool calls and metrics we cannot derive are carried over from the published
  table and marked with †.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.core.models import Report, RetroCell, RetroRow, RetroTable, Severity
from harness.gold.facts import (
    CREDITED,
    ORIGINAL,
    columns,
    findings_convention,
    metric_key,
    refresh,
    stored_fates,
)
from harness.gold.facts import credited_findings as _credited
from harness.gold.facts import original_findings as _original
from harness.gold.facts import plain as _plain
from harness.gold.facts import severity_counts as _severity_counts
from harness.gold.fates import Fate, FindingFate

CARRIED = "†"
CARRIED_NOTE = f"{CARRIED} carried over from the published table: not recomputable from the report's data."

STANDARD_ROWS = ("Duration", "Findings", "Tool calls", "Design observations", "False positives",
                 "Unique insights", "Files reviewed", "Coverage misses", "Totals", "Downgraded", "Dropped")
EXTRA_ROWS = ("Kept rate", "Precision", "Recall")


class Disagreement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: str
    agent: str
    published: str
    recomputed: str
    evidence: list[str] = Field(default_factory=list)


class Counting(BaseModel):
    """How a report's Downgraded and Dropped rows count fates (decided per report, see `counting`)."""

    model_config = ConfigDict(extra="forbid")

    demoted_in: str = "downgraded"  # a finding demoted to an observation counts as: downgraded | dropped
    dropped_includes_fp: bool = True  # Dropped counts the false positives too
    evidence: str = ""


class CellCheck(BaseModel):
    """One published cell checked against its recomputation (`retro --check --json` "cells")."""

    model_config = ConfigDict(extra="forbid")

    agent: str
    row: str
    published: str
    recomputed: str
    agree: bool | None  # None: the check could not decide (see `evidence`)
    evidence: list[str] = Field(default_factory=list)


class RetroResult(BaseModel):
    """One report's recomputed table, where each cell came from, and the check against the published one."""

    model_config = ConfigDict(extra="forbid")

    report_id: str
    table: RetroTable
    sources: dict[str, dict[str, str]] = Field(default_factory=dict)  # metric -> agent -> recomputed|published|missing
    published: RetroTable | None = None
    disagreements: list[Disagreement] = Field(default_factory=list)
    compared: int = 0  # cells compared by the check
    note: str | None = None
    convention: str = "credited"  # what the published Findings cell counts: original | credited
    convention_evidence: str = ""
    counting: Counting | None = None  # how its Downgraded / Dropped rows count demotions and false positives
    cells: list[CellCheck] = Field(default_factory=list)  # every published cell the check looked at

    @property
    def undecided(self) -> list[CellCheck]:
        return [c for c in self.cells if c.agree is None]

    def total_line(self) -> str:
        """`N of M cells agree; K flagged` (M: cells it could decide), and the cells it could not."""
        decided = [c for c in self.cells if c.agree is not None]
        line = (f"{sum(c.agree for c in decided)} of {len(decided)} cells agree; "
                f"{sum(not c.agree for c in decided)} flagged")
        if self.undecided:
            line += "; could not decide " + ", ".join(f"{c.row}/{c.agent}" for c in self.undecided)
        return line


_LABEL = re.compile(r"(?:\b(\d+)\s*[x×]?\s*)?\b([CIS])\d*\s*(?:→|->|=>)\s*"
                    r"(?:([CIS])\d*\b|(obs\w*|design(?:[ -]obs\w*)?|DO\b|limitation\w*|testing[ -]gap\w*|gap\w*|ack\w*|AL\b)|"
                    r"(drop\w*|declin\w*|FP\b|false[ -]pos\w*))", re.I)


def severity_labels(raw: str) -> tuple[int | None, Counter | None]:
    """(count, labels) of a Downgraded cell: `3 (I→S)` -> 3, {I→S: 3}; `2 (C→I, S→obs)` ->
    2, {C→I: 1, S→obs: 1}; `1 (C1→I2)` -> 1, {C→I: 1}. Labels are None when the cell has none,
    or when their multiplicities cannot be read against the count."""
    text = _plain(raw)
    m = re.match(r"\s*(\d+)", text)
    count = int(m.group(1)) if m else (0 if re.match(r"\s*(?:none|—|-)?\s*$", text, re.I) else None)
    found = []
    for lm in _LABEL.finditer(text):
        to = lm.group(3).upper() if lm.group(3) else ("obs" if lm.group(4) else "dropped")
        found.append((int(lm.group(1)) if lm.group(1) else None, f"{lm.group(2).upper()}→{to}"))
    if not found or count is None:
        return count, (Counter() if count == 0 else None)
    if len(re.findall(r"→|->|=>", text)) != len(found):
        return count, None  # a change we cannot read: the labels are not comparable
    if len(found) == 1 and found[0][0] is None:
        return count, Counter({found[0][1]: count})
    labels = Counter()
    for n, lab in found:
        labels[lab] += n if n is not None else 1
    return count, (labels if sum(labels.values()) == count else None)


def counting(report: Report, fates: Sequence[FindingFate]) -> Counting:
    """The report's own way of counting demotions and false positives, from its own numbers.

    Most reports count a finding demoted to a design observation under Downgraded (`I→obs`) and
    a false positive under Dropped; some count the demotion as a drop, or list false positives
    only in their own row. Only agents whose published cells tell the readings apart vote; a tie
    keeps the usual reading."""
    pub = report.published_retro.summary
    if pub is None:
        return Counting()
    rows = {metric_key(r.metric): r for r in pub.rows}
    if "dropped" not in rows:
        return Counting()

    def published(key: str, agent: str) -> int | None:
        row = rows.get(key)
        c = row.cells.get(agent) if row else None
        if c is None:
            return None
        if key == "downgraded":
            return severity_labels(c.raw)[0]
        return c.value if isinstance(c.value, int) and not isinstance(c.value, bool) else None

    votes = Counter()
    for agent in pub.columns:
        af = [f for f in fates if f.agent.lower() == agent.lower()]
        n = Counter(f.fate for f in af)
        drop, fp, dem, down = n[Fate.dropped], n[Fate.false_positive], n[Fate.demoted], n[Fate.downgraded]
        pdown, pdrop = published("downgraded", agent), published("dropped", agent)
        if pdrop is None:
            continue
        if fp and "false_positives" in rows:  # only a table with its own False positives row can leave them out
            votes["fp_in"] += pdrop in (drop + fp, drop + fp + dem)
            votes["fp_out"] += pdrop in (drop, drop + dem)
        if dem and pdown is not None:
            votes["dem_down"] += (pdown == down + dem) + (pdrop in (drop, drop + fp))
            votes["dem_drop"] += (pdown == down) + (pdrop in (drop + dem, drop + fp + dem))
    out = Counting(demoted_in="dropped" if votes["dem_drop"] > votes["dem_down"] else "downgraded",
                   dropped_includes_fp=not votes["fp_out"] > votes["fp_in"])
    out.evidence = (f"demotions counted as {out.demoted_in} ({votes['dem_down']} vs {votes['dem_drop']} published "
                    f"cells fit downgraded vs dropped); false positives {'in' if out.dropped_includes_fp else 'not in'}"
                    f" Dropped ({votes['fp_in']} vs {votes['fp_out']} cells fit in vs out)")
    return out


def _transition(f: FindingFate) -> str:
    return f"{f.severity.letter}→{f.consolidated_severity.letter if f.consolidated_severity else 'obs'}"


def _counts_cell(counts: dict[str, int]) -> str:
    parts = [f"{counts[s.value]}{s.letter}" for s in Severity if counts.get(s.value)]
    return " ".join(parts) if parts else "none"


def _coverage_paths(report: Report) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ar in report.agent_reviews:
        out.setdefault(ar.agent.lower(), set()).update(_plain(p) for p in ar.coverage)
    return out


def _fraction(num: int, den: int) -> tuple[str, float | None]:
    if den == 0:
        return "—", None
    return f"{100 * num / den:.0f}% ({num}/{den})", num / den


class _Facts:
    """Everything the recomputed cells of one report need, computed once."""

    def __init__(self, report: Report, fates: Sequence[FindingFate], precision_recall: Callable | None,
                 convention: str = CREDITED, counting: "Counting | None" = None):
        self.report = report
        self.convention = convention
        counting = counting or Counting()
        self.downgraded_fates = {Fate.downgraded} | ({Fate.demoted} if counting.demoted_in == "downgraded" else set())
        self.dropped_fates = {Fate.dropped} | ({Fate.false_positive} if counting.dropped_includes_fp else set()) | \
            ({Fate.demoted} if counting.demoted_in == "dropped" else set())
        self.fates = fates
        self.coverage = _coverage_paths(report)
        self.union = set().union(*self.coverage.values()) if self.coverage else set()
        self._pr = precision_recall
        self._pr_cache: dict[str, tuple[float | None, float | None, str]] = {}

    def agent_fates(self, agent: str) -> list[FindingFate]:
        return [f for f in self.fates if f.agent.lower() == agent.lower()]

    def pr(self, agent: str):
        if agent not in self._pr_cache:
            self._pr_cache[agent] = self._pr(self.report, agent, self.fates) if self._pr else (None, None, "")
        return self._pr_cache[agent]

    def cell(self, key: str, agent: str) -> tuple[str, Any, list[str]] | None:
        """(raw, value, evidence) of a recomputable cell; None when the metric is not recomputable."""
        r = self.report
        credited = _credited(r, agent)
        fates = self.agent_fates(agent)
        ar = r.agent_review(agent)
        if key in ("findings", "totals", "critical", "important", "suggestion"):
            if self.convention == ORIGINAL:
                own = _original(r, agent)
                if not own and (ar is None or ar.omitted or getattr(ar, "status", None) == "external"):
                    return None  # no original review to count
                pool = own
                ev_of = lambda f: f"{agent} {f.id or '?'} ({f.severity.value}): {f.title[:80]}"  # noqa: E731
            else:
                pool = credited
                ev_of = lambda f: f"{f.id} ({f.severity.value}) [{', '.join(f.agents)}]"  # noqa: E731
            if key in ("findings", "totals"):
                return _counts_cell(_severity_counts(pool)), _severity_counts(pool), [ev_of(f) for f in pool]
            got = [f for f in pool if f.severity.value == key]
            return str(len(got)), len(got), [ev_of(f) for f in got]
        if key == "downgraded":
            got = [f for f in fates if f.fate in self.downgraded_fates]
            trans = Counter(_transition(f) for f in got)
            raw = str(len(got)) + (f" ({', '.join(t if n == 1 or len(trans) == 1 else f'{n} {t}' for t, n in sorted(trans.items()))})"
                                   if got else "")
            return raw, {"count": len(got), "transitions": sorted(trans), "labels": dict(trans)}, \
                [_fate_line(f) for f in got]
        if key == "dropped":
            got = [f for f in fates if f.fate in self.dropped_fates]
            return str(len(got)), len(got), [_fate_line(f) for f in got]
        if key == "false_positives":
            got = [f for f in fates if f.fate == Fate.false_positive]
            return str(len(got)), len(got), [_fate_line(f) for f in got]
        if key == "unique_insights":
            got = [f for f in credited if len({a.lower() for a in f.agents}) == 1]
            return str(len(got)), len(got), [f"{f.id} [{', '.join(f.agents)}]" for f in got]
        if key == "design_observations":
            if ar is None or ar.omitted:
                return None
            got = [o for o in ar.observations if o.kind.value.startswith("design")]
            return str(len(got)), len(got), [f"{o.kind.value}: {o.title or o.text[:60]}" for o in got]
        if key == "files_reviewed":
            own = self.coverage.get(agent.lower())
            if not own:
                return None
            return str(len(own)), len(own), []
        if key == "coverage_misses":
            own = self.coverage.get(agent.lower())
            if not own:
                return None
            missed = sorted(self.union - own)
            return str(len(missed)), len(missed), missed
        if key == "kept_rate":
            kept = sum(f.fate in (Fate.kept, Fate.upgraded, Fate.merged) for f in fates)
            raw, val = _fraction(kept, len(fates))
            return raw, val, [_fate_line(f) for f in fates]
        if key in ("precision", "recall"):
            p, rec, ev = self.pr(agent)
            v = p if key == "precision" else rec
            return ("—" if v is None else f"{v:.2f}"), v, [ev] if ev else []
        return None


def _fate_line(f: FindingFate) -> str:
    to = f" → {f.consolidated_id}" if f.consolidated_id else ""
    return (f"{f.agent} {f.finding_id or '#' + str(f.idx + 1)} ({f.severity.value}) {f.fate.value}{to} "
            f"[{f.rule.value}]: {f.evidence}")


def scorer_precision_recall(scorer: str = "default", **args) -> Callable:
    """Precision / recall of an agent's original findings against the consolidated set, via the scorer."""

    def pr(report: Report, agent: str, fates: Sequence[FindingFate]):
        import scorers

        ar_findings = [f for ar in report.agent_reviews if ar.agent.lower() == agent.lower() for f in ar.findings]
        if not ar_findings:
            return None, None, ""
        gold = scorers.gold_for_report(report, fates)
        res = scorers.score(gold, ar_findings, scorer=scorer, **args)
        m = res.metrics
        lc = res.label_counts()
        return m.get("precision"), m.get("recall"), (
            f"{lc['true_positive']} true positive, {lc['known_false_positive']} known false positive, "
            f"{lc['novel']} novel of {len(ar_findings)}; {sum(g.status == 'found' for g in res.gold)}"
            f"/{len(res.gold)} consolidated found")

    return pr


# -- recompute and check --------------------------------------------------------------------

def _published_value(metric: str, cell: RetroCell) -> Any:
    """The comparable value of a published cell (zero-filled severity counts, transition counts)."""
    v = cell.value
    key = metric_key(metric)
    if key in ("findings", "totals") and isinstance(v, dict):
        return {s.value: int(v.get(s.value, 0) or 0) for s in Severity}
    if key == "downgraded" and isinstance(v, dict):
        return int(v.get("count", 0))
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    return None


def _comparable(key: str, value: Any) -> Any:
    if key == "downgraded" and isinstance(value, dict):
        return value["count"]
    return value


def _check_cell(key: str, name: str, pub: RetroCell, value: Any) -> tuple[bool | None, str | None]:
    """(agree, why undecided) of one published cell against its recomputed value."""
    if key == "downgraded":
        count, labels = severity_labels(pub.raw)
        if count is None:
            return None, f"published cell {_plain(pub.raw)!r} has no count"
        got = value if isinstance(value, dict) else {"count": value, "labels": {}}
        if count != got["count"]:
            return False, None
        if labels is None:
            return True, None  # the count agrees; the labels (none, or unreadable) cannot be compared
        return dict(labels) == {k: v for k, v in got.get("labels", {}).items() if v}, None
    pv = _published_value(name, pub)
    if pv is None:
        return None, f"published cell {_plain(pub.raw)!r} is not a number or severity counts"
    return pv == _comparable(key, value), None


def recompute(report: Report, fates: Sequence[FindingFate], *, precision_recall: Callable | None = None,
              check: bool = False, convention: tuple[str, str] | None = None) -> RetroResult:
    """The report's Summary table recomputed from its data (and, with `check`, every published
    cell checked under the report's own `Findings` convention, severity-change labels included)."""
    cols, labels = columns(report)
    conv, conv_why = convention or findings_convention(report)
    published = report.published_retro.summary
    names = [r.metric for r in published.rows] if published is not None else []
    have = {metric_key(n) for n in names}
    if "critical" in have or "important" in have:  # per-severity rows stand in for Findings
        have |= {"findings", "totals"}
    names += [n for n in STANDARD_ROWS if metric_key(n) not in have]
    names += list(EXTRA_ROWS)
    count_rule = counting(report, fates)
    facts = _Facts(report, fates, precision_recall, conv, count_rule)
    rows, sources, disagreements, compared, cells_out = [], {}, [], 0, []
    for name in names:
        key = metric_key(name)
        pub_row = published.row(_plain(name)) if published is not None else None
        if pub_row is None and published is not None:
            pub_row = next((r for r in published.rows if r.metric == name), None)
        cells, src = {}, {}
        for agent in cols:
            pub = pub_row.cells.get(agent) if pub_row else None
            got = facts.cell(key, agent)
            if got is None:
                if pub is not None:
                    cells[agent] = RetroCell(raw=f"{_plain(pub.raw)} {CARRIED}", value=pub.value)
                    src[agent] = "published"
                else:
                    cells[agent] = RetroCell(raw="—", value=None)
                    src[agent] = "missing"
                continue
            raw, value, evidence = got
            if key == "totals" and name.startswith("**"):
                raw = f"**{raw}**"
            cells[agent] = RetroCell(raw=raw, value=value)
            src[agent] = "recomputed"
            if check and pub is not None:
                agree, why = _check_cell(key, name, pub, value)
                cells_out.append(CellCheck(agent=agent, row=_plain(name), published=_plain(pub.raw),
                                           recomputed=_plain(raw), agree=agree,
                                           evidence=[why] if why else evidence))
                if agree is None:
                    continue
                compared += 1
                if not agree:
                    disagreements.append(Disagreement(metric=_plain(name), agent=agent, published=_plain(pub.raw),
                                                      recomputed=_plain(raw), evidence=evidence))
        rows.append(RetroRow(metric=name, cells=cells))
        sources[_plain(name)] = src
    table = RetroTable(columns=cols, column_labels=labels, rows=rows,
                       transposed=published.transposed if published is not None else False)
    note = None if published is not None else (report.published_retro.absent_reason or "no published Summary table")
    return RetroResult(report_id=report.id, table=table, sources=sources, published=published,
                       disagreements=disagreements, compared=compared, note=note, convention=conv,
                       convention_evidence=conv_why, counting=count_rule, cells=cells_out)


def fates_audit(st, report_id: str) -> dict:
    """`harness retro ID --fates --json`: every original finding's fate, in each agent's review
    order, with its target consolidated id, evidence sentence and deciding rule."""
    from harness.store import fates as retro_store
    from harness.store import gold as gold_store

    report = gold_store.get_report(st, report_id)  # NotFound with a hint
    refresh(st, [report_id])
    conv = retro_store.convention(st, report_id) or findings_convention(report)
    order = {a.lower(): k for k, a in enumerate(dict.fromkeys(ar.agent for ar in report.agent_reviews))}
    fates = sorted(stored_fates(st, report_id), key=lambda f: (order.get(f.agent.lower(), len(order)), f.idx))
    return {"report": report.id, "convention": conv[0], "fates": [f.audit() for f in fates]}


def fates_markdown(audit: dict) -> str:
    """Per reviewer model, each original finding: fate, target, deciding rule and evidence."""
    from harness.core.tables import cell, escape_cell, markdown_table

    out = [f"## Fates of the original findings: {escape_cell(audit['report'])}",
           f"Published `Findings` convention: {audit['convention']}."]
    agents = list(dict.fromkeys(f["agent"] for f in audit["fates"]))
    for agent in agents:
        rows = [[f["idx"], cell(f["finding_id"]), f["severity"], f["title"][:80], f["fate"], cell(f["consolidated_id"]),
                 f["rule"], f["evidence"][:300]] for f in audit["fates"] if f["agent"] == agent]
        out += [f"### {escape_cell(agent)}",
                markdown_table(["#", "Id", "Severity", "Title", "Fate", "Target", "Rule", "Evidence"], rows)]
    if not agents:
        out.append("No original findings (no agent review in the report).")
    return "\n\n".join(out) + "\n"


def retro(st, report_ids: Sequence[str] | None = None, *, check: bool = False) -> list[RetroResult]:
    """Recomputed (and checked) tables of the given stored reports, or of all of them."""
    from harness.store import fates as retro_store
    from harness.store import gold as gold_store

    if report_ids is not None:
        for rid in report_ids:
            gold_store.get_report(st, rid)  # NotFound with a hint
    refresh(st, report_ids)
    pr = scorer_precision_recall()
    out = []
    for report in gold_store.iter_reports(st, list(report_ids) if report_ids is not None else None):
        out.append(recompute(report, stored_fates(st, report.id), precision_recall=pr, check=check,
                             convention=retro_store.convention(st, report.id)))
    return out


# -- output ---------------------------------------------------------------------------------

def to_markdown(results: Sequence[RetroResult], check: bool = False) -> str:
    from harness.gold.render import render_retro_table

    parts = []
    for res in results:
        head = f"## {res.report_id}"
        if res.note:
            head += f"\n\n_{res.note}_"
        parts.append(head + "\n\n" + render_retro_table(res.table))
        if any(s == "published" for src in res.sources.values() for s in src.values()):
            parts.append(CARRIED_NOTE)
        if check:
            parts.append(check_markdown(res))
    if check and len(results) > 1:
        cells = [c for r in results for c in r.cells]
        decided = [c for c in cells if c.agree is not None]
        parts.append(f"Overall: {sum(c.agree for c in decided)} of {len(decided)} cells agree; "
                     f"{sum(not c.agree for c in decided)} flagged; {len(cells) - len(decided)} could not be decided "
                     f"({len(results)} reports).")
    return "\n\n".join(parts) + "\n"


def check_markdown(res: RetroResult) -> str:
    if res.published is None:
        return "No published Summary table to check."
    lines = [f"Check: {res.total_line()}.",
             f"The published Findings cell counts {res.convention} findings ({res.convention_evidence})."]
    if res.counting is not None and res.counting.evidence:
        lines.append(f"Downgraded / Dropped: {res.counting.evidence}.")
    if res.disagreements:
        lines.append("")
    for d in res.disagreements:
        lines.append(f"- **{d.metric}** / {d.agent}: published `{d.published}`, recomputed `{d.recomputed}`")
        lines += [f"  - {e}" for e in d.evidence]
    for c in res.undecided:
        lines.append(f"- could not decide **{c.row}** / {c.agent}: {'; '.join(c.evidence)}")
    return "\n".join(lines)


def check_exit_code(results: Sequence[RetroResult]) -> int:
    """`retro --check` exit code: 0 when every decidable cell agrees, 1 when any is flagged (cells it
    could not decide do not count); errors exit 2 in the CLI."""
    return 1 if any(r.disagreements for r in results) else 0


def to_json_one(res: RetroResult) -> str:
    return json.dumps(res.model_dump(mode="json"), indent=2, ensure_ascii=False)


def to_json(results: Sequence[RetroResult]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in results], indent=2, ensure_ascii=False)


def to_csv(results: Sequence[RetroResult]) -> str:
    """Long format: one line per cell, with the published cell beside it."""
    from harness.core.tables import csv_table

    return csv_table(["report_id", "metric", "agent", "model", "recomputed", "source", "published", "agrees"],
                     _csv_rows(results))


def _csv_rows(results: Sequence[RetroResult]):
    for res in results:
        labels = dict(zip(res.table.columns, res.table.column_labels))
        bad = {(d.metric, d.agent) for d in res.disagreements}
        for row in res.table.rows:
            name = _plain(row.metric)
            prow = res.published.row(name) if res.published is not None else None
            for agent, c in row.cells.items():
                p = prow.cells.get(agent) if prow else None
                src = res.sources.get(name, {}).get(agent, "")
                agrees = "" if p is None or src != "recomputed" else ("no" if (name, agent) in bad else "yes")
                yield [res.report_id, name, agent, labels.get(agent, agent), _plain(c.raw), src,
                       _plain(p.raw) if p else "", agrees]


FORMATS = ("md", "json", "csv")


def render(results: Sequence[RetroResult], fmt: str, check: bool = False) -> str:
    """The results in one of FORMATS (what `harness retro --format` prints)."""
    from harness.core.tables import render_as

    return render_as(fmt, {"md": lambda: to_markdown(results, check), "json": lambda: to_json(results) + "\n",
                           "csv": lambda: to_csv(results)})
