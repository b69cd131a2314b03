"""Model calls for DSPy programs: native or litellm engine, our cache, retries, adaptive concurrency, accounting.

The extension point is DSPy 3.4's engine contract (`dspy.LM(model, engine=E)` where
`E.complete(lm15.Request) -> lm15.Response`): every call a program makes, whatever its
adapter, reaches `CaseEngine.complete`, which asks the shared `ModelClient`:

1. the model-call cache (DuckDB `model_calls`, keyed by the content hash of the canonical
   request JSON and the epoch: a re-run makes zero calls; epochs stay independent);
2. on a miss, one slot of the `AdaptiveLimiter`, then one attempt through the engine DSPy
   itself would pick (harness.lm.engines: its native lm15 engine for `openai/`,
   `anthropic/`, `gemini/`, `xai/` models; DSPy's `LiteLLMEngine` - litellm.completion, no
   litellm retries, no litellm cache - for every other model string), with our retry policy
   around it: 429 -> halve concurrency, pause for retry-after, retry; 5xx / timeout /
   connection failures -> exponential backoff with jitter, bounded; unknown model / missing
   key / auth / billing -> a fatal `ModelCallError` (the run stops). `_classify` gives one
   fault the same kind on either engine.

DSPy's response cache and retries are off for these LMs (`cache=False, num_retries=0`): we
own both. litellm is imported only when a call needs it (a model the native engine does
not route): a fully cached re-run, and a natively routed run, never pay its
~2.5 s import and ~170 MB.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from typing import Any, Callable, Protocol

from pydantic import BaseModel

from harness.core.defaults import DEFAULT_CONCURRENCY
from harness.core.errors import ModelError
from harness.core.hashing import content_hash
from harness.core.runs import CallStats
from harness.core.secrets import redact, remember_url_credentials
from harness.lm.engines import KEYLESS_PLACEHOLDER
from harness.lm.limiter import AdaptiveLimiter


class CallCache(Protocol):
    """Where model answers are kept (harness.store.runs.RunWriter)."""

    def cache_get(self, key: str) -> dict[str, Any] | None: ...

    def cache_put(self, key: str, **row: Any) -> None: ...

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at import


class ModelSettings(BaseModel):
    model: str
    api_base: str | None = None
    temperature: float | None = 0.0
    max_tokens: int | None = None
    timeout: float = 120.0  # seconds per model call
    max_retries: int = 4  # for 5xx, timeouts, connection failures
    max_rate_limit_retries: int = 12  # for 429s (they also shrink concurrency)
    backoff_s: float = 0.5  # first backoff; doubles per attempt, with jitter
    backoff_cap_s: float = 30.0
    concurrency: int = DEFAULT_CONCURRENCY


class ModelCallError(ModelError):
    """A model call that failed for good. `fatal`: every other call would fail the same way."""

    def __init__(self, message: str, *, kind: str, fatal: bool = False, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.kind = kind
        self.fatal = fatal


_RETRY_RATE = "rate_limit"
_RETRY_BACKOFF = "transient"


def _classify(exc: BaseException) -> tuple[str, str, bool]:
    """(kind, retry policy or 'none', fatal) for an exception raised by one attempt.

    Both engines end in lm15's taxonomy, with different chains beneath: litellm wraps the
    openai SDK's exceptions (and reports connection failures and unparseable bodies as
    500s), the native engine wraps its transport's. The cause chain is read first, so
    that one fault gets one kind whichever engine met it (tests/test_lm_engines.py).
    """
    from dspy import lm15

    table: list[tuple[type, str, str, bool]] = [
        (lm15.RateLimitError, "rate_limit", _RETRY_RATE, False),
        (lm15.AuthError, "auth", "none", True),
        (lm15.BillingError, "billing", "none", True),
        (lm15.ContextLengthError, "context_length", "none", False),
        (lm15.UnsupportedModelError, "unknown_model", "none", True),
        (lm15.InvalidRequestError, "invalid_request", "none", False),
        (lm15.TimeoutError, "timeout", _RETRY_BACKOFF, False),
        (lm15.ServerError, "server", _RETRY_BACKOFF, False),
        (lm15.TransportError, "transport", _RETRY_BACKOFF, False),
        (lm15.ConfigurationError, "configuration", "none", True),
        (lm15.ProviderError, "provider", _RETRY_BACKOFF, False),
    ]
    if _timed_out(exc):  # the native engine reports a read timeout as a TransportError
        return "timeout", _RETRY_BACKOFF, False
    if _connection_failure(exc):  # litellm reports these as 500s: look at the cause
        return "transport", _RETRY_BACKOFF, False
    if _unparseable(exc):  # litellm: a 500; native: a ProviderError
        return "bad_response", _RETRY_BACKOFF, False
    status = getattr(exc, "status", None)
    if isinstance(exc, lm15.InvalidRequestError) and status == 404 and not isinstance(exc, lm15.ContextLengthError):
        return "unknown_model", "none", True  # litellm's NotFoundError, which DSPy maps to UnsupportedModelError
    for cls, kind, policy, fatal in table:
        if isinstance(exc, cls):
            return kind, policy, fatal
    # Anything else from the SDK (an unparseable body, a protocol error) is worth a retry.
    return "bad_response", _RETRY_BACKOFF, False


_CONNECTION_ERRORS = {"APIConnectionError", "ConnectError", "ConnectionRefusedError", "ConnectionResetError",
                      "RemoteProtocolError", "ReadError", "ConnectionError"}
_TIMEOUTS = {"ReadTimeout", "WriteTimeout", "ConnectTimeout", "PoolTimeout", "APITimeoutError"}


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _timed_out(exc: BaseException) -> bool:
    """A wait that ran out (read, write, connect, pool; or a 408 / 504 from the provider)."""
    return any(type(e).__name__ in _TIMEOUTS or isinstance(e, TimeoutError) for e in _chain(exc))


def _unparseable(exc: BaseException) -> bool:
    """The provider answered with a body that is not JSON."""
    return any(isinstance(e, (json.JSONDecodeError, UnicodeDecodeError)) for e in _chain(exc))


def _connection_failure(exc: BaseException) -> bool:
    if _timed_out(exc):
        return False
    return any(type(e).__name__ in _CONNECTION_ERRORS for e in _chain(exc))


def _cannot_connect(exc: BaseException) -> bool:
    """No connection was made (refused, unknown host); a reset after connecting is the case's own failure."""
    return any(type(e).__name__ in ("ConnectError", "ConnectionRefusedError", "gaierror") for e in _chain(exc))


def retry_after_s(exc: BaseException) -> float | None:
    """The provider's retry-after, in seconds, from anywhere in the exception chain.

    litellm keeps the real response headers in `litellm_response_headers` (its `response`
    attribute is a synthetic one without them), so DSPy's mapping misses the header.
    """
    from email.utils import parsedate_to_datetime

    cur: BaseException | None = exc
    for _ in range(6):
        if cur is None:
            break
        value = getattr(cur, "retry_after", None)
        if isinstance(value, (int, float)) and value >= 0:
            return float(value)
        for attr in ("litellm_response_headers", "headers"):
            headers = getattr(cur, attr, None)
            if headers is None:
                resp = getattr(cur, "response", None)
                headers = getattr(resp, "headers", None) if attr == "headers" else None
            if not headers:
                continue
            lower = {str(k).lower(): str(v) for k, v in dict(headers).items()}
            if "retry-after-ms" in lower:
                try:
                    return max(0.0, float(lower["retry-after-ms"]) / 1000)
                except ValueError:
                    pass
            if "retry-after" in lower:
                raw = lower["retry-after"].strip()
                try:
                    return max(0.0, float(raw))
                except ValueError:
                    try:
                        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
                    except (TypeError, ValueError):
                        pass
        cur = cur.__cause__ or cur.__context__
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text[:400])


def request_key(request: Any, epoch: int) -> str:
    """Content hash of the canonical request (model, messages, params) and the epoch."""
    from dspy._vendor.lm15.serde import request_to_dict

    return content_hash({"request": request_to_dict(request), "epoch": epoch})


class ModelClient:
    """Shared by every case of a run: one litellm engine, one limiter, one cache."""

    def __init__(self, settings: ModelSettings, cache: CallCache, *, limiter: AdaptiveLimiter | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random):
        self.settings = settings
        remember_url_credentials(settings.api_base)
        self.cache = cache
        self.limiter = limiter or AdaptiveLimiter(settings.concurrency)
        self._sleep = sleep
        self._rng = rng
        self._engine: Any = None
        self._engine_lock = threading.Lock()
        self.answered = 0  # calls the provider answered in this process (dead-endpoint detection)
        self._count_lock = threading.Lock()

    # -- DSPy integration -------------------------------------------------------------
    def lm(self, *, epoch: int, stats: CallStats, stats_lock: threading.Lock | None = None):
        """A dspy.LM whose every call goes through this client, counted into `stats`."""
        import dspy

        from harness.lm import speedups

        speedups.install()
        s = self.settings
        return dspy.LM(s.model, engine=CaseEngine(self, epoch, stats, stats_lock or threading.Lock()),
                       cache=False, num_retries=0, temperature=s.temperature, max_tokens=s.max_tokens)

    # -- the call path ----------------------------------------------------------------
    def complete(self, request: Any, *, epoch: int, stats: CallStats, lock: threading.Lock) -> Any:
        from dspy._vendor.lm15.serde import response_from_dict, response_to_dict

        key = request_key(request, epoch)
        hit = self.cache.cache_get(key)
        if hit is not None:
            response = response_from_dict(json.loads(hit["response"]))
            with lock:
                stats.cache_hits += 1
                stats.input_tokens += hit["input_tokens"]
                stats.output_tokens += hit["output_tokens"]
                stats.cost += hit["cost"]
                self._remember(stats, response)
            return response
        response, duration = self._call_with_retries(request, stats, lock)
        usage = response.usage
        cost = self._cost(usage.input_tokens or 0, usage.output_tokens or 0)
        self.cache.cache_put(
            key, model=self.settings.model, epoch=epoch,
            response=json.dumps(response_to_dict(response), ensure_ascii=False),
            finish_reason=response.finish_reason, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cost=cost, duration_s=duration,
        )
        with lock:
            stats.model_calls += 1
            stats.input_tokens += usage.input_tokens or 0
            stats.output_tokens += usage.output_tokens or 0
            stats.cost += cost
            stats.spent += cost
            stats.call_s += duration
            self._remember(stats, response)
        return response

    @staticmethod
    def _remember(stats: CallStats, response: Any) -> None:
        stats.last_text = response_text(response)
        stats.last_finish_reason = response.finish_reason

    def _call_with_retries(self, request: Any, stats: CallStats, lock: threading.Lock) -> tuple[Any, float]:
        s = self.settings
        engine = self._engine_for(request)  # outside the retry loop: set-up failures are not retried
        transient = rate = 0
        while True:
            self.limiter.acquire()
            ok = False
            t0 = time.perf_counter()
            try:
                response = engine.complete(request)
                ok = True
            except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
                kind, policy, fatal = _classify(exc)
                error = exc
            finally:
                self.limiter.release(success=ok)
            if ok:
                with self._count_lock:
                    self.answered += 1
                return response, time.perf_counter() - t0
            if policy == _RETRY_RATE and rate < s.max_rate_limit_retries:
                rate += 1
                self.limiter.rate_limited(retry_after_s(error), self._backoff(rate - 1))
                with lock:
                    stats.retries += 1
                    stats.rate_limited += 1
                continue  # the limiter's pause is the wait
            if policy == _RETRY_BACKOFF and transient < s.max_retries:
                transient += 1
                with lock:
                    stats.retries += 1
                self._sleep(self._backoff(transient - 1))
                continue
            attempts = transient + rate + 1
            if kind == "transport" and self.answered == 0 and _cannot_connect(error):
                fatal = True  # refused and nothing ever answered: the endpoint is down, not this case
            raise ModelCallError(
                f"{s.model}: {kind} after {attempts} attempt{'s' if attempts > 1 else ''}: {_one_line(error)}",
                kind=kind, fatal=fatal,
                hint=_HINTS.get(kind),
            ) from error

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with 'equal jitter': half fixed, half random."""
        s = self.settings
        base = min(s.backoff_cap_s, s.backoff_s * (2 ** attempt))
        return base / 2 + self._rng() * base / 2

    def _cost(self, input_tokens: int, output_tokens: int) -> float:
        """USD at litellm's prices; 0 for models it does not price (local, test servers).

        A natively routed model is priced from litellm's price file (harness.lm.prices), so
        that litellm is never imported for it; any other model by litellm itself.
        """
        if self._routed().native is not None:
            from harness.lm.prices import cost_usd

            return cost_usd(self.settings.model, input_tokens, output_tokens)
        litellm = self._litellm()
        try:
            a, b = litellm.cost_per_token(model=self.settings.model, prompt_tokens=input_tokens,
                                          completion_tokens=output_tokens)
            return float(a + b)
        except Exception:  # noqa: BLE001 - unknown model price
            return 0.0

    # -- setup (first cache miss) -----------------------------------------------------
    @staticmethod
    def _litellm() -> Any:
        from dspy.clients._litellm import get_litellm

        return get_litellm(feature="harness model calls")

    def _routed(self) -> Any:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._make_engine()
            return self._engine

    def _engine_for(self, request: Any) -> Any:
        return self._routed().pick(request)

    def _make_engine(self) -> Any:
        from harness.lm.engines import RoutedEngine, native_engine, native_route

        s = self.settings
        if s.model.startswith("offline/"):
            # the built-in deterministic baseline is a litellm custom provider
            return RoutedEngine(None, self._litellm_engine)
        route = native_route(s.model, s.api_base, s.timeout)
        if route is None:
            return RoutedEngine(None, self._litellm_engine)
        from dspy.lm15 import NotConfiguredError

        try:
            return RoutedEngine(native_engine(route, s.api_base, s.timeout), self._litellm_engine)
        except NotConfiguredError as exc:
            keys = ", ".join(exc.env_keys) or "the API key"
            raise ModelCallError(f"{s.model}: {keys} not set", kind="auth", fatal=True,
                                 hint="export the key, or pass --api-base for a keyless endpoint") from None

    def _litellm_engine(self) -> Any:
        if self.settings.model.startswith("offline/"):
            # the built-in deterministic baseline is a litellm custom provider: route it first
            from harness.lm.heuristic_reviewer import register

            register()
        from dspy.clients.engines.litellm_engine import LiteLLMEngine

        s = self.settings
        litellm = self._litellm()
        try:
            litellm.get_llm_provider(s.model, api_base=s.api_base)
        except Exception:  # noqa: BLE001 - litellm raises its BadRequestError
            raise ModelCallError(f"unknown model {s.model!r}: litellm cannot route it", kind="unknown_model",
                                 fatal=True, hint="use provider/model, e.g. openai/gpt-4o-mini, "
                                                  "anthropic/claude-sonnet-4-5, ollama_chat/llama3") from None
        options: dict[str, Any] = {"timeout": s.timeout}
        if s.api_base:
            options["api_base"] = s.api_base
        env = litellm.validate_environment(model=s.model, api_base=s.api_base)
        missing = [k for k in env.get("missing_keys", []) if k]
        if missing and s.api_base:
            options["api_key"] = KEYLESS_PLACEHOLDER
        elif missing:
            raise ModelCallError(f"{s.model}: {', '.join(missing)} not set", kind="auth", fatal=True,
                                 hint="export the key, or pass --api-base for a keyless endpoint")
        return LiteLLMEngine(model_type="chat", **options)


_HINTS = {
    "auth": "check the API key in the environment",
    "unknown_model": "check the model name",
    "transport": "is the endpoint up? check --api-base",
    "timeout": "raise --timeout or lower --concurrency",
    "rate_limit": "lower --concurrency",
}


def response_text(response: Any) -> str:
    """The answer's text parts joined (what a parse failure keeps as the raw response)."""
    parts = getattr(response.message, "parts", ()) or ()
    return "".join(getattr(p, "text", "") or "" for p in parts if getattr(p, "type", "") == "text")


class CaseEngine:
    """The DSPy engine of one case: the shared client, this case's epoch and its counters."""

    def __init__(self, client: ModelClient, epoch: int, stats: CallStats, lock: threading.Lock):
        self.client = client
        self.epoch = epoch
        self.stats = stats
        self.lock = lock

    def complete(self, request: Any) -> Any:
        return self.client.complete(request, epoch=self.epoch, stats=self.stats, lock=self.lock)

    def stream(self, request: Any) -> Any:
        from dspy.lm15 import UnsupportedFeatureError

        raise UnsupportedFeatureError("the harness engine does not stream")

    def close(self) -> None:
        pass


def model_error_in(exc: BaseException) -> ModelCallError | None:
    """The ModelCallError behind an exception DSPy wrapped (LMUnexpectedError ... from ours)."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 10:
        if isinstance(cur, ModelCallError):
            return cur
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return None
