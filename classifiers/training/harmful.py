"""Train the harmful-wording model from TweetEval/OLID and print its figures.

    python -m classifiers.training.harmful --data ../shared/data/tweeteval [--out DIR]
        [--extra FEEDBACK.jsonl] [--vectors DIR | --no-vectors] [--no-conv]

Hyper-parameters were chosen by cross-validation on train+val (never on test). The final
model is fitted on train+val (+ feedback examples); its calibration and operating point come
from 5-fold out-of-fold decision values on that same data, so test stays untouched until the
figures are printed. ``retrain_with_feedback`` is what ``social-monitor train`` calls.

Training needs alt-profanity-check (its model is exported into our arrays); running the
trained model does not. The word-vector table (``classifiers/training/word_vectors.py``) is
built once with a sentence-embedding model and then reused from the shipped model, so
retraining needs no transformer. The conv block over the word vectors
(``classifiers/conv_block.py``) is trained with torch (the ``embeddings`` extra) by this
command; ``social-monitor train`` keeps the current model's block and retrains the linear part
only, so it needs no torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold

from classifiers.conv_block import ConvBlock
from classifiers.harmful_blocks import (
    WORD_TOKENS,
    ProfanityBlock,
    TfidfBlock,
    conv_ids,
    lexicon_features,
    preprocess,
    vector_features,
)
from classifiers.harmful_format import SHIPPED_DIR
from classifiers.harmful_model import HarmfulModel
from classifiers.lexicon import Lexicon, default_lexicon_dir
from classifiers.training.conv import ConvParams, fit_conv
from classifiers.training.data import LabelledText, load_jsonl, load_tsv, workplace_examples
from classifiers.word_vectors import WordVectors

log = logging.getLogger(__name__)
MODEL_DATE = "2026-11-26"


@dataclass(frozen=True)
class Params:
    """Choices made by 5-fold cross-validation on train+val."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    word_min_df: int = 2
    char_min_df: int = 3
    C: float = 0.5
    folds: int = 5
    # The operating point may not drop the offensive recall below this (the target).
    min_recall: float = 0.65
    # Thresholds whose out-of-fold macro-F1 is this close to the best count as equally good.
    plateau: float = 0.002


@dataclass(frozen=True)
class Metrics:
    """Quality on one labelled set at the model's own decision (score >= 0.5)."""

    macro_f1: float
    recall: float
    precision: float
    n: int


@dataclass
class RetrainResult:
    """What a feedback retraining produced; install ``model_dir`` only when ``accept``."""

    before: Metrics
    after: Metrics
    model_dir: Path
    n_extra: int
    accept: bool
    details: dict[str, Any] = field(default_factory=dict)


def export_profanity_check() -> ProfanityBlock:
    """alt-profanity-check's vectorizer and calibrated LinearSVCs as arrays (training only).

    Raises ImportError when the package is absent, ValueError when its model is not the
    calibrated-LinearSVC shape this export knows.
    """
    from profanity_check import profanity_check as apc  # heavy, joblib-based: training only

    vec, model = apc.vectorizer, apc.model
    folds = model.calibrated_classifiers_
    if any(len(c.calibrators) != 1 or c.method != "sigmoid" for c in folds):
        raise ValueError("alt-profanity-check's model is not a sigmoid-calibrated binary SVC")
    return ProfanityBlock(
        tfidf=TfidfBlock.from_fitted(vec, use_preprocess=False),
        coef=np.vstack([c.estimator.coef_.ravel() for c in folds]),
        intercept=np.array([float(c.estimator.intercept_[0]) for c in folds]),
        cal_a=np.array([float(c.calibrators[0].a_) for c in folds]),
        cal_b=np.array([float(c.calibrators[0].b_) for c in folds]),
    )


def _vectorizers(p: Params) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    word = TfidfVectorizer(
        ngram_range=p.word_ngrams,
        min_df=p.word_min_df,
        sublinear_tf=True,
        preprocessor=preprocess,
        token_pattern=WORD_TOKENS,
        lowercase=False,
        dtype=np.float64,
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=p.char_ngrams,
        min_df=p.char_min_df,
        sublinear_tf=True,
        preprocessor=preprocess,
        lowercase=False,
        dtype=np.float64,
    )
    return word, char


def _fit_linear(
    texts: Sequence[str], y: np.ndarray, dense: np.ndarray, p: Params, w: np.ndarray
) -> tuple[TfidfVectorizer, TfidfVectorizer, LogisticRegression]:
    word, char = _vectorizers(p)
    x = sp.hstack(
        [word.fit_transform(texts), char.fit_transform(texts), sp.csr_matrix(dense)], format="csr"
    )
    # Balanced weights: the offensive class is a third of OLID and its recall is a target.
    clf = LogisticRegression(C=p.C, class_weight="balanced", max_iter=5000)
    clf.fit(x, y, sample_weight=w)
    return word, char, clf


def _decision(
    word: TfidfVectorizer,
    char: TfidfVectorizer,
    clf: LogisticRegression,
    texts: Sequence[str],
    dense: np.ndarray,
) -> np.ndarray:
    x = sp.hstack(
        [word.transform(texts), char.transform(texts), sp.csr_matrix(dense)], format="csr"
    )
    return np.asarray(clf.decision_function(x))


def _operating_point(y: np.ndarray, d: np.ndarray, min_recall: float, plateau: float) -> float:
    """The threshold on ``d`` for the best macro-F1 among those keeping recall >= min_recall.

    The macro-F1 curve is flat near its top, so its arg-max jumps with the folds' noise (0.02
    to 0.09 between 5-fold seeds). The middle one of the thresholds within ``plateau`` of the
    best halves that spread (bootstrap of the out-of-fold decisions) at the same macro-F1; it
    is one of them, never an average that may fall between two near-best stretches.
    """
    candidates: list[tuple[float, float]] = []
    for t in np.quantile(d, np.linspace(0.30, 0.90, 241)):
        pred = d >= t
        if recall_score(y, pred, zero_division=0) >= min_recall:
            candidates.append((float(t), float(f1_score(y, pred, average="macro"))))
    if not candidates:
        return 0.0
    best = max(f for _, f in candidates)
    near = sorted(t for t, f in candidates if f >= best - plateau)
    return near[len(near) // 2]


def _platt_scale(y: np.ndarray, d: np.ndarray, offset: float) -> float:
    """Slope of a sigmoid on (d - offset) fitted to the labels (Platt scaling, offset fixed)."""
    lr = LogisticRegression(C=1e6, max_iter=1000)
    lr.fit((d - offset)[:, None], y)
    return max(float(lr.coef_[0, 0]), 1e-3)


def train(
    examples: Sequence[LabelledText],
    params: Params = Params(),
    profanity: ProfanityBlock | None = None,
    lexicon: Lexicon | None = None,
    info: dict[str, Any] | None = None,
    vectors: WordVectors | None = None,
    conv: ConvParams | ConvBlock | None = None,
) -> HarmfulModel:
    """Fit a model on ``examples``; calibration and threshold from out-of-fold decisions.

    ``vectors`` (see ``classifiers.word_vectors``) adds each post's word vector as features.
    ``conv`` adds the conv block over them: ``ConvParams`` trains one per fold and a final one
    (torch), a ``ConvBlock`` is kept as it is (feedback retraining; its logits on examples it
    was trained on are in-sample, which the model card quantifies). Raises ImportError when
    alt-profanity-check is absent and ``profanity`` is not given, or torch for ``ConvParams``;
    ValueError for a conv block without vectors.
    """
    profanity = profanity or export_profanity_check()
    if lexicon is None:
        lexdir = default_lexicon_dir()
        lexicon = Lexicon.from_dir(lexdir) if lexdir else Lexicon({})
    texts = [e.text for e in examples]
    y = np.array([e.label for e in examples])
    weights = np.array([e.weight for e in examples])
    blocks = [profanity.predict(texts)[:, None], lexicon_features(lexicon, texts)]
    if vectors is not None:
        blocks.append(vector_features(vectors, texts))
    dense = np.hstack(blocks)
    if conv is not None and vectors is None:
        raise ValueError("the conv block reads word vectors: train with vectors")
    ids = conv_ids(vectors, texts) if conv is not None and vectors is not None else []
    oof = np.zeros(len(texts))
    folds = StratifiedKFold(params.folds, shuffle=True, random_state=0)
    for tr, te in folds.split(texts, y):
        w, c, clf = _fit_linear([texts[i] for i in tr], y[tr], dense[tr], params, weights[tr])
        oof[te] = _decision(w, c, clf, [texts[i] for i in te], dense[te])
        if isinstance(conv, ConvParams) and vectors is not None:
            block = fit_conv([ids[i] for i in tr], y[tr], weights[tr], vectors.matrix, conv)
            oof[te] += block.weight * block.logits([ids[i] for i in te])
    block_used: ConvBlock | None = None
    if isinstance(conv, ConvParams) and vectors is not None:
        block_used = fit_conv(ids, y, weights, vectors.matrix, conv)
    elif isinstance(conv, ConvBlock) and vectors is not None:  # kept, its logits as they are
        block_used = dataclasses.replace(conv)  # attach() fills tables: not the caller's
        block_used.attach(vectors.matrix)
        oof += block_used.weight * block_used.logits(ids)
    offset = _operating_point(y, oof, params.min_recall, params.plateau)
    scale = _platt_scale(y, oof, offset)
    word, char, clf = _fit_linear(texts, y, dense, params, weights)
    oof_pred = oof >= offset
    meta = {
        "date": MODEL_DATE,
        "params": asdict(params),
        "n_train": len(texts),
        "cv_macro_f1": round(float(f1_score(y, oof_pred, average="macro")), 4),
        "cv_recall": round(float(recall_score(y, oof_pred)), 4),
    }
    meta.update(info or {})
    return HarmfulModel(
        word=TfidfBlock.from_fitted(word),
        char=TfidfBlock.from_fitted(char),
        profanity=profanity,
        lexicon=lexicon,
        coef=np.asarray(clf.coef_, dtype=np.float64).ravel(),
        intercept=float(clf.intercept_[0]),
        cal_scale=scale,
        cal_offset=offset,
        info=meta,
        vectors=vectors,
        conv=block_used,
    )


def evaluate(model: HarmfulModel, examples: Sequence[LabelledText]) -> Metrics:
    """Macro-F1, recall and precision of the offensive class at score >= 0.5."""
    y = np.array([e.label for e in examples])
    pred = model.score_many([e.text for e in examples]) >= 0.5
    return Metrics(
        macro_f1=round(float(f1_score(y, pred, average="macro")), 4),
        recall=round(float(recall_score(y, pred, zero_division=0)), 4),
        precision=round(float(precision_score(y, pred, zero_division=0)), 4),
        n=len(examples),
    )


def retrain_with_feedback(
    data_dir: str | Path,
    extra: Sequence[LabelledText],
    out_dir: str | Path,
    current: HarmfulModel | None = None,
    *,
    held_out: str = "test",
    params: Params = Params(),
    version: str | None = None,
) -> RetrainResult:
    """Retrain on offensive/{train,val} plus ``extra``; compare with ``current`` on held-out.

    ``data_dir`` is the tweeteval folder; ``current`` defaults to the shipped model. The new
    model is saved in ``out_dir``; ``accept`` is True when its held-out macro-F1 is not lower
    than the current one's, and the caller installs it only then (keeping the old one to roll
    back). Raises FileNotFoundError when the data is missing, ImportError without
    alt-profanity-check.
    """
    base = Path(data_dir) / "offensive"
    examples = load_tsv(base / "train.tsv") + load_tsv(base / "val.tsv") + workplace_examples()
    examples += list(extra)
    held = load_tsv(base / f"{held_out}.tsv")
    current = current or HarmfulModel.load()
    before = evaluate(current, held)
    model = train(
        examples,
        params,
        info={"version": version or time.strftime("%Y%m%d%H%M%S"), "n_feedback": len(extra)},
        vectors=current.vectors,  # the table is built once (it needs a transformer), then kept
        conv=current.conv,  # kept too: retraining it needs torch
    )
    after = evaluate(model, held)
    model.info["test"] = asdict(after)
    path = model.save(out_dir)
    return RetrainResult(
        before=before,
        after=after,
        model_dir=path,
        n_extra=len(extra),
        accept=after.macro_f1 >= before.macro_f1,
        details={"held_out": held_out, "cv_macro_f1": model.info["cv_macro_f1"]},
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="the tweeteval folder")
    ap.add_argument("--out", type=Path, default=SHIPPED_DIR, help="model directory to write")
    ap.add_argument("--extra", type=Path, help="feedback examples (JSONL: text, label)")
    ap.add_argument("--version", default="1.2.0", help="model version recorded in the manifest")
    table = ap.add_mutually_exclusive_group()
    table.add_argument(
        "--vectors",
        type=Path,
        help="word-vector table from `python -m classifiers.training.word_vectors` (default: "
        "the shipped model's own table, if it has one)",
    )
    table.add_argument("--no-vectors", action="store_true", help="train without word vectors")
    ap.add_argument(
        "--no-conv",
        action="store_true",
        help="no conv block over the word vectors (it needs torch: the embeddings extra)",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    off = args.data / "offensive"
    vectors = None
    if args.vectors:
        if not WordVectors.exists(args.vectors):
            print(f"error: no word-vector table in {args.vectors}", file=sys.stderr)
            return 2
        vectors = WordVectors.load(args.vectors)
    elif not args.no_vectors:
        vectors = HarmfulModel.load(SHIPPED_DIR).vectors
    conv = None
    if vectors is not None and not args.no_conv:
        try:
            import torch  # noqa: F401
        except ImportError:
            print(
                "error: the conv block is trained with torch: pip install "
                "'social-monitor[embeddings]', or pass --no-conv",
                file=sys.stderr,
            )
            return 2
        conv = ConvParams()
    extra = load_jsonl(args.extra) if args.extra else []
    examples = load_tsv(off / "train.tsv") + load_tsv(off / "val.tsv") + workplace_examples()
    examples += extra
    model = train(
        examples,
        info={"version": args.version, "n_feedback": len(extra), "data": "tweeteval"},
        vectors=vectors,
        conv=conv,
    )
    figures = {
        "offensive_test": asdict(evaluate(model, load_tsv(off / "test.tsv"))),
        "hate_test": asdict(evaluate(model, load_tsv(args.data / "hate" / "test.tsv"))),
    }
    model.info.update(figures)
    model.save(args.out)
    print(f"trained on {len(examples)} examples in {time.perf_counter() - t0:.0f} s")
    print(
        f"cross-validated (train+val, 5 folds): macro-F1 {model.info['cv_macro_f1']:.4f}, "
        f"recall {model.info['cv_recall']:.4f}"
    )
    for name, m in figures.items():
        print(
            f"{name}: macro-F1 {m['macro_f1']:.4f}  recall {m['recall']:.4f}  "
            f"precision {m['precision']:.4f}  n={m['n']}"
        )
    print(f"calibration: scale {model.cal_scale:.3f}, offset {model.cal_offset:.3f}")
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
