"""Static word vectors: table look-ups, post vectors, storage, and a model that uses them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from classifiers.harmful_blocks import vector_features
from classifiers.harmful_format import ModelError
from classifiers.harmful_model import HarmfulModel
from classifiers.training.data import LabelledText
from classifiers.training.harmful import evaluate
from classifiers.training.word_vectors import reduce, vocabulary
from classifiers.word_vectors import WordVectors, lookup_key

if TYPE_CHECKING:  # the fixture type, from this folder's conftest.py
    from conftest import ToyData



@pytest.mark.parametrize(
    ("token", "key"),
    [("idiot", "idiot"), ("#idiots", "idiots"), ("@user", None), ("2024", None), ("!", None),
     ("don't", "don't")],
)  # fmt: skip
def test_lookup_key(token: str, key: str | None) -> None:
    assert lookup_key(token) == key


def table(words: list[str], dims: int = 8, seed: int = 0) -> WordVectors:
    rng = np.random.default_rng(seed)
    return WordVectors(words, rng.normal(size=(len(words), dims)).astype(np.float16))


def test_post_vector_is_the_normalised_sum() -> None:
    vectors = table(["idiot", "team"])
    rows = [vectors.rows(["idiot", "@user", "team", "unknown"]), []]
    assert rows[0] == [0, 1]
    out = vectors.post_vectors(rows)
    expected = vectors.matrix[0] + vectors.matrix[1]
    assert np.allclose(out[0], expected / np.linalg.norm(expected))
    assert not out[1].any()  # a post without known words adds nothing


def test_save_load_round_trip(tmp_path: Path) -> None:
    vectors = table(["a1", "b2", "c3"])
    vectors.info = {"dims": 8}
    vectors.save(tmp_path)
    copy = WordVectors.load(tmp_path)
    assert copy.words == vectors.words and copy.info == {"dims": 8}
    assert np.array_equal(copy.matrix, vectors.matrix)  # float16 both ways: exact
    np.savez_compressed(tmp_path / "word_vectors.npz", matrix=np.zeros((2, 8), np.float16))
    with pytest.raises(ValueError, match="2 vectors for 3 words"):
        WordVectors.load(tmp_path)


def test_vocabulary_and_reduce() -> None:
    texts = ["You IDIOT #fail @user 42", "you fail"]
    assert vocabulary(texts, ["Team player"]) == ["fail", "idiot", "player", "team", "you"]
    assert vocabulary(texts, ["Team"], min_df=2) == ["fail", "team", "you"]
    reduced, explained = reduce(np.random.default_rng(1).normal(size=(50, 10)), 4)
    assert reduced.shape == (50, 4) and 0 < explained.sum() < 1
    assert np.allclose(reduced.mean(axis=0), 0, atol=1e-9)


@pytest.fixture(scope="module")
def vector_model(toy: ToyData) -> HarmfulModel:
    return toy.train(vectors=table(vocabulary([*toy.rude, *toy.nice, "fool"])))


def test_model_with_vectors_scores_as_its_features(
    vector_model: HarmfulModel, toy: ToyData
) -> None:
    texts = ["you idiot", "nice  work team", "@user fool!", "", "zzz qqq"]
    ref = np.asarray(vector_model.features(texts) @ vector_model.coef).ravel()
    ref += vector_model.intercept
    assert np.allclose(vector_model.decision(texts), ref, atol=1e-9)
    for text, expected in zip(texts, ref, strict=True):
        score, _ = vector_model.score_with_hits(text)
        assert score == pytest.approx(float(vector_model.calibrate(np.array([expected]))[0]))
    # A word's share of the explanation includes its vector's part of the decision.
    assert vector_model.vectors is not None
    part = vector_features(vector_model.vectors, ["fool"]) @ vector_model.coef[-8:]
    coef = vector_model.coef.copy()
    coef[-8:] = 0.0
    without = dataclasses.replace(vector_model, coef=coef)
    (with_vector,), (no_vector,) = vector_model.explain("fool")[1], without.explain("fool")[1]
    assert with_vector.weight - no_vector.weight == pytest.approx(float(part[0]), abs=1e-6)
    assert part[0] != 0.0
    assert evaluate(vector_model, [LabelledText(t, 1) for t in toy.rude]).recall == 1.0


def test_model_with_vectors_round_trip(vector_model: HarmfulModel, tmp_path: Path) -> None:
    copy = HarmfulModel.load(vector_model.save(tmp_path / "m"))
    assert copy.vectors is not None and copy.vectors.dims == 8
    texts = ["you idiot", "nice work", "fool"]
    assert np.allclose(copy.score_many(texts), vector_model.score_many(texts), atol=1e-5)


def test_format_1_model_without_vectors_still_loads(tmp_path: Path, toy: ToyData) -> None:
    # A 1.0.0 model (no vectors, format 1) must load, so a rollback to it works.
    shipped = HarmfulModel.load()
    assert shipped.vectors is not None
    old = dataclasses.replace(
        shipped, vectors=None, conv=None, coef=shipped.coef[: -shipped.vectors.dims]
    )
    path = old.save(tmp_path / "old")
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["vectors"]
    manifest["format"] = 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    loaded = HarmfulModel.load(path)
    assert loaded.vectors is None
    rude = toy.rude[:4]
    assert np.allclose(loaded.score_many(rude), old.score_many(rude), atol=1e-5)


def test_files_of_two_models_are_refused(vector_model: HarmfulModel, tmp_path: Path) -> None:
    path = vector_model.save(tmp_path / "m")
    # a model without vectors saved over it takes the old table away with it
    no_vectors = dataclasses.replace(vector_model, vectors=None, coef=vector_model.coef[:-8])
    no_vectors.save(path)
    assert not WordVectors.exists(path)
    assert HarmfulModel.load(path).vectors is None
    # a manifest that claims vectors the coefficients do not have is refused, not half-used
    table(["idiot"], dims=4).save(path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["vectors"] = {"dims": 4, "scale": 2.0, "table": {}}
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match="mixes files of two models"):
        HarmfulModel.load(path)


def test_command_line_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from classifiers.training import harmful as train_harmful
    from classifiers.training import word_vectors

    assert train_harmful.main(["--data", str(tmp_path), "--vectors", str(tmp_path / "no")]) == 2
    assert "no word-vector table in" in capsys.readouterr().err
    assert word_vectors.main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "train.tsv" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_sums_adds_each_run_of_rows() -> None:
    from classifiers.harmful_batch import _run_sums

    values = np.arange(14.0).reshape(7, 2)
    bounds = np.array([0, 2, 2, 3, 7])  # runs of 2, 0, 1 and 4 rows
    expected = [values[0:2].sum(0), [0, 0], values[2], values[3:7].sum(0)]
    assert np.array_equal(_run_sums(values, bounds, block=3), np.array(expected))
    assert np.array_equal(_run_sums(values, bounds, block=1), np.array(expected))
