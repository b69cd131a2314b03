"""Defaults from [tool.harness] / harness.toml, then HARNESS_* variables, then flags; `harness config`."""

from __future__ import annotations

import json

import pytest

import cli
from conftest import SAMPLE
from harness.core.config import ConfigError, load_config

RID = "20250902-101500-pr-41"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.harness]\nmodel = "openai/from-file"\nk = 7\nconcurrency = 3\n\n'
        '[tool.harness.cutoffs]\n"openai/from-file" = "2025-06-01"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # found from a subfolder too
    for key in ("MODEL", "K", "CONCURRENCY", "API_BASE", "SPLIT", "JUDGE", "METRIC", "MAX_DROP"):
        monkeypatch.delenv(f"HARNESS_{key}", raising=False)
    return tmp_path


def test_config_shows_values_and_sources(capsys, project, monkeypatch):
    monkeypatch.setenv("HARNESS_K", "5")
    rc, out, _ = run(capsys, "config", "--json")
    assert rc == 0
    rows = {r["key"]: r for r in json.loads(out)}
    assert rows["model"]["value"] == "openai/from-file"
    assert rows["model"]["source"] == f"{project / 'pyproject.toml'} [tool.harness]"
    assert rows["k"] == {"key": "k", "value": 5, "source": "env HARNESS_K"}  # env beats the file
    assert rows["split"] == {"key": "split", "value": "test", "source": "default"}
    assert {"api_base", "concurrency", "judge", "metric", "max_drop"} <= set(rows)
    rc, out, _ = run(capsys, "config")
    assert rc == 0 and "| k | 5 | env HARNESS_K |" in out
    assert load_config().section("cutoffs") == {"openai/from-file": "2025-06-01"}


def test_file_then_env_then_flag_reach_the_command(capsys, project, monkeypatch, tmp_path):
    assert run(capsys, "ingest", str(SAMPLE))[0] == 0
    f = tmp_path / "f.json"
    f.write_text("[]")

    def k_used(*flags: str) -> int:
        rc, out, err = run(capsys, "score", RID, "--findings", str(f), "--json", *flags)
        assert rc == 0, err
        return json.loads(out)["args"]["k"]

    assert k_used() == 7
    monkeypatch.setenv("HARNESS_K", "5")
    assert k_used() == 5
    assert k_used("--k", "2") == 2


def test_harness_toml_and_bad_values(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_CONCURRENCY", raising=False)
    (tmp_path / "harness.toml").write_text('concurrency = 12\nmax_drop = 0.05\n')
    cfg = load_config()
    assert cfg.get("concurrency") == 12 and cfg.get("max_drop") == 0.05
    assert cfg.default_map()["bench"]["concurrency"] == 12 and cfg.default_map()["gate"]["max_drop"] == 0.05
    monkeypatch.setenv("HARNESS_CONCURRENCY", "many")
    with pytest.raises(ConfigError, match="HARNESS_CONCURRENCY"):
        load_config()
    rc, _, err = run(capsys, "config")
    assert rc == 2 and err.startswith("harness: error: HARNESS_CONCURRENCY")
    monkeypatch.delenv("HARNESS_CONCURRENCY")
    (tmp_path / "harness.toml").write_text('modle = "x"\n')
    rc, _, err = run(capsys, "config")
    assert rc == 2 and "unknown key 'modle'" in err


def test_score_judge_takes_api_base(capsys):
    rc, out, _ = run(capsys, "score", "--help")
    assert rc == 0 and "--api-base" in out
