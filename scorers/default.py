"""The deterministic default scorer: location gate + text affinity + optimal assignment.

Two stages: predictions are first assigned to the surviving gold findings; the ones left
are then assigned to the known false positives. Whatever remains is `novel`. Inputs are put
in a canonical order (by content) before matching, so the result does not depend on the
order findings were given in; labels are reported against the caller's indices.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from harness.core.hashing import canonical_json
from harness.core.models import Finding, Severity
from harness.core.scores import GoldLabel, KnownFalsePositiveLabel, PredictionLabel, ScoreResult, parse_weights
from scorers.base import register
from scorers.findings import coerce_findings
from scorers.gold import GoldSet
from scorers.match import LEVEL_NAMES, LINE, MatchParams, PairMatrices, assign, pair_matrices
from scorers.metrics import DEFAULT_WEIGHTS, SEVERITIES, SWEEP_K, metrics_from_counts
from scorers.paths import normalise_path
from scorers.text import finding_tokens

Pair = tuple[int, int]


def severity_match(predicted: Severity, gold: Severity) -> str:
    if predicted.rank == gold.rank:
        return "exact"
    return "over" if predicted.rank > gold.rank else "under"


def _canonical_order(findings: Sequence[Finding], by_id: bool = False) -> list[int]:
    keys = [canonical_json(f) for f in findings]
    if by_id:
        return sorted(range(len(findings)), key=lambda i: (findings[i].id, keys[i]))
    return sorted(range(len(findings)), key=lambda i: keys[i])


# Labels below are built with model_construct: every field comes from this module with the
# right type, and validating thousands of them dominated the 1,000 x 1,000 benchmark.


class _Stage:
    """One assignment stage (predictions x targets) with its matrices at tolerance k."""

    def __init__(self, pm: PairMatrices, params: MatchParams):
        self.pm = pm
        self.levels = pm.levels(params.k)
        self.affinity = pm.affinity(self.levels)
        self.admissible = pm.admissible(self.levels, params)

    def evidence(self, i: int, j: int) -> dict[str, Any]:
        level = int(self.levels[i, j])
        return {
            "affinity": float(self.affinity[i, j]),
            "text_affinity": float(self.pm.text[i, j]),
            "distance": int(self.pm.gap[i, j]) if level == LINE else None,
            "level": LEVEL_NAMES.get(level),
        }


@register("default")
class DefaultScorer:
    name = "default"

    def __init__(self, k: int = 3, strict: bool = True, weights: dict[str, float] | None = None,
                 suffix_paths: bool = True, case_insensitive: bool = False,
                 min_text_line: float = 0.10, min_text_file: float = 0.20,
                 min_text_unlocated: float = 0.35):
        if k < 0:
            raise ValueError("k must be >= 0")
        w = dict(DEFAULT_WEIGHTS) if weights is None else parse_weights(weights)  # known severities, >= 0
        self.weights = w
        self.strict = bool(strict)
        self._params = MatchParams(k=int(k), suffix_paths=bool(suffix_paths),
                                   case_insensitive=bool(case_insensitive),
                                   min_text_line=float(min_text_line), min_text_file=float(min_text_file),
                                   min_text_unlocated=float(min_text_unlocated))
        self.args: dict[str, Any] = {
            "k": int(k), "strict": self.strict, "weights": w, "suffix_paths": bool(suffix_paths),
            "case_insensitive": bool(case_insensitive), "min_text_line": float(min_text_line),
            "min_text_file": float(min_text_file), "min_text_unlocated": float(min_text_unlocated),
        }

    # -- hooks the judge scorer overrides ---------------------------------------------
    def review_pairs(self, stage: _Stage, predicted: list[Finding], targets: list[Finding]) -> dict[Pair, dict]:
        """May veto admissible pairs in place (stage.admissible); returns verdicts as evidence."""
        return {}

    def rescue(self, predicted: list[Finding], gold: list[Finding], stage: _Stage,
               free_p: list[int], free_g: list[int]) -> tuple[list[Pair], dict[Pair, dict]]:
        """May match predictions the rules left novel to free gold findings (one-to-one).

        Returns the pairs to add and the verdict of every pair consulted."""
        return [], {}

    def usage(self) -> dict[str, Any] | None:
        return None

    # -- scoring ------------------------------------------------------------------------
    def score(self, gold: GoldSet, predicted: Sequence[Any]) -> ScoreResult:
        from scorers.feedback import feedback

        given = coerce_findings(predicted)
        params = MatchParams(**{**self._params.__dict__, "repo": gold.repo})
        p_order = _canonical_order(given)
        g_order = _canonical_order(gold.findings, by_id=True)
        k_order = _canonical_order(gold.known_false_positives, by_id=True)
        P = [given[i] for i in p_order]
        G = [gold.findings[j] for j in g_order]
        K = [gold.known_false_positives[j] for j in k_order]
        g_ids = [gold.findings[j].id or f"G{j + 1}" for j in g_order]
        k_ids = [gold.known_false_positives[j].id or f"K{j + 1}" for j in k_order]

        pt = [finding_tokens(f) for f in P]
        gt = [finding_tokens(f) for f in G]
        kt = [finding_tokens(f) for f in K]

        # stage 1: predictions -> surviving gold
        pm = pair_matrices(P, G, params, pred_tokens=pt, gold_tokens=gt)
        s1 = _Stage(pm, params)
        det_pairs = assign(s1.admissible, s1.affinity)
        verdicts = self.review_pairs(s1, P, G)
        pairs = assign(s1.admissible, s1.affinity) if verdicts else det_pairs
        sweep = {}
        for k in SWEEP_K:
            if k == params.k:
                sweep[k] = len(det_pairs)
            else:
                lv = pm.levels(k)
                sweep[k] = len(assign(pm.admissible(lv, params), pm.affinity(lv)))

        # stage 2: what is left -> known false positives
        rest = sorted(set(range(len(P))) - {i for i, _ in pairs})
        s2 = _Stage(pair_matrices([P[i] for i in rest], K, params, pred_tokens=[pt[i] for i in rest],
                                  gold_tokens=kt), params)
        kpairs = [(rest[a], b) for a, b in assign(s2.admissible, s2.affinity)]
        det_rest = sorted(set(range(len(P))) - {i for i, _ in det_pairs})
        det_k = self._det_known(det_rest, rest, kpairs, P, K, params, pt, kt)

        # what is still novel may be matched by a judge to gold the rules left missed
        free_p = sorted(set(rest) - {i for i, _ in kpairs})
        free_g = sorted(set(range(len(G))) - {j for _, j in pairs})
        rescued, consulted = self.rescue(P, G, s1, free_p, free_g)
        verdicts.update(consulted)
        pairs = sorted(pairs + rescued)

        labels: list[PredictionLabel | None] = [None] * len(P)
        rest_pos = {i: a for a, i in enumerate(rest)}
        by_gold = {j: i for i, j in pairs}
        det_tp = {i for i, _ in det_pairs}
        sev = {"exact": 0, "over": 0, "under": 0}
        for i, j in pairs:
            ev = s1.evidence(i, j)
            sm = severity_match(P[i].severity, G[j].severity)
            sev[sm] += 1
            v = verdicts.get((i, j))
            labels[i] = PredictionLabel.model_construct(
                index=p_order[i], label="true_positive", severity_match=sm, gold_id=g_ids[j],
                severity=P[i].severity.value, gold_severity=G[j].severity.value, title=P[i].title,
                path=_first_path(P[i], params), det_label=_det(i, det_tp, det_k), judge=v, **ev)
        for i, b in kpairs:
            ev = s2.evidence(rest_pos[i], b)
            labels[i] = PredictionLabel.model_construct(
                index=p_order[i], label="known_false_positive", gold_id=k_ids[b],
                severity=P[i].severity.value, gold_severity=K[b].severity.value, title=P[i].title,
                path=_first_path(P[i], params), det_label=_det(i, det_tp, det_k), **ev)
        for i in range(len(P)):
            if labels[i] is None:
                judged = [v for (pi, _), v in verdicts.items() if pi == i]
                labels[i] = PredictionLabel.model_construct(
                    index=p_order[i], label="novel", severity=P[i].severity.value, title=P[i].title,
                    path=_first_path(P[i], params), det_label=_det(i, det_tp, det_k),
                    judge=judged[0] if judged else None)
        for lab in labels:
            if lab.det_label != lab.label:
                lab.decided_by = "judge"

        gold_labels: list[GoldLabel | None] = [None] * len(G)
        hits = (pm.file_pair | np.isfinite(pm.gap)).any(axis=0) if P else np.zeros(len(G), dtype=bool)
        for j, g in enumerate(G):
            i = by_gold.get(j)
            ev = s1.evidence(i, j) if i is not None else {}
            gold_labels[g_order[j]] = GoldLabel.model_construct(
                id=g_ids[j], status="found" if i is not None else "missed", severity=g.severity.value,
                title=g.title, prediction_index=p_order[i] if i is not None else None,
                affinity=ev.get("affinity"), distance=ev.get("distance"), level=ev.get("level"),
                file_hit=bool(hits[j]) if g.locations else None)
        reraised = {b: p_order[i] for i, b in kpairs}
        kfp_labels: list[KnownFalsePositiveLabel | None] = [None] * len(K)
        for b in range(len(K)):
            kfp_labels[k_order[b]] = KnownFalsePositiveLabel(id=k_ids[b], title=K[b].title,
                                                             reraised_by=reraised.get(b))

        counts = self._counts(G, pairs, len(P), len(K), len(kpairs), sev, sweep, gold_labels)
        result = ScoreResult(
            scorer=self.name, report_id=gold.report_id, args=dict(self.args), metrics=metrics_from_counts(counts, self.strict),
            counts=counts, predictions=sorted(labels, key=lambda x: x.index),
            gold=gold_labels, known_false_positives=kfp_labels,
            judge_usage=self.usage())
        result.feedback = feedback(result, gold)
        return result

    def _det_known(self, det_rest: list[int], rest: list[int], kpairs: list[Pair], P: list[Finding],
                   K: list[Finding], params: MatchParams, pt: list[list[str]],
                   kt: list[list[str]]) -> set[int]:
        """Known-false-positive predictions under the rules alone (for judge agreement)."""
        if det_rest == rest:
            return {i for i, _ in kpairs}
        s = _Stage(pair_matrices([P[i] for i in det_rest], K, params,
                                 pred_tokens=[pt[i] for i in det_rest], gold_tokens=kt), params)
        return {det_rest[a] for a, _ in assign(s.admissible, s.affinity)}

    def _counts(self, G: list[Finding], pairs: list[Pair], n_pred: int, n_known: int, n_kfp: int,
                sev: dict[str, int], sweep: dict[int, int], gold_labels: list[GoldLabel]) -> dict[str, float]:
        tp = len(pairs)
        novel = n_pred - tp - n_kfp
        found = {j for _, j in pairs}
        c: dict[str, float] = {
            "n_pred": n_pred, "n_gold": len(G), "n_known_fp": n_known, "tp": tp, "known_fp": n_kfp,
            "novel": novel, "fp": n_kfp + novel, "fn": len(G) - tp,
            "sev_exact": sev["exact"], "sev_over": sev["over"], "sev_under": sev["under"],
        }
        for s in SEVERITIES:
            c[f"gold_{s}"] = sum(1 for g in G if g.severity.value == s)
            c[f"found_{s}"] = sum(1 for j in found if G[j].severity.value == s)
        c["gold_weight"] = float(sum(self.weights.get(g.severity.value, 1.0) for g in G))
        c["found_weight"] = float(sum(self.weights.get(G[j].severity.value, 1.0) for j in found))
        c["gold_fixed"] = sum(1 for g in G if g.resolution == "fixed")
        c["found_fixed"] = sum(1 for j in found if G[j].resolution == "fixed")
        for k, n in sweep.items():
            c[f"tp_k{k}"] = n
        c["gold_located"] = sum(1 for g in gold_labels if g.file_hit is not None)
        c["file_hits"] = sum(1 for g in gold_labels if g.file_hit)
        return c


def _det(i: int, det_tp: set[int], det_k: set[int]) -> str:
    return "true_positive" if i in det_tp else "known_false_positive" if i in det_k else "novel"


def _first_path(f: Finding, params: MatchParams) -> str | None:
    for loc in f.locations:
        p = normalise_path(loc.path, repo=params.repo, case_insensitive=params.case_insensitive)
        if p:
            return p
    return None
