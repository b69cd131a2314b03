"""Pydantic models of a score: one label per predicted finding, one status per gold finding.

`ScoreResult.model_dump(mode="json")` is what `harness score --json` prints and what the store
keeps; every number in `metrics` can be explained from the labels' evidence.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.core.hashing import content_hash
from harness.core.weights import DEFAULT_WEIGHTS, SEVERITIES, format_weights, parse_weights  # noqa: F401

Label = Literal["true_positive", "known_false_positive", "novel"]
SeverityMatch = Literal["exact", "over", "under"]
Level = Literal["line", "file", "text"]
LABELS: tuple[str, ...] = ("true_positive", "known_false_positive", "novel")

# the keys of ScoreResult.counts (additive) and .metrics (headline: what report / compare / gate pick from)
SWEEP_K = (0, 3, 10)

COUNT_FIELDS: tuple[str, ...] = (
    "n_pred", "n_gold", "n_known_fp", "tp", "known_fp", "novel", "fp", "fn",
    "sev_exact", "sev_over", "sev_under",
    *(f"gold_{s}" for s in SEVERITIES), *(f"found_{s}" for s in SEVERITIES),
    "gold_weight", "found_weight", "gold_fixed", "found_fixed",
    *(f"tp_k{k}" for k in SWEEP_K),
    "gold_located", "file_hits",
)

METRIC_FIELDS: tuple[str, ...] = (
    "precision", "precision_strict", "precision_lenient", "recall", "f1", "f1_strict", "f1_lenient",
    *(f"recall_{s}" for s in SEVERITIES), "recall_weighted", "weighted_f1", "recall_fixed",
    "severity_accuracy", "over_call_rate", "under_call_rate", "known_fp_rate",
    *(f"recall_k{k}" for k in SWEEP_K), "file_hit_rate",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictionLabel(_Model):
    """A predicted finding's label with its evidence (matched id, affinity, location distance)."""

    index: int  # position in the predicted list as given
    label: Label
    severity_match: SeverityMatch | None = None  # only for true positives
    gold_id: str | None = None  # matched gold (or known-false-positive) id
    affinity: float | None = None  # combined location + text affinity of the matched pair
    text_affinity: float | None = None
    distance: int | None = None  # line gap to the matched range (0 = overlap); None = file/text level
    level: Level | None = None  # gate level the match passed at
    severity: str
    gold_severity: str | None = None
    title: str
    path: str | None = None
    decided_by: Literal["rule", "judge"] = "rule"
    det_label: Label | None = None  # the deterministic label (differs only when a judge overrode it)
    judge: dict[str, Any] | None = None  # {match, confidence, reasoning, cached} when consulted


class GoldLabel(_Model):
    id: str
    status: Literal["found", "missed"]
    severity: str
    title: str
    prediction_index: int | None = None
    affinity: float | None = None
    distance: int | None = None
    level: Level | None = None
    file_hit: bool | None = None  # some prediction cites one of its files (None: gold has no file)


class KnownFalsePositiveLabel(_Model):
    id: str
    title: str
    reraised_by: int | None = None  # prediction index that raised it again


class ScoreResult(_Model):
    scorer: str
    report_id: str | None = None
    run_id: str | None = None  # set once stored
    args: dict[str, Any] = Field(default_factory=dict)  # enough to rebuild the scorer
    metrics: dict[str, float | None] = Field(default_factory=dict)
    counts: dict[str, float] = Field(default_factory=dict)  # additive: aggregation sums these
    predictions: list[PredictionLabel] = Field(default_factory=list)
    gold: list[GoldLabel] = Field(default_factory=list)
    known_false_positives: list[KnownFalsePositiveLabel] = Field(default_factory=list)
    feedback: str = ""  # text for optimisers (GEPA): misses, false positives, severity errors
    judge_usage: dict[str, Any] | None = None  # judge calls / cache hits / tokens / cost, apart

    def label_counts(self) -> dict[str, int]:
        out = {k: 0 for k in LABELS}
        for p in self.predictions:
            out[p.label] += 1
        return out


def args_hash(args: dict[str, Any]) -> str:
    """Short hash of a scorer's arguments: with its name, the key of a stored score."""
    return content_hash(args, 16)
