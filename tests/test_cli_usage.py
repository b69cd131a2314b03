"""Usage mistakes: one `harness: error:` line plus the usage line, exit 2; bare groups print help."""

from __future__ import annotations

import pytest

import cli


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_usage_error(rc: int, err: str, usage: str) -> str:
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 2, err  # no traceback: the error, then the usage line
    assert lines[0].startswith("harness: error: ")
    assert lines[1].startswith(f"Usage: {usage}")
    return lines[0]


@pytest.mark.parametrize("argv, usage", [([], "harness [OPTIONS] COMMAND"),
                                         (["dataset"], "harness dataset [OPTIONS] COMMAND"),
                                         (["baseline"], "harness baseline [OPTIONS] COMMAND")])
def test_bare_command_or_group_prints_help(capsys, argv, usage):
    rc, out, err = run(capsys, *argv)
    assert rc == 0 and err == ""
    assert usage in out and "Commands" in out


def test_version(capsys):
    from importlib.metadata import version

    rc, out, _ = run(capsys, "--version")
    assert rc == 0 and out.strip() == f"harness {version('review-harness')}"


def test_unknown_command_suggests(capsys):
    rc, _, err = run(capsys, "ingset", "datasets/sample")
    line = assert_usage_error(rc, err, "harness [OPTIONS] COMMAND")
    assert "'ingset'" in line and "Did you mean 'ingest'?" in line


def test_unknown_option_suggests(capsys):
    rc, _, err = run(capsys, "bench", "--modle", "x")
    line = assert_usage_error(rc, err, "harness bench")
    assert "--modle" in line and "did you mean --model?" in line


@pytest.mark.parametrize("argv, usage, missing", [
    (["show"], "harness show", "Missing argument 'ID'"),
    (["score", "ID"], "harness score", "Missing option '--findings'"),
    (["programs", "show"], "harness programs show", "Missing argument"),
])
def test_missing_argument_or_option(capsys, argv, usage, missing):
    rc, _, err = run(capsys, *argv)
    assert missing in assert_usage_error(rc, err, usage)


@pytest.mark.parametrize("argv, usage, words", [
    (["bench", "--concurrency", "abc"], "harness bench", ["'--concurrency'", "integer"]),
    (["score", "x", "-f", "y", "--k", "-1"], "harness score", ["'--k'", "greater than or equal to 0"]),
])
def test_bad_value(capsys, argv, usage, words):
    rc, _, err = run(capsys, *argv)
    line = assert_usage_error(rc, err, usage)
    assert all(w in line for w in words), line


def test_help_has_no_bool_noise_and_shows_defaults(capsys):
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    assert "<bool>" not in out and "./harness.duckdb" in out
    rc, out, _ = run(capsys, "ingest", "--help")
    assert rc == 0 and "<bool>" not in out and "--strict" in out
