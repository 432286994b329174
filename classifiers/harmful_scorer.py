"""The harmful-wording model's decision values at run time, without scipy.

Every feature except the word bigrams and one signal phrase comes from a single whitespace
chunk, so each distinct chunk is analysed once and cached, and a post costs a few dictionary
look-ups plus four calls into ``classifiers.harmful_kernel`` (compiled where it was built).
``HarmfulModel.features`` (scipy) stays the reference that training uses; tests check the
compiled kernel, its Python forms and the reference give the same values.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from classifiers import harmful_kernel
from classifiers.base import CACHE_ENTRIES
from classifiers.harmful_batch import batch_decisions
from classifiers.harmful_blocks import (
    LEXICON_FEATURES,
    lexicon_row,
    preprocess,
    signal_and_you,
    signal_pattern,
)
from classifiers.harmful_kernel import (
    as_bytes,
    distinct_counts,
    from_bytes,
    tfidf_weights,
)
from classifiers.lexicon import LexiconHit
from classifiers.lexicon_gate import TokenGate

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from classifiers.harmful_model import HarmfulModel


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
    lexicon_gate: TokenGate  # whether the lexicon may hit here (see ``lexicon.may_hit``)


class _Post(NamedTuple):
    """One post as the scorer reads it (see ``FastScorer.post``)."""

    chunks: list[_Chunk]
    main: bytes  # its chunks' ``main`` and, last, its word n-grams (n >= 2), int32
    profanity: list[int]
    vector_rows: list[int]
    hits: list[LexiconHit]
    lexicon_features: tuple[float, float, float, float, float]
    conv_ids: list[int]
    vector_push: float  # its chunks' vector pushes summed (see ``_Chunk.vector_push``)


class FastScorer:
    """The model's decision values without scipy: per-chunk cached feature indices, then one
    post's arithmetic in ``classifiers.harmful_kernel`` (compiled where it could be built),
    or a batch's with one sort and ``np.bincount`` for the per-block norms and dot products.

    Gives the same values as ``HarmfulModel.features(texts) @ coef`` (a test checks it) at a
    small fraction of scipy's per-call overhead. ``compiled``: use the compiled kernel when
    it is there (the default); False keeps to the Python forms (tests compare the two).
    """

    def __init__(self, model: HarmfulModel, *, compiled: bool = True) -> None:
        self.model = model
        word, char, prof = model.word, model.char, model.profanity.tfidf
        self.n_word = len(word.terms)
        self.n_main = self.n_word + len(char.terms)
        self.n_prof = len(prof.terms)
        self.idf = np.concatenate([word.idf, char.idf])
        self.coef_main = np.asarray(model.coef[: self.n_main], dtype=np.float64)
        # The single-post path reads these, side by side: one memory read a feature.
        self.idf_pairs = np.ascontiguousarray(
            np.column_stack([self.idf * self.coef_main, self.idf * self.idf])
        )
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
        self.prof_coef = np.ascontiguousarray(model.profanity.coef.T)  # (features, folds)
        self.chunks: dict[str, _Chunk] = {}
        # Signal words are counted per chunk; the few holding a space over the whole post.
        single = [w for w in model.signal_words if " " not in w]
        phrases = [w for w in model.signal_words if " " in w]
        self.signal_words = signal_pattern(single)
        self.signal_phrases = signal_pattern(phrases) if phrases else None
        self.phrase_heads = tuple(p.split()[0] for p in phrases)
        # Word n-grams across chunks: bigrams by ``gather``, longer ones (if any) in Python.
        lo, hi = word.ngram_range
        self.pairs = word.pairs if lo <= 2 <= hi else None
        self.longer_ngrams = hi >= 3
        self._choose_kernel(compiled)

    def _choose_kernel(self, compiled: bool) -> None:
        """Bind the single-post arithmetic to the compiled kernel or to its Python forms."""
        kernel = harmful_kernel.compiled if compiled else None
        self.compiled = kernel is not None
        if compiled and kernel is None:
            log.warning(
                "the wording model's compiled kernel (classifiers._harmful_kernel) is not "
                "built: scoring in Python, about half as fast; reinstall the package where a "
                "C compiler and Python's headers are present"
            )
        pb = self.model.profanity
        sub_word, sub_char = (bool(s) for s in self.sublinear)
        prof: tuple[Any, ...]
        forms: Any  # the compiled module or the Python forms: the same functions
        if kernel is not None:
            prof = (
                np.ascontiguousarray(pb.tfidf.idf, dtype=np.float64), self.prof_coef,
                np.ascontiguousarray(pb.intercept, dtype=np.float64),
                np.ascontiguousarray(pb.cal_a, dtype=np.float64),
                np.ascontiguousarray(pb.cal_b, dtype=np.float64), bool(pb.tfidf.sublinear_tf),
            )  # fmt: skip
            forms = kernel
        else:
            # plain Python floats: the Python form walks them one by one
            prof = (
                pb.tfidf.idf.tolist(), [tuple(r) for r in self.prof_coef.tolist()],
                pb.intercept.tolist(), pb.cal_a.tolist(), pb.cal_b.tolist(),
                bool(pb.tfidf.sublinear_tf),
            )  # fmt: skip
            forms = harmful_kernel
        main = (self.idf_pairs, self.n_word, sub_word, sub_char)
        tfidf, profanity = forms.tfidf_decision, forms.profanity_probability
        self._gather: Callable[..., tuple[Any, ...]] = forms.gather
        self._tfidf_part: Callable[[bytes], float] = lambda ids: tfidf(ids, *main)
        self._profanity_part: Callable[[list[int]], float] = lambda ids: profanity(ids, *prof)
        self._vector_norm: Callable[[list[int]], float] = (
            (lambda rows: forms.vector_norm(rows, self.vector_matrix))
            if self.vector_matrix is not None
            else (lambda rows: 1.0)
        )
        self._conv_logit: Callable[[list[int]], float] = (
            (self.conv.logit if kernel is not None else self.conv.logit_numpy)
            if self.conv is not None
            else (lambda ids: 0.0)
        )
        conv = self.conv
        self._conv_shares: Callable[[list[int]], list[float]] = (
            (lambda ids: [0.0] * len(ids))
            if conv is None
            else conv.token_share_list
            if kernel is not None
            else (lambda ids: [float(v) for v in conv.token_shares_numpy(ids)])
        )
        self._main_shares: Callable[[_Post, Sequence[_Chunk]], Any]
        if kernel is not None:  # its scratch: zero, and left zero after every call
            counts, marks = np.zeros((2, self.n_main), dtype=np.int32)
            weights = np.zeros(self.n_main)
            self._main_shares = lambda post, chunks: kernel.token_shares(
                post.main, chunks, *main, counts, weights, marks
            )
        else:
            self._main_shares = self._main_shares_numpy

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
        main = as_bytes(word_ids + [self.n_word + i for i in char_ids])
        inner = as_bytes(m.word.ngram_features(tokens))
        ids = self.vectors.ids(tokens) if self.vectors is not None else []
        rows = [i - 1 for i in ids if i]
        push = float(self.vector_push[rows].sum()) if rows else 0.0
        gate = m.lexicon.token_gate(raw)
        found = _Chunk(
            tuple(tokens), tuple(prof_ids), n_signal, you, head, main, inner, tuple(rows),
            tuple(ids), push, gate,
        )  # fmt: skip
        if len(self.chunks) > CACHE_ENTRIES:
            self.chunks.clear()  # bound memory on a long-running service
        self.chunks[raw] = found
        return found

    def own_features(
        self, chunks: Sequence[_Chunk], feature: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each chunk's distinct features read alone (explanations), as (chunk number, position
        in ``feature``): ``feature`` holds the sorted features of the post these chunks make
        (a chunk's feature the post does not hold is left out)."""
        parts = [c.main + c.inner for c in chunks]
        ids = from_bytes(b"".join(parts))
        owner = np.repeat(np.arange(len(chunks)), [len(p) // 4 for p in parts])
        at = np.searchsorted(feature, ids)
        held = at < len(feature)
        held[held] = feature[at[held]] == ids[held]
        width = max(len(feature), 1)
        pairs, _ = distinct_counts(owner[held] * width + at[held])
        return np.divmod(pairs, width)

    def post(self, text: str) -> _Post:
        """One post's chunks and what is read off the whole post: word n-grams across
        chunks, signal phrases, lexicon hits and features."""
        known, chunk = self.chunks, self.chunk
        chunks = [known.get(raw) or chunk(raw) for raw in text.split()]
        main, prof, rows, ids, tokens, n_signal, at_you, head, may_hit, push = self._gather(
            chunks, self.pairs
        )
        if head and self.signal_phrases is not None:
            n_signal += len(self.signal_phrases.findall(preprocess(text)))
        hits = self.model.lexicon.find(text) if may_hit else []
        if self.longer_ngrams:
            main += as_bytes(self.model.word.ngram_features(tokens, shortest=3))
        features = lexicon_row(hits, n_signal, at_you)
        return _Post(chunks, main, prof, rows, hits, features, ids, push)

    def decision_one(self, text: str) -> tuple[float, list[LexiconHit], _Post]:
        """One post's decision value: the single-post hot path.

        Returns the decision value, the lexicon hits and the post as read (``token_shares``
        takes it when the words' shares are wanted).
        """
        post = self.post(text)
        dense = self.dense_coef
        decision = self.model.intercept + self._profanity_part(post.profanity) * dense[0]
        decision += sum(f * w for f, w in zip(post.lexicon_features, dense[1:], strict=True))
        decision += self._tfidf_part(post.main)
        if post.vector_rows:  # ``vector sum @ coef`` is the sum of the chunks' cached pushes
            decision += post.vector_push / self._vector_norm(post.vector_rows)
        if self.conv is not None:
            decision += self.conv.weight * self._conv_logit(post.conv_ids)
        return float(decision), post.hits, post

    def token_shares(self, post: _Post, chunks: Sequence[_Chunk]) -> list[float]:
        """Each chunk's share of the post's decision value (explanations): its own word and
        char features' weights, an n-gram held by several chunks split between them, its word
        vectors' part of the post vector's push, and its words' conv shares. ``chunks``: the
        post's whitespace chunks in order."""
        # plain floats: a few dozen chunks, where numpy's cost per call is the larger
        per_token = [float(v) for v in self._main_shares(post, chunks)]
        if post.vector_rows:
            norm = self._vector_norm(post.vector_rows)
            per_token = [v + c.vector_push / norm for v, c in zip(per_token, chunks, strict=True)]
        if self.conv is not None:
            shares = self._conv_shares(post.conv_ids)
            at = 0
            for k, c in enumerate(chunks):
                n = len(c.conv_ids)
                if n:
                    per_token[k] += float(sum(shares[at : at + n]))
                    at += n
        return per_token

    def _main_shares_numpy(self, post: _Post, chunks: Sequence[_Chunk]) -> np.ndarray:
        """The Python form of the kernel's ``token_shares``: the TF-IDF part by chunk."""
        sublinear = (bool(self.sublinear[0]), bool(self.sublinear[1]))
        ids = from_bytes(post.main)
        feature, weight = tfidf_weights(ids, self.idf_pairs, self.n_word, sublinear)
        owner, pos = self.own_features(chunks, feature)
        share = weight[pos] / np.bincount(pos, minlength=len(feature))[pos]
        return np.bincount(owner, share, minlength=len(chunks)).astype(np.float64)

    def decisions(self, texts: Sequence[str]) -> tuple[np.ndarray, list[_Post]]:
        """Decision values of a batch and its posts as read (hits, and what explanations
        take): post by post through the compiled kernel (about twice as fast as numpy's batch
        there), else numpy's batch pass (``harmful_batch``)."""
        if not self.compiled:
            return batch_decisions(self, texts)
        each = [self.decision_one(text) for text in texts]
        return np.array([d for d, _, _ in each], dtype=np.float64), [p for _, _, p in each]
