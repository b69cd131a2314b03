"""SQL for fates of agent findings and per-reviewer facts (retro tables, leaderboard)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from harness.store import Store

_FATE_COLS = ("report_id", "agent", "idx", "model", "pass", "finding_id", "severity", "title", "fate",
              "consolidated_id", "consolidated_severity", "affinity", "source", "evidence", "rule", "family")
_AGENT_COLS = ("report_id", "agent", "model", "content_hash", "date", "pr", "credited_critical",
               "credited_important", "credited_suggestion", "unique_insights", "consolidated_total",
               "duration_s", "tool_calls")


def stale_report_ids(st: Store, rules_version: str) -> list[str]:
    """Reports whose fates are missing, describe an older version of the report, or were
    computed by other fate rules."""
    rows = st.all(
        "SELECT r.id FROM reports r LEFT JOIN fate_reports f ON f.report_id = r.id"
        " AND f.content_hash = r.content_hash AND f.rules_version = ? WHERE f.report_id IS NULL ORDER BY r.id",
        [rules_version])
    return [r[0] for r in rows]


def put_fates(st: Store, report_ids: Sequence[str], fates: Iterable[Sequence[Any]],
              agents: Iterable[Sequence[Any]], reports: Iterable[Sequence[Any]] = ()) -> None:
    """Replace the fates, reviewer facts and per-report fate facts (report_id, content_hash,
    rules_version, convention, convention_evidence) of the given reports, in one transaction."""
    fates, agents, reports = list(fates), list(agents), list(reports)
    with st.transaction():
        for t in ("fates", "retro_agents", "fate_reports"):
            st.execute(f"DELETE FROM {t} WHERE list_contains(?, report_id)", [list(report_ids)])
        if fates:
            st.con.executemany(f"INSERT INTO fates ({', '.join(_FATE_COLS)}) VALUES "
                               f"({', '.join('?' * len(_FATE_COLS))})", fates)
        if agents:
            st.con.executemany(f"INSERT INTO retro_agents ({', '.join(_AGENT_COLS)}) VALUES "
                               f"({', '.join('?' * len(_AGENT_COLS))})", agents)
        if reports:
            st.con.executemany("INSERT INTO fate_reports (report_id, content_hash, rules_version, convention,"
                               " convention_evidence) VALUES (?, ?, ?, ?, ?)", reports)


def convention(st: Store, report_id: str) -> tuple[str, str] | None:
    """(convention, evidence) recorded for a report's published Findings cell."""
    row = st.one("SELECT convention, convention_evidence FROM fate_reports WHERE report_id = ?", [report_id])
    return (row[0], row[1]) if row else None


def fate_rows(st: Store, report_id: str) -> list[dict[str, Any]]:
    return fate_rows_many(st, [report_id]).get(report_id, [])


def fate_rows_many(st: Store, report_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The fates of several reports in one query: report id -> rows (ordered by agent, idx)."""
    rows = st.all(f"SELECT {', '.join(_FATE_COLS)} FROM fates WHERE list_contains(?, report_id)"
                  " ORDER BY report_id, agent, idx", [list(report_ids)])
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(dict(zip(_FATE_COLS, r)))
    return out


def _frame(st: Store, sql: str, params: Any = None) -> pl.DataFrame:
    # Store.frame calls DuckDBPyConnection.pl(), which duckdb 2.0 no longer has: go through Arrow
    with st._lock:
        return pl.from_arrow(st.con.sql(sql, params=params).to_arrow_table())


def fate_counts(st: Store) -> pl.DataFrame:
    return _frame(st, "SELECT fate, count(*) AS n FROM fates GROUP BY fate ORDER BY n DESC")


def per_report_agent(st: Store, since: str | None = None, until: str | None = None,
                     pr: int | None = None, weights: dict[str, float] | None = None,
                     repo: str | None = None) -> pl.DataFrame:
    """One row per (report, reviewer) with the fate counts summed in DuckDB: the leaderboard's input.

    Also the consolidated findings the report credits to the reviewer against all of them:
    in number (`credited` / `gold_total`), among those the author fixed (`credited_fixed` /
    `gold_fixed`) and weighted by severity (`credited_weight` / `gold_weight`, `weights`)."""
    from harness.core.scores import DEFAULT_WEIGHTS

    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    weight = (f"CASE severity WHEN 'critical' THEN {float(w['critical'])} WHEN 'important' THEN "
              f"{float(w['important'])} ELSE {float(w['suggestion'])} END")
    where, params = ["1=1"], []
    if since:
        where.append("a.date >= ?")
        params.append(since)
    if until:
        # a bare date includes the whole day
        where.append("a.date < ?" if len(until) > 10 else "substr(a.date, 1, 10) <= ?")
        params.append(until)
    if pr is not None:
        where.append("a.pr = ?")
        params.append(pr)
    if repo:  # a PR is (repo, number): numbers repeat across repositories
        where.append("lower(r.repo) = lower(?)")
        params.append(repo)
    return _frame(
        st,
        f"""
        WITH f AS (
            SELECT report_id, agent,
                   count(*) AS raised,
                   count(*) FILTER (severity = 'critical') AS raised_critical,
                   count(*) FILTER (severity = 'important') AS raised_important,
                   count(*) FILTER (severity = 'suggestion') AS raised_suggestion,
                   count(*) FILTER (fate IN ('kept', 'upgraded', 'merged')) AS kept,
                   count(*) FILTER (fate IN ('downgraded', 'demoted')) AS downgraded,
                   count(*) FILTER (fate IN ('dropped', 'false_positive')) AS dropped,
                   count(*) FILTER (fate = 'false_positive') AS false_positives
            FROM fates GROUP BY report_id, agent
        ),
        g AS (
            SELECT report_id, agent_key, count(*) AS credited,
                   count(*) FILTER (resolution = 'fixed') AS credited_fixed, sum({weight}) AS credited_weight
            FROM (SELECT DISTINCT report_id, idx, lower(unnest(agents)) AS agent_key, severity, resolution
                  FROM findings)
            GROUP BY report_id, agent_key
        ),
        tot AS (
            SELECT report_id, count(*) AS gold_total, count(*) FILTER (resolution = 'fixed') AS gold_fixed,
                   sum({weight}) AS gold_weight
            FROM findings GROUP BY report_id
        )
        SELECT a.report_id, a.agent, a.model, a.date, a.pr,
               coalesce(g.credited, 0) AS credited, coalesce(g.credited_fixed, 0) AS credited_fixed,
               coalesce(g.credited_weight, 0)::DOUBLE AS credited_weight, coalesce(tot.gold_total, 0) AS gold_total,
               coalesce(tot.gold_fixed, 0) AS gold_fixed, coalesce(tot.gold_weight, 0)::DOUBLE AS gold_weight,
               coalesce(f.raised, 0) AS raised,
               coalesce(f.raised_critical, 0) AS raised_critical,
               coalesce(f.raised_important, 0) AS raised_important,
               coalesce(f.raised_suggestion, 0) AS raised_suggestion,
               coalesce(f.kept, 0) AS kept, coalesce(f.downgraded, 0) AS downgraded,
               coalesce(f.dropped, 0) AS dropped, coalesce(f.false_positives, 0) AS false_positives,
               a.credited_critical, a.unique_insights, a.consolidated_total, a.duration_s, a.tool_calls
        FROM retro_agents a
        JOIN reports r ON r.id = a.report_id AND r.content_hash = a.content_hash
        LEFT JOIN f USING (report_id, agent)
        LEFT JOIN g ON g.report_id = a.report_id AND g.agent_key = lower(a.agent)
        LEFT JOIN tot ON tot.report_id = a.report_id
        WHERE {' AND '.join(where)}
        ORDER BY a.model, a.report_id
        """,
        params,
    )
