"""Model internals: exact features, save/load round trip, training code on a tiny subset."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from classifiers.harmful_format import SHIPPED_DIR, ModelError
from classifiers.harmful_model import HarmfulModel
from classifiers.training.data import load_jsonl, load_tsv
from classifiers.training.harmful import evaluate, retrain_with_feedback

if TYPE_CHECKING:  # the fixture type, from this folder's conftest.py
    from conftest import ToyData

TEXTS = ["you are an idiot!!!", "Great work, team :)", "URL &amp; stuff", "", "a", "ok ok ok"]


@pytest.fixture(scope="module")
def model() -> HarmfulModel:
    return HarmfulModel.load()


def test_own_tfidf_equals_sklearn(model: HarmfulModel) -> None:
    for block in (model.word, model.char, model.profanity.tfidf):
        ours = block.transform(TEXTS).toarray()
        ref = block.vectorizer.transform(TEXTS).toarray()
        assert np.allclose(ours, ref, atol=1e-9)


def test_fast_scoring_equals_sparse_features(model: HarmfulModel) -> None:
    # The run-time path (cached chunks, numpy counts, conv ids from the chunks) must give the
    # training-time features' decision values exactly, in a batch and one post at a time.
    texts = [*TEXTS, "shut   up, you iiidiot", "@user @user URL", "😀 #MAGA idiots!!", "a b c d"]
    ref = model.reference_decision(texts)
    assert np.allclose(model.decision(texts), ref, atol=1e-9)
    for text, expected in zip(texts, ref, strict=True):
        score, _ = model.score_with_hits(text)
        assert score == pytest.approx(float(model.calibrate(np.array([expected]))[0]), abs=1e-9)


def test_fast_scoring_equals_sparse_features_on_real_tweets(
    model: HarmfulModel, shared_data: Path
) -> None:
    # The same check over real tweets: bigrams, hashtags, emoji, lexicon hits, long posts.
    texts = [e.text for e in load_tsv(shared_data / "tweeteval" / "offensive" / "test.tsv")]
    ref = model.reference_decision(texts)
    assert np.allclose(model.decision(texts), ref, atol=1e-9)
    single = [model._fast.decision_one(t)[0] for t in texts[:200]]
    assert np.allclose(single, ref[:200], atol=1e-9)


def test_explain_splits_the_decision_over_words(model: HarmfulModel) -> None:
    score, words = model.explain("you idiot, you idiot")
    assert score == pytest.approx(model.score("you idiot, you idiot"))
    assert [(w.start, w.end) for w in words] == [(0, 3), (4, 10), (11, 14), (15, 20)]
    # The same word twice shares its features: both halves weigh the same in the linear
    # part (the conv block credits the window where each filter peaked, one of the two).
    _, linear = dataclasses.replace(model, conv=None).explain("you idiot, you idiot")
    assert linear[0].weight == pytest.approx(linear[2].weight)
    assert model.explain("") == (pytest.approx(model.score("")), [])


def test_loading_uses_no_pickle() -> None:
    with np.load(SHIPPED_DIR / "arrays.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)
    with np.load(SHIPPED_DIR / "word_vectors.npz", allow_pickle=False) as npz:
        assert npz["matrix"].dtype == np.float16
    with np.load(SHIPPED_DIR / "conv.npz", allow_pickle=False) as npz:
        assert {"out", "kernel_1", "kernel_3", "bias_2"} <= set(npz.files)
    manifest = json.loads((SHIPPED_DIR / "manifest.json").read_text())
    assert manifest["format"] == 3 and manifest["info"]["version"]
    assert manifest["vectors"]["dims"] == 128
    assert manifest["conv"]["widths"] == [1, 2, 3]


def test_save_load_round_trip(model: HarmfulModel, tmp_path: Path) -> None:
    copy = HarmfulModel.load(model.save(tmp_path / "m"))
    assert np.allclose(copy.score_many(TEXTS), model.score_many(TEXTS), atol=1e-5)


def test_missing_model_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        HarmfulModel.load(tmp_path)


def test_train_tiny_subset(toy: ToyData) -> None:
    # The training code end to end on a toy set.
    tiny = toy.train()
    m = evaluate(tiny, toy.examples)
    assert m.macro_f1 >= 0.9 and m.n == 40


def test_load_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    path.write_text('{"text": "fine", "label": 0}\n\n{"text": "bad", "label": 1}\n')
    assert [e.label for e in load_jsonl(path)] == [0, 1]
    path.write_text('{"text": "x", "label": 2}\n')
    with pytest.raises(ValueError):
        load_jsonl(path)


def test_retrain_with_feedback_needs_data(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        retrain_with_feedback(tmp_path / "missing", [], tmp_path / "out")


def test_quality_on_shared_data(model: HarmfulModel, shared_data: Path) -> None:
    # Floors a little under the measured 78.10 macro-F1 / 0.671 recall / 0.872 ROC-AUC
    # (see MODEL_CARD.md); the AUC does not depend on where the threshold landed.
    from sklearn.metrics import roc_auc_score

    test = load_tsv(shared_data / "tweeteval" / "offensive" / "test.tsv")
    m = evaluate(model, test)
    assert m.macro_f1 >= 0.775
    assert m.recall >= 0.66
    scores = model.score_many([e.text for e in test])
    assert roc_auc_score([e.label for e in test], scores) >= 0.867
