"""Which engine makes a model call: DSPy's native lm15 engine where DSPy 3.4 would pick it, litellm else.

DSPy 3.4's `dspy.LM(engine="auto")` sends `openai/`, `anthropic/`, `gemini/`, ... models
through its native lm15 engine (one HTTP request per call, ~1 ms CPU) and everything else
through litellm (~4.4 ms CPU per call, ~170 MB and ~3 s to import). The harness owns its
engine (cache, retries, limiter, accounting), so it makes the same choice itself:

- the model string, `--api-base` and timeout go through DSPy's own offline selection
  (`select_backend`: environment gateways such as OPENAI_API_BASE, Azure endpoints and
  other client settings stay on litellm, as in DSPy);
- only routes without a compatibility preset are taken natively (openai, anthropic,
  gemini, xai): DSPy builds the request it hands a custom engine without the preset, so a
  preset route (groq, ollama, vLLM, ...) would get a request shaped for another dialect;
- each request is planned offline first (`plan`, no I/O): a request the native route would
  refuse goes to litellm, as DSPy does;
- only `provider/model` spellings are taken natively: a bare name (`gpt-4o`) is routed and
  priced by litellm's own rules, which lm15's prefix rules do not reproduce;
- an `--api-base` carrying credentials (`https://user:pass@host/v1`) stays on litellm: lm15's
  transport does not take URL userinfo;
- any other model string (`together_ai/...`, the `offline/` heuristic reviewer, a custom
  litellm provider) goes to litellm, unchanged.

The engine choice never enters the model-call cache key: that is the hash of the request
DSPy built, before either engine sees it.
"""

from __future__ import annotations

import threading
import types
from typing import Any, Callable

KEYLESS_PLACEHOLDER = "no-key"  # OpenAI-compatible local servers need none, the SDKs insist


def native_route(model: str, api_base: str | None, timeout: float) -> Any | None:
    """lm15's resolution of `model` when DSPy would call it natively with these settings, else None."""
    from dspy._vendor.lm15.router import LITELLM_PROVIDER_PREFIXES
    from dspy.clients.backend_selection import select_backend

    if model.partition("/")[0] not in LITELLM_PROVIDER_PREFIXES:
        return None  # a bare name (`gpt-4o`) is litellm's to route and price, as before
    if api_base and "@" in api_base.partition("://")[2].partition("/")[0]:
        return None  # user:password@host: lm15's transport takes no URL credentials, httpx's does
    kwargs: dict[str, Any] = {"timeout": timeout}
    if api_base:
        kwargs["api_base"] = api_base
    lm = types.SimpleNamespace(_engine_spec="auto", kwargs=kwargs, model_type="chat", _providers=(), model=model)
    try:
        selection = select_backend(lm)
    except Exception:  # noqa: BLE001 - anything DSPy cannot select natively stays on litellm
        return None
    resolution = selection.resolution
    if not selection.native or resolution is None or resolution.compat is not None:
        return None
    return resolution


def native_engine(route: Any, api_base: str | None, timeout: float) -> Any:
    """An lm15 engine for `route`, its provider built now: a missing key fails here, once.

    Keys come from the environment (lm15 reads the provider's variable at construction);
    with `--api-base` and no key set, the keyless placeholder is sent, as on the litellm path.
    """
    from dspy.clients.engines.lm15_engine import LM15Engine, timeouts_for
    from dspy.lm15 import NotConfiguredError, RouterConfig

    base_urls = {route.provider: api_base} if api_base else None
    transport = tap_transport(RouterConfig(timeouts=timeouts_for(timeout)).transport_kwargs())

    def build(api_keys: dict[str, str] | None) -> Any:
        config = RouterConfig(api_keys=api_keys, base_urls=base_urls, transport=transport)
        engine = LM15Engine(config, model_type="chat")
        engine.router.lm(f"{route.provider}:{route.model}")  # constructs the provider, reads the key
        return engine

    try:
        return build(None)
    except NotConfiguredError:
        if not api_base:
            raise
    return build({route.provider: KEYLESS_PLACEHOLDER})


class RoutedEngine:
    """Native for the requests the native route plans, litellm (built on first need) for the rest."""

    def __init__(self, native: Any | None, make_litellm: Callable[[], Any]):
        self.native = native
        self._make_litellm = make_litellm
        self._litellm: Any = None
        self._lock = threading.Lock()

    def pick(self, request: Any) -> Any:
        if self.native is not None:
            try:
                self.native.plan(request)  # offline: raises what the native call would refuse
                return self.native
            except Exception:  # noqa: BLE001 - a refusal: litellm carries the request, as in DSPy
                pass
        return self.litellm()

    def litellm(self) -> Any:
        with self._lock:
            if self._litellm is None:
                self._litellm = self._make_litellm()
            return self._litellm

    def complete(self, request: Any) -> Any:
        return self.pick(request).complete(request)


_tapped = threading.local()


def tap_transport(kwargs: dict[str, Any]) -> Any:
    """lm15's stdlib transport, keeping the headers of the last answer this thread received.

    lm15 hands a successful call's response headers to nobody; the limiter needs them
    (`x-ratelimit-remaining-*` arrive on every answer, long before a 429).
    """
    from dspy._vendor.lm15.transports import StdlibTransport

    class TapTransport(StdlibTransport):
        def stream(self, request: Any) -> Any:
            resp = super().stream(request)
            _tapped.headers = resp.headers
            return resp

    return TapTransport(**kwargs)


def take_headers() -> dict[str, str] | None:
    """The headers of the last answer this thread received through a native engine (then forgotten)."""
    headers = getattr(_tapped, "headers", None)
    _tapped.headers = None
    if headers is None:
        return None
    items = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in items}
