"""The harmful-wording model at run time: features, a linear score, explanations, save/load.

Everything here is rebuilt from plain arrays (``arrays.npz``, loaded with
``allow_pickle=False``) and JSON, so loading a model never executes code from a file. The
features are:

- word 1-2-gram and character 2-5-gram TF-IDF blocks (scikit-learn vectorizers given a fixed
  vocabulary and idf, so the features are exactly the ones seen at training time);
- the probability of alt-profanity-check's model, exported at training time into our own
  arrays (its vocabulary, idf, five LinearSVC folds and their sigmoid calibrations), so the
  package is needed neither at run time nor as a pickle;
- five lexicon counts (insult/slur/threat hits, profanity hits, an insult aimed at "you", the
  same for hostile signal words);
- optionally (format 2) the post's word vector: the normalised sum of its words' static
  vectors (``classifiers/word_vectors.py``), which carries meaning to words never seen in
  training.

A linear model over them gives a decision value, to which (format 3) a small convolutional
block over the sequence of word vectors adds a weighted logit (``classifiers/conv_block.py``:
word order). The sum ``d`` is calibrated: the score is
``sigmoid(scale * (d - offset))``: Platt scaling fitted on out-of-fold predictions, with the
offset at the operating point tuned on held-out folds, so ``score >= 0.5`` means "flag".

At run time ``FastScorer`` computes the same decision values without scipy: every feature
above except the word bigrams and one signal phrase comes from a single whitespace chunk, so
each distinct chunk is analysed once and cached, and a post costs a few dictionary look-ups
plus a handful of numpy calls. ``features`` (scipy) stays the reference that training uses.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:  # training and reference paths only: not imported when scoring posts
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.conv_block import CONV_FILE, ConvBlock
from classifiers.lexicon import Lexicon, LexiconHit
from classifiers.word_vectors import ARRAY_FILE, WORDS_FILE, WordVectors

FORMAT = 3  # 2 adds word vectors, 3 the conv block; format-1 and -2 models still load
MANIFEST = "manifest.json"
VOCAB = "vocab.json"
ARRAYS = "arrays.npz"
SHIPPED_DIR = Path(__file__).resolve().parent / "models" / "harmful"

WORD_TOKENS = r"(?u)[#@]?\b\w+\b|[^\w\s]"
_SECOND_PERSON = frozenset({"you", "u", "ur", "your", "youre", "yours", "yourself", "ya", "yall"})
_STRETCH = re.compile(r"(.)\1{2,}")
_WORDS = re.compile(r"[a-z]+")
LEXICON_FEATURES = (
    "insult_hits",
    "profanity_hits",
    "insult_at_you",
    "signal_hits",
    "signal_at_you",
)
# Word starts that often carry hostility in tweets though they are not insults by themselves
# ("hate", "kill", "trash"): too ambiguous for a finding, useful as a feature the model weighs
# in context. Cross-validation on train+val: +0.4 macro-F1 over the lexicon counts alone.
SIGNAL_PREFIXES: tuple[str, ...] = (
    "idiot", "stupid", "moron", "dumb", "loser", "pathetic", "imbecile", "retard", "jackass",
    "asshole", "bastard", "bitch", "scum", "clown", "fool", "ignorant", "disgusting", "coward",
    "liar", "hypocrit", "traitor", "pig", "thug", "racist", "nazi", "fascist", "hate", "kill",
    "trash", "garbage", "ugly", "fat", "shut up", "suck", "crap", "damn", "hell", "fuck", "shit",
    "piss", "dick", "cunt", "whore", "slut", "twat", "wanker", "prick",
)  # fmt: skip
_INSULT_KINDS = frozenset({"insults", "slurs", "threats", "hateful"})
# The post vector's features are multiplied by this before the linear model: with one shared
# C, it lets those 128 dense features weigh against ~90,000 sparse ones (cross-validated:
# x2 beat x1, and x3 and x4 were no better).
VECTOR_SCALE = 2.0


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, no pickle. The file is ours to close: ``np.load`` leaves it
    open when the archive is damaged."""
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


class ModelError(Exception):
    """A model directory is missing, incomplete or of an unknown format; reinstall or retrain."""


def preprocess(text: str) -> str:
    """Lower-case, OLID's ``URL`` placeholder as a link, stretched letters cut to two."""
    text = text.replace("URL", "http").replace("&amp;", "&").lower()
    return _STRETCH.sub(r"\1\1", text)


@dataclass
class TfidfBlock:
    """One TF-IDF vectorizer rebuilt from its vocabulary and idf."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    sublinear_tf: bool
    token_pattern: str
    terms: list[str]
    idf: np.ndarray
    use_preprocess: bool = True

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, dtype=np.float64)
        self.index: dict[str, int] = {t: i for i, t in enumerate(self.terms)}
        self._tokens = re.compile(self.token_pattern)
        # Words repeat across posts (Zipf), so each word's character n-grams are computed once.
        self._word_cache: dict[str, list[int]] = {}
        # Word bigrams by first then second token: no string is built for a pair not in the
        # vocabulary, which is most pairs (tokens never hold a space, so the split is exact).
        self._pairs: dict[str, dict[str, int]] = {}
        if self.analyzer == "word":
            for term, i in self.index.items():
                first, space, second = term.partition(" ")
                if space and " " not in second:
                    self._pairs.setdefault(first, {})[second] = i

    @property
    def vectorizer(self) -> TfidfVectorizer:
        """The scikit-learn twin, for reference and tests (scoring never builds it: loading
        scikit-learn costs ~100 MB and the vocabulary would be held twice)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=self.ngram_range,
            sublinear_tf=self.sublinear_tf,
            token_pattern=self.token_pattern,
            lowercase=not self.use_preprocess,
            preprocessor=preprocess if self.use_preprocess else None,
            vocabulary=self.index,
            dtype=np.float64,
        )
        vec.idf_ = self.idf
        return vec

    def _normalise(self, text: str) -> str:
        return preprocess(text) if self.use_preprocess else text.lower()

    def _char_features(self, word: str) -> list[int]:
        """Feature indices of one word's padded character n-grams, as sklearn's char_wb."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        padded = f" {word} "
        index, out = self.index, []
        lo, hi = self.ngram_range
        for n in range(lo, hi + 1):
            # sklearn counts a word shorter than n once, as the whole padded word.
            stop = max(len(padded) - n + 1, 1)
            for k in range(stop):
                i = index.get(padded[k : k + n])
                if i is not None:
                    out.append(i)
            if stop == 1:
                break
        if len(self._word_cache) > 200_000:
            self._word_cache.clear()  # bound memory on a long-running service
        self._word_cache[word] = out
        return out

    def _doc_features(self, text: str) -> list[int]:
        """Feature indices of one document, with repeats (counts come from the repeats)."""
        norm = self._normalise(text)
        if self.analyzer == "char_wb":
            out: list[int] = []
            for word in norm.split():
                out.extend(self._char_features(word))
            return out
        index = self.index
        tokens = self._tokens.findall(norm)
        lo, hi = self.ngram_range
        out = []
        for n in range(lo, hi + 1):
            grams = (
                tokens
                if n == 1
                else [" ".join(tokens[k : k + n]) for k in range(len(tokens) - n + 1)]
            )
            out.extend(i for g in grams if (i := index.get(g)) is not None)
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF rows, l2-normalised: the same values as the scikit-learn vectorizer.

        Done here rather than by ``vectorizer.transform``, whose input validation costs more
        than the features themselves for one short post.
        """
        indptr = [0]
        indices: list[int] = []
        for text in texts:
            indices.extend(self._doc_features(text))
            indptr.append(len(indices))
        import scipy.sparse as sp

        cols = np.asarray(indices, dtype=np.int64)
        # Repeated indices are summed into counts by scipy (in C), not by a Python Counter.
        x = sp.csr_matrix(
            (np.ones(len(cols)), cols, np.asarray(indptr)), shape=(len(texts), len(self.terms))
        )
        x.sum_duplicates()
        if self.sublinear_tf:
            x.data = np.log(x.data) + 1.0
        x.data *= self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x

    def chunk_features(self, norm_chunk: str) -> tuple[list[str], list[int]]:
        """Tokens and unigram (or char_wb) feature indices of one normalised whitespace chunk.

        Word tokens never span whitespace, so a document's features are its chunks' features
        plus the word n-grams (n >= 2) over the concatenated tokens; see ``ngram_features``.
        """
        if self.analyzer == "char_wb":
            return [], self._char_features(norm_chunk)
        tokens = self._tokens.findall(norm_chunk)
        if self.ngram_range[0] > 1:
            return tokens, []
        index = self.index
        return tokens, [i for g in tokens if (i := index.get(g)) is not None]

    def ngram_features(self, tokens: list[str]) -> list[int]:
        """Indices of the word n-grams with n >= 2 over a document's tokens."""
        lo, hi = self.ngram_range
        if self.analyzer == "char_wb" or hi < 2:
            return []
        index, pairs, out = self.index, self._pairs, []
        if lo <= 2:
            for first, second in pairwise(tokens):
                following = pairs.get(first)
                if following is not None and (i := following.get(second)) is not None:
                    out.append(i)
        for n in range(max(lo, 3), hi + 1):
            for k in range(len(tokens) - n + 1):
                i = index.get(" ".join(tokens[k : k + n]))
                if i is not None:
                    out.append(i)
        return out

    def features_of(self, token: str) -> list[int]:
        """Indices of this block's features produced by one whitespace token on its own."""
        return self._doc_features(token)

    def spec(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "sublinear_tf": self.sublinear_tf,
            "token_pattern": self.token_pattern,
            "use_preprocess": self.use_preprocess,
        }

    @classmethod
    def from_fitted(cls, vec: TfidfVectorizer, use_preprocess: bool = True) -> TfidfBlock:
        """Export a fitted scikit-learn vectorizer (training time only)."""
        vocab: dict[str, int] = vec.vocabulary_
        terms = [""] * len(vocab)
        for term, i in vocab.items():
            terms[i] = term
        return cls(
            analyzer=str(vec.analyzer),
            ngram_range=(int(vec.ngram_range[0]), int(vec.ngram_range[1])),
            sublinear_tf=bool(vec.sublinear_tf),
            token_pattern=str(vec.token_pattern),
            terms=terms,
            idf=np.asarray(vec.idf_, dtype=np.float64),
            use_preprocess=use_preprocess,
        )


@dataclass
class ProfanityBlock:
    """alt-profanity-check's calibrated LinearSVC ensemble, as arrays."""

    tfidf: TfidfBlock
    coef: np.ndarray  # (folds, features)
    intercept: np.ndarray  # (folds,)
    cal_a: np.ndarray  # sigmoid calibration per fold: p = 1 / (1 + exp(a * d + b))
    cal_b: np.ndarray

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        d = self.tfidf.transform(texts) @ self.coef.T + self.intercept
        p = 1.0 / (1.0 + np.exp(self.cal_a * d + self.cal_b))
        return np.asarray(p.mean(axis=1)).ravel()


def signal_pattern(prefixes: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in prefixes) + ")")


def lexicon_row(
    hits: list[LexiconHit], n_signal: int, at_you: bool
) -> tuple[float, float, float, float, float]:
    """One post's lexicon features (see ``lexicon_features``) from the lexicon's hits.

    ``n_signal`` counts the signal words of the post, ``at_you`` says whether it addresses
    "you".
    """
    if not n_signal and not hits:
        return (0.0, 0.0, 0.0, 0.0, 0.0)
    you = float(at_you)
    insults = sum(h.kind in _INSULT_KINDS for h in hits)
    return (
        min(insults, 3) / 3,
        min(len(hits) - insults, 3) / 3,
        you if insults else 0.0,
        min(n_signal, 3) / 3,
        you if n_signal else 0.0,
    )


def _signal_and_you(low: str, signal: re.Pattern[str]) -> tuple[int, bool]:
    return len(signal.findall(low)), not _SECOND_PERSON.isdisjoint(_WORDS.findall(low))


def vector_features(
    vectors: WordVectors,
    texts: Sequence[str],
    scale: float = VECTOR_SCALE,
    token_pattern: str = WORD_TOKENS,
) -> np.ndarray:
    """(n, dims): ``scale`` times each post's word vector over the word block's tokens."""
    tokens = re.compile(token_pattern)
    rows = [vectors.rows(tokens.findall(preprocess(t))) for t in texts]
    return scale * vectors.post_vectors(rows)


def conv_ids(
    vectors: WordVectors, texts: Sequence[str], token_pattern: str = WORD_TOKENS
) -> list[list[int]]:
    """Each post's word ids for the conv block (``WordVectors.ids`` of the word block's
    tokens): the reference that training uses; the scorer builds the same from its chunks."""
    tokens = re.compile(token_pattern)
    return [vectors.ids(tokens.findall(preprocess(t))) for t in texts]


def lexicon_features(
    lexicon: Lexicon, texts: Sequence[str], signal: re.Pattern[str] | None = None
) -> np.ndarray:
    """(n, 5): insult-like and profanity lexicon hits, insult at "you", the same for signal
    words. Counts are capped at 3 and scaled to 1."""
    signal = signal or signal_pattern(SIGNAL_PREFIXES)
    rows = [lexicon_row(lexicon.find(t), *_signal_and_you(preprocess(t), signal)) for t in texts]
    return np.array(rows, dtype=np.float64).reshape(len(texts), len(LEXICON_FEATURES))


class _Chunk(NamedTuple):
    """What one raw whitespace chunk contributes, cached: chunks repeat across posts."""

    word_tokens: list[str]  # the word block's tokens (for its n-grams across chunks)
    main: list[int]  # word unigram and char n-gram indices (char offset by the word vocab)
    profanity: list[int]  # alt-profanity-check vocabulary indices
    signal: int  # signal words (one-word ones; phrases are counted over the whole post)
    you: bool  # holds a second-person word
    phrase_head: bool  # may start a signal phrase ("shut up")
    main_array: np.ndarray  # ``main`` as int64, for the single-post path
    own: np.ndarray  # distinct features of the chunk read alone (explanations)
    vector_rows: list[int]  # word-vector table rows of its tokens
    conv_ids: list[int]  # its tokens' ids for the conv block (0: no vector)
    vector_push: float  # what those vectors add to the decision before the post's norm
    lexical: bool  # may take part in a lexicon hit (a post without one has none)


class _Post(NamedTuple):
    """One post as the scorer reads it (see ``FastScorer.post``)."""

    chunks: list[_Chunk]
    ngrams: list[int]  # word n-grams (n >= 2) across its chunks
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
    """The model's decision values without scipy: per-chunk cached feature indices, one
    ``np.unique`` for counts, ``np.bincount`` for the per-block norms and dot products.

    Gives the same values as ``HarmfulModel.features(texts) @ coef`` (a test checks it) at a
    fraction of scipy's per-call overhead: a single post costs about a tenth of a millisecond.
    """

    CACHE_LIMIT = 200_000

    def __init__(self, model: HarmfulModel) -> None:
        self.model = model
        word, char, prof = model.word, model.char, model.profanity.tfidf
        self.n_word = len(word.terms)
        self.n_main = self.n_word + len(char.terms)
        self.n_prof = len(prof.terms)
        self.idf = np.concatenate([word.idf, char.idf])
        self.coef_main = np.asarray(model.coef[: self.n_main], dtype=np.float64)
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
        n_signal, you = _signal_and_you(norm, self.signal_words)
        head = any(h in norm for h in self.phrase_heads)
        main = word_ids + [self.n_word + i for i in char_ids]
        array = np.array(main, dtype=np.int64)
        own = np.unique(
            np.concatenate([array, np.array(m.word.ngram_features(tokens), dtype=np.int64)])
        )
        ids = self.vectors.ids(tokens) if self.vectors is not None else []
        rows = [i - 1 for i in ids if i]
        push = float(self.vector_push[rows].sum()) if rows else 0.0
        lexical = m.lexicon.may_hit(raw)
        found = _Chunk(
            tokens, main, prof_ids, n_signal, you, head, array, own, rows, ids, push, lexical
        )
        if len(self.chunks) > self.CACHE_LIMIT:
            self.chunks.clear()  # bound memory on a long-running service
        self.chunks[raw] = found
        return found

    def post(self, text: str) -> _Post:
        """One post's chunks and what is read off the whole post: word n-grams across
        chunks, signal phrases, lexicon hits and features."""
        chunks = [self.chunk(raw) for raw in text.split()]
        n_signal, at_you, head, lexical = 0, False, False, False
        tokens: list[str] = []
        ids: list[int] = []
        for c in chunks:
            tokens += c.word_tokens
            ids += c.conv_ids
            n_signal += c.signal
            at_you = at_you or c.you
            head = head or c.phrase_head
            lexical = lexical or c.lexical
        if head and self.signal_phrases is not None:
            n_signal += len(self.signal_phrases.findall(preprocess(text)))
        hits = self.model.lexicon.find(text) if lexical else []
        ngrams = self.model.word.ngram_features(tokens)
        return _Post(chunks, ngrams, hits, lexicon_row(hits, n_signal, at_you), ids)

    @staticmethod
    def _tfidf(
        ids: list[int], ptr: list[int], n_features: int, idf: np.ndarray,
        block: np.ndarray | None, sublinear: np.ndarray, n_blocks: int,
    ) -> _Tfidf:  # fmt: skip
        rows = len(ptr) - 1
        cols = np.array(ids, dtype=np.int64)
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
        """Distinct feature indices (sorted) and how often each occurs; sorts ``cols``.

        ``np.unique(return_counts=True)`` minus its generic overhead, which matters per post.
        """
        cols.sort()
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
        main = [c.main_array for c in post.chunks]
        prof = [i for c in post.chunks for i in c.profanity]
        vector_rows = [i for c in post.chunks for i in c.vector_rows]
        if post.ngrams:
            main.append(np.array(post.ngrams, dtype=np.int64))
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
        cols = np.concatenate(main) if main else np.zeros(0, dtype=np.int64)
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
        value = tf * self.idf[feature]
        weight = value * self.coef_main[feature]
        square = value * value
        if split:
            weight[:split] /= math.sqrt(float(square[:split].sum()))
        if split < len(feature):
            weight[split:] /= math.sqrt(float(square[split:].sum()))
        decision += float(weight.sum())
        vector_norm = 1.0
        if vector_rows and self.vector_matrix is not None:
            total = self.vector_matrix[vector_rows].sum(axis=0)
            vector_norm = float(np.sqrt(total @ total)) or 1.0
            decision += float(total @ self.coef_vec) / vector_norm
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
        main: list[int] = []
        prof: list[int] = []
        vector_rows: list[int] = []
        main_ptr, prof_ptr, vector_ptr = [0], [0], [0]
        dense = np.zeros((len(texts), 1 + len(LEXICON_FEATURES)))
        hits_of: list[list[LexiconHit]] = []
        conv_posts: list[list[int]] = []
        for row, text in enumerate(texts):
            post = self.post(text)
            conv_posts.append(post.conv_ids)
            for c in post.chunks:
                main += c.main
                prof += c.profanity
                vector_rows += c.vector_rows
            main += post.ngrams
            main_ptr.append(len(main))
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
        t = self._tfidf(main, main_ptr, self.n_main, self.idf, self.block, self.sublinear, 2)
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


@dataclass(frozen=True)
class WordContribution:
    """How much one word of the original text pushed the decision value up (or down)."""

    start: int
    end: int
    weight: float


@dataclass
class HarmfulModel:
    """The whole model: blocks, linear weights, calibration and a description."""

    word: TfidfBlock
    char: TfidfBlock
    profanity: ProfanityBlock
    lexicon: Lexicon  # frozen copy of the lexicon the model was trained with
    coef: np.ndarray  # word | char | profanity probability | lexicon features | vector
    intercept: float
    cal_scale: float
    cal_offset: float
    info: dict[str, Any] = field(default_factory=dict)
    signal_words: tuple[str, ...] = SIGNAL_PREFIXES
    vectors: WordVectors | None = None
    vector_scale: float = VECTOR_SCALE
    conv: ConvBlock | None = None  # reads the word vectors: needs ``vectors``

    def __post_init__(self) -> None:
        if self.conv is not None:
            if self.vectors is None:
                raise ModelError("a conv block needs the word vectors it was trained on")
            # A copy: attaching fills tables, and the caller's block may serve another model.
            self.conv = dataclasses.replace(self.conv)
            try:
                self.conv.attach(self.vectors.matrix)
            except ValueError as exc:
                raise ModelError(str(exc)) from exc
        self._signal = signal_pattern(self.signal_words)
        self._fast = FastScorer(self)

    @property
    def version(self) -> str:
        return str(self.info.get("version", "0"))

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix as scipy builds it: the reference for training and tests."""
        import scipy.sparse as sp

        dense = [
            self.profanity.predict(texts)[:, None],
            lexicon_features(self.lexicon, texts, self._signal),
        ]
        if self.vectors is not None:
            dense.append(
                vector_features(self.vectors, texts, self.vector_scale, self.word.token_pattern)
            )
        blocks = [
            self.word.transform(texts),
            self.char.transform(texts),
            sp.csr_matrix(np.hstack(dense)),
        ]
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def conv_part(self, texts: Sequence[str]) -> np.ndarray:
        """The conv block's weighted logits (zeros without one), from the reference ids."""
        if self.conv is None or self.vectors is None:
            return np.zeros(len(texts))
        ids = conv_ids(self.vectors, texts, self.word.token_pattern)
        return self.conv.weight * self.conv.logits(ids)

    def reference_decision(self, texts: Sequence[str]) -> np.ndarray:
        """``features(texts) @ coef + intercept`` plus ``conv_part``: what training used."""
        linear = np.asarray(self.features(texts) @ self.coef).ravel() + self.intercept
        return linear + self.conv_part(texts)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Decision values, equal to ``reference_decision`` but faster."""
        return self._fast.analyse(texts)[0]

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.cal_scale * (decision - self.cal_offset)))

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated scores in [0, 1] for a batch; >= 0.5 means "flag"."""
        if not texts:
            return np.zeros(0)
        return self.calibrate(self.decision(texts))

    def score(self, text: str) -> float:
        return float(self.score_many([text])[0])

    def assess_many(
        self, texts: Sequence[str], flag: float = 0.5, skip_hits: bool = False
    ) -> list[tuple[float, list[LexiconHit], list[WordContribution] | None]]:
        """``assess`` for a batch: one vectorised pass, word shares only where ``assess`` gives
        them."""
        if not texts:
            return []
        f = self._fast
        decision, hits_of, t, vector_norm = f.analyse(texts)
        scores = self.calibrate(decision)
        weights = t.value * f.coef_main[t.feature] / t.norm[t.row, f.block[t.feature]]
        bounds = np.searchsorted(t.row, np.arange(len(texts) + 1))  # rows are sorted
        out: list[tuple[float, list[LexiconHit], list[WordContribution] | None]] = []
        for r, (text, hits) in enumerate(zip(texts, hits_of, strict=True)):
            score = float(scores[r])
            words = None
            if score >= flag and not (hits and skip_hits):
                lo, hi = bounds[r], bounds[r + 1]
                words = self._word_shares(
                    text, t.feature[lo:hi], weights[lo:hi], float(vector_norm[r])
                )
            out.append((score, hits, words))
        return out

    def score_with_hits(self, text: str) -> tuple[float, list[LexiconHit]]:
        """The score of one post and the hits of the model's own lexicon in it."""
        score, hits, _ = self.assess(text, flag=2.0)
        return score, hits

    def assess(
        self, text: str, flag: float = 0.5, skip_hits: bool = False
    ) -> tuple[float, list[LexiconHit], list[WordContribution] | None]:
        """Score, the model lexicon's hits and, when the score reaches ``flag``, the words'
        shares (see ``explain``): everything the detector needs from one pass.

        With ``skip_hits`` a post with lexicon hits gets no word shares (None): the hits
        already name its words, and explaining costs more than scoring.
        """
        decision, hits, feature, weight, vector_norm = self._fast.decision_one(text)
        # ``calibrate`` for one value, in plain floats: numpy's per-call cost is the larger.
        z = -float(self.cal_scale) * (decision - float(self.cal_offset))
        score = 0.0 if z > 700.0 else 1.0 / (1.0 + math.exp(z))
        if score < flag or (hits and skip_hits):
            return score, hits, None
        return score, hits, self._word_shares(text, feature, weight, vector_norm)

    def explain(self, text: str) -> tuple[float, list[WordContribution]]:
        """The score of ``text`` and each whitespace word's share of the decision value.

        A word's share is the sum of its own word and character n-gram contributions (an
        n-gram seen in several words is split between them) and of its word vector's part of
        the post vector's contribution; bigrams and the document-level features (profanity
        probability, lexicon counts) are not attributed to words.
        """
        score, _, words = self.assess(text, flag=-1.0)
        return score, words or []

    def _word_shares(
        self, text: str, feature: np.ndarray, weight: np.ndarray, vector_norm: float
    ) -> list[WordContribution]:
        tokens = list(re.finditer(r"\S+", text))
        if not tokens:
            return []
        # Each token's own features (as if it were a post alone): its chunk's unigram and
        # char n-grams plus the word n-grams inside it. All are features of the whole post.
        chunks = [self._fast.chunk(m.group(0)) for m in tokens]
        own = [c.own for c in chunks]
        owner = np.repeat(np.arange(len(tokens)), [len(ids) for ids in own])
        ids = np.concatenate(own)
        # An n-gram found in several tokens is split between them. Every id is one of the
        # post's (sorted, distinct) features, so its position there counts the sharing.
        pos = np.searchsorted(feature, ids)
        share = weight[pos] / np.bincount(pos, minlength=len(feature))[pos]
        per_token = np.bincount(owner, share, minlength=len(tokens)).astype(np.float64)
        per_token += np.array([c.vector_push for c in chunks]) / vector_norm
        if self.conv is not None:
            counts = [len(c.conv_ids) for c in chunks]
            shares = self.conv.token_shares([i for c in chunks for i in c.conv_ids])
            owner = np.repeat(np.arange(len(chunks)), counts)
            per_token += np.bincount(owner, shares, minlength=len(chunks))
        return [
            WordContribution(m.start(), m.end(), float(w))
            for m, w in zip(tokens, per_token, strict=True)
        ]

    def save(self, directory: str | Path) -> Path:
        """Write the model as JSON and a pickle-free ``.npz``; returns the directory."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        manifest = {
            "format": FORMAT,
            "word": self.word.spec(),
            "char": self.char.spec(),
            "profanity": self.profanity.tfidf.spec(),
            "intercept": self.intercept,
            "calibration": {"scale": self.cal_scale, "offset": self.cal_offset},
            "dense_features": ["profanity_probability", *LEXICON_FEATURES],
            "vectors": (
                {"dims": self.vectors.dims, "scale": self.vector_scale, "table": self.vectors.info}
                if self.vectors is not None
                else None
            ),
            "conv": self.conv.spec() if self.conv is not None else None,
            "lexicon": self.lexicon.terms_by_kind,
            "signal_words": list(self.signal_words),
            "info": self.info,
        }
        (path / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        vocab = {
            "word": self.word.terms,
            "char": self.char.terms,
            "profanity": self.profanity.tfidf.terms,
        }
        (path / VOCAB).write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")))
        np.savez_compressed(
            path / ARRAYS,
            coef=self.coef.astype(np.float32),
            word_idf=self.word.idf.astype(np.float32),
            char_idf=self.char.idf.astype(np.float32),
            profanity_idf=self.profanity.tfidf.idf,
            profanity_coef=self.profanity.coef,
            profanity_intercept=self.profanity.intercept,
            profanity_cal_a=self.profanity.cal_a,
            profanity_cal_b=self.profanity.cal_b,
        )
        # Files left from an earlier model here would be taken for this one's.
        if self.vectors is not None:
            self.vectors.save(path)
        else:
            for name in (WORDS_FILE, ARRAY_FILE):
                (path / name).unlink(missing_ok=True)
        if self.conv is not None:
            conv_arrays: dict[str, Any] = self.conv.arrays()
            np.savez_compressed(path / CONV_FILE, **conv_arrays)
        else:
            (path / CONV_FILE).unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, directory: str | Path = SHIPPED_DIR) -> HarmfulModel:
        """Load a model directory (the shipped one by default); raises ModelError."""
        path = Path(directory)
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            vocab = json.loads((path / VOCAB).read_text(encoding="utf-8"))
            if manifest.get("format") not in range(1, FORMAT + 1):
                raise ModelError(
                    f"model format {manifest.get('format')!r} in {path}; need 1 to {FORMAT}"
                )
            arrays = {k: a.astype(np.float64) for k, a in _read_npz(path / ARRAYS).items()}
            vector_spec = manifest.get("vectors")
            vectors = WordVectors.load(path) if vector_spec else None
            conv = None
            if manifest.get("conv"):
                conv = ConvBlock.from_arrays(manifest["conv"], _read_npz(path / CONV_FILE))
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelError(f"cannot load the harmful-wording model from {path}: {exc}") from exc
        expected = (
            len(vocab["word"]) + len(vocab["char"]) + 1 + len(LEXICON_FEATURES)
            + (vectors.dims if vectors is not None else 0)
        )  # fmt: skip
        if arrays["coef"].shape != (expected,):
            raise ModelError(
                f"{path}: {arrays['coef'].shape[0]} coefficients where the vocabularies and "
                f"word vectors need {expected}; the directory mixes files of two models"
            )

        def block(name: str, idf: np.ndarray) -> TfidfBlock:
            spec = manifest[name]
            return TfidfBlock(
                analyzer=spec["analyzer"],
                ngram_range=(spec["ngram_range"][0], spec["ngram_range"][1]),
                sublinear_tf=spec["sublinear_tf"],
                token_pattern=spec["token_pattern"],
                terms=vocab[name],
                idf=idf,
                use_preprocess=spec["use_preprocess"],
            )

        profanity = ProfanityBlock(
            block("profanity", arrays["profanity_idf"]),
            arrays["profanity_coef"],
            arrays["profanity_intercept"],
            arrays["profanity_cal_a"],
            arrays["profanity_cal_b"],
        )
        try:
            return cls(
                word=block("word", arrays["word_idf"]),
                char=block("char", arrays["char_idf"]),
                profanity=profanity,
                lexicon=Lexicon(manifest["lexicon"]),
                coef=arrays["coef"],
                intercept=float(manifest["intercept"]),
                cal_scale=float(manifest["calibration"]["scale"]),
                cal_offset=float(manifest["calibration"]["offset"]),
                info=manifest["info"],
                signal_words=tuple(manifest["signal_words"]),
                vectors=vectors,
                vector_scale=float(vector_spec["scale"]) if vector_spec else VECTOR_SCALE,
                conv=conv,
            )
        except ModelError as exc:  # the parts do not fit together
            raise ModelError(f"cannot load the harmful-wording model from {path}: {exc}") from exc
