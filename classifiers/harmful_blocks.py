"""The harmful-wording model's feature blocks: how a text becomes features.

- word 1-2-gram and character 2-5-gram TF-IDF blocks (scikit-learn vectorizers given a fixed
  vocabulary and idf, so the features are exactly the ones seen at training time);
- the probability of alt-profanity-check's model, exported at training time into our own
  arrays (its vocabulary, idf, five LinearSVC folds and their sigmoid calibrations), so the
  package is needed neither at run time nor as a pickle;
- five lexicon counts (insult/slur/threat hits, profanity hits, an insult aimed at "you", the
  same for hostile signal words);
- optionally the post's word vector: the normalised sum of its words' static vectors
  (``classifiers/word_vectors.py``), which carries meaning to words never seen in training.

These are the reference forms (scipy matrices) that training uses; ``harmful_scorer`` computes
the same values per post without scipy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # training and reference paths only: not imported when scoring posts
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.base import CACHE_ENTRIES
from classifiers.lexicon import Lexicon, LexiconHit
from classifiers.word_vectors import WordVectors

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
        if len(self._word_cache) > CACHE_ENTRIES:
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

    @property
    def pairs(self) -> dict[str, dict[str, int]]:
        """The word bigrams in the vocabulary: first token -> second token -> feature."""
        return self._pairs

    def ngram_features(self, tokens: list[str], shortest: int = 2) -> list[int]:
        """Indices of the word n-grams with n >= ``shortest`` (at least 2) over a
        document's tokens."""
        lo, hi = self.ngram_range
        lo = max(lo, shortest)
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


def signal_and_you(low: str, signal: re.Pattern[str]) -> tuple[int, bool]:
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
    rows = [lexicon_row(lexicon.find(t), *signal_and_you(preprocess(t), signal)) for t in texts]
    return np.array(rows, dtype=np.float64).reshape(len(texts), len(LEXICON_FEATURES))

