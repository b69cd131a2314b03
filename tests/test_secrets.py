"""API keys never persist: with keys in the environment (and one in the --api-base URL), run the CLI
over the loopback server - bench, runs, score, report and tune when present - while the server
echoes the key back in error bodies, answers and parse failures. Then grep every table (all
columns as text), every file written under the test's folder (the DuckDB file's raw bytes too),
DSPy's disk cache, the captured stdout/stderr and log records: no key anywhere.

(tests/test_lm.py checks the model-call layer alone; this is the whole CLI.)"""

from __future__ import annotations

import json
import secrets as pysecrets
from pathlib import Path

import pytest

from cli import main
from harness.store import Store
from openai_server import OpenAIServer, Reply, chat_answer, server_error
from reliability_tools import dump_store
from runner_data import answer_for, finding_json, populate, report_id_in


def _has_command(name: str) -> bool:
    from typer.main import get_command

    import cli

    return name in get_command(cli.app).commands  # type: ignore[attr-defined]


@pytest.fixture
def keys(monkeypatch):
    # one key without any token shape (only its env name marks it), one shaped like Anthropic's,
    # one that lives only in the --api-base URL
    openai_key = pysecrets.token_hex(20)
    anthropic_key = "sk-ant-" + pysecrets.token_urlsafe(24)
    url_key = "u" + pysecrets.token_hex(12)
    monkeypatch.setenv("OPENAI_API_KEY", openai_key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_key)
    return {"openai": openai_key, "anthropic": anthropic_key, "url": url_key}


def _echoing_server(keys: dict[str, str]) -> OpenAIServer:
    """Answers leak every key: r0000 in its finding, r0001 in an unparseable answer, r0002 in a
    400 body (failing for good), r0003's first attempt in a 503 body (then retried)."""
    leak = " ".join(keys.values())
    tried: set[str] = set()

    def respond(body: dict) -> Reply:
        rid = report_id_in(body)
        if rid == "r0002":  # a 400 is not retried: the case fails at once, its reason stored
            return Reply(kind="error", status=400, content=f"upstream rejected key {leak}")
        if rid == "r0003" and rid not in tried:
            tried.add(rid)
            return Reply(kind="error", status=503, content=f"overloaded for key {leak}")
        if rid == "r0000":
            found = finding_json(rid)
            found[0]["body"] = f"the config holds {leak}"
            found[0]["title"] = f"Leaked key {keys['openai']}"
            return Reply(content=chat_answer(findings=found))
        if rid == "r0001":
            return Reply(content=f"I cannot review this. Debug: {leak}")
        return answer_for(body)

    return OpenAIServer(responder=respond)


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_no_key_in_tables_files_logs_or_cache(tmp_path, keys, capsys, caplog, monkeypatch):
    pytest.importorskip("scorers")
    db = tmp_path / "secrets.duckdb"
    with Store(db) as st:
        if _has_command("tune"):
            from tune_fixtures import populate as with_split

            with_split(st)  # 7 reports and a stored train/dev/test split
        else:
            populate(st, 7)
    outputs: list[str] = []
    srv = _echoing_server(keys).start()
    try:
        base = srv.url.replace("http://", f"http://user:{keys['url']}@")
        rc, out, err = _run(capsys, "--db", str(db), "bench", "--model", "openai/test-model", "--split", "all",
                            "--api-base", base, "--concurrency", "1", "--max-errors", "2", "--json")
        outputs += [out, err]
        assert rc == 0, err
        run = json.loads(out)
        assert run["errors"] == 1 and run["parse_failures"] == 1 and run["scored"] == run["cases"] - 1
        assert srv.auth_headers and all(srv.auth_headers)  # credentials did reach the provider
        # the failing case again, on resume (its stored error and the run's config are read back)
        rc, out, err = _run(capsys, "--db", str(db), "bench", "--resume", run["run_id"], "--api-base", base,
                            "--json")
        outputs += [out, err]
        rc, out, err = _run(capsys, "--db", str(db), "bench", "--resume", run["run_id"])
        assert rc == 2 and "pass --api-base again" in err  # the stored URL is redacted: not usable
        outputs += [out, err]
        rc, out, err = _run(capsys, "--db", str(db), "runs", "--json")
        outputs += [out, err]
        for fmt in ([], ["--json"]):  # the per-case view shows errors and raw answers: redacted too
            rc, out, err = _run(capsys, "--db", str(db), "runs", "show", run["run_id"], *fmt)
            assert rc == 0, err
            outputs += [out, err]
        (tmp_path / "in").mkdir()
        leaky = tmp_path / "in" / "findings.json"  # our own input: the only file allowed to hold a key
        leaky.write_text(json.dumps([{**finding_json("r0003")[0], "body": f"key {keys['anthropic']}"}]))
        rc, out, err = _run(capsys, "--db", str(db), "score", "r0003", "--findings", str(leaky), "--json")
        outputs += [out, err]
        assert rc == 0, err
        if _has_command("report"):
            for fmt in ("md", "html"):
                rc, out, err = _run(capsys, "--db", str(db), "report", run["run_id"], "--format", fmt,
                                    "-o", str(tmp_path / f"report.{fmt}"))
                outputs += [out, err]
                assert rc == 0, err
        if _has_command("tune"):
            # bootstrap keeps well-scored answers as demos: r0000's answer (with the keys) is one
            rc, out, err = _run(capsys, "--db", str(db), "tune", "--program", "single", "--optimizer", "bootstrap",
                                "--model", "openai/test-model", "--api-base", base, "--concurrency", "1", "--json")
            outputs += [out, err]
            assert rc == 0, err
    finally:
        srv.stop()
    leaked_leak = [k for k in keys.values() if k in "".join(str(b) for b in srv.bodies)]
    assert leaked_leak == []  # (the requests carry no key in their bodies either)

    def scan(text: str, where: str) -> None:
        for name, key in keys.items():
            assert key not in text, f"{name} key in {where}"

    with Store(db, read_only=True) as st:
        for table, rows in dump_store(st).items():
            scan(repr(rows), f"table {table}")
        cached = st.one("SELECT count(*) FROM model_calls")[0]
        assert cached >= 3  # the cache holds the leaky answers, redacted
    for f in tmp_path.rglob("*"):
        if f.is_file() and f != leaky:
            scan(f.read_bytes().decode("latin-1"), f"file {f.name}")
    for out in outputs:
        scan(out, "CLI output")
    scan("\n".join(r.getMessage() for r in caplog.records), "log records")
    from dspy.clients import DISK_CACHE_DIR

    cache_dir = Path(DISK_CACHE_DIR)
    if cache_dir.is_dir():
        for f in cache_dir.rglob("*"):
            if f.is_file() and f.stat().st_size < 50 * 2**20:
                scan(f.read_bytes().decode("latin-1"), f"DSPy cache {f.name}")
