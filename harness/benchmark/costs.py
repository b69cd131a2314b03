"""What a run will cost before it starts (`bench --dry-run`), and a bound while it runs (`--max-cost`).

Dry run: every prompt of the run is built exactly as it would be sent: the program runs on
every runnable case with a DSPy LM whose engine records each request instead of sending it,
and answers with an empty answer in the signature's format (every output field present, lists
empty), so that a program making several calls (per_file's chunks, panel's reviewers and its
consolidator, agent's first step) makes them all. Input tokens are counted over the messages of
those requests with the model's tokenizer (harness.lm.tokens.model_tokenizer: the one litellm
ships for it, else cl100k_base, and the output says which). The output estimate is the mean
output tokens per case of past runs of the same program and model in the store, else
`DEFAULT_OUTPUT_TOKENS` per case (stated in the source field). Prompts that depend on earlier
answers (panel's consolidator sees the reviewers' findings, agent's later steps) are counted
with empty answers: an undercount for those programs. No model is called.

Budget: `Budget.start` refuses a case when what the run has spent, plus the estimates of the
cases in flight, plus this case's estimate would pass `--max-cost`. A case's estimate is the
mean spent per case that called the model so far in this run, and before the first such case
the prompt estimate: the case's diff tokens + `PROMPT_OVERHEAD` at the input price, plus
`DEFAULT_OUTPUT_TOKENS` at the output price.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from harness.core.errors import HarnessError
from harness.store import Store

DEFAULT_OUTPUT_TOKENS = 500  # per case, when no past run of the program and model says otherwise
PROMPT_OVERHEAD = 800  # tokens of instructions and field markers around a diff (the `single` program: ~700)
_MESSAGE_OVERHEAD = 4  # OpenAI chat format: tokens per message around its content (and 3 per request)


class DryRun(BaseModel):
    """`harness bench --dry-run --json` (the contract: exactly these keys)."""

    cases: int
    input_tokens: int
    output_tokens_estimate: int
    cost_estimate: float | None
    price_source: str | None
    tokenizer: str


class DryRunDetail(BaseModel):
    estimate: DryRun
    runnable: int
    calls: int  # requests the run would send (one per model call the program makes)
    output_source: str
    # calls whose request is identical to an earlier call of the same epoch (two reports of one
    # change): the run's model-call cache answers them once the first has been answered, so the
    # provider sees them only when both are in flight at once. Counted in input_tokens (the run
    # counts a cached answer's tokens too); the provider bills input_tokens - repeated_tokens.
    repeated_calls: int = 0
    repeated_tokens: int = 0


# -- the budget ------------------------------------------------------------------------------


class Budget:
    def __init__(self, max_cost: float, price: Any, prior: dict[str, Any]):
        if max_cost < 0:
            raise HarnessError("--max-cost cannot be negative")
        self.max_cost = max_cost
        self.price = price
        self.spent = float(prior.get("spent") or 0.0)
        self.in_flight: dict[tuple[str, int], float] = {}
        self._done_cost = 0.0
        self._done_n = 0

    def estimate(self, case: Any) -> float:
        if self._done_n:
            return self._done_cost / self._done_n
        return self.price.cost(int(getattr(case, "tokens", 0) or 0) + PROMPT_OVERHEAD, DEFAULT_OUTPUT_TOKENS)

    def start(self, key: tuple[str, int], case: Any) -> str | None:
        """Admit the case (None) or say why not (the run's interruption message)."""
        est = self.estimate(case)
        committed = self.spent + sum(self.in_flight.values())
        if committed + est > self.max_cost:
            return (f"budget: spent ${self.spent:.4f}, in flight ${committed - self.spent:.4f}, next case "
                    f"~${est:.4f} would pass --max-cost ${self.max_cost:.4f}; resume with a higher --max-cost")
        self.in_flight[key] = est
        return None

    def finished(self, key: tuple[str, int], stats: Any) -> None:
        self.in_flight.pop(key, None)
        spent = stats.spent or 0.0
        self.spent += spent
        if stats.model_calls:
            self._done_cost += spent
            self._done_n += 1


# -- the dry run -------------------------------------------------------------------------------

_OUTPUTS = re.compile(r"Your output fields are:\n(.*?)(?:\n\n|\nAll interactions|\Z)", re.S)
_FIELD = re.compile(r"^\d+\. `(\w+)` \((.*)\)", re.M)


def empty_answer(system: str) -> str:
    """An answer in DSPy's ChatAdapter format with every output field of the request, empty."""
    m = _OUTPUTS.search(system or "")
    parts = []
    for name, typ in _FIELD.findall(m.group(1) if m else ""):
        t = typ.strip().lower()
        if t.startswith("literal["):
            opts = re.findall(r"'([^']*)'", typ)
            value = "finish" if "finish" in opts else (opts[0] if opts else "")
        elif t.startswith(("list", "tuple", "set")):
            value = "[]"
        elif t.startswith("dict"):
            value = "{}"
        elif t in ("int", "float"):
            value = "0"
        elif t == "bool":
            value = "false"
        else:
            value = "none"
        parts.append(f"[[ ## {name} ## ]]\n{value}\n")
    parts.append("[[ ## completed ## ]]")
    return "\n".join(parts)


def request_texts(request: Any) -> list[str]:
    """The text of every message the request sends (the system prompt first)."""
    from dspy._vendor.lm15.serde import request_to_dict

    d = request_to_dict(request)
    out = []
    system = d.get("system")
    if isinstance(system, str) and system:
        out.append(system)
    elif isinstance(system, list):
        out.extend(p.get("text", "") for p in system if isinstance(p, dict))
    for msg in d.get("messages", []):
        out.append("".join(p.get("text", "") or "" for p in msg.get("parts", []) if isinstance(p, dict)))
    return out


class _Capture:
    """A DSPy engine that records each request and answers it with an empty answer, sending nothing."""

    def __init__(self, count: Any):
        import threading

        self.count = count
        self.calls = 0
        self.tokens = 0
        self.repeated_calls = 0
        self.repeated_tokens = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def complete(self, request: Any) -> Any:
        from dspy.lm15 import Message, Response, TextPart, Usage

        from harness.lm.client import request_key

        texts = request_texts(request)
        n = sum(self.count(t) for t in texts) + _MESSAGE_OVERHEAD * len(texts) + 3
        key = request_key(request, 0)  # the run's cache key (one epoch: every epoch repeats the same)
        with self._lock:
            self.calls += 1
            self.tokens += n
            if key in self._seen:
                self.repeated_calls += 1
                self.repeated_tokens += n
            self._seen.add(key)
        answer = empty_answer(texts[0] if texts else "")
        return Response(id=None, model=str(request.model), message=Message.assistant((TextPart(answer),)),
                        finish_reason="stop", usage=Usage(input_tokens=n, output_tokens=0))

    def stream(self, request: Any) -> Any:
        from dspy.lm15 import UnsupportedFeatureError

        raise UnsupportedFeatureError("the dry run does not stream")

    def close(self) -> None:
        pass


def past_output_per_case(st: Store, model: str, program: str) -> float | None:
    """Mean output tokens per case that called the model, over past runs of this program and model."""
    row = st.one(
        "SELECT sum(c.output_tokens)::DOUBLE / nullif(count(*), 0) FROM run_cases c JOIN runs r USING (run_id)"
        " WHERE r.model = ? AND r.program = ? AND c.model_calls > 0 AND c.output_tokens > 0", [model, program])
    return float(row[0]) if row and row[0] is not None else None


def dry_run(st: Store, *, model: str, program: str = "single", split: str = "test", limit: int | None = None,
            epochs: int = 1, temperature: float | None = 0.0, max_tokens: int | None = None,
            price_in: float | None = None, price_out: float | None = None,
            price_cached: float | None = None, task: str = "review") -> DryRunDetail:
    """The run's cases, input tokens, output estimate and cost, with no model call."""
    if task != "review":
        raise HarnessError(f"--dry-run estimates the review task, not --task {task}")
    from harness.benchmark.dataset import load_cases
    from harness.benchmark.replay import is_replay
    from harness.lm.prices import resolve_price
    from harness.lm.tokens import model_tokenizer

    if not model:
        raise HarnessError("--model is required")
    if epochs < 1:
        raise HarnessError("--epochs must be at least 1")
    cases = load_cases(st, split, limit)
    tokenizer, count = model_tokenizer(model)
    if is_replay(model):
        est = DryRun(cases=len(cases) * epochs, input_tokens=0, output_tokens_estimate=0, cost_estimate=0.0,
                     price_source="free (recorded reviews)", tokenizer=tokenizer)
        return DryRunDetail(estimate=est, runnable=0, calls=0, output_source="recorded reviews")
    import dspy

    from harness.benchmark.programs import get_program, quiet_context, run_program
    from harness.lm import speedups

    speedups.install()
    module = get_program(program, store=st)
    capture = _Capture(count)
    lm = dspy.LM(model, engine=capture, cache=False, num_retries=0, temperature=temperature, max_tokens=max_tokens)
    runnable = 0
    per_epoch_calls = 0
    for case in cases:
        if not case.runnable:
            continue
        runnable += 1
        before = capture.calls
        with quiet_context(lm):
            run_program(module, case.inputs)
        per_epoch_calls += capture.calls - before
    input_tokens = capture.tokens * epochs
    past = past_output_per_case(st, model, program)
    out_per_case = past if past is not None else float(DEFAULT_OUTPUT_TOKENS)
    output_source = (f"mean of past runs of {program} with {model}: {past:.0f} per case" if past is not None else
                     f"default {DEFAULT_OUTPUT_TOKENS} per case (no past run of {program} with {model})")
    output = int(round(out_per_case * runnable * epochs))
    price = resolve_price(model, price_in, price_out, price_cached)
    cost = None if price is None else price.input * input_tokens + price.output * output
    est = DryRun(cases=len(cases) * epochs, input_tokens=input_tokens, output_tokens_estimate=output,
                 cost_estimate=cost, price_source=price.source if price is not None else None, tokenizer=tokenizer)
    return DryRunDetail(estimate=est, runnable=runnable * epochs, calls=per_epoch_calls * epochs,
                        output_source=output_source, repeated_calls=capture.repeated_calls * epochs,
                        repeated_tokens=capture.repeated_tokens * epochs)
