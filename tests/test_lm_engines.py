"""Engine choice in the model-call layer (harness/lm/engines.py): DSPy's native lm15 engine for the
models DSPy routes natively, litellm for every other model string. One fault gets one error kind
whichever engine met it; the cache key does not depend on the engine; the native path never
imports litellm. All against the loopback OpenAI-compatible server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dspy
import pytest
from dspy import lm15

from harness.core.runs import CallStats
from harness.lm import ModelClient, ModelSettings
from harness.lm import engines as engines_mod
from harness.lm.client import _cannot_connect, _classify, retry_after_s
from harness.lm.engines import native_engine, native_route
from harness.store.runs import RunWriter
from openai_server import OpenAIServer, chat_answer, malformed, ok, rate_limited, reset, server_error, slow

MODEL = "openai/test-model"
GOOD = chat_answer(answer="fine")
ROOT = Path(__file__).resolve().parent.parent


class QA(dspy.Signature):
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as srv:
        yield srv


def _engines(url: str, timeout: float) -> dict:
    from dspy.clients.engines.litellm_engine import LiteLLMEngine

    return {"native": native_engine(native_route(MODEL, url, timeout), url, timeout),
            "litellm": LiteLLMEngine(model_type="chat", api_base=url, api_key="no-key", timeout=timeout)}


# (reply, kind, fatal): what each fault must classify as, on either engine
FAULTS = {
    "429-retry-after": (rate_limited(0.4), "rate_limit", False),
    "429": (rate_limited(None), "rate_limit", False),
    "500": (server_error(500), "server", False),
    "502": (server_error(502), "server", False),
    "503": (server_error(503), "server", False),
    "504": (server_error(504), "timeout", False),
    "reset": (reset(), "transport", False),
    "read-timeout": (slow(0.6), "timeout", False),
    "malformed-body": (malformed(), "bad_response", False),
    "401": (server_error(401), "auth", True),
    "402": (server_error(402), "billing", True),
    "404": (server_error(404), "unknown_model", True),
    "400": (server_error(400), "invalid_request", False),
    "418": (server_error(418), "provider", False),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_one_fault_one_kind_on_either_engine(server, name):
    reply, kind, fatal = FAULTS[name]
    request = lm15.Request(model=MODEL, messages=(lm15.Message.user("hi"),))
    for engine_name, engine in _engines(server.url, 0.25).items():
        server.push(reply)
        before = server.requests
        with pytest.raises(Exception) as info:
            engine.complete(request)
        assert server.requests == before + 1, engine_name  # one attempt: neither engine retries by itself
        got_kind, _, got_fatal = _classify(info.value)
        assert (got_kind, got_fatal) == (kind, fatal), (engine_name, info.value)
        if name == "429-retry-after":
            assert retry_after_s(info.value) == pytest.approx(0.4), engine_name
        if name == "read-timeout":
            time.sleep(0.5)  # let the slow reply finish before the next one is scripted


def test_refused_connection_is_transport_and_cannot_connect_on_either_engine():
    srv = OpenAIServer().start()
    url = srv.url
    srv.stop()
    request = lm15.Request(model=MODEL, messages=(lm15.Message.user("hi"),))
    for engine_name, engine in _engines(url, 1.0).items():
        with pytest.raises(Exception) as info:
            engine.complete(request)
        assert _classify(info.value)[0] == "transport" and _cannot_connect(info.value), engine_name


@pytest.mark.parametrize("model, api_base, native", [
    ("openai/test-model", "http://127.0.0.1:9/v1", True),
    ("openai/gpt-4o-mini", None, True),
    ("anthropic/claude-sonnet-4-5", None, True),
    ("gemini/gemini-2.5-pro", None, True),
    ("gpt-4o-mini", None, False),  # a bare name: litellm's routing and prices
    ("groq/llama-3.1-8b-instant", None, False),  # a compatibility preset route
    ("ollama_chat/llama3", "http://127.0.0.1:11434", False),
    ("together_ai/meta-llama/Llama-3-8b", None, False),
    ("offline/heuristic-reviewer", None, False),
    ("no-such-provider-model", None, False),
    ("openai/test-model", "http://user:pass1234@127.0.0.1:9/v1", False),  # URL credentials
])
def test_native_route_selection(model, api_base, native):
    assert (native_route(model, api_base, 30.0) is not None) == native


def test_environment_gateway_stays_on_litellm(monkeypatch):
    """OPENAI_API_BASE is litellm's setting (DSPy keeps such calls on litellm too)."""
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:9/v1")
    assert native_route("openai/gpt-4o-mini", None, 30.0) is None


def _ask(client: ModelClient, question: str) -> CallStats:
    stats = CallStats()
    with dspy.context(lm=client.lm(epoch=0, stats=stats)):
        assert dspy.Predict(QA)(question=question).answer == "fine"
    return stats


def test_cache_key_and_answer_do_not_depend_on_the_engine(server, store, tmp_path, monkeypatch):
    from harness.store import Store

    server.responder = lambda body: ok(GOOD, prompt_tokens=11, completion_tokens=7)
    settings = ModelSettings(model=MODEL, api_base=server.url, backoff_s=0.01)
    rows = {}
    for name, st in (("native", store), ("litellm", Store(tmp_path / "litellm.duckdb"))):
        if name == "litellm":
            monkeypatch.setattr(engines_mod, "native_route", lambda *a, **k: None)
        w = RunWriter(st)
        client = ModelClient(settings, w)
        stats = _ask(client, "same question")
        engine = client._engine_for(None if name == "litellm" else lm15.Request(
            model=MODEL, messages=(lm15.Message.user("x"),)))
        assert type(engine).__name__ == ("LM15Engine" if name == "native" else "LiteLLMEngine")
        w.close()
        assert (stats.model_calls, stats.input_tokens, stats.output_tokens, stats.cost) == (1, 11, 7, 0.0)
        rows[name] = st.all("SELECT key, epoch, input_tokens, output_tokens, finish_reason FROM model_calls")
        if st is not store:
            st.close()
    server.responder = None
    assert rows["native"] == rows["litellm"] and len(rows["native"]) == 1


def test_native_call_is_priced_from_litellms_table(server, store, monkeypatch):
    """A priced model on the native path costs what litellm.cost_per_token says, litellm not consulted."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "k" * 24)
    server.push(ok(GOOD, prompt_tokens=1200, completion_tokens=300))
    w = RunWriter(store)
    client = ModelClient(ModelSettings(model="openai/gpt-4o-mini", api_base=server.url), w)
    monkeypatch.setattr(ModelClient, "_litellm", staticmethod(lambda: pytest.fail("litellm consulted")))
    stats = _ask(client, "priced")
    w.close()
    import litellm

    expected = sum(litellm.cost_per_token(model="openai/gpt-4o-mini", prompt_tokens=1200, completion_tokens=300))
    assert expected > 0 and stats.cost == pytest.approx(expected, rel=1e-12)
    assert store.one("SELECT cost FROM model_calls")[0] == pytest.approx(expected, rel=1e-12)


def test_missing_key_on_the_native_path_is_fatal_and_named(store, monkeypatch):
    from harness.lm import ModelCallError

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    w = RunWriter(store)
    client = ModelClient(ModelSettings(model="anthropic/claude-sonnet-4-5"), w)
    with pytest.raises(ModelCallError) as info:
        client._engine_for(None)
    w.close()
    assert info.value.kind == "auth" and info.value.fatal and "ANTHROPIC_API_KEY" in info.value.one_line()


def test_native_run_does_not_import_litellm():
    """A whole bench run on a natively routed model, in a fresh interpreter: litellm (and the
    openai SDK) never load; the run is complete and scored."""
    code = textwrap.dedent(f"""
        import sys, tempfile
        from pathlib import Path
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]
        from harness.benchmark.runner import run_bench
        from harness.store import Store
        from openai_server import OpenAIServer
        from runner_data import answer_for, populate, simple_score
        st = Store(Path(tempfile.mkdtemp()) / "x.duckdb")
        populate(st, 3)
        with OpenAIServer(responder=answer_for) as srv:
            r = run_bench(st, model="openai/test-model", program="single", split="all", api_base=srv.url,
                          concurrency=2, score_fn=simple_score)
        print(r.status, r.scored, "litellm" in sys.modules, "openai" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-4:] == ["complete", "3", "False", "False"]
