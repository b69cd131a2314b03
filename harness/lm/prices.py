"""USD per call at litellm's prices, without importing litellm (for calls the native engine makes).

litellm ships its price table as JSON (`model_prices_and_context_window_backup.json`, the
map it loads itself when LITELLM_LOCAL_MODEL_COST_MAP is set, as it is here). Importing
litellm to read it costs ~3 s and ~170 MB; reading the file once costs ~0.1 s, and only the
run's model's entry is kept. The lookup and arithmetic are litellm's for a plain chat call
(prompt and completion tokens, no cache or audio detail), as `litellm.cost_per_token`
computes it: the model as given, then its name without the provider prefix, entries of
another provider skipped; tiered prices (`..._above_128k_tokens`) by prompt size.
tests/test_prices.py checks equality with litellm over every chat model of the natively
routed providers. A model the table does not price costs 0.
"""

from __future__ import annotations

import json
import re
import threading
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PRICE_FILE = "model_prices_and_context_window_backup.json"

_lock = threading.Lock()
_entries: dict[str, dict[str, Any] | None] = {}


def price_file() -> Path | None:
    """litellm's price table, located without importing litellm."""
    spec = find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / PRICE_FILE
    return path if path.is_file() else None


def _find(table: dict[str, Any], model: str) -> dict[str, Any] | None:
    provider, _, name = model.partition("/")
    if not name:
        provider, name = "", model
    for key in (model, name) if provider else (model,):
        entry = table.get(key)
        if not isinstance(entry, dict):
            continue
        if provider and entry.get("litellm_provider") != provider:
            continue  # another provider's model of that name
        return entry
    return None


def entry_for(model: str) -> dict[str, Any] | None:
    """The price entry of `model` (read once per model; the table itself is not kept)."""
    with _lock:
        if model in _entries:
            return _entries[model]
        path = price_file()
        entry = None
        if path is not None:
            try:
                entry = _find(json.loads(path.read_text(encoding="utf-8")), model)
            except (OSError, ValueError):
                entry = None
        _entries[model] = entry
        return entry


_TIER = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float:
    """USD for one call; 0.0 when the table has no price for the model."""
    entry = entry_for(model)
    if not entry:
        return 0.0
    try:
        inp = float(entry.get("input_cost_per_token") or 0.0)
        out = float(entry.get("output_cost_per_token") or 0.0)
        tiers = sorted(int(m.group(1)) for key in entry if (m := _TIER.match(key)))
        above = [t for t in tiers if input_tokens > t * 1000]
        if above:
            suffix = f"_above_{above[-1]}k_tokens"
            inp = float(entry.get("input_cost_per_token" + suffix, inp))
            out = float(entry.get("output_cost_per_token" + suffix, out))
        return inp * input_tokens + out * output_tokens
    except (TypeError, ValueError):
        return 0.0
