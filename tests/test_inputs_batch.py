"""Review inputs written in batches (store.inputs.put_inputs) and the synthetic store the benchmarks reuse."""

from __future__ import annotations

from harness.store.inputs import get_inputs, put_input, put_inputs
from runner_data import input_row, populate, populated


def test_put_inputs_inserts_and_replaces_in_one_batch(store):
    populate(store, 3)
    old = get_inputs(store, ["r0001"])["r0001"]
    put_inputs(store, [{**input_row(1, 5), "status": "approximate", "reason": "merge"},
                       input_row(2, 5), {**input_row(2, 7)}])  # r0002 twice: the last row wins
    got = get_inputs(store, ["r0000", "r0001", "r0002"])
    assert got["r0000"]["diff"] == input_row(0)["diff"]  # untouched
    assert got["r0001"]["status"] == "approximate" and got["r0001"]["diff"] != old["diff"]
    assert got["r0002"]["diff"] == input_row(2, 7)["diff"]
    assert got["r0001"]["files"] == [{"path": "src/mod_1.py", "added": 2, "removed": 0}]
    assert store.one("SELECT count(*) FROM review_inputs")[0] == 3
    put_input(store, input_row(0, 9))
    assert get_inputs(store, ["r0000"])["r0000"]["diff"] == input_row(0, 9)["diff"]
    put_inputs(store, [])  # nothing to write


def test_populated_says_whether_the_store_can_be_reused(store):
    assert not populated(store, 4)
    populate(store, 4, batch=3)  # two batches
    assert store.one("SELECT count(*) FROM reports")[0] == 4
    assert populated(store, 4) and populated(store, 2)
    assert not populated(store, 5)
    assert not populated(store, 4, pad=2)  # other diffs
