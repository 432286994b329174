"""The harmful-wording model at run time: features, a linear score, explanations, save/load.

Everything here is rebuilt from plain arrays (``arrays.npz``, loaded with
``allow_pickle=False``) and JSON, so loading a model never executes code from a file. The
features are:

- word 1-2-gram and character 2-5-gram TF-IDF blocks (scikit-learn vectorizers given a fixed
  vocabulary and idf, so the features are exactly the ones seen at training time);
- the probability of alt-profanity-check's model, exported at training time into our own
  arrays (its vocabulary, idf, five LinearSVC folds and their sigmoid calibrations), so the
  package is needed neither at run time nor as a pickle;
- three lexicon counts (insult/slur/threat hits, profanity hits, an insult aimed at "you").

A linear model over them gives a decision value ``d``; the score is
``sigmoid(scale * (d - offset))``: Platt scaling fitted on out-of-fold predictions, with the
offset at the operating point tuned on held-out folds, so ``score >= 0.5`` means "flag".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.lexicon import Lexicon

FORMAT = 1
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
_INSULT_KINDS = frozenset({"insults", "slurs", "threats"})


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
    vectorizer: TfidfVectorizer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, dtype=np.float64)
        # The scikit-learn twin is kept for reference and tests; transform() does not use it.
        self.vectorizer = TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=self.ngram_range,
            sublinear_tf=self.sublinear_tf,
            token_pattern=self.token_pattern,
            lowercase=not self.use_preprocess,
            preprocessor=preprocess if self.use_preprocess else None,
            vocabulary={t: i for i, t in enumerate(self.terms)},
            dtype=np.float64,
        )
        self.vectorizer.idf_ = self.idf
        self.index: dict[str, int] = self.vectorizer.vocabulary
        self._tokens = re.compile(self.token_pattern)
        # Words repeat across posts (Zipf), so each word's character n-grams are computed once.
        self._word_cache: dict[str, list[int]] = {}

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


def lexicon_features(
    lexicon: Lexicon, texts: Sequence[str], signal: re.Pattern[str] | None = None
) -> np.ndarray:
    """(n, 5): insult-like and profanity lexicon hits, insult at "you", the same for signal
    words. Counts are capped at 3 and scaled to 1."""
    signal = signal or signal_pattern(SIGNAL_PREFIXES)
    out = np.zeros((len(texts), len(LEXICON_FEATURES)))
    for row, text in enumerate(texts):
        low = preprocess(text)
        at_you = not _SECOND_PERSON.isdisjoint(_WORDS.findall(low))
        n_signal = len(signal.findall(low))
        if n_signal:
            out[row, 3] = min(n_signal, 3) / 3
            out[row, 4] = float(at_you)
        hits = lexicon.find(text)
        if not hits:
            continue
        insults = sum(h.kind in _INSULT_KINDS for h in hits)
        out[row, 0] = min(insults, 3) / 3
        out[row, 1] = min(len(hits) - insults, 3) / 3
        out[row, 2] = float(insults > 0 and at_you)
    return out


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
    coef: np.ndarray  # word | char | profanity probability | lexicon features
    intercept: float
    cal_scale: float
    cal_offset: float
    info: dict[str, Any] = field(default_factory=dict)
    signal_words: tuple[str, ...] = SIGNAL_PREFIXES

    def __post_init__(self) -> None:
        self._signal = signal_pattern(self.signal_words)

    @property
    def version(self) -> str:
        return str(self.info.get("version", "0"))

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        dense = np.hstack(
            [
                self.profanity.predict(texts)[:, None],
                lexicon_features(self.lexicon, texts, self._signal),
            ]
        )
        blocks = [self.word.transform(texts), self.char.transform(texts), sp.csr_matrix(dense)]
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.features(texts) @ self.coef).ravel() + self.intercept

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.cal_scale * (decision - self.cal_offset)))

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated scores in [0, 1] for a batch; >= 0.5 means "flag"."""
        if not texts:
            return np.zeros(0)
        return self.calibrate(self.decision(texts))

    def score(self, text: str) -> float:
        return float(self.score_many([text])[0])

    def explain(self, text: str) -> tuple[float, list[WordContribution]]:
        """The score of ``text`` and each whitespace word's share of the decision value.

        A word's share is the sum of its own word and character n-gram contributions (an
        n-gram seen in several words is split between them); bigrams and the document-level
        features (profanity probability, lexicon counts) are not attributed to words.
        """
        x = self.features([text])
        score = float(self.calibrate(np.asarray(x @ self.coef).ravel() + self.intercept)[0])
        contrib = dict(
            zip(x.indices.tolist(), (x.data * self.coef[x.indices]).tolist(), strict=True)
        )
        n_word = len(self.word.terms)
        tokens = list(re.finditer(r"\S+", text))
        per_token: list[list[int]] = []
        for m in tokens:
            idx = self.word.features_of(m.group(0))
            idx += [n_word + i for i in self.char.features_of(m.group(0))]
            per_token.append(idx)
        shared = Counter(i for idx in per_token for i in set(idx))
        out = [
            WordContribution(
                m.start(),
                m.end(),
                sum(contrib.get(i, 0.0) / shared[i] for i in set(idx)),
            )
            for m, idx in zip(tokens, per_token, strict=True)
        ]
        return score, out

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
        return path

    @classmethod
    def load(cls, directory: str | Path = SHIPPED_DIR) -> HarmfulModel:
        """Load a model directory (the shipped one by default); raises ModelError."""
        path = Path(directory)
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            vocab = json.loads((path / VOCAB).read_text(encoding="utf-8"))
            with np.load(path / ARRAYS, allow_pickle=False) as npz:
                arrays = {k: npz[k].astype(np.float64) for k in npz.files}
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the harmful-wording model from {path}: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise ModelError(f"model format {manifest.get('format')!r} in {path}; need {FORMAT}")

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
        )
