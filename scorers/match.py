"""Deterministic matching of predicted findings to gold findings.

A pair (prediction i, gold j) is *admissible* when it passes the location gate and its text
affinity clears the floor for that gate level:

- `line`: compatible paths and line ranges that overlap once the gold range is widened by ±k;
- `file`: compatible paths where one side cites the file without lines;
- `text`: one side cites no location at all, so only the text can decide (higher floor).

The assignment is one-to-one and optimal: it maximises the number of matched pairs first and
the summed affinity second (Hungarian algorithm on weights C + affinity with C larger than any
possible affinity sum). Maximising cardinality first is what makes "widening k never loses a
match" hold: adding admissible edges can never shrink a maximum matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from harness.core.models import Finding
from scorers.paths import compatibility, normalise_path
from scorers.text import affinity_matrix

# gate levels, coded as small ints so per-pair matrices stay numeric
NONE, TEXT, FILE, LINE = 0, 1, 2, 3
LEVEL_NAMES = {TEXT: "text", FILE: "file", LINE: "line"}
# location component of the affinity per gate level; a line match decays with distance
FILE_LOC_SCORE = 0.4
TEXT_LOC_SCORE = 0.2
LINE_DECAY_LINES = 40  # a line pair loses 0.5 of its location score at 20+ lines apart


@dataclass(frozen=True)
class MatchParams:
    k: int = 3
    suffix_paths: bool = True
    case_insensitive: bool = False
    repo: str | None = None
    min_text_line: float = 0.10
    min_text_file: float = 0.20
    min_text_unlocated: float = 0.35


@dataclass
class PairMatrices:
    """Everything about every (prediction, gold) pair that does not depend on k."""

    text: np.ndarray  # text affinity in [0, 1]
    gap: np.ndarray  # smallest line gap over cited line ranges on compatible paths (inf: none)
    file_pair: np.ndarray  # bool: compatible paths where one side has no lines
    unlocated: np.ndarray  # bool: one side cites no location at all

    @property
    def shape(self) -> tuple[int, int]:
        return self.text.shape

    def levels(self, k: float) -> np.ndarray:
        """Gate level per pair at tolerance k: LINE, FILE, TEXT or NONE (gate failed)."""
        lv = np.full(self.shape, NONE, dtype=np.int8)
        lv[self.unlocated] = TEXT
        lv[self.file_pair] = FILE
        lv[self.gap <= k] = LINE
        return lv

    def location_score(self, levels: np.ndarray) -> np.ndarray:
        loc = np.zeros(self.shape)
        line = levels == LINE
        loc[line] = 1.0 - np.minimum(self.gap[line], LINE_DECAY_LINES / 2) / LINE_DECAY_LINES
        loc[levels == FILE] = FILE_LOC_SCORE
        loc[levels == TEXT] = TEXT_LOC_SCORE
        return loc

    def affinity(self, levels: np.ndarray) -> np.ndarray:
        """Combined affinity in [0, 1]: half location, half text; 0 where the gate fails."""
        aff = 0.5 * self.location_score(levels) + 0.5 * self.text
        aff[levels == NONE] = 0.0
        return np.round(aff, 9)

    def floors(self, levels: np.ndarray, params: MatchParams) -> np.ndarray:
        """The text-affinity floor of each pair's gate level (inf where the gate failed)."""
        table = np.array([np.inf, params.min_text_unlocated, params.min_text_file, params.min_text_line])
        return table[levels]

    def admissible(self, levels: np.ndarray, params: MatchParams) -> np.ndarray:
        return self.text >= self.floors(levels, params)


def _loc_table(findings: Sequence[Finding], params: MatchParams, path_ids: dict[str, int]):
    """Flatten locations: arrays of (finding index, path id, start, end); NaN lines = file only."""
    fi, pid, start, end = [], [], [], []
    for i, f in enumerate(findings):
        for loc in f.locations:
            p = normalise_path(loc.path, repo=params.repo, case_insensitive=params.case_insensitive)
            if not p:
                continue
            fi.append(i)
            pid.append(path_ids.setdefault(p, len(path_ids)))
            s = loc.line_start if loc.line_start is not None else loc.line_end
            e = loc.line_end if loc.line_end is not None else s
            start.append(np.nan if s is None else float(s))
            end.append(np.nan if e is None else float(max(e, s)))
    return (np.array(fi, dtype=np.int64), np.array(pid, dtype=np.int64),
            np.array(start, dtype=float), np.array(end, dtype=float))


def pair_matrices(predicted: Sequence[Finding], gold: Sequence[Finding], params: MatchParams, *,
                  pred_tokens: Sequence[list[str]] | None = None,
                  gold_tokens: Sequence[list[str]] | None = None) -> PairMatrices:
    n, m = len(predicted), len(gold)
    path_ids: dict[str, int] = {}
    pf, pp, ps, pe = _loc_table(predicted, params, path_ids)
    gf, gp, gs, ge = _loc_table(gold, params, path_ids)
    gap = np.full((n, m), np.inf)
    file_pair = np.zeros((n, m), dtype=bool)
    paths = [""] * len(path_ids)
    for p, i in path_ids.items():
        paths[i] = p
    compat = compatibility(paths, suffix=params.suffix_paths)
    pred_by_path = _group(pp)
    gold_by_path = _group(gp)
    for a, p_rows in pred_by_path.items():
        for b in compat.get(a, ()):
            g_rows = gold_by_path.get(b)
            if g_rows is None:
                continue
            # every (pred loc, gold loc) pair on these two compatible paths
            s1, e1 = ps[p_rows][:, None], pe[p_rows][:, None]
            s2, e2 = gs[g_rows][None, :], ge[g_rows][None, :]
            with np.errstate(invalid="ignore"):
                d = np.maximum(np.maximum(s2 - e1, s1 - e2), 0.0)
            no_lines = np.isnan(d)
            rows = np.broadcast_to(pf[p_rows][:, None], d.shape)
            cols = np.broadcast_to(gf[g_rows][None, :], d.shape)
            file_pair[rows[no_lines], cols[no_lines]] = True
            ok = ~no_lines
            np.minimum.at(gap, (rows[ok], cols[ok]), d[ok])
    has_p = np.zeros(n, dtype=bool)
    has_p[pf] = True
    has_g = np.zeros(m, dtype=bool)
    has_g[gf] = True
    unlocated = ~has_p[:, None] | ~has_g[None, :]
    text = affinity_matrix(predicted, gold, pred_tokens=pred_tokens, gold_tokens=gold_tokens)
    return PairMatrices(text, gap, file_pair, unlocated)


def _group(ids: np.ndarray) -> dict[int, np.ndarray]:
    if ids.size == 0:
        return {}
    order = np.argsort(ids, kind="stable")
    uniq, starts = np.unique(ids[order], return_index=True)
    return {int(u): order[s:e] for u, s, e in zip(uniq, starts, list(starts[1:]) + [len(ids)])}


def assign(admissible: np.ndarray, affinity: np.ndarray) -> list[tuple[int, int]]:
    """Optimal one-to-one assignment over admissible pairs: most pairs first, then most affinity.

    Deterministic for a given matrix (the caller fixes the row/column order). Rows and columns
    without any admissible pair are dropped before the Hungarian step, which keeps sparse
    reports (the usual case) far smaller than n x m.
    """
    if admissible.size == 0 or not admissible.any():
        return []
    rows = np.flatnonzero(admissible.any(axis=1))
    cols = np.flatnonzero(admissible.any(axis=0))
    sub_ok = admissible[np.ix_(rows, cols)]
    big = float(min(len(rows), len(cols)) + 1)  # > any sum of affinities in [0, 1]
    w = np.where(sub_ok, big + affinity[np.ix_(rows, cols)], 0.0)
    from scipy.optimize import linear_sum_assignment  # lazy: scipy costs ~0.3 s to import

    r, c = linear_sum_assignment(w, maximize=True)
    keep = sub_ok[r, c]
    return sorted(zip(rows[r[keep]].tolist(), cols[c[keep]].tolist()))
