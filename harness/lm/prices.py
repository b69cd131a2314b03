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


# -- a run's price: flags, config, litellm's table, or unknown -------------------------------

PER_MILLION = 1_000_000


class Price:
    """USD per token for input, output and cached input, and where the figures came from."""

    def __init__(self, input: float, output: float, cached_input: float | None, source: str,
                 model: str = "", table: bool = False):
        self.input, self.output, self.cached_input = input, output, cached_input
        self.source = source
        self.model = model
        self.table = table  # litellm's entry: long-context tiers apply

    def cost(self, input_tokens: int, output_tokens: int, cached_tokens: int = 0) -> float:
        """USD for one call. Cached input tokens are part of `input_tokens` (OpenAI, Gemini, xAI)
        except on Anthropic, which reports them apart; they cost the cached rate when known."""
        if self.table:
            base = cost_usd(self.model, input_tokens, output_tokens)
        else:
            base = self.input * input_tokens + self.output * output_tokens
        if not cached_tokens or self.cached_input is None:
            return base
        if self.model.startswith("anthropic/"):
            return base + self.cached_input * cached_tokens
        return base - (self.input - self.cached_input) * min(cached_tokens, input_tokens)


def resolve_price(model: str, price_in: float | None = None, price_out: float | None = None,
                  price_cached: float | None = None) -> Price | None:
    """The price of `model`: `--price-in`/`--price-out` (USD per million tokens), else the
    `[tool.harness.prices]` config (`"model" = {input = ..., output = ..., cached_input = ...}`,
    USD per million), else litellm's price table; None when none of them prices it."""
    from harness.core.errors import HarnessError

    if (price_in is None) != (price_out is None):
        raise HarnessError("--price-in and --price-out go together (USD per million tokens)")
    if price_in is not None and price_out is not None:
        if price_in < 0 or price_out < 0 or (price_cached is not None and price_cached < 0):
            raise HarnessError("prices cannot be negative")
        return Price(price_in / PER_MILLION, price_out / PER_MILLION,
                     None if price_cached is None else price_cached / PER_MILLION, "--price-in/--price-out", model)
    configured = _config_price(model)
    if configured is not None:
        return configured
    entry = entry_for(model)
    if entry and (entry.get("input_cost_per_token") or entry.get("output_cost_per_token")):
        cached = entry.get("cache_read_input_token_cost")
        return Price(float(entry.get("input_cost_per_token") or 0.0), float(entry.get("output_cost_per_token") or 0.0),
                     float(cached) if cached is not None else None, f"litellm price table ({_litellm_version()})",
                     model, table=True)
    return None


def _config_price(model: str) -> Price | None:
    try:
        from harness.core.config import load_config  # the project's settings (pyproject / harness.toml)
    except ImportError:
        return None
    try:
        prices = load_config().section("prices") or {}
    except Exception:  # noqa: BLE001 - an unreadable config is reported by the CLI, not here
        return None
    row = prices.get(model)
    if not isinstance(row, dict) or "input" not in row or "output" not in row:
        return None
    try:
        cached = row.get("cached_input")
        return Price(float(row["input"]) / PER_MILLION, float(row["output"]) / PER_MILLION,
                     None if cached is None else float(cached) / PER_MILLION, "config [tool.harness.prices]", model)
    except (TypeError, ValueError):
        return None


def _litellm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"litellm {version('litellm')}"
    except PackageNotFoundError:
        return "litellm"


def add_cost(a: float | None, b: float | None) -> float | None:
    """Sum of two costs where None is unknown (and stays unknown)."""
    return None if a is None or b is None else a + b


def fmt_cost(x: float | None, digits: int = 4) -> str:
    """`$0.0123`, or `unknown` (never `$0.00` for a model without a price)."""
    return "unknown" if x is None else f"${x:.{digits}f}"
