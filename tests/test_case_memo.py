"""The case memo: a fully cached re-run replays stored cases, exactly as the full cached path would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.core import memo
from harness.core.runs import RunConfig
from harness.store.runs import case_frame
from runner_data import populate
from test_runner import bench as runner_bench, server  # noqa: F401 (server is a fixture)

ROOT = Path(__file__).resolve().parent.parent
_VOLATILE = ["run_id", "duration_s", "created_at", "finished_at", "started_at"]


def bench(store, srv, **kw):
    return runner_bench(store, srv, score_fn=None, **kw)  # the memo needs the named scorer


def _cases(store, run_id):
    frame = case_frame(store, run_id)
    return frame.drop([c for c in _VOLATILE if c in frame.columns]).to_dicts()


def _preds(store, run_id):
    return store.all("SELECT p.report_id, p.epoch, p.idx, p.severity, p.title, l.label, p.finding"
                     " FROM run_predictions p LEFT JOIN score_labels l ON l.run_id = p.run_id AND l.report_id = p.report_id AND l.epoch = p.epoch AND l.side = 'pred' AND l.idx = p.idx"
                     " WHERE p.run_id = ? ORDER BY p.report_id, p.epoch, p.idx", [run_id])


def test_memo_rerun_equals_the_full_cached_path(store, server):
    populate(store, 5)
    cold = bench(store, server, epochs=2)
    assert cold.model_calls == 10 and store.one("SELECT count(*) FROM case_memo WHERE kind = 'case'")[0] == 10

    memoised = bench(store, server, epochs=2)
    store.execute("DELETE FROM case_memo WHERE kind = 'case'")  # the full path: DSPy over the model-call cache
    full = bench(store, server, epochs=2)

    assert server.requests == 10  # neither re-run called the model
    for res in (memoised, full):
        assert (res.model_calls, res.cache_hits, res.spent) == (0, 10, 0.0)
    assert memoised.model_dump(exclude={"run_id", "wall_s"}) == full.model_dump(exclude={"run_id", "wall_s"})
    assert _cases(store, memoised.run_id) == _cases(store, full.run_id)
    assert _preds(store, memoised.run_id) == _preds(store, full.run_id)


def test_memo_keeps_epochs_and_scorers_apart(store, server):
    populate(store, 3)
    bench(store, server, epochs=1)
    more = bench(store, server, epochs=2)
    assert more.model_calls == 3 and more.cache_hits == 3  # epoch 1 is new work, epoch 0 replayed
    other = bench(store, server, epochs=1, scorer="default", temperature=0.5)
    assert other.model_calls == 3  # other model settings: other requests, other memo keys


def test_case_key_holds_what_decides_the_result():
    cfg = RunConfig(model="openai/m", program="single", program_hash="p" * 64, split="all")
    inputs = {"diff": "d", "changed_files": "", "context": "", "repo_path": "", "head": ""}
    base = memo.case_key(cfg, inputs, 0, "g")
    variants = [
        memo.case_key(cfg.model_copy(update={"program_hash": "q" * 64}), inputs, 0, "g"),
        memo.case_key(cfg.model_copy(update={"model": "openai/n"}), inputs, 0, "g"),
        memo.case_key(cfg.model_copy(update={"temperature": 0.7}), inputs, 0, "g"),
        memo.case_key(cfg.model_copy(update={"max_tokens": 100}), inputs, 0, "g"),
        memo.case_key(cfg.model_copy(update={"scorer": "judge"}), inputs, 0, "g"),
        memo.case_key(cfg, {**inputs, "diff": "e"}, 0, "g"),
        memo.case_key(cfg, inputs, 1, "g"),
        memo.case_key(cfg, inputs, 0, "h"),
    ]
    assert len({base, *variants}) == len(variants) + 1
    # execution settings and the endpoint do not change results, so they share the memo
    same = cfg.model_copy(update={"concurrency": 64, "timeout": 5.0, "api_base": "http://x/v1"})
    assert memo.case_key(same, inputs, 0, "g") == base


def test_gold_identity_follows_the_gold_and_its_known_false_positives():
    from harness.core.models import Finding, Severity
    from scorers import GoldSet

    f = Finding(id="C1", severity=Severity.critical, title="t")
    base = GoldSet(report_id="r", findings=[f])
    assert memo.gold_identity(base) != memo.gold_identity(base.model_copy(update={"findings": []}))
    assert memo.gold_identity(base) != memo.gold_identity(base.model_copy(update={"known_false_positives": [f]}))
    assert memo.gold_identity(base) != memo.gold_identity(base.model_copy(update={"repo": "x"}))


def test_fully_memoised_rerun_imports_neither_dspy_nor_litellm(tmp_path, server):
    from harness.store import Store

    db = tmp_path / "memo.duckdb"
    st = Store(db)
    populate(st, 3)
    bench(st, server)
    st.close()
    code = (
        "import sys; sys.path[:0] = [%r, %r]\n"
        "from harness.store import Store\nfrom harness.benchmark.runner import run_bench\n"
        "res = run_bench(Store(%r), model='openai/test-model', program='single', split='all', api_base=%r)\n"
        "print(res.model_calls, res.cache_hits, res.scored, "
        "sorted(m for m in ('dspy', 'litellm', 'scipy') if m in sys.modules))\n"
    ) % (str(ROOT), str(ROOT / "tests"), str(db), server.url)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "0 3 3 []"


def test_memo_values_refer_to_stored_cases_and_older_whole_results_still_read(store, server):
    import json

    from harness.core.memo import replay
    from harness.store.memo import memo_get_many, pack_memo
    from harness.store.scores import get_score

    populate(store, 3)
    first = bench(store, server)
    values = [json.loads(v) for (v,) in store.all("SELECT value FROM case_memo WHERE kind = 'case'")]
    assert len(values) == 3 and all(set(v) == {"ref"} and v["ref"]["run_id"] == first.run_id for v in values)
    replayed = bench(store, server)
    assert server.requests == 3 and (replayed.model_calls, replayed.cache_hits) == (0, 3)

    # a reference comes back as the whole result, the one the case's full path stored
    keys = [k for (k,) in store.all("SELECT key FROM case_memo WHERE kind = 'case' ORDER BY key")]
    whole = memo_get_many(store, keys)
    assert set(whole) == set(keys)
    for value in whole.values():
        case = replay(value, "next")
        stored = get_score(store, first.run_id, case.report_id, epoch=case.epoch)
        assert case.score.model_dump(exclude={"report_id"}) == stored.model_dump(exclude={"report_id"})
        assert len(case.findings) == store.one("SELECT count(*) FROM run_predictions WHERE run_id = ? AND"
                                               " report_id = ? AND epoch = ?",
                                               [first.run_id, case.report_id, case.epoch])[0]

    # stores written before: whole results, deflated (one) or plain JSON (the others), replay the same
    for i, key in enumerate(keys):
        text = json.dumps(whole[key])
        store.execute("UPDATE case_memo SET value = ? WHERE key = ?", [pack_memo(text) if i == 0 else text, key])
    assert memo_get_many(store, keys) == whole
    again = bench(store, server)
    assert server.requests == 3 and (again.model_calls, again.cache_hits) == (0, 3)
    assert _cases(store, again.run_id) == _cases(store, replayed.run_id)


def test_a_reference_to_a_case_no_longer_stored_is_a_miss(store, server):
    from harness.store.memo import memo_get_many
    from harness.store.scores import delete_scores

    populate(store, 2)
    first = bench(store, server)
    keys = [k for (k,) in store.all("SELECT key FROM case_memo WHERE kind = 'case'")]
    assert len(memo_get_many(store, keys)) == 2
    delete_scores(store, first.run_id)  # the referenced scores are gone (the run's cases stay)
    assert memo_get_many(store, keys) == {}
    again = bench(store, server)  # the full path over the model-call cache, nothing lost
    assert server.requests == 2 and (again.model_calls, again.cache_hits, again.scored) == (0, 2, 2)


def test_a_rescore_of_the_referenced_run_forgets_its_references(store, server):
    """Its scores are replaced (maybe against other gold or by other scorer code): the memo
    no longer vouches for them, so the next run takes the full path."""
    from harness.benchmark.case_score import rescore

    populate(store, 2)
    first = bench(store, server)
    other = bench(store, server, epochs=1, scorer="default", temperature=0.5)  # its own memo entries
    n_other = store.one("SELECT count(*) FROM case_memo WHERE kind = 'case' AND value LIKE ?",
                        [f'%"{other.run_id}"%'])[0]
    assert n_other == 2
    rescore(store, first.run_id)
    left = [v for (v,) in store.all("SELECT value FROM case_memo WHERE kind = 'case'")]
    assert len(left) == 2 and all(other.run_id in v for v in left)
    again = bench(store, server)
    assert (again.model_calls, again.cache_hits, again.scored) == (0, 2, 2)
    scored = ("report_id", "epoch", "status", "tp", "fp", "fn")
    assert [{k: c[k] for k in scored} for c in _cases(store, again.run_id)] == \
        [{k: c[k] for k in scored} for c in _cases(store, first.run_id)]
    assert store.one("SELECT count(*) FROM case_memo WHERE kind = 'case' AND value LIKE ?",
                     [f'%"{again.run_id}"%'])[0] == 2  # the full path memoised its cases afresh
