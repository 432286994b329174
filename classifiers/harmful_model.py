"""The harmful-wording model at run time: a linear score over its blocks, explanations.

The features come from ``harmful_blocks`` (TF-IDF words and characters, alt-profanity-check's
probability, lexicon counts, the word vector). A linear model over them gives a decision
value, to which (format 3) a small convolutional block over the sequence of word vectors adds
a weighted logit (``classifiers/conv_block.py``: word order). The sum ``d`` is calibrated: the
score is ``sigmoid(scale * (d - offset))``: Platt scaling fitted on out-of-fold predictions,
with the offset at the operating point tuned on held-out folds, so ``score >= 0.5`` means
"flag". ``harmful_scorer.FastScorer`` computes the decision values per post; files are read
and written by ``harmful_format``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:  # training and reference paths only: not imported when scoring posts
    import scipy.sparse as sp

from classifiers.conv_block import ConvBlock
from classifiers.harmful_blocks import (
    LEXICON_FEATURES,
    SIGNAL_PREFIXES,
    VECTOR_SCALE,
    ProfanityBlock,
    TfidfBlock,
    conv_ids,
    lexicon_features,
    signal_pattern,
    vector_features,
)
from classifiers.harmful_format import (
    FORMAT,
    SHIPPED_DIR,
    ModelError,
    ModelFiles,
    read_model_files,
    write_model_files,
)
from classifiers.harmful_scorer import FastScorer
from classifiers.lexicon import Lexicon, LexiconHit
from classifiers.word_vectors import WordVectors


class WordContribution(NamedTuple):
    """How much one word of the original text pushed the decision value up (or down).

    A named tuple: a flagged post makes one for each of its words, and a frozen dataclass
    costs several times more to build."""

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
        return self._fast.decisions(texts)[0]

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
        """``assess`` for a batch (``FastScorer.decisions``), word shares only where
        ``assess`` gives them."""
        if not texts:
            return []
        decision, posts = self._fast.decisions(texts)
        scores = self.calibrate(decision)
        out: list[tuple[float, list[LexiconHit], list[WordContribution] | None]] = []
        for text, post, score in zip(texts, posts, scores.tolist(), strict=True):
            words = None
            if score >= flag and not (post.hits and skip_hits):
                words = self._word_shares(text, post)
            out.append((score, post.hits, words))
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
        decision, hits, post = self._fast.decision_one(text)
        # ``calibrate`` for one value, in plain floats: numpy's per-call cost is the larger.
        z = -float(self.cal_scale) * (decision - float(self.cal_offset))
        score = 0.0 if z > 700.0 else 1.0 / (1.0 + math.exp(z))
        if score < flag or (hits and skip_hits):
            return score, hits, None
        return score, hits, self._word_shares(text, post)

    def explain(self, text: str) -> tuple[float, list[WordContribution]]:
        """The score of ``text`` and each whitespace word's share of the decision value.

        A word's share is the sum of its own word and character n-gram contributions (an
        n-gram seen in several words is split between them) and of its word vector's part of
        the post vector's contribution; bigrams and the document-level features (profanity
        probability, lexicon counts) are not attributed to words.
        """
        score, _, words = self.assess(text, flag=-1.0)
        return score, words or []

    def _word_shares(self, text: str, post: Any) -> list[WordContribution]:
        tokens = text.split()
        if not tokens:
            return []
        # Each token's own features (as if it were a post alone): its chunk's unigram and
        # char n-grams plus the word n-grams inside it. All are features of the whole post,
        # whose chunks are these tokens (the scorer cuts the text with ``str.split`` too).
        per_token = self._fast.token_shares(post, post.chunks)
        out = []
        end = 0
        for token, weight in zip(tokens, per_token, strict=True):
            start = text.find(token, end)
            end = start + len(token)
            out.append(WordContribution(start, end, float(weight)))
        return out

    def save(self, directory: str | Path) -> Path:
        """Write the model as JSON and a pickle-free ``.npz``; returns the directory."""
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
        vocab = {
            "word": self.word.terms,
            "char": self.char.terms,
            "profanity": self.profanity.tfidf.terms,
        }
        arrays = {
            "coef": self.coef.astype(np.float32),
            "word_idf": self.word.idf.astype(np.float32),
            "char_idf": self.char.idf.astype(np.float32),
            "profanity_idf": self.profanity.tfidf.idf,
            "profanity_coef": self.profanity.coef,
            "profanity_intercept": self.profanity.intercept,
            "profanity_cal_a": self.profanity.cal_a,
            "profanity_cal_b": self.profanity.cal_b,
        }
        return write_model_files(
            directory, ModelFiles(manifest, vocab, arrays, self.vectors, self.conv)
        )

    @classmethod
    def load(cls, directory: str | Path = SHIPPED_DIR) -> HarmfulModel:
        """Load a model directory (the shipped one by default); raises ModelError."""
        path = Path(directory)
        files = read_model_files(path)
        manifest, vocab, arrays, vectors = files.manifest, files.vocab, files.arrays, files.vectors
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

        vector_spec = manifest.get("vectors")
        try:
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
                vectors=vectors,
                vector_scale=float(vector_spec["scale"]) if vector_spec else VECTOR_SCALE,
                conv=files.conv,
            )
        except ModelError as exc:  # the parts do not fit together
            raise ModelError(f"cannot load the harmful-wording model from {path}: {exc}") from exc
