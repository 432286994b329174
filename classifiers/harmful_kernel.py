"""The wording model's per-post arithmetic: the compiled kernel, and the same in Python.

``compiled`` is ``classifiers._harmful_kernel`` (built from ``kernel/*.c`` when the
package is installed, see ``hatch_build.py``) or None where it could not be built. Each
function below is the Python form of one of its functions, with the same arguments: the
fallback, and the reference the tests hold the compiled one to. The scorer and the conv
block choose a form once, when they are built.

A post has a few hundred features; numpy's cost per call, not the arithmetic, made up most
of the Python form's time, which is why the compiled form exists.
"""

from __future__ import annotations

import importlib
import math
from array import array
from collections.abc import Sequence
from itertools import pairwise
from types import ModuleType
from typing import Any

import numpy as np

from classifiers.lexicon_gate import may_hit

compiled: ModuleType | None
try:
    compiled = importlib.import_module("classifiers._harmful_kernel")
except ImportError:  # no C compiler when installed: the Python forms below serve
    compiled = None


# Feature indices travel as int32 bytes: the chunk cache lives as long as the daemon, and tens
# of thousands of small arrays would cost more in headers than in data.
_INT32 = next(code for code in "ilh" if array(code).itemsize == 4)  # "i" on every usual ABI
# The chunk record's fields in the order ``gather`` reads them (harmful_scorer._Chunk).
CHUNK_FIELDS = (
    "word_tokens", "profanity", "signal", "you", "phrase_head", "main", "inner",
    "vector_rows", "conv_ids", "vector_push", "lexicon_gate",
)  # fmt: skip


def as_bytes(indices: list[int]) -> bytes:
    return array(_INT32, indices).tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.int32)  # read-only: the cached bytes stay as they are


def gather(chunks: Sequence[Any], pairs: dict[str, dict[str, int]] | None) -> tuple[Any, ...]:
    """One post's chunk records (fields as ``CHUNK_FIELDS``) read into ``(main, profanity,
    vector_rows, conv_ids, tokens, signal, you, phrase_head, may_hit, vector_push)``: lists
    concatenated, counts and pushes summed, flags or-ed; ``main`` is the chunks' int32
    feature bytes followed by the word bigrams across chunks (``pairs``: first token ->
    second token -> feature; None when the block has no bigrams); ``may_hit`` is
    ``lexicon.may_hit`` over the chunks' lexicon gates."""
    n_signal, at_you, head, push = 0, False, False, 0.0
    tokens: list[str] = []
    ids: list[int] = []
    main: list[bytes] = []
    prof: list[int] = []
    rows: list[int] = []
    for c in chunks:  # one pass over the chunks gathers everything the post needs
        tokens += c.word_tokens
        ids += c.conv_ids
        main.append(c.main)
        prof += c.profanity
        rows += c.vector_rows
        n_signal += c.signal
        at_you = at_you or c.you
        head = head or c.phrase_head
        push += c.vector_push
    if pairs is not None:
        bigrams = [
            i
            for first, second in pairwise(tokens)
            if (following := pairs.get(first)) is not None
            and (i := following.get(second)) is not None
        ]
        main.append(as_bytes(bigrams))
    hit = may_hit(c.lexicon_gate for c in chunks)
    return (b"".join(main), prof, rows, ids, tokens, n_signal, at_you, head, hit, push)


def distinct_counts(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct feature indices (sorted) and how often each occurs.

    ``np.unique(return_counts=True)`` minus its generic overhead, which matters per post.
    """
    cols = np.sort(cols)
    n = len(cols)
    edge = np.empty(n + 1, dtype=bool)  # True where a run of equal indices starts or ends
    edge[0] = edge[n] = True
    np.not_equal(cols[1:], cols[:-1], out=edge[1:n])
    at = np.flatnonzero(edge)
    return cols[at[:-1]], (at[1:] - at[:-1]).astype(np.float64)


def tfidf_weights(
    ids: np.ndarray, idf_pairs: np.ndarray, n_word: int, sublinear: tuple[bool, bool]
) -> tuple[np.ndarray, np.ndarray]:
    """A post's distinct features (sorted) and what each adds to the decision value.

    ``ids``: its word (below ``n_word``) and char (from ``n_word``) feature indices with
    repeats; ``idf_pairs``: (features, 2), each row ``(idf * coef, idf * idf)``. Each block
    is l2-normalised on its own, as the two vectorizers do; tf is ``log(count) + 1`` in a
    sublinear block. Both blocks at once: fewer numpy calls.
    """
    feature, counts = distinct_counts(ids)
    split = int(np.searchsorted(feature, n_word))
    if all(sublinear):
        tf = np.log(counts) + 1.0
    elif not any(sublinear):
        tf = counts
    else:
        tf = counts.copy()
        lo, hi = (0, split) if sublinear[0] else (split, len(tf))
        tf[lo:hi] = np.log(tf[lo:hi]) + 1.0
    pair = idf_pairs[feature]
    weight = tf * pair[:, 0]
    square = tf * tf * pair[:, 1]
    if split:
        weight[:split] /= math.sqrt(float(square[:split].sum()))
    if split < len(feature):
        weight[split:] /= math.sqrt(float(square[split:].sum()))
    return feature, weight


def tfidf_decision(
    ids: bytes, idf_pairs: np.ndarray, n_word: int, sublinear_word: bool, sublinear_char: bool
) -> float:
    """The TF-IDF blocks' part of the decision value; ``ids`` as int32 bytes."""
    sublinear = (sublinear_word, sublinear_char)
    return float(tfidf_weights(from_bytes(ids), idf_pairs, n_word, sublinear)[1].sum())


def profanity_probability(
    ids: list[int],
    idf: Sequence[float],
    coef: Sequence[Sequence[float]],
    intercept: Sequence[float],
    cal_a: Sequence[float],
    cal_b: Sequence[float],
    sublinear: bool,
) -> float:
    """alt-profanity-check's probability: each fold's LinearSVC over the post's l2-normalised
    TF-IDF row (``coef``: features x folds), Platt-calibrated, averaged over the folds.

    A handful of features a post: plain Python floats beat numpy's per-call cost here.
    """
    d = list(intercept)
    if ids:
        tally: dict[int, int] = {}
        for i in ids:
            tally[i] = tally.get(i, 0) + 1
        values = [((math.log(c) + 1.0) if sublinear else c) * idf[i] for i, c in tally.items()]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        for i, v in zip(tally, values, strict=True):
            v /= norm
            for k, w in enumerate(coef[i]):
                d[k] += v * w
    return sum(
        1.0 / (1.0 + math.exp(a * dk + b)) for dk, a, b in zip(d, cal_a, cal_b, strict=True)
    ) / len(d)


def vector_norm(rows: Sequence[int], matrix: np.ndarray) -> float:
    """The l2 norm of the sum of ``matrix``'s ``rows`` (a post's word vectors); 1.0 when
    that sum is zero or there are no rows."""
    if not rows:
        return 1.0
    total = matrix[list(rows)].sum(axis=0)
    return float(np.sqrt(total @ total)) or 1.0
