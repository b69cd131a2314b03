"""Text affinity between findings: TF-IDF cosine over title + body tokens.

Tokens are lower-cased words and identifiers (`enqueueReconcile` also yields `enqueue`,
`reconcile`); title tokens count twice because titles name the issue while bodies wander.
IDF is computed from the gold side only, so adding or reordering predictions never changes
the affinity of any other pair (the scorer's monotonicity properties rely on that).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Sequence

import numpy as np

from harness.core.models import Finding

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


# ~440 bytes an entry: 2,048 hold 91% of the corpus's word lookups (8,192: 98%) in 0.9 MB, and a
# long run of new words (numbered identifiers) stops growing the process after 2,048 of them
@lru_cache(maxsize=2048)
def _word_tokens(w: str) -> tuple[str, ...]:
    low = w.lower()
    out = [low] if len(low) >= 3 and low not in STOPWORDS else []
    parts = [p.lower() for p in re.split(r"_+", w) for p in _CAMEL.findall(p)]
    if len(parts) > 1:
        out.extend(p for p in parts if len(p) >= 3 and p not in STOPWORDS)
    return tuple(out)


def tokens(text: str) -> list[str]:
    """Lower-case word and identifier tokens of at least 3 characters, minus stop words."""
    out: list[str] = []
    for w in _WORD.findall(text):
        out.extend(_word_tokens(w))
    return out


def finding_tokens(f: Finding) -> list[str]:
    return tokens(f.title) * TITLE_WEIGHT + tokens(f.body)


def affinity_matrix(predicted: Sequence[Finding], gold: Sequence[Finding], *,
                    pred_tokens: Sequence[list[str]] | None = None,
                    gold_tokens: Sequence[list[str]] | None = None) -> np.ndarray:
    """Cosine similarity in [0, 1] of TF-IDF vectors, shape (len(predicted), len(gold)).

    Callers scoring in several stages pass pre-computed token lists to tokenise once."""
    if not predicted or not gold:
        return np.zeros((len(predicted), len(gold)))
    gold_toks = gold_tokens if gold_tokens is not None else [finding_tokens(g) for g in gold]
    pred_toks = pred_tokens if pred_tokens is not None else [finding_tokens(p) for p in predicted]
    vocab: dict[str, int] = {}
    df: Counter[int] = Counter()
    for toks in gold_toks:
        df.update([vocab.setdefault(t, len(vocab)) for t in set(toks)])
    n_docs = len(gold)
    # tokens only predictions use cannot add to a dot product, but they do weigh in the
    # prediction's norm: give them the idf of a token no gold document holds.
    idf_unseen = math.log(1 + n_docs) + 1.0
    idf = np.log((1 + n_docs) / (1 + np.array([df[j] for j in range(len(vocab))], dtype=float))) + 1.0

    # small reports (the usual case) are faster dense; big ones need sparse products
    dense = (len(pred_toks) + len(gold_toks)) * max(len(vocab), 1) <= 2_000_000

    def matrix(docs: Sequence[list[str]]):
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        unseen_norm2 = np.zeros(len(docs))
        for i, toks in enumerate(docs):
            unseen = 0.0
            for t, c in Counter(toks).items():
                j = vocab.get(t)
                if j is None:
                    unseen += c * c
                else:
                    rows.append(i)
                    cols.append(j)
                    vals.append(c)
            unseen_norm2[i] = unseen * idf_unseen * idf_unseen
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        data = np.asarray(vals, dtype=float) * idf[cols_a] if cols else np.zeros(0)
        norm2 = np.bincount(rows_a, weights=data * data, minlength=len(docs)) + unseen_norm2
        norms = np.sqrt(norm2)
        norms[norms == 0] = 1.0
        data = data / norms[rows_a]
        if dense:
            m = np.zeros((len(docs), len(vocab)))
            m[rows_a, cols_a] = data
            return m
        from scipy import sparse  # imported when first needed: a cached re-run never scores

        return sparse.csr_matrix((data, (rows_a, cols_a)), shape=(len(docs), len(vocab)))

    prod = matrix(pred_toks) @ matrix(gold_toks).T
    sim = prod if dense else prod.toarray()
    # two findings with no words at all cannot be told apart by text: leave it to location
    empty_p = np.array([not t for t in pred_toks])
    empty_g = np.array([not t for t in gold_toks])
    sim[empty_p[:, None] & empty_g[None, :]] = 1.0
    return np.clip(np.round(sim, 9), 0.0, 1.0)
