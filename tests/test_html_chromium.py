"""The html report in headless Chromium: charts rendered, screenshot not blank, no script error.

Skipped only where no Chromium binary is installed (CI installs Debian's `chromium`).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.report_fixture import demo_once

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [pytest.mark.chromium, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium installed")]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """(width, height, decompressed scanlines) of a PNG, with the standard library only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (n,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return width, height, zlib.decompress(idat)


def _render(tmp_path: Path, html: Path) -> tuple[str, str, Path]:
    shot = tmp_path / "shot.png"
    r1 = _chromium(tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", html.as_uri())
    r2 = _chromium(tmp_path, "--dump-dom", html.as_uri())
    return r2.stdout, r1.stderr + r2.stderr, shot


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]


def test_report_html_renders_its_charts(tmp_path_factory, tmp_path):
    demo = demo_once(tmp_path_factory)
    html = Path(demo.out_dir) / "report.html"
    dom, log, shot = _render(tmp_path, html)
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    charts = re.search(r'data-charts="(\d+):(\d+)"', body.group(1))
    n_charts = html.read_text().count('<svg class="chart"')  # 3, or 4 with a cost chart
    assert charts and int(charts.group(1)) == n_charts >= 3 and int(charts.group(2)) >= n_charts * 4
    assert 'data-label-problems="0"' in body.group(1), body.group(1)
    assert "data-js-error" not in body.group(1)
    assert _console_errors(log) == []
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1200, 1600)
    # a blank page decompresses to filter bytes and one colour; the charts bring many
    assert len(set(pixels)) > 32


def test_the_check_catches_a_script_error(tmp_path):
    from harness.results.report.html import _JS

    bad = tmp_path / "bad.html"
    bad.write_text(f"<!DOCTYPE html><html><head><script>{_JS}</script></head><body><p>x</p>"
                   "<script>undefinedFunction();</script></body></html>")
    dom, log, _ = _render(tmp_path, bad)
    assert "data-js-error" in dom
    assert _console_errors(log)


def test_six_reviewer_report_screenshot(tmp_path):
    """Six reviewers with long labels: every chart label inside its chart and clear of the others
    (measured by the page in Chromium's layout), and a screenshot with the charts drawn."""
    from harness.results.report.html import to_html
    from tests.html_fixture import six_reviewers

    html = tmp_path / "six.html"
    html.write_text(to_html(six_reviewers()))
    dom, log, shot = _render(tmp_path, html)
    body = re.search(r"<body([^>]*)>", dom)
    assert body, dom[:500]
    attrs = body.group(1)
    assert 'data-charts="4:' in attrs, attrs
    assert 'data-label-problems="0"' in attrs, attrs
    assert "data-js-error" not in attrs and _console_errors(log) == []
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1200, 1600) and len(set(pixels)) > 32


def test_the_label_check_catches_an_overlap(tmp_path):
    from harness.results.report.html import _JS

    bad = tmp_path / "overlap.html"
    bad.write_text(f"<!DOCTYPE html><html><head><script>{_JS}</script></head><body>"
                   '<svg class="chart" viewBox="0 0 200 100" width="200" height="100">'
                   '<text x="10" y="50">first label</text><text x="14" y="52">second label</text>'
                   '<text x="150" y="90">cut off at the edge</text></svg></body></html>')
    dom, _, _ = _render(tmp_path, bad)
    problems = re.search(r'data-label-problems="(\d+)"', dom)
    assert problems and int(problems.group(1)) >= 2
