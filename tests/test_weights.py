"""`--weights`: the severity weights of recall_weighted on bench, rescore and report, from the config
too; recorded with the run; a bad value is a one-line usage error."""

from __future__ import annotations

import json

import pytest

import cli
from conftest import SAMPLE
from harness.core.errors import HarnessError
from harness.core.weights import DEFAULT_WEIGHTS, format_weights, parse_weights
from harness.store import Store

HEAVY = "critical=10,important=1,suggestion=0"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A folder with no config file above it, and no HARNESS_WEIGHTS."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_WEIGHTS", raising=False)
    return tmp_path


def test_parse_weights():
    assert parse_weights(HEAVY) == {"critical": 10.0, "important": 1.0, "suggestion": 0.0}
    assert parse_weights(" C = 5 , s=0.5") == {"critical": 5.0, "important": 2.0, "suggestion": 0.5}  # others kept
    assert parse_weights({"important": 4}) == {**DEFAULT_WEIGHTS, "important": 4.0}
    assert format_weights(parse_weights("critical=3")) == "critical=3,important=2,suggestion=1"
    for bad, words in [("", "severity=weight"), ("blocker=1", "unknown severity 'blocker'"),
                       ("critical=-1", "non-negative"), ("critical=lots", "non-negative"),
                       ("critical=inf", "non-negative"), ("critical", "not severity=weight"),
                       ("c=1,critical=2", "given twice"), ("c=0,i=0,s=0", "at least one")]:
        with pytest.raises(HarnessError, match=words):
            parse_weights(bad)


def _weighted(out: str) -> tuple[str, float]:
    res = json.loads(out)
    return res["run_id"], res["metrics"]["recall_weighted"]


def _recorded(run_id: str) -> dict:
    from harness.store.runs import get_run

    with Store(read_only=True) as st:
        return get_run(st, run_id)["config"]["scorer_args"]["weights"]


def _counts(run_id: str) -> dict[str, float]:
    with Store(read_only=True) as st:
        rows = st.all("SELECT counts FROM scores WHERE run_id = ?", [run_id])
    total: dict[str, float] = {}
    for (c,) in rows:
        for key, v in (json.loads(c) if isinstance(c, str) else c).items():
            total[key] = total.get(key, 0) + float(v or 0)
    return total


def test_bench_weights_change_the_stored_recall_weighted(capsys, here):
    assert run(capsys, "ingest", str(SAMPLE))[0] == 0
    rc, out, err = run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--json")
    assert rc == 0, err
    plain, default = _weighted(out)
    rc, out, err = run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--weights", HEAVY, "--json")
    assert rc == 0, err
    heavy, weighted = _weighted(out)
    assert _recorded(plain) == DEFAULT_WEIGHTS and _recorded(heavy) == parse_weights(HEAVY)
    c = _counts(heavy)
    w = parse_weights(HEAVY)
    expected = sum(w[s] * c[f"found_{s}"] for s in w) / sum(w[s] * c[f"gold_{s}"] for s in w)
    assert weighted == pytest.approx(expected) and weighted != pytest.approx(default)
    # rescore stores the same view of the default run; report reads it with --weights
    rc, out, err = run(capsys, "rescore", plain, "--weights", HEAVY, "--json")
    assert rc == 0, err
    assert json.loads(out)["metrics"]["recall_weighted"] == pytest.approx(weighted)
    rc, out, err = run(capsys, "report", plain, "--no-panel", "--boot", "100", "--weights", HEAVY)
    assert rc == 0, err
    assert "Severity weights: critical 10, important 1, suggestion 0." in out
    rc, _, err = run(capsys, "report", plain, "--no-panel", "--weights", "critical=7")
    assert rc == 2 and f"harness rescore {plain} --weights critical=7,important=2,suggestion=1" in err


@pytest.mark.parametrize("command", [["bench", "--model", "replay:Claude", "--split", "all"], ["rescore", "abc"],
                                     ["report", "abc"]])
def test_a_bad_weight_is_a_usage_error(capsys, here, command):
    rc, out, err = run(capsys, *command, "--weights", "critical=3,blocker=9")
    lines = err.splitlines()
    assert rc == 2 and out == "" and "Traceback" not in err
    assert lines[0] == ("harness: error: Invalid value for '--weights': unknown severity 'blocker' "
                        "(use critical, important, suggestion)")
    assert lines[1].startswith(f"Usage: harness {command[0]}") and len(lines) == 2
    rc, _, err = run(capsys, *command, "--weights", "important=-2")
    assert rc == 2 and "important must be a non-negative number, got '-2'" in err.splitlines()[0]


def test_weights_from_config_env_and_resume(capsys, here, monkeypatch):
    (here / "harness.toml").write_text("weights = { critical = 5 }\n")
    rc, out, _ = run(capsys, "config", "--json")
    rows = {r["key"]: r for r in json.loads(out)}
    assert rows["weights"] == {"key": "weights", "value": "critical=5,important=2,suggestion=1",
                               "source": str(here / "harness.toml")}
    monkeypatch.setenv("HARNESS_WEIGHTS", "i=4")
    rc, out, _ = run(capsys, "config")
    assert rc == 0 and "| weights | critical=3,important=4,suggestion=1 | env HARNESS_WEIGHTS |" in out
    assert run(capsys, "ingest", str(SAMPLE))[0] == 0
    rc, out, err = run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--json")
    assert rc == 0, err
    assert _recorded(json.loads(out)["run_id"])["important"] == 4.0  # the variable reached the run
    rc, out, err = run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--weights", "i=1", "--json")
    assert _recorded(json.loads(out)["run_id"])["important"] == 1.0  # the flag wins
    rc, _, err = run(capsys, "bench", "--resume", json.loads(out)["run_id"], "--weights", "i=2")
    assert rc == 2 and "drop --weights" in err
    monkeypatch.setenv("HARNESS_WEIGHTS", "critical=much")
    rc, _, err = run(capsys, "config")
    assert rc == 2 and err.startswith("harness: error: HARNESS_WEIGHTS: weights: critical must be a non-negative")


def test_compare_and_gate_read_the_view_of_the_weights_given(capsys, here):
    assert run(capsys, "ingest", str(SAMPLE))[0] == 0
    plain = json.loads(run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--json")[1])["run_id"]
    rc, out, err = run(capsys, "bench", "--model", "replay:Claude", "--split", "all", "--weights", HEAVY, "--json")
    heavy, weighted = _weighted(out)
    # the plain run has no view under these weights yet: the error names the command that stores it
    rc, out, err = run(capsys, "compare", plain, heavy, "--json", "--weights", HEAVY)
    assert rc == 2 and f"harness rescore {plain} --weights {format_weights(parse_weights(HEAVY))}" in err
    assert run(capsys, "rescore", plain, "--weights", HEAVY)[0] == 0
    rc, out, err = run(capsys, "compare", plain, heavy, "--json", "--boot", "100", "--weights", HEAVY)
    assert rc == 0, err
    res = json.loads(out)
    assert res["scorer_args"]["weights"] == parse_weights(HEAVY)
    rw = next(m for m in res["metrics"] if m["metric"] == "recall_weighted")
    assert rw["a"] == pytest.approx(weighted) and rw["b"] == pytest.approx(weighted) and rw["delta"] == 0
    rc, out, err = run(capsys, "compare", plain, heavy, "--json", "--boot", "100")  # run A's own view...
    assert rc == 2 and f"harness rescore {heavy}" in err  # ...which run B was not scored under
    rc, out, err = run(capsys, "gate", "--baseline", plain, "--candidate", heavy, "--metric", "recall_weighted",
                       "--weights", HEAVY, "--json-out", str(here / "g.json"))
    assert rc == 0, err
    assert json.loads((here / "g.json").read_text())["scorer_args"]["weights"] == parse_weights(HEAVY)
    # a baseline file keeps the view it was exported with
    assert run(capsys, "baseline", "export", plain, "-o", str(here / "base.json"))[0] == 0
    rc, out, err = run(capsys, "gate", "--baseline", str(here / "base.json"), "--candidate", heavy,
                       "--weights", HEAVY)
    assert rc == 2 and "was exported with weights critical=3,important=2,suggestion=1" in err
