"""The wording model's compiled kernel: built by the install, the same values as its Python
forms (which the scipy reference holds in test_harmful_model.py), and clear errors instead of
a crash for tables or ids that do not fit."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import shlex
import shutil
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from test_conv_block import random_block

from classifiers import harmful_kernel
from classifiers.harmful_model import HarmfulModel
from classifiers.harmful_scorer import FastScorer, _Chunk
from classifiers.lexicon_gate import TokenGate
from classifiers.training.data import load_tsv

REPO = Path(__file__).resolve().parents[2]
# the compiler hatch_build.py uses: $CC, else the one Python was built with
HAS_CC = shutil.which(
    shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[0]
) is not None
# Posts that reach every branch: empty, one letter, repeats (sublinear tf), emoji, lexicon
# terms, a signal phrase, past the conv block's 48 tokens, words with no vector.
ODD_TEXTS = [
    "",
    "a",
    "ok ok ok ok ok",
    "you are an idiot!!!",
    "shut   up, you iiidiot",
    "😀 #MAGA idiots!!",
    "@user @user URL",
    " ".join(f"word{i} idiot" for i in range(60)),
    "zzqxv qqzx vvqz",
    "Great work, team :)",
]


@pytest.fixture(scope="module")
def model() -> HarmfulModel:
    return HarmfulModel.load()


@pytest.fixture(scope="module")
def kernel() -> ModuleType:
    if harmful_kernel.compiled is None:
        pytest.fail(
            "classifiers._harmful_kernel is not built: reinstall with `pip install -e .` "
            "(hatch_build.py compiles it; a C compiler and Python's headers are needed)"
        )
    return harmful_kernel.compiled


@pytest.mark.skipif(not HAS_CC, reason="no C compiler here: the Python forms serve")
def test_the_install_built_the_kernel(kernel: ModuleType, model: HarmfulModel) -> None:
    assert model._fast.compiled
    assert FastScorer(model, compiled=False).compiled is False


@pytest.mark.skipif(not HAS_CC, reason="no C compiler here")
def test_the_build_hook_compiles_a_module_that_imports(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("hatch_build_probe", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    pytest.importorskip("hatchling", reason="hatchling lives in pip's build environment only")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    target = tmp_path / ("_harmful_kernel" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so"))
    assert hook.compile_kernel(REPO / "classifiers" / "kernel", target) is None
    loaded = importlib.util.spec_from_file_location("_harmful_kernel", target)
    assert loaded is not None and loaded.loader is not None
    module = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(module)
    assert module.vector_norm([0], np.array([[3.0, 4.0]])) == 5.0


def test_the_build_hook_says_why_when_it_cannot_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("hatchling", reason="hatchling lives in pip's build environment only")
    spec = importlib.util.spec_from_file_location("hatch_build_probe", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    monkeypatch.setenv("CC", "/nonexistent/cc")
    why = hook.compile_kernel(REPO / "classifiers" / "kernel", tmp_path / "k.so")
    assert why == "no C compiler (/nonexistent/cc) on PATH"
    monkeypatch.delenv("CC")
    if HAS_CC:
        assert hook.compile_kernel(tmp_path, tmp_path / "k.so") == f"no C files in {tmp_path}"
        (tmp_path / "broken.c").write_text("this is not C\n")
        why = hook.compile_kernel(tmp_path, tmp_path / "k.so")
        assert why is not None and "failed" in why and not (tmp_path / "k.so").exists()


def test_without_the_kernel_the_scorer_says_so_and_scores_in_python(
    model: HarmfulModel, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(harmful_kernel, "compiled", None)
    with caplog.at_level(logging.WARNING, logger="classifiers.harmful_scorer"):
        scorer = FastScorer(model)
    assert not scorer.compiled
    assert "compiled kernel (classifiers._harmful_kernel) is not built" in caplog.text
    ref = model.reference_decision(ODD_TEXTS)
    assert np.allclose([scorer.decision_one(t)[0] for t in ODD_TEXTS], ref, atol=1e-9)
    # the conv block falls back on its own too
    assert model.conv is not None
    ids = [1, 2, 3]
    assert model.conv.logit(ids) == model.conv.logit_numpy(ids)


def test_compiled_and_python_scorers_agree_on_odd_posts(
    kernel: ModuleType, model: HarmfulModel
) -> None:
    python = FastScorer(model, compiled=False)
    for text in ODD_TEXTS:
        fast, slow = model._fast.decision_one(text)[0], python.decision_one(text)[0]
        assert fast == pytest.approx(slow, abs=1e-12), text
    ref = model.reference_decision(ODD_TEXTS)
    assert np.allclose([model._fast.decision_one(t)[0] for t in ODD_TEXTS], ref, atol=1e-9)
    # a batch: post by post through the kernel, numpy's batch pass without it
    assert np.allclose(model._fast.decisions(ODD_TEXTS)[0], ref, atol=1e-9)
    assert np.allclose(python.decisions(ODD_TEXTS)[0], ref, atol=1e-9)
    hits = [p.hits for p in model._fast.decisions(ODD_TEXTS)[1]]
    assert hits == [p.hits for p in python.decisions(ODD_TEXTS)[1]]


def test_a_post_of_the_poller_s_maximum_size_scores_and_explains_alike(
    kernel: ModuleType, model: HarmfulModel
) -> None:
    # 100 KB (polling.max_text_bytes): 16,000 chunks, many repeated, some distinct
    text = " ".join(f"you idiot{i % 500} clown" for i in range(4000))[:100_000]
    twin = dataclasses.replace(model)
    twin._fast = FastScorer(model, compiled=False)
    ours, theirs = model.assess(text, flag=-1.0), twin.assess(text, flag=-1.0)
    assert ours[0] == pytest.approx(theirs[0], abs=1e-12)
    assert ours[2] is not None and theirs[2] is not None and len(ours[2]) == len(theirs[2])
    assert np.allclose([w.weight for w in ours[2]], [w.weight for w in theirs[2]], atol=1e-12)


@pytest.mark.shared_data
def test_compiled_and_python_scorers_agree_on_real_tweets(
    kernel: ModuleType, model: HarmfulModel, shared_data: Path
) -> None:
    texts = [e.text for e in load_tsv(shared_data / "tweeteval" / "offensive" / "val.tsv")]
    python = FastScorer(model, compiled=False)
    fast = np.array([model._fast.decision_one(t)[0] for t in texts])
    slow = np.array([python.decision_one(t)[0] for t in texts])
    assert np.abs(fast - slow).max() < 1e-12
    # and what the detector reads off them: scores, hits and the words' shares
    twin = dataclasses.replace(model)
    twin._fast = python
    for text in texts[:300]:
        ours, theirs = model.assess(text), twin.assess(text)
        assert ours[0] == pytest.approx(theirs[0], abs=1e-12) and ours[1] == theirs[1]
        assert (ours[2] is None) == (theirs[2] is None)
        for a, b in zip(ours[2] or [], theirs[2] or [], strict=True):
            assert (a.start, a.end) == (b.start, b.end)
            assert a.weight == pytest.approx(b.weight, abs=1e-12)


@pytest.mark.shared_data
def test_threads_sharing_one_scorer_get_what_one_thread_gets(
    kernel: ModuleType, model: HarmfulModel, shared_data: Path
) -> None:
    # The daemon's poll workers are threads sharing one pipeline, so one scorer and its
    # kernel scratch: every call must leave the scratch as it found it, whatever runs between.
    texts = [e.text for e in load_tsv(shared_data / "tweeteval" / "offensive" / "test.tsv")]
    texts = texts[:600]
    serial = [model.assess(t, flag=0.3) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda t: model.assess(t, flag=0.3), texts * 2))
    assert sum(words is not None for _, _, words in serial) > 100  # explanations ran too
    for ours, theirs in zip(threaded, serial * 2, strict=True):
        assert ours[0] == theirs[0] and ours[1] == theirs[1]
        assert [(w.start, w.end, w.weight) for w in ours[2] or []] == [
            (w.start, w.end, w.weight) for w in theirs[2] or []
        ]


def test_tfidf_decision_matches(kernel: ModuleType) -> None:
    rng = np.random.default_rng(5)
    size, n_word = 50, 20
    idf = rng.uniform(1.0, 5.0, size)
    pairs = np.column_stack([idf * rng.normal(size=size), idf * idf])
    for sublinear in [(True, True), (False, False), (True, False), (False, True)]:
        # 2,000 ids: more than the kernel's tally on the stack is for (it takes the heap)
        for length in (0, 1, 7, 300, 2000):
            ids = rng.integers(0, size, length).astype(np.int32)
            args = (pairs, n_word, *sublinear)
            expected = harmful_kernel.tfidf_decision(ids.tobytes(), *args)
            got = kernel.tfidf_decision(ids.tobytes(), *args)
            assert got == pytest.approx(expected, abs=1e-12)


def test_profanity_probability_matches(kernel: ModuleType, model: HarmfulModel) -> None:
    pb = model.profanity
    coef = np.ascontiguousarray(pb.coef.T)
    tables = (pb.tfidf.idf, coef, pb.intercept, pb.cal_a, pb.cal_b)
    rng = np.random.default_rng(6)
    for length in (0, 1, 5, 40):
        ids = [int(i) for i in rng.integers(0, len(pb.tfidf.idf), length)]
        for sublinear in (True, False):
            expected = harmful_kernel.profanity_probability(ids, *tables, sublinear)
            assert kernel.profanity_probability(ids, *tables, sublinear) == pytest.approx(
                expected, abs=1e-12
            )


def test_conv_logit_matches_numpy_for_every_length(kernel: ModuleType) -> None:
    block = random_block()  # widths 1-3, max_tokens 5
    block.attach(np.random.default_rng(3).normal(size=(9, 6)))
    rng = np.random.default_rng(8)
    for length in range(9):  # shorter than the widest window, and past max_tokens
        ids = [int(i) for i in rng.integers(0, 10, length)]
        assert block.logit(ids) == pytest.approx(block.logit_numpy(ids), abs=1e-9)
        assert block.logit(tuple(ids)) == pytest.approx(block.logit_numpy(ids), abs=1e-9)


def test_conv_shares_match_numpy_for_every_length(kernel: ModuleType) -> None:
    block = random_block()
    block.attach(np.random.default_rng(4).normal(size=(9, 6)))
    rng = np.random.default_rng(10)
    for length in range(9):
        ids = [int(i) for i in rng.integers(0, 10, length)]
        assert np.allclose(block.token_shares(ids), block.token_shares_numpy(ids), atol=1e-9)
        assert len(block.token_share_list(ids)) == length


def test_gather_and_token_shares_match_their_python_forms(
    kernel: ModuleType, model: HarmfulModel
) -> None:
    fast, python = model._fast, FastScorer(model, compiled=False)
    assert _Chunk._fields == harmful_kernel.CHUNK_FIELDS  # the kernel reads them by position
    for text in ODD_TEXTS:
        chunks = [fast.chunk(raw) for raw in text.split()]
        ours = kernel.gather(chunks, fast.pairs)
        theirs = harmful_kernel.gather(chunks, fast.pairs)
        assert ours[:-1] == theirs[:-1] and ours[-1] == pytest.approx(theirs[-1], abs=1e-12)
        assert kernel.gather(chunks, None)[0] == harmful_kernel.gather(chunks, None)[0]
        post = fast.post(text)
        assert np.allclose(
            fast.token_shares(post, chunks), python.token_shares(post, chunks), atol=1e-12
        )


def test_a_list_changed_by_python_code_during_the_call_is_read_as_it_was(
    kernel: ModuleType,
) -> None:
    # An item's __bool__ swaps a chunk for one 256 times larger while gather reads the list:
    # the kernel reads its own snapshot, never the list as it changes under it.
    def record(main: bytes, you: object = False) -> tuple[object, ...]:
        return ((), (), 0, you, False, main, b"", (), (), 0.0, TokenGate(False, False, None, None))

    small, big = record(b"\0" * 4), record(b"A" * 1024)
    chunks: list[tuple[object, ...]] = []

    class Swaps:
        def __bool__(self) -> bool:
            chunks[0] = big
            return False

    chunks += [small, record(b"", you=Swaps())]
    assert kernel.gather(chunks, None)[0] == b"\0" * 4
    assert chunks[0] is big


def test_conv_ids_may_be_numpy_integers(kernel: ModuleType) -> None:
    block = random_block()
    block.attach(np.random.default_rng(3).normal(size=(9, 6)))
    ids = np.array([1, 2, 3, 4])
    assert block.logit(ids) == pytest.approx(block.logit([1, 2, 3, 4]), abs=0)
    assert block.token_share_list(ids) == block.token_share_list([1, 2, 3, 4])


def test_a_chunk_feature_the_post_lacks_gets_no_share_in_either_form(
    kernel: ModuleType, model: HarmfulModel
) -> None:
    # Not reachable through the scorer (a post holds its chunks' features), but the two forms
    # must still agree: such a feature adds nothing and counts no chunk.
    python = FastScorer(model, compiled=False)
    post = model._fast.post("you are nice")
    chunks = [model._fast.chunk(raw) for raw in ["zzzz", "qqq", "you"]]
    assert np.allclose(
        model._fast.token_shares(post, chunks), python.token_shares(post, chunks), atol=1e-12
    )


def test_vector_norm_matches(kernel: ModuleType) -> None:
    matrix = np.random.default_rng(9).normal(size=(12, 5))
    for rows in ([], [3], [1, 1, 2, 11]):
        assert kernel.vector_norm(rows, matrix) == pytest.approx(
            harmful_kernel.vector_norm(rows, matrix), abs=1e-12
        )
    assert kernel.vector_norm([0], np.zeros((1, 5))) == 1.0


def test_ids_or_tables_that_do_not_fit_are_value_errors(
    kernel: ModuleType, model: HarmfulModel
) -> None:
    scratch = np.zeros(4, dtype=np.int32)
    table, pairs = np.ones(4), np.ones((4, 2))
    with pytest.raises(ValueError, match="feature index 9 outside"):
        kernel.tfidf_decision(np.array([1, 9], dtype=np.int32).tobytes(), pairs, 2, True, True)
    with pytest.raises(ValueError, match="two floats a feature"):
        kernel.tfidf_decision(b"", np.ones(3), 2, True, True)
    with pytest.raises(ValueError, match="idf_pairs: expected float64 values, got format 'f'"):
        kernel.tfidf_decision(b"", pairs.astype(np.float32), 2, True, True)
    # a 2-D table of bytes is not read as floats (its shape counts bytes, not values)
    with pytest.raises(ValueError, match="matrix: expected float64 values, got format 'B'"):
        kernel.vector_norm([9], np.full((10, 8), 7, np.uint8))
    with pytest.raises(ValueError, match=r"ids: expected int32 values, got format '[ql]'"):
        kernel.tfidf_decision(np.array([1], dtype=np.int64), pairs, 2, True, True)
    with pytest.raises(TypeError, match="takes 5 arguments"):
        kernel.tfidf_decision(b"")
    with pytest.raises(ValueError, match="row 7 outside"):
        kernel.vector_norm([7], np.ones((2, 3)))
    with pytest.raises(ValueError, match="profanity index -1"):
        kernel.profanity_probability([-1], table, np.ones((4, 2)), np.ones(2), np.ones(2),
                                     np.ones(2), True)  # fmt: skip
    block = random_block()
    block.attach(np.ones((9, 6)))
    with pytest.raises(ValueError, match="word id 10 beyond its table"):
        block.logit([1, 10])
    with pytest.raises(TypeError, match="ids must be a sequence"):
        kernel.conv_logit(3, block._fused, block._layout, block.out, 0.0, 5)
    with pytest.raises(ValueError, match="layout does not fit"):
        kernel.conv_logit([1], block._fused, np.array([1, 0, 1, 0]), block.out, 0.0, 5)
    with pytest.raises(TypeError, match="chunk 1 is not a chunk record"):
        kernel.gather([model._fast.chunk("word"), ("not", "a", "chunk")], None)
    with pytest.raises(TypeError, match="pairs must be a dict or None"):
        kernel.gather([], [])
    marks, weights = np.zeros(4, dtype=np.int32), np.zeros(4)
    with pytest.raises(ValueError, match="feature index 9 outside"):
        kernel.token_shares(np.array([1, 9], dtype=np.int32).tobytes(), [], pairs, 2,
                            True, True, scratch, weights, marks)  # fmt: skip
    assert not (scratch.any() or weights.any() or marks.any())

