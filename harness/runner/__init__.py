"""The benchmark runner: programs or replayed reviews over the gold set, scored and stored.

`run_bench` lives in `harness.runner.bench`; this package init stays import-light so that
`harness.runner.models` can be used by the store without importing DSPy.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("run_bench", "BenchOptions"):
        from harness.runner import bench

        return getattr(bench, name)
    raise AttributeError(name)
