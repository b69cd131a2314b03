"""The ONE gold builder: what every scoring path scores against.

`build_golds(store, report_ids)` gives each report's `scorers.GoldSet`: the surviving
consolidated findings, and as known false positives the agent findings whose fate is
`dropped` / `false_positive` (fates computed and stored first where missing or stale) and what
the report itself withdrew. `bench` (the runner), `harness score`, `harness rescore`, `tune`
(GEPA's feedback and the MIPRO / bootstrap metrics) and the demo all read the gold here, so a
case gets the same labels whichever path scores it. The scorers stay pure: they take a GoldSet.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from harness.core.models import Report
from harness.store import Store
from scorers.gold import GoldSet


def fates_by_report(st: Store, report_ids: Sequence[str]) -> dict[str, list[Any]]:
    """The stored fates (harness.gold.fates.FindingFate) of each report, computed first where
    missing or stale: what the gold's known false positives (and a consolidate case's gold
    decisions) come from."""
    from harness.gold.facts import refresh
    from harness.gold.fates import FindingFate
    from harness.store.fates import fate_rows_many

    ids = list(dict.fromkeys(report_ids))
    if not ids:
        return {}
    refresh(st, ids)
    rows = fate_rows_many(st, ids)
    return {rid: [FindingFate.from_row(r) for r in rows.get(rid, [])] for rid in ids}


def build_golds(st: Store, report_ids: Sequence[str], reports: Mapping[str, Report] | None = None
                ) -> dict[str, GoldSet]:
    """THE gold of each report, for every scoring path (bench, tune, score, rescore, demo).

    A report's gold is its surviving consolidated findings plus the known false positives:
    the agent findings whose fate (harness.gold.fates, computed here where missing or stale) is
    dropped or false_positive, and what the report itself withdrew. `reports` may hold
    already loaded reports; the others are read from the store. Unknown ids are left out.
    `GoldSet.gold_hash()` identifies what a score was computed against.
    """
    from harness.store.gold import iter_reports
    from scorers import gold_for_report

    ids = list(dict.fromkeys(report_ids))
    fates = fates_by_report(st, ids)
    have = dict(reports or {})
    missing = [i for i in ids if i not in have]
    if missing:
        have.update((r.id, r) for r in iter_reports(st, missing))
    return {rid: gold_for_report(have[rid], fates[rid]) for rid in ids if rid in have}


def build_gold(st: Store, report_id: str) -> GoldSet:
    """The gold of one stored report (NotFound when there is no such report)."""
    from harness.store.gold import get_report

    report = get_report(st, report_id)
    return build_golds(st, [report.id], {report.id: report})[report.id]
