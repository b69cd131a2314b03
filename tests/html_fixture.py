"""A synthetic benchmark report with six reviewers (long labels, mixed costs) for the html tests."""

from __future__ import annotations

from harness.core.models import RetroCell, RetroRow, RetroTable
from harness.results.report.document import BenchReport, Estimate, ReportTable, ReviewerSummary, Usage

NAMES = ["single · openai/gpt-4.1-mini-2025-04-14", "cot · anthropic/claude-sonnet-4-5-20250929",
         "per_file · ollama_chat/qwen2.5-coder:32b-instruct-q4_K_M", "Claude", "Codex", "Gemini"]


def six_reviewers(costs: tuple[float, ...] = (0.42, 1.37, 0.0, 0.0, 0.0, 0.0)) -> BenchReport:
    revs = []
    for i, (name, cost) in enumerate(zip(NAMES, costs)):
        replay = i >= 3
        p, r = 0.4 + 0.08 * i, 0.7 - 0.09 * i
        f1 = 2 * p * r / (p + r)
        revs.append(ReviewerSummary(
            reviewer=name, run_id=f"run{i}", kind="replay" if replay else "program", model=name, program=name,
            program_hash=f"h{i}", split="test", status="complete", scorer="default", scorer_args={"k": 3},
            n_reports=5,
            intervals={"precision_strict": Estimate(value=p, low=p - 0.1, high=p + 0.1),
                       "recall": Estimate(value=r, low=r - 0.1, high=r + 0.1),
                       "f1_strict": Estimate(value=f1), "precision_lenient": Estimate(value=p),
                       "f1_lenient": Estimate(value=f1)},
            # no gold critical finding anywhere: that severity has no value for anyone
            metrics={"recall_critical": None, "recall_important": r, "recall_suggestion": r / 2,
                     "recall_k0": r * 0.8, "recall_k3": r, "recall_k10": min(1.0, r * 1.1)},
            counts={"n_known_fp": 2}, found=3, usage=Usage(cases=5, scored=5, cost=cost)))
    table = RetroTable(columns=["Claude", "Codex"], column_labels=["Claude", "Codex"],
                       rows=[RetroRow(metric="Findings", cells={"Claude": RetroCell(raw="3"),
                                                                "Codex": RetroCell(raw="2")})])
    return BenchReport(runs=["run0", "run1", "run2"], panel=["run3", "run4", "run5"], reviewers=revs,
                       reports=[ReportTable(report_id=f"20250101-00000{i}-pr-{i}", table=table) for i in range(3)],
                       n_boot=200)
