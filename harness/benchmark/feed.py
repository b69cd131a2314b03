"""The cases of a run, streamed from the store a chunk of reports at a time.

Only the (report id, epoch) pairs to run are held up front. A chunk brings its cases (with their
diffs), reports, golds and memoised results in a few short reads; a report and its gold are
released when the last of its cases is stored. So a run's memory does not grow with its
length, and the store is free for other processes between chunks.
"""

from __future__ import annotations

from typing import Any, Iterator

from harness.core.runs import RunConfig
from harness.store import Store

CHUNK = 128  # reports per read: large enough to amortise a query, small enough to stay flat


class CaseFeed:
    """Yields (case, report, epoch, memo key or None, memoised value or None) for every pair of `todo`.

    `golds` is the dict the run's scorer reads: the feed adds each chunk's golds to it and
    removes a report's gold once `finished` was called for each of its yielded cases. With
    `preloaded` (consolidate cases by report id) cases come from there instead of the store.
    """

    def __init__(self, store: Store, cfg: RunConfig, todo: list[tuple[str, int]], golds: dict[str, Any], *,
                 preloaded: dict[str, Any] | None = None, memoise: bool = False, chunk: int = CHUNK):
        self.store = store
        self.cfg = cfg
        self.golds = golds
        self.preloaded = preloaded
        self.memoise = memoise
        self.chunk = chunk
        self.total = len(todo)
        self._epochs: dict[str, list[int]] = {}
        for rid, e in todo:
            self._epochs.setdefault(rid, []).append(e)
        self._left: dict[str, int] = {}  # report id -> its cases yielded or to yield, not yet finished

    def finished(self, report_id: str) -> None:
        n = self._left.get(report_id)
        if n is None:
            return
        if n <= 1:
            del self._left[report_id]
            self.golds.pop(report_id, None)
        else:
            self._left[report_id] = n - 1

    def __iter__(self) -> Iterator[tuple[Any, Any, int, str | None, dict | None]]:
        from harness.gold.build import build_golds
        from harness.store.memo import memo_get_many

        ids = list(self._epochs)
        assigned = None
        for i in range(0, len(ids), self.chunk):
            part = ids[i:i + self.chunk]
            if self.preloaded is not None:
                from harness.store.gold import iter_reports

                pairs = [(self.preloaded[r.id], r) for r in iter_reports(self.store, part)]
            else:
                from harness.benchmark.dataset import DEFAULT_SPLIT_NAME, cases_of
                from harness.store.inputs import split_assignments

                if assigned is None:
                    assigned = split_assignments(self.store, DEFAULT_SPLIT_NAME)
                pairs = cases_of(self.store, part, assigned=assigned)
            golds = build_golds(self.store, part, {r.id: r for _, r in pairs})
            self.golds.update(golds)
            keys: dict[tuple[str, int], str] = {}
            if self.memoise:
                from harness.core import memo

                for case, report in pairs:
                    if case.runnable and report.id in golds:
                        gid = memo.gold_identity(golds[report.id])
                        for e in self._epochs[report.id]:
                            keys[(report.id, e)] = memo.case_key(self.cfg, case.inputs, e, gid)
            found = memo_get_many(self.store, list(keys.values())) if keys else {}
            for case, report in pairs:
                epochs = self._epochs.pop(report.id)
                self._left[report.id] = len(epochs)
                for e in epochs:
                    k = keys.get((report.id, e))
                    yield case, report, e, k, found.get(k) if k else None
            del pairs, golds, keys, found
