"""The conv block over word vectors: numpy inference against a plain loop and against torch,
explanations, storage, and a model that carries one."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from classifiers.conv_block import ConvBlock
from classifiers.harmful_format import ModelError
from classifiers.harmful_model import HarmfulModel
from classifiers.training.data import LabelledText
from classifiers.training.harmful import evaluate
from classifiers.training.word_vectors import vocabulary
from classifiers.word_vectors import WordVectors

if TYPE_CHECKING:  # the fixture type, from this folder's conftest.py
    from conftest import ToyData



def random_block(dims: int = 6, filters: int = 4, widths: tuple[int, ...] = (1, 2, 3)) -> ConvBlock:
    rng = np.random.default_rng(7)
    return ConvBlock(
        kernels=[rng.normal(size=(filters, dims, k)) for k in widths],
        biases=[rng.normal(size=filters) * 0.1 for _ in widths],
        out=rng.normal(size=filters * len(widths)),
        out_bias=0.3,
        weight=0.5,
        max_tokens=5,
    )


def loop_logit(block: ConvBlock, table: np.ndarray, ids: list[int]) -> float:
    """The block's definition written out: windows inside the post, ReLU, max, linear."""
    full = np.vstack([np.zeros((1, table.shape[1])), table])
    x = full[ids[: block.max_tokens]]
    pooled = []
    for kernel, bias in zip(block.kernels, block.biases, strict=True):
        k = kernel.shape[2]
        for f in range(kernel.shape[0]):
            acts = [
                max(0.0, bias[f] + sum(float(kernel[f, :, j] @ x[p + j]) for j in range(k)))
                for p in range(len(x) - k + 1)
            ]
            pooled.append(max(acts, default=0.0))
    return float(np.array(pooled) @ block.out + block.out_bias)


def test_numpy_block_equals_its_definition() -> None:
    block = random_block()
    table = np.random.default_rng(3).normal(size=(9, 6))
    block.attach(table)
    posts = [[], [3], [1, 2], [0, 4, 0], [1, 2, 3, 4, 5, 6, 7, 8], [9, 9, 9, 9]]
    expected = [loop_logit(block, table, p) for p in posts]
    assert np.allclose(block.logits(posts), expected, atol=1e-4)
    # A post alone gives what it gives in a batch (no window reads the next post).
    assert np.allclose([block.logits([p])[0] for p in posts], expected, atol=1e-4)
    assert np.allclose([block.logit(p) for p in posts], expected, atol=1e-4)


def test_token_shares_sum_to_the_weighted_logit() -> None:
    block = random_block()
    table = np.random.default_rng(4).normal(size=(9, 6))
    block.attach(table)
    ids = [1, 5, 0, 7, 2]
    shares = block.token_shares(ids)
    assert shares.shape == (5,)
    total = block.weight * (block.logits([ids])[0] - block.out_bias)
    assert shares.sum() == pytest.approx(total, abs=1e-4)
    assert not block.token_shares([]).size
    # Past max_tokens (5 here) the block reads nothing, so those tokens share nothing.
    long = [*ids, 3, 3, 3]
    assert block.token_shares(long).shape == (8,) and not block.token_shares(long)[5:].any()
    assert np.allclose(block.token_shares(long)[:5], shares)


def test_bad_shapes_are_refused() -> None:
    block = random_block()
    with pytest.raises(ValueError, match="6-dimensional"):
        block.attach(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="output layer"):
        dataclasses.replace(block, out=np.zeros(3))
    block.attach(np.zeros((3, 6)))
    with pytest.raises(ValueError, match="beyond its table"):
        block.logits([[4]])


def test_trained_block_equals_torch_and_learns(toy: ToyData) -> None:
    torch = pytest.importorskip("torch", reason="training the conv block needs torch")
    from classifiers.training.conv import ConvParams, fit_conv

    words = vocabulary([*toy.rude, *toy.nice])
    table = np.random.default_rng(0).normal(size=(len(words), 8))
    vectors = WordVectors(words, table)
    texts = toy.rude + toy.nice
    posts = [vectors.ids(t.split()) for t in texts]
    y = np.array([e.label for e in toy.examples])
    block = fit_conv(posts, y, np.ones(len(y)), vectors.matrix, ConvParams(filters=6, epochs=30))
    logits = block.logits(posts)
    assert (logits[y == 1].min() > logits[y == 0].max())
    # The numpy block gives the torch network's own outputs (float32 tables: 1e-4).
    emb = np.vstack([np.zeros((1, 8)), vectors.matrix])
    x = torch.tensor(emb[np.array([p + [0] * (48 - len(p)) for p in posts])], dtype=torch.float32)
    pooled = []
    for kernel, bias in zip(block.kernels, block.biases, strict=True):
        conv = torch.nn.functional.conv1d(
            x.transpose(1, 2), torch.tensor(kernel, dtype=torch.float32),
            torch.tensor(bias, dtype=torch.float32),
        )  # fmt: skip
        k = kernel.shape[2]
        last_start = torch.tensor([len(p) - k for p in posts])
        valid = torch.arange(conv.shape[2])[None, :] <= last_start[:, None]
        pooled.append((torch.relu(conv) * valid[:, None, :]).max(dim=2).values)
    ref = torch.cat(pooled, 1).numpy() @ block.out + block.out_bias
    assert np.allclose(logits, ref, atol=1e-4)


@pytest.fixture(scope="module")
def conv_model(toy: ToyData) -> HarmfulModel:
    words = vocabulary([*toy.rude, *toy.nice, "fool"])
    # float16, as the table is stored: a round trip then changes nothing but float32 rounding
    table = np.random.default_rng(2).normal(size=(len(words), 8)).astype(np.float16)
    block = dataclasses.replace(random_block(dims=8, filters=3), max_tokens=48)
    # kept as given, as feedback retraining does
    return toy.train(vectors=WordVectors(words, table), conv=block)


def test_model_with_conv_scores_as_its_reference(
    conv_model: HarmfulModel, toy: ToyData
) -> None:
    texts = ["you idiot", "nice  work team", "@user fool!", "", "zzz qqq", "you. idiot, moron"]
    ref = conv_model.reference_decision(texts)
    assert np.abs(conv_model.conv_part(texts)).max() > 0.0
    assert np.allclose(conv_model.decision(texts), ref, atol=1e-9)
    for text, expected in zip(texts, ref, strict=True):
        score, _ = conv_model.score_with_hits(text)
        assert score == pytest.approx(float(conv_model.calibrate(np.array([expected]))[0]))
    assert evaluate(conv_model, [LabelledText(t, 1) for t in toy.rude]).recall == 1.0


def test_explanation_includes_the_conv_shares(conv_model: HarmfulModel) -> None:
    assert conv_model.conv is not None
    without = dataclasses.replace(conv_model, conv=None)
    text = "you stupid fool"
    with_conv, no_conv = conv_model.explain(text)[1], without.explain(text)[1]
    ids = [i for w in text.split() for i in conv_model._fast.chunk(w).conv_ids]
    shares = conv_model.conv.token_shares(ids)
    diffs = [a.weight - b.weight for a, b in zip(with_conv, no_conv, strict=True)]
    assert np.allclose(diffs, shares, atol=1e-9)
    assert np.abs(shares).sum() > 0.0


def test_model_with_conv_round_trip(conv_model: HarmfulModel, tmp_path: Path) -> None:
    path = conv_model.save(tmp_path / "m")
    copy = HarmfulModel.load(path)
    assert copy.conv is not None and copy.conv.widths == [1, 2, 3]
    texts = ["you idiot", "nice work", "fool", "see you soon team"]
    assert np.allclose(copy.score_many(texts), conv_model.score_many(texts), atol=1e-5)
    # Saving a model without a block over it removes the old block's arrays.
    dataclasses.replace(conv_model, conv=None).save(path)
    assert not (path / "conv.npz").exists() and HarmfulModel.load(path).conv is None


def test_conv_without_vectors_is_refused(conv_model: HarmfulModel) -> None:
    with pytest.raises(ModelError, match="word vectors"):
        dataclasses.replace(conv_model, vectors=None)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_tokens is 0"):
        dataclasses.replace(random_block(), max_tokens=0)
    kernels = random_block().kernels
    kernels[1][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dataclasses.replace(random_block(), kernels=kernels)
    with pytest.raises(ValueError, match="ascending"):
        random_block(widths=(3, 1))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("truncate", "cannot load"),
        ("max_tokens", "max_tokens is -1"),
        ("widths", "cannot load"),
        ("dims", "conv block reads 6-dimensional"),
    ],
)
def test_damaged_conv_files_raise_model_error(
    conv_model: HarmfulModel, tmp_path: Path, damage: str, message: str
) -> None:
    import json

    path = conv_model.save(tmp_path / "m")
    manifest = json.loads((path / "manifest.json").read_text())
    if damage == "truncate":
        (path / "conv.npz").write_bytes((path / "conv.npz").read_bytes()[:100])
    elif damage == "max_tokens":
        manifest["conv"]["max_tokens"] = -1
    elif damage == "widths":
        manifest["conv"]["widths"] = None
    else:  # a block for other vectors than the model's
        np.savez_compressed(path / "conv.npz", **random_block().arrays())
        manifest["conv"]["widths"] = [1, 2, 3]
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=message) as err:
        HarmfulModel.load(path)
    assert str(path) in str(err.value)


def test_a_block_given_to_a_model_is_not_changed(conv_model: HarmfulModel) -> None:
    # Attaching fills the block's tables from the model's vectors: the caller's block (which
    # may serve another model) must keep its own.
    assert conv_model.conv is not None and conv_model.vectors is not None
    before = conv_model.score_many(["you stupid fool", "nice work"])
    other = WordVectors(conv_model.vectors.words, conv_model.vectors.matrix * 3.0)
    dataclasses.replace(conv_model, vectors=other)
    assert conv_model.score_many(["you stupid fool", "nice work"]) == pytest.approx(before)
