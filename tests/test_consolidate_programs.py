"""Consolidator programs (consolidate, consolidate_cot): DummyLM and the loopback OpenAI server."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.utils.dummies import DummyLM

from consolidate_data import populate
from harness.benchmark.consolidate.cases import to_case
from harness.benchmark.programs.consolidators import run_consolidator
from harness.core.errors import HarnessError
from harness.benchmark.programs import get_program, program_hash, program_names, save_program
from openai_server import OpenAIServer, Reply, chat_answer

FINDINGS = [
    {"id": "I1", "severity": "important", "title": "Watcher goroutine leaks when the context is cancelled",
     "path": "pkg/watch/watch.go", "line_start": 40, "line_end": 42, "body": "never returns",
     "reviewers": ["Claude Opus 4.7", "Codex GPT 5.5"]},
    {"id": "S1", "severity": "suggestion", "title": "Retry loop has no upper bound on attempts",
     "path": "pkg/retry/retry.go", "line_start": 12, "line_end": 14, "reviewers": ["Gemini 3.1 Pro"]},
]
DECISIONS = [
    {"ref": "Claude-1", "decision": "downgraded", "target": "I1", "reason": "real, but not data loss"},
    {"ref": "Claude-2", "decision": "dropped", "target": None, "reason": "the second parse reads another file"},
    {"ref": "Codex-1", "decision": "kept", "target": "I1", "reason": "same leak"},
    {"ref": "Gemini-1", "decision": "kept", "target": "S1", "reason": "valid"},
]
REFS = {"Claude-1", "Claude-2", "Codex-1", "Gemini-1"}


def _inputs():
    from consolidate_data import consolidate_report

    return to_case(consolidate_report()).inputs


def test_consolidators_are_registered_beside_the_review_programs():
    from harness.benchmark.consolidate.run import CONSOLIDATORS

    names = program_names()
    assert {"consolidate", "consolidate_cot", "single", "cot"} <= set(names)
    assert set(CONSOLIDATORS) == {n for n in names if getattr(type(get_program(n)), "task", "review") == "consolidate"}
    assert program_hash(get_program("consolidate")) != program_hash(get_program("consolidate_cot"))
    assert program_hash(get_program("consolidate")) == program_hash(get_program("consolidate"))


@pytest.mark.parametrize("name,extra", [("consolidate", {}), ("consolidate_cot", {"reasoning": "compared them"})])
def test_programs_return_findings_and_one_decision_per_original(name, extra):
    lm = DummyLM([{**extra, "findings": FINDINGS, "decisions": DECISIONS}])
    with dspy.context(lm=lm):
        res = run_consolidator(get_program(name), _inputs(), REFS)
    assert res.status == "ok" and res.error is None
    cons = res.consolidation
    assert [f.id for f in cons.findings] == ["I1", "S1"]
    assert cons.findings[0].reviewers == ["Claude Opus 4.7", "Codex GPT 5.5"]
    assert cons.findings[0].locations[0].line_start == 40
    assert {d.ref: d.decision.value for d in cons.decisions} == {
        "Claude-1": "downgraded", "Claude-2": "dropped", "Codex-1": "kept", "Gemini-1": "kept"}
    prompt = lm.history[-1]["messages"][-1]["content"]
    assert "Claude-2" in prompt and "Config file parsed twice" in prompt  # the reviews reached the model
    assert "false_positive" not in prompt  # and no gold did


def test_unknown_and_repeated_refs_are_ignored_and_noted():
    extra = [{"ref": "Nobody-9", "decision": "kept"}, {**DECISIONS[0], "decision": "kept"}]
    with dspy.context(lm=DummyLM([{"findings": FINDINGS, "decisions": DECISIONS[:3] + extra}])):
        res = run_consolidator(get_program("consolidate"), _inputs(), REFS)
    assert res.status == "ok"
    assert {d.ref: d.decision.value for d in res.consolidation.decisions}["Claude-1"] == "downgraded"
    assert "Nobody-9" in res.error and "repeated" in res.error and "1 original findings without" in res.error


def test_unparseable_answer_is_a_parse_error_with_the_raw_answer():
    bad = [{"findings": FINDINGS, "decisions": [{"ref": "Claude-1", "decision": "shelved"}]}] * 2
    with dspy.context(lm=DummyLM(bad)):
        res = run_consolidator(get_program("consolidate"), _inputs(), REFS)
    assert res.status == "parse_error" and res.raw and res.consolidation.decisions == []


def test_saved_consolidator_round_trip(store):
    prog = get_program("consolidate_cot")
    prog.consolidate.predict.signature = prog.consolidate.predict.signature.with_instructions("Be strict.")
    h = save_program(store, prog, "strict")
    again = get_program(f"saved:{h}", store=store)
    assert again.consolidate.predict.signature.instructions == "Be strict." and program_hash(again) == h


# -- through the runner against the loopback server ---------------------------------------------


def _answer(body: dict) -> Reply:
    text = json.dumps(body.get("messages", []))
    fields = {"findings": FINDINGS, "decisions": DECISIONS}
    if "reasoning" in text:  # ChainOfThought asks for a reasoning field first
        fields = {"reasoning": "two reviewers saw the same leak", **fields}
    return Reply(content=chat_answer(**fields))


@pytest.mark.parametrize("program", ["consolidate", "consolidate_cot"])
def test_bench_consolidate_program_end_to_end(store, program):
    from harness.benchmark.runner import run_bench
    from harness.store.consolidation import decision_frame

    populate(store)
    with OpenAIServer(responder=_answer) as srv:
        res = run_bench(store, model="openai/test-model", program=program, task="consolidate", split="all",
                        api_base=srv.url, concurrency=2, backoff_s=0.01)
        assert res.status.value == "complete" and res.task == "consolidate"
        assert (res.cases, res.scored, res.model_calls) == (1, 1, 1)
        m = res.metrics
        assert m.decision_accuracy == 1.0 and m.fp_rejection_recall == 1.0 and m.downgrade_recall == 1.0
        assert m.recall == 1.0 and m.precision == 1.0
        assert m.confusion["downgraded"]["downgraded"] == 1
        rows = decision_frame(store, res.run_id)
        assert rows.height == 4 and rows.filter(rows["ref"] == "Claude-2")["reason"][0].startswith("the second")
        # a re-run makes no model call
        again = run_bench(store, model="openai/test-model", program=program, task="consolidate", split="all",
                          api_base=srv.url, concurrency=2, backoff_s=0.01)
        assert again.model_calls == 0 and again.metrics.decision_accuracy == 1.0
        assert srv.requests == 1


def test_program_and_task_must_agree(store):
    from harness.benchmark.runner import run_bench

    populate(store)
    with pytest.raises(HarnessError, match="not a consolidate one"):
        run_bench(store, model="openai/test-model", program="cot", task="consolidate", split="all")
    with pytest.raises(HarnessError, match="not a review one"):
        run_bench(store, model="openai/test-model", program="consolidate", task="review", split="all")
