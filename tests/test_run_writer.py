"""The run's writer: each case stored once, and a cache-key filter that never forgets a key."""

from __future__ import annotations

import hashlib
import random

from hypothesis import given, strategies as st_

from harness.core.runs import CaseResult, CaseStatus, RunConfig
from harness.store.runs import KeyFilter, RunWriter, create_run
from runner_data import report


def _case(run_id: str, report_id: str, epoch: int = 0, error: str | None = None) -> CaseResult:
    return CaseResult(run_id=run_id, report_id=report_id, epoch=epoch, status=CaseStatus.error,
                      error=error or f"{report_id}/{epoch}")


def _stored(store, run_id):
    return store.all("SELECT report_id, epoch, error FROM run_cases WHERE run_id = ? ORDER BY report_id, epoch",
                     [run_id])


def test_a_case_is_stored_once_within_a_batch_across_batches_and_across_writers(store):
    create_run(store, "r1", RunConfig(model="m", program="single", split="all"), 3)
    first = RunWriter(store, flush_s=5.0)
    first.case(_case("r1", "a"))
    first.case(_case("r1", "a", error="again"))  # the same case twice in one batch: the first stays
    first.case(_case("r1", "b", epoch=1))
    first.flush()
    first.case(_case("r1", "b", epoch=1, error="later"))  # a later batch
    first.case(_case("r1", "b", epoch=0))
    first.close()
    second = RunWriter(store)  # e.g. another process resuming the same run
    second.case(_case("r1", "a", error="other process"))
    second.case(_case("r1", "c"))
    second.close()
    assert _stored(store, "r1") == [("a", 0, "a/0"), ("b", 0, "b/0"), ("b", 1, "b/1"), ("c", 0, "c/0")]
    assert (first.written_cases, second.written_cases) == (3, 1)


def _scored(run_id: str, report_id: str, title: str) -> CaseResult:
    from harness.core.models import Finding, Location, Severity
    from scorers import gold_for_report, score

    gold = gold_for_report(report(1))
    found = [Finding(id=str(i), severity=Severity.important, title=f"{title} {i}",
                     locations=[Location(path="src/mod_1.py", line_start=10 + i)]) for i in range(2)]
    return CaseResult(run_id=run_id, report_id=report_id, epoch=0, status=CaseStatus.ok, findings=found,
                      score=score(gold, found))


def test_a_stored_case_keeps_its_one_set_of_predictions_and_labels(store):
    """Predictions and score labels have no key of their own (migration 0017): the case's key in
    `run_cases` is what keeps them single, however often the case reaches a writer."""
    create_run(store, "r1", RunConfig(model="m", program="single", split="all"), 2)
    first = RunWriter(store, flush_s=5.0)
    first.case(_scored("r1", "a", "first"))
    first.case(_scored("r1", "a", "same batch"))
    first.flush()
    first.case(_scored("r1", "a", "later batch"))  # with a new case: the batch writes child rows
    first.case(_scored("r1", "b", "new"))
    first.close()
    second = RunWriter(store)
    second.case(_scored("r1", "a", "other process"))
    second.close()
    preds = store.all("SELECT report_id, idx, title FROM run_predictions WHERE run_id = 'r1' ORDER BY ALL")
    labels = store.all("SELECT report_id, side, idx, count(*) FROM score_labels WHERE run_id = 'r1'"
                       " GROUP BY ALL ORDER BY ALL")
    assert preds == [("a", 0, "first 0"), ("a", 1, "first 1"), ("b", 0, "new 0"), ("b", 1, "new 1")]
    assert labels and all(n == 1 for *_, n in labels)
    assert {(rid, side) for rid, side, _, _ in labels} >= {("a", "pred"), ("a", "gold"), ("b", "pred")}
    assert store.all("SELECT report_id, count(*) FROM scores WHERE run_id = 'r1' GROUP BY ALL ORDER BY ALL") == [
        ("a", 1), ("b", 1)]


_KEYS = st_.one_of(st_.text(min_size=0, max_size=80),
                   st_.binary(min_size=32, max_size=32).map(lambda b: hashlib.sha256(b).hexdigest()))


@given(st_.lists(_KEYS, max_size=200))
def test_key_filter_holds_every_key_added(keys):
    f = KeyFilter(64)  # small on purpose: many shared bits, and still no added key is missed
    for k in keys:
        f.add(k)
    assert all(k in f for k in keys)


def test_key_filter_rarely_holds_a_key_never_added():
    rng = random.Random(7)
    f = KeyFilter.sized_for(0)
    for _ in range(100_000):
        f.add(hashlib.sha256(rng.randbytes(16)).hexdigest())
    others = [hashlib.sha256(rng.randbytes(16)).hexdigest() for _ in range(100_000)]
    assert sum(k in f for k in others) <= 10  # ~1 expected at 1 MiB, four probes
    assert len(f._bits) == 1 << 20 and len(KeyFilter.sized_for(5_000_000)._bits) == 10_000_000
