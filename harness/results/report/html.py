"""The html report: ONE self-contained file (inline CSS, inline SVG charts, a few lines of inline JS),
no network fetch, opens from disk.

Charts: precision / recall per reviewer (with 95% intervals), recall by severity, cost against
F1, and the line-tolerance sweep (recall at k = 0, 3, 10). The script only marks the page as
rendered (`data-charts` = charts:marks) and records a script error in `data-js-error`, which is
what the headless-Chromium test reads.
"""

from __future__ import annotations

import hashlib
from html import escape

from harness.lm.prices import fmt_cost

from harness.results.report.document import (CASE_HEADER, FAILURE_HEADER, BenchReport, Estimate, ReviewerSummary,
                                              case_rows, cases_by_report, failure_rows, summary_rows)

# metric series of the bar charts: greys and blues, apart from the reviewers' colours
SERIES = ("#1f3b5c", "#8fb3d9", "#7a1f1f", "#c9803a", "#9aa5ad")
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
W, H = 640, 300
ML, MR, MT, MB = 170, 20, 20, 40  # margins


def _e(x: object) -> str:
    return escape(str(x), quote=True)


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def reviewer_colors(labels: list[str]) -> dict[str, str]:
    """A colour per reviewer label that depends on the label, not on its position, so a reviewer
    keeps its colour in every chart and from one report to the next (collisions take the next free
    colour, in label order)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for label in sorted(set(labels)):
        i = int(hashlib.sha256(label.encode()).hexdigest()[:8], 16) % len(PALETTE)
        while PALETTE[i] in used and len(used) < len(PALETTE):
            i = (i + 1) % len(PALETTE)
        used.add(PALETTE[i])
        out[label] = PALETTE[i]
    return out


LABEL_CHARS = 24  # characters per line of a y-axis label (12 px text in the ML-wide margin)
SMALL_CHAR_W = 6.2  # generous width of one 10 px character, for legend layout


def _wrap(label: str, width: int = LABEL_CHARS) -> list[str]:
    """Label lines of at most `width` characters, broken at spaces (long words are split)."""
    lines: list[str] = []
    line = ""
    for word in label.split():
        while len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    if line or not lines:
        lines.append(line)
    return lines


def _legend(items: list[tuple[str, str]], top: float) -> tuple[list[str], float]:
    """Swatch + full label per item, flowed left to right in rows across the chart width; returns
    the elements and the height they take."""
    out, x, y, row_h = [], 10.0, top, 16
    for label, color in items:
        width = 14 + len(label) * SMALL_CHAR_W + 14
        if x > 10 and x + width > W - 10:
            x, y = 10.0, y + row_h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14:.1f}" y="{y + 9:.1f}" class="small">{_e(label)}</text>')
        x += width
    return out, (y - top + row_h if items else 0)


def _svg(title: str, body: list[str], height: float = H, legend: list[tuple[str, str]] | None = None) -> str:
    leg, extra = _legend(legend or [], height + 4)
    total = height + (extra + 8 if legend else 0)
    return (f'<figure><figcaption>{_e(title)}</figcaption>'
            f'<svg class="chart" role="img" aria-label="{_e(title)}" viewBox="0 0 {W} {total:.0f}" '
            f'width="{W}" height="{total:.0f}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(body) + "".join(leg) + "</svg></figure>")


def _x_axis(y: float, ticks: list[float], scale, fmt=lambda t: f"{t:.1f}") -> list[str]:
    out = [f'<line x1="{ML}" y1="{y}" x2="{W - MR}" y2="{y}" class="axis"/>']
    for t in ticks:
        x = scale(t)
        out.append(f'<line x1="{x:.1f}" y1="{MT}" x2="{x:.1f}" y2="{y}" class="grid"/>'
                   f'<text x="{x:.1f}" y="{y + 14}" class="small" text-anchor="middle">{_e(fmt(t))}</text>')
    return out


def _bars(title: str, reviewers: list[ReviewerSummary], series: list[tuple[str, str, callable]]) -> str | None:
    """Horizontal grouped bars on [0, 1]: one group per reviewer (its label wrapped, never cut), one
    bar per series (label, color, getter returning an Estimate). A series no reviewer has a value
    for is left out; a missing value is an absent bar, not an "n/a" row. None when nothing to draw."""
    series = [s for s in series if any(s[2](r).value is not None for r in reviewers)]
    if not reviewers or not series:
        return None
    labels = [_wrap(r.reviewer) for r in reviewers]
    groups = [max(14 * len(series) + 10, 14 * len(lines) + 8) for lines in labels]
    bottom = MT + sum(groups)
    scale = lambda v: ML + v * (W - ML - MR)  # noqa: E731
    body = _x_axis(bottom, [0, 0.25, 0.5, 0.75, 1.0], scale, lambda t: f"{t:.2f}")
    y0 = MT
    for r, lines, group in zip(reviewers, labels, groups):
        first = y0 + group / 2 - 14 * (len(lines) - 1) / 2 + 4
        body.append(f'<text x="{ML - 6}" y="{first:.1f}" class="label" text-anchor="end">'
                    + "".join(f'<tspan x="{ML - 6}" dy="{0 if i == 0 else 14}">{_e(line)}</tspan>'
                              for i, line in enumerate(lines))
                    + f'<title>{_e(r.reviewer)}</title></text>')
        bars_top = y0 + (group - 14 * len(series) + 4) / 2
        for j, (label, color, get) in enumerate(series):
            est: Estimate = get(r)
            if est.value is None:
                continue
            y = bars_top + j * 14
            width = scale(est.value) - ML
            tip = f"{r.reviewer} — {label}: {_fmt(est.value)}"
            if est.low is not None and est.high is not None:
                tip += f" [{_fmt(est.low)}, {_fmt(est.high)}]"
            body.append(f'<rect class="mark" x="{ML}" y="{y:.1f}" width="{max(width, 0.5):.1f}" height="12" '
                        f'fill="{color}"><title>{_e(tip)}</title></rect>')
            if est.low is not None and est.high is not None:
                a, b = scale(est.low), scale(est.high)
                body.append(f'<line x1="{a:.1f}" y1="{y + 6:.1f}" x2="{b:.1f}" y2="{y + 6:.1f}" class="whisker"/>'
                            f'<line x1="{a:.1f}" y1="{y + 2:.1f}" x2="{a:.1f}" y2="{y + 10:.1f}" class="whisker"/>'
                            f'<line x1="{b:.1f}" y1="{y + 2:.1f}" x2="{b:.1f}" y2="{y + 10:.1f}" class="whisker"/>')
        y0 += group
    return _svg(title, body, bottom + 22, [(lbl, c) for lbl, c, _ in series])


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


def _scatter(reviewers: list[ReviewerSummary], colors: dict[str, str]) -> str | None:
    """Cost against F1, for the reviewers with a known (non-zero) cost; None when no reviewer has one."""
    shown = [r for r in reviewers if r.kind != "replay" and (r.usage.cost or 0.0) > 0
             and (r.intervals.get("f1_strict") or Estimate(value=None)).value is not None]
    if not shown:
        return None
    top = max(r.usage.cost for r in shown)
    xs = lambda v: ML + (v / top) * (W - ML - MR - 40)  # noqa: E731
    body = _unit_frame()
    for t in (0, top / 2, top):
        body.append(f'<text x="{xs(t):.1f}" y="{H - MB + 18}" class="small" text-anchor="middle">${t:.4f}</text>')
    body.append(f'<text x="{(ML + W) / 2}" y="{H - 4}" class="small" text-anchor="middle">cost (USD, whole run)</text>'
                f'<text x="{ML - 40}" y="{MT + 4}" class="small" text-anchor="end">F1</text>')
    for r in shown:
        f1 = r.intervals["f1_strict"].value
        body.append(f'<circle class="mark" cx="{xs(r.usage.cost):.1f}" cy="{_unit_y(f1):.1f}" r="6" '
                    f'fill="{colors[r.reviewer]}"><title>{_e(r.reviewer)}: F1 {_fmt(f1)}, '
                    f'cost ${r.usage.cost:.4f}</title></circle>')
    return _svg("Cost against F1 (strict)", body, legend=[(r.reviewer, colors[r.reviewer]) for r in shown])


def _sweep(reviewers: list[ReviewerSummary], colors: dict[str, str]) -> str | None:
    ks = (0, 3, 10)
    xs = lambda k: ML + (k / 10) * (W - ML - MR - 60)  # noqa: E731
    body = _unit_frame()
    for k in ks:
        body.append(f'<text x="{xs(k):.1f}" y="{H - MB + 18}" class="small" text-anchor="middle">k={k}</text>')
    body.append(f'<text x="{(ML + W) / 2}" y="{H - 4}" class="small" text-anchor="middle">'
                'gold line range widened by ±k lines</text>'
                f'<text x="{ML - 40}" y="{MT + 4}" class="small" text-anchor="end">recall</text>')
    legend = []
    for r in reviewers:
        pts = [(xs(k), _unit_y(r.metrics.get(f"recall_k{k}"))) for k in ks if r.metrics.get(f"recall_k{k}") is not None]
        if not pts:
            continue
        c = colors[r.reviewer]
        body.append(f'<polyline class="mark" fill="none" stroke="{c}" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + f'"><title>{_e(r.reviewer)}</title></polyline>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"/>' for x, y in pts]
        legend.append((r.reviewer, c))
    if not legend:
        return None
    return _svg("Tolerance sweep: recall at k = 0, 3, 10", body, legend=legend)


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
  // every chart label inside its chart and clear of the others (what the Chromium test reads)
  var problems = [];
  charts.forEach(function (svg) {
    var vb = svg.viewBox.baseVal, boxes = [];
    svg.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox(), name = t.firstChild ? t.firstChild.textContent : '';
      if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > vb.width + 0.5 || b.y + b.height > vb.height + 0.5) {
        problems.push('cut: ' + name);
      }
      boxes.push([b, name]);
    });
    for (var i = 0; i < boxes.length; i++) {
      for (var j = i + 1; j < boxes.length; j++) {
        var a = boxes[i][0], c = boxes[j][0];
        if (a.x < c.x + c.width - 1 && c.x < a.x + a.width - 1 && a.y < c.y + c.height - 1 && c.y < a.y + a.height - 1) {
          problems.push('overlap: ' + boxes[i][1] + ' / ' + boxes[j][1]);
        }
      }
    }
  });
  document.body.setAttribute('data-label-problems', String(problems.length));
  if (problems.length) document.body.setAttribute('data-label-problem', problems[0]);
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
    colors = reviewer_colors([r.reviewer for r in revs])
    none = Estimate(value=None)
    parts = [f"<h1>Benchmark report</h1><p class=\"note\">Runs: {_e(', '.join(rep.runs))}. "
             f"Historical panel (replayed): {_e(', '.join(r.reviewer for r in revs if r.kind == 'replay') or 'none')}. "
             f"95% intervals: {rep.n_boot} bootstrap replicates over reports.</p>"]
    parts.append('<nav class="toc"><b>Contents</b><ul><li><a href="#charts">Charts</a></li>'
                 '<li><a href="#quality">Quality</a></li><li><a href="#acted-on">Acted on</a></li>'
                 + ('<li><a href="#cutoff">Before / after the training cut-off</a></li>'
                    if any(r.by_cutoff for r in revs) else "")
                 + '<li><a href="#cost">Cost, tokens, latency</a></li>'
                 + (f'<li><a href="#failures">Errors and parse failures</a> ({len(rep.failures)})</li>'
                    if rep.failures else "")
                 + f'<li><a href="#per-report">Per report</a> ({len(rep.reports)})</li></ul></nav>')
    parts.append('<h2 id="charts">Charts</h2>')
    charts = [
        _bars("Precision and recall per reviewer (95% intervals)", revs, [
            ("precision (strict)", SERIES[0], lambda r: r.intervals.get("precision_strict") or none),
            ("recall", SERIES[1], lambda r: r.intervals.get("recall") or none)]),
        _bars("Recall by severity", revs, [
            (s, SERIES[2 + i], (lambda s: lambda r: Estimate(value=r.metrics.get(f"recall_{s}")))(s))
            for i, s in enumerate(("critical", "important", "suggestion"))]),
        _scatter(revs, colors),
        _sweep(revs, colors)]
    parts += [c for c in charts if c is not None]
    if charts[2] is None:
        parts.append('<p class="note">No cost chart: no reviewer of this report has a known cost '
                     '(replayed reviewers and local models cost $0).</p>')
    parts.append('<h2 id="quality">Quality</h2>')
    parts.append(_html_table(
        ["Reviewer", "Kind", "Reports", "Precision (strict)", "Precision (lenient)", "Recall", "F1 (strict)",
         "F1 (lenient)", "Severity accuracy", "Over-call rate", "Known FPs re-raised", "Unique insights"],
        [[r.reviewer, r.kind, str(r.n_reports), _ci(r.intervals.get("precision_strict")),
          _ci(r.intervals.get("precision_lenient")), _ci(r.intervals.get("recall")),
          _ci(r.intervals.get("f1_strict")), _ci(r.intervals.get("f1_lenient")),
          _fmt(r.metrics.get("severity_accuracy")), _fmt(r.metrics.get("over_call_rate")),
          f"{r.known_fp_reraised}/{int(r.counts.get('n_known_fp', 0))}", f"{r.unique_insights}/{r.found}"]
         for r in revs]))
    parts.append('<h2 id="acted-on">Acted on: fixed findings, severity weight, cost per found issue</h2>')
    usd = lambda x: x if isinstance(x, str) else ("—" if x is None else f"${x:.4f}")  # noqa: E731
    parts.append(_html_table(
        ["Reviewer", "Recall", "Recall (fixed)", "Recall (severity-weighted)", "F1 (strict)",
         "Cost per true positive", "Cost per fixed finding found"],
        [[r.reviewer, _ci(r.intervals.get("recall")), _ci(r.intervals.get("recall_fixed")),
          _ci(r.intervals.get("recall_weighted")), _ci(r.intervals.get("f1_strict")),
          usd(r.cost_per_true_positive), usd(r.cost_per_fixed_found)] for r in revs]))
    cut = [r for r in revs if r.by_cutoff]
    if cut:
        parts.append('<h2 id="cutoff">Before / after the training cut-off</h2>')
        parts.append(_html_table(
            ["Reviewer", "Cut-off", "Reports before / after", "Recall before → after", "Recall (fixed) before → after",
             "F1 before → after", "Enough reports"],
            [[r.reviewer, r.cutoff or "—", f"{b.n_reports} / {a.n_reports}",
              *(f"{_ci(b.intervals.get(m))} → {_ci(a.intervals.get(m))}" for m in ("recall", "recall_fixed", "f1_strict")),
              "yes" if a.enough and b.enough else "too few reports to tell"]
             for r in cut for b, a in [(r.by_cutoff["before"], r.by_cutoff["after"])]]))
    parts.append('<h2 id="cost">Cost, tokens, latency</h2>')
    parts.append(_html_table(
        ["Reviewer", "Cases", "Scored", "Errors", "Tokens in", "Tokens out", "Cost", "Latency p50", "Latency p95",
         "Tool calls", "Cache hits"],
        [[r.reviewer, str(u.cases), str(u.scored), str(u.errors)] + (
            ["—"] * 7 if r.kind == "replay" else
            [f"{u.input_tokens:,}", f"{u.output_tokens:,}", fmt_cost(u.cost), _fmt(u.latency_p50) + " s",
             _fmt(u.latency_p95) + " s", str(u.tool_calls), str(u.cache_hits)]) for r in revs for u in [r.usage]]))
    parts.append('<p class="note">Replayed reviewers make no model call: cost, tokens and latency are not '
                 'measured for them.</p>')
    if rep.consolidation is not None:
        from harness.results.consolidation import section_html

        parts.append(section_html(rep.consolidation))
    if rep.failures:
        parts.append(f'<h2 id="failures">Errors and parse failures ({len(rep.failures)})</h2>')
        parts.append(_html_table(FAILURE_HEADER, failure_rows(rep.failures)))
    by_report = cases_by_report(rep)
    parts.append('<h2 id="per-report">Per report</h2><ul class="toc-reports">'
                 + "".join(f'<li><a href="#r-{_e(t.report_id)}">{_e(t.report_id)}</a></li>' for t in rep.reports)
                 + "</ul>")
    for t in rep.reports:
        parts.append(f'<h3 id="r-{_e(t.report_id)}">{_e(t.report_id)}</h3>')
        parts.append(_html_table(*summary_rows(t)))
        mine = by_report.get(t.report_id, [])
        if mine:  # what each reviewer found, missed and raised besides
            parts.append(_html_table(CASE_HEADER, case_rows(mine)))
    parts.append('<p class="note">† carried over from the published Summary table. '
                 + " ".join(_e(n) for n in rep.notes) + "</p>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>harness benchmark report</title><style>{_CSS}</style><script>{_JS}</script></head>"
            f"<body>{''.join(parts)}</body></html>\n")
