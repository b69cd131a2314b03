"""Text affinity between findings: TF-IDF cosine over title + body tokens.

Tokens are lower-cased words and identifiers (`enqueueReconcile` also yields `enqueue`,
`reconcile`); title tokens count twice because titles name the issue while bodies wander.
IDF is computed from the gold side only, so adding or reordering predictions never changes
the affinity of any other pair (the scorer's monotonicity properties rely on that).
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
from scipy import sparse

from harness.models import Finding

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
TITLE_WEIGHT = 2

STOPWORDS = frozenset(
    """a an and are as at be been but by can could does doing for from has have if in into is it
    its may might not of on or so such than that the their then there these this those to too
    was were when where which while will with would should also any all only just more most
    other same some very via via use used uses using because before after over under out up
    instead still without within between both each per what how why one two new""".split()
)


def tokens(text: str) -> list[str]:
    """Lower-case word and identifier tokens of at least 3 characters, minus stop words."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        low = w.lower()
        if len(low) >= 3 and low not in STOPWORDS:
            out.append(low)
        parts = [p.lower() for p in re.split(r"_+", w) for p in _CAMEL.findall(p)]
        if len(parts) > 1:
            out.extend(p for p in parts if len(p) >= 3 and p not in STOPWORDS)
    return out


def finding_tokens(f: Finding) -> list[str]:
    return tokens(f.title) * TITLE_WEIGHT + tokens(f.body)


def affinity_matrix(predicted: Sequence[Finding], gold: Sequence[Finding]) -> np.ndarray:
    """Cosine similarity in [0, 1] of TF-IDF vectors, shape (len(predicted), len(gold))."""
    if not predicted or not gold:
        return np.zeros((len(predicted), len(gold)))
    gold_toks = [finding_tokens(g) for g in gold]
    pred_toks = [finding_tokens(p) for p in predicted]
    vocab: dict[str, int] = {}
    df: dict[int, int] = {}
    for toks in gold_toks:
        for t in set(toks):
            j = vocab.setdefault(t, len(vocab))
            df[j] = df.get(j, 0) + 1
    n_docs = len(gold)
    # tokens only predictions use cannot add to a dot product, but they do weigh in the
    # prediction's norm: give them the idf of a token no gold document holds.
    idf_unseen = math.log((1 + n_docs) / 1) + 1.0
    idf = np.array([math.log((1 + n_docs) / (1 + df[j])) + 1.0 for j in range(len(vocab))])

    def matrix(docs: list[list[str]], add_unseen: bool) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        extra_norm2 = np.zeros(len(docs))
        for i, toks in enumerate(docs):
            counts: dict[int, int] = {}
            unseen: dict[str, int] = {}
            for t in toks:
                j = vocab.get(t)
                if j is None:
                    unseen[t] = unseen.get(t, 0) + 1
                else:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                rows.append(i)
                cols.append(j)
                vals.append(c * idf[j])
            if add_unseen:
                extra_norm2[i] = sum((c * idf_unseen) ** 2 for c in unseen.values())
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=float)
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel() + extra_norm2)
        norms[norms == 0] = 1.0
        return sparse.diags(1.0 / norms) @ m

    g = matrix(gold_toks, add_unseen=False)
    p = matrix(pred_toks, add_unseen=True)
    sim = (p @ g.T).toarray()
    return np.clip(np.round(sim, 9), 0.0, 1.0)
