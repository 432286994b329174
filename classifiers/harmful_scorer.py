"""The harmful-wording model's decision values at run time, without scipy.

Every feature except the word bigrams and one signal phrase comes from a single whitespace
chunk, so each distinct chunk is analysed once and cached, and a post costs a few dictionary
look-ups plus a handful of numpy calls. ``HarmfulModel.features`` (scipy) stays the reference
that training uses; a test checks both give the same values.
"""

from __future__ import annotations

import math
from array import array
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from classifiers.base import CACHE_ENTRIES
from classifiers.harmful_blocks import (
    LEXICON_FEATURES,
    lexicon_row,
    preprocess,
    signal_and_you,
    signal_pattern,
)
from classifiers.lexicon import LexiconHit

if TYPE_CHECKING:
    from collections.abc import Sequence

    from classifiers.harmful_model import HarmfulModel


# Feature indices as int32 bytes: the chunk cache lives as long as the daemon, and tens of
# thousands of small arrays would cost more in headers than in data.
_INT32 = next(code for code in "ilh" if array(code).itemsize == 4)  # "i" on every usual ABI


def _as_bytes(indices: list[int]) -> bytes:
    return array(_INT32, indices).tobytes()


def _from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=np.int32)  # read-only: the cached bytes stay as they are


class _Chunk(NamedTuple):
    """What one raw whitespace chunk contributes, cached: chunks repeat across posts."""

    word_tokens: tuple[str, ...]  # the word block's tokens (for its n-grams across chunks)
    profanity: tuple[int, ...]  # alt-profanity-check vocabulary indices
    signal: int  # signal words (one-word ones; phrases are counted over the whole post)
    you: bool  # holds a second-person word
    phrase_head: bool  # may start a signal phrase ("shut up")
    main: bytes  # word unigram and char n-gram indices (char offset by the word vocab), int32
    inner: bytes  # word n-grams (n >= 2) inside the chunk, int32 (explanations; mostly empty)
    vector_rows: tuple[int, ...]  # word-vector table rows of its tokens
    conv_ids: tuple[int, ...]  # its tokens' ids for the conv block (0: no vector)
    vector_push: float  # what those vectors add to the decision before the post's norm
    term: bool  # a lexicon term or a phrase's first word (see ``Lexicon.term_or_letter``)
    letter: bool  # a single letter: three in a post may spell a term


class _Post(NamedTuple):
    """One post as the scorer reads it (see ``FastScorer.post``)."""

    chunks: list[_Chunk]
    main: list[bytes]  # its chunks' ``main`` and, last, its word n-grams (n >= 2)
    profanity: list[int]
    vector_rows: list[int]
    hits: list[LexiconHit]
    lexicon_features: tuple[float, float, float, float, float]
    conv_ids: list[int]


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


class FastScorer:
    """The model's decision values without scipy: per-chunk cached feature indices, one sort
    for the counts (``_counts``), ``np.bincount`` for the per-block norms and dot products.

    Gives the same values as ``HarmfulModel.features(texts) @ coef`` (a test checks it) at a
    fraction of scipy's per-call overhead: a single post costs about a tenth of a millisecond.
    """


    def __init__(self, model: HarmfulModel) -> None:
        self.model = model
        word, char, prof = model.word, model.char, model.profanity.tfidf
        self.n_word = len(word.terms)
        self.n_main = self.n_word + len(char.terms)
        self.n_prof = len(prof.terms)
        self.idf = np.concatenate([word.idf, char.idf])
        self.coef_main = np.asarray(model.coef[: self.n_main], dtype=np.float64)
        # The single-post path multiplies by these: one gather each instead of two.
        self.idf_coef = self.idf * self.coef_main
        self.idf_square = self.idf * self.idf
        n_dense = self.n_main + 1 + len(LEXICON_FEATURES)
        self.coef_dense = np.asarray(model.coef[self.n_main : n_dense], dtype=np.float64)
        self.dense_coef = [float(c) for c in self.coef_dense]
        # Word vectors: the post's vector is scale * sum / |sum|, so its part of the decision
        # is scale * (sum @ coef) / |sum|; each word's ``sum @ coef`` share is precomputed.
        self.vectors = model.vectors
        coef_vec = np.asarray(model.coef[n_dense:], dtype=np.float64) * model.vector_scale
        self.vector_matrix = model.vectors.matrix if model.vectors is not None else None
        self.vector_push = (
            self.vector_matrix @ coef_vec if self.vector_matrix is not None else np.zeros(0)
        )
        self.coef_vec = coef_vec
        self.conv = model.conv
        self.block = np.zeros(self.n_main, dtype=np.int64)
        self.block[self.n_word :] = 1
        self.sublinear = np.array([word.sublinear_tf, char.sublinear_tf])
        self.sublinear_both = bool(self.sublinear.all())
        self.sublinear_none = not self.sublinear.any()
        self.prof_coef = np.ascontiguousarray(model.profanity.coef.T)  # (features, folds)
        # The same as plain Python floats, for the single-post path.
        pb = model.profanity
        self.prof_rows: list[tuple[float, ...]] = [tuple(r) for r in self.prof_coef.tolist()]
        self.prof_idf: list[float] = pb.tfidf.idf.tolist()
        self.prof_sublinear = pb.tfidf.sublinear_tf
        self.prof_intercept: list[float] = pb.intercept.tolist()
        self.prof_cal_a: list[float] = pb.cal_a.tolist()
        self.prof_cal_b: list[float] = pb.cal_b.tolist()
        self.chunks: dict[str, _Chunk] = {}
        # Signal words are counted per chunk; the few holding a space over the whole post.
        single = [w for w in model.signal_words if " " not in w]
        phrases = [w for w in model.signal_words if " " in w]
        self.signal_words = signal_pattern(single)
        self.signal_phrases = signal_pattern(phrases) if phrases else None
        self.phrase_heads = tuple(p.split()[0] for p in phrases)

    def chunk(self, raw: str) -> _Chunk:
        found = self.chunks.get(raw)
        if found is not None:
            return found
        m = self.model
        norm = preprocess(raw)
        tokens, word_ids = m.word.chunk_features(norm)
        _, char_ids = m.char.chunk_features(norm)
        prof = m.profanity.tfidf
        _, prof_ids = prof.chunk_features(prof._normalise(raw))
        n_signal, you = signal_and_you(norm, self.signal_words)
        head = any(h in norm for h in self.phrase_heads)
        main = _as_bytes(word_ids + [self.n_word + i for i in char_ids])
        inner = _as_bytes(m.word.ngram_features(tokens))
        ids = self.vectors.ids(tokens) if self.vectors is not None else []
        rows = [i - 1 for i in ids if i]
        push = float(self.vector_push[rows].sum()) if rows else 0.0
        term, letter = m.lexicon.term_or_letter(raw)
        found = _Chunk(
            tuple(tokens), tuple(prof_ids), n_signal, you, head, main, inner, tuple(rows),
            tuple(ids), push, term, letter,
        )  # fmt: skip
        if len(self.chunks) > CACHE_ENTRIES:
            self.chunks.clear()  # bound memory on a long-running service
        self.chunks[raw] = found
        return found

    def own_features(
        self, chunks: Sequence[_Chunk], feature: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk's distinct features read alone (explanations), as (chunk number, position
        in ``feature``): ``feature`` holds the sorted features of the post these chunks make."""
        parts = [c.main + c.inner for c in chunks]
        ids = _from_bytes(b"".join(parts))
        owner = np.repeat(np.arange(len(chunks)), [len(p) // 4 for p in parts])
        width = max(len(feature), 1)
        pairs, _ = self._counts(owner * width + np.searchsorted(feature, ids))
        return np.divmod(pairs, width)

    def post(self, text: str) -> _Post:
        """One post's chunks and what is read off the whole post: word n-grams across
        chunks, signal phrases, lexicon hits and features."""
        known, chunk = self.chunks, self.chunk
        chunks = [known.get(raw) or chunk(raw) for raw in text.split()]
        n_signal, at_you, head, term, letters = 0, False, False, False, 0
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
            term = term or c.term
            letters += c.letter
        if head and self.signal_phrases is not None:
            n_signal += len(self.signal_phrases.findall(preprocess(text)))
        hits = self.model.lexicon.find(text) if term or letters >= 3 else []
        ngrams = self.model.word.ngram_features(tokens)
        if ngrams:
            main.append(_as_bytes(ngrams))
        return _Post(chunks, main, prof, rows, hits, lexicon_row(hits, n_signal, at_you), ids)

    @staticmethod
    def _tfidf(
        ids: list[int] | np.ndarray, ptr: list[int], n_features: int, idf: np.ndarray,
        block: np.ndarray | None, sublinear: np.ndarray, n_blocks: int,
    ) -> _Tfidf:  # fmt: skip
        rows = len(ptr) - 1
        cols = np.array(ids, dtype=np.int64)  # a copy: row offsets are added in place
        if rows > 1:
            cols += np.repeat(np.arange(rows, dtype=np.int64) * n_features, np.diff(ptr))
        key, counts = FastScorer._counts(cols)
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

    @staticmethod
    def _counts(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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

    def decision_one(
        self, text: str
    ) -> tuple[float, list[LexiconHit], np.ndarray, np.ndarray, float]:
        """``analyse([text])`` without the batch bookkeeping: the single-post hot path.

        Returns the decision value, the lexicon hits, the post's word and char features
        (sorted indices) with what each adds to the decision value, and the norm of its
        word-vector sum (explanations need these three).
        """
        m = self.model
        post = self.post(text)
        main, prof, vector_rows = post.main, post.profanity, post.vector_rows
        hits, feats = post.hits, post.lexicon_features
        decision = m.intercept
        # alt-profanity-check's block has a handful of features a post: plain Python floats
        # beat numpy's per-call overhead there.
        d = list(self.prof_intercept)
        if prof:
            tally: dict[int, int] = {}
            for i in prof:
                tally[i] = tally.get(i, 0) + 1
            idf, rows = self.prof_idf, self.prof_rows
            values = [
                ((math.log(c) + 1.0) if self.prof_sublinear else c) * idf[i]
                for i, c in tally.items()
            ]
            norm = math.sqrt(sum(v * v for v in values)) or 1.0
            for i, v in zip(tally, values, strict=True):
                v /= norm
                for k, w in enumerate(rows[i]):
                    d[k] += v * w
        prob = sum(
            1.0 / (1.0 + math.exp(a * dk + b))
            for dk, a, b in zip(d, self.prof_cal_a, self.prof_cal_b, strict=True)
        ) / len(d)
        dense = self.dense_coef
        decision += prob * dense[0] + sum(f * w for f, w in zip(feats, dense[1:], strict=True))
        cols = _from_bytes(b"".join(main))
        feature, counts = self._counts(cols)
        split = int(np.searchsorted(feature, self.n_word))
        # Both blocks at once (fewer numpy calls, which dominate a short post's cost); each
        # block is l2-normalised on its own, as the two vectorizers do.
        if self.sublinear_both:
            tf = np.log(counts) + 1.0
        elif self.sublinear_none:
            tf = counts
        else:
            tf = counts.copy()
            lo, hi = (0, split) if self.sublinear[0] else (split, len(tf))
            tf[lo:hi] = np.log(tf[lo:hi]) + 1.0
        weight = tf * self.idf_coef[feature]
        square = tf * tf * self.idf_square[feature]
        if split:
            weight[:split] /= math.sqrt(float(square[:split].sum()))
        if split < len(feature):
            weight[split:] /= math.sqrt(float(square[split:].sum()))
        decision += float(weight.sum())
        vector_norm = 1.0
        if vector_rows and self.vector_matrix is not None:
            total = self.vector_matrix[vector_rows].sum(axis=0)
            vector_norm = float(np.sqrt(total @ total)) or 1.0
            # ``total @ coef_vec`` is the sum of the chunks' cached pushes
            decision += sum(c.vector_push for c in post.chunks) / vector_norm
        if self.conv is not None:
            decision += self.conv.weight * self.conv.logit(post.conv_ids)
        return float(decision), hits, feature, weight, vector_norm

    def _vector_decisions(
        self, rows: list[int], ptr: list[int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Each post's word-vector part of the decision and the norm of its vector sum."""
        if self.vector_matrix is None or not rows:
            return None
        total = _run_sums(self.vector_matrix[rows], np.asarray(ptr))
        norm = np.sqrt(np.einsum("ij,ij->i", total, total))
        norm[norm == 0.0] = 1.0
        return (total @ self.coef_vec) / norm, norm

    def analyse(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[list[LexiconHit]], _Tfidf, np.ndarray]:
        """Decision values, the model lexicon's hits per text, the main TF-IDF rows and the
        norms of the posts' word-vector sums."""
        m = self.model
        main: list[bytes] = []
        prof: list[int] = []
        vector_rows: list[int] = []
        main_ptr, prof_ptr, vector_ptr = [0], [0], [0]
        dense = np.zeros((len(texts), 1 + len(LEXICON_FEATURES)))
        hits_of: list[list[LexiconHit]] = []
        conv_posts: list[list[int]] = []
        for row, text in enumerate(texts):
            post = self.post(text)
            conv_posts.append(post.conv_ids)
            main += post.main
            prof += post.profanity
            vector_rows += post.vector_rows
            main_ptr.append(main_ptr[-1] + sum(len(a) for a in post.main) // 4)
            prof_ptr.append(len(prof))
            vector_ptr.append(len(vector_rows))
            dense[row, 1:] = post.lexicon_features
            hits_of.append(post.hits)
        rows = len(texts)
        # alt-profanity-check: five calibrated LinearSVC folds over its own TF-IDF.
        pb = m.profanity
        p = self._tfidf(
            prof, prof_ptr, self.n_prof, pb.tfidf.idf, None,
            np.array([pb.tfidf.sublinear_tf]), 1,
        )  # fmt: skip
        scaled = p.value / p.norm[p.row, 0]
        folds = self.prof_coef.shape[1]
        d = np.empty((rows, folds))
        for k in range(folds):
            d[:, k] = np.bincount(p.row, scaled * self.prof_coef[p.feature, k], minlength=rows)
        d += pb.intercept
        dense[:, 0] = (1.0 / (1.0 + np.exp(pb.cal_a * d + pb.cal_b))).mean(axis=1)
        cols = _from_bytes(b"".join(main))
        t = self._tfidf(cols, main_ptr, self.n_main, self.idf, self.block, self.sublinear, 2)
        contrib = t.value * self.coef_main[t.feature] / t.norm[t.row, self.block[t.feature]]
        # (bincount of nothing is an int array: an empty post still needs float decisions)
        decision = np.bincount(t.row, contrib, minlength=rows).astype(np.float64)
        decision += dense @ self.coef_dense + m.intercept
        vector_norm = np.ones(rows)
        vec = self._vector_decisions(vector_rows, vector_ptr)
        if vec is not None:
            decision += vec[0]
            vector_norm = vec[1]
        if self.conv is not None:
            decision += self.conv.weight * self.conv.logits(conv_posts)
        return decision, hits_of, t, vector_norm

