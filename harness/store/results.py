"""SQL for benchmark output (`harness report`, `compare`, `gate`, `baseline export`, `demo`).

Reads what the runner stored (runs, run_cases, run_predictions) and what the scorers stored
(scores, score_labels); writes nothing.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import polars as pl

from harness.core.models import Finding
from harness.core.runs import REPLAY_PREFIX
from harness.store import Store

SCORED_STATUSES = ("ok", "parse_failure")


def scored_cases(st: Store, run_id: str) -> list[tuple[str, int]]:
    """(report_id, epoch) of the run's cases that produced a (possibly empty) scored review."""
    rows = st.all("SELECT report_id, epoch FROM run_cases WHERE run_id = ? AND list_contains(?, status)"
                  " ORDER BY report_id, epoch", [run_id, list(SCORED_STATUSES)])
    return [(r[0], int(r[1])) for r in rows]


def case_findings(st: Store, run_id: str) -> dict[tuple[str, int], list[Finding]]:
    """The predicted findings of every scored case (cases with none map to an empty list)."""
    out: dict[tuple[str, int], list[Finding]] = {k: [] for k in scored_cases(st, run_id)}
    rows = st.all("SELECT report_id, epoch, finding FROM run_predictions WHERE run_id = ?"
                  " ORDER BY report_id, epoch, idx", [run_id])
    for rid, epoch, doc in rows:
        key = (rid, int(epoch))
        if key in out:
            out[key].append(Finding.model_validate_json(doc))
    return out


def scored_keys(st: Store, run_id: str, scorer: str, args_hash: str) -> set[tuple[str, int]]:
    rows = st.all("SELECT report_id, epoch FROM scores WHERE run_id = ? AND scorer = ? AND args_hash = ?",
                  [run_id, scorer, args_hash])
    return {(r[0], int(r[1])) for r in rows}


def case_stats(st: Store, run_ids: Sequence[str]) -> pl.DataFrame:
    """Per case: status, tokens, cost, duration, tool calls (one row per run, report, epoch)."""
    return st.frame(
        "SELECT run_id, report_id, epoch, status, model_calls, cache_hits, input_tokens, output_tokens,"
        " cost, spent, duration_s, tool_calls FROM run_cases WHERE list_contains(?, run_id)"
        " ORDER BY run_id, report_id, epoch", [list(run_ids)])


def unparsed_answers(st: Store, run_ids: Sequence[str]) -> dict[tuple[str, str, int], str]:
    """(run, report, epoch) -> the raw answer of each case whose answer did not parse."""
    rows = st.all("SELECT run_id, report_id, epoch, raw_response FROM run_cases WHERE list_contains(?, run_id)"
                  " AND status = 'parse_failure' AND raw_response IS NOT NULL", [list(run_ids)])
    return {(r[0], r[1], int(r[2])): r[3] for r in rows}


def run_usage(st: Store, run_ids: Sequence[str]) -> pl.DataFrame:
    """Per run: case counts by status, tokens, cost and latency percentiles, aggregated in DuckDB."""
    return st.frame(
        "SELECT run_id, count(*) AS cases,"
        " count(*) FILTER (WHERE list_contains(?, status)) AS scored,"
        " count(*) FILTER (WHERE status = 'parse_failure') AS parse_failures,"
        " count(*) FILTER (WHERE status = 'error') AS errors,"
        " count(*) FILTER (WHERE status = 'skipped') AS skipped,"
        " coalesce(sum(model_calls), 0)::BIGINT AS model_calls,"
        " coalesce(sum(cache_hits), 0)::BIGINT AS cache_hits,"
        " coalesce(sum(input_tokens), 0)::BIGINT AS input_tokens,"
        " coalesce(sum(output_tokens), 0)::BIGINT AS output_tokens,"
        # one case without a known price makes the run's cost unknown (NULL), never a partial sum
        " CASE WHEN bool_or(cost IS NULL) THEN NULL ELSE coalesce(sum(cost), 0) END::DOUBLE AS cost,"
        " CASE WHEN bool_or(spent IS NULL) THEN NULL ELSE coalesce(sum(spent), 0) END::DOUBLE AS spent,"
        " coalesce(sum(tool_calls), 0)::BIGINT AS tool_calls,"
        " quantile_cont(duration_s, 0.5) FILTER (WHERE status <> 'skipped') AS latency_p50,"
        " quantile_cont(duration_s, 0.95) FILTER (WHERE status <> 'skipped') AS latency_p95"
        " FROM run_cases WHERE list_contains(?, run_id) GROUP BY run_id ORDER BY run_id",
        [list(SCORED_STATUSES), list(run_ids)])


def replay_runs(st: Store, split: str | None = None) -> list[dict[str, Any]]:
    """Complete replay runs (`replay:AGENT`; some recorded reviews may not parse), newest first,
    optionally of one split."""
    rows = st.all(
        "SELECT run_id, model, split, config FROM runs WHERE starts_with(lower(model), ?)"
        " AND status IN ('complete', 'complete_with_errors') AND (? IS NULL OR split = ?) ORDER BY started_at DESC, run_id",
        [REPLAY_PREFIX, split, split])
    return [{"run_id": r[0], "model": r[1], "split": r[2], "config": json.loads(r[3])} for r in rows]


def published_agent_facts(st: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """(report, agent in lower case) -> published duration and tool calls (retro reviewer facts)."""
    rows = st.all("SELECT report_id, agent, duration_s, tool_calls FROM retro_agents")
    return {(r[0], r[1].lower()): {"duration_s": r[2], "tool_calls": r[3]} for r in rows}
