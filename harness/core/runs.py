"""Pydantic models of the benchmark runner: run configuration, per-case outcome, run result."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from harness.core.defaults import DEFAULT_CONCURRENCY, REPLAY_PREFIX
from harness.core.hashing import content_hash
from harness.core.models import Finding


def is_replay(model: str) -> bool:
    """Whether a run's model names a replayed recorded reviewer."""
    return model.lower().startswith(REPLAY_PREFIX)


def replay_model(agent: str) -> str:
    """The model name that replays `agent`."""
    return f"{REPLAY_PREFIX}{agent}"


class RunStatus(StrEnum):
    running = "running"
    complete = "complete"
    complete_with_errors = "complete_with_errors"  # every case ran; some errored or failed to parse
    failed = "failed"
    interrupted = "interrupted"


class CaseStatus(StrEnum):
    ok = "ok"  # the program answered, findings parsed and scored
    parse_failure = "parse_failure"  # answered, but not in the schema: raw kept, scored as an empty review
    error = "error"  # no usable answer (retries exhausted, timeout, provider refusal)
    skipped = "skipped"  # no input to review (unavailable diff, no recorded review to replay)


class RunConfig(BaseModel):
    """Everything that decides a run's results; its hash (plus a nonce) is the run id.

    Holds no secrets: the API key is never part of the config, and `api_base` is redacted.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    program: str = "single"
    program_hash: str = ""  # filled in by run_bench
    split: str = "test"
    task: str = "review"  # review | consolidate (harness.benchmark.consolidate)
    with_diff: bool = False  # consolidate: the reviewed change is part of the input
    limit: int | None = None
    epochs: int = 1
    temperature: float | None = 0.0
    max_tokens: int | None = None
    scorer: str = "default"
    # the scorer's arguments (k, strict, judge model, ...): run_bench records every argument the
    # scorer was built with, so the run's own scored view can be rebuilt and named exactly
    scorer_args: dict[str, Any] = Field(default_factory=dict)
    # report-date window (YYYY-MM-DD, inclusive): only the split's reports dated in it are run
    since: str | None = None
    until: str | None = None
    seed: int = 0
    api_base: str | None = None
    # execution settings: recorded, but they do not change results, so not in the id hash
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = 120.0
    max_errors: int = 10
    max_retries: int = 4
    max_cost: float | None = None  # USD: no new case starts once spent + in flight would pass it
    price_in: float | None = None  # USD per million input tokens (else config, else litellm's table)
    price_out: float | None = None
    price_cached: float | None = None  # USD per million cached input tokens

    def identity(self) -> dict[str, Any]:
        return self.model_dump(exclude={"concurrency", "timeout", "max_errors", "max_retries", "api_base",
                                        "max_cost", "price_in", "price_out", "price_cached"})

    def config_hash(self) -> str:
        return content_hash(self.identity())


class CallStats(BaseModel):
    """Model-call accounting for one case (summed over every call its program made)."""

    model_calls: int = 0  # calls that reached the provider and answered
    cache_hits: int = 0
    retries: int = 0
    rate_limited: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0  # input tokens the provider served from its prompt cache (when it says)
    cost: float | None = 0.0  # price of every response used, cached ones included; None: price unknown
    spent: float | None = 0.0  # paid now: cache hits are free; None: price unknown
    call_s: float = 0.0
    last_text: str | None = None
    last_finish_reason: str | None = None


class CaseResult(BaseModel):
    run_id: str
    report_id: str
    epoch: int
    status: CaseStatus
    error: str | None = None
    error_kind: str | None = None  # the model client's fault kind, or parse_failure
    raw_response: str | None = None
    stats: CallStats = Field(default_factory=CallStats)
    duration_s: float = 0.0
    tool_calls: int = 0
    findings: list[Finding] = Field(default_factory=list)
    # the case's one score (a scorers.ScoreResult, by the run's scorer with the run's arguments;
    # None when the case was not scored) and the hash of the gold it was computed against
    score: Any = None
    gold_hash: str | None = None
    # consolidate task: per original finding, the decision beside its gold (ScoredDecision dumps)
    decisions: list[dict[str, Any]] = Field(default_factory=list)


class Metrics(BaseModel):
    """The headline figures of a run (`bench --json`): a projection of scorers.metrics_from_counts
    over the run's own scored view, not a computation of its own."""

    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    tp: int = 0
    fp: int = 0
    fn: int = 0
    recall_weighted: float | None = None  # severity-weighted recall (the scorer's weights)
    recall_fixed: float | None = None  # recall of the gold findings the author fixed


class ConsolidationMetrics(Metrics):
    """`metrics` of a consolidate run: the consolidated set's (above) plus the decisions'."""

    decision_accuracy: float | None = None
    fp_rejection_recall: float | None = None
    fp_rejection_precision: float | None = None
    downgrade_recall: float | None = None
    downgrade_precision: float | None = None
    severity_accuracy: float | None = None
    cost_per_report: float | None = None
    n_reports: int = 0
    n_decisions: int = 0  # original findings with a gold decision
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)  # gold -> predicted -> n
    intervals: dict[str, dict[str, Any]] = Field(default_factory=dict)  # metric -> value, low, high (95%)


class BenchResult(BaseModel):
    """What `harness bench --json` prints."""

    run_id: str
    status: RunStatus
    message: str | None = None
    model: str
    program: str = "single"
    program_hash: str = ""  # filled in by run_bench
    split: str = "test"
    cases: int  # planned: reports x epochs
    finished: int  # cases with a stored outcome
    scored: int  # cases scored (a parse failure is scored as an empty review)
    parse_failures: int
    errors: int
    skipped: int
    model_calls: int
    cache_hits: int
    retries: int
    input_tokens: int
    output_tokens: int
    cached_input_tokens: int = 0
    cost: float | None  # None: the model has no known price (never shown as $0.00)
    spent: float | None
    price_source: str | None = None  # where the price came from (flags, config, litellm's table)
    wall_s: float
    metrics: SerializeAsAny[Metrics]
    task: str = "review"
    error_kinds: list[dict[str, Any]] = Field(default_factory=list)  # {kind, count, first} per failure kind
