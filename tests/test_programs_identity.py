"""A program is its content; each tune run is its own named record pointing at the program it produced."""

from __future__ import annotations

import json

import pytest

import cli
from harness.store import Store
from harness.store import programs as sql


STATE = {"review.predict": {"signature": {"instructions": "Find the bugs.", "fields": []}, "demos": []}}


def _tune(st: Store, tune_id: str, name: str, optimizer: str, program_hash: str, dev_after: float) -> None:
    sql.create_tune_run(st, {
        "tune_id": tune_id, "name": name, "base_program": "cot", "base_hash": "b" * 12, "optimizer": optimizer,
        "budget": "light", "metric": "f1", "model": "openai/task", "reflection_model": None,
        "split_name": "default", "split_seed": 7, "split_hash": "s" * 12, "seed": 0, "train_cases": 4,
        "dev_cases": 2, "status": "running", "options": {}})
    sql.finish_tune_run(st, tune_id, status="complete", message=None, program_hash=program_hash, dev_before=0.0,
                    dev_after=dev_after, totals={"trials": 3 if optimizer == "gepa" else 1, "cost": 0.5})


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "p.duckdb"
    with Store(path) as st:
        # two tunes whose result is the same program text: one program, two tune records
        assert sql.put_program(st, "025799d3e393" + "0" * 20, "cot-bootstrap-light", "cot", {}, STATE,
                               {"optimizer": "bootstrap"})
        _tune(st, "t1", "cot-bootstrap-light", "bootstrap", "025799d3e393" + "0" * 20, 0.5)
        assert not sql.put_program(st, "025799d3e393" + "0" * 20, "cot-gepa-light", "cot", {}, STATE,
                                   {"optimizer": "gepa"})
        _tune(st, "t2", "cot-gepa-light", "gepa", "025799d3e393" + "0" * 20, 0.75)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_each_tune_run_is_listed_with_its_own_name_and_optimizer(db, capsys):
    rc, out, _ = run(capsys, "--db", db, "programs", "--json")
    assert rc == 0
    rows = json.loads(out)
    assert {(r["name"], r["optimizer"], r["trials"], r["dev_after"]) for r in rows} == {
        ("cot-bootstrap-light", "bootstrap", 1, 0.5), ("cot-gepa-light", "gepa", 3, 0.75)}
    assert {r["hash"] for r in rows} == {"025799d3e393" + "0" * 20}
    with Store(db) as st:
        assert st.one("SELECT count(*) FROM programs")[0] == 1


@pytest.mark.parametrize("ref", ["cot-gepa-light", "cot-bootstrap-light", "025799d3e393", "saved:025799d3"])
def test_programs_show_by_name_or_hash(db, capsys, ref):
    rc, out, err = run(capsys, "--db", db, "programs", "show", ref, "--json")
    assert rc == 0, err
    view = json.loads(out)
    assert view["hash"].startswith("025799d3e393")
    assert {(r["name"], r["optimizer"]) for r in view["tune_runs"]} == {
        ("cot-bootstrap-light", "bootstrap"), ("cot-gepa-light", "gepa")}
    if "light" in ref:
        assert view["name"] == ref
    rc, out, _ = run(capsys, "--db", db, "programs", "show", ref)
    assert rc == 0 and "## Tune runs (2)" in out and "| cot-gepa-light | gepa | light |" in out


def test_unknown_program(db, capsys):
    rc, _, err = run(capsys, "--db", db, "programs", "show", "cot-mipro-heavy")
    assert rc == 2 and "no saved program 'cot-mipro-heavy'" in err
