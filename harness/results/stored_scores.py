"""Read a run's stored scores under one scored view: what `report`, `compare` and `gate` show.

Scores are computed once, by the runner as each case finishes (the run's own view), or by
`harness rescore` (another view, stored beside it). Nothing here scores, runs a model or a
replay, or writes: a view that was never stored is a clear error naming the rescore command.
"""

from __future__ import annotations

from typing import Any, Mapping

import polars as pl

from harness.benchmark.case_score import View, require_view, run_view, view_of
from harness.store import Store

__all__ = ["View", "read_scores", "run_view", "view_of"]


def read_scores(st: Store, run: Mapping[str, Any], view: View) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per-case scores frame, gold labels frame) of a stored run under `view`."""
    from harness.store.scores import labels_frame, scores_frame

    require_view(st, run, view)
    rid = run["run_id"]
    return (scores_frame(st, [rid], scorer=view.scorer, args_hash=view.args_hash),
            labels_frame(st, [rid], side="gold", scorer=view.scorer, args_hash=view.args_hash))
