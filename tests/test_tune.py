"""`harness tune` end to end, offline: tune -> save -> list/show -> bench for each optimiser, on the
real LM path (litellm -> loopback OpenAI server); lineage, the test-split guard, Ctrl-C."""

from __future__ import annotations

import json

import pytest

from cli import main
from harness.core.errors import HarnessError, NotFound
from harness.store import Store
from harness.store.programs import get_tune_run, trials
from harness.tune import HeldOutSplitError, TuneCases, TuneOptions, tune
from openai_server import OpenAIServer, Reply
from tune_fixtures import MAGIC, TEST_MARKER, Script, populate, script_factory

# per optimiser: CLI options small enough for a test, and whether the result must carry demos
SMALL = {
    "gepa": (["--max-metric-calls", "14"], False),
    "mipro": ([], True),
    "bootstrap": ([], True),
}


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(list(argv))
    return rc, capsys.readouterr().out


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "tune.duckdb"
    with Store(path) as st:
        populate(st)
    return str(path)


@pytest.mark.parametrize("optimizer", ["gepa", "mipro", "bootstrap"])
def test_tune_save_show_bench_loop(optimizer, db, capsys):
    script = Script()
    extra, demos_expected = SMALL[optimizer]
    with OpenAIServer(responder=lambda body: Reply(content=script.respond(body["messages"]))) as srv:
        rc, out = run_cli(capsys, "--db", db, "tune", "--program", "cot", "--optimizer", optimizer,
                          "--model", "openai/task", "--reflection-model", "openai/reflect", "--api-base", srv.url,
                          "--concurrency", "1", "--seed", "3", "--json", *extra)
        assert rc == 0, out
        res = json.loads(out)  # stdout holds only our JSON: DSPy's own output was swallowed
        tune_prompts = list(script.prompts)
        models_seen = {b.get("model") for b in srv.bodies}

        h = res["program_hash"]
        assert res["status"] == "complete" and res["program"] == f"saved:{h}"
        lin = res["lineage"]
        assert lin["base_program"] == "cot" and lin["optimizer"] == optimizer and lin["budget"] == "light"
        assert lin["model"] == "openai/task" and lin["metric"] == "f1" and lin["seed"] == 3
        assert lin["reflection_model"] == (None if optimizer == "bootstrap" else "openai/reflect")
        assert lin["split"]["name"] == "default" and lin["split"]["seed"] == 7
        assert (lin["train_cases"], lin["dev_cases"]) == (4, 2)
        # the scripted model rewards tuning: the base program misses everything on dev
        assert lin["dev_before"] == 0.0 and lin["dev_after"] == 1.0
        assert lin["trials"] >= 2 and lin["metric_calls"] > 0
        assert lin["model_calls"] == len(tune_prompts) and lin["input_tokens"] == 10 * (lin["model_calls"] + lin["cache_hits"])
        assert lin["started_at"] <= lin["finished_at"]
        # never the test split: its report never reached a model
        assert not any(TEST_MARKER in p for p in tune_prompts)
        assert "task" in models_seen and ("reflect" in models_seen) == (optimizer != "bootstrap")

        with Store(db) as st:
            run = get_tune_run(st, lin["tune_id"])
            assert run["status"] == "complete" and run["program_hash"] == h
            assert run["name"] == f"cot-{optimizer}-light"  # the tune run carries its own name
            scored = trials(st, lin["tune_id"])
            assert len(scored) == lin["trials"] and scored[-1][2] == 1.0
            assert [b for _, _, b in scored] == sorted(b for _, _, b in scored)  # best never drops

        rc, out = run_cli(capsys, "--db", db, "programs", "--json")
        listed = {r["hash"]: r for r in json.loads(out)}
        assert listed[h]["optimizer"] == optimizer and listed[h]["dev_after"] == 1.0

        rc, out = run_cli(capsys, "--db", db, "programs", "show", h[:10], "--json")
        view = json.loads(out)
        (pred,) = view["predictors"]
        if demos_expected:
            assert pred["demos"] and all(set(d) <= {"diff", "changed_files", "context", "reasoning", "findings",
                                                    "augmented"} for d in pred["demos"])
        if optimizer == "gepa":
            assert MAGIC in pred["instructions"]
        rc, out = run_cli(capsys, "--db", db, "programs", "show", h)
        assert rc == 0 and "## review.predict" in out and "### Instructions" in out

        # the saved program runs in the benchmark, on the held-out split, and is better than its base
        bench = []
        for program in (f"saved:{h}", "cot"):
            rc, out = run_cli(capsys, "--db", db, "bench", "--program", program, "--model", "openai/task",
                              "--api-base", srv.url, "--split", "test", "--json")
            assert rc == 0, out
            bench.append(json.loads(out))
        assert bench[0]["program_hash"] == h and bench[0]["scored"] == 1
        assert bench[0]["metrics"]["f1"] == 1.0 and bench[1]["metrics"]["f1"] == 0.0


def test_gepa_reflects_on_the_scorers_feedback(store):
    populate(store)
    script = Script()
    res = tune(store, TuneOptions(model="task", optimizer="gepa", max_metric_calls=14, threads=1),
               lm_factory=script_factory(script))
    assert res.lineage["dev_after"] == 1.0
    assert script.reflections, "GEPA never asked for a new instruction"
    # the reflection prompt names the missed gold finding and the false positive, by title
    assert "Missed gold findings" in script.reflections[0]
    assert "Unchecked None in handler" in script.reflections[0]
    assert "Rename variable for style" in script.reflections[0]


def test_test_split_is_refused(store):
    populate(store)
    cases = TuneCases(store)
    for split in ("test", "all"):
        with pytest.raises(HeldOutSplitError, match="never reads the .* split: it is held out"):
            cases.examples(split)
    assert cases.loaded == []
    assert len(cases.examples("train")) == 4 and len(cases.examples("dev")) == 2


def test_tuning_reads_train_and_dev_only(store, monkeypatch):
    populate(store)
    import harness.benchmark.dataset

    asked: list[str] = []
    real = harness.benchmark.dataset.load_cases

    def spy(st, split="test", limit=None, **kw):
        asked.append(split)
        return real(st, split, limit, **kw)

    monkeypatch.setattr(harness.benchmark.dataset, "load_cases", spy)
    cases = TuneCases(store)
    tune(store, TuneOptions(model="task", optimizer="bootstrap", threads=1), lm_factory=script_factory(Script()),
         cases=cases)
    assert sorted(asked) == ["dev", "train"] and sorted(cases.loaded) == ["dev", "train"]


@pytest.mark.parametrize("optimizer", ["gepa", "bootstrap"])
def test_ctrl_c_keeps_the_best_candidate(store, optimizer):
    populate(store)
    seen = []

    def progress(ev):
        seen.append(ev)
        if ev.phase == "optimising" and ev.trials >= 2:
            raise KeyboardInterrupt

    res = tune(store, TuneOptions(model="task", optimizer=optimizer, threads=1, max_metric_calls=40 if
                                  optimizer == "gepa" else None),
               lm_factory=script_factory(Script()), progress=progress)
    assert res.status == "interrupted" and res.program_hash
    lin = res.lineage
    assert lin["status"] == "interrupted" and lin["trials"] == 2
    run = get_tune_run(store, lin["tune_id"])
    assert run["status"] == "interrupted" and run["program_hash"] == res.program_hash
    assert run["dev_after"] == lin["dev_after"] == max(s for _, s, _ in trials(store, lin["tune_id"]))
    # the kept program is the best candidate, and it loads
    from harness.benchmark.programs import get_program

    assert get_program(res.program, store=store).review.predict.signature.instructions


def test_interrupt_before_any_candidate_saves_nothing(store):
    populate(store)

    def progress(ev):
        if ev.phase == "optimising":
            raise KeyboardInterrupt

    res = tune(store, TuneOptions(model="task", optimizer="bootstrap", threads=1),
               lm_factory=script_factory(Script()), progress=progress)
    assert res.status == "interrupted" and res.program_hash is None
    assert store.one("SELECT count(*) FROM programs")[0] == 0
    assert get_tune_run(store, res.tune_id)["status"] == "interrupted"


def test_bad_options_fail_with_one_line_errors(store):
    make = script_factory(Script())
    with pytest.raises(NotFound, match="no split named"):
        tune(store, TuneOptions(model="m"), lm_factory=make)
    populate(store)
    for opts, pattern in [
        (TuneOptions(model="m", optimizer="sgd"), "unknown optimizer"),
        (TuneOptions(model="m", budget="huge"), "unknown budget"),
        (TuneOptions(model="m", metric="bleu"), "unknown metric"),
        (TuneOptions(model="m", optimizer="mipro", max_metric_calls=5), "gepa only"),
        (TuneOptions(model="m", split_name="other"), "no split named"),
    ]:
        with pytest.raises(HarnessError, match=pattern):
            tune(store, opts, lm_factory=make)
    store.execute("DELETE FROM review_inputs")
    with pytest.raises(HarnessError, match="no runnable train cases"):
        tune(store, TuneOptions(model="m"), lm_factory=make)
    assert store.one("SELECT count(*) FROM tune_runs")[0] == 0  # nothing half-recorded


def test_a_failed_tune_is_recorded_as_failed(store):
    populate(store)

    def broken(model, role):
        lm, usage = script_factory(Script())(model, role)
        lm._engine_spec.complete = lambda request: (_ for _ in ()).throw(RuntimeError("endpoint exploded"))
        return lm, usage

    with pytest.raises(Exception):
        tune(store, TuneOptions(model="m", optimizer="bootstrap", threads=1), lm_factory=broken)
    (status, message), = store.all("SELECT status, message FROM tune_runs")
    assert status == "failed" and message


@pytest.mark.slow
def test_sigint_mid_tune_saves_the_best_so_far(db):
    """A real Ctrl-C (SIGINT) to `harness tune` while GEPA evaluates: exit 130, best candidate kept."""
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    script = Script()
    busy = threading.Event()

    def respond(body):
        n = len(script.prompts)
        if n >= 3:  # past the base program's dev scores: GEPA is evaluating its first minibatch
            busy.set()
        return Reply(content=script.respond(body["messages"]), delay=0.5 if n >= 3 else 0.0)

    env = {**os.environ, "HARNESS_DB": db, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    with OpenAIServer(responder=respond) as srv:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "tune", "--optimizer", "gepa", "--model", "openai/task",
             "--api-base", srv.url, "--concurrency", "1", "--max-metric-calls", "40", "--json"],
            cwd=Path(__file__).resolve().parent.parent, env=env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        assert busy.wait(120), proc.communicate(timeout=5)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    res = json.loads(out)
    assert res["status"] == "interrupted" and res["program_hash"], err
    lin = res["lineage"]
    assert lin["trials"] == 1 and lin["dev_after"] == 0.0  # the seed program: the only one scored on dev
    with Store(db) as st:
        run = get_tune_run(st, lin["tune_id"])
        assert run["status"] == "interrupted" and run["program_hash"] == res["program_hash"]
        assert st.one("SELECT lineage FROM programs WHERE hash = ?", [res["program_hash"]])[0]
