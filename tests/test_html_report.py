"""The html report without a browser: stable reviewer colours, no n/a rows, no cost chart without costs,
full labels (wrapped, never cut), a contents list."""

from __future__ import annotations

import re

from harness.results.report.html import reviewer_colors, to_html
from tests.html_fixture import NAMES, six_reviewers


def test_a_reviewer_keeps_its_colour_whatever_the_order_or_company():
    a = reviewer_colors(NAMES)
    b = reviewer_colors(list(reversed(NAMES)))
    assert a == b and len(set(a.values())) == len(NAMES)
    alone = reviewer_colors(["Claude", "Gemini"])
    assert alone["Claude"] == reviewer_colors(["Claude", "Codex", "Gemini"])["Claude"]
    html = to_html(six_reviewers())
    for name in ("cot · anthropic/claude-sonnet-4-5-20250929", "single · openai/gpt-4.1-mini-2025-04-14"):
        # the scatter dot of a reviewer has the colour of its sweep line
        color = a[name]
        assert html.count(f'fill="{color}"') >= 2 and f'stroke="{color}"' in html


def test_no_na_rows_and_full_labels():
    html = to_html(six_reviewers())
    assert "n/a" not in html and "…" not in html
    assert ">critical<" not in html  # no reviewer has a critical recall: the series is left out
    for name in NAMES:  # every label in full: in a legend, or as the wrapped lines of a bar group
        assert f"<title>{name}" in html or f">{name}<" in html
    assert '<tspan x="164" dy="14">' in html  # long labels wrap onto further lines


def test_cost_chart_only_with_known_costs():
    assert "Cost against F1" in to_html(six_reviewers())
    html = to_html(six_reviewers(costs=(0.0,) * 6))
    assert "Cost against F1" not in html and "No cost chart" in html


def test_contents_list_links_every_section_and_report():
    html = to_html(six_reviewers())
    anchors = set(re.findall(r'href="#([^"]+)"', html))
    ids = set(re.findall(r'id="([^"]+)"', html))
    assert anchors and anchors <= ids
    assert {"charts", "quality", "cost", "per-report", "r-20250101-000001-pr-1"} <= anchors
