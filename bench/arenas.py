"""`--arenas one|default` for the benchmarks: one malloc arena as the `harness` command sets
(harness.core.allocator), or glibc's default to compare.

Applied when this module is imported, from the command line: import it before anything that
imports polars or DuckDB (their threads take arenas of their own, as they would in the command).
"""

from __future__ import annotations

import argparse
import sys

import harness.core.allocator as _allocator


def _choice(argv: list[str]) -> str:
    for i, a in enumerate(argv):
        if a == "--arenas" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--arenas="):
            return a.split("=", 1)[1]
    return "one"


CHOICE = _choice(sys.argv[1:])
if CHOICE == "one":
    TAKEN = _allocator.limit_malloc_arenas()
else:  # Store would otherwise set it on its first open
    _allocator.keep_default_arenas()
    TAKEN = False


def add_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--arenas", choices=("one", "default"), default="one",
                    help="one malloc arena as the harness command sets (default), or glibc's default")


def describe() -> str:
    return f"malloc arenas: {CHOICE}" + (" (not available here)" if CHOICE == "one" and not TAKEN else "")
