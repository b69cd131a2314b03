"""SQL for the gold set: reports, their flat projections, and files that failed to ingest.

Writes are batched: `put_reports` deletes the old versions and inserts every row of a whole
batch with one `INSERT ... SELECT` per table from an Arrow table, inside one transaction.
Row-at-a-time `executemany` was the bottleneck of a corpus ingest. `doc` is the model's own
JSON (pydantic's Rust serialiser): it is read back with `model_validate_json`, never hashed.
"""

from __future__ import annotations

import json
from typing import Iterable, Iterator

import polars as pl
import pyarrow as pa

from harness.core.errors import NotFound
from harness.core.models import Finding, Report, pr_ref
from harness.store import Store

_CHILD_TABLES = (
    "reviewers", "findings", "agent_findings", "observations",
    "retro_cells", "resolutions", "parse_warnings",
)

_LOC = pa.list_(pa.struct([("path", pa.string()), ("line_start", pa.int32()), ("line_end", pa.int32())]))
_STRS = pa.list_(pa.string())
_S, _I, _B = pa.string(), pa.int32(), pa.bool_()

# Arrow schema of every table we bulk-insert: pyarrow builds these from row dicts in C++,
# several times faster than going through polars for the nested list/struct columns.
_SCHEMAS: dict[str, pa.Schema] = {name: pa.schema(cols) for name, cols in {
    "reports": [("id", _S), ("source", _S), ("content_hash", _S), ("date", _S), ("repo", _S),
                ("pr", _I), ("round", _I), ("branch", _S), ("has_retro", _B), ("n_warnings", _I),
                ("doc", _S)],
    "reviewers": [("report_id", _S), ("idx", _I), ("agent", _S), ("model", _S), ("effort", _S),
                  ("available", _B), ("family", _S), ("status", _S), ("note", _S)],
    "findings": [("report_id", _S), ("idx", _I), ("id", _S), ("severity", _S), ("title", _S),
                 ("agents", _STRS), ("locations", _LOC), ("body", _S), ("tags", _STRS),
                 ("reconciliation", _S), ("resolution", _S)],
    "agent_findings": [("report_id", _S), ("agent", _S), ("model", _S), ("pass", _I), ("idx", _I),
                       ("id", _S), ("severity", _S), ("title", _S), ("locations", _LOC), ("body", _S),
                       ("tags", _STRS), ("withdrawn", _B), ("family", _S)],
    "observations": [("report_id", _S), ("idx", _I), ("kind", _S), ("title", _S), ("text", _S),
                     ("agents", _STRS)],
    "retro_cells": [("report_id", _S), ("metric", _S), ("agent", _S), ("raw", _S), ("value", _S)],
    "resolutions": [("report_id", _S), ("idx", _I), ("ref", _S), ("action", _S), ("note", _S),
                    ("finding_ids", _STRS)],
    "parse_warnings": [("report_id", _S), ("idx", _I), ("where", _S), ("message", _S)],
}.items()}


def _locs(f: Finding) -> list[dict]:
    return [l.model_dump() for l in f.locations]


def report_rows(report: Report) -> dict[str, list[dict]]:
    """Every flat row one report contributes, by table."""
    rid = report.id
    retro = report.published_retro
    rows: dict[str, list[dict]] = {t: [] for t in _SCHEMAS}
    rows["reports"].append(dict(
        id=rid, source=report.source, content_hash=report.content_hash, date=report.date,
        repo=report.repo, pr=report.pr, round=report.round, branch=report.branch,
        has_retro=bool(retro.present and retro.summary is not None),
        n_warnings=len(report.warnings), doc=report.model_dump_json(by_alias=True)))
    rows["reviewers"] = [dict(report_id=rid, idx=i, agent=r.agent, model=r.model, effort=r.effort,
                              available=r.available, family=r.family, status=r.status.value, note=r.note)
                         for i, r in enumerate(report.reviewers)]
    rows["findings"] = [dict(report_id=rid, idx=i, id=f.id, severity=f.severity.value, title=f.title,
                             agents=f.agents, locations=_locs(f), body=f.body, tags=f.tags,
                             reconciliation=f.reconciliation, resolution=f.resolution)
                        for i, f in enumerate(report.findings)]
    # several passes of one agent share (report, agent): idx runs on across them
    seen: dict[str, int] = {}
    for ar in report.agent_reviews:
        for f in ar.findings:
            n = seen.get(ar.agent, 0)
            seen[ar.agent] = n + 1
            rows["agent_findings"].append(dict(
                report_id=rid, agent=ar.agent, model=ar.model, **{"pass": ar.pass_}, idx=n, id=f.id,
                severity=f.severity.value, title=f.title, locations=_locs(f), body=f.body,
                tags=f.tags, withdrawn=f.withdrawn, family=ar.family))
    rows["observations"] = [dict(report_id=rid, idx=i, kind=o.kind.value, title=o.title, text=o.text,
                                 agents=o.agents) for i, o in enumerate(report.observations)]
    if retro.summary is not None:
        cells: dict[tuple[str, str], dict] = {}  # a metric printed twice keeps its last cells
        for r in retro.summary.rows:
            for agent, c in r.cells.items():
                cells[(r.metric, agent)] = dict(report_id=rid, metric=r.metric, agent=agent,
                                                raw=c.raw, value=json.dumps(c.value))
        rows["retro_cells"] = list(cells.values())
    rows["resolutions"] = [dict(report_id=rid, idx=i, ref=r.ref, action=r.action, note=r.note,
                                finding_ids=r.finding_ids) for i, r in enumerate(report.resolutions)]
    rows["parse_warnings"] = [dict(report_id=rid, idx=i, where=w.where, message=w.message)
                              for i, w in enumerate(report.warnings)]
    return rows


def stored_hashes(st: Store, ids: Iterable[str] | None = None) -> dict[str, str]:
    """id -> content hash of the stored reports (all, or the given ids)."""
    if ids is None:
        return dict(st.all("SELECT id, content_hash FROM reports"))
    return dict(st.all("SELECT id, content_hash FROM reports WHERE list_contains(?, id)", [list(ids)]))


def ids_by_hash(st: Store, hashes: Iterable[str]) -> dict[str, str]:
    """content hash -> report id, for hashes already stored (lets ingest skip parsing)."""
    return {h: i for i, h in st.all(
        "SELECT id, content_hash FROM reports WHERE list_contains(?, content_hash)", [list(hashes)])}


def put_reports(st: Store, reports: list[Report]) -> dict[str, str]:
    """Insert or replace a batch of reports in one transaction.

    Returns id -> "new" | "replaced" | "unchanged" (same content hash already stored).
    A report id repeated in the batch keeps its last version.
    """
    latest = {r.id: r for r in reports}
    old = stored_hashes(st, latest)
    status = {rid: ("unchanged" if old.get(rid) == r.content_hash else
                    "replaced" if rid in old else "new") for rid, r in latest.items()}
    todo = [r for r in latest.values() if status[r.id] != "unchanged"]
    if not todo:
        return status
    rows: dict[str, list[dict]] = {t: [] for t in _SCHEMAS}
    for r in todo:
        for table, rs in report_rows(r).items():
            rows[table].extend(rs)
    with st.transaction():
        _delete(st, [r.id for r in todo if status[r.id] == "replaced"])
        for table, rs in rows.items():
            if rs:
                _insert(st, table, rs)
    return status


def put_report(st: Store, report: Report) -> str:
    """Insert or replace one report: "new", "replaced" or "unchanged"."""
    return put_reports(st, [report])[report.id]


def _insert(st: Store, table: str, rows: list[dict]) -> None:
    st.insert_frame(table, pa.Table.from_pylist(rows, schema=_SCHEMAS[table]))


def _delete(st: Store, report_ids: list[str]) -> None:
    if not report_ids:
        return
    for t in _CHILD_TABLES:
        st.execute(f"DELETE FROM {t} WHERE list_contains(?, report_id)", [report_ids])
    st.execute("DELETE FROM reports WHERE list_contains(?, id)", [report_ids])


def delete_report(st: Store, report_id: str) -> None:
    with st.transaction():
        _delete(st, [report_id])


def get_report(st: Store, report_id: str) -> Report:
    row = st.one("SELECT doc FROM reports WHERE id = ?", [report_id])
    if row is None:
        raise NotFound(f"no report with id {report_id!r} in {st.path}", hint="see `harness reports`")
    return Report.model_validate_json(row[0])


def iter_reports(st: Store, ids: list[str] | None = None) -> Iterator[Report]:
    """Yield stored reports (all, or the given ids) ordered by id."""
    if ids is None:
        rows = st.all("SELECT doc FROM reports ORDER BY id")
    else:
        rows = st.all("SELECT doc FROM reports WHERE list_contains(?, id) ORDER BY id", [ids])
    for (doc,) in rows:
        yield Report.model_validate_json(doc)


def report_ids(st: Store) -> list[str]:
    return [r[0] for r in st.all("SELECT id FROM reports ORDER BY id")]


def report_dates(st: Store, ids: Iterable[str] | None = None) -> dict[str, str | None]:
    """id -> report date (ISO string as printed in the header, or None)."""
    if ids is None:
        return {r[0]: r[1] for r in st.all("SELECT id, date FROM reports")}
    return {r[0]: r[1] for r in st.all("SELECT id, date FROM reports WHERE list_contains(?, id)", [list(ids)])}


def ids_between(st: Store, since: str | None = None, until: str | None = None) -> set[str]:
    """Ids of the reports dated in [since, until]; a bare `until` date includes that whole day.
    Reports without a date are outside every window."""
    where, params = ["date IS NOT NULL"], []
    if since:
        where.append("date >= ?")
        params.append(since)
    if until:
        where.append("date < ?" if len(until) > 10 else "substr(date, 1, 10) <= ?")
        params.append(until)
    return {r[0] for r in st.all(f"SELECT id FROM reports WHERE {' AND '.join(where)}", params)}


def list_reports(st: Store, *, pr: int | None = None, since: str | None = None,
                 with_warnings: bool = False, repo: str | None = None) -> pl.DataFrame:
    """One row per stored report, newest date last; filters are ANDed.

    `since` is an ISO date (`2026-03-21`): report dates are ISO strings, so they compare
    lexicographically.
    """
    where, params = ["TRUE"], []
    if pr is not None:
        where.append("r.pr = ?")
        params.append(pr)
    if repo:
        where.append("lower(r.repo) = lower(?)")
        params.append(repo)
    if since:
        where.append("r.date >= ?")
        params.append(since)
    if with_warnings:
        where.append("r.n_warnings > 0")
    return st.frame(
        "SELECT r.id, r.date, r.repo, r.pr, r.round, r.has_retro,"
        " coalesce(f.critical, 0) AS critical, coalesce(f.important, 0) AS important,"
        " coalesce(f.suggestion, 0) AS suggestion,"
        " coalesce(a.n, 0) AS agent_findings, r.n_warnings AS warnings, r.source"
        " FROM reports r"
        " LEFT JOIN (SELECT report_id,"
        "   count(*) FILTER (WHERE severity = 'critical') AS critical,"
        "   count(*) FILTER (WHERE severity = 'important') AS important,"
        "   count(*) FILTER (WHERE severity = 'suggestion') AS suggestion"
        "   FROM findings GROUP BY report_id) f ON f.report_id = r.id"
        " LEFT JOIN (SELECT report_id, count(*) AS n FROM agent_findings GROUP BY report_id) a"
        "   ON a.report_id = r.id"
        f" WHERE {' AND '.join(where)} ORDER BY r.date NULLS FIRST, r.id",
        params,
    )


def list_warnings(st: Store, ids: list[str] | None = None) -> pl.DataFrame:
    """Parse warnings of the given reports (all when None): report_id, where, message."""
    sql = 'SELECT report_id, "where", message FROM parse_warnings'
    if ids is None:
        return st.frame(sql + " ORDER BY report_id, idx")
    return st.frame(sql + " WHERE list_contains(?, report_id) ORDER BY report_id, idx", [ids])


def batch_totals(st: Store, ids: list[str]) -> dict[str, int]:
    """Findings by severity, agent findings and warnings over the given reports."""
    row = st.one(
        "SELECT"
        " (SELECT count(*) FROM findings WHERE list_contains($ids, report_id) AND severity = 'critical'),"
        " (SELECT count(*) FROM findings WHERE list_contains($ids, report_id) AND severity = 'important'),"
        " (SELECT count(*) FROM findings WHERE list_contains($ids, report_id) AND severity = 'suggestion'),"
        " (SELECT count(*) FROM agent_findings WHERE list_contains($ids, report_id)),"
        " (SELECT count(*) FROM parse_warnings WHERE list_contains($ids, report_id))",
        {"ids": ids},
    )
    c, i, s, a, w = row if row else (0, 0, 0, 0, 0)
    return {"critical": c, "important": i, "suggestion": s, "agent_findings": a, "warnings": w}


# -- ingest failures ---------------------------------------------------------------------------


def record_failures(st: Store, failures: list[tuple[str, str, str]]) -> None:
    """(source, content_hash, reason) rows; the newest reason wins for a (source, hash)."""
    if not failures:
        return
    with st.transaction():
        st.con.executemany(
            "INSERT OR REPLACE INTO ingest_failures (source, content_hash, reason, failed_at)"
            " VALUES (?, ?, ?, current_timestamp)", [list(f) for f in failures])


def clear_failures(st: Store, sources: list[str]) -> None:
    """Forget past failures of sources that now ingest cleanly."""
    if sources:
        st.execute("DELETE FROM ingest_failures WHERE list_contains(?, source)", [sources])


def list_failures(st: Store) -> pl.DataFrame:
    return st.frame("SELECT source, reason, failed_at FROM ingest_failures ORDER BY source")


def report_listing(st: Store, *, pr: int | str | None = None, since: str | None = None,
                   with_warnings: bool = False) -> dict[str, list[dict]]:
    """What `harness reports` prints: the reports, their warnings (when asked) and past failures.
    `pr`: a number (every repository's PR of that number) or `owner/name#N` (that PR only)."""
    repo, number = pr_ref(pr)
    frame = list_reports(st, pr=number, since=since, with_warnings=with_warnings, repo=repo)
    out = {"reports": frame.to_dicts()}
    if with_warnings:
        out["warnings"] = list_warnings(st, frame["id"].to_list()).to_dicts()
    out["failures"] = [dict(f, failed_at=str(f["failed_at"])) for f in list_failures(st).to_dicts()]
    return out


def reviewer_agents(st: Store) -> list[str]:
    """Every reviewer (agent) named by a stored report or with findings in one, for `replay:AGENT`."""
    return [r[0] for r in st.all("SELECT agent FROM reviewers UNION SELECT agent FROM agent_findings ORDER BY agent")]
