"""SQL for the gold set: reports and their flat projections."""

from __future__ import annotations

import json

import polars as pl

from harness.errors import NotFound
from harness.hashing import canonical_json
from harness.models import Finding, Report
from harness.store import Store

_CHILD_TABLES = (
    "reviewers", "findings", "agent_findings", "observations",
    "retro_cells", "resolutions", "parse_warnings",
)


def _locs(f: Finding) -> list[dict]:
    return [l.model_dump() for l in f.locations]


def put_report(st: Store, report: Report) -> str:
    """Insert or replace one report and all its rows, in one transaction.

    Returns "unchanged" (same content hash already stored), "replaced" or "new".
    """
    row = st.one("SELECT content_hash FROM reports WHERE id = ?", [report.id])
    if row and row[0] == report.content_hash:
        return "unchanged"
    with st.transaction():
        _delete(st, report.id)
        retro = report.published_retro
        st.execute(
            "INSERT INTO reports (id, source, content_hash, date, repo, pr, round, branch,"
            " has_retro, n_warnings, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [report.id, report.source, report.content_hash, report.date, report.repo, report.pr,
             report.round, report.branch, bool(retro.present and retro.summary is not None),
             len(report.warnings), canonical_json(report)],
        )
        rid = report.id
        if report.reviewers:
            st.con.executemany(
                "INSERT INTO reviewers VALUES (?,?,?,?,?,?)",
                [[rid, i, r.agent, r.model, r.effort, r.available] for i, r in enumerate(report.reviewers)],
            )
        if report.findings:
            st.con.executemany(
                "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?)",
                [[rid, i, f.id, f.severity.value, f.title, f.agents, _locs(f), f.body, f.tags,
                  f.reconciliation] for i, f in enumerate(report.findings)],
            )
        af = []
        for ar in report.agent_reviews:
            for i, f in enumerate(ar.findings):
                af.append([rid, ar.agent, ar.model, ar.pass_, i, f.id, f.severity.value, f.title,
                           _locs(f), f.body, f.tags, f.withdrawn])
        if af:
            # several passes of one agent share (report, agent): keep idx unique across them
            seen: dict[str, int] = {}
            for r in af:
                n = seen.get(r[1], 0)
                r[4] = n
                seen[r[1]] = n + 1
            st.con.executemany("INSERT INTO agent_findings VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", af)
        if report.observations:
            st.con.executemany(
                "INSERT INTO observations VALUES (?,?,?,?,?,?)",
                [[rid, i, o.kind.value, o.title, o.text, o.agents] for i, o in enumerate(report.observations)],
            )
        if retro.summary is not None:
            cells = {}
            for r in retro.summary.rows:
                for agent, c in r.cells.items():
                    cells[(r.metric, agent)] = [rid, r.metric, agent, c.raw, json.dumps(c.value)]
            if cells:
                st.con.executemany("INSERT INTO retro_cells VALUES (?,?,?,?,?)", list(cells.values()))
        if report.resolutions:
            st.con.executemany(
                "INSERT INTO resolutions VALUES (?,?,?,?,?,?)",
                [[rid, i, r.ref, r.action, r.note, r.finding_ids] for i, r in enumerate(report.resolutions)],
            )
        if report.warnings:
            st.con.executemany(
                "INSERT INTO parse_warnings VALUES (?,?,?,?)",
                [[rid, i, w.where, w.message] for i, w in enumerate(report.warnings)],
            )
    return "replaced" if row else "new"


def _delete(st: Store, report_id: str) -> None:
    for t in _CHILD_TABLES:
        st.execute(f"DELETE FROM {t} WHERE report_id = ?", [report_id])
    st.execute("DELETE FROM reports WHERE id = ?", [report_id])


def get_report(st: Store, report_id: str) -> Report:
    row = st.one("SELECT doc FROM reports WHERE id = ?", [report_id])
    if row is None:
        raise NotFound(f"no report with id {report_id!r} in {st.path}", hint="see `harness reports`")
    return Report.model_validate_json(row[0])


def iter_reports(st: Store, ids: list[str] | None = None):
    """Yield stored reports (all, or the given ids) ordered by id."""
    if ids is None:
        rows = st.all("SELECT doc FROM reports ORDER BY id")
    else:
        rows = st.all("SELECT doc FROM reports WHERE list_contains(?, id) ORDER BY id", [ids])
    for (doc,) in rows:
        yield Report.model_validate_json(doc)


def report_ids(st: Store) -> list[str]:
    return [r[0] for r in st.all("SELECT id FROM reports ORDER BY id")]


def list_reports(st: Store) -> pl.DataFrame:
    return st.frame(
        "SELECT r.id, r.date, r.pr, r.round, r.has_retro, r.n_warnings,"
        " (SELECT count(*) FROM findings f WHERE f.report_id = r.id) AS findings,"
        " (SELECT count(*) FROM agent_findings a WHERE a.report_id = r.id) AS agent_findings,"
        " r.source FROM reports r ORDER BY r.id"
    )
