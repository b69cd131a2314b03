"""Synthetic gold reports + review inputs for runner tests and bench/runner.py (no corpus needed).

Report `rNNNN` has one gold finding at src/mod_N.py:10-12 and a recorded Claude review citing
it. `answer_for(body)` is an OpenAI-server responder that answers in DSPy's ChatAdapter format
with one finding at the gold location of the report whose id appears in the prompt: a program
run against it scores precision = recall = 1.
"""

from __future__ import annotations

import json
import re

from harness.core.hashing import content_hash
from harness.core.models import AgentReview, Finding, Location, Report, Severity
from harness.store import Store

from openai_server import Reply, chat_answer

_ID = re.compile(r"REPORT-ID (r\d{4})")


def report(i: int) -> Report:
    rid = f"r{i:04d}"
    gold = Finding(id="I1", severity=Severity.important, title=f"Unchecked None in handler {i}",
                   agents=["Claude"], locations=[Location(path=f"src/mod_{i}.py", line_start=10, line_end=12)],
                   body="The handler dereferences the result without checking for None.")
    review = (f"## Claude review\n\n### Important\n\n1. **Unchecked None in handler {i}** "
              f"(`src/mod_{i}.py:10-12`): dereferences the result without a None check.\n")
    r = Report(id=rid, source=f"synthetic/{rid}.md", pr=1000 + i, round=1, repo="acme/widgets",
               findings=[gold], agent_reviews=[AgentReview(agent="Claude", model="Claude Test", text=review,
                                                           findings=[gold.model_copy(update={"id": "1"})])])
    r.content_hash = content_hash(r)
    return r


def diff_for(i: int, pad: int = 0) -> str:
    """The change report i reviewed; `pad` adds that many unchanged lines (~10 tokens each) of context."""
    context = "".join(f" value_{k} = compute(item_{k}, factor={k % 7})\n" for k in range(pad))
    return (f"diff --git a/src/mod_{i}.py b/src/mod_{i}.py\n--- a/src/mod_{i}.py\n+++ b/src/mod_{i}.py\n"
            f"@@ -8,{3 + pad} +8,{5 + pad} @@ def handler():\n{context} # REPORT-ID r{i:04d}\n+    res = lookup()\n"
            f"+    return res.value\n")


def input_row(i: int, pad: int = 0) -> dict:
    """Report i's exact review input (a `review_inputs` row)."""
    d = diff_for(i, pad)
    return {"report_id": f"r{i:04d}", "status": "exact", "reason": None, "method": "commits",
            "repo_path": None, "base": "a" * 40, "head": "b" * 40, "diff": d,
            "files": [{"path": f"src/mod_{i}.py", "added": 2, "removed": 0}],
            "tokens": len(d) // 4, "token_method": "chars/4", "content_hash": content_hash(d)}


def populate(st: Store, n: int, pad: int = 0, *, batch: int = 1000) -> list[str]:
    """n reports with exact review inputs; split 'all' covers them without `dataset split`.
    Written `batch` reports at a time (one transaction and one vectorised insert per table)."""
    from harness.store.gold import put_reports
    from harness.store.inputs import put_inputs

    ids = []
    for lo in range(0, n, batch):
        span = range(lo, min(n, lo + batch))
        put_reports(st, [report(i) for i in span])
        put_inputs(st, [input_row(i, pad) for i in span])
        ids.extend(f"r{i:04d}" for i in span)
    return ids


def populated(st: Store, n: int, pad: int = 0) -> bool:
    """Does the store hold reports 0..n-1 with their review inputs, as `populate(st, n, pad)` writes them?"""
    ids = [f"r{i:04d}" for i in range(n)]
    row = st.one("SELECT count(*) FROM reports r JOIN review_inputs i ON i.report_id = r.id"
                 " WHERE list_contains(?, r.id)", [ids])
    if not row or row[0] != n:
        return False
    from harness.store.inputs import get_inputs

    last = f"r{n - 1:04d}"
    return (get_inputs(st, [last]).get(last) or {}).get("diff") == diff_for(n - 1, pad)


def finding_json(rid: str) -> list[dict]:
    i = int(rid[1:])
    return [{"severity": "important", "title": f"Unchecked None in handler {i}", "path": f"src/mod_{i}.py",
             "line_start": 10, "line_end": 12, "body": "result may be None", "category": "correctness"}]


def report_id_in(body: dict) -> str | None:
    m = _ID.search(json.dumps(body.get("messages", [])))
    return m.group(1) if m else None


def answer_for(body: dict) -> Reply:
    rid = report_id_in(body)
    return Reply(content=chat_answer(findings=finding_json(rid) if rid else []))


class SimpleScorer:
    """Location-only scorer for runner tests (the real scorers are tested in their package)."""

    name = "simple"
    args: dict = {}

    def score(self, gold, findings: list[Finding]):
        from scorers import metrics_from_counts
        from harness.core.scores import PredictionLabel, ScoreResult

        where = {(l.path, l.line_start) for f in gold.findings for l in f.locations}
        labels = ["true_positive" if any((l.path, l.line_start) in where for l in f.locations) else "novel"
                  for f in findings]
        tp = labels.count("true_positive")
        counts = {"tp": tp, "fp": len(findings) - tp, "novel": len(findings) - tp, "n_pred": len(findings),
                  "n_gold": len(gold.findings), "fn": len(gold.findings) - min(tp, len(gold.findings))}
        return ScoreResult(scorer=self.name, args={}, counts=counts, metrics=metrics_from_counts(counts),
                           predictions=[PredictionLabel(index=i, label=lab, severity=f.severity.value, title=f.title)
                                        for i, (f, lab) in enumerate(zip(findings, labels))])


simple_score = SimpleScorer()
