"""The html report: ONE self-contained file (inline CSS, inline SVG charts, a few lines of inline JS),
no network fetch, opens from disk.

Charts: precision / recall per reviewer (with 95% intervals), recall by severity, cost against
F1, and the line-tolerance sweep (recall at k = 0, 3, 10). The script only marks the page as
rendered (`data-charts` = charts:marks) and records a script error in `data-js-error`, which is
what the headless-Chromium test reads.
"""

from __future__ import annotations

from html import escape

from harness.results.report.document import BenchReport, Estimate, ReviewerSummary

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
W, H = 640, 300
ML, MR, MT, MB = 170, 20, 20, 40  # margins


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _short(label: str, n: int = 24) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _svg(title: str, body: list[str], height: int = H, legend: list[tuple[str, str]] | None = None) -> str:
    leg = ""
    if legend:
        items = []
        for i, (label, color) in enumerate(legend):
            x = ML + i * 150
            items.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{color}"/>'
                         f'<text x="{x + 14}" y="{height - 5}" class="small">{_e(label)}</text>')
        leg = "".join(items)
    return (f'<figure><figcaption>{_e(title)}</figcaption>'
            f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {W} {height}" '
            f'width="{W}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(body) + leg + "</svg></figure>")


def _x_axis(y: float, ticks: list[float], scale, fmt=lambda t: f"{t:.1f}") -> list[str]:
    out = [f'<line x1="{ML}" y1="{y}" x2="{W - MR}" y2="{y}" class="axis"/>']
    for t in ticks:
        x = scale(t)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{y}" class="grid"/>'
                   f'<text x="{x:.1f}" y="{y + 14}" class="small" text-anchor="middle">{_e(fmt(t))}</text>')
    return out


def _bars(title: str, reviewers: list[ReviewerSummary], series: list[tuple[str, str, callable]]) -> str:
    """Horizontal grouped bars on [0, 1]: one group per reviewer, one bar per series (label, color,
    getter returning an Estimate)."""
    n = max(len(reviewers), 1)
    group = 14 * len(series) + 10
    height = MT + n * group + MB + 10
    scale = lambda v: ML + v * (W - ML - MR)  # noqa: E731
    body = _x_axis(MT + n * group, [0, 0.25, 0.5, 0.75, 1.0], scale, lambda t: f"{t:.2f}")
    for i, r in enumerate(reviewers):
        y0 = MT + i * group
        body.append(f'<text x="{ML - 6}" y="{y0 + group / 2}" class="label" text-anchor="end">'
                    f'{_e(_short(r.reviewer))}<title>{_e(r.reviewer)}</title></text>')
        for j, (label, color, get) in enumerate(series):
            est: Estimate = get(r)
            y = y0 + 4 + j * 14
            if est.value is None:
                body.append(f'<text x="{ML + 4}" y="{y + 10}" class="small">{_e(label)}: n/a</text>')
                continue
            width = scale(est.value) - ML
            tip = f"{r.reviewer} — {label}: {_fmt(est.value)}"
            if est.low is not None and est.high is not None:
                tip += f" [{_fmt(est.low)}, {_fmt(est.high)}]"
            body.append(f'<rect class="mark" x="{ML}" y="{y}" width="{max(width, 0.5):.1f}" height="12" '
                        f'fill="{color}"><title>{_e(tip)}</title></rect>')
            if est.low is not None and est.high is not None:
                a, b = scale(est.low), scale(est.high)
                body.append(f'<line x1="{a:.1f}" y1="{y + 6}" x2="{b:.1f}" y2="{y + 6}" class="whisker"/>'
                            f'<line x1="{a:.1f}" y1="{y + 2}" x2="{a:.1f}" y2="{y + 10}" class="whisker"/>'
                            f'<line x1="{b:.1f}" y1="{y + 2}" x2="{b:.1f}" y2="{y + 10}" class="whisker"/>')
    return _svg(title, body, height + 16, [(lbl, c) for lbl, c, _ in series])


def _unit_y(v: float) -> float:
    """y of a value in [0, 1] in the plot area of the scatter and sweep charts."""
    return H - MB - v * (H - MT - MB)


def _unit_frame() -> list[str]:
    """Axes and horizontal grid of a chart whose y axis is [0, 1]."""
    body = [f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" class="axis"/>',
            f'<line x1="{ML}" y1="{MT}" x2="{ML}" y2="{H - MB}" class="axis"/>']
    for t in (0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<text x="{ML - 6}" y="{_unit_y(t) + 4:.1f}" class="small" text-anchor="end">{t:.2f}</text>'
                    f'<line x1="{ML}" y1="{_unit_y(t):.1f}" x2="{W - MR}" y2="{_unit_y(t):.1f}" class="grid"/>')
    return body


def _scatter(reviewers: list[ReviewerSummary], colors: dict[str, str]) -> str:
    costs = [r.usage.cost for r in reviewers]
    top = max(costs) if costs and max(costs) > 0 else 1.0
    xs = lambda v: ML + (v / top) * (W - ML - MR - 40)  # noqa: E731
    body = _unit_frame()
    for t in (0, top / 2, top):
        body.append(f'<text x="{xs(t):.1f}" y="{H - MB + 14}" class="small" text-anchor="middle">${t:.4f}</text>')
    body.append(f'<text x="{(ML + W) / 2}" y="{H - 8}" class="small" text-anchor="middle">cost (USD, whole run;'
                ' replays and local models cost $0)</text>'
                f'<text x="{ML - 40}" y="{MT + 4}" class="small" text-anchor="end">F1</text>')
    for i, r in enumerate(reviewers):
        f1 = r.intervals.get("f1_strict")
        if f1 is None or f1.value is None:
            continue
        x, y = xs(r.usage.cost), _unit_y(f1.value)
        body.append(f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colors[r.run_id]}">'
                    f'<title>{_e(r.reviewer)}: F1 {_fmt(f1.value)}, cost ${r.usage.cost:.4f}</title></circle>'
                    f'<text x="{x + 9:.1f}" y="{y + 4 + (i % 3) * 9 - 9:.1f}" class="small">{_e(_short(r.reviewer))}</text>')
    return _svg("Cost against F1 (strict)", body)


def _sweep(reviewers: list[ReviewerSummary], colors: dict[str, str]) -> str:
    ks = (0, 3, 10)
    xs = lambda k: ML + (k / 10) * (W - ML - MR - 60)  # noqa: E731
    body = _unit_frame()
    for k in ks:
        body.append(f'<text x="{xs(k):.1f}" y="{H - MB + 14}" class="small" text-anchor="middle">k={k}</text>')
    body.append(f'<text x="{(ML + W) / 2}" y="{H - 8}" class="small" text-anchor="middle">'
                'gold line range widened by ±k lines</text>'
                f'<text x="{ML - 40}" y="{MT + 4}" class="small" text-anchor="end">recall</text>')
    for r in reviewers:
        pts = [(xs(k), _unit_y(r.metrics.get(f"recall_k{k}"))) for k in ks if r.metrics.get(f"recall_k{k}") is not None]
        if not pts:
            continue
        c = colors[r.run_id]
        body.append(f'<polyline class="mark" fill="none" stroke="{c}" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + f'"><title>{_e(r.reviewer)}</title></polyline>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>' for x, y in pts]
        body.append(f'<text x="{pts[-1][0] + 6:.1f}" y="{pts[-1][1] + 4:.1f}" class="small">{_e(_short(r.reviewer, 14))}</text>')
    return _svg("Tolerance sweep: recall at k = 0, 3, 10", body)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;
color:#222;background:#fff;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
figure{display:inline-block;margin:8px 16px 16px 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:4px}
svg .axis{stroke:#444;stroke-width:1}svg .grid{stroke:#e6e6e6;stroke-width:1}svg .whisker{stroke:#222;stroke-width:1.2}
svg .label{font-size:12px;fill:#222}svg .small{font-size:10px;fill:#555}.note{color:#666;font-size:12px}
"""

_JS = """
window.addEventListener('error', function (e) {
  document.body.setAttribute('data-js-error', String(e.message || e));
});
document.addEventListener('DOMContentLoaded', function () {
  var charts = document.querySelectorAll('svg.chart');
  var marks = document.querySelectorAll('svg.chart .mark');
  document.body.setAttribute('data-charts', charts.length + ':' + marks.length);
});
"""


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in header)
    b = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


def _ci(e: Estimate | None) -> str:
    if e is None or e.value is None:
        return "—"
    if e.low is None:
        return _fmt(e.value)
    return f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"


def to_html(rep: BenchReport) -> str:
    revs = rep.reviewers
    colors = {r.run_id: PALETTE[i % len(PALETTE)] for i, r in enumerate(revs)}
    none = Estimate(value=None)
    parts = [f"<h1>Benchmark report</h1><p class=\"note\">Runs: {_e(', '.join(rep.runs))}. "
             f"Historical panel (replayed): {_e(', '.join(r.reviewer for r in revs if r.kind == 'replay') or 'none')}. "
             f"95% intervals: {rep.n_boot} bootstrap replicates over reports.</p>"]
    parts.append("<h2>Charts</h2>")
    parts.append(_bars("Precision and recall per reviewer (95% intervals)", revs, [
        ("precision (strict)", PALETTE[0], lambda r: r.intervals.get("precision_strict") or none),
        ("recall", PALETTE[1], lambda r: r.intervals.get("recall") or none)]))
    parts.append(_bars("Recall by severity", revs, [
        (s, PALETTE[3 + i], (lambda s: lambda r: Estimate(value=r.metrics.get(f"recall_{s}")))(s))
        for i, s in enumerate(("critical", "important", "suggestion"))]))
    parts.append(_scatter(revs, colors))
    parts.append(_sweep(revs, colors))
    parts.append("<h2>Quality</h2>")
    parts.append(_html_table(
        ["Reviewer", "Kind", "Reports", "Precision (strict)", "Precision (lenient)", "Recall", "F1 (strict)",
         "F1 (lenient)", "Severity accuracy", "Over-call rate", "Known FPs re-raised", "Unique insights"],
        [[r.reviewer, r.kind, str(r.n_reports), _ci(r.intervals.get("precision_strict")),
          _ci(r.intervals.get("precision_lenient")), _ci(r.intervals.get("recall")),
          _ci(r.intervals.get("f1_strict")), _ci(r.intervals.get("f1_lenient")),
          _fmt(r.metrics.get("severity_accuracy")), _fmt(r.metrics.get("over_call_rate")),
          f"{r.known_fp_reraised}/{int(r.counts.get('n_known_fp', 0))}", f"{r.unique_insights}/{r.found}"]
         for r in revs]))
    parts.append("<h2>Acted on: fixed findings, severity weight, cost per found issue</h2>")
    usd = lambda x: x if isinstance(x, str) else ("—" if x is None else f"${x:.4f}")  # noqa: E731
    parts.append(_html_table(
        ["Reviewer", "Recall", "Recall (fixed)", "Recall (severity-weighted)", "F1 (strict)",
         "Cost per true positive", "Cost per fixed finding found"],
        [[r.reviewer, _ci(r.intervals.get("recall")), _ci(r.intervals.get("recall_fixed")),
          _ci(r.intervals.get("recall_weighted")), _ci(r.intervals.get("f1_strict")),
          usd(r.cost_per_true_positive), usd(r.cost_per_fixed_found)] for r in revs]))
    cut = [r for r in revs if r.by_cutoff]
    if cut:
        parts.append("<h2>Before / after the training cut-off</h2>")
        parts.append(_html_table(
            ["Reviewer", "Cut-off", "Reports before / after", "Recall before → after", "Recall (fixed) before → after",
             "F1 before → after", "Enough reports"],
            [[r.reviewer, r.cutoff or "—", f"{b.n_reports} / {a.n_reports}",
              *(f"{_ci(b.intervals.get(m))} → {_ci(a.intervals.get(m))}" for m in ("recall", "recall_fixed", "f1_strict")),
              "yes" if a.enough and b.enough else "too few reports to tell"]
             for r in cut for b, a in [(r.by_cutoff["before"], r.by_cutoff["after"])]]))
    parts.append("<h2>Cost, tokens, latency</h2>")
    parts.append(_html_table(
        ["Reviewer", "Cases", "Scored", "Errors", "Tokens in", "Tokens out", "Cost", "Latency p50", "Latency p95",
         "Tool calls", "Cache hits"],
        [[r.reviewer, str(u.cases), str(u.scored), str(u.errors)] + (
            ["—"] * 7 if r.kind == "replay" else
            [f"{u.input_tokens:,}", f"{u.output_tokens:,}", f"${u.cost:.4f}", _fmt(u.latency_p50) + " s",
             _fmt(u.latency_p95) + " s", str(u.tool_calls), str(u.cache_hits)]) for r in revs for u in [r.usage]]))
    parts.append('<p class="note">Replayed reviewers make no model call: cost, tokens and latency are not '
                 'measured for them.</p>')
    if rep.consolidation is not None:
        from harness.results.consolidation import section_html

        parts.append(section_html(rep.consolidation))
    parts.append("<h2>Per report</h2>")
    for t in rep.reports:
        tbl = t.table
        labels = [tbl.column_labels[i] if i < len(tbl.column_labels) else c for i, c in enumerate(tbl.columns)]
        parts.append(f"<h3>{_e(t.report_id)}</h3>")
        parts.append(_html_table([""] + labels, [[row.metric] + [row.cells[c].raw if c in row.cells else "—"
                                                                 for c in tbl.columns] for row in tbl.rows]))
    parts.append('<p class="note">† carried over from the published Summary table. '
                 + " ".join(_e(n) for n in rep.notes) + "</p>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>harness benchmark report</title><style>{_CSS}</style><script>{_JS}</script></head>"
            f"<body>{''.join(parts)}</body></html>\n")
