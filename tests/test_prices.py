"""harness/lm/prices.py prices a call as litellm.cost_per_token does, from litellm's own price file."""

from __future__ import annotations

import json

import pytest

from harness.lm import prices
from harness.lm.prices import cost_usd, price_file

NATIVE_PROVIDERS = ("openai", "anthropic", "gemini", "xai")  # the prefixes routed natively without a preset
TOKENS = [(0, 0), (1000, 500), (150_000, 100), (250_000, 1000), (300_000, 10)]  # crosses the price tiers


def test_every_natively_routed_chat_model_costs_what_litellm_says():
    import litellm

    table = json.loads(price_file().read_text())
    models = sorted({f"{e['litellm_provider']}/{key.removeprefix(e['litellm_provider'] + '/')}"
                     for key, e in table.items()
                     if isinstance(e, dict) and e.get("mode") == "chat" and e.get("litellm_provider") in NATIVE_PROVIDERS})
    assert len(models) > 150
    tiered = 0
    for model in models:
        tiered += any("_above_" in k for k in prices.entry_for(model) or {})
        for a, b in TOKENS:
            expected = sum(litellm.cost_per_token(model=model, prompt_tokens=a, completion_tokens=b))
            assert cost_usd(model, a, b) == pytest.approx(expected, rel=1e-12, abs=0), (model, a, b)
    assert tiered > 10  # the tiers were exercised


@pytest.mark.parametrize("model", ["openai/test-model", "anthropic/not-a-model", "openai/claude-sonnet-4-5"])
def test_unpriced_models_cost_nothing(model):
    assert cost_usd(model, 1000, 1000) == 0.0  # (the last: a name priced for another provider only)


def test_no_price_file_costs_nothing(monkeypatch):
    monkeypatch.setattr(prices, "price_file", lambda: None)
    monkeypatch.setattr(prices, "_entries", {})
    assert cost_usd("openai/gpt-4o-mini", 1000, 1000) == 0.0
