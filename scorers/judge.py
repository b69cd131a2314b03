"""Optional LLM judge for the cases the rules cannot settle.

The judge sees (a) admissible pairs whose text affinity sits in a band just above the rule's
floor, where it may veto the match, and (b) predictions still novel after both rule stages,
which it may match to a missed gold finding among the few (sharing words with it) with the
highest text affinity.
It is a small DSPy module (one Signature, temperature 0, any litellm model). Verdicts are
cached by (prediction hash, gold hash, judge model, prompt version); the judge's calls, tokens
and cost are reported in `ScoreResult.judge_usage`, apart from the reviewer's, together with
Cohen's kappa between the judged and the rule-only labels.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

import numpy as np

from harness.core.errors import ModelError
from harness.core.hashing import content_hash
from harness.core.models import Finding
from scorers.base import register
from scorers.default import DefaultScorer, Pair, _Stage

PROMPT_VERSION = "judge-v1"


class JudgeCache(Protocol):
    def get(self, key: tuple[str, str, str, str]) -> dict | None: ...

    def put(self, key: tuple[str, str, str, str], verdict: dict, usage: dict) -> None: ...


class MemoryJudgeCache:
    def __init__(self) -> None:
        self._d: dict[tuple, dict] = {}

    def get(self, key: tuple[str, str, str, str]) -> dict | None:
        return self._d.get(key)

    def put(self, key: tuple[str, str, str, str], verdict: dict, usage: dict) -> None:
        self._d[key] = verdict


def render(f: Finding) -> str:
    """What the judge reads of a finding (and what its cache key hashes)."""
    locs = ", ".join(
        loc.path + (f":{loc.line_start}" if loc.line_start is not None else "")
        + (f"-{loc.line_end}" if loc.line_end not in (None, loc.line_start) else "")
        for loc in f.locations) or "(no location)"
    return f"[{f.severity.value}] {f.title}\nLocation: {locs}\n{f.body}".strip()


def _signature():
    import dspy

    class JudgeMatch(dspy.Signature):
        """Decide whether a code-review finding describes the same underlying issue as a reference
        finding. Same issue means the same defect or concern in the same code, even if worded
        differently or rated at a different severity. A different problem in the same code is
        not a match."""

        candidate: str = dspy.InputField(desc="finding raised by the reviewer being evaluated")
        reference: str = dspy.InputField(desc="finding from the reference review")
        reasoning: str = dspy.OutputField(desc="one or two sentences")
        match: bool = dspy.OutputField()
        confidence: float = dspy.OutputField(desc="between 0 and 1")

    return JudgeMatch


def make_judge_module():
    """The DSPy module: one Predict over the JudgeMatch signature."""
    import dspy

    class MatchJudge(dspy.Module):
        def __init__(self) -> None:
            super().__init__()
            self.decide = dspy.Predict(_signature())

        def forward(self, candidate: str, reference: str):
            return self.decide(candidate=candidate, reference=reference)

    return MatchJudge()


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two labelings of the same items (None for no items)."""
    if len(a) != len(b):
        raise ValueError("label sequences differ in length")
    if not a:
        return None
    cats = sorted(set(a) | set(b))
    ia = np.array([cats.index(x) for x in a])
    ib = np.array([cats.index(x) for x in b])
    po = float(np.mean(ia == ib))
    pe = float(sum(np.mean(ia == c) * np.mean(ib == c) for c in range(len(cats))))
    if pe >= 1.0:
        return 1.0 if po >= 1.0 else 0.0
    return (po - pe) / (1 - pe)


@register("judge")
class JudgeScorer(DefaultScorer):
    name = "judge"

    def __init__(self, model: str = "openai/gpt-4o-mini", band: float = 0.25, max_candidates: int = 3,
                 min_confidence: float = 0.5, prompt_version: str = PROMPT_VERSION, *, lm: Any = None,
                 cache: JudgeCache | None = None, api_base: str | None = None, **default_args: Any):
        if prompt_version != PROMPT_VERSION:  # a stored score rebuilt after the prompt changed
            raise ValueError(f"judge prompt {prompt_version!r} is gone; this version has {PROMPT_VERSION!r}")
        super().__init__(**default_args)
        self.model = model
        self.band = float(band)
        self.max_candidates = int(max_candidates)
        self.min_confidence = float(min_confidence)
        self.args.update({"model": model, "band": self.band, "max_candidates": self.max_candidates,
                          "min_confidence": self.min_confidence, "prompt_version": PROMPT_VERSION})
        self._lm = lm
        self.api_base = api_base  # where the model is served: not part of the scorer's identity
        self.cache: JudgeCache = cache if cache is not None else MemoryJudgeCache()
        self._module = None
        self._usage = self._zero()

    def _zero(self) -> dict[str, Any]:
        return {"model": self.model, "prompt_version": PROMPT_VERSION, "calls": 0, "cache_hits": 0,
                "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0}

    def _lm_client(self):
        if self._lm is None:
            import dspy

            extra = {"api_base": self.api_base} if self.api_base else {}
            self._lm = dspy.LM(self.model, temperature=0.0, **extra)
        return self._lm

    def ask(self, pred: Finding, gold: Finding) -> dict[str, Any]:
        """The judge's verdict {match, confidence, reasoning, cached} on one pair."""
        import dspy

        cand, ref = render(pred), render(gold)
        key = (content_hash(cand, 32), content_hash(ref, 32), self.model, PROMPT_VERSION)
        hit = self.cache.get(key)
        if hit is not None:
            self._usage["cache_hits"] += 1
            return {**hit, "cached": True}
        if self._module is None:
            self._module = make_judge_module()
        lm = self._lm_client()
        seen = len(lm.history)
        try:
            with dspy.context(lm=lm):
                out = self._module(candidate=cand, reference=ref)
        except Exception as exc:  # provider, auth, network or unparsable answer: one clear line
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ModelError(f"judge model {self.model} failed: {first}") from exc
        verdict = {"match": bool(out.match), "confidence": _clip(out.confidence),
                   "reasoning": str(out.reasoning or "")}
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0}
        for entry in lm.history[seen:]:
            u = entry.get("usage") or {}
            usage["prompt_tokens"] += int(u.get("prompt_tokens") or 0)
            usage["completion_tokens"] += int(u.get("completion_tokens") or 0)
            usage["cost"] += float(entry.get("cost") or 0.0)
        self._usage["calls"] += 1
        for k2, v in usage.items():
            self._usage[k2] += v
        self.cache.put(key, verdict, usage)
        return {**verdict, "cached": False}

    def _accepts(self, v: dict) -> bool:
        return bool(v["match"]) and v["confidence"] >= self.min_confidence

    def review_pairs(self, stage: _Stage, predicted: list[Finding], targets: list[Finding]) -> dict[Pair, dict]:
        floor = stage.pm.floors(stage.levels, self._params)
        band = stage.admissible & (stage.pm.text < floor + self.band)
        verdicts: dict[Pair, dict] = {}
        for i, j in zip(*np.nonzero(band)):
            v = self.ask(predicted[i], targets[j])
            verdicts[(int(i), int(j))] = v
            if not self._accepts(v):
                stage.admissible[i, j] = False
        return verdicts

    def rescue(self, predicted: list[Finding], gold: list[Finding], stage: _Stage,
               free_p: list[int], free_g: list[int]) -> tuple[list[Pair], dict[Pair, dict]]:
        taken: set[int] = set()
        pairs: list[Pair] = []
        consulted: dict[Pair, dict] = {}
        for i in free_p:
            # only gold sharing some words is worth a question; best text affinity first
            cands = sorted((j for j in free_g if j not in taken and stage.pm.text[i, j] > 0),
                           key=lambda j: (-stage.pm.text[i, j], j))
            for j in cands[: self.max_candidates]:
                v = self.ask(predicted[i], gold[j])
                consulted[(i, j)] = v
                if self._accepts(v):
                    pairs.append((i, j))
                    taken.add(j)
                    break
        return pairs, consulted

    def usage(self) -> dict[str, Any]:
        return dict(self._usage)

    def score(self, gold, predicted):
        self._usage = self._zero()
        result = super().score(gold, predicted)
        result.judge_usage = {**self.usage(), "kappa": cohen_kappa(
            [p.det_label or p.label for p in result.predictions], [p.label for p in result.predictions])}
        return result


def _clip(v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return 0.0
    return min(max(x, 0.0), 1.0)
