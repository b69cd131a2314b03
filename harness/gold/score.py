"""Scoring a reviewer's output file against a stored report: what `harness score` calls.

The file is a JSON list of findings (Finding shape, or flat `path` / `line_start` / `line_end`;
an object with a `findings` list is accepted too) or a markdown review in the reports' own
format (parsed by `harness.gold.parse.parse_review`). The result is stored under run id
`adhoc:<hash of the findings>` unless a run id is given.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError, ParseError, warn
from harness.core.hashing import content_hash
from harness.core.models import Finding
from harness.core.scores import ScoreResult
from harness.gold.build import build_gold
from harness.store import Store


def read_findings(path: str | Path) -> list[Finding]:
    from scorers.findings import coerce_findings

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HarnessError(f"findings file {p} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"cannot read findings file {p}: {exc}") from None
    stripped = text.lstrip()
    if p.suffix.lower() == ".json" or stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if isinstance(data, dict) and isinstance(data.get("findings"), list):
            data = data["findings"]
        if not isinstance(data, list):
            raise ParseError(f"{p}: expected a JSON list of findings")
        try:
            return coerce_findings(data)
        except ParseError as exc:
            raise ParseError(f"{p}: {exc.one_line()}") from None
    try:
        from harness.gold.parse import parse_review
    except ImportError:
        raise HarnessError(f"{p}: markdown reviews need harness.gold.parse, which is not installed") from None
    noticed: list = []
    findings = list(parse_review(text, warnings=noticed).findings)
    for w in noticed:
        warn(f"{p}: {w.message}")
    if not findings and not noticed:
        warn(f"{p}: the review parses to 0 findings (see `harness schema findings` for the JSON form)")
    return findings


def score_file(st: Store, report_id: str, path: str | Path, *, k: int = 3, strict: bool = True,
               scorer: str = "default", judge: str | None = None, run_id: str | None = None,
               save: bool = True, api_base: str | None = None) -> ScoreResult:
    """Score the findings in `path` against report `report_id`'s gold; store and return the result."""
    from harness.store.scores import StoreJudgeCache, put_score
    from scorers import get_scorer

    gold = build_gold(st, report_id)
    findings = read_findings(path)
    args: dict[str, Any] = {"k": k, "strict": strict}
    runtime: dict[str, Any] = {}
    if judge:
        scorer = "judge"
        args["model"] = judge
    if scorer == "judge":
        runtime["cache"] = StoreJudgeCache(st)
        runtime["api_base"] = api_base
    sc = get_scorer(scorer, **args, **runtime)
    result = sc.score(gold, findings)
    if save:
        rid = run_id or f"adhoc:{content_hash(findings, 12)}"
        put_score(st, rid, report_id, result, predicted=findings, gold_hash=gold.gold_hash())
        result.run_id = rid
    return result


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def score_table(result: ScoreResult) -> str:
    """Markdown: each prediction's label with its evidence, the gold statuses, then the metrics."""
    from harness.core.tables import markdown_table

    out = [f"Scorer `{result.scorer}` on report `{result.report_id}`"
           + (f" (stored as run `{result.run_id}`)" if result.run_id else ""), ""]
    out.append(markdown_table(
        ["#", "Label", "Severity", "Gold", "Match", "Affinity", "Text", "Distance", "Level", "Title"],
        [[p.index + 1, p.label + (" (judge)" if p.decided_by == "judge" else ""), p.severity, _fmt(p.gold_id),
          _fmt(p.severity_match), _fmt(p.affinity), _fmt(p.text_affinity), _fmt(p.distance), _fmt(p.level),
          _fmt(p.title)] for p in result.predictions]))
    out += ["", markdown_table(["Gold", "Status", "Severity", "Found by", "Title"],
                               [[g.id, g.status, g.severity,
                                 _fmt(g.prediction_index + 1 if g.prediction_index is not None else None),
                                 _fmt(g.title)] for g in result.gold])]
    out += ["", markdown_table(["Metric", "Value"], [[k, _fmt(v)] for k, v in result.metrics.items()])]
    c = result.counts
    out += ["", f"tp {int(c.get('tp', 0))}, known fp {int(c.get('known_fp', 0))}, novel {int(c.get('novel', 0))},"
            f" fn {int(c.get('fn', 0))}"]
    if result.judge_usage:
        u = result.judge_usage
        out.append(f"judge {u.get('model')}: {u.get('calls')} calls, {u.get('cache_hits')} cached, "
                   f"{u.get('prompt_tokens', 0) + u.get('completion_tokens', 0)} tokens, cost {u.get('cost', 0):.4f}, "
                   f"kappa vs rules {_fmt(u.get('kappa'))}")
    return "\n".join(out)
