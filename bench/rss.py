"""RSS of this process and the least-squares growth of a series of samples (memory benchmarks)."""

from __future__ import annotations

from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per 1,000 cases through (cases done, RSS MB) points."""
    if len(points) < 2:
        return float("nan")
    mx = sum(d for d, _ in points) / len(points)
    my = sum(r for _, r in points) / len(points)
    var = sum((d - mx) ** 2 for d, _ in points)
    return sum((d - mx) * (r - my) for d, r in points) / var * 1000 if var else float("nan")
