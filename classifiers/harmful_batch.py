"""The wording model's decision values for a batch in numpy: the pass the scorer takes where
the compiled kernel is not built (``FastScorer.decisions``; with the kernel, post by post is
about twice as fast). Same values as the single-post path and the scipy reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from classifiers.harmful_blocks import LEXICON_FEATURES
from classifiers.harmful_kernel import distinct_counts, from_bytes

if TYPE_CHECKING:
    from classifiers.harmful_scorer import FastScorer, _Post


class _Tfidf(NamedTuple):
    """Rows of TF-IDF features in coordinate form: for each (row, feature) its value."""

    row: np.ndarray
    feature: np.ndarray
    value: np.ndarray  # tf * idf, not yet normalised
    norm: np.ndarray  # (rows, blocks): l2 norm of each row's block


def _run_sums(values: np.ndarray, bounds: np.ndarray, block: int = 16) -> np.ndarray:
    """Sums of the consecutive runs of rows ``values[bounds[k]:bounds[k + 1]]``, one per k.

    ``np.add.reduceat`` along rows is slow on wide rows; a 0/1 matrix picking each run, times
    the rows, lets BLAS do it, a few runs at a time so the 0/1 matrix stays small (half the
    time of reduceat for a batch of tweets).
    """
    runs = len(bounds) - 1
    out = np.zeros((runs, values.shape[1]))
    for lo in range(0, runs, block):
        hi = min(lo + block, runs)
        first, last = bounds[lo], bounds[hi]
        if first == last:
            continue
        pick = np.zeros((hi - lo, last - first))
        owner = np.repeat(np.arange(hi - lo), np.diff(bounds[lo : hi + 1]))
        pick[owner, np.arange(last - first)] = 1.0
        out[lo:hi] = pick @ values[first:last]
    return out


def _tfidf(
    ids: list[int] | np.ndarray, ptr: list[int], n_features: int, idf: np.ndarray,
    block: np.ndarray | None, sublinear: np.ndarray, n_blocks: int,
) -> _Tfidf:  # fmt: skip
    rows = len(ptr) - 1
    cols = np.array(ids, dtype=np.int64)  # a copy: row offsets are added in place
    if rows > 1:
        cols += np.repeat(np.arange(rows, dtype=np.int64) * n_features, np.diff(ptr))
    key, counts = distinct_counts(cols)
    if rows > 1:
        row, feature = np.divmod(key, n_features)
    else:
        row, feature = np.zeros(len(key), dtype=np.int64), key
    blk = block[feature] if block is not None else np.zeros(len(feature), dtype=np.int64)
    if sublinear.all():
        tf = np.log(counts) + 1.0
    elif sublinear.any():
        tf = np.where(sublinear[blk], np.log(counts) + 1.0, counts)
    else:
        tf = counts
    value = tf * idf[feature]
    slot = row * n_blocks + blk if n_blocks > 1 else row
    norm = np.sqrt(np.bincount(slot, value * value, minlength=rows * n_blocks))
    norm[norm == 0.0] = 1.0
    return _Tfidf(row, feature, value, norm.reshape(rows, n_blocks))


def _vector_decisions(
    scorer: FastScorer, rows: list[int], ptr: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Each post's word-vector part of the decision and the norm of its vector sum."""
    if scorer.vector_matrix is None or not rows:
        return None
    total = _run_sums(scorer.vector_matrix[rows], np.asarray(ptr))
    norm = np.sqrt(np.einsum("ij,ij->i", total, total))
    norm[norm == 0.0] = 1.0
    return (total @ scorer.coef_vec) / norm, norm


def batch_decisions(scorer: FastScorer, texts: Sequence[str]) -> tuple[np.ndarray, list[_Post]]:
    """Decision values, in one numpy pass, and the posts as read."""
    m = scorer.model
    main: list[bytes] = []
    prof: list[int] = []
    vector_rows: list[int] = []
    main_ptr, prof_ptr, vector_ptr = [0], [0], [0]
    dense = np.zeros((len(texts), 1 + len(LEXICON_FEATURES)))
    posts: list[_Post] = []
    conv_posts: list[list[int]] = []
    for row, text in enumerate(texts):
        post = scorer.post(text)
        conv_posts.append(post.conv_ids)
        main.append(post.main)
        prof += post.profanity
        vector_rows += post.vector_rows
        main_ptr.append(main_ptr[-1] + len(post.main) // 4)
        prof_ptr.append(len(prof))
        vector_ptr.append(len(vector_rows))
        dense[row, 1:] = post.lexicon_features
        posts.append(post)
    rows = len(texts)
    # alt-profanity-check: five calibrated LinearSVC folds over its own TF-IDF.
    pb = m.profanity
    p = _tfidf(
        prof, prof_ptr, scorer.n_prof, pb.tfidf.idf, None,
        np.array([pb.tfidf.sublinear_tf]), 1,
    )  # fmt: skip
    scaled = p.value / p.norm[p.row, 0]
    folds = scorer.prof_coef.shape[1]
    d = np.empty((rows, folds))
    for k in range(folds):
        d[:, k] = np.bincount(p.row, scaled * scorer.prof_coef[p.feature, k], minlength=rows)
    d += pb.intercept
    dense[:, 0] = (1.0 / (1.0 + np.exp(pb.cal_a * d + pb.cal_b))).mean(axis=1)
    cols = from_bytes(b"".join(main))
    t = _tfidf(cols, main_ptr, scorer.n_main, scorer.idf, scorer.block, scorer.sublinear, 2)
    contrib = t.value * scorer.coef_main[t.feature] / t.norm[t.row, scorer.block[t.feature]]
    # (bincount of nothing is an int array: an empty post still needs float decisions)
    decision = np.bincount(t.row, contrib, minlength=rows).astype(np.float64)
    decision += dense @ scorer.coef_dense + m.intercept
    vec = _vector_decisions(scorer, vector_rows, vector_ptr)
    if vec is not None:
        decision += vec[0]
    if scorer.conv is not None:
        decision += scorer.conv.weight * scorer.conv.logits(conv_posts)
    return decision, posts
