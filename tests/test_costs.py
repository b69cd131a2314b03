"""Costs: `bench --dry-run` (every prompt built, tokens counted, no model call), `--max-cost` (the run
stops scheduling, ends interrupted with reason budget, resumes with more), prices from flags, unknown
prices shown as unknown (never $0.00), cached input tokens recorded and priced at the cached rate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.benchmark.costs import DEFAULT_OUTPUT_TOKENS, dry_run, empty_answer
from harness.benchmark.runner import run_bench
from harness.lm.prices import fmt_cost, resolve_price
from harness.lm.tokens import model_tokenizer
from openai_server import Counted, OpenAIServer, chat_prompt_tokens
from reliability_tools import assert_run_consistent
from runner_data import answer_for, diff_for, input_row, populate, report, simple_score

ROOT = Path(__file__).resolve().parent.parent
MODEL = "openai/test-model"
_, COUNT = model_tokenizer(MODEL)


def honest(body: dict):
    """answer_for, with the prompt's tokens counted as OpenAI counts them (the model's tokenizer, chat format)."""
    return Counted(answer_for, COUNT)(body)


@pytest.fixture
def server():
    with OpenAIServer(responder=honest) as srv:
        yield srv


def bench(store, srv, **kw):
    args = dict(model=MODEL, program="single", split="all", api_base=srv.url, concurrency=4,
                score_fn=simple_score, backoff_s=0.01)
    args.update(kw)
    return run_bench(store, **args)


def test_dry_run_counts_what_the_run_sends_and_calls_nothing(store, server):
    populate(store, 8, pad=40)
    est = dry_run(store, model=MODEL, program="single", split="all")
    assert server.requests == 0  # no model call
    e = est.estimate
    assert set(e.model_dump()) == {"cases", "input_tokens", "output_tokens_estimate", "cost_estimate",
                                   "price_source", "tokenizer"}
    assert e.cases == 8 and est.calls == 8 and e.tokenizer.startswith("tiktoken:cl100k_base (fallback")
    assert e.cost_estimate is None and e.price_source is None  # test-model has no price: unknown, not 0
    assert e.output_tokens_estimate == 8 * DEFAULT_OUTPUT_TOKENS and "default" in est.output_source
    res = bench(store, server)
    assert res.status == "complete" and server.requests == 8
    assert abs(e.input_tokens - res.input_tokens) / res.input_tokens < 0.02, (e.input_tokens, res.input_tokens)
    # the next estimate takes the output per case from that run
    again = dry_run(store, model=MODEL, program="single", split="all", epochs=2, price_in=2.0, price_out=8.0)
    per_case = res.output_tokens / 8
    assert again.estimate.output_tokens_estimate == round(per_case * 16) and "past runs" in again.output_source
    assert again.estimate.input_tokens == 2 * e.input_tokens and again.estimate.cases == 16
    assert again.estimate.cost_estimate == pytest.approx(
        (again.estimate.input_tokens * 2.0 + again.estimate.output_tokens_estimate * 8.0) / 1e6)
    assert again.estimate.price_source == "--price-in/--price-out"


def chars4(text: str) -> int:
    return (len(text) + 3) // 4


@pytest.mark.parametrize("model", [MODEL, "openai/gpt-4o"])
def test_dry_run_is_within_ten_percent_of_what_the_provider_counts(store, model):
    """The provider counts usage.prompt_tokens over the messages it received, with the tokenizer the
    dry run uses for the model string (cl100k fallback / gpt-4o's o200k) and OpenAI's chat format."""
    populate(store, 6, pad=80)
    name, count = model_tokenizer(model)
    assert name.startswith("tiktoken:")  # litellm's shipped files, offline
    est = dry_run(store, model=model, program="single", split="all")
    counted = Counted(answer_for, count)
    with OpenAIServer(responder=counted) as srv:
        res = bench(store, srv, model=model)
        bodies = list(srv.bodies)
    assert res.status == "complete" and len(bodies) == 6 == est.calls
    err = (est.estimate.input_tokens - counted.prompt_tokens) / counted.prompt_tokens
    assert abs(err) < 0.10, (est.estimate.input_tokens, counted.prompt_tokens)
    assert res.input_tokens == counted.prompt_tokens  # the run records the provider's usage
    # the check can fail: a provider with another tokenizer (characters / 4) is > 10% off
    other = sum(chat_prompt_tokens(b, chars4) for b in bodies)
    assert abs((est.estimate.input_tokens - other) / other) > 0.10, (est.estimate.input_tokens, other)


def test_chat_prompt_tokens_is_openais_count():
    body = {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "name": "ann", "content": [{"type": "text", "text": "Hi "},
                                                                      {"type": "text", "text": "there"}]}]}
    words = lambda t: len(t.split())  # noqa: E731 - one token per word
    # 3 priming + per message 3 + role + content (+ name and 1 more)
    assert chat_prompt_tokens(body, words) == 3 + (3 + 1 + 2) + (3 + 1 + 2 + 1 + 1)


def test_dry_run_says_which_calls_repeat_an_earlier_request(store):
    """Two reports of one change send one prompt twice: the run's cache answers the second."""
    from harness.store.gold import put_report
    from harness.store.inputs import put_inputs

    populate(store, 3, pad=20)
    twin = report(0).model_copy(update={"id": "r0100"})
    put_report(store, twin)
    put_inputs(store, [{**input_row(0, 20), "report_id": "r0100"}])
    assert diff_for(0, 20) in store.one("SELECT diff FROM review_inputs WHERE report_id = 'r0100'")[0]
    est = dry_run(store, model=MODEL, program="single", split="all")
    assert est.calls == 4 and est.repeated_calls == 1 and 0 < est.repeated_tokens < est.estimate.input_tokens / 3
    counted = Counted(answer_for, COUNT)
    with OpenAIServer(responder=counted) as srv:
        res = bench(store, srv, concurrency=1)
    assert srv.requests == 3 and res.cache_hits == 1
    assert counted.prompt_tokens == est.estimate.input_tokens - est.repeated_tokens
    assert res.input_tokens == est.estimate.input_tokens  # the run counts the cached answer's tokens too


def test_dry_run_builds_every_call_of_a_multi_call_program(store):
    populate(store, 2, pad=10)
    one = dry_run(store, model=MODEL, program="single", split="all")
    panel = dry_run(store, model=MODEL, program="panel", split="all")
    assert panel.calls > one.calls and panel.estimate.input_tokens > one.estimate.input_tokens


def test_empty_answer_has_every_output_field():
    system = ("Your input fields are:\n1. `diff` (str):\nYour output fields are:\n1. `reasoning` (str):\n"
              "2. `findings` (list[ReviewFinding]): the findings\n3. `next_tool_name` (Literal['read', 'finish']):"
              "\nAll interactions will be structured")
    text = empty_answer(system)
    assert "[[ ## reasoning ## ]]\nnone" in text and "[[ ## findings ## ]]\n[]" in text
    assert "[[ ## next_tool_name ## ]]\nfinish" in text and text.endswith("[[ ## completed ## ]]")


def test_cli_dry_run_json_contract(tmp_path):
    from harness.store import Store

    db = tmp_path / "cli.duckdb"
    with Store(db) as st:
        populate(st, 3)
    env = {**os.environ, "HARNESS_DB": str(db)}
    out = subprocess.run([sys.executable, "-m", "cli", "bench", "--model", MODEL, "--split", "all", "--dry-run",
                          "--json", "--price-in", "1", "--price-out", "2"], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert list(got) == ["cases", "input_tokens", "output_tokens_estimate", "cost_estimate", "price_source",
                         "tokenizer"]
    assert got["cases"] == 3 and got["input_tokens"] > 0 and got["cost_estimate"] > 0


def test_max_cost_interrupts_with_budget_and_resumes(store, server):
    populate(store, 12, pad=40)
    # ~1,000 tokens a case at $100 / $100 per million: ~$0.1 a case; $0.45 admits a few only
    first = bench(store, server, concurrency=2, max_cost=0.45, price_in=100.0, price_out=100.0)
    assert first.status == "interrupted" and first.message.startswith("budget:"), first.message
    assert 0 < first.finished < 12 and first.errors == 0
    assert first.spent is not None and first.spent <= 0.45
    assert first.price_source == "--price-in/--price-out"
    assert_run_consistent(store, first.run_id)
    more = bench(store, server, resume=first.run_id, concurrency=2, max_cost=10.0, price_in=100.0, price_out=100.0)
    assert more.run_id == first.run_id and more.status == "complete" and more.scored == 12
    rows = store.all("SELECT report_id, count(*) FROM run_cases WHERE run_id = ? GROUP BY 1", [more.run_id])
    assert len(rows) == 12 and all(c == 1 for _, c in rows)  # every case scored exactly once
    assert server.requests == 12
    assert more.spent == pytest.approx((more.input_tokens + more.output_tokens) * 100.0 / 1e6)


def test_max_cost_needs_a_price(store, server):
    from harness.core.errors import HarnessError

    populate(store, 2)
    with pytest.raises(HarnessError, match="--max-cost needs a price"):
        bench(store, server, max_cost=1.0)


def test_unknown_price_is_unknown_everywhere(store, server, tmp_path):
    populate(store, 3)
    res = bench(store, server)
    assert res.cost is None and res.spent is None and res.price_source is None
    from harness.store.runs import list_runs

    row = list_runs(store).row(0, named=True)
    assert row["cost"] is None and row["spent"] is None
    assert fmt_cost(None) == "unknown" and fmt_cost(0.0) == "$0.0000"


def test_cached_input_tokens_are_recorded_and_priced_at_the_cached_rate(store, server):
    populate(store, 2)

    def cached(body):
        reply = honest(body)
        reply.cached_tokens = reply.prompt_tokens // 2
        return reply

    server.responder = cached
    res = bench(store, server, price_in=10.0, price_out=20.0, price_cached=1.0)
    assert res.cached_input_tokens > 0
    expected = ((res.input_tokens - res.cached_input_tokens) * 10.0 + res.cached_input_tokens * 1.0
                + res.output_tokens * 20.0) / 1e6
    assert res.spent == pytest.approx(expected)
    stored = store.one("SELECT sum(cached_input_tokens) FROM model_calls")[0]
    assert stored == res.cached_input_tokens


def test_price_resolution():
    assert resolve_price("openai/test-model") is None
    p = resolve_price("openai/test-model", 3.0, 15.0)
    assert p is not None and p.cost(1_000_000, 1_000_000) == pytest.approx(18.0)
    table = resolve_price("openai/gpt-4o-mini")
    assert table is not None and table.source.startswith("litellm price table") and table.cost(1000, 1000) > 0
    anthropic = resolve_price("anthropic/claude-x", 3.0, 15.0, 0.3)
    # Anthropic reports cached tokens apart from input tokens; OpenAI within them
    assert anthropic.cost(1000, 0, 500) == pytest.approx((1000 * 3.0 + 500 * 0.3) / 1e6)
    assert resolve_price("openai/x", 3.0, 15.0, 0.3).cost(1000, 0, 500) == pytest.approx((500 * 3.0 + 500 * 0.3) / 1e6)
